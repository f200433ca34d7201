"""The app run's view of the keyring, for the window and the CLI. Qt-free: these run on workers.

`AppSecrets` probes the keyring once per run (on a worker, with the probe's own time limit), and
a `MemoryStore` shared by the whole run holds the secrets the user chose to keep "for this
session only" when there is no usable keyring. Nothing secret is ever written to a file here.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable

from attache.credentials import KeyringStatus, KeyringUnavailableError, MemoryStore, SecretStore, probe_keyring

log = logging.getLogger(__name__)

PROBE_TIMEOUT = 5.0


class AppSecrets:
    """The keyring as this app run found it, plus the run's session-only memory store."""

    def __init__(self, probe: Callable[[float], KeyringStatus] = probe_keyring, timeout: float = PROBE_TIMEOUT) -> None:
        self.memory = MemoryStore()
        self._probe = probe
        self._timeout = timeout
        self._status: KeyringStatus | None = None
        self._keyring: SecretStore | None = None
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
                    self._status = KeyringStatus(
                        False, type(error).__name__, "The password manager (keyring) could not be used on this system."
                    )
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
