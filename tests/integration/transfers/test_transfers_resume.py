"""Uploads resume mid-file: SIGKILL half-way through a large upload, and the next process sends
only the rest (awork: blocks at the sandbox's blob endpoint and at Azurite; ONLYOFFICE: the
chunked session); a paused upload goes on from where it stopped; an expired upload URL or an
expired session starts over cleanly. Every file ends up attached once, byte for byte. A cancel stops
every one of awork's blocks in flight side by side.

Sizes: 45 MiB files, awork's blocks lowered to 4 MiB (ONLYOFFICE keeps its 10 MiB parts) to
keep the suite fast; the 300 MB run is benchmarks/bench_resume.py.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import threading
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

import httpx
import pytest
from transfers_support import (
    FAST_RETRY,
    account_of,
    assert_each_uploaded_exactly_once,
    assert_nothing_uploaded_twice,
    make_engine,
    task_refs,
    write_files,
)

from attache.backends.awork_blocks import PARALLEL_BLOCKS
from attache.backends.part_buffers import PART_BUFFERS
from attache.sandbox import FaultPlan
from attache.transfers import JobState, Journal, Step, Throttle, TransferEngine

WORKER = Path(__file__).with_name("transfers_crash_worker.py")
MiB = 1024 * 1024
SIZE = 45 * MiB + 12_345  # not a whole number of parts
BLOCK = 4 * MiB
# awork: blocks of 4 MiB above 1 MiB; ONLYOFFICE: a chunked session above 1 MiB.
BACKEND_ATTRS = {"awork": {"block_size": BLOCK, "block_threshold": MiB}, "onlyoffice": {"_single_limit": MiB}}
# "sending" checkpoints until half-way, in the middle of a part: awork reads the file in 1 MiB
# chunks, ONLYOFFICE's multipart parts are read in httpx's 64 KiB ones.
KILL_AFTER = {"awork": 24, "onlyoffice": 24 * 16}
# What a stop can cut off and the next pass sends again: awork's blocks in flight side by side,
# ONLYOFFICE's one part.
CUT_OFF = {"awork": PARALLEL_BLOCKS * BLOCK, "onlyoffice": 10 * MiB}


def run_worker(journal: Path, server, env_extra: dict[str, str]) -> subprocess.CompletedProcess:  # type: ignore[no-untyped-def]
    env = {**os.environ, "PYTHONUNBUFFERED": "1", **env_extra}
    return subprocess.run(
        [sys.executable, str(WORKER), str(journal), server.base_url, server.token, server.service_id],
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )


def sent_bytes(log: Path) -> int:
    return sum(int(line) for line in log.read_text().split()) if log.exists() else 0


@pytest.fixture(params=["awork", "awork-azurite", "onlyoffice"])
def resume_server(request, make_awork_sandbox):  # type: ignore[no-untyped-def]
    if request.param == "awork-azurite":
        azurite = request.getfixturevalue("azurite")
        return make_awork_sandbox(service="awork", blob_backend=azurite.blobs(container="resume-uploads"))
    return make_awork_sandbox(service=request.param)


@pytest.mark.slow
def test_sigkill_half_way_then_the_next_process_sends_only_the_rest(resume_server, tmp_path):
    server = resume_server
    task = task_refs(server, 1)[0]
    (source,) = write_files(tmp_path / "src", [SIZE], prefix="big")
    journal_path, log = tmp_path / "journal.sqlite3", tmp_path / "sent.log"
    with Journal(journal_path) as journal:
        (job_id,) = TransferEngine(journal, lambda account: pytest.fail("no backend to queue")).enqueue(
            account_of(server), task, [source]
        )
    env = {
        "ATTACHE_TEST_BACKEND_ATTRS": json.dumps(BACKEND_ATTRS[server.service_id]),
        "ATTACHE_TEST_SENT_LOG": str(log),
    }
    crash = f"sending:{KILL_AFTER[server.service_id]}"
    killed = run_worker(journal_path, server, {**env, "ATTACHE_TEST_CRASHPOINT": crash})
    assert killed.returncode == -signal.SIGKILL, killed.stderr
    before = sent_bytes(log)
    assert before >= 23 * MiB

    finished = run_worker(journal_path, server, env)
    assert finished.returncode == 0, finished.stderr
    with Journal(journal_path) as journal:
        jobs = journal.jobs(ids=[job_id])
    assert_each_uploaded_exactly_once(server, jobs, [task])
    total = sent_bytes(log)
    ratio = total / SIZE
    print(f"{server.service_id}: {before} bytes before the kill, {total} in all: {ratio:.3f}× the file")
    cut_off = CUT_OFF[server.service_id] + MiB
    assert total - before < SIZE - before + cut_off  # the second process did not start from 0
    if server.service_id == "awork" and hasattr(server.blobs, "received"):
        # What the blob endpoint received agrees: at most the file once more what was cut off.
        assert server.blobs.received <= SIZE + cut_off + MiB


def _pause_after(engine_box: list, chunks: int, paused: threading.Event):  # type: ignore[no-untyped-def]
    count = [0]

    def checkpoint(point: str, job) -> None:  # type: ignore[no-untyped-def]
        if point == "sending" and not paused.is_set():
            count[0] += 1
            if count[0] == chunks:
                paused.set()
                engine_box[0].pause(interrupt_running=True)

    return checkpoint


def _interrupted(engine: TransferEngine, job_id: int) -> bool:
    return engine.jobs(ids=[job_id])[0].state is JobState.INTERRUPTED


def _wait(condition, timeout: float = 30.0) -> bool:  # type: ignore[no-untyped-def]
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() >= deadline:
            return False
        time.sleep(0.02)  # polling a condition, not waiting for something to happen
    return True


def _engine(server, journal: Journal, **options) -> TransferEngine:  # type: ignore[no-untyped-def]
    """The sandbox's backend with this module's smaller parts."""
    open_backend = make_engine(server, journal)._backend_for

    def with_attrs(account):  # type: ignore[no-untyped-def]
        backend = open_backend(account)
        for name, value in BACKEND_ATTRS[server.service_id].items():
            setattr(backend, name, value)
        return backend

    options.setdefault("retry", FAST_RETRY)
    options.setdefault("poll_interval", 0.1)
    return TransferEngine(journal, with_attrs, **options)


class CountingThrottle(Throttle):
    """No limit; counts the bytes handed to the network."""

    def __init__(self) -> None:
        super().__init__()
        self.sent = 0

    def reserve(self, size: int) -> float:
        self.sent += size
        return super().reserve(size)


def _paused_upload(server, tmp_path, mib: int):  # type: ignore[no-untyped-def]
    """An engine whose one large upload was paused after `mib` MiB went out."""
    chunks = mib * KILL_AFTER[server.service_id] // 24
    task = task_refs(server, 1)[0]
    (source,) = write_files(tmp_path / "src", [SIZE], prefix="paused")
    journal = Journal(tmp_path / "journal.sqlite3")
    box: list = []
    paused = threading.Event()
    engine = _engine(
        server, journal, workers=1, checkpoint=_pause_after(box, chunks, paused), throttle=CountingThrottle()
    )
    box.append(engine)
    engine.start()
    (job_id,) = engine.enqueue(account_of(server), task, [source])
    assert _wait(lambda: paused.is_set() and _interrupted(engine, job_id))
    return engine, journal, task, job_id


@pytest.mark.slow
@pytest.mark.parametrize("service_id", ["awork", "onlyoffice"])
def test_a_paused_upload_resumes_where_it_stopped_and_its_progress_keeps_its_place(
    make_awork_sandbox, tmp_path, service_id
):
    server = make_awork_sandbox(service=service_id)
    engine, journal, task, job_id = _paused_upload(server, tmp_path, 24)
    try:
        at_pause = engine.progress.get(job_id)
        assert at_pause is not None and at_pause.bytes_sent >= 20 * MiB
        server.clear_requests()
        lowest = [SIZE]
        watcher_stop = threading.Event()

        def watch() -> None:  # the lowest count shown while it resumes
            while not watcher_stop.is_set():
                progress = engine.progress.get(job_id)
                if progress is not None:
                    lowest[0] = min(lowest[0], progress.bytes_sent)
                watcher_stop.wait(0.005)

        watcher = threading.Thread(target=watch)
        watcher.start()
        engine.resume()
        assert engine.wait([job_id], timeout=60)
        watcher_stop.set()
        watcher.join()
        # The count never fell back to 0: it went on from what the server held (below the pause
        # by what the pause cut off at most, which is sent again).
        assert lowest[0] >= at_pause.bytes_sent - CUT_OFF[service_id] - MiB
        assert_each_uploaded_exactly_once(server, engine.jobs(ids=[job_id]), [task])
        assert engine.throttle.sent <= SIZE + CUT_OFF[service_id] + MiB  # type: ignore[attr-defined]
    finally:
        engine.shutdown()
        journal.close()


@pytest.mark.slow
@pytest.mark.parametrize("service_id", ["awork", "onlyoffice"])
def test_a_cancelled_upload_retried_goes_on_from_what_the_server_holds(make_awork_sandbox, tmp_path, service_id):
    server = make_awork_sandbox(service=service_id)
    engine, journal, task, job_id = _paused_upload(server, tmp_path, 24)
    try:
        assert engine.cancel([job_id]) == [job_id]
        assert engine.requeue([job_id]) == [job_id]
        engine.resume()
        assert engine.wait([job_id], timeout=60)
        assert_each_uploaded_exactly_once(server, engine.jobs(ids=[job_id]), [task])
        assert engine.throttle.sent <= SIZE + CUT_OFF[service_id] + MiB  # type: ignore[attr-defined]
    finally:
        engine.shutdown()
        journal.close()


@pytest.mark.slow
def test_an_expired_upload_url_during_resume_starts_over_cleanly(make_awork_sandbox, tmp_path):
    server = make_awork_sandbox(service="awork")
    engine, journal, task, job_id = _paused_upload(server, tmp_path, 12)
    try:
        job = engine.jobs(ids=[job_id])[0]
        assert job.step is Step.BEGUN
        # The URL's expiry passes while it is paused: a genuine SAS, signed, but expired.
        state = dict(job.upload_state)
        root = state["upload_url"].split("/blob/")[0]
        expired = server.blobs.upload_url(state["upload_id"], root, datetime.now(UTC) - timedelta(minutes=1))
        journal.record_step(job_id, Step.BEGUN, upload_state={**state, "upload_url": expired})
        engine.resume()
        assert engine.wait([job_id], timeout=60)
        done = engine.jobs(ids=[job_id])[0]
        assert done.upload_state["upload_id"] != state["upload_id"]  # a new upload, from byte 0
        assert engine.throttle.sent >= SIZE + 11 * MiB  # type: ignore[attr-defined]
        assert_each_uploaded_exactly_once(server, [done], [task])
    finally:
        engine.shutdown()
        journal.close()


@pytest.mark.slow
def test_an_onlyoffice_session_that_expired_is_replaced_by_a_new_one(make_awork_sandbox, tmp_path):
    server = make_awork_sandbox(service="onlyoffice")
    engine, journal, task, job_id = _paused_upload(server, tmp_path, 24)
    try:
        session = engine.jobs(ids=[job_id])[0].upload_state["session_id"]
        with server.store.transaction() as db:  # the portal let it expire meanwhile
            db.execute("UPDATE upload_sessions SET expires = 0 WHERE id = ?", (session,))
        engine.resume()
        assert engine.wait([job_id], timeout=60)
        done = engine.jobs(ids=[job_id])[0]
        assert done.upload_state["session_id"] != session
        assert_each_uploaded_exactly_once(server, [done], [task])
    finally:
        engine.shutdown()
        journal.close()


@pytest.mark.slow
@pytest.mark.parametrize("service_id", ["awork", "onlyoffice"])
def test_resumed_uploads_under_20_percent_faults_arrive_exactly_once(make_awork_sandbox, tmp_path, service_id):
    """Faults on parts, on block lists and on commits (answers lost after the effect included)."""
    plan = FaultPlan(0.2, kinds=("429", "503", "drop", "slow"), retry_after=0.1, seed=15, slow_range=(0.05, 0.2))
    server = make_awork_sandbox(service=service_id, faults=plan)
    tasks = task_refs(server, 2)
    sizes = [2 * 10 * MiB + 5, 10 * MiB + 77] if service_id == "onlyoffice" else [9 * MiB + 3, 6 * MiB, 13 * MiB + 9]
    paths = write_files(tmp_path / "src", sizes, prefix="faulty")
    with Journal(tmp_path / "journal.sqlite3") as journal:
        engine = _engine(server, journal, workers=2)
        with engine:
            ids = [engine.enqueue(account_of(server), tasks[i % 2], [path])[0] for i, path in enumerate(paths)]
            assert engine.wait(ids, timeout=90)
        jobs = journal.jobs(ids=ids)
    assert any(r.fault for r in server.requests)
    assert_each_uploaded_exactly_once(server, jobs, tasks)
    assert_nothing_uploaded_twice(server, jobs)


@pytest.mark.slow
def test_cancelling_an_upload_stops_every_block_in_flight(make_awork_sandbox, tmp_path):
    """The engine's cancel reaches all of awork's blocks sent side by side, not just one: each
    stops at its next chunk, none is staged, and no sending thread is left behind."""
    server = make_awork_sandbox(service="awork")
    task = task_refs(server, 1)[0]
    (source,) = write_files(tmp_path / "src", [(PARALLEL_BLOCKS + 1) * BLOCK + 5], prefix="cancelled")
    box: list = []
    job_ids: list[int] = []
    # Once every block is in flight, and before any of them goes on: cancel.
    barrier = threading.Barrier(PARALLEL_BLOCKS, action=lambda: box[0].cancel(job_ids), timeout=30)
    calls = [0]
    lock = threading.Lock()

    def cancel_once_all_in_flight(point: str, job) -> None:  # type: ignore[no-untyped-def]
        if point != "sending":
            return
        with lock:
            calls[0] += 1
            first = calls[0] <= PARALLEL_BLOCKS
            job_ids[:] = [job.id]
        if first:  # each block's first chunk
            barrier.wait()

    with Journal(tmp_path / "journal.sqlite3") as journal:
        engine = _engine(server, journal, workers=1, checkpoint=cancel_once_all_in_flight)
        box.append(engine)
        with engine:
            (job_id,) = engine.enqueue(account_of(server), task, [source])
            assert engine.wait([job_id], timeout=60)
            assert engine.jobs(ids=[job_id])[0].state is JobState.CANCELLED
            assert PART_BUFFERS.lent == 0  # no block of it is left in flight
            url = engine.jobs(ids=[job_id])[0].upload_state["upload_url"]
    puts = [r for r in server.requests if r.method == "PUT" and "comp=block&" in r.query + "&"]
    # The fifth block never started (a request cut off this early may never reach the app's log).
    assert len(puts) <= PARALLEL_BLOCKS
    assert not [r for r in puts if r.status == 201]  # each was cut off before it arrived
    listed = httpx.get(httpx.URL(url).copy_merge_params({"comp": "blocklist"}))
    assert listed.status_code == 404 or b"<Block>" not in listed.content
