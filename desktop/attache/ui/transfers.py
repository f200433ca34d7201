"""The window's view of transfers: one queue of jobs (uploads, image changes, downloads).

Uploads and image changes go through the durable engine (`attache.transfers.TransferEngine`)
when the window has one: they are journaled, retried, resumed after a restart, and the queue
shows them again next time. Downloads, and uploads when there is no engine, run here on the
"transfers" worker pool. Either way the dock sees one list of `Job` objects whose numbers
the workers (or the engine's ProgressBoard) update and whose states change on the GUI thread.
"""

from __future__ import annotations

import itertools
import logging
import threading
import time
from collections.abc import Callable
from collections import deque
from dataclasses import dataclass, field
from pathlib import Path

from PySide6.QtCore import QObject, Signal

from attache.core.errors import AttacheError, CancelledError
from attache.core.models import EntityRef
from attache.ui import tasks

log = logging.getLogger(__name__)

QUEUED, RUNNING, DONE, FAILED, CANCELLED, INTERRUPTED = "queued", "running", "done", "failed", "cancelled", "interrupted"
FINISHED_STATES = (DONE, FAILED, CANCELLED)
ACTIVE_STATES = (QUEUED, RUNNING, INTERRUPTED)

UPLOAD, IMAGE, DOWNLOAD = "upload", "image", "download"


@dataclass(eq=False)
class Job:
    """One transfer, as the dock shows it. Workers write only `done_bytes`."""

    id: str
    kind: str  # upload, image or download
    name: str  # the file's name
    target: str  # "Task “Write the brief”"
    ref: EntityRef
    total_bytes: int | None
    path: Path | None = None
    state: str = QUEUED
    done_bytes: int = 0
    error: str = ""
    note: str = ""  # e.g. "retrying in a moment: …"
    created: float = field(default_factory=time.time)
    finished: float | None = None
    engine_id: int | None = None
    speed: float | None = None
    eta_s: float | None = None
    result: object = field(default=None, repr=False)
    _samples: list[tuple[float, int]] = field(default_factory=list, repr=False)
    _cancel: threading.Event = field(default_factory=threading.Event, repr=False)
    _run: object = field(default=None, repr=False)

    @property
    def finished_state(self) -> bool:
        return self.state in FINISHED_STATES

    @property
    def retryable(self) -> bool:
        return self.state in (FAILED, CANCELLED)

    @property
    def fraction(self) -> float | None:
        if self.state == DONE:
            return 1.0
        if not self.total_bytes:
            return None
        return min(1.0, self.done_bytes / self.total_bytes)

    @property
    def eta(self) -> float | None:
        if self.state != RUNNING:
            return None
        if self.eta_s is not None:
            return self.eta_s
        if not self.speed or not self.total_bytes:
            return None
        return max(0.0, (self.total_bytes - self.done_bytes) / self.speed)

    def sample(self, now: float, window: float = 5.0) -> None:
        """Work out a rolling speed from done_bytes (None when stalled or unknown)."""
        if self.state != RUNNING:
            self.speed = None
            self._samples.clear()
            return
        self._samples.append((now, self.done_bytes))
        while len(self._samples) > 2 and now - self._samples[1][0] >= window:
            self._samples.pop(0)
        first_t, first_b = self._samples[0]
        elapsed = now - first_t
        if elapsed >= 0.4 and self.done_bytes > first_b:
            self.speed = (self.done_bytes - first_b) / elapsed
        elif elapsed >= 2.0:
            self.speed = None  # stalled


class _EngineBridge(QObject):
    """Engine listeners run on worker threads; this carries their events to the GUI thread.

    Events wait in a deque; only a no-argument signal crosses threads, and a burst of events
    wakes the GUI once.
    """

    arrived = Signal()

    def __init__(self, parent=None) -> None:
        super().__init__(parent)
        self._events: deque = deque()
        self._lock = threading.Lock()
        self._signalled = False

    def push(self, event) -> None:  # any thread
        with self._lock:
            self._events.append(event)
            if self._signalled:
                return
            self._signalled = True
        self.arrived.emit()

    def take(self) -> list:
        with self._lock:
            events = list(self._events)
            self._events.clear()
            self._signalled = False
        return events


class TransferQueue(QObject):
    """Runs jobs; tells the window when each one and each batch finishes."""

    jobAdded = Signal(object)  # Job
    jobChanged = Signal(object)  # Job: state changed
    jobFinished = Signal(object)  # Job: done, failed or cancelled
    batchFinished = Signal(int, int)  # done, failed: the queue has become idle
    jobsRemoved = Signal()
    failed = Signal(object)  # an error before any job existed (e.g. the engine refused a file)
    pausedChanged = Signal(bool)

    def __init__(self, parent: QObject | None = None, *, max_parallel: int = 4) -> None:
        super().__init__(parent)
        self._jobs: list[Job] = []
        self._by_engine_id: dict[int, Job] = {}
        self._early_events: dict[int, object] = {}
        self._ids = itertools.count(1)
        self._waiting: list[Job] = []
        self._running: set[str] = set()
        self.max_parallel = max_parallel
        self._batch_done = 0
        self._batch_failed = 0
        self._pending_enqueues = 0
        self.engine = None
        self.account = None
        self._unsubscribe = None
        self._bridge = _EngineBridge(self)
        self._bridge.arrived.connect(self._drain_engine_events)

    # ------------------------------------------------------------------ engine

    def set_engine(self, engine, account, *, backend=None) -> None:
        """Send uploads through `engine` for `account` (an AccountRef); show the journal's jobs.

        Jobs from an earlier session name their target by id only; with `backend`, their
        names are looked up on a worker and the labels updated.
        """
        self.detach_engine()
        self.engine, self.account = engine, account
        if engine is None:
            return
        self._unsubscribe = engine.subscribe(self._bridge.push)
        existing = engine.jobs()
        for record in existing:
            self._adopt(record, {})
        refs = list(dict.fromkeys(r.target for r in existing if r.account == account))[:100]
        if refs and backend is not None:
            tasks.run_task(lambda: _names(backend, refs), self._relabel, lambda error: None, owner=self)

    def _relabel(self, names: dict) -> None:
        changed = False
        for job in self._jobs:
            name = names.get(job.ref)
            if job.engine_id is not None and name:
                job.target = f"{job.ref.kind.singular.capitalize()} “{name}”"
                changed = True
        if changed and self._jobs:
            self.jobChanged.emit(self._jobs[0])

    @property
    def paused(self) -> bool:
        return self.engine is not None and self.engine.paused

    def set_paused(self, paused: bool) -> None:
        """Pause: no new upload starts and running ones stop where they are (they resume later)."""
        if self.engine is None or paused == self.engine.paused:
            return
        if paused:
            self.engine.pause(interrupt_running=True)
        else:
            self.engine.resume()
        self.pausedChanged.emit(paused)

    def detach_engine(self) -> None:
        if self._unsubscribe is not None:
            self._unsubscribe()
            self._unsubscribe = None
        if self._by_engine_id:
            self._jobs = [j for j in self._jobs if j.engine_id is None]
            self._by_engine_id.clear()
            self.jobsRemoved.emit()
        self.engine = None

    def _adopt(self, record, labels: dict, target: str | None = None) -> Job:
        """A UI job mirroring an engine job (from the journal or just enqueued)."""
        from attache.transfers import Slot

        job = self._by_engine_id.get(record.id)
        if job is not None:
            return job
        ref = record.target
        label = target or labels.get(ref) or f"{ref.kind.singular.capitalize()} {ref.id}"
        job = Job(id=f"e{record.id}", kind=IMAGE if record.slot is Slot.IMAGE else UPLOAD, name=record.name,
                  target=label, ref=ref, total_bytes=record.size, path=record.source, engine_id=record.id,
                  created=record.created_at or time.time())
        _apply_engine_state(job, record.state.value, record.last_error)
        if job.state == DONE:
            job.done_bytes = record.size
        self._by_engine_id[record.id] = job
        self._jobs.append(job)
        early = self._early_events.pop(record.id, None)
        if early is not None:
            _apply_engine_state(job, early.state.value, early.message)
        self.jobAdded.emit(job)
        return job

    def _drain_engine_events(self) -> None:
        for event in self._bridge.take():
            self._on_engine_event(event)

    def _on_engine_event(self, event) -> None:
        job = self._by_engine_id.get(event.job_id)
        if job is None:
            self._early_events[event.job_id] = event  # enqueue() has not returned yet
            return
        before = job.state
        _apply_engine_state(job, event.state.value, event.message)
        if job.state == before and job.state not in (QUEUED,):
            self.jobChanged.emit(job)
            return
        if job.state == RUNNING and before != RUNNING:
            job.done_bytes = 0
        if job.finished_state:
            job.finished = time.time()
            job.speed = None
            if job.state == DONE:
                job.done_bytes = job.total_bytes or job.done_bytes
                self._batch_done += 1
            elif job.state == FAILED:
                self._batch_failed += 1
        self.jobChanged.emit(job)
        if job.finished_state:
            self.jobFinished.emit(job)
            self._check_idle()

    def update_engine_progress(self) -> None:
        """Called by the dock's timer: copy the engine's progress numbers onto the jobs."""
        if self.engine is None or not self._by_engine_id:
            return
        for job_id, progress in self.engine.progress.snapshot().items():
            job = self._by_engine_id.get(job_id)
            if job is None or job.state != RUNNING:
                continue
            job.done_bytes = progress.bytes_sent
            job.speed = progress.speed or None
            job.eta_s = progress.eta

    # ------------------------------------------------------------------ adding

    def attach(self, backend, ref: EntityRef, target: str, paths: list[Path]) -> None:
        if self.engine is not None:
            self._enqueue_engine(ref, target, paths, image=False)
            return
        from attache.backends.base import attach_file

        jobs = []
        for path in paths:
            job = self._new(UPLOAD, path.name, target, ref, _size(path), path)

            def run(job=job, path=path):
                return attach_file(backend, ref, path, on_chunk=self._observer(job))

            job._run = run
            jobs.append(job)
        for job in jobs:
            self._enqueue(job)

    def set_image(self, backend, ref: EntityRef, target: str, path: Path) -> None:
        if self.engine is not None:
            self._enqueue_engine(ref, target, [path], image=True)
            return
        job = self._new(IMAGE, path.name, target, ref, _size(path), path)

        def run(job=job):
            backend.set_image(ref, path, on_chunk=self._observer(job))

        job._run = run
        self._enqueue(job)

    def download(self, backend, ref: EntityRef, target: str, file_id: str, name: str, size: int | None,
                 dest: Path) -> Job:
        job = self._new(DOWNLOAD, name, target, ref, size, dest)

        def run(job=job):
            return backend.download_file(ref, file_id, dest, on_chunk=self._observer(job))

        job._run = run
        self._enqueue(job)
        return job

    def _enqueue_engine(self, ref: EntityRef, target: str, paths: list[Path], *, image: bool) -> None:
        from attache.transfers import Slot

        engine, account = self.engine, self.account
        slot = Slot.IMAGE if image else Slot.FILES
        self._pending_enqueues += 1

        def enqueue():  # worker: the journal writes with fsync
            ids = engine.enqueue(account, ref, paths, slot=slot)
            return engine.jobs(ids=ids)

        def added(records) -> None:
            self._pending_enqueues -= 1
            if engine is not self.engine:
                return
            for record in sorted(records, key=lambda r: r.id):
                self._adopt(record, {}, target)

        def refused(error) -> None:
            self._pending_enqueues -= 1
            self.failed.emit(error)

        tasks.run_task(enqueue, added, refused, owner=self, pool="transfers")

    def _new(self, kind, name, target, ref, size, path) -> Job:
        return Job(id=f"ui-{next(self._ids)}", kind=kind, name=name, target=target, ref=ref,
                   total_bytes=size, path=path)

    def _observer(self, job: Job):
        def on_chunk(chunk: bytes) -> None:  # worker thread: numbers only
            if job._cancel.is_set():
                raise CancelledError(f"Cancelled {job.name}")
            job.done_bytes += len(chunk)

        return on_chunk

    def _enqueue(self, job: Job) -> None:
        self._jobs.append(job)
        self._waiting.append(job)
        self.jobAdded.emit(job)
        self._pump()

    # ------------------------------------------------------------------ running (local jobs)

    def _pump(self) -> None:
        while self._waiting and len(self._running) < self.max_parallel:
            job = self._waiting.pop(0)
            if job.state != QUEUED:
                continue
            job.state, job.done_bytes, job.error = RUNNING, 0, ""
            job._cancel.clear()
            self._running.add(job.id)
            self.jobChanged.emit(job)
            tasks.run_task(job._run, lambda result, job=job: self._finish(job, None, result),
                           lambda error, job=job: self._finish(job, error, None), owner=self, pool="transfers")

    def _finish(self, job: Job, error: BaseException | None, result) -> None:
        self._running.discard(job.id)
        job.finished = time.time()
        job.speed = None
        job.result = result
        if error is None:
            job.state = DONE
            if job.total_bytes is not None:
                job.done_bytes = job.total_bytes
            self._batch_done += 1
        elif isinstance(error, CancelledError) or job._cancel.is_set():
            job.state, job.error = CANCELLED, "Cancelled"
        else:
            job.state = FAILED
            job.error = str(error) if isinstance(error, AttacheError) else f"Unexpected error: {error}"
            if not isinstance(error, AttacheError):
                log.error("transfer %s failed", job.name, exc_info=error)
            self._batch_failed += 1
        self.jobChanged.emit(job)
        self.jobFinished.emit(job)
        self._pump()
        self._check_idle()

    def _check_idle(self) -> None:
        if self.active_count() == 0 and not self._pending_enqueues and (self._batch_done or self._batch_failed):
            done, failed = self._batch_done, self._batch_failed
            self._batch_done = self._batch_failed = 0
            self.batchFinished.emit(done, failed)

    # ------------------------------------------------------------------ actions

    def jobs(self) -> list[Job]:
        return list(self._jobs)

    def job(self, job_id: str) -> Job | None:
        return next((j for j in self._jobs if j.id == job_id), None)

    def active_count(self) -> int:
        return sum(1 for j in self._jobs if j.state in ACTIVE_STATES) + self._pending_enqueues

    def cancel(self, job_id: str) -> None:
        job = self.job(job_id)
        if job is None or job.finished_state:
            return
        if job.engine_id is not None:
            self._in_engine(lambda engine: engine.cancel([job.engine_id]))
            return
        job._cancel.set()
        if job.state == QUEUED:
            job.state, job.error, job.finished = CANCELLED, "Cancelled", time.time()
            self.jobChanged.emit(job)
            self.jobFinished.emit(job)
            self._check_idle()

    def cancel_all(self) -> None:
        self._in_engine(lambda engine: engine.cancel())
        for job in list(self._jobs):
            if job.engine_id is None:
                self.cancel(job.id)

    def retry(self, job_id: str) -> None:
        job = self.job(job_id)
        if job is None or not job.retryable:
            return
        if job.engine_id is not None:
            self._in_engine(lambda engine: engine.requeue([job.engine_id]))
            return
        job.state, job.error, job.done_bytes, job.finished = QUEUED, "", 0, None
        self._waiting.append(job)
        self.jobChanged.emit(job)
        self._pump()

    def retry_failed(self) -> int:
        failed = [j for j in self._jobs if j.state == FAILED]
        engine_ids = [j.engine_id for j in failed if j.engine_id is not None]
        if engine_ids:
            self._in_engine(lambda engine: engine.retry_failed(engine_ids))
        for job in failed:
            if job.engine_id is None:
                self.retry(job.id)
        return len(failed)

    def clear_finished(self) -> None:
        finished = [j for j in self._jobs if j.finished_state]
        if not finished:
            return
        engine_ids = [j.engine_id for j in finished if j.engine_id is not None]
        if engine_ids:
            self._in_engine(lambda engine: engine.clear_finished(engine_ids))
        for job in finished:
            if job.engine_id is not None:
                self._by_engine_id.pop(job.engine_id, None)
        self._jobs = [j for j in self._jobs if not j.finished_state]
        self.jobsRemoved.emit()

    def _in_engine(self, change: Callable) -> None:
        """Change the engine's jobs on a worker: each change is a journal write with fsync, which can
        wait behind another process holding the journal's lock. Their events update the rows."""
        engine = self.engine
        if engine is not None:
            tasks.run_task(lambda: change(engine), None, self.failed.emit, owner=self, pool="transfers")

    def shutdown(self) -> None:
        """Stop local jobs (downloads); the engine is shut down by its owner."""
        for job in self._jobs:
            if job.engine_id is None:
                job._cancel.set()
        if self._unsubscribe is not None:
            self._unsubscribe()
            self._unsubscribe = None


def _names(backend, refs) -> dict:
    """Worker: entity names for job labels; what cannot be looked up keeps its id."""
    names = {}
    for ref in refs:
        try:
            names[ref] = backend.get_entity(ref).name
        except Exception:  # noqa: BLE001 — a deleted task still shows its id
            continue
    return names


def _apply_engine_state(job: Job, state: str, message: str) -> None:
    job.state = state
    if state == FAILED:
        job.error = message or "Failed"
        job.note = ""
    elif state == QUEUED:
        job.note = message  # "… (retrying, try 2 of 5)"
        job.error = ""
    elif state == CANCELLED:
        job.error = "Cancelled"
    elif state == INTERRUPTED:
        job.note = "Interrupted; it resumes when the queue runs again"
    else:
        job.error = ""
        if state == RUNNING:
            job.note = ""


def _size(path: Path) -> int | None:
    try:
        return path.stat().st_size
    except OSError:
        return None
