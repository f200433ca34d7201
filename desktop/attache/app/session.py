"""Opening a connection for the window: backend, workspace and transfer engine, on a worker."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from attache.app.connections import Connection
from attache.app.engine import WindowBackends, window_engine
from attache.core.models import Entity

if TYPE_CHECKING:
    from attache.backends.base import Backend
    from attache.transfers import TransferEngine


@dataclass
class OpenSession:
    """A connection that has opened: its backend, the workspace it signed in to, its engine
    (`reused`: the engine the window already ran on the same queue)."""

    connection: Connection
    backend: Backend
    workspace: Entity
    engine: TransferEngine
    backends: WindowBackends
    reused: bool = False


def open_session(
    connection: Connection, *, workers: int, running: tuple[TransferEngine, WindowBackends] | None = None
) -> OpenSession:
    """Worker: make the backend, check the account (it names its workspace), open the journal and
    start its engine, paused.

    `running`: the window's engine on the user's own queue; a connection on that queue too goes on
    with it, so switching accounts neither stops nor hides the other accounts' transfers."""
    backend = connection.make_backend()
    try:
        workspace = backend.workspace()
        if running is not None and connection.journal_path is None and running[1].own_queue:
            engine, backends = running
            if backends.add(connection):
                engine.renew_backend(connection.ref)  # this account's next request: this connection's sign-in
            return OpenSession(connection, backend, workspace, engine, backends, reused=True)
        engine, backends = window_engine(connection, workers=workers)
    except BaseException:
        backend.close()
        raise
    # Started here, paused: recovering what a crashed process left running writes the journal,
    # and each worker thread's start waits for it to run; neither belongs on the GUI thread.
    # The window resumes it when the user wants uploads to go on by themselves.
    try:
        engine.start(paused=True)
    except BaseException:
        engine.shutdown(timeout=10)
        engine.journal.close()
        backend.close()
        raise
    return OpenSession(connection, backend, workspace, engine, backends)
