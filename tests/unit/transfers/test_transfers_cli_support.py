"""The engine calls behind `attache upload` and `attache queue`."""

from __future__ import annotations

from pathlib import Path

import pytest
from transfers_fake_backend import FakeBackend, fail_times

from attache.core.accounts import AccountRef
from attache.core.errors import InvalidInputError, NotFoundError
from attache.core.models import EntityKind, EntityRef
from attache.transfers import JobState, Journal, Step, cli_support
from attache.transfers.journal import NewJob

ACCOUNT = AccountRef("fake", "acct")
TASK = EntityRef(EntityKind.TASK, "t1")


@pytest.fixture
def journal(tmp_path: Path):
    with Journal(tmp_path / "j.sqlite3") as journal:
        yield journal


def files(tmp_path: Path, n: int) -> list[Path]:
    paths = []
    for i in range(n):
        path = tmp_path / f"doc-{i}.txt"
        path.write_text(f"content {i}")
        paths.append(path)
    return paths


def test_upload_runs_only_its_own_jobs_and_returns_when_they_end(journal, tmp_path):
    backend = FakeBackend()
    leftover, *mine = files(tmp_path, 3)
    journal.add([cli_support_new_job(leftover)])  # queued by an earlier session
    jobs = cli_support.upload(journal, lambda a: backend, ACCOUNT, TASK, mine)
    assert [job.state for job in jobs] == [JobState.DONE, JobState.DONE]
    assert not cli_support.any_failed(jobs)
    assert journal.jobs(ids=[1])[0].state is JobState.QUEUED  # left for `queue --run`
    ran = cli_support.run_queue(journal, lambda a: backend)
    assert [job.id for job in ran] == [1] and ran[0].state is JobState.DONE


def test_queue_run_reports_failures_and_retry_failed_requeues(journal, tmp_path):
    backend = FakeBackend(faults=fail_times("begin", 1, lambda: NotFoundError("awork has no task t1")))
    jobs = cli_support.upload(journal, lambda a: backend, ACCOUNT, TASK, files(tmp_path, 2))
    assert cli_support.any_failed(jobs)
    table = cli_support.format_queue(journal.jobs())
    assert "failed" in table and "awork has no task t1" in table and "doc-0.txt" in table
    assert cli_support.retry_failed(journal) == [jobs[0].id]
    ran = cli_support.run_queue(journal, lambda a: backend)
    assert not cli_support.any_failed(ran)
    assert cli_support.clear_finished(journal) == 2
    assert cli_support.format_queue(journal.jobs()) == "The transfer queue is empty."


def test_cancel_explains_what_it_cannot_do(journal, tmp_path):
    [path] = files(tmp_path, 1)
    [job_id] = journal.add([cli_support_new_job(path)])
    assert cli_support.cancel(journal, job_id).state is JobState.CANCELLED
    with pytest.raises(InvalidInputError, match="already cancelled"):
        cli_support.cancel(journal, job_id)
    with pytest.raises(InvalidInputError, match="no transfer job 99"):
        cli_support.cancel(journal, 99)


def test_a_cancelled_job_can_be_queued_again(journal, tmp_path):
    [path] = files(tmp_path, 1)
    [job_id] = journal.add([cli_support_new_job(path)])
    with pytest.raises(InvalidInputError, match=f"Job {job_id} is queued; only failed or cancelled"):
        cli_support.retry(journal, job_id)
    cli_support.cancel(journal, job_id)
    assert cli_support.retry(journal, job_id).state is JobState.QUEUED
    with pytest.raises(InvalidInputError, match="There is no transfer job 99"):
        cli_support.retry(journal, 99)


def cli_support_new_job(path: Path):
    from attache.transfers.journal import NewJob, Slot

    info = path.stat()
    return NewJob(ACCOUNT, TASK, Slot.FILES, path, path.name, info.st_size, info.st_mtime_ns)


def test_cancel_takes_over_jobs_of_a_crashed_process(journal, tmp_path):
    [path] = files(tmp_path, 1)
    [job_id] = journal.add([cli_support_new_job(path)])
    journal.claim_next("999999999:gone")  # held by a process that no longer exists
    assert cli_support.cancel(journal, job_id).state is JobState.CANCELLED


def test_a_download_is_listed_escaped_and_cancelling_or_clearing_it_removes_its_part(journal, tmp_path):
    dest = tmp_path / "report\x1b[2J.pdf"
    part = tmp_path / ".report.pdf.1234.part"
    part.write_bytes(b"half")
    [job_id] = journal.add([NewJob.download(ACCOUNT, TASK, "f\x07-9", "report.pdf", 2048, dest)])
    journal.record_step(job_id, Step.BEGUN, upload_state={"part": str(part), "etag": '"v1"'}, bytes_sent=4)
    line = cli_support.format_queue(journal.jobs()).splitlines()[1]
    assert "(download)" in line and "report\\x1b[2J.pdf" in line and "f\\x07-9" in line
    assert "\x1b" not in line and "\x07" not in line  # the server's (and the path's) controls are shown, not obeyed
    assert cli_support.cancel(journal, job_id).state is JobState.CANCELLED
    assert not part.exists()

    [failed] = journal.add([NewJob.download(ACCOUNT, TASK, "f-10", "b.bin", 10, tmp_path / "b.bin")])
    part.write_bytes(b"half")
    journal.record_step(failed, Step.BEGUN, upload_state={"part": str(part)})
    journal.mark_failed(failed, "gone")
    assert cli_support.clear_finished(journal) == 2 and not part.exists()
