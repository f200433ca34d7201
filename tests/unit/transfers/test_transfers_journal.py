"""The journal: schema and migrations, state transitions, claiming, crash safety, no secrets."""

from __future__ import annotations

import signal
import sqlite3
import subprocess
import sys
import textwrap
import threading
from pathlib import Path

import pytest

from attache.core.models import EntityKind, EntityRef
from attache.transfers.journal import (
    MIGRATIONS,
    SCHEMA_VERSION,
    AccountRef,
    Direction,
    JobState,
    Journal,
    JournalError,
    NewJob,
    Slot,
    Step,
    default_journal_path,
    migrate,
)

ACCOUNT = AccountRef("awork", "Acme")
TASK = EntityRef(EntityKind.TASK, "t1")


def new_job(source: Path, *, account: AccountRef = ACCOUNT, size: int = 10, mtime_ns: int = 1) -> NewJob:
    return NewJob(account, TASK, Slot.FILES, source, source.name, size, mtime_ns)


@pytest.fixture
def journal(tmp_path: Path):
    with Journal(tmp_path / "j.sqlite3") as journal:
        yield journal


def test_a_fresh_journal_has_the_current_schema_and_durable_settings(journal):
    conn = sqlite3.connect(journal.path)
    try:
        assert conn.execute("PRAGMA user_version").fetchone()[0] == SCHEMA_VERSION == len(MIGRATIONS)
        assert conn.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
    finally:
        conn.close()
    assert journal._conn.execute("PRAGMA synchronous").fetchone()[0] == 2  # FULL


def test_the_default_location_is_the_user_data_directory(tmp_path, monkeypatch):
    monkeypatch.setenv("ATTACHE_HOME", str(tmp_path))
    assert default_journal_path() == tmp_path / "data" / "transfers.sqlite3"
    with Journal() as journal:
        assert journal.path == tmp_path / "data" / "transfers.sqlite3" and journal.path.exists()


def test_no_column_can_hold_a_secret(journal):
    columns = {row[1] for row in journal._conn.execute("PRAGMA table_info(jobs)")}
    assert {"service", "account", "entity_kind", "entity_id", "slot", "source_path", "step"} <= columns
    for word in ("token", "secret", "password", "key", "auth", "credential"):
        assert not [c for c in columns if word in c], word


def test_migrations_run_once_in_order_and_a_newer_journal_is_refused(tmp_path):
    path = tmp_path / "m.sqlite3"
    conn = sqlite3.connect(path, isolation_level=None)
    try:
        v1 = ("CREATE TABLE t (a INTEGER);",)
        v2 = (*v1, "ALTER TABLE t ADD COLUMN b TEXT NOT NULL DEFAULT 'x';\nCREATE INDEX t_b ON t (b);")
        assert migrate(conn, v1) == 1
        conn.execute("INSERT INTO t (a) VALUES (1)")
        assert migrate(conn, v2) == 2
        assert migrate(conn, v2) == 2  # nothing left to do
        assert conn.execute("SELECT a, b FROM t").fetchall() == [(1, "x")]
        with pytest.raises(JournalError, match="newer Attaché"):
            migrate(conn, v1)
        # A failing migration leaves the previous version intact.
        broken = (*v2, "ALTER TABLE t ADD COLUMN c TEXT;\nTHIS IS NOT SQL;")
        with pytest.raises(sqlite3.OperationalError):
            migrate(conn, broken)
        assert conn.execute("PRAGMA user_version").fetchone()[0] == 2
        assert [row[1] for row in conn.execute("PRAGMA table_info(t)")] == ["a", "b"]
    finally:
        conn.close()


def test_a_journal_of_schema_1_keeps_its_jobs_and_a_replaced_file_outlives_a_restarted_upload(tmp_path):
    path = tmp_path / "old.sqlite3"
    conn = sqlite3.connect(path)
    migrate(conn, MIGRATIONS[:1])
    conn.execute(
        """INSERT INTO jobs (state, service, account, entity_kind, entity_id, slot, source_path, file_name,
                             size, mtime_ns, created_at, updated_at)
           VALUES ('queued', 'awork', 'Acme', 'task', 't1', 'files', '/tmp/a.txt', 'a.txt', 3, 1, 0, 0)"""
    )
    conn.commit()
    conn.close()
    with Journal(path) as journal:
        [old] = journal.jobs()
        assert (old.name, old.replaces) == ("a.txt", None)
        [job_id] = journal.add([NewJob(ACCOUNT, TASK, Slot.FILES, tmp_path / "b.txt", "b.txt", 3, 1, "file-7")])
        journal.record_step(job_id, Step.BEGUN, upload_state={"replacing": "file-7"})
        journal.restart_upload(job_id)  # the plan is forgotten…
        job = journal.get(job_id)
        assert (job.step, job.upload_state, job.replaces) == (Step.NEW, {}, "file-7")  # …the file it replaces is not


def test_a_journal_of_schema_2_keeps_its_uploads_as_uploads_and_takes_downloads(tmp_path):
    path = tmp_path / "v2.sqlite3"
    conn = sqlite3.connect(path)
    migrate(conn, MIGRATIONS[:2])
    conn.execute(
        """INSERT INTO jobs (state, service, account, entity_kind, entity_id, slot, source_path, file_name,
                             size, mtime_ns, created_at, updated_at, replaces)
           VALUES ('interrupted', 'awork', 'Acme', 'task', 't1', 'files', '/tmp/a.txt', 'a.txt', 3, 1, 0, 0, 'f-1')"""
    )
    conn.commit()
    conn.close()
    with Journal(path) as journal:
        [old] = journal.jobs()
        assert (old.direction, old.is_download, old.remote_id, old.dest, old.replaces) == (
            Direction.UPLOAD,
            False,
            None,
            None,
            "f-1",
        )
        dest = tmp_path / "out" / "b.bin"
        [job_id] = journal.add([NewJob.download(ACCOUNT, TASK, "file-9", "b.bin", None, dest, replace=True)])
        job = journal.get(job_id)
        assert job is not None and job.is_download
        assert (job.remote_id, job.dest, job.source, job.size, job.replace_existing) == ("file-9", dest, dest, 0, True)
        journal.record_step(job_id, Step.BEGUN, upload_state={"part": str(dest) + ".part"}, bytes_sent=5)
        journal.release(job_id, JobState.INTERRUPTED)
        dest.parent.mkdir()
        dest.write_bytes(b"12345678")
        journal.mark_done(job_id, saved=dest)
        done = journal.get(job_id)
        assert done is not None and (done.state, done.saved_path, done.size, done.bytes_sent) == (
            JobState.DONE,
            dest,
            8,
            8,
        )
        assert "part" not in done.upload_state
    with sqlite3.connect(path) as conn:
        assert conn.execute("PRAGMA user_version").fetchone()[0] == SCHEMA_VERSION == 3
    conn.close()


def test_requeueing_a_download_leaves_its_kept_part_alone(journal, tmp_path):
    dest = tmp_path / "d.bin"
    [job_id] = journal.add([NewJob.download(ACCOUNT, TASK, "file-1", "d.bin", 100, dest)])
    journal.record_step(job_id, Step.BEGUN, upload_state={"part": "/x/.d.part", "etag": '"e"'}, bytes_sent=40)
    journal.mark_failed(job_id, "gone")
    assert journal.retry_failed([job_id]) == [job_id]  # no stat of the (absent) destination
    job = journal.get(job_id)
    assert job is not None and (job.state, job.step, job.bytes_sent, job.size) == (JobState.QUEUED, Step.BEGUN, 40, 100)
    assert job.upload_state["part"] == "/x/.d.part"


def test_opening_a_journal_from_the_future_says_so(tmp_path):
    path = tmp_path / "future.sqlite3"
    conn = sqlite3.connect(path)
    conn.execute(f"PRAGMA user_version = {SCHEMA_VERSION + 1}")
    conn.close()
    with pytest.raises(JournalError, match="newer Attaché"):
        Journal(path)


def test_a_job_moves_through_its_states(journal, tmp_path):
    [job_id] = journal.add([new_job(tmp_path / "a.txt")])
    job = journal.get(job_id)
    assert (job.state, job.step, job.attempts, job.account, job.target) == (JobState.QUEUED, Step.NEW, 0, ACCOUNT, TASK)

    claimed = journal.claim_next("runner-1")
    assert claimed.id == job_id and claimed.state is JobState.RUNNING and claimed.attempts == 1
    assert journal.claim_next("runner-2") is None  # nobody else gets it

    journal.record_step(job_id, Step.BEGUN, upload_state={"upload_id": "u1"})
    journal.record_step(job_id, Step.SENT, sha256="ab" * 32, bytes_sent=10)
    journal.record_step(job_id, Step.LINKING)
    job = journal.get(job_id)
    assert (job.step, job.upload_state, job.sha256, job.bytes_sent) == (
        Step.LINKING,
        {"upload_id": "u1"},
        "ab" * 32,
        10,
    )

    journal.mark_done(job_id, file_id="f1")
    job = journal.get(job_id)
    assert (job.state, job.step, job.file_id, job.runner) == (JobState.DONE, Step.LINKED, "f1", None)
    assert job.finished and journal.counts()[JobState.DONE] == 1


def test_release_waits_out_the_back_off(tmp_path):
    now = [1000.0]
    with Journal(tmp_path / "j.sqlite3", clock=lambda: now[0]) as journal:
        [job_id] = journal.add([new_job(tmp_path / "a.txt")])
        journal.claim_next("r")
        journal.release(
            job_id, JobState.QUEUED, retry_at=1005.0, error="503", error_kind="ServiceUnavailableError", retries=1
        )
        assert journal.claim_next("r") is None
        assert journal.next_retry_at() == 1005.0 and journal.has_runnable()
        now[0] = 1005.0
        job = journal.claim_next("r")
        assert job.id == job_id and job.retries == 1 and job.last_error == "503" and job.retry_at is None


def test_claiming_skips_accounts_that_must_wait(journal, tmp_path):
    other = AccountRef("awork", "Other")
    first, second = journal.add([new_job(tmp_path / "a"), new_job(tmp_path / "b", account=other)])
    assert journal.claim_next("r", skip_accounts=[ACCOUNT]).id == second
    assert journal.claim_next("r", skip_accounts=[ACCOUNT]) is None
    assert journal.claim_next("r").id == first


def test_two_processes_worth_of_connections_never_claim_the_same_job(tmp_path):
    path = tmp_path / "shared.sqlite3"
    with Journal(path) as a, Journal(path) as b:
        a.add([new_job(tmp_path / f"f{i}") for i in range(60)])
        claimed: list[int] = []
        lock = threading.Lock()

        def drain(journal: Journal, runner: str) -> None:
            while (job := journal.claim_next(runner)) is not None:
                with lock:
                    claimed.append(job.id)

        threads = [threading.Thread(target=drain, args=(j, f"r{i}")) for i, j in enumerate((a, b, a, b))]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        assert sorted(claimed) == list(range(1, 61))


def test_cancel_retry_and_clear(journal, tmp_path):
    source = tmp_path / "a.txt"
    source.write_bytes(b"0123456789")
    mtime = source.stat().st_mtime_ns
    a, b, c = journal.add([new_job(source, mtime_ns=mtime) for _ in range(3)])
    journal.claim_next("r")  # a runs
    assert journal.cancel_waiting() == [b, c]  # a running job is the engine's to cancel
    assert journal.get(a).state is JobState.RUNNING

    journal.mark_failed(a, "a.txt: 404", "NotFoundError")
    assert journal.retry_failed() == [a]
    job = journal.get(a)
    assert (job.state, job.last_error, job.retries) == (JobState.QUEUED, "", 0)

    # Retrying a job whose bytes were not sent yet takes the file as it is now.
    journal.claim_next("r")
    journal.mark_failed(a, "changed", "SourceChangedError")
    source.write_bytes(b"longer content now")
    journal.retry_failed([a])
    assert journal.get(a).size == len(b"longer content now")

    # "Retry all failed" leaves cancelled jobs alone; retrying one by id queues it again
    journal.claim_next("r")
    journal.mark_failed(a, "gone", "NotFoundError")
    assert journal.retry_failed() == [a] and journal.get(b).state is JobState.CANCELLED
    assert journal.requeue([b]) == [b] and journal.get(b).state is JobState.QUEUED
    assert journal.cancel_waiting([a, b]) == [a, b]

    assert sorted(journal.clear_finished()) == [a, b, c]
    assert journal.jobs() == []


def test_orphans_of_dead_runners_become_interrupted(journal, tmp_path):
    a, b = journal.add([new_job(tmp_path / "a"), new_job(tmp_path / "b")])
    journal.claim_next("dead")
    journal.claim_next("alive")
    assert journal.recover_orphans(lambda runner: runner == "alive") == [a]
    assert journal.get(a).state is JobState.INTERRUPTED and journal.get(b).state is JobState.RUNNING
    assert journal.claim_next("new").id == a  # interrupted jobs are runnable
    assert journal.interrupt_runner("alive") == [b]


CRASHER = textwrap.dedent(
    """
    import os, signal, sys
    from pathlib import Path
    from attache.core.models import EntityKind, EntityRef
    from attache.core.accounts import AccountRef
    from attache.transfers.journal import Journal, NewJob, Slot

    journal = Journal(sys.argv[1])
    def job(i):
        return NewJob(AccountRef("awork", "Acme"), EntityRef(EntityKind.TASK, "t"), Slot.FILES,
                      Path(f"/tmp/f{i}"), f"f{i}", i, i)
    if sys.argv[2] == "mid-transaction":
        journal.add([job(i) for i in range(5)])
        print("committed", flush=True)
        with journal._transaction() as conn:
            for i in range(1000):
                conn.execute("INSERT INTO jobs (state, service, account, entity_kind, entity_id, slot, "
                             "source_path, file_name, size, mtime_ns, created_at, updated_at) VALUES "
                             "('queued', 'awork', 'Acme', 'task', 't', 'files', '/x', 'x', 1, 1, 0, 0)")
            os.kill(os.getpid(), signal.SIGKILL)
    else:  # commit one job after another until killed from outside
        n = 0
        while True:
            journal.add([job(n)])
            n += 1
            print(n, flush=True)
    """
)


def test_a_kill_mid_transaction_loses_only_that_transaction(tmp_path):
    path = tmp_path / "crash.sqlite3"
    result = subprocess.run(
        [sys.executable, "-c", CRASHER, str(path), "mid-transaction"], capture_output=True, text=True
    )
    assert result.returncode == -signal.SIGKILL, result.stderr
    assert result.stdout.strip() == "committed"
    with Journal(path) as journal:
        assert journal._conn.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
        assert len(journal.jobs()) == 5
        journal.add([new_job(tmp_path / "after")])  # still writable
        assert len(journal.jobs()) == 6


def test_a_kill_at_a_random_instant_keeps_every_commit(tmp_path):
    path = tmp_path / "crash.sqlite3"
    child = subprocess.Popen([sys.executable, "-c", CRASHER, str(path), "loop"], stdout=subprocess.PIPE, text=True)
    last = 0
    for line in child.stdout:  # let it commit a few dozen times, then kill it wherever it is
        last = int(line)
        if last >= 40:
            child.send_signal(signal.SIGKILL)
            break
    rest = child.stdout.read()
    child.wait()
    child.stdout.close()
    last = max([last, *(int(n) for n in rest.split())])
    with Journal(path) as journal:
        assert journal._conn.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
        count = len(journal.jobs())
    # Every commit it reported survived; at most the one in flight when killed went either way.
    assert last <= count <= last + 1


def test_forgetting_accounts_removes_their_jobs_but_not_one_a_runner_holds(journal, tmp_path):
    """A stopped sandbox's jobs leave the user's queue; a job still running is its runner's to end."""
    sandbox, other = AccountRef("awork", "sandbox-4242"), AccountRef("onlyoffice", "Work")
    waiting, running, kept = journal.add(
        [
            new_job(tmp_path / "a.txt", account=sandbox),
            new_job(tmp_path / "b.txt", account=sandbox),
            new_job(tmp_path / "c.txt", account=other),
        ]
    )
    assert journal.claim_next("r1", only_ids=[running]) is not None
    assert set(journal.accounts()) == {sandbox, other}
    assert journal.forget_accounts([sandbox, AccountRef("awork", "never-had-jobs")]) == [waiting]
    assert [job.id for job in journal.jobs()] == [running, kept]
    assert journal.forget_accounts([]) == []
