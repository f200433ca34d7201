"""The window's view of transfers: one queue of rows (uploads, image changes, downloads).

Uploads, image changes and downloads all go through the durable engine
(`attache.transfers.TransferEngine`): they are journaled (on a worker: a journal write waits for
fsync), retried, resumed after a restart (a download from the bytes its `.part` file kept), and the
queue shows them again next time. The dock sees one list of `TransferRow`s whose numbers the
engine's ProgressBoard updates and whose states change on the GUI thread. A download's row exists
at once (the window waits on it to open or drop the file) and is tied to its job once journaled.

Engine events reach the GUI thread the way task results do, through the one relay of `ui.tasks`.
An event can come before `engine.enqueue()` has returned; the rows of an enqueue are read from the
journal and posted under the lock that every event is posted under, so an event posted first is
already in what was read, and one posted later is delivered after the rows exist.
"""

from __future__ import annotations

import itertools
import logging
import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING

from PySide6.QtCore import QObject, Signal

from attache.core.capabilities import Capability
from attache.core.errors import AttacheError
from attache.core.models import EntityRef
from attache.transfers import JobState, Slot
from attache.ui import tasks
from attache.ui.transfer_rows import ACTIVE_STATES, DOWNLOAD, IMAGE, UPLOAD, TransferRow

if TYPE_CHECKING:
    from attache.transfers import Job, JobEvent

log = logging.getLogger(__name__)


class TransferQueue(QObject):
    """Runs transfers; tells the window when each one and each batch finishes."""

    jobAdded = Signal(object)  # TransferRow
    jobChanged = Signal(object)  # TransferRow: state changed
    jobFinished = Signal(object)  # TransferRow: done, failed or cancelled
    batchFinished = Signal(int, int)  # done, failed: the queue has become idle
    jobsRemoved = Signal()
    failed = Signal(object)  # an error before any row existed (e.g. the engine refused a file)
    pausedChanged = Signal(bool)

    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._jobs: list[TransferRow] = []
        self._by_engine_id: dict[int, TransferRow] = {}
        self._ids = itertools.count(1)
        self._batch_done = 0
        self._batch_failed = 0
        self._pending_enqueues = 0
        self.engine = None
        self.account = None
        self._backend = None  # the session's backend: which kinds resume an upload
        self._unsubscribe: Callable[[], None] | None = None
        self._order = threading.Lock()  # see the module's docstring

    # ------------------------------------------------------------------ engine

    def set_engine(self, engine, account, *, backend=None) -> None:
        """Send uploads through `engine` for `account` (an AccountRef); show the journal's jobs.

        Jobs from an earlier session name their target by id only; with `backend`, their
        names are looked up on a worker and the labels updated.
        """
        self.detach_engine()
        self.engine, self.account, self._backend = engine, account, backend
        if engine is None:
            return
        self._unsubscribe = engine.subscribe(self._post_event)
        with self._order:
            existing = engine.jobs()
        for record in existing:
            self._adopt(record)
        # an engine that already ran (another account's, on the same queue) may be paused
        held = engine.held_jobs()
        unfinished = [j for j in self._by_engine_id.values() if not j.finished_state]
        if engine.paused or held:
            self._mark_paused([j for j in unfinished if engine.paused or j.engine_id in held], True)
        refs = list(dict.fromkeys(r.target for r in existing if r.account == account))[:100]
        if refs and backend is not None:
            tasks.run_task(lambda: _names(backend, refs), self._relabel, lambda error: None, owner=self)

    def _post_event(self, event: JobEvent) -> None:  # the engine's threads
        with self._order:
            tasks.post(lambda: self._on_engine_event(event), owner=self)

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
        """Pause: no new upload starts and running ones stop where they are; Resume goes on from
        what the server holds (or from the beginning where the service cannot resume)."""
        if self.engine is None or paused == self.engine.paused:
            return
        self.show_paused(paused)
        if paused:
            self.engine.pause(interrupt_running=True)
        else:
            self.engine.resume()
        self.pausedChanged.emit(paused)

    def show_paused(self, paused: bool) -> None:
        """Mark every unfinished upload as paused by the user (or no longer), e.g. when the queue
        starts paused because the user wants to review it first."""
        self._mark_paused([j for j in self._by_engine_id.values() if not j.finished_state], paused)

    def pause_jobs(self, job_ids: list[str]) -> None:
        """Pause these uploads one by one (the rest of the queue goes on)."""
        rows = [j for i in job_ids if (j := self.job(i)) is not None and j.pausable]
        if self.engine is None or not rows:
            return
        self._mark_paused(rows, True)
        self.engine.pause_jobs([j.engine_id for j in rows])

    def resume_jobs(self, job_ids: list[str]) -> None:
        rows = [j for i in job_ids if (j := self.job(i)) is not None and j.paused]
        if self.engine is None or not rows:
            return
        self._mark_paused(rows, False)
        if self.engine.paused:  # they were paused with the whole queue: let just these go
            held = [j.engine_id for j in self._by_engine_id.values() if j.paused and not j.finished_state]
            self.engine.resume(keep_held=held)
            self.pausedChanged.emit(False)
        else:
            self.engine.resume_jobs([j.engine_id for j in rows])

    def _mark_paused(self, rows: list[TransferRow], paused: bool) -> None:
        for row in rows:
            row.paused = paused
            if row.state is JobState.INTERRUPTED:
                row.apply(row.state, "")  # its note says paused, or interrupted
            self.jobChanged.emit(row)

    def detach_engine(self) -> None:
        if self._unsubscribe is not None:
            self._unsubscribe()
            self._unsubscribe = None
        if self._by_engine_id:
            self._jobs = [j for j in self._jobs if j.engine_id is None]
            self._by_engine_id.clear()
            self.jobsRemoved.emit()
        self.engine = None

    def _adopt(self, record: Job, target: str | None = None, row: TransferRow | None = None) -> TransferRow:
        """A row mirroring an engine job (from the journal or just enqueued); `row`: a download's
        row made before its job was journaled, tied to it now."""
        job = self._by_engine_id.get(record.id)
        if job is not None:
            return job
        ref = record.target
        label = target or f"{ref.kind.singular.capitalize()} {ref.id}"
        kind = DOWNLOAD if record.is_download else IMAGE if record.slot is Slot.IMAGE else UPLOAD
        job = row or TransferRow(
            id=f"e{record.id}",
            kind=kind,
            name=record.name,
            target=label,
            ref=ref,
            total_bytes=record.size or None,
            path=record.saved_path or record.source,
            account=record.account.account,
            created=record.created_at or time.time(),
            new_version=record.replaces is not None,
        )
        job.engine_id = record.id
        # An image is sent whole; a download goes on from its .part where the server allows it.
        job.resumable = record.is_download or (record.slot is Slot.FILES and self._resumes(ref))
        if job.kind is DOWNLOAD and record.state is JobState.DONE:
            job.result = job.path = record.saved_path or job.path
        if not job._cancel.is_set():  # cancelled before it was journaled: the engine says so soon
            job.apply(record.state, record.last_error)
        # What the server held (or a download's .part) when the journal last heard.
        job.done_bytes = record.size if job.state is JobState.DONE else record.bytes_sent
        self._by_engine_id[record.id] = job
        if row is None:
            self._jobs.append(job)
            self.jobAdded.emit(job)
        else:
            self.jobChanged.emit(job)
        return job

    def _on_engine_event(self, event: JobEvent) -> None:
        job = self._by_engine_id.get(event.job_id)
        if job is None:  # another queue's job, or one whose rows are read after this event (see above)
            return
        before = job.state
        job.apply(event.state, event.message)
        if event.saved is not None:  # a download's file, under the name it got ("name (2)")
            job.result = job.path = event.saved
        # Where it stopped, even if it stopped between two of the dock's ticks.
        progress = self.engine.progress.get(event.job_id) if self.engine is not None else None
        if job.state is JobState.INTERRUPTED and progress is not None:
            job.done_bytes = progress.bytes_sent
        if job.state is before and job.state is not JobState.QUEUED:
            self.jobChanged.emit(job)
            return
        # A resumed upload's bar keeps its place: the engine's count goes on from what the server
        # holds (and falls back to 0 only where the upload starts again).
        if job.finished_state:
            job.finished = time.time()
            job.speed = None
            if job.state is JobState.DONE:
                job.done_bytes = job.total_bytes or job.done_bytes
                self._batch_done += 1
            elif job.state is JobState.FAILED:
                self._batch_failed += 1
        self.jobChanged.emit(job)
        if job.finished_state:
            self.jobFinished.emit(job)
            self._check_idle()

    def update_engine_progress(self) -> None:
        """Called by the dock's timer: copy the engine's progress numbers onto the rows."""
        if self.engine is None or not self._by_engine_id:
            return
        for job_id, progress in self.engine.progress.snapshot().items():
            job = self._by_engine_id.get(job_id)
            if job is None or job.state is not JobState.RUNNING:
                continue
            job.done_bytes = progress.bytes_sent
            job.speed = progress.speed or None
            job.eta_s = progress.eta

    # ------------------------------------------------------------------ adding

    def attach(
        self, ref: EntityRef, target: str, paths: list[Path], *, replaces: list[str | None] | None = None
    ) -> None:
        """Upload files to an entity, through the engine; `replaces[i]`: the file the i-th one
        becomes a new version of (None: a file of its own)."""
        self._enqueue_engine(ref, target, paths, slot=Slot.FILES, replaces=replaces)

    def set_image(self, ref: EntityRef, target: str, path: Path) -> None:
        """Make a file the entity's picture, through the engine."""
        self._enqueue_engine(ref, target, [path], slot=Slot.IMAGE)

    def _enqueue_engine(
        self, ref: EntityRef, target: str, paths: list[Path], *, slot: Slot, replaces: list[str | None] | None = None
    ) -> None:
        engine, account = self.engine, self.account
        if engine is None:
            self.failed.emit(AttacheError("Not connected: nothing was uploaded"))
            return
        self._pending_enqueues += 1

        def added(records) -> None:
            self._pending_enqueues -= 1
            if engine is not self.engine:
                return
            for record in sorted(records, key=lambda r: r.id):
                self._adopt(record, target)

        def enqueue() -> None:  # worker: the journal writes with fsync
            ids = engine.enqueue(account, ref, paths, slot=slot, replaces=replaces)
            with self._order:
                records = engine.jobs(ids=ids)
                tasks.post(lambda: added(records), owner=self)

        def refused(error) -> None:
            self._pending_enqueues -= 1
            self.failed.emit(error)

        tasks.run_task(enqueue, None, refused, owner=self, pool="transfers")

    def download(
        self,
        ref: EntityRef,
        target: str,
        file_id: str,
        name: str,
        size: int | None,
        dest: Path,
        *,
        replace: bool = False,
    ) -> TransferRow:
        """Download into `dest`, through the engine; a file already there is kept (the new one
        numbered) unless `replace`. The row is returned at once; its job is journaled on a worker."""
        job = TransferRow(
            id=f"d{next(self._ids)}", kind=DOWNLOAD, name=name, target=target, ref=ref, total_bytes=size, path=dest
        )
        job.account = self.account.account if self.account is not None else ""
        self._jobs.append(job)
        self.jobAdded.emit(job)

        def submit() -> None:
            engine, account = self.engine, self.account
            if engine is None:
                self._refused(job, AttacheError("Not connected: nothing was downloaded"))
                return

            def added(records: list[Job]) -> None:  # the row, queued meanwhile, counts as active
                if engine is not self.engine:  # the account closed meanwhile: the next one lists it
                    self._jobs = [j for j in self._jobs if j is not job]
                    self.jobsRemoved.emit()
                    return
                self._adopt(records[0], target, row=job)
                if job._cancel.is_set():
                    self._in_engine(lambda engine: engine.cancel([records[0].id]))

            def enqueue() -> None:  # worker: the journal writes with fsync
                job_id = engine.enqueue_download(account, ref, file_id, name, size, dest, replace=replace)
                with self._order:
                    records = engine.jobs(ids=[job_id])
                    tasks.post(lambda: added(records), owner=self)

            tasks.run_task(enqueue, None, lambda error: self._refused(job, error), owner=self, pool="transfers")

        job._run = submit
        submit()
        return job

    def _refused(self, job: TransferRow, error: BaseException) -> None:
        """A download the engine would not journal (not connected, no such folder)."""
        message = str(error) if isinstance(error, AttacheError) else f"Unexpected error: {error}"
        if not isinstance(error, AttacheError):
            log.error("queueing the download of %s failed", job.name, exc_info=error)
        job.apply(JobState.FAILED, message)
        job.finished = time.time()
        self._batch_failed += 1
        self.jobChanged.emit(job)
        self.jobFinished.emit(job)
        self._check_idle()

    def _check_idle(self) -> None:
        if self.active_count() == 0 and not self._pending_enqueues and (self._batch_done or self._batch_failed):
            done, failed = self._batch_done, self._batch_failed
            self._batch_done = self._batch_failed = 0
            self.batchFinished.emit(done, failed)

    # ------------------------------------------------------------------ actions

    def jobs(self) -> list[TransferRow]:
        return list(self._jobs)

    def job(self, job_id: str) -> TransferRow | None:
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
        # A download not journaled yet: cancelled in the engine as soon as it is.
        job._cancel.set()
        job.apply(JobState.CANCELLED, "")
        job.finished = time.time()
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
        if callable(job._run):  # a download the engine refused (or never got): ask it again
            job._cancel.clear()
            job.apply(JobState.QUEUED, "")
            job.finished = None
            self.jobChanged.emit(job)
            job._run()

    def retry_failed(self) -> int:
        failed = [j for j in self._jobs if j.state is JobState.FAILED]
        engine_ids = [j.engine_id for j in failed if j.engine_id is not None]
        if engine_ids:
            self._in_engine(lambda engine: engine.retry_failed(engine_ids))
        for job in failed:
            if job.engine_id is None:
                self.retry(job.id)
        return len(failed)

    def clear_finished(self, job_ids: list[str] | None = None) -> None:
        """Remove finished transfers from the list (only these, when `job_ids` says which)."""
        finished = [j for j in self._jobs if j.finished_state and (job_ids is None or j.id in job_ids)]
        if not finished:
            return
        engine_ids = [j.engine_id for j in finished if j.engine_id is not None]
        if engine_ids:
            self._in_engine(lambda engine: engine.clear_finished(engine_ids))
        for job in finished:
            if job.engine_id is not None:
                self._by_engine_id.pop(job.engine_id, None)
        gone = {j.id for j in finished}
        self._jobs = [j for j in self._jobs if j.id not in gone]
        self.jobsRemoved.emit()

    def _resumes(self, ref: EntityRef) -> bool:
        backend = self._backend
        return backend is None or Capability.RESUME_UPLOADS in backend.capabilities(ref.kind)

    def _in_engine(self, change: Callable) -> None:
        """Change the engine's jobs on a worker: each change is a journal write with fsync, which can
        wait behind another process holding the journal's lock. Their events update the rows."""
        engine = self.engine
        if engine is not None:
            tasks.run_task(lambda: change(engine), None, self.failed.emit, owner=self, pool="transfers")

    def shutdown(self) -> None:
        """Stop listening; the engine (and so every transfer) is shut down by its owner."""
        if self._unsubscribe is not None:
            self._unsubscribe()
            self._unsubscribe = None


def _names(backend, refs) -> dict:
    """Worker: entity names for row labels; what cannot be looked up keeps its id."""
    names = {}
    for ref in refs:
        try:
            names[ref] = backend.get_entity(ref).name
        except Exception:  # noqa: BLE001 — a deleted task still shows its id
            continue
    return names
