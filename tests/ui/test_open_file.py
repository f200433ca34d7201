"""Open on a file no application can open says so and offers to show it in its folder."""

from __future__ import annotations

from pathlib import Path

import pytest
from ui_helpers import shown_window, store_count

from attache.core.models import EntityKind
from attache.ui import reveal
from attache.ui.messagebar import WARNING

# the offscreen platform, like a desktop without a handler, cannot open documents; Qt says so too
NO_HANDLER = "does not support QPlatformServices::openDocument"


@pytest.mark.qt_log_ignore(NO_HANDLER)
def test_open_with_no_application_says_so_and_shows_the_folder(
    awork_sandbox, make_backend, make_window, qtbot, monkeypatch
):
    server = awork_sandbox
    task_id = server.store.scalar("SELECT task_id FROM files ORDER BY rowid LIMIT 1")
    window = shown_window(make_window, make_backend(server))
    window.show_kind(EntityKind.TASK)
    qtbot.waitUntil(lambda: window.list_model.rowCount() == store_count(server, "tasks"), timeout=10_000)
    assert window.select_entity(task_id)
    files = window.detail.files_model
    qtbot.waitUntil(lambda: files.rowCount() > 0, timeout=10_000)
    record = files.file(0)

    window.files.open_file(record)
    bar = window.message_bar
    qtbot.waitUntil(lambda: bar.text().startswith("No application"), timeout=10_000)
    assert bar.level == WARNING
    assert bar.text() == (
        f"No application on this computer opens “{record.name}”. It is downloaded; "
        "open it from its folder with the program you choose."
    )
    assert bar._action.text() == "Show in folder"
    from attache.core.paths import app_dirs

    downloaded = app_dirs().cache / "open" / record.id / record.name
    assert downloaded.name == record.name and downloaded.stat().st_size == record.size

    asked: list[Path] = []
    monkeypatch.setattr(reveal, "file_manager_show", lambda path: asked.append(path) or False)
    bar._action.click()  # no file manager to ask, and the folder cannot be opened either: say where it is
    qtbot.waitUntil(lambda: bar.text().startswith("Could not open a file manager"), timeout=10_000)
    assert asked == [downloaded]
    assert bar.text() == f"Could not open a file manager. The file is in {downloaded.parent}"


def test_dragging_a_file_out_downloads_it_for_the_file_manager(awork_sandbox, make_backend, make_window, qtbot):
    from PySide6.QtCore import QPointF
    from ui_helpers import drag_enter, stored_files

    from attache.ui.drag_out import is_files_out
    from attache.ui.drops import accepts

    server = awork_sandbox
    task_id = server.store.scalar("SELECT task_id FROM files ORDER BY rowid LIMIT 1")
    window = shown_window(make_window, make_backend(server))
    window.show_kind(EntityKind.TASK)
    qtbot.waitUntil(lambda: window.list_model.rowCount() == store_count(server, "tasks"), timeout=10_000)
    assert window.select_entity(task_id)
    files = window.detail.files_model
    qtbot.waitUntil(lambda: files.rowCount() > 0, timeout=10_000)
    records = files.files()
    assert window.detail.files_view.dragEnabled()

    mime = window.files.drag_out(records)  # what startDrag hands the drag
    assert is_files_out(mime) and mime.formats() == ["text/uri-list"]
    assert len(window.queue.jobs()) == len(records)  # the downloads began with the drag, in the panel
    paths = mime.paths()  # the drop target asks: the promise waits for the downloads
    assert [path.name for path in paths] == [record.name for record in records]
    assert {path.name: path.read_bytes() for path in paths} == stored_files(server, task_id)
    assert bytes(mime.data("text/uri-list")).split(b"\r\n")[0] == paths[0].as_uri().encode()  # as X11 reads it

    # Attaché's own targets refuse it: a task's file dropped back would be attached twice
    assert not accepts(mime)
    view = window.detail.files_view
    assert not drag_enter(view.viewport(), QPointF(view.viewport().rect().center()), mime).isAccepted()
