"""Building the transfer engine: which journal, and how it opens a job's account.

A job names its account (`AccountRef`): a saved account by name, or an API's URL for a token
given in $ATTACHE_TOKEN. The engine asks `backend_for` each time a job needs a backend.
"""

from __future__ import annotations

import os
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


def window_engine(connection: Connection, *, workers: int) -> TransferEngine:
    """The window's engine: its connection's jobs, and on the user's own queue, other saved
    accounts' jobs too. A refused sign-in holds the account's uploads until the user signs in
    again instead of failing them."""
    from attache.app.connections import backend_for_saved
    from attache.transfers import Journal, TransferEngine

    journal = Journal(connection.journal_path) if connection.journal_path else Journal()
    mine = connection.ref

    def backend_for(ref: AccountRef) -> Backend:
        if ref == mine:
            return connection.make_backend()
        sibling = connection.siblings.get(ref)
        if sibling is not None:
            return sibling()
        if connection.journal_path is None:  # the user's own queue: other saved accounts can resume
            try:
                return backend_for_saved(ref)
            except AttacheError:
                pass
        raise AuthenticationError(
            f"Sign in to {ref.service} account {ref.account} to continue this upload", account=ref.account
        )

    return TransferEngine(journal, backend_for, workers=workers, hold_on_sign_in=True)
