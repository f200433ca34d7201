"""Start the desktop application: `run_app(sandbox)`.

The window is shown first; connecting (or starting the sandbox) happens on a worker, so the
window appears at once and never freezes while a server is slow.
"""

from __future__ import annotations

import logging
import sys

from attache.appid import APP_ID

log = logging.getLogger(__name__)

APP_NAME = "Attaché"
ORGANISATION = "Attaché"
DESKTOP_FILE = APP_ID  # packaging/io.github.attache.Attache.desktop: the taskbar finds its icon


def configure_application(app) -> None:
    """Names, icon and look for a QApplication (the tests' one too)."""
    from attache.appid import version
    from attache.ui import theme

    app.setApplicationName(APP_NAME)
    app.setApplicationDisplayName(APP_NAME)
    app.setOrganizationName(ORGANISATION)
    app.setApplicationVersion(version())
    app.setDesktopFileName(DESKTOP_FILE)
    app.setWindowIcon(theme.app_icon())
    theme.apply(app)
    # Workers are Python threads on the same cores: they yield the cores to the GUI thread, and
    # with the default 5 ms switch interval and a dozen of them busy the GUI thread could wait
    # several turns for the interpreter. 0.2 ms keeps every wait short
    # (bench_ui responsive, 6 runs each: p99 ~23 ms against ~26 at 1 ms and more at 5 ms; max
    # 41-61 against 45-78 ms; the uploads moved no fewer bytes).
    sys.setswitchinterval(0.0002)
    from attache.core import priorities

    priorities.prefer_gui_thread()


def create_window(*, sandbox: bool = False, service: str | None = None, restore: bool = True):
    """The main window, connecting to the sandbox, the environment's account, or nothing yet."""
    from attache.ui.main_window import MainWindow

    window = MainWindow(restore=restore, sandboxes_apart=True)
    start_connecting(window, sandbox=sandbox, service=service)
    return window


def start_connecting(window, *, sandbox: bool = False, service: str | None = None, started=None) -> None:
    """Open the sandbox (`started`: its process, started already), the environment's account,
    the last saved account, or nothing."""
    from attache.app.connections import connection_from_env, saved_account_connection, saved_accounts
    from attache.core.services import DEFAULT_SERVICE
    from attache.ui import settings

    if sandbox:
        window.open_sandbox(service or DEFAULT_SERVICE, started=started)
        return
    connection = connection_from_env()
    if connection is None:
        accounts = saved_accounts()
        last = settings.last_account()
        account = next((a for a in accounts if a.name == last), accounts[0] if accounts else None)
        if account is not None:
            connection = saved_account_connection(account)
    if connection is not None:
        window.open_connection(connection)


def run_app(sandbox: bool = False, service: str | None = None, files: list | None = None, sandbox_process=None) -> int:
    """The window; with `files`, staged for the user to choose where they go. A second start
    (not on the sandbox) hands its files to the window already running and exits 0.
    `sandbox_process`: the sandbox's own process (`attache.app.sandbox_process`), started before
    the window was built; the window's sandboxes run apart from it either way."""
    from PySide6.QtCore import Qt

    from attache.ui.pyside_imports import lighten_feature_checks

    lighten_feature_checks()  # first: PySide6 checks each module imported from here on
    from PySide6.QtWidgets import QApplication

    from attache.ui import tasks

    if not logging.getLogger().handlers:  # started without the CLI: the same log file as `attache -v` writes
        from attache.logs import configure_logging

        configure_logging(echo=True)
    QApplication.setHighDpiScaleFactorRoundingPolicy(Qt.HighDpiScaleFactorRoundingPolicy.PassThrough)
    app = QApplication.instance() or QApplication(sys.argv)
    configure_application(app)
    from attache.ui.main_window import MainWindow

    instance = None
    if not sandbox:  # a sandbox window is a throwaway: it neither hands over nor takes files
        from attache.ui.single_instance import SingleInstance, hand_over

        if hand_over(list(files or [])):
            log.info("Attaché is already running: handed over %d file(s)", len(files or []))
            return 0
        instance = SingleInstance(parent=app)
        instance.listen()
    window = MainWindow(sandboxes_apart=True)
    window.show()
    if instance is not None:
        instance.filesReceived.connect(window.open_files.stage)
    stop_watching = _quit_on_terminate(app, window)  # before connecting: a SIGTERM at any time closes cleanly
    _once_painted(window, lambda: start_connecting(window, sandbox=sandbox, service=service, started=sandbox_process))
    if files:
        window.open_files.stage(list(files))
    try:
        return app.exec()
    finally:
        stop_watching()
        if instance is not None:
            instance.close()
        tasks.shutdown()
        if sandbox_process is not None:  # the window never got to it (or stopped it already)
            sandbox_process.stop()


FIRST_PAINT_WAIT_MS = 500  # a window not painted by then (started minimised, say) connects anyway


def _once_painted(window, start) -> None:
    """`start()` once, just after the window's first paint (or FIRST_PAINT_WAIT_MS after now).

    Connecting starts workers that import the client's and the sandbox's code; imports hold the
    GIL, so started before the first paint they made the GUI thread wait for it turn by turn
    (show → paint took 120-180 ms on 2 cores, 35-70 ms with the workers started after it)."""
    from PySide6.QtCore import QEvent, QObject, QTimer

    class FirstPaint(QObject):
        def eventFilter(self, obj, event) -> bool:
            if event.type() == QEvent.Type.Paint:
                timer.start(0)  # just after this paint, not inside it
            return False

    def fire() -> None:
        window.removeEventFilter(watcher)
        start()

    watcher = FirstPaint(window)  # the window's child: gone with it, and its timer too
    timer = QTimer(watcher)
    timer.setSingleShot(True)
    timer.timeout.connect(fire)
    window.installEventFilter(watcher)
    timer.start(FIRST_PAINT_WAIT_MS)


def _quit_on_terminate(app, window):
    """SIGTERM (a logout, `kill`) closes the window as Quit does, without asking: the queue is
    durable and resumes next time. Python runs signal handlers only between bytecodes, and Qt's
    loop runs none while idle, so the signal also writes to a socket Qt watches; the window
    closes when Qt reports it."""
    import signal
    import socket

    from PySide6.QtCore import QSocketNotifier

    if not hasattr(signal, "SIGTERM") or not hasattr(socket, "socketpair"):
        return lambda: None
    receiver, sender = socket.socketpair()
    receiver.setblocking(False)
    sender.setblocking(False)

    received: list[int] = []

    def record(signum, frame) -> None:
        # Python runs this between any two bytecodes of the GUI thread, a paint's included:
        # only note it here, and close from the event loop below.
        received.append(signum)

    def wake() -> None:
        receiver.recv(64)
        if received:
            log.info("asked to stop (signal %s): closing", received[0])
            window.quit_now()
            app.quit()

    previous_fd = signal.set_wakeup_fd(sender.fileno())
    previous_handler = signal.signal(signal.SIGTERM, record)
    notifier = QSocketNotifier(receiver.fileno(), QSocketNotifier.Type.Read, app)
    notifier.activated.connect(wake)

    def stop() -> None:
        notifier.setEnabled(False)
        signal.signal(signal.SIGTERM, previous_handler)
        signal.set_wakeup_fd(previous_fd)
        receiver.close()
        sender.close()

    return stop
