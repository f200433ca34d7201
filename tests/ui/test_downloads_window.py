"""A download in the window is an engine job: it shows in the panel "to" its local path, Pause keeps
its progress, and after the window quits half-way a new window lists it and finishes it from the
bytes its `.part` kept (the server sends only the rest); the file ends byte for byte the stored one."""

from __future__ import annotations

import random
import re
import threading
from pathlib import Path

from attache.app.connections import token_connection
from attache.backends.base import attach_file
from attache.core.models import EntityKind, EntityRef
from attache.transfers import Job, JobState
from attache.ui import tasks
from attache.ui.transfer_rows import DOWNLOAD
from attache.ui.transfers_view import TransfersModel

MiB = 1024 * 1024
SIZE = 3 * MiB + 99
DOWNLOAD_REQUEST = re.compile(r"^GET .*/tasks/[^/]+/files/[^/]+/download$")


def _menu(window, row) -> list[str]:
    panel = window.transfers
    panel.view.setCurrentIndex(panel.model.index(panel.model._jobs.index(row), 0))
    window.transfer_actions.update_actions()
    menu = panel.context_menu(panel.selected_jobs())
    texts = [action.text() for action in menu.actions() if action.text()]
    menu.deleteLater()
    return texts


def _open(make_window, qtbot, server):
    window = make_window()
    window.show()
    window.open_connection(token_connection("awork", server.base_url, server.token, label="awork · sandbox"))
    qtbot.waitUntil(lambda: window.backend is not None and window.engine is not None, timeout=15_000)
    return window


def test_a_download_paused_then_quit_half_way_is_listed_and_finished_by_the_next_window(
    make_window, make_backend, qtbot, fresh_awork_sandbox, tmp_path: Path
):
    server = fresh_awork_sandbox
    backend = make_backend(server)
    task = EntityRef(EntityKind.TASK, next(iter(backend.iter_pages(EntityKind.TASK, page_size=1))).items[0].id)
    content = random.Random(7).randbytes(SIZE)
    source = tmp_path / "stored.bin"
    source.write_bytes(content)
    record = attach_file(backend, task, source)
    dest = tmp_path / "downloads" / "saved.bin"
    dest.parent.mkdir()

    window = _open(make_window, qtbot, server)
    half, paused = threading.Event(), threading.Event()

    def checkpoint(point: str, job: Job) -> None:  # an engine thread: wait there for Pause, once
        progress = window.engine.progress.get(job.id)
        if point == "receiving" and progress is not None and progress.bytes_sent >= SIZE // 2 and not half.is_set():
            half.set()
            assert paused.wait(20)

    window.engine._checkpoint = checkpoint  # the engine the app built; the hook its tests use
    server.clear_requests()
    row = window.queue.download(task, "Task “One”", record.id, record.name, record.size, dest)
    panel = window.transfers
    index = panel.model._jobs.index(row)
    assert row.kind is DOWNLOAD and panel.model.index(index, TransfersModel.TARGET).data() == str(dest)
    qtbot.waitUntil(lambda: row.engine_id is not None and half.is_set(), timeout=20_000)
    assert _menu(window, row) == ["Pause", "Cancel"]
    window.transfer_actions.pause_selected_action.trigger()
    paused.set()
    qtbot.waitUntil(lambda: row.state is JobState.INTERRUPTED, timeout=20_000)
    assert panel.model.index(index, TransfersModel.STATE).data() == "Paused"
    window.queue.update_engine_progress()
    at_pause = row.done_bytes
    assert at_pause >= SIZE // 2 and not dest.exists()
    panel.model.tick()
    assert row.done_bytes == at_pause  # the bar keeps its place while paused
    assert "goes on from where it stopped" in row.note
    assert _menu(window, row) == ["Resume", "Cancel"]  # no file to show before it is whole

    window._quitting = True  # quit with the download paused half-way: the journal keeps it
    window.close()
    tasks.runner().wait(15_000)
    qtbot.wait(10)

    again = _open(make_window, qtbot, server)
    qtbot.waitUntil(lambda: any(r.kind is DOWNLOAD for r in again.queue.jobs()), timeout=10_000)
    [listed] = [r for r in again.queue.jobs() if r.kind is DOWNLOAD]
    assert listed.engine_id == row.engine_id and listed.path == dest and listed.done_bytes >= SIZE // 2
    qtbot.waitUntil(lambda: listed.state is JobState.DONE, timeout=30_000)
    assert dest.read_bytes() == content and listed.path == dest
    assert _menu(again, listed) == ["Show in folder", "Open", "Remove from list"]
    assert sorted(p.name for p in dest.parent.iterdir()) == ["saved.bin"]  # no .part left
    first, second = [r for r in server.requests if DOWNLOAD_REQUEST.search(f"{r.method} {r.path}")]
    assert "range" not in first.headers and second.status == 206
    assert second.body_bytes == SIZE - int(second.headers["range"][len("bytes=") : -1])
    assert int(second.headers["range"][len("bytes=") : -1]) >= SIZE // 2
