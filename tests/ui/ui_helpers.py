"""Real drag-and-drop events for tests: QTest mouse moves never start a drag."""

from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import QMimeData, QPointF, Qt, QUrl
from PySide6.QtGui import QDragEnterEvent, QDragLeaveEvent, QDragMoveEvent, QDropEvent
from PySide6.QtWidgets import QApplication


def file_mime(paths: list[Path]) -> QMimeData:
    mime = QMimeData()
    mime.setUrls([QUrl.fromLocalFile(str(path)) for path in paths])
    return mime


def _drag_event(event_type, pos: QPointF, mime: QMimeData):
    """Qt 6.12 added QPointF constructors (and deprecated QPoint ones); earlier Qt has QPoint only."""
    arguments = (Qt.DropAction.CopyAction, mime, Qt.MouseButton.LeftButton, Qt.KeyboardModifier.NoModifier)
    try:
        return event_type(pos, *arguments)
    except TypeError:
        return event_type(pos.toPoint(), *arguments)


def drag_enter(widget, pos: QPointF, mime: QMimeData) -> QDragEnterEvent:
    event = _drag_event(QDragEnterEvent, pos, mime)
    QApplication.sendEvent(widget, event)
    return event


def drag_move(widget, pos: QPointF, mime: QMimeData) -> QDragMoveEvent:
    event = _drag_event(QDragMoveEvent, pos, mime)
    QApplication.sendEvent(widget, event)
    return event


def drag_leave(widget) -> None:
    QApplication.sendEvent(widget, QDragLeaveEvent())


def drop(widget, pos: QPointF, mime: QMimeData) -> QDropEvent:
    event = QDropEvent(pos, Qt.DropAction.CopyAction, mime, Qt.MouseButton.LeftButton,
                       Qt.KeyboardModifier.NoModifier)
    QApplication.sendEvent(widget, event)
    return event


def drag_and_drop(widget, pos: QPointF, paths: list[Path]) -> tuple[bool, bool]:
    """Enter then drop; returns (enter accepted, drop accepted). The mime outlives both events."""
    mime = file_mime(paths)
    enter = drag_enter(widget, pos, mime)
    accepted_enter = enter.isAccepted()
    dropped = drop(widget, pos, mime)
    return accepted_enter, dropped.isAccepted()


def row_centre(view, row: int) -> QPointF:
    index = view.model().index(row, 0)
    return QPointF(view.visualRect(index).center())


def accept_crop(window, qtbot, key=None):
    """Wait for the crop dialog an image drop opens and press Enter (or `key` first)."""
    from PySide6.QtCore import Qt

    from attache.ui.crop_dialog import CropDialog

    dialogs = []

    def opened() -> bool:
        dialogs[:] = [d for d in window.findChildren(CropDialog) if d.isVisible()]
        return bool(dialogs)

    qtbot.waitUntil(opened, timeout=10_000)
    dialog = dialogs[0]
    qtbot.waitUntil(dialog.canvas.has_image, timeout=10_000)
    if key is not None:
        qtbot.keyClick(dialog.canvas, key)
    qtbot.keyClick(dialog.canvas, Qt.Key.Key_Return)
    return dialog
