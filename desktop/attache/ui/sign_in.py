"""Signing in, signing out and where secrets go, for the window. Qt-free: these run on workers.

`AppSecrets` is the app run's view of the keyring: it is probed once (on a worker, with the
probe's own time limit), and a `MemoryStore` shared by the whole run holds the secrets the user
chose to keep "for this session only" when there is no usable keyring. Nothing secret is ever
written to a file here.
"""

from __future__ import annotations

import logging
import os
import threading
from collections.abc import Callable
from dataclasses import dataclass, replace
from typing import Any
from urllib.parse import urlsplit

from attache.core.accounts import SERVICES, Account, AccountStore
from attache.core.errors import (
    AttacheError,
    AuthenticationError,
    CancelledError,
    InvalidInputError,
    NetworkError,
    NotFoundError,
    ProtocolError,
)
from attache.credentials import KeyringStatus, KeyringUnavailableError, MemoryStore, SecretStore, probe_keyring

log = logging.getLogger(__name__)

SERVICE_NAMES = {"awork": "awork", "onlyoffice": "ONLYOFFICE", "superoffice": "SuperOffice"}
AVAILABLE_SERVICES = ("awork",)  # the others are in the model, "coming soon"
PROBE_TIMEOUT = 5.0


class AppSecrets:
    """The keyring as this app run found it, plus the run's session-only memory store."""

    def __init__(self, probe: Callable[[float], KeyringStatus] = probe_keyring, timeout: float = PROBE_TIMEOUT) -> None:
        self.memory = MemoryStore()
        self._probe = probe
        self._timeout = timeout
        self._status: KeyringStatus | None = None
        self._keyring = None
        self._lock = threading.Lock()

    # ---- the keyring (worker threads only: a locked keyring can block)

    def status(self) -> KeyringStatus:
        """Probe once per app run; later calls return the first answer at once."""
        with self._lock:
            if self._status is None:
                try:
                    self._status = self._probe(self._timeout)
                except Exception as error:  # noqa: BLE001 — a broken backend is "no keyring", in words
                    log.warning("keyring probe failed: %s", type(error).__name__)
                    self._status = KeyringStatus(False, type(error).__name__,
                                                 "The password manager (keyring) could not be used on this system.")
                log.info("keyring: %s (%s)", "usable" if self._status.usable else "unusable", self._status.backend)
            return self._status

    def known_status(self) -> KeyringStatus | None:
        """The probe's answer if there is one yet (GUI thread: never probes)."""
        return self._status

    def keyring(self) -> SecretStore:
        status = self.status()
        if not status.usable:
            raise KeyringUnavailableError(status.message)
        with self._lock:
            if self._keyring is None:
                from attache.credentials import KeyringStore

                self._keyring = KeyringStore()
            return self._keyring

    def store_for_new(self, session_only: bool) -> SecretStore:
        """Where a new sign-in goes: the keyring, or memory when the user chose that."""
        return self.memory if session_only else self.keyring()

    def store_for(self, name: str) -> SecretStore:
        """Where this account's secret is now: memory (session only) first, else the keyring."""
        if self.memory.load(name) is not None:
            return self.memory
        return self.keyring()

    def is_session_only(self, name: str) -> bool:
        return self.memory.load(name) is not None

    def delete(self, name: str) -> None:
        """Forget an account's secret wherever it is."""
        self.memory.delete(name)
        if self.status().usable:
            self.keyring().delete(name)


_app_secrets: AppSecrets | None = None
_app_lock = threading.Lock()


def app_secrets() -> AppSecrets:
    global _app_secrets
    with _app_lock:
        if _app_secrets is None:
            _app_secrets = AppSecrets()
        return _app_secrets


def reset_app_secrets(secrets: AppSecrets | None = None) -> None:
    """A new app run as far as secrets go (tests)."""
    global _app_secrets
    with _app_lock:
        _app_secrets = secrets


# ---------------------------------------------------------------------------- signing in


@dataclass(frozen=True, slots=True)
class SignInResult:
    account: Account
    workspace: str
    where: str  # where the secret went, for the user: "your password manager (…)"
    session_only: bool


def normalise_url(url: str) -> str:
    url = url.strip().rstrip("/")
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.netloc:
        raise InvalidInputError("Enter the API URL, starting with https:// (for awork: https://api.awork.com/api/v1).")
    return url


def check_token(base_url: str, token: str, account: str = "new account"):
    """GET /me with this token; returns the workspace it opens. Retries once at most: the user waits."""
    from attache.backends.awork import AworkBackend
    from attache.backends.http import (
        RETRY_METHODS,
        RETRY_STATUSES,
        RateLimitAwareRetry,
        read_body_unless_streamed,
    )

    quick = RateLimitAwareRetry(total=1, backoff_factor=0.3, max_backoff_wait=3.0, allowed_methods=RETRY_METHODS,
                                status_forcelist=RETRY_STATUSES, validate_response=read_body_unless_streamed)
    backend = AworkBackend(base_url, token=token, account=account, retry=quick)
    try:
        return backend.workspace()
    finally:
        backend.close()


def sign_in(
    secrets: AppSecrets,
    *,
    name: str,
    service: str,
    base_url: str,
    session_only: bool,
    on_sandbox: bool = False,
    api_key: str | None = None,
    browser: Callable[[str], object] | None = None,
    cancelled: Callable[[], bool] = lambda: False,
    existing: Account | None = None,
    store: AccountStore | None = None,
    timeout: float = 300.0,
) -> SignInResult:
    """Worker: sign in with an API key (checked with GET /me first) or through the browser, then
    save the secret and the account. With `existing`, this is that account signing in again.
    `on_sandbox`: the URL is the window's built-in sandbox, so the secret stays in memory and the
    account is forgotten when the sandbox stops."""
    store = store or AccountStore()
    if service not in AVAILABLE_SERVICES:
        raise InvalidInputError(f"{SERVICE_NAMES.get(service, service)} accounts are coming soon.")
    base_url = normalise_url(base_url)
    name = name.strip()
    if existing is None and name and any(a.name == name for a in store.list()):
        raise InvalidInputError(f"There is already an account named “{name}”. Choose another name.")
    if api_key is not None:
        api_key = api_key.strip()
        if not api_key:
            raise InvalidInputError("Paste an API key, or sign in with awork in the browser.")
        secret: dict[str, Any] = {"type": "api_key", "api_key": api_key}
        token, auth = api_key, "api_key"
    else:
        from attache.backends.awork_oauth import sign_in_with_browser

        previous = _previous_secret(secrets, existing.name) if existing is not None else {}
        secret = sign_in_with_browser(base_url, open_url=browser or _no_browser, client_id=previous.get("client_id"),
                                      redirect_uri=previous.get("redirect_uri"), timeout=timeout, cancelled=cancelled)
        token, auth = secret["access_token"], "oauth"
    if cancelled():
        raise CancelledError("Sign-in was cancelled.")
    workspace = check_token(base_url, token, name or "new account")  # the key works before it is saved
    if cancelled():
        raise CancelledError("Sign-in was cancelled.")
    if existing is None and not name:
        name = _unique_name(workspace.name or urlsplit(base_url).netloc, store)
    on_sandbox = on_sandbox or (existing is not None and existing.on_sandbox)
    target = secrets.memory if on_sandbox else secrets.store_for_new(session_only)
    target.save(name, secret)
    if target is not secrets.memory:
        secrets.memory.delete(name)  # a keyring entry now: no stale session copy shadows it
    account = (replace(existing, auth=auth, workspace=workspace.name) if existing is not None
               else Account(name, service, base_url, auth=auth, workspace=workspace.name,
                            sandbox_pid=os.getpid() if on_sandbox else 0))
    store.add(account)
    return SignInResult(account, workspace.name, target.description, not target.persistent)


def _previous_secret(secrets: AppSecrets, name: str) -> dict[str, Any]:
    """The old sign-in's client registration, to reuse; nothing when it cannot be read."""
    try:
        return secrets.store_for(name).load(name) or {}
    except AttacheError:
        return {}


def _no_browser(url: str) -> None:
    import webbrowser

    webbrowser.open(url)


def _unique_name(base: str, store: AccountStore) -> str:
    taken = {a.name for a in store.list()}
    base = base.strip() or "awork"
    name, number = base, 2
    while name in taken:
        name, number = f"{base} {number}", number + 1
    return name


def sign_out(secrets: AppSecrets, name: str, *, remove: bool = False, store: AccountStore | None = None) -> None:
    """Worker: delete the account's secret; with `remove`, the account too."""
    secrets.delete(name)
    if remove:
        try:
            (store or AccountStore()).remove(name)
        except NotFoundError:
            pass


def plain_error(error: BaseException, *, with_key: bool = False, base_url: str = "") -> str:
    """A sentence for the sign-in dialog: what went wrong and what to do; never a traceback or a secret."""
    host = urlsplit(base_url).netloc or base_url or "the server"
    if isinstance(error, CancelledError):
        return "Sign-in was cancelled."
    if isinstance(error, KeyringUnavailableError):
        return str(error)
    if isinstance(error, AuthenticationError):
        if with_key:
            return ("awork did not accept this API key. Check that you copied all of it and that it has not "
                    "been deleted in awork.")
        text = str(error)
        if "refused in the browser" in text:
            return "Access was not allowed in the browser. Try again and choose Allow."
        return text
    if isinstance(error, NetworkError):
        return f"Cannot connect to {host}. Check the API URL and your internet connection. ({error})"
    if isinstance(error, (ProtocolError, NotFoundError)):
        return (f"{host} did not answer like awork's API. Check the API URL "
                "(awork's is https://api.awork.com/api/v1).")
    if isinstance(error, AttacheError):
        return str(error)
    log.error("sign-in failed unexpectedly", exc_info=error)
    return f"Something went wrong while signing in ({type(error).__name__}). The details are in the log."


def default_url(service: str) -> str:
    return SERVICES.get(service, "")
