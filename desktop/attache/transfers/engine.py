"""The transfer engine: a bounded pool of workers that takes jobs from the journal and runs
each upload step by step, journaling every step before the next.

An upload to a task is begin → send → link. The journal records each step and the
server ids it gained, so a retry or a restart continues from the step reached; within the
send step, a backend that can resume (Capability.RESUME_UPLOADS) journals the server's
progress as it goes (`UploadObserver.save_state`) and on the next pass sends only what the
server does not hold yet. A file is resumed only while it is the one queued (same size and
modification time, checked before and while sending); otherwise the job fails as changed,
and a retry takes the file as it is now, from byte 0. Before
linking, the job is marked "linking"; a job found in that step (the answer to a link
request was lost, by a crash or a dropped connection) asks the server whether the file is
already attached before linking it again: exactly one file per job. A job that replaces a
file (`Job.replaces`) makes its new version in the send step; the backend's send recognises
a version an earlier pass made (see `Backend.begin_attach`).

A download (`enqueue_download`) is one step: `Backend.download_file` into its destination, under
`resume.keeping_part` with the job's journaled `.part` and validator, so a download stopped by a
pause, a quit or a crash (or a transient failure the backend gave up on) goes on, in the next run
of the job, from the bytes its `.part` holds, and one whose file changed on the server starts over.
The `.part` takes the destination's name (or, unless the user agreed to replace the file there,
the first free "name (2)") only when it is whole; a cancelled download's `.part` is removed.
Downloads take the same retry policy, gates, pause, cancel and orphan recovery as uploads; the
speed limit (`throttle`) is for uploads.

Threads: `workers` threads each run one job at a time, so there are never more requests
in flight than workers. Every public method may be called from any thread.
"""

from __future__ import annotations

import hashlib
import logging
import os
import random
import threading
import time
from collections.abc import Callable, Iterable, Sequence
from pathlib import Path

from attache.backends.base import Backend
from attache.backends.resume import KeptDownload, keeping_part
from attache.backends.streams import replacing_existing
from attache.core import priorities
from attache.core.accounts import AccountRef, another_processs_sandbox
from attache.core.errors import (
    AttacheError,
    AuthenticationError,
    CancelledError,
    InvalidInputError,
    RateLimitedError,
    ServiceUnavailableError,
    SourceChangedError,
    UploadExpiredError,
)
from attache.core.models import EntityRef
from attache.core.sources import check_source
from attache.transfers import runners
from attache.transfers.events import JobEvent, Listener, Listeners
from attache.transfers.gates import AccountGates
from attache.transfers.journal import Job, Journal, NewJob
from attache.transfers.policy import RetryPolicy
from attache.transfers.progress import ProgressBoard
from attache.transfers.states import JobState, Slot, Step
from attache.transfers.throttle import Throttle

log = logging.getLogger(__name__)

# Called at named points of a job's life ("claimed", "begun", "sending" per chunk, "sent",
# "linking", "linked"); tests use it to crash a process at an exact point.
Checkpoint = Callable[[str, Job], None]

# While sending, look at the source file at most this often.
SOURCE_CHECK_INTERVAL = 0.5


class _Stopped(CancelledError):
    """Raised inside a job to abandon it now (cancel, pause, shutdown)."""

    def __init__(self) -> None:
        super().__init__("The transfer was stopped.")


class _Run:
    """The controls of one running job, shared between its worker and the public methods."""

    def __init__(self) -> None:
        self.stop = threading.Event()
        self.reason: str | None = None  # "cancel" or "interrupt"
        self.source_error: SourceChangedError | None = None
        self.progressed = False
        self.backend: Backend | None = None  # the account's backend for the request now out

    def request(self, reason: str) -> None:
        if self.reason != "cancel":  # a cancel is never downgraded to an interruption
            self.reason = reason
        self.stop.set()

    def check(self) -> None:
        if self.stop.is_set():
            raise _Stopped()


class TransferEngine:
    def __init__(
        self,
        journal: Journal,
        backend_for: Callable[[AccountRef], Backend],
        *,
        workers: int = 4,
        retry: RetryPolicy | None = None,
        progress: ProgressBoard | None = None,
        checkpoint: Checkpoint | None = None,
        poll_interval: float = 1.0,
        only_own_jobs: bool = False,
        hold_on_sign_in: bool = False,
        throttle: Throttle | None = None,
        rand: Callable[[], float] = random.random,
    ) -> None:
        if workers < 1:
            raise ValueError("workers must be at least 1")
        self.journal = journal
        self.workers = workers
        self.retry = retry or RetryPolicy()
        self.progress = progress or ProgressBoard()
        self.throttle = throttle or Throttle()  # the upload speed limit, for all workers together
        self._backend_for = backend_for
        self._checkpoint = checkpoint
        self._poll_interval = poll_interval
        self._rand = rand
        self._listeners = Listeners()
        self._gates = AccountGates()
        # A window can ask the user to sign in again, so its engine holds an account's jobs on a
        # refused sign-in; a one-shot command cannot, so there they fail with the reason.
        self._hold_on_sign_in = hold_on_sign_in
        self._sign_in_needed: dict[AccountRef, str] = {}
        self._backends: dict[AccountRef, Backend] = {}
        self._retired: list[Backend] = []  # replaced by a new sign-in; a request may still use one
        self._backends_lock = threading.Lock()
        self._cond = threading.Condition()
        self._runs: dict[int, _Run] = {}
        self._threads: list[threading.Thread] = []
        self._paused = False
        self._held: set[int] = set()  # jobs paused one by one (until resume_jobs or resume)
        self._stopping = False
        # None: run every job in the journal. A set: only jobs enqueued (or retried) here, for
        # `attache upload`, which must not start on what another session left queued.
        self._scope: set[int] | None = set() if only_own_jobs else None
        self.runner = runners.new_runner()

    # ---- lifecycle ----

    def start(self, *, paused: bool = False) -> TransferEngine:
        """Resume what a crashed process left running, then start the workers.

        With `paused`, nothing starts until `resume()` (the user asked to review the queue first).
        """
        with self._cond:
            if self._threads:
                raise RuntimeError("the engine is already started")
            self._paused = paused
        for job_id in self.journal.recover_orphans(runners.is_live):
            log.info("job %s was left running by a process that is gone: interrupted", job_id)
            self._emit(JobEvent(job_id, JobState.INTERRUPTED))
        for index in range(self.workers):
            thread = threading.Thread(target=self._work, name=f"attache-transfer-{index}", daemon=True)
            self._threads.append(thread)
            thread.start()
        return self

    def shutdown(self, *, timeout: float | None = 30.0) -> None:
        """Stop the workers: running uploads stop at once and are marked interrupted.

        A link request already on the wire is allowed to finish (it is short, and its
        answer saves a reconciliation on the next start).
        """
        with self._cond:
            self._stopping = True
            for run in self._runs.values():
                run.request("interrupt")
            self._cond.notify_all()
        with self._backends_lock:
            opened = [*self._backends.values(), *self._retired]
        for backend in opened:  # a request waiting out a back-off gives up now, not in ~10 s
            try:
                backend.stop_retrying()
            except Exception:
                log.exception("stopping the retries of %r failed", backend)
        deadline = None if timeout is None else time.monotonic() + timeout
        for thread in self._threads:
            thread.join(None if deadline is None else max(0.0, deadline - time.monotonic()))
        stragglers = [thread for thread in self._threads if thread.is_alive()]
        if stragglers:
            log.warning("%d transfer workers did not stop in time", len(stragglers))
        for job_id in self.journal.interrupt_runner(self.runner):
            self._emit(JobEvent(job_id, JobState.INTERRUPTED))
        runners.retire_runner(self.runner)
        with self._backends_lock:
            backends, self._backends = [*self._backends.values(), *self._retired], {}
            self._retired = []
        for backend in backends:
            try:
                backend.close()
            except Exception:
                log.exception("closing backend %r failed", backend)

    def __enter__(self) -> TransferEngine:
        return self if self._threads else self.start()

    def __exit__(self, *exc: object) -> None:
        self.shutdown()

    # ---- the queue ----

    def enqueue(
        self,
        account: AccountRef,
        target: EntityRef,
        sources: Iterable[Path | str],
        *,
        slot: Slot = Slot.FILES,
        names: Sequence[str] | None = None,
        replaces: Sequence[str | None] | None = None,
    ) -> list[int]:
        """Journal one job per file and return their ids; nothing is sent before this returns.
        `replaces[i]`, when given, is the id of a file the i-th upload becomes a new version of.

        Raises InvalidInputError (naming the file) before journaling anything if a source
        is missing, not a regular file or unreadable.
        """
        paths = [Path(source).expanduser().absolute() for source in sources]
        if names is not None and len(names) != len(paths):
            raise ValueError("names must match sources one to one")
        if replaces is not None and len(replaces) != len(paths):
            raise ValueError("replaces must match sources one to one")
        if slot is Slot.IMAGE and len(paths) != 1:
            raise InvalidInputError("An image slot takes exactly one file.")
        new_jobs = []
        for index, path in enumerate(paths):
            size, mtime_ns = _inspect_source(path)
            name = names[index] if names is not None else path.name
            replaced = replaces[index] if replaces is not None else None
            new_jobs.append(NewJob(account, target, slot, path, name, size, mtime_ns, replaced))
        # Under the condition workers claim under, so "queued" is announced before "running".
        with self._cond:
            ids = self.journal.add(new_jobs)
            if self._scope is not None:
                self._scope.update(ids)
            for job_id, job in zip(ids, new_jobs, strict=True):
                self.progress.track(job_id, job.size)
                self._emit(JobEvent(job_id, JobState.QUEUED, Step.NEW))
            self._cond.notify_all()
        return ids

    def enqueue_download(
        self,
        account: AccountRef,
        target: EntityRef,
        file_id: str,
        name: str,
        size: int | None,
        dest: Path | str,
        *,
        replace: bool = False,
    ) -> int:
        """Journal a download of `target`'s file `file_id` into the file `dest` and return its id.

        A file already at `dest` when the download completes stays (the new one is saved as
        "name (2)") unless `replace`: the user agreed to replace it.
        """
        path = Path(dest).expanduser().absolute()
        if path.is_dir() or not path.parent.is_dir():
            raise InvalidInputError(f"Cannot save {name} as {path}: give a file name in an existing folder.")
        job = NewJob.download(account, target, file_id, name, size, path, replace=replace)
        with self._cond:
            [job_id] = self.journal.add([job])
            if self._scope is not None:
                self._scope.add(job_id)
            self.progress.track(job_id, job.size)
            self._emit(JobEvent(job_id, JobState.QUEUED, Step.NEW))
            self._cond.notify_all()
        return job_id

    def cancel(self, ids: Iterable[int] | None = None) -> list[int]:
        """Cancel these jobs (or all): waiting ones at once, running ones within a chunk.

        Returns the ids that were waiting and are now cancelled; running ones report
        "cancelled" through the listeners when their worker lets go (or "done" if their
        link had already been sent).
        """
        wanted = None if ids is None else set(ids)
        with self._cond:
            for job_id, run in self._runs.items():
                if wanted is None or job_id in wanted:
                    run.request("cancel")
        cancelled = self.journal.cancel_waiting(wanted)
        for job in self.journal.jobs(ids=cancelled):
            remove_part(job)
        for job_id in cancelled:
            self.progress.finish(job_id, done=False)
            self._emit(JobEvent(job_id, JobState.CANCELLED))
        return cancelled

    def pause(self, *, interrupt_running: bool = False) -> None:
        """Start no new job. With `interrupt_running`, running uploads stop too and resume later."""
        with self._cond:
            self._paused = True
            if interrupt_running:
                for run in self._runs.values():
                    run.request("interrupt")

    def resume(self, *, keep_held: Iterable[int] = ()) -> None:
        """Run the queue again, including jobs paused one by one except those in `keep_held`."""
        with self._cond:
            self._paused = False
            self._held = set(keep_held)
            self._cond.notify_all()

    def pause_jobs(self, ids: Iterable[int]) -> None:
        """Hold these jobs: a running one stops within a chunk (interrupted, to resume from what
        the server holds), a waiting one is not started, until `resume_jobs` or `resume`.
        Held in this process only: the next start runs them like any interrupted job."""
        with self._cond:
            for job_id in ids:
                self._held.add(job_id)
                if (run := self._runs.get(job_id)) is not None:
                    run.request("interrupt")

    def resume_jobs(self, ids: Iterable[int]) -> None:
        with self._cond:
            self._held.difference_update(ids)
            self._cond.notify_all()

    def held_jobs(self) -> set[int]:
        with self._cond:
            return set(self._held)

    @property
    def paused(self) -> bool:
        return self._paused

    def retry_failed(self, ids: Iterable[int] | None = None) -> list[int]:
        """Queue failed jobs again; they continue from the step they reached."""
        return self._requeue(ids, (JobState.FAILED,))

    def requeue(self, ids: Iterable[int]) -> list[int]:
        """Queue these failed or cancelled jobs again (the user changed their mind)."""
        return self._requeue(list(ids), (JobState.FAILED, JobState.CANCELLED))

    def _requeue(self, ids: Iterable[int] | None, states: tuple[JobState, ...]) -> list[int]:
        with self._cond:
            retried = self.journal.requeue(ids, states=states)
            if self._scope is not None:
                self._scope.update(retried)
            for job in self.journal.jobs(ids=retried):
                self.progress.track(job.id, job.size)
                self._emit(JobEvent(job.id, JobState.QUEUED, job.step))
            self._cond.notify_all()
        return retried

    def clear_finished(self, ids: Iterable[int] | None = None) -> list[int]:
        """Remove done, failed and cancelled jobs from the journal."""
        leftovers = self.journal.jobs((JobState.FAILED, JobState.CANCELLED), ids)
        cleared = self.journal.clear_finished(ids)
        for job in leftovers:
            if job.id in cleared:
                remove_part(job)  # a failed download's .part: no retry can resume from it now
        for job_id in cleared:
            self.progress.forget(job_id)
        return cleared

    def jobs(self, states: Iterable[JobState] | None = None, ids: Iterable[int] | None = None) -> list[Job]:
        """The queue's jobs, but those only another process can run (its built-in sandbox's)."""
        return [job for job in self.journal.jobs(states, ids) if not another_processs_sandbox(job.account.account)]

    def _elsewhere(self) -> list[AccountRef]:
        """Accounts whose jobs this engine leaves alone: other processes' built-in sandboxes."""
        return [ref for ref in self.journal.accounts() if another_processs_sandbox(ref.account)]

    def subscribe(self, listener: Listener) -> Callable[[], None]:
        """Call `listener(JobEvent)` on every state change, from the changing thread."""
        return self._listeners.subscribe(listener)

    def wait(self, ids: Iterable[int], timeout: float | None = None) -> bool:
        """Block until these jobs are done, failed or cancelled; False on timeout."""
        wanted = list(ids)
        return self._wait_until(lambda: all(job.finished for job in self.journal.jobs(ids=wanted)), timeout)

    def wait_idle(self, timeout: float | None = None) -> bool:
        """Block until no job runs here and none (of ours, with `only_own_jobs`) is queued or
        interrupted, including those waiting out a back-off; False on timeout."""
        return self._wait_until(
            lambda: not self._runs and not self.journal.has_runnable(self._scope, skip_accounts=self._elsewhere()),
            timeout,
        )

    def _wait_until(self, condition: Callable[[], bool], timeout: float | None) -> bool:
        deadline = None if timeout is None else time.monotonic() + timeout
        with self._cond:
            while not condition():
                remaining = self._poll_interval if deadline is None else deadline - time.monotonic()
                if remaining <= 0:
                    return False
                # Polls as well: another process may finish jobs we wait for.
                self._cond.wait(min(remaining, self._poll_interval))
            return True

    # ---- workers ----

    def _work(self) -> None:
        priorities.worker_started()
        while (job := self._next_job()) is not None:
            run = self._runs[job.id]
            try:
                self._process(job, run)
            except Exception:
                # Only a journal failure (disk full, say) gets here; the job stays "running"
                # and the next start resumes it.
                log.exception("transfer job %s could not be recorded", job.id)
            finally:
                with self._cond:
                    # Released jobs can be claimed again (by another worker) before we get here.
                    if self._runs.get(job.id) is run:
                        del self._runs[job.id]
                    self._cond.notify_all()

    def _next_job(self) -> Job | None:
        with self._cond:
            while True:
                if self._stopping:
                    return None
                if not self._paused:
                    # Claiming under the condition means cancel/shutdown always find every job we hold.
                    job = self.journal.claim_next(
                        self.runner,
                        skip_accounts=[*self._gates.closed(), *self._elsewhere()],
                        only_ids=self._scope,
                        skip_ids=self._held,
                    )
                    if job is not None:
                        self._runs[job.id] = _Run()
                        return job
                self._cond.wait(self._idle_wait())

    def _idle_wait(self) -> float:
        waits = [self._poll_interval]
        if (gate := self._gates.next_reopen()) is not None:
            waits.append(gate)
        if (retry_at := self.journal.next_retry_at()) is not None:
            waits.append(retry_at - time.time())
        return max(0.01, min(waits))

    def _process(self, job: Job, run: _Run) -> None:
        self._emit(JobEvent(job.id, JobState.RUNNING, job.step))
        if self.progress.get(job.id) is None:
            self.progress.track(job.id, job.size)
        try:
            self._hook("claimed", job)
            if job.is_download:
                self._download(job, run)
            elif job.slot is Slot.IMAGE:
                self._set_image(job, run)
            else:
                self._attach_file(job, run)
        except Exception as exc:  # noqa: BLE001 - every failure settles the job (retry, hold or fail)
            self._settle_failure(job, run, exc)

    def _attach_file(self, job: Job, run: _Run) -> None:
        step, state = job.step, dict(job.upload_state)
        if step in (Step.NEW, Step.BEGUN):
            _check_source(job)
        if step is Step.NEW:
            backend = self._before_request(job, run)
            state = backend.begin_attach(job.target, job.name, job.size, replacing=job.replaces)
            step = self._record(job, run, Step.BEGUN, upload_state=state)
        if step is Step.BEGUN:
            backend = self._before_request(job, run)
            sender = _SendPass(self, job, run)
            state = backend.send_content(state, job.source, job.size, on_chunk=sender)
            sender.verify()
            step = self._record(
                job, run, Step.SENT, upload_state=state, sha256=sender.hexdigest, bytes_sent=sender.total
            )
        if step is Step.LINKING:
            # A link request went out before and its answer was lost: is the file there already?
            backend = self._before_request(job, run)
            found = backend.find_attached(job.target, state, job.name, job.size)
            if found is not None:
                log.info("job %s: %s was already attached as file %s", job.id, job.name, found.id)
                self._done(job, file_id=found.id, stored_name=found.name)
                return
            step = Step.SENT
        if step is Step.SENT:
            if job.step is not Step.LINKING:
                self._record(job, run, Step.LINKING)
            backend = self._before_request(job, run)
            record = backend.finish_attach(job.target, state, job.name)
            self._hook("linked", job)
            self._done(job, file_id=record.id, stored_name=record.name)

    def _download(self, job: Job, run: _Run) -> None:
        def save(kept: KeptDownload) -> None:  # a new .part or validator: journaled before its bytes
            self.journal.record_step(job.id, Step.BEGUN, upload_state=kept.as_state(), progressed=False)

        kept = KeptDownload.from_state(job.upload_state, save)
        receiver = _ReceivePass(self, job, run, kept.kept_bytes())
        backend = self._before_request(job, run)
        assert job.remote_id is not None and job.dest is not None
        try:
            with replacing_existing(job.replace_existing), keeping_part(kept):
                saved = backend.download_file(job.target, job.remote_id, job.dest, on_chunk=receiver)
        finally:
            if receiver.received:  # what the .part holds now, for the row after a restart
                self.journal.record_step(job.id, Step.BEGUN, bytes_sent=kept.kept_bytes(), progressed=True)
        self._hook("linked", job)
        self.journal.mark_done(job.id, saved=saved)
        kept.remove()  # only there if the backend saved the file otherwise (an answer it decoded)
        self.progress.finish(job.id, done=True)
        self._emit(JobEvent(job.id, JobState.DONE, Step.LINKED, saved=saved))

    def _set_image(self, job: Job, run: _Run) -> None:
        # Setting an image replaces the previous one, so repeating it is harmless: no reconciliation.
        _check_source(job)
        backend = self._before_request(job, run)
        sender = _SendPass(self, job, run)
        backend.set_image(job.target, job.source, on_chunk=sender)
        sender.verify(require_all=False)
        self._hook("linked", job)
        self._done(job, sha256=sender.hexdigest if sender.sent == job.size else None)

    def _before_request(self, job: Job, run: _Run) -> Backend:
        """Wait for the account's gate (rate limit, or sign-in); leave at once if the job is stopped.

        Returns the account's backend as it is *after* the wait: a job that waited at a gate held
        for sign-in goes on with the new sign-in, not the refused one.
        """
        run.check()
        if not self._gates.wait_open(job.account, run.stop):
            raise _Stopped()
        run.backend = self._backend(job.account)
        return run.backend

    def _record(self, job: Job, run: _Run, step: Step, **values: object) -> Step:
        self.journal.record_step(job.id, step, **values)  # type: ignore[arg-type]
        run.progressed = True
        self._hook(step.value, job)
        self._emit(JobEvent(job.id, JobState.RUNNING, step))
        return step

    def _done(
        self, job: Job, *, file_id: str | None = None, sha256: str | None = None, stored_name: str | None = None
    ) -> None:
        amended = stored_name if stored_name and stored_name != job.name else None
        self.journal.mark_done(job.id, file_id=file_id, sha256=sha256, stored_name=amended)
        self.progress.finish(job.id, done=True)
        self._emit(JobEvent(job.id, JobState.DONE, Step.LINKED))

    def _settle_failure(self, job: Job, run: _Run, exc: Exception) -> None:
        """Decide what an exception means for the job: cancelled, interrupted, retry or fail."""
        if run.reason == "cancel":
            remove_part(self.journal.get(job.id) or job)  # as journaled now: this run may have made it
            self.journal.mark_cancelled(job.id)
            self.progress.finish(job.id, done=False)
            self._emit(JobEvent(job.id, JobState.CANCELLED))
            return
        if run.reason == "interrupt":
            with self._cond:
                self.journal.release(job.id, JobState.INTERRUPTED)
                self._emit(JobEvent(job.id, JobState.INTERRUPTED))
            return
        if run.source_error is not None:  # seen while sending, whatever the backend made of it
            exc = run.source_error
        if isinstance(exc, AttacheError) and exc.transient:
            self._retry_later(job, run, exc)
            return
        if isinstance(exc, AuthenticationError) and self._hold_on_sign_in:
            if self._replaced(job, run):
                self._retry_with_new_sign_in(job)
            else:
                self._wait_for_sign_in(job, exc)
            return
        if isinstance(exc, AttacheError):
            message = _naming_file(job, str(exc))
        else:
            log.error("job %s: unexpected error", job.id, exc_info=exc)
            message = _naming_file(job, f"unexpected error: {exc!r}")
        self._fail(job, message, type(exc).__name__)

    def _retry_later(self, job: Job, run: _Run, exc: AttacheError) -> None:
        failures = 1 if run.progressed else job.retries + 1
        if isinstance(exc, UploadExpiredError):
            self.journal.restart_upload(job.id)  # a fresh upload URL fixes it
        if failures >= self.retry.max_tries or job.attempts >= self.retry.max_runs:
            tries = failures if failures >= self.retry.max_tries else job.attempts
            self._fail(job, _naming_file(job, f"gave up after {tries} tries: {exc}"), type(exc).__name__)
            return
        retry_after = getattr(exc, "retry_after", None)
        if retry_after and isinstance(exc, (RateLimitedError, ServiceUnavailableError)):
            # The server spoke for the whole account: all its jobs hold off, not just this one.
            self._gates.close_for(job.account, min(retry_after, self.retry.max_retry_after))
        delay = 0.0 if isinstance(exc, UploadExpiredError) else self.retry.delay(failures, retry_after, self._rand)
        message = f"{exc} (retrying, try {failures + 1} of {self.retry.max_tries})"
        log.info("job %s: %s; next try in %.2f s", job.id, exc, delay)
        if isinstance(exc, UploadExpiredError):
            self.progress.restart(job.id)  # from byte 0; otherwise the count stays where the server is
        with self._cond:
            self.journal.release(
                job.id,
                JobState.QUEUED,
                retry_at=time.time() + delay,
                error=message,
                error_kind=type(exc).__name__,
                retries=failures,
            )
            self._emit(JobEvent(job.id, JobState.QUEUED, message=message))

    def _wait_for_sign_in(self, job: Job, exc: AuthenticationError) -> None:
        """The account's sign-in was refused even after a refresh: hold all its jobs, lose none."""
        self._gates.hold(job.account)
        message = f"Waiting for sign-in: {exc}"
        with self._cond:
            self._sign_in_needed[job.account] = str(exc)
            self.journal.release(job.id, JobState.QUEUED, error=message, error_kind=type(exc).__name__)
            self._emit(JobEvent(job.id, JobState.QUEUED, message=message))

    def _replaced(self, job: Job, run: _Run) -> bool:
        """The request was refused on a backend that a new sign-in has replaced since."""
        with self._backends_lock:
            return run.backend is not None and run.backend is not self._backends.get(job.account)

    def _retry_with_new_sign_in(self, job: Job) -> None:
        log.info("job %s: refused with the old sign-in of %s; trying again with the new one", job.id, job.account)
        with self._cond:
            self.journal.release(job.id, JobState.QUEUED, error="", error_kind="")
            self._emit(JobEvent(job.id, JobState.QUEUED))

    def waiting_for_sign_in(self) -> dict[AccountRef, str]:
        """Accounts whose jobs are held until the user signs in again, with the reason."""
        with self._cond:
            return dict(self._sign_in_needed)

    def signed_in(self, account: AccountRef) -> None:
        """The user signed in again: open a fresh backend for the account and let its jobs go on.

        The old backend is closed at shutdown, not now: an upload of the account may still be
        sending with it (to blob storage, which needs no sign-in); its next request takes the new one.
        """
        self.renew_backend(account)
        with self._cond:
            self._sign_in_needed.pop(account, None)
            self._gates.reopen(account)
            self._cond.notify_all()

    def renew_backend(self, account: AccountRef) -> None:
        """The account's next request opens a fresh backend (a new sign-in, or a setting such as
        its file template changed); the old one is closed at shutdown (an upload may still use it)."""
        with self._backends_lock:
            stale = self._backends.pop(account, None)
            if stale is not None:
                self._retired.append(stale)

    def _fail(self, job: Job, message: str, kind: str) -> None:
        log.warning("job %s failed: %s", job.id, message)
        self.journal.mark_failed(job.id, message, kind)
        self.progress.finish(job.id, done=False)
        self._emit(JobEvent(job.id, JobState.FAILED, message=message))

    # ---- helpers ----

    def _backend(self, account: AccountRef) -> Backend:
        # One backend (and so one connection pool) per account, shared by every job.
        with self._backends_lock:
            backend = self._backends.get(account)
            if backend is None:
                backend = self._backends[account] = self._backend_for(account)
            return backend

    def _hook(self, point: str, job: Job) -> None:
        if self._checkpoint is not None:
            self._checkpoint(point, job)

    def _emit(self, event: JobEvent) -> None:
        self._listeners.emit(event)


class _SendPass:
    """The chunk observer of one pass over a file (a `ParallelUploadObserver`): speed limit,
    progress, sha256, cancel and source checks, and the journal for a resumable backend's progress.

    It sees each chunk the backend sends, and each one the server already held, as the backend
    read it: no copy is made. The progress count keeps its place until the first byte goes out,
    and then goes on from what the server held (so a resumed upload does not flash back to 0).
    A backend sending parts side by side reports chunks as it reads them (`read_ahead`, in file
    order: the hash) and their bytes as they go out (`sending`, from its sending threads).
    """

    def __init__(self, engine: TransferEngine, job: Job, run: _Run) -> None:
        self._engine = engine
        self._job = job
        self._run = run
        self._hash = hashlib.sha256()
        self._next_check = time.monotonic() + SOURCE_CHECK_INTERVAL
        self.sent = 0  # sent in this pass
        self.held_bytes = 0  # already on the server, read but not sent
        self._counting = False
        self._lock = threading.Lock()  # `sending` comes from several threads

    @property
    def total(self) -> int:
        return self.sent + self.held_bytes

    def _start_counting(self) -> None:
        if not self._counting:
            with self._lock:
                if not self._counting:
                    self._engine.progress.restart(self._job.id, self._job.size, start=self.held_bytes)
                    self._counting = True

    def held(self, chunk: bytes) -> None:
        self._run.check()
        self._hash.update(chunk)
        self.held_bytes += len(chunk)
        self._engine.progress.advance_to(self._job.id, self.total)  # up, never as speed
        self._check_source_now_and_then()

    def save_state(self, state: dict[str, str]) -> None:
        """The server confirmed more of the file: journal it before the next part goes out (even
        when the job is being stopped: what the server holds is worth keeping)."""
        self._engine.journal.record_step(self._job.id, Step.BEGUN, upload_state=state, bytes_sent=self.total)
        self._run.progressed = True

    def __call__(self, chunk: bytes) -> None:
        self.sending(len(chunk))
        self._hash.update(chunk)
        self._check_source_now_and_then()

    def read_ahead(self, chunk: memoryview) -> None:
        """`chunk` was read, in file order, to go out later through `sending`."""
        self._run.check()
        self._hash.update(chunk)
        self._check_source_now_and_then()

    def check(self) -> None:
        """Raises when the job is being paused or cancelled (the backend waits for memory)."""
        self._run.check()

    def sending(self, size: int) -> None:
        """`size` bytes go out now (from any thread): wait for the speed limit, count them."""
        self._run.check()
        self._start_counting()
        wait = self._engine.throttle.reserve(size)
        if wait > 0 and self._run.stop.wait(wait):  # a pause or cancel ends the wait at once
            raise _Stopped()
        with self._lock:
            self.sent += size
        self._engine.progress.add(self._job.id, size)
        self._engine._hook("sending", self._job)

    def _check_source_now_and_then(self) -> None:
        if (now := time.monotonic()) >= self._next_check:
            self._next_check = now + SOURCE_CHECK_INTERVAL
            try:
                _check_source(self._job)
            except SourceChangedError as exc:
                self._run.source_error = exc
                raise

    @property
    def hexdigest(self) -> str:
        return self._hash.hexdigest()

    def verify(self, *, require_all: bool = True) -> None:
        """After the last byte: the file must still be the one queued, and all of it is on the server."""
        _check_source(self._job)
        self._start_counting()
        if require_all and self.total != self._job.size:
            raise SourceChangedError(
                f"{self._job.source} changed while it was being sent ({self.total} of {self._job.size} bytes read)."
            )


class _ReceivePass:
    """The chunk observer of one run of a download: progress (from what its `.part` held),
    stop checks, and the "receiving" checkpoint."""

    def __init__(self, engine: TransferEngine, job: Job, run: _Run, start: int) -> None:
        self._engine = engine
        self._job = job
        self._run = run
        self.received = 0
        engine.progress.restart(job.id, job.size, start=start)

    def __call__(self, chunk: bytes) -> None:
        self._run.check()
        if chunk:
            self.received += len(chunk)
            self._run.progressed = True
            self._engine.progress.add(self._job.id, len(chunk))
        self._engine._hook("receiving", self._job)


def remove_part(job: Job) -> None:
    """A download that will not go on (cancelled, or cleared from the queue) leaves no hidden `.part`."""
    if job.is_download:
        KeptDownload.from_state(job.upload_state, lambda kept: None).remove()


def _inspect_source(path: Path) -> tuple[int, int]:
    info = check_source(path)
    return info.st_size, info.st_mtime_ns


def _check_source(job: Job) -> None:
    """The file must be the one that was queued: same size, same modification time."""
    try:
        info = os.stat(job.source)
    except FileNotFoundError:
        raise SourceChangedError(f"{job.source} was deleted or moved after it was queued.") from None
    except OSError as exc:
        raise SourceChangedError(f"{job.source} can no longer be read: {exc.strerror}.") from exc
    if info.st_size != job.size:
        raise SourceChangedError(
            f"{job.source} was modified after it was queued (now {info.st_size} bytes, was {job.size})."
        )
    if info.st_mtime_ns != job.mtime_ns:
        raise SourceChangedError(f"{job.source} was modified after it was queued.")


def _naming_file(job: Job, message: str) -> str:
    """A failure message must say which file it is about."""
    if job.name in message or str(job.source) in message:
        return message
    return f"{job.name}: {message}"
