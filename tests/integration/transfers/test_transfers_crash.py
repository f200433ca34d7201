"""Kill the uploading process with SIGKILL at six points of an upload's life; a fresh process
finishes the queue with every file attached exactly once."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
from pathlib import Path

import pytest
from transfers_support import (
    account_of,
    assert_each_uploaded_exactly_once,
    assert_nothing_uploaded_twice,
    is_link_request,
    task_refs,
    write_files,
)

from attache.core.services import SERVICES
from attache.transfers import JobState, Journal, Step, TransferEngine

WORKER = Path(__file__).with_name("transfers_crash_worker.py")

# point:n = die the n-th time any job reaches that point. Together they cover a crash before
# anything is sent, with an upload slot but no bytes, in the middle of the PUT body, after
# the PUT, after journaling "linking" but before asking, and after the server linked the
# file but before the answer was journaled (the case only reconciliation can fix).
CRASH_POINTS = ["claimed:2", "begun:3", "sending:3", "sent:2", "linking:3", "linked:2"]


def run_worker(journal: Path, server, crashpoint: str | None) -> subprocess.CompletedProcess:  # type: ignore[no-untyped-def]
    env = {**os.environ, "PYTHONUNBUFFERED": "1"}
    env.pop("ATTACHE_TEST_CRASHPOINT", None)
    if crashpoint:
        env["ATTACHE_TEST_CRASHPOINT"] = crashpoint
    return subprocess.run(
        [sys.executable, str(WORKER), str(journal), server.base_url, server.token, server.service_id],
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )


@pytest.mark.slow
@pytest.mark.parametrize("service_id", list(SERVICES))
def test_sigkill_at_every_step_then_a_fresh_process_finishes_exactly_once(make_awork_sandbox, tmp_path, service_id):
    server = make_awork_sandbox(service=service_id)
    tasks = task_refs(server, 4)
    # Some files span several 1 MB chunks, so "sending" catches a PUT with its body half sent.
    sizes = [2_500_000 if i % 4 == 0 else 40_000 + 1000 * i for i in range(20)]
    paths = write_files(tmp_path / "src", sizes, prefix="crash")
    journal_path = tmp_path / "journal.sqlite3"
    with Journal(journal_path) as journal:
        # Queued from this process; nothing runs here (the engine is never started).
        queueing = TransferEngine(journal, lambda account: pytest.fail("no backend needed to queue"))
        ids = [queueing.enqueue(account_of(server), tasks[i % len(tasks)], [path])[0] for i, path in enumerate(paths)]

    steps_seen = set()
    for crashpoint in CRASH_POINTS:
        result = run_worker(journal_path, server, crashpoint)
        assert result.returncode == -signal.SIGKILL, f"{crashpoint}: exit {result.returncode}\n{result.stderr}"
        with Journal(journal_path) as journal:
            jobs = journal.jobs(ids=ids)
        assert any(job.state is JobState.RUNNING for job in jobs), crashpoint  # it died holding jobs
        steps_seen |= {job.step for job in jobs if job.state is JobState.RUNNING}
        if crashpoint.startswith("sending"):
            # The server saw an upload whose body never finished (once its loop has read what the
            # dead process had already written to the socket).
            assert server.wait_for_requests(
                lambda requests: any(r.method in ("PUT", "POST") and r.status not in (200, 201) for r in requests)
            ), crashpoint
    assert {Step.NEW, Step.BEGUN, Step.SENT, Step.LINKING} <= steps_seen

    result = run_worker(journal_path, server, None)
    assert result.returncode == 0, result.stderr
    assert set(json.loads(result.stdout).values()) == {"done"}
    with Journal(journal_path) as journal:
        jobs = journal.jobs(ids=ids)
    assert_each_uploaded_exactly_once(server, jobs, tasks)
    assert_nothing_uploaded_twice(server, jobs)
    # The crash after linking was reconciled by listing the task's files, not by linking again:
    # exactly one link request succeeded per job.
    links = [
        r for r in server.requests if r.method == "POST" and is_link_request(server, r.path) and r.status in (200, 201)
    ]
    assert len(links) == len(ids)
