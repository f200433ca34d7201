"""The window and a hostile or careless world: a name already taken in the download folder (asked
once per conflict: Replace / Keep both / Skip), and a list a server answered with something the
service never sends (one line in the error bar)."""

from __future__ import annotations

from pathlib import Path

import pytest
from PySide6.QtCore import QItemSelectionModel
from PySide6.QtWidgets import QFileDialog

from attache.app.connections import token_connection
from attache.core.models import EntityKind
from attache.core.services import SERVICES, display_name
from attache.transfers import JobState
from attache.ui import plain
from support.hostile_server import HostileServer


@pytest.fixture
def task_with_files(fresh_awork_sandbox):
    """A task holding a.txt, and dup.txt twice (different content)."""
    server = fresh_awork_sandbox
    store = server.store
    task_id = store.scalar("SELECT id FROM tasks ORDER BY rowid LIMIT 1")
    with store.transaction() as db:
        for name, data in (("a.txt", b"server a"), ("dup.txt", b"first dup"), ("dup.txt", b"second dup")):
            store.add_task_file(
                db,
                task_id,
                store.write_blob(data),
                name=name,
                file_name=name,
                description=None,
                mime_type="text/plain",
                size=len(data),
                width=None,
                height=None,
                user_id=None,
            )
    return server, task_id


def _window_on_task(make_window, qtbot, server, task_id):
    window = make_window()
    window.show()
    window.open_connection(token_connection("awork", server.base_url, server.token, label="awork · sandbox"))
    qtbot.waitUntil(lambda: window.backend is not None and window.list_model.rowCount() > 0, timeout=15_000)
    window.show_kind(EntityKind.TASK)
    qtbot.waitUntil(lambda: window.list_model.exhausted and not window.list_model.loading, timeout=15_000)
    row = window.list_model.row_of(task_id)
    window.list_view.setCurrentIndex(window.filter_model.mapFromSource(window.list_model.index(row, 0)))
    qtbot.waitUntil(lambda: window.detail.entity is not None and window.detail.entity.id == task_id, timeout=5000)
    files = window.detail.files_model
    qtbot.waitUntil(lambda: not files.loading and files.rowCount() >= 3, timeout=10_000)
    return window


def _download_ours(window, folder: Path, monkeypatch) -> None:
    files, view = window.detail.files_model, window.detail.files_view
    view.clearSelection()
    for row in range(files.rowCount()):
        if files.file(row).name in ("a.txt", "dup.txt"):
            view.selectionModel().select(
                files.index(row, 0), QItemSelectionModel.SelectionFlag.Select | QItemSelectionModel.SelectionFlag.Rows
            )
    assert len(window.detail.selected_files()) == 3
    monkeypatch.setattr(QFileDialog, "getExistingDirectory", lambda *a, **k: str(folder))
    window.detail.download_button.click()


def test_taken_names_are_asked_about_once_each(make_window, qtbot, task_with_files, tmp_path, monkeypatch):
    server, task_id = task_with_files
    window = _window_on_task(make_window, qtbot, server, task_id)
    folder = tmp_path / "into"
    folder.mkdir()
    (folder / "a.txt").write_bytes(b"mine")
    asked: list[tuple[str, list[str], str]] = []

    def choose(parent, title, text, options, *, for_all=""):
        asked.append((text, options, for_all))
        return ("Replace" if "a.txt" in text else "Keep both"), False

    monkeypatch.setattr(plain, "choose", choose)
    _download_ours(window, folder, monkeypatch)
    qtbot.waitUntil(
        lambda: len(window.queue.jobs()) == 3 and all(j.state is JobState.DONE for j in window.queue.jobs()),
        timeout=15_000,
    )
    texts = sorted(text for text, _, _ in asked)  # a.txt was there; the second dup.txt is the batch's own
    assert len(texts) == 2 and "“a.txt” is already in" in texts[1]
    assert "Another file in this download is also named “dup.txt”" in texts[0]
    assert all(options == ["Replace", "Keep both", "Skip"] for _, options, _ in asked)
    assert asked[0][2] == "Apply to all in this download"
    saved = {p.name: p.read_bytes() for p in folder.iterdir()}
    assert saved["a.txt"] == b"server a"  # replaced
    assert {saved["dup.txt"], saved["dup (2).txt"]} == {b"first dup", b"second dup"}  # both kept
    assert len(saved) == 3


def test_skip_for_all_downloads_nothing_that_is_taken(make_window, qtbot, task_with_files, tmp_path, monkeypatch):
    server, task_id = task_with_files
    window = _window_on_task(make_window, qtbot, server, task_id)
    folder = tmp_path / "into"
    folder.mkdir()
    for name in ("a.txt", "dup.txt"):
        (folder / name).write_bytes(b"mine")
    asked: list[str] = []
    monkeypatch.setattr(plain, "choose", lambda *a, **k: asked.append(a[2]) or ("Skip", True))
    _download_ours(window, folder, monkeypatch)
    assert len(asked) == 1 and window.queue.jobs() == []
    assert {p.name: p.read_bytes() for p in folder.iterdir()} == {"a.txt": b"mine", "dup.txt": b"mine"}


@pytest.mark.parametrize("service", SERVICES)
@pytest.mark.parametrize("case", ["numbers", "deep"])
def test_a_list_the_service_never_sends_is_one_line_in_the_error_bar(make_window, qtbot, service, case):
    with HostileServer(service, case) as server:
        window = make_window()
        window.show()
        window.open_connection(token_connection(service, server.url, "hostile-token", label="hostile"))
        said = f"is not what {display_name(service)} sends"
        qtbot.waitUntil(lambda: said in window.message_bar.text(), timeout=15_000)
        text = window.message_bar.text()
        assert window.message_bar.isVisible() and "\n" not in text, text
        assert window.list_model.rowCount() == 0
