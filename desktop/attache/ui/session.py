"""Where the window's backend comes from: an account, the environment, or the built-in sandbox.

Qt-free on purpose: these run on worker threads.
"""

from __future__ import annotations

import logging
import os
import tempfile
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from attache.core.errors import AttacheError

log = logging.getLogger(__name__)

URL_ENV = "ATTACHE_URL"
TOKEN_ENV = "ATTACHE_TOKEN"
DEFAULT_AWORK_URL = "https://api.awork.com/api/v1"


@dataclass
class Connection:
    """How to make a backend for one account, and what to clean up when it closes."""

    service: str
    account: str
    make_backend: Callable[[], object]
    journal_path: Path | None = None  # None: the user's own queue (app data)
    label: str = ""  # shown in the window: "awork · sandbox"
    closers: list[Callable[[], None]] = field(default_factory=list)
    saved_account: object = None  # the attache.core.accounts.Account this connection opens, if any

    def close(self) -> None:
        for closer in reversed(self.closers):
            try:
                closer()
            except Exception:  # noqa: BLE001
                log.exception("closing %s failed", self.label or self.account)
        self.closers.clear()


def awork_connection(url: str, token: str, *, label: str | None = None) -> Connection:
    from urllib.parse import urlsplit

    url = url.strip() or DEFAULT_AWORK_URL
    account = urlsplit(url).netloc or url

    def make():
        from attache.backends.awork import AworkBackend

        return AworkBackend(url, token=token, account=account)

    return Connection("awork", account, make, label=label or f"awork · {account}")


def connection_from_env() -> Connection | None:
    token = os.environ.get(TOKEN_ENV, "").strip()
    if not token:
        return None
    return awork_connection(os.environ.get(URL_ENV, DEFAULT_AWORK_URL), token)


def start_sandbox() -> Connection:
    """Worker thread: start the in-process awork sandbox on a free loopback port, demo data seeded."""
    try:
        from attache.sandbox import SandboxServer
    except ImportError as error:  # pragma: no cover - the sandbox ships with the app
        raise AttacheError("The built-in sandbox is not available in this build", detail=repr(error)) from None
    folder = tempfile.TemporaryDirectory(prefix="attache-sandbox-queue-")
    try:
        server = SandboxServer(host="127.0.0.1", port=0).start()  # its own temporary data, seeded
    except BaseException:
        folder.cleanup()
        raise
    base_url, token = server.base_url, server.token

    def make():
        from attache.backends.awork import AworkBackend

        return AworkBackend(base_url, token=token, account="sandbox")

    connection = Connection("awork", "sandbox", make, journal_path=Path(folder.name) / "transfers.sqlite3",
                            label="awork · sandbox")
    connection.closers.append(folder.cleanup)
    connection.closers.append(lambda: forget_sandbox_accounts(os.getpid()))
    connection.closers.append(server.stop)
    connection.sandbox = server  # type: ignore[attr-defined]
    return connection


def forget_sandbox_accounts(pid: int | None = None) -> None:
    """Forget the accounts added on a built-in sandbox: this process's, as its sandbox stops
    (`pid`), or, with no pid, those of sandboxes whose process crashed. They cannot open again;
    their secrets were only ever in memory."""
    from attache.core.accounts import AccountStore

    try:
        AccountStore().forget_sandbox_accounts(pid)
    except AttacheError as error:  # a damaged accounts.json: said when the accounts are next listed
        log.warning("could not forget the sandbox's accounts: %s", error)


def saved_accounts() -> list:
    """The accounts saved with `attache account add` (names and URLs only; secrets in the keyring)."""
    try:
        from attache.core.accounts import AccountStore
    except ImportError:  # pragma: no cover
        return []
    try:
        return AccountStore().list()
    except AttacheError as error:
        log.warning("%s", error)
        return []


def saved_account_connection(account) -> Connection:
    """A saved account; its secret is read (keyring or this session's memory) on the worker that connects."""

    def make():
        return open_saved(account)

    label = f"{account.service} · {account.workspace or account.name}"
    return Connection(account.service, account.name, make, label=label, saved_account=account)


def open_saved(account):
    """Worker: the account's backend with its secret from where it is kept (see ui.sign_in.AppSecrets).

    A keyring that cannot be used counts as "sign in again": the sign-in dialog then offers to keep
    the secret for this session only, and held uploads wait instead of failing.
    """
    from attache.backends.factory import open_backend
    from attache.core.errors import AuthenticationError
    from attache.credentials import KeyringUnavailableError
    from attache.ui.sign_in import app_secrets

    try:
        store = app_secrets().store_for(account.name)
    except KeyringUnavailableError as error:
        raise AuthenticationError(f"The sign-in for {account.name} cannot be read: {error}",
                                  account=account.name) from None
    return open_backend(account, store)


def backend_for_saved(account_ref):
    """The engine's way to resume jobs of another saved account (queued by the CLI, say)."""
    from attache.core.accounts import AccountStore
    from attache.core.errors import AuthenticationError, NotFoundError

    try:
        account = AccountStore().get(account_ref.account)
    except NotFoundError as error:
        raise AuthenticationError(str(error), account=account_ref.account) from None
    return open_saved(account)
