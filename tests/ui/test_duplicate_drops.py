"""A file dropped on a task that already has one of that name: the user chooses, once per drop if they like."""

from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import Qt
from ui_helpers import drag_and_drop, row_centre, shown_window, store_count

from attache.core.models import EntityKind
from attache.ui import duplicates
from attache.ui.duplicates import Duplicate, Upload, resolve_duplicates


def test_each_duplicate_is_asked_about_until_the_answer_is_for_all():
    paths = [Path(f"/tmp/{name}") for name in ("a.txt", "B.txt", "c.txt", "d.txt", "d.txt")]
    asked: list[tuple[str, int]] = []
    answers = [(Duplicate.KEEP_BOTH, False), (Duplicate.SKIP, True)]

    def ask(name: str, more: int, can_replace: bool):
        asked.append((name, more, can_replace))
        return answers.pop(0)

    existing = {"b.txt": "f-b", "c.txt": "f-c"}  # names compare without case; d.txt twice in the drop
    kept = resolve_duplicates(paths, existing, ask)
    assert asked == [("B.txt", 2, False), ("c.txt", 1, False)]  # the second answer held for the last duplicate
    assert kept == [Upload(paths[0]), Upload(paths[1]), Upload(paths[3])]
    assert resolve_duplicates(paths, {"a.txt": "f-a"}, lambda *question: (Duplicate.CANCEL, False)) is None


def test_replace_is_offered_only_for_a_file_the_task_has_where_the_service_keeps_versions():
    paths = [Path(f"/tmp/{name}") for name in ("a.txt", "b.txt", "n.txt", "n.txt")]
    asked: list[tuple[str, int, bool]] = []

    def replace_all(name: str, more: int, can_replace: bool):
        asked.append((name, more, can_replace))
        return Duplicate.REPLACE, True

    uploads = resolve_duplicates(paths, {"A.txt": "f-a", "b.txt": "f-b"}, replace_all, versions=True)
    assert asked == [("a.txt", 2, True)]  # once, for all three duplicates
    # n.txt twice in the drop has no file to make a version of: the remembered Replace keeps both
    assert uploads == [Upload(paths[0], "f-a"), Upload(paths[1], "f-b"), Upload(paths[2]), Upload(paths[3])]
    asked.clear()
    resolve_duplicates(paths[:1], {"a.txt": "f-a"}, replace_all, versions=False)
    assert asked == [("a.txt", 0, False)]


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

    def ask(parent, name, target, more, *, can_replace=False):
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


def test_files_dropped_again_on_an_awork_task_become_new_versions_when_the_user_replaces_them(
    fresh_awork_sandbox, make_backend, make_window, qtbot, monkeypatch, tmp_path: Path
):
    from ui_helpers import stored_files, task_without_files

    from attache.transfers import JobState

    server = fresh_awork_sandbox
    window = shown_window(make_window, make_backend(server))
    window.show_kind(EntityKind.TASK)
    qtbot.waitUntil(lambda: window.list_model.rowCount() == store_count(server, "tasks"), timeout=10_000)
    task_id = task_without_files(server)
    row = window.list_model.row_of(task_id)
    window.list_view.scrollTo(window.filter_model.index(row, 0))
    asked: list[tuple[str, int, bool]] = []

    def ask(parent, name, target, more, *, can_replace=False):
        asked.append((name, more, can_replace))
        return Duplicate.REPLACE, True

    monkeypatch.setattr(duplicates, "ask_duplicate", ask)
    paths = [tmp_path / "minutes.txt", tmp_path / "budget.csv"]
    for path in paths:
        path.write_bytes(b"first")
    view = window.list_view

    def all_done(count: int) -> bool:
        jobs = window.queue.jobs()
        return len(jobs) == count and all(job.state is JobState.DONE for job in jobs)

    drag_and_drop(view.viewport(), row_centre(view, row), paths)
    qtbot.waitUntil(lambda: all_done(2), timeout=20_000)
    assert asked == []  # nothing to ask about yet
    for path in paths:
        path.write_bytes(b"second, longer")
    drag_and_drop(view.viewport(), row_centre(view, row), paths)
    qtbot.waitUntil(lambda: all_done(4), timeout=20_000)

    assert asked == [("minutes.txt", 1, True)]  # Replace offered, and the answer held for the drop
    assert stored_files(server, task_id) == {"minutes.txt": b"second, longer", "budget.csv": b"second, longer"}
    versions = server.store.read(
        "SELECT COUNT(*) AS n FROM file_versions v JOIN files f ON f.id = v.file_id WHERE f.task_id=? GROUP BY f.id",
        (task_id,),
    )
    assert [v["n"] for v in versions] == [2, 2]  # one file each, now with two versions
    window.transfers.model.tick()
    names = [window.transfers.model.index(r, 0).data() for r in range(4)]
    assert sorted(names[2:]) == ["budget.csv (new version)", "minutes.txt (new version)"]

    assert window.select_entity(task_id)
    files = window.detail.files_model
    qtbot.waitUntil(lambda: window.detail.files_title.text() == "Files (2)", timeout=10_000)
    # the pane may show the listing it had, then the server's: wait for the one with both versions
    qtbot.waitUntil(
        lambda: files.rowCount() == 2 and {files.file(r).size for r in range(2)} == {len(b"second, longer")},
        timeout=10_000,
    )
    assert "Version 2" in files.index(0, 0).data(Qt.ItemDataRole.ToolTipRole)
