"""A cancelled upload leaves nothing half-made on the server: no empty record for a file the
user took back, on every service."""

from __future__ import annotations

import threading
import time

import pytest
from transfers_support import account_of, make_engine, open_backend, task_refs, write_files

from attache.core.services import SERVICES
from attache.transfers import JobState, Journal

MiB = 1024 * 1024


@pytest.mark.parametrize("service_id", list(SERVICES))
def test_a_cancelled_upload_leaves_no_empty_record(make_awork_sandbox, tmp_path, service_id):
    server = make_awork_sandbox(service=service_id)
    [task] = task_refs(server, 1)
    [path] = write_files(tmp_path, [6 * MiB], prefix="taken-back")
    with Journal(tmp_path / "journal.sqlite3") as journal:
        engine = make_engine(server, journal, workers=1)
        engine.throttle.set_rate(1 * MiB)  # slow enough to be cancelled while its bytes go out
        with engine:
            [job_id] = engine.enqueue(account_of(server), task, [path])
            assert _eventually(lambda: _done_bytes(engine, job_id) >= MiB), "the upload never got going"
            engine.cancel([job_id])
            assert engine.wait_idle(timeout=60)
        [job] = journal.jobs(ids=[job_id])
    assert job.state is JobState.CANCELLED
    backend = open_backend(server)
    try:
        assert path.name not in {record.name for record in backend.list_files(task)}
    finally:
        backend.close()
    if service_id == "superoffice":  # the one service whose record exists before its content
        rows = server.store.read("SELECT header, blob FROM documents")
        assert not [row["header"] for row in rows if row["header"] == path.name], "an empty document stayed"


def _done_bytes(engine, job_id: int) -> int:
    progress = engine.progress.get(job_id)
    return progress.bytes_sent if progress is not None else 0


def _eventually(condition, timeout: float = 60.0) -> bool:
    """Poll a condition until it holds (a deadline, not a duration the test relies on)."""
    deadline = time.monotonic() + timeout
    pause = threading.Event()
    while not condition():
        if time.monotonic() > deadline:
            return False
        pause.wait(0.02)
    return True
