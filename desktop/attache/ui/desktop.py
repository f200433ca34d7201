"""The window's desktop manners, added to a MainWindow in one call: files opened with Attaché,
the tray, Help › About, and the selection restored from last time."""

from __future__ import annotations

from PySide6.QtCore import QEvent, QObject

from attache.ui import settings


def install(window) -> None:
    from attache.ui.about_dialog import add_about_action
    from attache.ui.open_files import OpenFiles
    from attache.ui.tray import Tray

    window.open_files = OpenFiles(window)
    window.tray = Tray(window)
    window.about_action = add_about_action(window)
    SelectionMemory(window)


class SelectionMemory(QObject):
    """The item selected when the window closed is selected again when its kind is listed next."""

    def __init__(self, window) -> None:
        super().__init__(window)
        self.window = window
        self.pending = settings.browse_selection()
        window.session.changed.connect(self._session_changed)
        window.installEventFilter(self)

    def _session_changed(self) -> None:
        browse = self.window.browse
        restored = browse.pending_kind is not None and browse.list_model.kind == browse.pending_kind
        if self.pending and self.window.session.is_open and restored:
            browse._pending_select = self.pending  # chosen once the first page is in
        self.pending = None

    def eventFilter(self, watched, event) -> bool:
        if watched is self.window and event.type() == QEvent.Type.Close and self.window.session.is_open:
            entity = self.window.detail.entity
            settings.set_browse_selection(entity.id if entity is not None else None)
        return super().eventFilter(watched, event)
