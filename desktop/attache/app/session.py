"""Opening a connection for the window: backend, workspace and transfer engine, on a worker."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from attache.app.connections import Connection
from attache.app.engine import window_engine
from attache.core.models import Entity

if TYPE_CHECKING:
    from attache.backends.base import Backend
    from attache.transfers import TransferEngine


@dataclass
class OpenSession:
    """A connection that has opened: its backend, the workspace it signed in to, its engine."""

    connection: Connection
    backend: Backend
    workspace: Entity
    engine: TransferEngine


def open_session(connection: Connection, *, workers: int) -> OpenSession:
    """Worker: make the backend, check the account (it names its workspace), open the journal."""
    backend = connection.make_backend()
    try:
        workspace = backend.workspace()
        engine = window_engine(connection, workers=workers)
    except BaseException:
        backend.close()
        raise
    return OpenSession(connection, backend, workspace, engine)
