"""The template an account's uploads are filed under (`Capability.FILE_TEMPLATES`): chosen in the
window, applied to the account's backends and remembered by a saved account."""

from __future__ import annotations

from typing import TYPE_CHECKING

from attache.core.accounts import DOCUMENT_TEMPLATE_OPTION, AccountStore

if TYPE_CHECKING:
    from attache.app.connections import Connection
    from attache.backends.base import Backend
    from attache.transfers import TransferEngine


def choose_file_template(
    connection: Connection, backend: Backend, engine: TransferEngine | None, template_id: str
) -> None:
    """Worker: the account's next uploads are filed under `template_id` ("" for the service's
    default). The window's backend uses it at once, the engine opens a fresh one that reads it,
    and a saved account keeps it (the built-in sandbox's account lives in memory only)."""
    backend.use_file_template(template_id)
    if connection.saved_account is not None:
        AccountStore().set_option(connection.account, DOCUMENT_TEMPLATE_OPTION, template_id)
    if template_id:
        connection.options[DOCUMENT_TEMPLATE_OPTION] = template_id
    else:
        connection.options.pop(DOCUMENT_TEMPLATE_OPTION, None)
    if engine is not None:
        engine.renew_backend(connection.ref)
