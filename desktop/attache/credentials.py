"""Secrets: the OS keyring, and what happens when there is none.

Each account's secret is one keyring entry (service `attache`, username = the account name),
holding a small JSON document (an API key, or OAuth tokens). Nothing secret is ever written
anywhere else. When the keyring is missing, refuses, or does not answer (a locked keyring can
block forever), the caller is told in plain words and may keep the secret in memory for this
session only — never in a file.
"""

from __future__ import annotations

import json
import logging
import threading
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Protocol, TypeVar, cast

from attache.core.errors import AttacheError

KEYRING_SERVICE = "attache"
_PROBE_USER = "__attache_probe__"
log = logging.getLogger(__name__)
T = TypeVar("T")


class KeyringUnavailableError(AttacheError):
    """No usable OS keyring: the user may keep secrets for this session only, or cancel."""


class SecretStore(Protocol):
    persistent: bool  # False: gone when the app quits
    description: str  # for the user: where the secret goes

    def load(self, account: str) -> dict[str, Any] | None: ...

    def save(self, account: str, secret: dict[str, Any]) -> None: ...

    def delete(self, account: str) -> None: ...


@dataclass(frozen=True, slots=True)
class KeyringStatus:
    usable: bool
    backend: str  # e.g. "SecretService Keyring"
    message: str  # plain words for the user


def probe_keyring(timeout: float = 5.0) -> KeyringStatus:
    """Ask the keyring once, with a time limit; call it off the GUI thread."""
    import keyring
    from keyring.backends import fail, null

    backend = keyring.get_keyring()
    name = _backend_name(backend)
    if isinstance(backend, (fail.Keyring, null.Keyring)) or _only_fallbacks(backend):
        return KeyringStatus(
            False,
            name,
            "No password manager (keyring) was found on this system, "
            "so Attaché cannot remember your sign-in between sessions.",
        )
    try:
        _with_timeout(lambda: backend.get_password(KEYRING_SERVICE, _PROBE_USER), timeout)
    except TimeoutError:
        return KeyringStatus(
            False, name, f"The password manager ({name}) did not answer within {timeout:g} s; it may be locked."
        )
    except Exception as error:  # noqa: BLE001 - keyring backends raise many kinds
        reason = "it is locked" if type(error).__name__ == "KeyringLocked" else str(error) or type(error).__name__
        return KeyringStatus(False, name, f"The password manager ({name}) cannot be used: {reason}.")
    return KeyringStatus(True, name, f"Sign-in details are stored in your password manager ({name}).")


class KeyringStore:
    """Secrets in the OS keyring; every call has a time limit so nothing hangs forever."""

    persistent = True

    def __init__(self, timeout: float = 10.0) -> None:
        import keyring

        self._backend = keyring.get_keyring()
        self._timeout = timeout
        self.description = f"your password manager ({_backend_name(self._backend)})"

    def load(self, account: str) -> dict[str, Any] | None:
        text = self._call(lambda: self._backend.get_password(KEYRING_SERVICE, account))
        if not text:
            return None
        try:
            data = json.loads(text)
        except ValueError:
            data = None
        return (
            data if isinstance(data, dict) else {"api_key": text}
        )  # a bare key stored by hand  # a bare key stored by hand with secret-tool

    def save(self, account: str, secret: dict[str, Any]) -> None:
        payload = json.dumps(secret, separators=(",", ":"))
        self._call(lambda: self._backend.set_password(KEYRING_SERVICE, account, payload))

    def delete(self, account: str) -> None:
        from keyring.errors import PasswordDeleteError

        def remove() -> None:
            try:
                self._backend.delete_password(KEYRING_SERVICE, account)
            except PasswordDeleteError:
                pass  # nothing stored: already gone

        self._call(remove)

    def _call(self, fn: Callable[[], T]) -> T:
        try:
            return _with_timeout(fn, self._timeout)
        except TimeoutError:
            raise KeyringUnavailableError("The password manager did not answer; it may be locked.") from None
        except KeyringUnavailableError:
            raise
        except Exception as error:  # noqa: BLE001 - any backend failure means: no usable keyring
            # The keyring's own message never contains the secret, but keep it out of the text anyway.
            raise KeyringUnavailableError(
                f"The password manager refused the request ({type(error).__name__})."
            ) from None


class MemoryStore:
    """Secrets kept for this session only, when the user chose that over having no keyring."""

    persistent = False
    description = "memory, for this session only"

    def __init__(self) -> None:
        self._secrets: dict[str, dict[str, Any]] = {}
        self._lock = threading.Lock()

    def load(self, account: str) -> dict[str, Any] | None:
        with self._lock:
            secret = self._secrets.get(account)
            return dict(secret) if secret else None

    def save(self, account: str, secret: dict[str, Any]) -> None:
        with self._lock:
            self._secrets[account] = dict(secret)

    def delete(self, account: str) -> None:
        with self._lock:
            self._secrets.pop(account, None)


def open_secret_store(*, allow_memory: bool = False, timeout: float = 5.0) -> SecretStore:
    """The keyring when it works; memory only when the user said so; otherwise a clear error."""
    status = probe_keyring(timeout)
    if status.usable:
        return KeyringStore()
    if allow_memory:
        log.warning("keyring unusable (%s); keeping secrets in memory for this session", status.backend)
        return MemoryStore()
    raise KeyringUnavailableError(status.message + " Choose to keep it for this session only, or cancel.")


def _with_timeout(fn: Callable[[], T], timeout: float) -> T:
    """Run fn on a daemon thread; a blocked D-Bus call must not block us (or quitting)."""
    result: list[Any] = []
    failure: list[BaseException] = []

    def run() -> None:
        try:
            result.append(fn())
        except BaseException as error:  # noqa: BLE001 - handed to the caller's thread
            failure.append(error)

    worker = threading.Thread(target=run, name="keyring-call", daemon=True)
    worker.start()
    worker.join(timeout)
    if worker.is_alive():
        raise TimeoutError
    if failure:
        raise failure[0]
    return cast(T, result[0])


def _backend_name(backend: object) -> str:
    name = getattr(backend, "name", None) or type(backend).__name__
    return str(name)


def _only_fallbacks(backend: object) -> bool:
    """A chainer holding nothing but fail/null backends is no keyring at all."""
    from keyring.backends import chainer, fail, null

    if isinstance(backend, chainer.ChainerBackend):
        return all(isinstance(b, (fail.Keyring, null.Keyring)) for b in backend.backends)
    return False
