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
    event = QDropEvent(pos, Qt.DropAction.CopyAction, mime, Qt.MouseButton.LeftButton, Qt.KeyboardModifier.NoModifier)
    QApplication.sendEvent(widget, event)
    return event


def drag_and_drop(widget, pos: QPointF, paths: list[Path]) -> tuple[bool, bool]:
    """Enter then drop; returns (enter accepted, drop accepted). The mime outlives both events."""
    mime = file_mime(paths)
    enter = drag_enter(widget, pos, mime)
    accepted_enter = enter.isAccepted()
    dropped = drop(widget, pos, mime)
    return accepted_enter, dropped.isAccepted()


def session_on(backend, journal_folder: Path | None = None):
    """An opened session on this backend, with a real transfer engine on a temporary journal
    (what `attache.app.session.open_session` makes on a worker when the window connects)."""
    import tempfile

    from attache.app.connections import Connection
    from attache.app.session import open_session

    folder = journal_folder or Path(tempfile.mkdtemp(prefix="attache-test-journal-"))
    connection = Connection(
        backend.service,
        backend.account,
        lambda: backend,
        journal_path=folder / "transfers.sqlite3",
        label=f"{backend.service} · test",
    )
    return open_session(connection, workers=4)


def shown_window(make_window, backend, journal_folder: Path | None = None):
    """A window, shown, on this backend and its workspace, uploading through a real engine."""
    window = make_window()
    window.show()
    window.show_session(session_on(backend, journal_folder))
    return window


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


# ---------------------------------------------------------------------------- the awork sandbox
# The window and the models talk HTTP to a real awork sandbox (tests/conftest.py); test data is
# arranged in the sandbox's store, the way an awork admin would have left the workspace.


def png_bytes(colour: tuple[int, int, int], size: int = 64) -> bytes:
    """A square PNG of one colour."""
    import io

    from PIL import Image

    buffer = io.BytesIO()
    Image.new("RGB", (size, size), colour).save(buffer, "PNG")
    return buffer.getvalue()


def put_picture(server, entity_name: str, entity_id: str, colour: tuple[int, int, int], size: int = 64) -> bytes:
    """Give an entity ("users", "companies", …) a one-colour PNG in the sandbox's store; its
    resourceVersion goes up like after an upload. Returns the stored bytes."""
    data = png_bytes(colour, size)
    store = server.store
    store.set_image(
        entity_name,
        entity_id,
        store.write_blob(data),
        file_name=f"{entity_id}.png",
        mime_type="image/png",
        size=len(data),
        width=size,
        height=size,
        user_id=None,
    )
    return data


def stored_picture(server, entity_name: str, entity_id: str) -> bytes | None:
    """The original picture the sandbox keeps for an entity, or None."""
    row = server.store.get_image(entity_name, entity_id)
    return None if row is None else server.store.blob_path(row["blob"]).read_bytes()


def stored_files(server, task_id: str) -> dict[str, bytes]:
    """The files on a task in the sandbox's store: name → content of the latest version."""
    store = server.store
    rows = store.read("SELECT f.id, f.name FROM files f WHERE f.task_id=?", (task_id,))
    return {row["name"]: store.blob_path(store.latest_version(row["id"])["blob"]).read_bytes() for row in rows}


def task_without_files(server) -> str:
    """The id of a demo task that has no files yet."""
    return server.store.scalar(
        "SELECT id FROM tasks WHERE id NOT IN (SELECT task_id FROM files) ORDER BY rowid LIMIT 1"
    )


def image_requests(server, method: str = "GET", *, since: float = 0.0) -> list:
    """The sandbox's log of profile image requests (begun at `since`, time.monotonic(), or later)."""
    return [r for r in server.requests if r.method == method and "/files/images/" in r.path and r.start >= since]


def store_count(server, table: str, where: str = "", params: tuple = ()) -> int:
    """How many rows a table of the sandbox's store holds (that match `where`)."""
    return server.store.scalar(f"SELECT COUNT(*) FROM {table}" + (f" WHERE {where}" if where else ""), params)
