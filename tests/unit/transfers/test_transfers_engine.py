"""The transfer engine against an in-memory backend: steps, retries, reconciliation, controls."""

from __future__ import annotations

import hashlib
import os
import threading
import time
from pathlib import Path

import pytest
from transfers_fake_backend import AfterCommit, FakeBackend, combine, fail_times

from attache.core.accounts import AccountRef
from attache.core.errors import (
    AuthenticationError,
    InvalidInputError,
    NetworkError,
    NotFoundError,
    RateLimitedError,
    ServiceUnavailableError,
    UploadExpiredError,
)
from attache.core.models import EntityKind, EntityRef
from attache.transfers import JobState, Journal, RetryPolicy, Slot, Step, TransferEngine
from attache.transfers.events import JobEvent

ACCOUNT = AccountRef("fake", "acct")
TASK = EntityRef(EntityKind.TASK, "task-1")
FAST = RetryPolicy(max_tries=4, base_delay=0.01, max_delay=0.05)


@pytest.fixture
def journal(tmp_path: Path):
    with Journal(tmp_path / "journal.sqlite3") as journal:
        yield journal


def make_files(folder: Path, count: int, size: int = 200_000) -> list[Path]:
    folder.mkdir(exist_ok=True)
    paths = []
    for index in range(count):
        path = folder / f"file-{index:03}.bin"
        path.write_bytes(os.urandom(size + index))
        paths.append(path)
    return paths


def sha(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def make_engine(journal: Journal, backend: FakeBackend, **kwargs) -> TransferEngine:
    kwargs.setdefault("retry", FAST)
    kwargs.setdefault("poll_interval", 0.05)
    return TransferEngine(journal, lambda account: backend, **kwargs)


def test_uploads_every_file_once_and_records_the_steps(journal, tmp_path):
    backend = FakeBackend()
    paths = make_files(tmp_path / "src", 10)
    events: list[JobEvent] = []
    with make_engine(journal, backend, workers=3) as engine:
        engine.subscribe(events.append)
        ids = engine.enqueue(ACCOUNT, TASK, paths)
        assert engine.wait(ids, timeout=10)
        totals = engine.progress.totals()
    jobs = journal.jobs(ids=ids)
    assert [job.state for job in jobs] == [JobState.DONE] * 10
    assert all(job.step is Step.LINKED and job.file_id and job.retries == 0 for job in jobs)
    assert {job.sha256 for job in jobs} == {sha(path) for path in paths}
    assert sorted(f.sha256 for f in backend.all_files()) == sorted(sha(path) for path in paths)
    assert backend.count("finish") == 10 and backend.count("find") == 0
    assert backend.max_in_flight <= 3
    assert backend.closed  # shutdown closes the per-account backend
    assert totals.bytes_sent == totals.total == sum(p.stat().st_size for p in paths)
    assert totals.finished == 10
    states_of_first = [e.state for e in events if e.job_id == ids[0]]
    assert states_of_first[0] is JobState.QUEUED and states_of_first[-1] is JobState.DONE
    assert JobState.RUNNING in states_of_first


def test_transient_faults_at_every_step_are_retried(journal, tmp_path):
    faults = combine(
        fail_times("begin", 2, lambda: NetworkError("connection refused")),
        fail_times("send", 2, lambda: ServiceUnavailableError("503")),
        fail_times("finish", 2, lambda: NetworkError("timed out")),
    )
    backend = FakeBackend(faults=faults)
    paths = make_files(tmp_path / "src", 3)
    with make_engine(journal, backend, workers=2) as engine:
        ids = engine.enqueue(ACCOUNT, TASK, paths)
        assert engine.wait(ids, timeout=10)
    assert [job.state for job in journal.jobs(ids=ids)] == [JobState.DONE] * 3
    assert len(backend.all_files()) == 3


def test_a_lost_link_answer_is_reconciled_instead_of_linking_twice(journal, tmp_path):
    # The server links the upload, then the connection drops before we hear it.
    backend = FakeBackend(faults=fail_times("finish", 1, lambda: AfterCommit(NetworkError("dropped"))))
    [path] = make_files(tmp_path / "src", 1)
    with make_engine(journal, backend) as engine:
        [job_id] = engine.enqueue(ACCOUNT, TASK, [path])
        assert engine.wait([job_id], timeout=10)
    job = journal.get(job_id)
    assert job.state is JobState.DONE
    [stored] = backend.all_files()
    assert job.file_id == stored.id
    assert backend.count("finish") == 1 and backend.count("find") == 1


def test_a_permanent_fault_fails_at_once_naming_the_file(journal, tmp_path):
    backend = FakeBackend(faults=fail_times("begin", 99, lambda: NotFoundError("awork has no task task-1")))
    [path] = make_files(tmp_path / "src", 1)
    with make_engine(journal, backend) as engine:
        [job_id] = engine.enqueue(ACCOUNT, TASK, [path])
        assert engine.wait([job_id], timeout=10)
    job = journal.get(job_id)
    assert job.state is JobState.FAILED
    assert job.attempts == 1 and backend.count("begin") == 1
    assert path.name in job.last_error and "no task" in job.last_error
    assert job.error_kind == "NotFoundError"


def test_transient_faults_give_up_after_the_limit_with_the_reason(journal, tmp_path):
    backend = FakeBackend(faults=fail_times("send", 99, lambda: NetworkError("The connection dropped")))
    [path] = make_files(tmp_path / "src", 1)
    with make_engine(journal, backend) as engine:
        [job_id] = engine.enqueue(ACCOUNT, TASK, [path])
        assert engine.wait([job_id], timeout=10)
    job = journal.get(job_id)
    assert job.state is JobState.FAILED
    assert backend.count("send") == FAST.max_tries
    assert backend.count("begin") == 1  # the upload slot was kept across tries
    assert "gave up after 4 tries" in job.last_error and "connection dropped" in job.last_error
    assert path.name in job.last_error


def test_an_expired_upload_url_starts_again_from_begin(journal, tmp_path):
    backend = FakeBackend(faults=fail_times("send", 1, lambda: UploadExpiredError("expired")))
    [path] = make_files(tmp_path / "src", 1)
    with make_engine(journal, backend) as engine:
        [job_id] = engine.enqueue(ACCOUNT, TASK, [path])
        assert engine.wait([job_id], timeout=10)
    assert journal.get(job_id).state is JobState.DONE
    assert backend.count("begin") == 2 and len(backend.all_files()) == 1


@pytest.mark.parametrize("change", ["modify", "delete"])
def test_a_source_changed_after_queueing_fails_that_job_only(journal, tmp_path, change):
    backend = FakeBackend()
    paths = make_files(tmp_path / "src", 4)
    engine = make_engine(journal, backend)
    ids = engine.enqueue(ACCOUNT, TASK, paths)
    victim = paths[1]
    if change == "modify":
        victim.write_bytes(b"something else entirely")
    else:
        victim.unlink()
    with engine.start():
        assert engine.wait(ids, timeout=10)
    jobs = journal.jobs(ids=ids)
    assert [job.state for job in jobs] == [JobState.DONE, JobState.FAILED, JobState.DONE, JobState.DONE]
    assert str(victim) in jobs[1].last_error
    assert ("modified" if change == "modify" else "deleted") in jobs[1].last_error
    assert jobs[1].error_kind == "SourceChangedError" and jobs[1].attempts == 1
    assert len(backend.all_files()) == 3


def test_a_source_modified_while_sending_fails_the_job(journal, tmp_path):
    backend = FakeBackend(chunk_size=16 * 1024, chunk_delay=0.02)
    [path] = make_files(tmp_path / "src", 1, size=1_000_000)
    touched = threading.Event()

    def checkpoint(point, job):
        if point == "sending" and not touched.is_set():
            touched.set()
            os.utime(path, ns=(time.time_ns(), time.time_ns() + 5_000_000_000))

    with make_engine(journal, backend, checkpoint=checkpoint) as engine:
        [job_id] = engine.enqueue(ACCOUNT, TASK, [path])
        assert engine.wait([job_id], timeout=10)
    job = journal.get(job_id)
    assert job.state is JobState.FAILED and "modified" in job.last_error and str(path) in job.last_error
    assert backend.count("finish") == 0


def test_cancel_stops_a_running_upload_promptly_and_cancels_waiting_ones(journal, tmp_path):
    backend = FakeBackend(chunk_size=16 * 1024, chunk_delay=0.05)  # ~3 s per file if left alone
    paths = make_files(tmp_path / "src", 3, size=1_000_000)
    sending = threading.Event()
    engine = make_engine(journal, backend, workers=1, checkpoint=lambda p, j: p == "sending" and sending.set())
    with engine:
        ids = engine.enqueue(ACCOUNT, TASK, paths)
        assert sending.wait(5)
        started = time.monotonic()
        waiting = engine.cancel()
        assert engine.wait(ids, timeout=5)
        # Left alone the first file takes ~3 s more; the cancel ends it well before that.
        assert time.monotonic() - started < 2.0
    assert waiting == ids[1:]
    assert [job.state for job in journal.jobs(ids=ids)] == [JobState.CANCELLED] * 3
    assert backend.count("finish") == 0
    assert engine.progress.get(ids[0]) is None


def test_pause_holds_new_jobs_and_resume_releases_them(journal, tmp_path):
    backend = FakeBackend()
    paths = make_files(tmp_path / "src", 3)
    with make_engine(journal, backend).start(paused=True) as engine:
        ids = engine.enqueue(ACCOUNT, TASK, paths)
        assert not engine.wait(ids, timeout=0.3)
        assert backend.calls == []
        engine.resume()
        assert engine.wait(ids, timeout=10)
    assert len(backend.all_files()) == 3


def test_shutdown_interrupts_and_a_new_engine_resumes_exactly_once(journal, tmp_path):
    slow = FakeBackend(chunk_size=16 * 1024, chunk_delay=0.02)
    paths = make_files(tmp_path / "src", 4, size=500_000)
    sending = threading.Event()
    engine = make_engine(journal, slow, workers=2, checkpoint=lambda p, j: p == "sending" and sending.set())
    engine.start()
    ids = engine.enqueue(ACCOUNT, TASK, paths)
    assert sending.wait(5)
    engine.shutdown()
    states = [job.state for job in journal.jobs(ids=ids)]
    assert JobState.INTERRUPTED in states and JobState.RUNNING not in states

    fast = FakeBackend()
    fast.blobs, fast.files, fast._ids = slow.blobs, slow.files, slow._ids  # the same server, seen again
    with make_engine(journal, fast) as engine:
        assert engine.wait_idle(timeout=10)
    assert [job.state for job in journal.jobs(ids=ids)] == [JobState.DONE] * 4
    assert sorted(f.sha256 for f in fast.all_files()) == sorted(sha(p) for p in paths)


class BackingOffBackend(FakeBackend):
    """Its begin request waits out a back-off (an hour, unless the client is told to stop retrying),
    as a request to a server that went down does."""

    def __init__(self) -> None:
        super().__init__()
        self.waiting, self.stopped = threading.Event(), threading.Event()

    def begin_attach(self, ref, name, size, *, replacing=None):  # type: ignore[no-untyped-def]
        self.waiting.set()
        if not self.stopped.wait(3600):
            return super().begin_attach(ref, name, size, replacing=replacing)
        raise NetworkError("Gave up a request to fake: its account is closing")

    def stop_retrying(self) -> None:
        self.stopped.set()


def test_shutdown_ends_a_request_waiting_out_a_back_off(journal, tmp_path):
    """Quitting while a server is down: the worker waiting to retry gives up at once, and the
    upload is interrupted (to resume next time), not failed."""
    backend = BackingOffBackend()
    [path] = make_files(tmp_path / "src", 1)
    engine = make_engine(journal, backend).start()
    [job_id] = engine.enqueue(ACCOUNT, TASK, [path])
    assert backend.waiting.wait(10)
    engine.shutdown(timeout=120)  # without stop_retrying the worker would sleep its hour out
    assert backend.stopped.is_set() and not any(thread.is_alive() for thread in engine._threads)
    assert journal.get(job_id).state is JobState.INTERRUPTED


def test_jobs_left_running_by_a_dead_process_are_resumed_and_reconciled(journal, tmp_path):
    backend = FakeBackend()
    [path] = make_files(tmp_path / "src", 1)
    [job_id] = TransferEngine(journal, lambda a: backend).enqueue(ACCOUNT, TASK, [path])
    # A previous process got as far as asking for the link, which succeeded, then died.
    claimed = journal.claim_next("999999999:dead")
    state = backend.begin_attach(TASK, path.name, path.stat().st_size)
    state = backend.send_content(state, path, path.stat().st_size)
    journal.record_step(job_id, Step.LINKING, upload_state=state)
    backend.finish_attach(TASK, state, path.name)
    assert claimed.id == job_id

    with make_engine(journal, backend) as engine:
        assert engine.wait([job_id], timeout=10)
    assert journal.get(job_id).state is JobState.DONE
    assert len(backend.all_files()) == 1 and backend.count("finish") == 1


def test_a_rate_limit_holds_every_job_of_that_account(journal, tmp_path):
    backend = FakeBackend(
        faults=fail_times("begin", 1, lambda: RateLimitedError("slow down", retry_after=0.5), name="file-000.bin"),
        request_delay=0.01,
    )
    other = FakeBackend("other")
    paths = make_files(tmp_path / "src", 6, size=1000)
    backends = {ACCOUNT: backend, AccountRef("fake", "other"): other}
    engine = TransferEngine(journal, backends.__getitem__, workers=2, retry=FAST, poll_interval=0.05)
    with engine:
        ids = engine.enqueue(ACCOUNT, TASK, paths[:1])  # hits the 429 first
        time.sleep(0.1)
        ids += engine.enqueue(ACCOUNT, TASK, paths[1:4])
        other_ids = engine.enqueue(AccountRef("fake", "other"), TASK, paths[4:])
        assert engine.wait(ids + other_ids, timeout=10)
    limited_at = backend.calls[0][0]
    later = [t for t, op, name in backend.calls[1:]]
    assert min(later) - limited_at >= 0.5  # nobody on that account asked before the gate reopened
    assert min(t for t, _, _ in other.calls) - limited_at < 0.5  # the other account went on
    assert len(backend.all_files()) == 4 and len(other.all_files()) == 2


def test_concurrency_never_exceeds_the_worker_count(journal, tmp_path):
    backend = FakeBackend(request_delay=0.01)
    paths = make_files(tmp_path / "src", 12, size=10_000)
    with make_engine(journal, backend, workers=3) as engine:
        ids = engine.enqueue(ACCOUNT, TASK, paths)
        assert engine.wait(ids, timeout=10)
    assert backend.max_in_flight == 3


def test_image_slot_sets_the_image(journal, tmp_path):
    backend = FakeBackend()
    [path] = make_files(tmp_path / "src", 1)
    user = EntityRef(EntityKind.USER, "u1")
    with make_engine(journal, backend) as engine:
        [job_id] = engine.enqueue(ACCOUNT, user, [path], slot=Slot.IMAGE)
        assert engine.wait([job_id], timeout=10)
    job = journal.get(job_id)
    assert job.state is JobState.DONE and job.slot is Slot.IMAGE and job.sha256 == sha(path)
    assert backend.images == {"u1": sha(path)}


def test_enqueue_refuses_missing_files_before_journaling_anything(journal, tmp_path):
    [path] = make_files(tmp_path / "src", 1)
    engine = make_engine(journal, FakeBackend())
    with pytest.raises(InvalidInputError, match=r"nope\.bin does not exist"):
        engine.enqueue(ACCOUNT, TASK, [path, tmp_path / "nope.bin"])
    with pytest.raises(Exception, match="is a folder"):
        engine.enqueue(ACCOUNT, TASK, [tmp_path])
    assert journal.jobs() == []


def test_retry_failed_continues_from_the_step_reached(journal, tmp_path):
    backend = FakeBackend(faults=fail_times("finish", 4, lambda: NetworkError("timed out")))
    [path] = make_files(tmp_path / "src", 1)
    with make_engine(journal, backend) as engine:
        [job_id] = engine.enqueue(ACCOUNT, TASK, [path])
        assert engine.wait([job_id], timeout=10)
        assert journal.get(job_id).state is JobState.FAILED
        assert engine.retry_failed() == [job_id]
        assert engine.wait([job_id], timeout=10)
    assert journal.get(job_id).state is JobState.DONE
    assert backend.count("begin") == 1 and backend.count("send") == 1
    assert len(backend.all_files()) == 1


def test_a_broken_listener_does_not_break_uploads(journal, tmp_path):
    backend = FakeBackend()
    [path] = make_files(tmp_path / "src", 1)

    def broken(event):
        raise RuntimeError("listener bug")

    with make_engine(journal, backend) as engine:
        engine.subscribe(broken)
        [job_id] = engine.enqueue(ACCOUNT, TASK, [path])
        assert engine.wait([job_id], timeout=10)
    assert journal.get(job_id).state is JobState.DONE


def test_progress_is_readable_while_sending(journal, tmp_path):
    backend = FakeBackend(chunk_size=64 * 1024, chunk_delay=0.01)
    [path] = make_files(tmp_path / "src", 1, size=2_000_000)
    seen = []
    with make_engine(journal, backend) as engine:
        [job_id] = engine.enqueue(ACCOUNT, TASK, [path])
        while not journal.get(job_id).finished:
            if (progress := engine.progress.get(job_id)) is not None:
                seen.append(progress)
            time.sleep(0.05)
    sent = [p.bytes_sent for p in seen]
    assert sent == sorted(sent) and max(sent) > 0
    assert any(p.speed > 0 and p.eta is not None for p in seen)


# ---- a new sign-in while uploads of the account are held or under way


class SignInSession:
    """One sign-in's view of a shared FakeBackend: `refuse(op, name)` says what awork refuses with it,
    `hooks[(op, name)]` run before a request (to line threads up), and a closed one cannot be used."""

    service = "fake"
    account = "acct"

    def __init__(self, store: FakeBackend, refuse=lambda op, name: False, hooks=None) -> None:
        self.store, self.refuse, self.hooks = store, refuse, dict(hooks or {})
        self.closed = False

    def _call(self, op: str, name: str) -> None:
        if self.closed:
            raise RuntimeError("Cannot send a request, as the client has been closed.")
        if (hook := self.hooks.get((op, name))) is not None:
            hook()
        if self.refuse(op, name):
            raise AuthenticationError("awork rejected the token: sign in again", account=self.account)

    def begin_attach(self, ref, name, size, *, replacing=None):
        self._call("begin", name)
        return self.store.begin_attach(ref, name, size)

    def stop_retrying(self) -> None:
        pass

    def send_content(self, state, source, size, *, on_chunk=None):
        self._call("send", state["name"])
        return self.store.send_content(state, source, size, on_chunk=on_chunk)

    def finish_attach(self, ref, state, name):
        self._call("finish", name)
        return self.store.finish_attach(ref, state, name)

    def find_attached(self, ref, state, name, size):
        self._call("find", name)
        return self.store.find_attached(ref, state, name, size)

    def close(self) -> None:
        self.closed = True


def _until(condition, timeout: float = 10.0) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, "timed out"
        time.sleep(0.01)


def test_a_job_waiting_at_the_held_gate_goes_on_with_the_new_sign_in(journal, tmp_path):
    store = FakeBackend()
    paths = make_files(tmp_path / "src", 2, size=5000)
    engine_box: list[TransferEngine] = []
    second_sending = threading.Event()

    def send_until_held() -> None:
        second_sending.set()
        _until(lambda: engine_box[0].waiting_for_sign_in())

    # file-000 is refused while file-001 is sending; file-001 reaches its link after the hold
    old = SignInSession(
        store,
        refuse=lambda op, name: (op, name) == ("begin", "file-000.bin") or op == "finish",
        hooks={("begin", "file-000.bin"): lambda: second_sending.wait(10), ("send", "file-001.bin"): send_until_held},
    )
    sessions = [old]
    engine = TransferEngine(
        journal, lambda account: sessions[-1], workers=2, retry=FAST, poll_interval=0.05, hold_on_sign_in=True
    )
    engine_box.append(engine)
    with engine:
        ids = engine.enqueue(ACCOUNT, TASK, paths)
        _until(lambda: journal.get(ids[1]).step is Step.LINKING)  # sent, and waiting at the gate to link
        assert ACCOUNT in engine.waiting_for_sign_in()
        sessions.append(SignInSession(store))
        engine.signed_in(ACCOUNT)
        assert engine.wait(ids, timeout=10)
        assert not old.closed  # replaced, not closed under a running upload
        assert engine.waiting_for_sign_in() == {}
    assert [job.state for job in journal.jobs(ids=ids)] == [JobState.DONE, JobState.DONE]
    assert old.closed  # closed at shutdown
    assert len(store.all_files()) == 2


def test_a_refusal_of_the_old_sign_in_after_the_new_one_is_retried_not_held_again(journal, tmp_path):
    store = FakeBackend()
    paths = make_files(tmp_path / "src", 2, size=5000)
    second_in_flight, signed_in_again = threading.Event(), threading.Event()
    old = SignInSession(
        store,
        refuse=lambda op, name: op == "begin",
        hooks={
            ("begin", "file-000.bin"): lambda: second_in_flight.wait(10),
            ("begin", "file-001.bin"): lambda: (second_in_flight.set(), signed_in_again.wait(10)),
        },
    )
    sessions = [old]
    with TransferEngine(
        journal, lambda account: sessions[-1], workers=2, retry=FAST, poll_interval=0.05, hold_on_sign_in=True
    ) as engine:
        ids = engine.enqueue(ACCOUNT, TASK, paths)
        _until(lambda: ACCOUNT in engine.waiting_for_sign_in())
        sessions.append(SignInSession(store))
        engine.signed_in(ACCOUNT)
        signed_in_again.set()  # file-001's request with the old sign-in is refused only now
        assert engine.wait(ids, timeout=10)
        assert engine.waiting_for_sign_in() == {}
    assert [job.state for job in journal.jobs(ids=ids)] == [JobState.DONE, JobState.DONE]


def test_one_paused_job_waits_while_the_others_run_and_resume_jobs_releases_it(journal, tmp_path):
    backend = FakeBackend()
    paths = make_files(tmp_path / "src", 3)
    with make_engine(journal, backend).start(paused=True) as engine:
        ids = engine.enqueue(ACCOUNT, TASK, paths)
        engine.pause_jobs([ids[0]])
        engine.resume(keep_held=[ids[0]])
        assert engine.wait(ids[1:], timeout=10)
        assert journal.get(ids[0]).state is JobState.QUEUED and engine.held_jobs() == {ids[0]}
        engine.resume_jobs([ids[0]])
        assert engine.wait(ids, timeout=10)
    assert len(backend.all_files()) == 3


def test_another_processs_sandbox_jobs_are_left_to_it(journal, tmp_path):
    """Two windows share the user's queue; only the process whose built-in sandbox a job was for
    can reach that sandbox. Another engine neither runs such a job nor lists it, and it is idle
    when only those are left (`attache queue --run` returns)."""
    from attache.core.accounts import sandbox_account

    backend = FakeBackend()
    theirs, mine = make_files(tmp_path / "src", 2)
    elsewhere = AccountRef("fake", sandbox_account(1))  # pid 1: alive, and never this process
    engine = make_engine(journal, backend)
    [their_job] = engine.enqueue(elsewhere, TASK, [theirs])
    [my_job] = engine.enqueue(ACCOUNT, TASK, [mine])
    with engine:
        assert engine.wait_idle(timeout=30)
        assert [job.id for job in engine.jobs()] == [my_job]
    assert journal.get(my_job).state is JobState.DONE
    assert journal.get(their_job).state is JobState.QUEUED and journal.get(their_job).attempts == 0
    assert [f.name for f in backend.all_files()] == [mine.name]
