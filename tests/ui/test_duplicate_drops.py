"""A file dropped on a task that already has one of that name: the user chooses, once per drop if they like."""

from __future__ import annotations

from pathlib import Path

from ui_helpers import drag_and_drop, row_centre, shown_window, store_count

from attache.core.models import EntityKind
from attache.ui import duplicates
from attache.ui.duplicates import Duplicate, resolve_duplicates


def test_each_duplicate_is_asked_about_until_the_answer_is_for_all():
    paths = [Path(f"/tmp/{name}") for name in ("a.txt", "B.txt", "c.txt", "d.txt", "d.txt")]
    asked: list[tuple[str, int]] = []
    answers = [(Duplicate.KEEP_BOTH, False), (Duplicate.SKIP, True)]

    def ask(name: str, more: int):
        asked.append((name, more))
        return answers.pop(0)

    kept = resolve_duplicates(paths, {"b.txt", "c.txt"}, ask)  # names compare without case; d.txt twice in the drop
    assert asked == [("B.txt", 2), ("c.txt", 1)]  # the second answer held for the last duplicate
    assert kept == [paths[0], paths[1], paths[3]]
    assert resolve_duplicates(paths, {"a.txt"}, lambda name, more: (Duplicate.CANCEL, False)) is None


def test_dropping_a_file_the_task_has_asks_keep_both_or_skip(
    awork_sandbox, make_backend, make_window, qtbot, monkeypatch, tmp_path: Path
):
    server = awork_sandbox
    window = shown_window(make_window, make_backend(server))
    window.queue.engine.pause()  # nothing reaches the shared sandbox: the rows say what was queued
    window.show_kind(EntityKind.TASK)
    qtbot.waitUntil(lambda: window.list_model.rowCount() == store_count(server, "tasks"), timeout=10_000)
    task_id = server.store.scalar("SELECT task_id FROM files ORDER BY rowid LIMIT 1")
    existing = server.store.scalar("SELECT name FROM files WHERE task_id=? ORDER BY rowid LIMIT 1", (task_id,))
    row = window.list_model.row_of(task_id)
    window.list_view.scrollTo(window.filter_model.index(row, 0))
    same, new = tmp_path / existing, tmp_path / "brand new.txt"
    same.write_bytes(b"a newer copy")
    new.write_bytes(b"new")
    asked: list[tuple[str, str, int]] = []
    answers = [(Duplicate.SKIP, False), (Duplicate.KEEP_BOTH, False)]

    def ask(parent, name, target, more):
        asked.append((name, target, more))
        return answers.pop(0)

    monkeypatch.setattr(duplicates, "ask_duplicate", ask)
    view = window.list_view
    task = window.list_model.entity(row)
    drag_and_drop(view.viewport(), row_centre(view, row), [same, new])
    qtbot.waitUntil(lambda: len(window.queue.jobs()) == 1, timeout=10_000)
    assert asked == [(existing, f"Task “{task.name}”", 0)]
    assert [job.name for job in window.queue.jobs()] == ["brand new.txt"]  # skipped the duplicate

    drag_and_drop(view.viewport(), row_centre(view, row), [same])
    qtbot.waitUntil(lambda: len(window.queue.jobs()) == 2, timeout=10_000)
    assert [job.name for job in window.queue.jobs()] == ["brand new.txt", existing]  # kept both


def test_a_task_with_uploads_under_way_shows_a_badge(
    fresh_awork_sandbox, make_backend, make_window, qtbot, tmp_path: Path
):
    from ui_helpers import task_without_files

    from attache.ui.models import UploadsRole

    server = fresh_awork_sandbox
    window = shown_window(make_window, make_backend(server))
    window.queue.set_paused(True)
    window.show_kind(EntityKind.TASK)
    qtbot.waitUntil(lambda: window.list_model.rowCount() == store_count(server, "tasks"), timeout=10_000)
    task_id = task_without_files(server)
    row = window.list_model.row_of(task_id)
    window.list_view.scrollTo(window.filter_model.index(row, 0))
    paths = []
    for n in range(2):
        path = tmp_path / f"part-{n}.txt"
        path.write_text("part")
        paths.append(path)
    drag_and_drop(window.list_view.viewport(), row_centre(window.list_view, row), paths)
    index = window.list_model.index(row, 0)
    qtbot.waitUntil(lambda: index.data(UploadsRole) == 2, timeout=10_000)
    assert window.select_entity(task_id)
    qtbot.waitUntil(lambda: window.detail.files_title.text() == "Files ↑ 2", timeout=10_000)

    window.queue.set_paused(False)
    qtbot.waitUntil(lambda: index.data(UploadsRole) == 0, timeout=20_000)
    qtbot.waitUntil(lambda: window.detail.files_title.text() == "Files (2)", timeout=10_000)
