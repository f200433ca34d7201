"""Message bars: one about an item goes when another is selected; none moves the layout."""

from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import QPointF
from ui_helpers import drag_and_drop, shown_window, store_count

from attache.core.models import EntityKind
from attache.ui.messagebar import ERROR


def test_an_error_about_one_user_goes_when_another_is_selected_and_nothing_jumps(
    awork_sandbox, make_backend, make_window, qtbot, tmp_path: Path
):
    server = awork_sandbox
    window = shown_window(make_window, make_backend(server))
    window.show_kind(EntityKind.USER)
    users = store_count(server, "users", "is_archived = 0")
    qtbot.waitUntil(lambda: window.list_model.rowCount() == users and not window.list_model.loading, timeout=10_000)
    first, second = window.list_model.entity(0), window.list_model.entity(1)
    assert window.select_entity(first.id)
    qtbot.waitUntil(lambda: window.detail.entity is not None and window.detail.entity.id == first.id, timeout=5000)
    list_geometry = window.list_view.geometry()
    list_on_window = window.list_view.mapTo(window, window.list_view.rect().topLeft())
    detail_geometry = window.detail.geometry()

    text = tmp_path / "notes.png"  # the name says PNG; the content does not
    text.write_text("not a picture")
    slot = window.detail.slot
    drag_and_drop(slot, QPointF(slot.rect().center()), [text])
    bar = window.message_bar
    qtbot.waitUntil(bar.isVisible, timeout=5000)
    assert bar.level == ERROR and bar.text().startswith("notes.png is not an image")
    # the bar lies over the content: the list and the detail pane keep their place and size
    assert window.list_view.geometry() == list_geometry and window.detail.geometry() == detail_geometry
    assert window.list_view.mapTo(window, window.list_view.rect().topLeft()) == list_on_window
    assert bar.geometry().bottom() == window.centralWidget().height() - 1
    assert bar.width() == window.centralWidget().width()

    assert window.select_entity(first.id)  # the same user again: the message stays
    assert bar.isVisible()
    assert window.select_entity(second.id)
    qtbot.waitUntil(lambda: not bar.isVisible(), timeout=5000)
    assert window.list_view.geometry() == list_geometry and window.detail.geometry() == detail_geometry

    window.show_message("A message about nothing in particular")  # no context: selection leaves it
    assert window.select_entity(first.id)
    assert bar.isVisible() and bar.text() == "A message about nothing in particular"
