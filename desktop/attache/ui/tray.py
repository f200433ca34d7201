"""The system tray: transfer progress in the icon's tooltip, notifications, and — when the user
opts in (View › Keep Running in the Tray) — a window that hides on close instead of quitting,
so uploads go on. File › Quit and the tray's Quit still quit."""

from __future__ import annotations

from PySide6.QtCore import QEvent, QObject, QTimer
from PySide6.QtGui import QAction
from PySide6.QtWidgets import QApplication, QMainWindow, QMenu, QSystemTrayIcon

from attache.ui import settings, theme

TICK_MS = 1000


def progress_text(jobs) -> str:
    """ "Attaché — 3 transfers, 42 %" while transfers run; "Attaché" when idle."""
    active = [job for job in jobs if not job.finished_state]
    if not active:
        return "Attaché"
    total = sum(job.total_bytes or 0 for job in active)
    done = sum(min(job.done_bytes, job.total_bytes or 0) for job in active)
    count = f"{len(active)} transfer{'s' if len(active) != 1 else ''}"
    return f"Attaché — {count}, {round(100 * done / total)} %" if total else f"Attaché — {count}"


def _menu(window: QMainWindow, title: str) -> QMenu:
    bar = window.menuBar()
    for action in bar.actions():
        if action.menu() is not None and action.text().replace("&", "") == title:
            return action.menu()
    return bar.addMenu(f"&{title}")


class Tray(QObject):
    def __init__(self, window: QMainWindow) -> None:
        super().__init__(window)
        self.window = window
        self.icon = QSystemTrayIcon(theme.app_icon(), window)
        self.icon.setToolTip("Attaché")
        menu = QMenu(window)
        menu.addAction("Show Attaché", self.show_window)
        menu.addSeparator()
        menu.addAction("Quit", self.quit)
        self.icon.setContextMenu(menu)
        self.icon.activated.connect(self._activated)
        self._quit_requested = False
        self._told = False

        self.keep_action = QAction("Keep Running in the &Tray", window)
        self.keep_action.setCheckable(True)
        self.keep_action.setChecked(settings.keep_in_tray())
        self.keep_action.setStatusTip("Closing the window leaves Attaché in the system tray; uploads go on")
        self.keep_action.toggled.connect(self.set_keep_running)
        _menu(window, "View").addAction(self.keep_action)

        quit_action = getattr(window, "quit_action", None)
        if quit_action is not None:  # File › Quit quits even when closing only hides
            quit_action.triggered.disconnect()
            quit_action.triggered.connect(lambda checked=False: self.quit())

        self.timer = QTimer(self)
        self.timer.setInterval(TICK_MS)
        self.timer.timeout.connect(self.update_progress)
        queue = window.queue
        queue.jobAdded.connect(lambda _job: self._transfers_changed())
        queue.jobFinished.connect(lambda _job: self._transfers_changed())
        window.installEventFilter(self)
        self._apply_keep_running(self.keep_action.isChecked())  # as saved: nothing to write

    @staticmethod
    def available() -> bool:
        return QSystemTrayIcon.isSystemTrayAvailable()

    @property
    def keeps_running(self) -> bool:
        return self.keep_action.isChecked() and self.available()

    def set_keep_running(self, keep: bool) -> None:
        settings.set_keep_in_tray(keep)
        self._apply_keep_running(keep)

    def _apply_keep_running(self, keep: bool) -> None:
        QApplication.setQuitOnLastWindowClosed(not keep)  # a hidden window is no reason to quit
        self.icon.setVisible(keep and self.available())

    def update_progress(self) -> None:
        text = progress_text(self.window.queue.jobs())
        self.icon.setToolTip(text)
        if text == "Attaché":
            self.timer.stop()

    def _transfers_changed(self) -> None:
        self.update_progress()
        if self.window.queue.active_count() and not self.timer.isActive():
            self.timer.start()

    def notify(self, title: str, text: str) -> bool:
        """A tray balloon (the icon shows while it is up); False where there is no tray."""
        if not (self.available() and QSystemTrayIcon.supportsMessages()):
            return False
        self.icon.show()
        self.icon.showMessage(title, text, theme.app_icon(), 8000)
        return True

    def hide(self) -> None:
        self.icon.hide()

    # ------------------------------------------------------------------ the window

    def show_window(self) -> None:
        window = self.window
        window.showNormal()
        window.raise_()
        window.activateWindow()

    def _activated(self, reason) -> None:
        if reason in (QSystemTrayIcon.ActivationReason.Trigger, QSystemTrayIcon.ActivationReason.DoubleClick):
            if self.window.isVisible() and self.window.isActiveWindow():
                self.window.hide()
            else:
                self.show_window()

    def quit(self) -> None:
        """Quit for real: the window's own close runs (with its question about running transfers)."""
        self._quit_requested = True
        window = self.window
        window.close()
        if getattr(window, "_quitting", False):
            self.icon.hide()
            if not QApplication.quitOnLastWindowClosed():  # kept running: closing alone would not quit
                QApplication.quit()
        else:
            self._quit_requested = False  # the user chose to keep the transfers running

    def eventFilter(self, watched, event) -> bool:
        if (
            watched is self.window
            and event.type() == QEvent.Type.Close
            and self.keeps_running
            and not self._quit_requested
            and not getattr(self.window, "_quitting", False)
        ):
            event.ignore()
            self.window.hide()
            if not self._told:
                self._told = True
                self.notify("Attaché is still running", "Uploads go on; the tray icon brings the window back.")
            return True
        return super().eventFilter(watched, event)
