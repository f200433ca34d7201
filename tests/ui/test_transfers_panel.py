"""The Transfers dock: progress, cancel, retry, retry all failed, clear finished; notifications — the
uploads go to the awork sandbox over real HTTP."""

from __future__ import annotations

from pathlib import Path

import pytest
from ui_helpers import shown_window, store_count, stored_files, task_without_files

from attache.core.models import EntityKind, EntityRef
from attache.sandbox import FaultPlan
from attache.transfers import JobState
from attache.ui.transfers_view import TransfersModel, TransfersPanel, format_eta


@pytest.fixture
def server(fresh_awork_sandbox):
    return fresh_awork_sandbox


@pytest.fixture
def task(server) -> EntityRef:
    """A demo task without files, so what the test uploads is all it holds."""
    return EntityRef(EntityKind.TASK, task_without_files(server))


def _files(tmp_path: Path, count: int, size: int = 10_000) -> list[Path]:
    paths = []
    for n in range(count):
        path = tmp_path / f"doc-{n}.txt"
        path.write_bytes(b"z" * size)
        paths.append(path)
    return paths


def test_failed_uploads_can_be_retried_and_cleared(
    app, qtbot, qtmodeltester, make_awork_sandbox, make_backend, make_queue, tmp_path: Path
):
    # awork's file storage answers the first two uploads with 503
    server = make_awork_sandbox(faults=FaultPlan(rate=1.0, kinds=("503",), match=r"^PUT /blob/", max_faults=2))
    task = EntityRef(EntityKind.TASK, task_without_files(server))
    queue = make_queue(make_backend(server, retries=False), workers=1, tries=1)
    panel = TransfersPanel(queue)
    qtbot.addWidget(panel)
    paths = _files(tmp_path, 3)
    queue.attach(task, "Task “One”", paths)
    qtbot.waitUntil(lambda: len(queue.jobs()) == 3 and all(j.finished_state for j in queue.jobs()), timeout=5000)
    assert [j.state for j in queue.jobs()] == [
        JobState.FAILED,
        JobState.FAILED,
        JobState.DONE,
    ]  # one at a time, in order
    for failed in queue.jobs()[:2]:
        assert failed.error == (
            f"{failed.name}: gave up after 1 tries: awork's file storage is not available right "
            f"now (127.0.0.1:{server.port} answered 503); try again later"
        )
    assert set(stored_files(server, task.id)) == {"doc-2.txt"}
    panel.model.tick()
    assert panel.retry_all_button.isEnabled() and panel.clear_button.isEnabled()
    assert "2 failed" in panel.summary.text()
    qtmodeltester.check(panel.model)

    panel.retry_all_button.click()
    qtbot.waitUntil(lambda: all(j.state == JobState.DONE for j in queue.jobs()), timeout=5000)
    assert stored_files(server, task.id) == {path.name: path.read_bytes() for path in paths}
    panel.clear_button.click()
    assert panel.model.rowCount() == 0 and queue.jobs() == []


def test_cancel_a_queued_upload(app, qtbot, server, task, make_backend, make_queue, tmp_path: Path):
    queue = make_queue(make_backend(server), workers=1)
    queue.engine.pause()  # the fourth waits for certain: nothing starts before the cancel
    panel = TransfersPanel(queue)
    qtbot.addWidget(panel)
    paths = _files(tmp_path, 4, 200_000)
    queue.attach(task, "Task “One”", paths)
    qtbot.waitUntil(lambda: len(queue.jobs()) == 4, timeout=5000)
    last = queue.jobs()[-1]
    assert last.state == JobState.QUEUED
    row = queue.jobs().index(last)
    panel.view.selectionModel().select(
        panel.model.index(row, 0),
        panel.view.selectionModel().SelectionFlag.Select | panel.view.selectionModel().SelectionFlag.Rows,
    )
    panel.cancel_button.click()
    qtbot.waitUntil(lambda: last.state == JobState.CANCELLED, timeout=5000)
    queue.set_paused(False)
    qtbot.waitUntil(lambda: all(j.finished_state for j in queue.jobs()), timeout=5000)
    assert queue.active_count() == 0
    assert [j.state for j in queue.jobs()] == [JobState.DONE, JobState.DONE, JobState.DONE, JobState.CANCELLED]
    assert set(stored_files(server, task.id)) == {path.name for path in paths[:3]}  # the fourth never went


def test_progress_is_sampled_by_one_timer(app, qtbot, server, task, make_backend, make_queue, tmp_path: Path):
    queue = make_queue(make_backend(server))
    model = TransfersModel(queue)
    changes, ticks = [], []
    model.dataChanged.connect(lambda *args: changes.append(args))
    model._timer.timeout.connect(lambda: ticks.append(1))
    queue.attach(task, "Task “One”", _files(tmp_path, 5))
    qtbot.waitUntil(lambda: len(queue.jobs()) == 5 and all(j.finished_state for j in queue.jobs()), timeout=5000)
    qtbot.wait(TransfersModel.TICK_MS + 50)
    assert [j.state for j in queue.jobs()] == [JobState.DONE] * 5
    # one signal per tick for all rows, not one per chunk or per job
    assert 1 <= len(changes) <= len(ticks) and len(changes) <= 4
    for top, bottom, _roles in changes:
        assert (top.row(), top.column(), bottom.row(), bottom.column()) == (0, 0, 4, len(TransfersModel.COLUMNS) - 1)


def test_eta_text():
    assert format_eta(None) == ""
    assert format_eta(42) == "42 s"
    assert format_eta(125) == "2 min 05 s"
    assert format_eta(7300) == "2 h 01 min"


def test_a_batch_finishing_in_the_background_notifies(server, task, make_backend, make_window, qtbot, tmp_path: Path):
    backend = make_backend(server)
    window = shown_window(make_window, backend)
    projects = store_count(server, "projects")
    qtbot.waitUntil(lambda: window.list_model.rowCount() == projects, timeout=5000)
    notes = []
    window.transfer_actions.notify = lambda title, text: notes.append((title, text))
    window.isActiveWindow = lambda: False
    paths = _files(tmp_path, 2)
    window.queue.attach(task, "Task “One”", paths)
    qtbot.waitUntil(lambda: bool(notes), timeout=5000)
    assert notes == [("Transfers finished", "2 transfers finished.")]
    assert set(stored_files(server, task.id)) == {path.name for path in paths}
