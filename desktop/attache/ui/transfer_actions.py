"""The window's part in transfers: the dock's title, the speed limit, pausing and resuming
uploads one by one, the notification when a batch finishes in the background, and the question
before quitting with transfers running (which says truthfully what happens to them)."""

from __future__ import annotations

from collections.abc import Collection

from PySide6.QtCore import QObject, Qt
from PySide6.QtGui import QAction
from PySide6.QtWidgets import QApplication, QDialog, QMainWindow, QMessageBox

from attache.ui import settings, theme
from attache.ui.plain import message_box
from attache.ui.speed_limit import SpeedLimitDialog
from attache.ui.transfer_rows import ACTIVE_STATES, DOWNLOAD, TransferRow
from attache.ui.transfers_view import format_speed


class TransferActions(QObject):
    def __init__(self, window: QMainWindow) -> None:
        super().__init__(window)
        self.window = window
        self.speed_limit_dialog: SpeedLimitDialog | None = None
        self.last_notification: tuple[str, str] | None = None
        self._tray = None
        window.queue.batchFinished.connect(self._batch_finished)
        window.queue.failed.connect(window.show_error)
        window.transfers.model.activeChanged.connect(self._active_changed)
        # Pause / Resume the selected transfers (the transfers list's context menu shows them).
        self.pause_selected_action = QAction("Pause", window)
        self.pause_selected_action.setStatusTip("Pause the selected transfers; the others go on")
        self.pause_selected_action.triggered.connect(self.pause_selected)
        self.resume_selected_action = QAction("Resume", window)
        self.resume_selected_action.setStatusTip("Resume the selected paused transfers")
        self.resume_selected_action.triggered.connect(self.resume_selected)
        view = window.transfers.view
        if view.contextMenuPolicy() == Qt.ContextMenuPolicy.DefaultContextMenu:
            view.setContextMenuPolicy(Qt.ContextMenuPolicy.ActionsContextMenu)
        view.addActions([self.pause_selected_action, self.resume_selected_action])
        view.selectionModel().selectionChanged.connect(self.update_actions)
        window.queue.jobChanged.connect(self.update_actions)
        self.update_actions()

    # ------------------------------------------------------------------ pause and resume one by one

    def _selected(self) -> list[TransferRow]:
        return self.window.transfers.selected_jobs()

    def update_actions(self, *args: object) -> None:
        selected = self._selected()
        self.pause_selected_action.setEnabled(any(row.pausable for row in selected))
        self.resume_selected_action.setEnabled(any(row.paused for row in selected))

    def pause_selected(self) -> None:
        self.window.queue.pause_jobs([row.id for row in self._selected()])
        self.update_actions()

    def resume_selected(self) -> None:
        self.window.queue.resume_jobs([row.id for row in self._selected()])
        self.update_actions()

    def _active_changed(self, active: int) -> None:
        self.window.transfers_dock.setWindowTitle(f"Transfers ({active} active)" if active else "Transfers")

    def start_engine(self, *, already_running: bool = False) -> None:
        """The session's engine at the chosen speed; interrupted uploads go on by themselves,
        unless the user asked to resume them by hand. An engine `already_running` (another
        account's, on the same queue) goes on as it was, paused or not."""
        window = self.window
        session = window.session
        engine = session.engine
        window.queue.set_engine(engine, session.connection.ref, backend=session.backend)
        if already_running:  # its rows show paused as they are (`set_engine`)
            window.queue.pausedChanged.emit(engine.paused)
            return
        engine.throttle.set_rate(settings.upload_limit())
        paused = not settings.resume_on_start()
        if paused:
            window.queue.show_paused(True)
        else:
            engine.resume()  # it opened started and paused (`open_session`)
        window.queue.pausedChanged.emit(paused)

    # ------------------------------------------------------------------ speed limit

    def choose_upload_limit(self) -> None:
        """View › Limit Upload Speed…: applies to running uploads at once, and is kept for next time."""
        dialog = SpeedLimitDialog(settings.upload_limit(), self.window)
        self.speed_limit_dialog = dialog

        def chosen(code: int) -> None:
            if code == QDialog.DialogCode.Accepted:
                self.set_upload_limit(dialog.rate())
            dialog.deleteLater()
            self.speed_limit_dialog = None

        dialog.finished.connect(chosen)
        dialog.open()

    def set_upload_limit(self, rate: float | None) -> None:
        window = self.window
        settings.set_upload_limit(rate)
        if window.session.engine is not None:
            window.session.engine.throttle.set_rate(rate)
        window.transfers.refresh_summary()
        window.status.showMessage(f"Uploads limited to {format_speed(rate)}" if rate else "Uploads not limited", 4000)

    # ------------------------------------------------------------------ finishing

    def _batch_finished(self, done: int, failed: int) -> None:
        plural = "s" if done != 1 else ""
        if failed:
            text = f"{done} transfer{plural} finished, {failed} failed."
        elif done:
            text = f"{done} transfer{plural} finished."
        else:
            return
        if not failed:
            self.window.status.showMessage(text, 5000)
        if not self.window.isActiveWindow():
            self.notify("Transfers finished", text)

    def notify(self, title: str, text: str) -> None:
        """A desktop notification when the window is in the background."""
        from PySide6.QtWidgets import QSystemTrayIcon

        window = self.window
        tray = getattr(window, "tray", None)  # ui.tray: the window's one tray icon
        if tray is not None and tray.notify(title, text):
            pass
        elif QSystemTrayIcon.isSystemTrayAvailable() and QSystemTrayIcon.supportsMessages():
            if self._tray is None:
                self._tray = QSystemTrayIcon(theme.app_icon(), window)
                self._tray.setToolTip("Attaché")
                self._tray.activated.connect(lambda *_: (window.showNormal(), window.activateWindow()))
            self._tray.show()
            self._tray.showMessage(title, text, theme.app_icon(), 8000)
        else:
            QApplication.alert(window, 0)
        self.last_notification = (title, text)

    def hide_tray(self) -> None:
        if self._tray is not None:
            self._tray.hide()

    def confirm_stop(self, verb: str) -> bool:
        """Ask before quitting or signing out with transfers running."""
        window = self.window
        active = window.queue.active_count()
        connection = window.session.connection
        if connection is not None and connection.journal_path is not None:  # a queue of its own
            later = "Unfinished transfers will be lost."
        else:  # the user's queue, where a built-in sandbox's transfers go with it
            later = what_happens_later(
                window.queue.jobs(), resume_on_start=settings.resume_on_start(), lost=sandbox_accounts(connection)
            )
        box = message_box(
            QMessageBox.Icon.Warning,
            "Transfers are running",
            f"{active} transfer{'s are' if active != 1 else ' is'} still running.\n\n{later}",
            window,
        )
        stop = box.addButton(f"{verb} anyway", QMessageBox.ButtonRole.DestructiveRole)
        box.addButton("Keep running", QMessageBox.ButtonRole.RejectRole)
        box.exec()
        return box.clickedButton() is stop


def sandbox_accounts(connection) -> set[str]:
    """The names of the accounts whose transfers end with `connection`'s built-in sandbox."""
    return {ref.account for ref in connection.sandbox_refs} if connection is not None else set()


def what_happens_later(rows: list[TransferRow], *, resume_on_start: bool, lost: Collection[str] = ()) -> str:
    """The quit question's promise, true for these rows: resumable uploads go on from where they
    stopped, the others start again from the beginning (attached once either way); downloads go on
    from the bytes their `.part` file kept, where the server allows it (else from the beginning);
    the transfers of the accounts in `lost` (a built-in sandbox's, which stops) are lost."""
    waiting = [row for row in rows if row.state in ACTIVE_STATES]
    gone = sum(1 for row in waiting if row.account in lost)
    waiting = [row for row in waiting if row.account not in lost]
    uploads = [row for row in waiting if row.kind is not DOWNLOAD]
    downloads = len(waiting) - len(uploads)
    when = "the next time you open Attaché" if resume_on_start else "when you press Resume after opening Attaché"
    resumed = sum(1 for row in uploads if row.resumable)
    restarted = len(uploads) - resumed
    sentences = []
    if gone:
        sentences.append(
            f"{gone} transfer{'s' if gone != 1 else ''} to the sandbox {'are' if gone != 1 else 'is'} lost: it stops."
        )
    if uploads and not restarted:
        sentences.append(f"Uploads go on from where they stopped {when}.")
    elif uploads and not resumed:
        sentences.append(
            f"Uploads start again from the beginning {when}: this service cannot resume an upload. "
            "None is attached twice."
        )
    elif uploads:
        sentences.append(
            f"{resumed} upload{'s go' if resumed != 1 else ' goes'} on from where "
            f"{'they' if resumed != 1 else 'it'} stopped {when}; {restarted} "
            f"start{'s' if restarted == 1 else ''} again from the beginning (where the service cannot resume)."
        )
    if downloads:
        sentences.append(
            f"{downloads} download{'s go' if downloads != 1 else ' goes'} on {when}, from where "
            f"{'they' if downloads != 1 else 'it'} stopped if the server allows it."
        )
    return " ".join(sentences) or "Nothing is lost."
