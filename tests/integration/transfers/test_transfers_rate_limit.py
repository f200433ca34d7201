"""The sandbox answers 429 with Retry-After: the engine never asks again sooner, holds the
whole account while it waits, and never has more requests in flight than workers."""

from __future__ import annotations

import re

from transfers_support import ACCOUNT, assert_each_uploaded_exactly_once, make_engine, task_refs, write_files

from attache.sandbox import FaultPlan, RequestRecord
from attache.transfers import Journal

RETRY_AFTER = 2.0
WORKERS = 3
# The sandbox logs a request's end after its last byte left, a few ms after the client may
# have read it: waits are measured from that end, so allow that much.
LOG_SLACK = 0.05


def request_key(record: RequestRecord) -> str:
    """What identifies one job's request: each job has its own task, and its own upload URL."""
    return f"{record.method} {record.path}"


def run_uploads(server, tmp_path, count: int) -> None:  # type: ignore[no-untyped-def]
    tasks = task_refs(server, count)
    paths = write_files(tmp_path / "src", [30_000 + i for i in range(count)], prefix="limited")
    with Journal(tmp_path / "journal.sqlite3") as journal:
        with make_engine(server, journal, workers=WORKERS) as engine:
            ids = [engine.enqueue(ACCOUNT, task, [path])[0] for task, path in zip(tasks, paths, strict=True)]
            assert engine.wait(ids, timeout=60)
        assert_each_uploaded_exactly_once(server, journal.jobs(ids=ids), tasks)


def test_no_request_is_repeated_sooner_than_retry_after(make_awork_sandbox, tmp_path):
    server = make_awork_sandbox()
    first, second = task_refs(server, 2)
    # One job's file listing (retried by the HTTP layer) and another's link (retried by the
    # engine) are refused until three 429s have gone out.
    server.set_faults(
        FaultPlan(
            1.0,
            kinds=("429",),
            retry_after=RETRY_AFTER,
            max_faults=3,
            match=rf"^GET /api/v1/tasks/{first.id}/files$|^POST /api/v1/tasks/{second.id}/files/byuploadid$",
        )
    )
    run_uploads(server, tmp_path, 8)

    records = sorted(server.requests, key=lambda r: r.start)
    limited = [r for r in records if r.status == 429]
    assert len(limited) == 3
    assert {r.method for r in limited} == {"GET", "POST"}
    for r429 in limited:
        retries = [r for r in records if request_key(r) == request_key(r429) and r.start > r429.start]
        assert retries, f"{request_key(r429)} was never tried again"
        waited = retries[0].start - r429.end
        assert waited >= RETRY_AFTER - LOG_SLACK, f"{request_key(r429)} tried again after {waited:.3f} s"
    assert server.max_in_flight <= WORKERS


def test_a_429_holds_every_job_of_the_account(make_awork_sandbox, tmp_path):
    # 429s on the requests the engine itself retries (the POSTs: upload URL and link).
    plan = FaultPlan(0.3, kinds=("429",), retry_after=1.0, seed=3, max_faults=2, match=r"^POST ")
    server = make_awork_sandbox(faults=plan)
    run_uploads(server, tmp_path, 6)

    records = sorted(server.requests, key=lambda r: r.start)
    limited = [r for r in records if r.status == 429]
    assert len(limited) == 2
    for r429 in limited:
        # A request already on its way when the 429 was answered may still arrive a moment
        # later; after that, nothing of that account until the server's wait is over.
        too_soon = [request_key(r) for r in records if r429.end + 0.1 < r.start < r429.end + 1.0 - LOG_SLACK]
        assert not too_soon, f"sent during the rate-limit wait: {too_soon}"
    assert server.max_in_flight <= WORKERS
    assert re.search(r"generateuploadurl|byuploadid", " ".join(request_key(r) for r in limited), re.I)
