"""The Transfers dock: progress, cancel, retry, retry all failed, clear finished; notifications."""

from __future__ import annotations

from pathlib import Path

from ui_fakes import FakeBackend

from attache.core.models import EntityKind, EntityRef
from attache.ui.transfers import CANCELLED, DONE, FAILED, QUEUED, TransferQueue
from attache.ui.transfers_view import TransfersModel, TransfersPanel, format_eta

TASK = EntityRef(EntityKind.TASK, "t1")


def _files(tmp_path: Path, count: int, size: int = 10_000) -> list[Path]:
    paths = []
    for n in range(count):
        path = tmp_path / f"doc-{n}.txt"
        path.write_bytes(b"z" * size)
        paths.append(path)
    return paths


def test_failed_uploads_can_be_retried_and_cleared(app, qtbot, qtmodeltester, tmp_path: Path):
    backend = FakeBackend()
    backend.fail_uploads = 2
    queue = TransferQueue(max_parallel=1)
    panel = TransfersPanel(queue)
    qtbot.addWidget(panel)
    queue.attach(backend, TASK, "Task “One”", _files(tmp_path, 3))
    qtbot.waitUntil(lambda: all(j.finished_state for j in queue.jobs()), timeout=5000)
    states = sorted(j.state for j in queue.jobs())
    assert states == [DONE, FAILED, FAILED]
    failed = next(j for j in queue.jobs() if j.state == FAILED)
    assert failed.error == f"awork refused {failed.name}: the storage quota is used up"
    panel.model.tick()
    assert panel.retry_all_button.isEnabled() and panel.clear_button.isEnabled()
    assert "2 failed" in panel.summary.text()
    qtmodeltester.check(panel.model)

    panel.retry_all_button.click()
    qtbot.waitUntil(lambda: all(j.state == DONE for j in queue.jobs()), timeout=5000)
    assert len(backend.files[TASK]) == 3
    panel.clear_button.click()
    assert panel.model.rowCount() == 0 and queue.jobs() == []


def test_cancel_a_queued_upload(app, qtbot, tmp_path: Path):
    from attache.ui import tasks

    backend = FakeBackend()
    queue = TransferQueue(max_parallel=1)
    panel = TransfersPanel(queue)
    qtbot.addWidget(panel)
    tasks.set_synchronous(False)
    queue.attach(backend, TASK, "Task “One”", _files(tmp_path, 4, 200_000))
    last = queue.jobs()[-1]
    if last.state == QUEUED:
        row = queue.jobs().index(last)
        panel.view.selectionModel().select(panel.model.index(row, 0),
                                           panel.view.selectionModel().SelectionFlag.Select
                                           | panel.view.selectionModel().SelectionFlag.Rows)
        panel.cancel_button.click()
        assert last.state == CANCELLED
    qtbot.waitUntil(lambda: all(j.finished_state for j in queue.jobs()), timeout=5000)
    assert queue.active_count() == 0


def test_progress_is_sampled_by_one_timer(app, qtbot, tmp_path: Path):
    queue = TransferQueue()
    model = TransfersModel(queue)
    changes = []
    model.dataChanged.connect(lambda *args: changes.append(args))
    queue.attach(FakeBackend(), TASK, "Task “One”", _files(tmp_path, 5))
    qtbot.waitUntil(lambda: all(j.finished_state for j in queue.jobs()), timeout=5000)
    qtbot.wait(TransfersModel.TICK_MS + 50)
    # one signal per tick for all rows, not one per chunk or per job
    assert 1 <= len(changes) <= 4
    top, bottom = changes[-1][0], changes[-1][1]
    assert (top.row(), bottom.row()) == (0, 4)


def test_eta_text():
    assert format_eta(None) == ""
    assert format_eta(42) == "42 s"
    assert format_eta(125) == "2 min 05 s"
    assert format_eta(7300) == "2 h 01 min"


def test_a_batch_finishing_in_the_background_notifies(make_window, qtbot, tmp_path: Path):
    backend = FakeBackend()
    window = make_window()
    window.show()
    window.set_backend(backend, workspace=backend.workspace())
    qtbot.waitUntil(lambda: window.list_model.rowCount() > 0, timeout=5000)
    notes = []
    window.notify = lambda title, text: notes.append((title, text))
    window.isActiveWindow = lambda: False
    window.queue.attach(backend, TASK, "Task “One”", _files(tmp_path, 2))
    qtbot.waitUntil(lambda: bool(notes), timeout=5000)
    assert notes == [("Transfers finished", "2 transfers finished.")]
