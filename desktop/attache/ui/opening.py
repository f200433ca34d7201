"""Opening an account for the window: start the built-in sandbox, connect, on workers.

A window that closes while a sandbox starts or a connection opens leaves nothing behind: the
worker sees the stop event and closes what it made, or, when it finished first, the window
closes it (`cancel`).
"""

from __future__ import annotations

import logging
import sys
import threading

from PySide6.QtCore import QObject
from PySide6.QtGui import QGuiApplication
from PySide6.QtWidgets import QMainWindow

from attache.app.connections import Connection
from attache.core.errors import AttacheError, AuthenticationError, CancelledError
from attache.core.services import DEFAULT_SERVICE, display_name
from attache.ui import tasks
from attache.ui.messagebar import INFO

log = logging.getLogger(__name__)

UPLOAD_WORKERS = 4  # uploads in parallel (the engine's workers); a common default of transfer tools
OPENING_WAIT_S = 10.0  # how long quitting waits for a connection still opening, to close what it made


class Opener(QObject):
    def __init__(self, window: QMainWindow) -> None:
        super().__init__(window)
        self.window = window
        self._opening: tuple[tasks.TaskHandle, threading.Event, Connection | None] | None = None
        self._announce: Connection | None = None  # the sandbox whose first opening says what it is

    @property
    def busy(self) -> bool:
        """A sandbox is starting or a connection opening."""
        return self._opening is not None

    @property
    def stop_event(self) -> threading.Event | None:
        """Set when the window gives up on what is opening (it closed); None when nothing is."""
        return self._opening[1] if self._opening is not None else None

    def open_connection(self, connection: Connection) -> None:
        """Connect on a worker: make the backend, check the account, open the transfer journal."""
        self.window.empty.set_busy("Connecting…", f"Opening {connection.label or connection.account}")
        self.window.connection_status.connecting(connection.label or connection.account)
        self.window.pages.setCurrentWidget(self.window.empty)
        stop = threading.Event()
        running = self.window.session.running_engine()
        # Beside the opening, not before it: the opening mostly waits for the server.
        tasks.run_task(_warm_up_imports, None, lambda error: None, owner=self)
        handle = tasks.run_task(
            lambda: _open(connection, stop, running),
            self._opened,
            lambda error: self._open_failed(connection, error),
            owner=self,
        )
        self._opening = (handle, stop, connection) if not handle.done else None

    def open_sandbox(self, service_id: str = DEFAULT_SERVICE, *, started=None) -> None:
        from attache.app.connections import prepare_client, start_sandbox, start_sandbox_process

        self.window.empty.set_busy(
            "Starting the sandbox…",
            f"A local {display_name(service_id)} look-alike with demo data, just for this session.",
        )
        self.window.pages.setCurrentWidget(self.window.empty)
        stop = threading.Event()
        apart = started is not None or self.window.sandboxes_apart

        def start() -> Connection:
            log.info("starting the sandbox (%s%s)", service_id, ", in a process of its own" if apart else "")
            if apart:
                return start_sandbox_process(service_id, stop=stop, started=started)
            return start_sandbox(service_id, stop=stop)

        handle = tasks.run_task(start, self._sandbox_started, self._sandbox_failed, owner=self)
        self._opening = (handle, stop, None) if not handle.done else None

        # Meanwhile the client's code and Pillow load on another worker, which the connection would
        # otherwise wait for once the sandbox is up.
        def prepare() -> None:
            prepare_client(service_id)
            _warm_up_imports()

        tasks.run_task(prepare, None, lambda error: None, owner=self)

    def _sandbox_started(self, connection: Connection) -> None:
        self._opening = None
        self._announce = connection
        print(sandbox_note(connection), file=sys.stderr, flush=True)
        self.open_connection(connection)

    def _sandbox_failed(self, error: BaseException) -> None:
        self._opening = None
        self.window.empty.set_idle()
        self.window.show_error(error)

    def _open_failed(self, connection: Connection, error: BaseException) -> None:
        self._opening = None
        connection.close()
        self.window.empty.set_idle()
        self.window._show_empty()
        self.window.show_error(error, action=("Try again", lambda: self.open_connection(connection)))
        self.window.accounts.open_failed(connection, error)
        self._tell_status(connection, error)

    def _tell_status(self, connection: Connection, error: BaseException) -> None:
        """An account that could not open for now retries by itself; one whose sign-in was refused
        offers Sign in; any other failure is the message bar's alone."""
        status = self.window.connection_status
        account = getattr(connection, "saved_account", None)
        if isinstance(error, AuthenticationError):
            sign_in = (lambda: self.window.accounts.sign_in_again(account.name, reopen=True)) if account else None
            status.set_actions(retry=None, sign_in=sign_in)
            status.failed(error)
        elif isinstance(error, AttacheError) and error.transient and connection.journal_path is None:
            status.set_actions(retry=lambda: self.open_connection(connection))
            status.failed(error)
        else:
            status.idle()

    def _opened(self, opened) -> None:
        self._opening = None
        if opened.reused and opened.engine is not self.window.session.engine:  # it closed meanwhile
            tasks.close_later(opened.backend.close)
            self.open_connection(opened.connection)
            return
        self.window.show_session(opened)
        if opened.connection is self._announce:
            self._announce = None  # said once, when the sandbox first opens; dismissable
            self._show_demo_note(opened.connection)

    def _show_demo_note(self, connection: Connection) -> None:
        server = connection.sandbox
        command = sandbox_command(connection)
        self.window.note_bar.show_message(
            f"A local {connection.entry.name} demo with made-up data, gone when you quit · "
            f"API {server.base_url} · token {server.token}",
            INFO,
            timeout_ms=0,
            action=("Copy CLI command", lambda: QGuiApplication.clipboard().setText(command)),
            keep_on_action=True,
        )
        self.window.note_bar.setToolTip(f"Try the command line against it:\n{command}")

    def cancel(self) -> None:
        """Quitting while a sandbox starts or a connection opens: what they made is closed, by the
        worker itself if it finishes later, or here if it already has."""
        if self._opening is None:
            return
        handle, stop, connection = self._opening
        self._opening = None
        handle.cancel()
        stop.set()
        if not handle.wait_ran(OPENING_WAIT_S) or handle.outcome is None:
            return  # the worker sees `stop` when it is done, and closes what it made
        ok, result = handle.outcome
        if not ok:
            if connection is not None:
                connection.close()
        elif connection is None:
            result.close()  # a sandbox that started: its connection stops it and removes its data
        else:
            _close_opened(result)


def sandbox_command(connection: Connection) -> str:
    """A first command line against the built-in sandbox."""
    server, entry = connection.sandbox, connection.entry
    kind = "projects" if any(kind.value == "project" for kind in entry.kinds()) else "users"
    return f"ATTACHE_TOKEN={server.token} attache ls {kind} --service {entry.id} --url {server.base_url}"


def sandbox_note(connection: Connection) -> str:
    """What `attache --sandbox` says on stderr: a demo, and how to reach it."""
    server, entry = connection.sandbox, connection.entry
    return (
        f"This is a local {entry.name} demo with made-up data; it is gone when you quit. "
        f"Its API is {server.base_url} (token {server.token}); try the command line against it: "
        f"{sandbox_command(connection)}"
    )


def _open(connection: Connection, stop: threading.Event, running=None):
    """Worker: backend, workspace (proves URL and token), and the transfer engine on its journal
    (the window's `running` one when it is on the same queue). If the window closed meanwhile
    (`stop`), what was opened is closed here."""
    from attache.app.session import open_session

    tasks.runner().grow_pools()
    try:
        opened = open_session(connection, workers=UPLOAD_WORKERS, running=running)
    except BaseException:
        if stop.is_set():
            connection.close()
        raise
    if stop.is_set():
        _close_opened(opened)
        raise CancelledError("The window closed while the account was opening")
    return opened


def _close_opened(opened) -> None:
    """Any thread: close an opened session (engine, backend, connection) the window never showed;
    an engine it went on with is the window's, closed with the window's account."""
    engine = [] if opened.reused else [lambda: opened.engine.shutdown(timeout=10), opened.engine.journal.close]
    tasks.close_now(*engine, opened.backend.close, opened.connection.close)


def _warm_up_imports() -> None:
    """Import here, on a worker, what workers need later (Pillow above all): an import holds its
    module's lock, and a GUI thread that needed the same module meanwhile would wait for it."""
    import PIL.Image
    import PIL.ImageDraw
    import PIL.ImageOps  # noqa: F401

    import attache.images.cache
    import attache.images.validate
    import attache.ui.imaging  # noqa: F401
