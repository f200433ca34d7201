"""The transfers panel's right-click menu, its summary, its units, its columns, the speed limit's units."""

from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import QItemSelectionModel
from PySide6.QtGui import QGuiApplication
from ui_helpers import task_without_files

from attache.core.models import EntityKind, EntityRef
from attache.sandbox import FaultPlan
from attache.transfers import JobState
from attache.ui.speed_limit import KB, MB, SpeedLimitDialog
from attache.ui.transfers_view import TransfersModel, TransfersPanel, format_speed


def _select(panel: TransfersPanel, job) -> None:
    row = panel.model._jobs.index(job)
    panel.view.selectionModel().select(
        panel.model.index(row, 0),
        QItemSelectionModel.SelectionFlag.ClearAndSelect | QItemSelectionModel.SelectionFlag.Rows,
    )


def _menu(panel: TransfersPanel, job) -> dict:
    _select(panel, job)
    return {action.text(): action for action in panel.context_menu(panel.selected_jobs()).actions()}


def test_the_right_click_menu_offers_what_applies(
    app, qtbot, make_awork_sandbox, make_backend, make_queue, tmp_path: Path
):
    server = make_awork_sandbox(faults=FaultPlan(rate=1.0, kinds=("503",), match=r"^PUT /blob/", max_faults=1))
    task = EntityRef(EntityKind.TASK, task_without_files(server))
    backend = make_backend(server, retries=False)
    queue = make_queue(backend, workers=1, tries=1)
    panel = TransfersPanel(queue)
    qtbot.addWidget(panel)
    panel.resize(700, 100)  # room for two rows
    panel.show()
    paths = []
    for n in range(3):
        path = tmp_path / f"doc-{n}.txt"
        path.write_bytes(b"z" * 1000)
        paths.append(path)
    queue.attach(task, "Task “One”", paths[:2])
    qtbot.waitUntil(lambda: len(queue.jobs()) == 2 and all(j.finished_state for j in queue.jobs()), timeout=10_000)
    failed, done = queue.jobs()
    assert failed.state is JobState.FAILED and done.state is JobState.DONE

    menu = _menu(panel, failed)
    assert list(menu) == ["Show in folder", "Open", "Copy error", "Retry", "Remove from list"]
    revealed, opened = [], []
    panel.revealRequested.connect(revealed.append)
    panel.openRequested.connect(opened.append)
    menu["Show in folder"].trigger()
    menu["Open"].trigger()
    assert revealed == opened == [paths[0]]
    menu["Copy error"].trigger()
    assert QGuiApplication.clipboard().text() == failed.error and "503" in failed.error

    queue.set_paused(True)
    queue.attach(task, "Task “One”", paths[2:])
    qtbot.waitUntil(lambda: len(queue.jobs()) == 3, timeout=10_000)
    waiting = queue.jobs()[2]
    menu = _menu(panel, waiting)
    assert list(menu) == ["Show in folder", "Open", "Cancel"]
    menu["Cancel"].trigger()
    qtbot.waitUntil(lambda: waiting.state is JobState.CANCELLED, timeout=10_000)
    panel.model.tick()
    assert "1 cancelled" in panel.summary.text() and "1 failed" in panel.summary.text()
    assert "1 done" in panel.summary.text()

    _menu(panel, waiting)["Remove from list"].trigger()
    assert waiting not in queue.jobs() and panel.model.rowCount() == 2
    queue.set_paused(False)
    _menu(panel, failed)["Retry"].trigger()
    qtbot.waitUntil(lambda: failed.state is JobState.DONE, timeout=10_000)

    # a download is "to" the file on this computer, and shows in its folder once it is there
    record = next(iter(backend.list_files(task)))
    dest = tmp_path / "downloads" / record.name
    dest.parent.mkdir()
    download = queue.download(task, "Task “One”", record.id, record.name, record.size, dest)
    row = panel.model._jobs.index(download)
    assert panel.model.index(row, TransfersModel.TARGET).data() == str(dest)
    qtbot.waitUntil(lambda: download.state is JobState.DONE, timeout=10_000)
    assert "Show in folder" in _menu(panel, download)
    # the view follows new transfers to the foot of the list
    qtbot.waitUntil(lambda: panel.view.verticalScrollBar().value() > 0, timeout=5000)
    assert panel.view.viewport().rect().contains(panel.view.visualRect(panel.model.index(row, 0)))


def test_the_state_column_fits_its_words_and_speeds_have_one_style(app, qtbot, make_queue, make_backend, awork_sandbox):
    panel = TransfersPanel(make_queue(make_backend(awork_sandbox)))
    qtbot.addWidget(panel)
    panel.resize(500, 200)  # narrow: the file name gives way, the state does not
    panel.show()
    qtbot.waitUntil(lambda: panel.compact, timeout=5000)  # icons only on its buttons
    header = panel.view.header()
    assert header.isSectionHidden(TransfersModel.ETA) and not header.isSectionHidden(TransfersModel.STATE)
    assert not header.isSectionHidden(TransfersModel.NAME) and header.sectionSize(TransfersModel.NAME) >= 140
    width = panel.view.header().sectionSize(TransfersModel.STATE)
    metrics = panel.view.fontMetrics()
    for word in ("Interrupted", "Cancelled", "Retrying", "Waiting for sign-in"):
        assert metrics.horizontalAdvance(word) + 12 <= width
    assert [format_speed(rate) for rate in (300, 5 * KB, 640 * KB, 1.5 * MB, 2048 * MB)] == [
        "0.3 KB/s",
        "5.0 KB/s",
        "640 KB/s",
        "1.5 MB/s",
        "2.0 GB/s",
    ]


def test_the_speed_limit_takes_kb_and_mb(app, qtbot):
    dialog = SpeedLimitDialog(None)
    qtbot.addWidget(dialog)
    assert dialog.unit.currentText() == "MB/s" and dialog.rate() is None
    dialog.set_rate(512, "KB/s")
    assert dialog.rate() == 512 * KB
    dialog.unit.setCurrentIndex(dialog.unit.findText("MB/s"))  # the same speed, in the other unit
    assert dialog.speed.value() == 0.5 and dialog.rate() == 0.5 * MB
    again = SpeedLimitDialog(256 * KB)
    qtbot.addWidget(again)
    assert again.unit.currentText() == "KB/s" and again.speed.value() == 256 and again.speed.isEnabled()
