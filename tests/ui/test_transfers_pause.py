"""Pausing the transfer queue, and interrupted uploads waiting for the user after a restart."""

from __future__ import annotations

from pathlib import Path

from ui_helpers import drag_and_drop, row_centre

from attache.app.connections import token_connection
from attache.core.models import EntityKind
from attache.transfers import JobState
from attache.ui.models import EntityRole


def _open(make_window, qtbot, server):
    window = make_window()
    window.show()
    window.open_connection(token_connection("awork", server.base_url, server.token, label="awork · sandbox"))
    qtbot.waitUntil(lambda: window.backend is not None and window.engine is not None, timeout=15_000)
    window.show_kind(EntityKind.TASK)
    qtbot.waitUntil(lambda: window.list_model.rowCount() > 3 and not window.list_model.loading, timeout=10_000)
    return window


def _files(tmp_path: Path, count: int) -> list[Path]:
    paths = []
    for index in range(count):
        path = tmp_path / f"draft-{index}.txt"
        path.write_text(f"draft {index}\n" * 500)
        paths.append(path)
    return paths


def test_paused_uploads_wait_and_resume_finishes_them(make_window, qtbot, fresh_awork_sandbox, tmp_path):
    window = _open(make_window, qtbot, fresh_awork_sandbox)
    panel = window.transfers
    assert panel.pause_button.text() == "Pause"
    panel.pause_button.click()
    assert window.engine.paused and panel.pause_button.text() == "Resume"
    assert panel.summary.text().startswith("Paused")

    view = window.list_view
    assert drag_and_drop(view.viewport(), row_centre(view, 2), _files(tmp_path, 2)) == (True, True)
    qtbot.waitUntil(lambda: len(window.queue.jobs()) == 2, timeout=10_000)
    qtbot.wait(300)
    assert all(job.state == JobState.QUEUED for job in window.queue.jobs())
    assert not any(r.path.endswith("/byuploadid") for r in fresh_awork_sandbox.requests)

    panel.pause_button.click()
    assert not window.engine.paused and panel.pause_button.text() == "Pause"
    qtbot.waitUntil(lambda: all(job.state == JobState.DONE for job in window.queue.jobs()), timeout=20_000)


def test_with_resume_on_start_off_the_queue_starts_paused(make_window, qtbot, fresh_awork_sandbox):
    first = make_window()
    first.resume_on_start_action.setChecked(False)  # remembered in the settings
    window = _open(make_window, qtbot, fresh_awork_sandbox)
    assert not window.resume_on_start_action.isChecked()
    assert window.engine.paused
    assert window.transfers.pause_button.text() == "Resume"
    first.resume_on_start_action.setChecked(True)


def test_a_cancelled_upload_can_be_retried(make_window, qtbot, fresh_awork_sandbox, tmp_path):
    """Cancel while paused, change one's mind: Retry queues the same journal job again and the file
    arrives once."""
    from ui_helpers import stored_files

    from attache.transfers import JobState

    window = _open(make_window, qtbot, fresh_awork_sandbox)
    panel = window.transfers
    panel.pause_button.click()
    view = window.list_view
    task = view.model().index(2, 0).data(EntityRole)
    [path] = _files(tmp_path, 1)
    assert drag_and_drop(view.viewport(), row_centre(view, 2), [path]) == (True, True)
    qtbot.waitUntil(lambda: len(window.queue.jobs()) == 1, timeout=10_000)
    [job] = window.queue.jobs()
    engine_id = job.engine_id

    panel.view.setCurrentIndex(panel.model.index(0, 0))
    panel.cancel_button.click()
    qtbot.waitUntil(lambda: job.state == JobState.CANCELLED, timeout=10_000)
    panel.pause_button.click()  # resumed: a cancelled job stays cancelled
    qtbot.wait(200)
    assert job.state == JobState.CANCELLED and path.name not in stored_files(fresh_awork_sandbox, task.id)

    panel.view.setCurrentIndex(panel.model.index(0, 0))
    assert panel.retry_button.isEnabled()
    panel.retry_button.click()
    qtbot.waitUntil(lambda: job.state == JobState.DONE, timeout=20_000)
    assert job.engine_id == engine_id and len(window.queue.jobs()) == 1
    assert stored_files(fresh_awork_sandbox, task.id)[path.name] == path.read_bytes()


def test_an_upload_speed_limit_is_chosen_applied_and_kept(make_window, qtbot, fresh_awork_sandbox):
    from PySide6.QtWidgets import QDialog

    window = _open(make_window, qtbot, fresh_awork_sandbox)
    assert window.engine.throttle.rate is None
    window.speed_limit_action.trigger()
    dialog = window.speed_limit_dialog
    assert not dialog.enabled.isChecked() and not dialog.speed.isEnabled()
    dialog.enabled.setChecked(True)
    dialog.speed.setValue(1.5)
    dialog.done(QDialog.DialogCode.Accepted)
    assert window.engine.throttle.rate == 1.5 * 1024 * 1024  # the running engine, at once
    assert "limited to 1.5 MB/s" in window.transfers.summary.text()

    later = _open(make_window, qtbot, fresh_awork_sandbox)  # next start: the same limit
    assert later.engine.throttle.rate == 1.5 * 1024 * 1024
    later.speed_limit_action.trigger()
    dialog = later.speed_limit_dialog
    assert dialog.enabled.isChecked() and dialog.speed.value() == 1.5
    dialog.enabled.setChecked(False)
    dialog.done(QDialog.DialogCode.Accepted)
    assert later.engine.throttle.rate is None
    assert "limited" not in later.transfers.summary.text()
