"""Downloads as journaled engine jobs, for every service against its own sandbox: one paused (or
left running by a process that died) half-way is finished by a new engine on the same journal from
the bytes its `.part` kept, and the server sends little more than the file once; a transient failure
is retried; a cancel leaves no `.part`; a file changed on the server meanwhile starts over and ends
as the new version; a file already at the destination is never overwritten unasked."""

from __future__ import annotations

import os
import random
import re
import sqlite3
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest
from transfers_support import account_of, make_engine, open_backend, task_refs

from attache.backends.base import Backend, attach_file
from attache.core.models import EntityRef
from attache.core.services import SERVICES
from attache.sandbox import FaultPlan, SandboxServer
from attache.sandbox.common.faults import RequestRecord
from attache.transfers import Job, JobState, Journal, Step, TransferEngine

MiB = 1024 * 1024
SIZE = 2 * MiB + 333
DOWNLOAD_REQUESTS = {  # as in test_download_resume: the request that sends a file's bytes
    "awork": r"^GET .*/tasks/[^/]+/files/[^/]+/download$",
    "onlyoffice": r"(?i)^GET /products/files/httphandlers/filehandler\.ashx$",
    "superoffice": r"(?i)^GET .*/document/\d+/content$",
}


@pytest.fixture(scope="module", params=list(SERVICES))
def server(request: pytest.FixtureRequest) -> Iterator[SandboxServer]:
    with SandboxServer(service=request.param) as server:
        yield server


@pytest.fixture
def backend(server: SandboxServer) -> Iterator[Backend]:
    server.set_faults(None)
    backend = open_backend(server)
    yield backend
    backend.close()
    server.set_faults(None)


def stored(backend: Backend, server: SandboxServer, folder: Path, seed: int) -> tuple[EntityRef, str, bytes]:
    content = random.Random(seed).randbytes(SIZE)
    source = folder / f"stored-{seed}.bin"
    source.write_bytes(content)
    task = task_refs(server, 1)[0]
    return task, attach_file(backend, task, source).id, content


def downloads(server: SandboxServer) -> list[RequestRecord]:
    pattern = re.compile(DOWNLOAD_REQUESTS[server.service_id])
    return [r for r in server.requests if pattern.search(f"{r.method} {r.path}")]


def half_way(box: list[TransferEngine], action: str, reached: threading.Event):  # type: ignore[no-untyped-def]
    """A checkpoint that pauses or cancels the job once half the file has arrived."""

    def checkpoint(point: str, job: Job) -> None:
        engine = box[0]
        progress = engine.progress.get(job.id)
        if point == "receiving" and progress is not None and progress.bytes_sent >= SIZE // 2 and not reached.is_set():
            reached.set()
            if action == "pause":
                engine.pause_jobs([job.id])
            else:
                engine.cancel([job.id])

    return checkpoint


def stopped_half_way(server: SandboxServer, journal: Journal, task: EntityRef, file_id: str, dest: Path) -> Job:
    """Start a download, pause it half-way, shut the engine down; the job as it was left."""
    box: list[TransferEngine] = []
    reached = threading.Event()
    engine = make_engine(server, journal, checkpoint=half_way(box, "pause", reached))
    box.append(engine)
    with engine:
        job_id = engine.enqueue_download(account_of(server), task, file_id, "stored.bin", SIZE, dest)
        assert reached.wait(30)
        assert engine._wait_until(lambda: journal.get(job_id).state is JobState.INTERRUPTED, 30)  # type: ignore[union-attr]
    job = journal.get(job_id)
    assert job is not None and job.state is JobState.INTERRUPTED and job.step is Step.BEGUN
    return job


def part_of(job: Job) -> Path:
    return Path(job.upload_state["part"])


@pytest.mark.parametrize("crash", [False, True], ids=["paused", "orphaned"])
def test_a_download_stopped_half_way_is_finished_by_a_new_engine_from_its_part(server, backend, tmp_path, crash):
    task, file_id, content = stored(backend, server, tmp_path, seed=21)
    folder = tmp_path / "out"
    folder.mkdir()
    dest = folder / "stored.bin"
    dest.write_bytes(b"the user's own file")  # never overwritten unasked
    server.clear_requests()
    with Journal(tmp_path / "journal.sqlite3") as journal:
        job = stopped_half_way(server, journal, task, file_id, dest)
    part = part_of(job)
    assert part.parent == folder and SIZE // 2 <= part.stat().st_size < SIZE  # the .part survived
    assert job.bytes_sent == part.stat().st_size
    if crash:  # as a process that died while running it leaves it
        with sqlite3.connect(tmp_path / "journal.sqlite3") as conn:
            conn.execute("UPDATE jobs SET state = 'running', runner = 'gone:0' WHERE id = ?", (job.id,))
        conn.close()

    with Journal(tmp_path / "journal.sqlite3") as journal, make_engine(server, journal) as engine:
        assert engine.wait([job.id], timeout=60)
        done = journal.get(job.id)

    assert done is not None and done.state is JobState.DONE, done
    assert done.saved_path == folder / "stored (2).bin" and done.saved_path.read_bytes() == content
    assert dest.read_bytes() == b"the user's own file"
    assert sorted(p.name for p in folder.iterdir()) == ["stored (2).bin", "stored.bin"]  # no .part left
    assert done.attempts == 2 and done.size == SIZE
    first, *rest = downloads(server)
    kept = job.bytes_sent
    assert "range" not in first.headers
    assert rest[0].headers["range"] == f"bytes={kept}-" and rest[0].status == 206
    # Only the rest is sent again: the file crossed once (the first answer's count on the server
    # side includes what loopback's socket buffers took in after the pause, never read by us).
    assert sum(r.body_bytes for r in rest if r.status in (200, 206)) == SIZE - kept
    assert len(rest) == 1


def test_a_transient_failure_is_retried_and_the_download_completes(server, backend, tmp_path):
    task, file_id, content = stored(backend, server, tmp_path, seed=22)
    server.clear_requests()
    # More refusals than one backend call tries (5): the engine's retry policy takes over.
    server.set_faults(FaultPlan(match=DOWNLOAD_REQUESTS[server.service_id], rate=1.0, kinds=("503",), max_faults=6))
    dest = tmp_path / "retried.bin"
    with Journal(tmp_path / "journal.sqlite3") as journal, make_engine(server, journal) as engine:
        job_id = engine.enqueue_download(account_of(server), task, file_id, "retried.bin", SIZE, dest)
        assert engine.wait([job_id], timeout=60)
        job = journal.get(job_id)
    assert job is not None and job.state is JobState.DONE, job
    assert job.attempts == 2 and dest.read_bytes() == content
    assert [r.fault for r in downloads(server)][:6] == ["503"] * 6


def test_a_cancelled_download_leaves_no_part(server, backend, tmp_path):
    task, file_id, _ = stored(backend, server, tmp_path, seed=23)
    folder = tmp_path / "out"
    folder.mkdir()
    box: list[TransferEngine] = []
    reached = threading.Event()
    with Journal(tmp_path / "journal.sqlite3") as journal:
        engine = make_engine(server, journal, checkpoint=half_way(box, "cancel", reached))
        box.append(engine)
        with engine:
            job_id = engine.enqueue_download(account_of(server), task, file_id, "c.bin", SIZE, folder / "c.bin")
            assert engine.wait([job_id], timeout=60)
        job = journal.get(job_id)
    assert reached.is_set() and job is not None and job.state is JobState.CANCELLED
    assert list(folder.iterdir()) == []


def test_a_file_changed_on_the_server_meanwhile_starts_over_as_the_new_version(server, backend, tmp_path):
    task, file_id, old = stored(backend, server, tmp_path, seed=24)
    new = random.Random(25).randbytes(len(old))
    blob = next(p for p in server.store.blob_dir.iterdir() if p.is_file() and p.read_bytes() == old)
    dest = tmp_path / "changed.bin"
    server.clear_requests()
    with Journal(tmp_path / "journal.sqlite3") as journal:
        job = stopped_half_way(server, journal, task, file_id, dest)
    replaced = blob.with_name(blob.name + ".new")
    replaced.write_bytes(new)
    later = blob.stat().st_mtime + 10
    os.utime(replaced, (later, later))
    os.replace(replaced, blob)

    with Journal(tmp_path / "journal.sqlite3") as journal, make_engine(server, journal) as engine:
        assert engine.wait([job.id], timeout=60)
        done = journal.get(job.id)

    assert done is not None and done.state is JobState.DONE and dest.read_bytes() == new
    resumed = downloads(server)[1]
    assert resumed.headers.get("if-range") and resumed.status == 200  # the validator no longer held
    assert sorted(p.name for p in tmp_path.iterdir() if p.name.endswith(".part")) == []


def test_a_download_refused_sign_in_waits_for_the_new_one_and_then_completes(server, backend, tmp_path):
    from attache.core.services import service

    task, file_id, content = stored(backend, server, tmp_path, seed=26)
    connector = service(server.service_id).connector()
    refused = connector.open_backend(server.base_url, connector.secret_from_token("not-the-token"), account="sandbox")
    backends = [refused]
    dest = tmp_path / "held.bin"
    with Journal(tmp_path / "journal.sqlite3") as journal:
        engine = TransferEngine(journal, lambda account: backends[-1], hold_on_sign_in=True, poll_interval=0.05)
        with engine:
            job_id = engine.enqueue_download(account_of(server), task, file_id, "held.bin", SIZE, dest)
            assert engine._wait_until(lambda: account_of(server) in engine.waiting_for_sign_in(), 30)
            held = journal.get(job_id)
            assert held is not None and held.state is JobState.QUEUED and "sign-in" in held.last_error
            backends.append(open_backend(server))
            engine.signed_in(account_of(server))
            assert engine.wait([job_id], timeout=60)
        done = journal.get(job_id)
    assert done is not None and done.state is JobState.DONE and dest.read_bytes() == content
