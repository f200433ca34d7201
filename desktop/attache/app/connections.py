"""Where a backend comes from: a saved account, a token from the environment, or a built-in sandbox.

Qt-free on purpose: these run on worker threads, for the window and the CLI alike.
"""

from __future__ import annotations

import logging
import os
import threading
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit

from attache.core.accounts import Account, AccountRef, AccountStore, sandbox_account, sandbox_account_pid
from attache.core.errors import AttacheError, AuthenticationError, CancelledError, NotFoundError
from attache.core.processes import pid_alive
from attache.core.services import DEFAULT_SERVICE, Service, service

if TYPE_CHECKING:
    from attache.app.sandbox_process import SandboxProcess
    from attache.backends.base import Backend
    from attache.credentials import SecretStore
    from attache.transfers import Journal

log = logging.getLogger(__name__)

URL_ENV = "ATTACHE_URL"
TOKEN_ENV = "ATTACHE_TOKEN"
SERVICE_ENV = "ATTACHE_SERVICE"


@dataclass
class Connection:
    """How to make a backend for one account, and what to clean up when it closes."""

    service: str
    account: str
    make_backend: Callable[[], Backend]
    journal_path: Path | None = None  # None: the user's own queue (app data)
    label: str = ""  # shown in the window: "awork · sandbox"
    closers: list[Callable[[], None]] = field(default_factory=list)
    saved_account: Account | None = None  # the account this connection opens, if any
    sandbox: object = None  # the built-in sandbox server this connection runs on, if any
    # other accounts whose uploads share this connection's journal (accounts on the built-in
    # sandbox share its queue), and how to open each: their jobs show and continue here too
    siblings: dict[AccountRef, Callable[[], Backend]] = field(default_factory=dict)
    # the account's remembered settings as this run knows them (`Account.options`): the backends
    # `make_backend` opens from now on read them, so a choice made in the window holds for them too
    options: dict[str, str] = field(default_factory=dict)

    def share_journal_with(self, other: Connection) -> None:
        """Use `other`'s journal, and reach its account (and those it reached) for their jobs."""
        self.journal_path = other.journal_path
        self.siblings = {**other.siblings, other.ref: other.make_backend}
        self.siblings.pop(self.ref, None)

    @property
    def durable(self) -> bool:
        """Its transfers outlive the window: on the user's own queue, and not on a built-in sandbox."""
        return self.journal_path is None and self.sandbox is None

    @property
    def sandbox_refs(self) -> set[AccountRef]:
        """The accounts whose transfers end with the built-in sandbox this connection runs on (none
        off a sandbox): its demo account and the accounts added on it."""
        return {self.ref, *self.siblings} if self.sandbox is not None else set()

    @property
    def ref(self) -> AccountRef:
        """What the transfer journal records for this connection's uploads."""
        return AccountRef(self.service, self.account)

    @property
    def entry(self) -> Service:
        return service(self.service)

    def close(self) -> None:
        for closer in reversed(self.closers):
            try:
                closer()
            except Exception:
                log.exception("closing %s failed", self.label or self.account)
        self.closers.clear()


def url_label(url: str) -> str:
    """An account name for a bare URL: its host (and port)."""
    return urlsplit(url).netloc or url


def token_connection(
    service_id: str,
    url: str,
    token: str,
    *,
    label: str | None = None,
    account: str | None = None,
    options: dict[str, str] | None = None,
) -> Connection:
    """A connection with a token given directly (`--url` with $ATTACHE_TOKEN). Its uploads are
    journalled under the URL, so `attache queue --run` can resume them with the same token.
    `options` are settings an account would remember (for this command only)."""
    entry = service(service_id)
    base_url = entry.normalise_url(url)
    name = account or base_url
    options = dict(options or {})

    def make() -> Backend:
        connector = entry.connector()
        return connector.open_backend(
            base_url, connector.secret_from_token(token), account=url_label(base_url), options=dict(options)
        )

    return Connection(entry.id, name, make, label=label or f"{entry.name} · {url_label(base_url)}", options=options)


def connection_from_env() -> Connection | None:
    token = os.environ.get(TOKEN_ENV, "").strip()
    if not token:
        return None
    entry = service(os.environ.get(SERVICE_ENV, "").strip() or DEFAULT_SERVICE)
    return token_connection(entry.id, os.environ.get(URL_ENV, "") or entry.default_url, token)


def open_account_backend(account: Account, secrets: SecretStore, *, quick: bool = False) -> Backend:
    """The one place a saved account's secret becomes a working session."""
    secret = secrets.load(account.name)
    if not secret:
        raise AuthenticationError(f"No sign-in is stored for {account.name}: sign in again", account=account.name)
    return (
        service(account.service)
        .connector()
        .open_backend(
            account.base_url,
            secret,
            account=account.name,
            save_secret=lambda fresh: secrets.save(account.name, fresh),
            quick=quick,
            options=account.options,
        )
    )


def prepare_client(service_id: str) -> None:
    """Worker: load a service's client code (httpx, the backend: ~0.2 s), the transfer engine and
    the TLS context ahead of its first connection, while something else (a sandbox starting) is on
    the way."""
    service(service_id).connector()
    import attache.transfers.engine  # noqa: F401  # the session opens one next
    from attache.backends.http import tls_context

    tls_context()


def start_sandbox(service_id: str = DEFAULT_SERVICE, *, stop: threading.Event | None = None) -> Connection:
    """Worker thread: start a service's in-process sandbox on a free loopback port, demo data seeded.
    Everything it creates is removed by the connection's close(), however far start-up got.

    `stop` is set by a caller that went away meanwhile (a window closing while the sandbox starts):
    a sandbox that comes up after that is stopped again at once, and CancelledError raised."""
    entry = service(service_id)
    try:
        from attache.sandbox import SandboxServer
        from attache.sandbox.common.plugin import StartCancelled
    except ImportError as error:  # pragma: no cover - the sandbox ships with the app
        raise AttacheError("The built-in sandbox is not available in this build", detail=repr(error)) from None

    def give_up_when_stopped(step: str) -> None:  # start-up asks between its steps (seeding too)
        if stop is not None and stop.is_set():
            server.request_stop()

    server = SandboxServer(service=entry.id, host="127.0.0.1", port=0, on_step=give_up_when_stopped)
    try:
        server.start()  # its own temporary data, seeded; removed by stop() however far it got
    except StartCancelled:
        raise CancelledError("The sandbox was stopped while it started") from None
    return _sandbox_connection(entry, server, stop)


def start_sandbox_process(
    service_id: str = DEFAULT_SERVICE,
    *,
    stop: threading.Event | None = None,
    started: SandboxProcess | None = None,
) -> Connection:
    """Worker thread: as `start_sandbox`, with the sandbox in a process of its own (the app's:
    `attache.app.sandbox_process`); `started` is one started earlier for this service."""
    from attache.app.sandbox_process import SandboxProcess

    entry = service(service_id)
    if started is not None and started.service_id != entry.id:
        started.stop()  # started for another service
        started = None
    process = started or SandboxProcess(entry.id)
    process.wait_ready(stop=stop)
    return _sandbox_connection(entry, process, stop)


def _sandbox_connection(entry: Service, server: Any, stop: threading.Event | None) -> Connection:
    """The connection to a sandbox that serves (`base_url`, `token`), which stops it on close."""
    base_url, token = server.base_url, server.token
    options: dict[str, str] = {}

    def make() -> Backend:
        connector = entry.connector()
        return connector.open_backend(
            base_url, connector.secret_from_token(token), account="sandbox", options=dict(options)
        )

    # On the user's own queue, so the window lists every account's transfers while it shows the
    # sandbox; the sandbox's jobs go when it stops (its server and data do).
    connection = Connection(
        entry.id,
        sandbox_account(os.getpid()),
        make,
        label=f"{entry.name} · sandbox",
        sandbox=server,
        options=options,
    )
    connection.closers.append(lambda: forget_sandbox_accounts(os.getpid()))
    connection.closers.append(server.stop)
    if stop is not None and stop.is_set():
        connection.close()
        raise CancelledError("The sandbox was stopped while it started")
    return connection


def forget_sandbox_accounts(pid: int | None = None, journal: Journal | None = None) -> None:
    """Forget the accounts added on a built-in sandbox, and the jobs of those accounts and of the
    sandbox's own demo account in the user's queue: this process's, as its sandbox stops (`pid`),
    or, with no pid, those of sandboxes whose process crashed. They cannot open again; their
    secrets were only ever in memory. Worker thread: it opens the queue."""
    try:
        gone = [account.ref for account in AccountStore().forget_sandbox_accounts(pid)]
    except AttacheError as error:  # a damaged accounts.json: said when the accounts are next listed
        log.warning("could not forget the sandbox's accounts: %s", error)
        gone = []
    from attache.transfers import Journal, default_journal_path

    try:
        if journal is not None:  # the user's queue, open already
            _forget_sandbox_jobs(journal, gone, pid)
        elif default_journal_path().exists():
            with Journal() as opened:
                _forget_sandbox_jobs(opened, gone, pid)
    except AttacheError as error:
        log.warning("could not forget the sandbox's transfers: %s", error)


def _forget_sandbox_jobs(journal: Journal, gone: list[AccountRef], pid: int | None) -> None:
    stopped = [ref for ref in journal.accounts() if _sandbox_stopped(ref.account, pid)]
    journal.forget_accounts([*gone, *stopped])


def _sandbox_stopped(account: str, pid: int | None) -> bool:
    owner = sandbox_account_pid(account)
    return owner is not None and (owner == pid if pid is not None else not pid_alive(owner))


def saved_accounts() -> list[Account]:
    """The saved accounts (names and URLs only; secrets in the keyring)."""
    try:
        return AccountStore().list()
    except AttacheError as error:
        log.warning("%s", error)
        return []


def saved_account_connection(account: Account) -> Connection:
    """A saved account; its secret is read (keyring or this session's memory) on the worker that connects."""

    options = dict(account.options)

    def make() -> Backend:
        return open_saved(replace(account, options=dict(options)))

    # the account's own name too: two accounts on workspaces of the same name must read apart
    where = account.workspace or account.name
    label = f"{service(account.service).name} · {where}" + (f" ({account.name})" if where != account.name else "")
    return Connection(account.service, account.name, make, label=label, saved_account=account, options=options)


def open_saved(account: Account) -> Backend:
    """Worker: the account's backend with its secret from where this app run keeps it.

    A keyring that cannot be used counts as "sign in again": the sign-in dialog then offers to keep
    the secret for this session only, and held uploads wait instead of failing.
    """
    from attache.app.secrets import app_secrets
    from attache.credentials import KeyringUnavailableError

    try:
        store = app_secrets().store_for(account.name)
    except KeyringUnavailableError as error:
        raise AuthenticationError(
            f"The sign-in for {account.name} cannot be read: {error}", account=account.name
        ) from None
    return open_account_backend(account, store)


def backend_for_saved(ref: AccountRef) -> Backend:
    """The engine's way to resume jobs of another saved account (queued by the CLI, say)."""
    try:
        account = AccountStore().get(ref.account)
    except NotFoundError as error:
        raise AuthenticationError(str(error), account=ref.account) from None
    return open_saved(account)
