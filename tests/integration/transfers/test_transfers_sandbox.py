"""The engine against the awork sandbox: sources that change after queueing, image slots, the
CLI's calls, and a journal that never holds the token."""

from __future__ import annotations

import io
import os
import time

from PIL import Image
from transfers_support import ACCOUNT, assert_each_uploaded_exactly_once, make_engine, sha256_of, task_refs, write_files

from attache.backends.awork import AworkBackend
from attache.core.models import EntityKind, EntityRef
from attache.transfers import JobState, Journal, Slot, Throttle, cli_support


def test_a_file_changed_or_deleted_after_queueing_fails_alone_naming_the_file(fresh_awork_sandbox, tmp_path):
    server = fresh_awork_sandbox
    tasks = task_refs(server, 2)
    paths = write_files(tmp_path / "src", [50_000 + i for i in range(8)], prefix="doc")
    modified, deleted = paths[2], paths[5]
    with Journal(tmp_path / "journal.sqlite3") as journal:
        engine = make_engine(server, journal, workers=2)
        ids = [engine.enqueue(ACCOUNT, tasks[i % 2], [path])[0] for i, path in enumerate(paths)]
        modified.write_bytes(b"edited after it was queued")
        deleted.unlink()
        with engine:
            assert engine.wait(ids, timeout=30)
        jobs = journal.jobs(ids=ids)

    failed = {job.source: job for job in jobs if job.state is JobState.FAILED}
    assert set(failed) == {modified, deleted}
    assert str(modified) in failed[modified].last_error and "modified" in failed[modified].last_error
    assert str(deleted) in failed[deleted].last_error and "deleted" in failed[deleted].last_error
    assert all(job.attempts == 1 and job.error_kind == "SourceChangedError" for job in failed.values())
    done = [job for job in jobs if job.source not in failed]
    assert_each_uploaded_exactly_once(server, done, tasks)
    names = {row["name"] for row in server.store.read("SELECT name FROM files")}
    assert modified.name not in names and deleted.name not in names


def test_an_image_slot_job_sets_the_profile_image(fresh_awork_sandbox, tmp_path):
    server = fresh_awork_sandbox
    user = EntityRef(EntityKind.USER, server.me_id)
    picture = tmp_path / "avatar.png"
    buffer = io.BytesIO()
    Image.new("RGB", (64, 64), (200, 30, 90)).save(buffer, "PNG")
    picture.write_bytes(buffer.getvalue())
    with Journal(tmp_path / "journal.sqlite3") as journal:
        with make_engine(server, journal) as engine:
            [job_id] = engine.enqueue(ACCOUNT, user, [picture], slot=Slot.IMAGE)
            assert engine.wait([job_id], timeout=30)
        job = journal.get(job_id)
    assert job.state is JobState.DONE, job.last_error
    assert job.sha256 == sha256_of(picture)
    image = server.store.get_image("users", server.me_id)
    assert image is not None and image["size"] == picture.stat().st_size


def test_cli_upload_returns_when_done_and_the_journal_holds_no_secret(fresh_awork_sandbox, tmp_path):
    server = fresh_awork_sandbox
    [task] = task_refs(server, 1)
    paths = write_files(tmp_path / "src", [10_000, 20_000, 3_000_000], prefix="cli")
    journal_path = tmp_path / "journal.sqlite3"
    events = []
    with Journal(journal_path) as journal:
        jobs = cli_support.upload(
            journal,
            lambda account: AworkBackend(server.base_url, token=server.token, account=account.account),
            ACCOUNT,
            task,
            paths,
            on_event=events.append,
        )
        assert not cli_support.any_failed(jobs)
        assert_each_uploaded_exactly_once(server, jobs, [task])
        assert "cli-002.bin" in cli_support.format_queue(journal.jobs())
    assert {event.state for event in events} >= {JobState.QUEUED, JobState.RUNNING, JobState.DONE}
    token = server.token.encode()
    for path in journal_path.parent.glob("journal.sqlite3*"):  # the database, its WAL and index
        assert token not in path.read_bytes(), path


def test_a_running_upload_cancels_promptly(fresh_awork_sandbox, tmp_path):
    server = fresh_awork_sandbox
    [task] = task_refs(server, 1)
    big = tmp_path / "big.bin"
    with big.open("wb") as out:  # large enough that it is still sending when we cancel
        for _ in range(200):
            out.write(os.urandom(1024 * 1024))
    with Journal(tmp_path / "journal.sqlite3") as journal:
        with make_engine(server, journal) as engine:
            [job_id] = engine.enqueue(ACCOUNT, task, [big])
            deadline = time.monotonic() + 10
            while (progress := engine.progress.get(job_id)) is None or progress.bytes_sent == 0:
                assert time.monotonic() < deadline
                time.sleep(0.01)
            cancelled_at = time.monotonic()
            engine.cancel([job_id])
            assert engine.wait([job_id], timeout=5)
            assert time.monotonic() - cancelled_at < 1.0
        assert journal.get(job_id).state is JobState.CANCELLED
    assert server.store.scalar("SELECT COUNT(*) FROM files WHERE name = 'big.bin'") == 0


def test_an_expired_upload_url_starts_the_upload_again(make_awork_sandbox, tmp_path):
    # The sandbox's URLs expire on whole seconds, so a 2 s TTL gives at least 1 s to use one.
    server = make_awork_sandbox(upload_url_ttl=2.0)
    [task] = task_refs(server, 1)
    [path] = write_files(tmp_path / "src", [100_000], prefix="late")
    waited = []

    def wait_past_expiry_once(point, job):  # a laptop lid closed between getting the URL and the PUT
        if point == "begun" and not waited:
            waited.append(job.id)
            time.sleep(2.1)

    with Journal(tmp_path / "journal.sqlite3") as journal:
        with make_engine(server, journal, checkpoint=wait_past_expiry_once) as engine:
            [job_id] = engine.enqueue(ACCOUNT, task, [path])
            assert engine.wait([job_id], timeout=30)
        jobs = journal.jobs(ids=[job_id])
    assert_each_uploaded_exactly_once(server, jobs, [task])
    puts = [r.status for r in server.requests if r.method == "PUT"]
    assert puts == [403, 201]  # refused as expired, then sent again to a fresh URL
    assert sum(1 for r in server.requests if r.path.endswith("/generateuploadurl")) == 2


def test_an_upload_speed_limit_holds_for_all_uploads_together_and_can_change(fresh_awork_sandbox, tmp_path):
    """Four files of 1 MiB with four workers under 1 MiB/s take about four seconds together (a
    fraction of a second without the limit). Lowered to 32 KiB/s, a second file would wait half a
    minute; cancelling it ends the wait at once."""
    server = fresh_awork_sandbox
    [task] = task_refs(server, 1)
    paths = write_files(tmp_path / "src", [1024 * 1024] * 6, prefix="limited")
    with Journal(tmp_path / "journal.sqlite3") as journal:
        engine = make_engine(server, journal, workers=4, throttle=Throttle(1024 * 1024))
        with engine:
            began = time.monotonic()
            limited = engine.enqueue(ACCOUNT, task, paths[:4])
            assert engine.wait(limited, timeout=30)
            elapsed = time.monotonic() - began
            assert elapsed >= 2.5, elapsed  # 4 MiB at 1 MiB/s: the first goes at once, then one a second

            engine.throttle.set_rate(32 * 1024)  # 32 s a file: the first goes, the second waits
            later = engine.enqueue(ACCOUNT, task, paths[4:])
            time.sleep(1.0)
            cancelled_at = time.monotonic()
            engine.cancel(later)
            assert engine.wait(later, timeout=5)
            assert time.monotonic() - cancelled_at < 2
            states = sorted(job.state.value for job in journal.jobs(ids=later))
        jobs = journal.jobs(ids=limited)
    assert states == ["cancelled", "done"]
    assert all(job.state is JobState.DONE for job in jobs)
    assert_each_uploaded_exactly_once(server, jobs, [task])
