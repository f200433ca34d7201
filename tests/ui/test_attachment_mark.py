"""A task whose list entry says it has attachments shows a paperclip on its row (awork's
`hasAttachment`); the count stays in the detail pane's "Files (N)"."""

from __future__ import annotations

from dataclasses import replace

from PySide6.QtCore import QRect, Qt
from PySide6.QtGui import QImage, QPainter
from PySide6.QtWidgets import QStyleOptionViewItem
from ui_helpers import shown_window, store_count, task_without_files

from attache.core.models import EntityKind
from attache.ui.models import EntityRole

WIDTH, HEIGHT = 360, 56


def _painted(view, index, entity) -> QImage:
    """The row as the list's delegate paints it, for this entity."""

    class OneEntity:  # an index whose entity is this one; its other roles are the row's
        def model(self):
            return None  # no row_paint: the delegate asks role by role

        def data(self, role):
            return entity if role == EntityRole else index.data(role)

        def row(self):
            return index.row()

    image = QImage(WIDTH, HEIGHT, QImage.Format.Format_ARGB32)
    image.fill(Qt.GlobalColor.white)
    option = QStyleOptionViewItem()
    option.rect = QRect(0, 0, WIDTH, HEIGHT)
    option.font = view.font()
    painter = QPainter(image)
    view.itemDelegate().paint(painter, option, OneEntity())
    painter.end()
    return image


def test_tasks_with_attachments_show_a_paperclip(awork_sandbox, make_backend, make_window, qtbot):
    server = awork_sandbox
    window = shown_window(make_window, make_backend(server))
    window.show_kind(EntityKind.TASK)
    qtbot.waitUntil(lambda: window.list_model.rowCount() == store_count(server, "tasks"), timeout=10_000)
    with_files = server.store.scalar("SELECT task_id FROM files ORDER BY rowid LIMIT 1")
    without = task_without_files(server)
    model = window.list_model
    attached, bare = (model.entity(model.row_of(task_id)) for task_id in (with_files, without))
    assert (attached.has_files, bare.has_files) == (True, False)  # as the task list says
    index = model.index(model.row_of(with_files), 0)
    assert index.data(Qt.ItemDataRole.AccessibleTextRole).endswith(", has files")

    short = replace(attached, name="Brief")  # a name too short to be elided either way
    marked = _painted(window.list_view, index, short)
    plain = _painted(window.list_view, index, replace(short, has_files=False))
    differing = [(x, y) for x in range(WIDTH) for y in range(HEIGHT) if marked.pixel(x, y) != plain.pixel(x, y)]
    assert differing, "no paperclip painted"
    assert min(x for x, _ in differing) >= WIDTH - 40  # at the row's right end, beside the name
