"""Building the transfer engine: which journal, and how it opens a job's account.

A job names its account (`AccountRef`): a saved account by name, or an API's URL for a token
given in $ATTACHE_TOKEN. The engine asks `backend_for` each time a job needs a backend.
"""

from __future__ import annotations

import os
import threading
from collections.abc import Callable
from typing import TYPE_CHECKING

from attache.core.accounts import AccountRef
from attache.core.errors import AttacheError, AuthenticationError

if TYPE_CHECKING:
    from attache.app.connections import Connection
    from attache.backends.base import Backend
    from attache.transfers import TransferEngine


def is_url_ref(ref: AccountRef) -> bool:
    return ref.account.startswith(("http://", "https://"))


def backend_for_ref(ref: AccountRef) -> Backend:
    """A job's backend, outside a window: a URL with $ATTACHE_TOKEN, or a saved account."""
    from attache.app.connections import TOKEN_ENV, backend_for_saved, token_connection

    if is_url_ref(ref):
        token = os.environ.get(TOKEN_ENV, "").strip()
        if not token:
            raise AuthenticationError(f"Set {TOKEN_ENV} to upload to {ref.account}", account=ref.account)
        return token_connection(ref.service, ref.account, token).make_backend()
    return backend_for_saved(ref)


class WindowBackends:
    """How a window's engine opens each job's account: the connections the window opened (the
    latest one of an account wins), their siblings, and on the user's own queue any other saved
    account. One window keeps one engine on the user's queue while it switches accounts, so every
    account's transfers stay listed and keep running."""

    def __init__(self, connection: Connection) -> None:
        self.own_queue = connection.journal_path is None
        self._lock = threading.Lock()
        self._opens: dict[AccountRef, Callable[[], Backend]] = {}
        self.add(connection)

    def add(self, connection: Connection) -> bool:
        """Reach `connection`'s account (and its siblings) from now on; True when an account that
        was reached another way before is now reached through this connection."""
        with self._lock:
            replaced = connection.ref in self._opens and self._opens[connection.ref] is not connection.make_backend
            self._opens.update(connection.siblings)
            self._opens[connection.ref] = connection.make_backend
        return replaced

    def __call__(self, ref: AccountRef) -> Backend:
        from attache.app.connections import backend_for_saved

        with self._lock:
            opens = self._opens.get(ref)
        if opens is not None:
            return opens()
        if self.own_queue:  # the user's own queue: other saved accounts can resume
            try:
                return backend_for_saved(ref)
            except AttacheError:
                pass
        raise AuthenticationError(
            f"Sign in to {ref.service} account {ref.account} to continue this transfer", account=ref.account
        )


def cancel_sandbox_jobs(engine: TransferEngine, connection: Connection) -> None:
    """Worker: the built-in sandbox `connection` runs on stops while the window's engine goes on
    with another account: its transfers (its demo account's and those of accounts added on it)
    end, cancelled, and its `close()` then removes them from the queue."""
    on_sandbox = connection.sandbox_refs
    engine.cancel([job.id for job in engine.jobs() if job.account in on_sandbox and not job.finished])


def window_engine(connection: Connection, *, workers: int) -> tuple[TransferEngine, WindowBackends]:
    """The window's engine: its connection's jobs, and on the user's own queue, other saved
    accounts' jobs too. A refused sign-in holds the account's uploads until the user signs in
    again instead of failing them. `WindowBackends.add` lets it serve the next account opened
    on the same queue."""
    from attache.app.connections import forget_sandbox_accounts
    from attache.transfers import Journal, TransferEngine

    journal = Journal(connection.journal_path) if connection.journal_path else Journal()
    if connection.journal_path is None:  # and the jobs of sandboxes whose process crashed: they cannot run
        forget_sandbox_accounts(journal=journal)
    backends = WindowBackends(connection)
    return TransferEngine(journal, backends, workers=workers, hold_on_sign_in=True), backends
