"""Pause and Resume of one upload in the window: it says "Paused", its bar keeps its place, and
Resume goes on from what the server holds; the quit question says what will happen."""

from __future__ import annotations

from pathlib import Path

from ui_helpers import drag_and_drop, row_centre

from attache.app.connections import token_connection
from attache.backends.awork_blocks import BLOCK_SIZE, PARALLEL_BLOCKS
from attache.core.models import EntityKind, EntityRef
from attache.transfers import JobState
from attache.ui.transfer_actions import what_happens_later
from attache.ui.transfer_rows import DOWNLOAD, UPLOAD, TransferRow
from attache.ui.transfers_view import TransfersModel

MiB = 1024 * 1024
SIZE = 24 * MiB  # three of awork's 8 MiB blocks


def _open(make_window, qtbot, server):
    window = make_window()
    window.show()
    window.open_connection(token_connection("awork", server.base_url, server.token, label="awork · sandbox"))
    qtbot.waitUntil(lambda: window.backend is not None and window.engine is not None, timeout=15_000)
    window.show_kind(EntityKind.TASK)
    qtbot.waitUntil(lambda: window.list_model.rowCount() > 3 and not window.list_model.loading, timeout=10_000)
    return window


def test_pausing_one_upload_keeps_its_progress_and_resume_goes_on_from_there(
    make_window, qtbot, fresh_awork_sandbox, tmp_path: Path
):
    window = _open(make_window, qtbot, fresh_awork_sandbox)
    window.engine.throttle.set_rate(4 * MiB)  # slow enough to pause it half-way
    path = tmp_path / "video.bin"
    path.write_bytes(bytes(range(256)) * (SIZE // 256))
    view = window.list_view
    assert drag_and_drop(view.viewport(), row_centre(view, 2), [path]) == (True, True)
    qtbot.waitUntil(lambda: len(window.queue.jobs()) == 1, timeout=10_000)
    [job] = window.queue.jobs()
    qtbot.waitUntil(lambda: job.done_bytes >= 10 * MiB, timeout=20_000)

    panel, actions = window.transfers, window.transfer_actions
    panel.view.setCurrentIndex(panel.model.index(0, 0))
    assert actions.pause_selected_action.isEnabled() and not actions.resume_selected_action.isEnabled()
    menu = panel.context_menu(panel.selected_jobs())
    assert actions.pause_selected_action in menu.actions()  # the right-click menu offers it
    assert actions.resume_selected_action not in menu.actions()
    menu.deleteLater()
    actions.pause_selected_action.trigger()
    qtbot.waitUntil(lambda: job.state is JobState.INTERRUPTED, timeout=10_000)
    state_text = panel.model.index(0, TransfersModel.STATE).data()
    assert state_text == "Paused"
    assert "goes on from where it stopped" in job.note
    at_pause = job.done_bytes
    assert at_pause >= 10 * MiB and not window.engine.paused  # the rest of the queue runs on
    panel.model.tick()
    assert job.done_bytes == at_pause  # the bar keeps its place while paused
    progress = panel.model.index(0, TransfersModel.PROGRESS).data()
    assert progress == f"{at_pause / MiB:.1f} of 24.0 MB"  # short enough to fit beside the bar
    assert panel.summary.text() == "1 paused · uploads limited to 4.0 MB/s"  # not "in progress"
    assert actions.resume_selected_action.isEnabled()

    lowest = [SIZE]

    def seen() -> None:
        if job.state is JobState.RUNNING:
            lowest[0] = min(lowest[0], job.done_bytes)

    panel.model.dataChanged.connect(seen)
    window.engine.throttle.set_rate(None)
    actions.resume_selected_action.trigger()
    qtbot.waitUntil(lambda: job.state is JobState.DONE, timeout=30_000)
    # Never back to 0: at worst the block cut off by the pause is sent again.
    assert lowest[0] >= 8 * MiB
    # At most the blocks in flight at the pause went twice (8 MiB blocks, PARALLEL_BLOCKS at a time).
    assert fresh_awork_sandbox.blobs.received <= SIZE + PARALLEL_BLOCKS * BLOCK_SIZE


def _row(kind=UPLOAD, state=JobState.INTERRUPTED, resumable=True) -> TransferRow:
    row = TransferRow("r", kind, "a.bin", "Task 1", EntityRef(EntityKind.TASK, "1"), 10, state=state)
    row.resumable = resumable
    return row


def test_the_quit_question_says_what_happens_to_each_kind_of_transfer():
    assert what_happens_later([_row()], resume_on_start=True) == (
        "Uploads go on from where they stopped the next time you open Attaché."
    )
    assert "start again from the beginning" in what_happens_later([_row(resumable=False)], resume_on_start=True)
    mixed = what_happens_later([_row(), _row(), _row(resumable=False)], resume_on_start=False)
    assert mixed.startswith("2 uploads go on from where they stopped when you press Resume")
    assert "1 starts again from the beginning" in mixed
    assert what_happens_later([_row(), _row(kind=DOWNLOAD, state=JobState.RUNNING)], resume_on_start=True) == (
        "Uploads go on from where they stopped the next time you open Attaché. 1 download goes on the next "
        "time you open Attaché, from where it stopped if the server allows it."
    )
    assert what_happens_later([_row(kind=DOWNLOAD), _row(kind=DOWNLOAD)], resume_on_start=False) == (
        "2 downloads go on when you press Resume after opening Attaché, from where they stopped if the "
        "server allows it."
    )


def test_the_quit_question_on_the_sandbox_says_its_transfers_are_lost_and_the_others_go_on():
    """On the built-in sandbox the user's queue holds saved accounts' uploads too: only the
    sandbox's own are lost when it stops."""
    demo, saved = _row(state=JobState.RUNNING), _row()
    demo.account, saved.account = "sandbox-4242", "Work"
    assert what_happens_later([demo, saved], resume_on_start=True, lost={"sandbox-4242"}) == (
        "1 transfer to the sandbox is lost: it stops. "
        "Uploads go on from where they stopped the next time you open Attaché."
    )
    assert what_happens_later([demo, demo], resume_on_start=True, lost={"sandbox-4242"}) == (
        "2 transfers to the sandbox are lost: it stops."
    )
