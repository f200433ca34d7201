"""What the headless commands need from the engine, in one call each.

`attache upload` → `upload`; `attache queue` → `format_queue` (uploads and the window's
downloads); `attache queue --run` → `run_queue`; `--retry-failed`, `--retry ID`, `--cancel ID`,
`--clear-finished` → the functions below.
Each returns plain data; the CLI prints and chooses the exit status.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterable, Sequence
from pathlib import Path

from attache.backends.base import Backend
from attache.core.accounts import AccountRef
from attache.core.errors import InvalidInputError
from attache.core.models import EntityRef
from attache.core.sources import human_size
from attache.core.text import printable
from attache.transfers import runners
from attache.transfers.engine import TransferEngine, remove_part
from attache.transfers.events import JobEvent
from attache.transfers.journal import Job, Journal
from attache.transfers.progress import ProgressBoard
from attache.transfers.states import JobState, Slot
from attache.transfers.throttle import Throttle

BackendFor = Callable[[AccountRef], Backend]


def upload(
    journal: Journal,
    backend_for: BackendFor,
    account: AccountRef,
    target: EntityRef,
    sources: Sequence[Path | str],
    *,
    slot: Slot = Slot.FILES,
    workers: int = 4,
    on_event: Callable[[JobEvent], None] | None = None,
    progress: ProgressBoard | None = None,
    limit: float | None = None,
    replaces: Sequence[str | None] | None = None,
) -> list[Job]:
    """Queue the files and return when each is done, failed or cancelled (`replaces`: the files
    they become new versions of, one to one, as `TransferEngine.enqueue` takes them).

    Only these jobs run: what another session left in the journal waits for `queue --run`.
    On Ctrl+C the running uploads are marked interrupted (resumable) before the exception
    goes on.
    """
    engine = TransferEngine(
        journal, backend_for, workers=workers, only_own_jobs=True, progress=progress, throttle=Throttle(limit)
    )
    if on_event is not None:
        engine.subscribe(on_event)
    ids = engine.enqueue(account, target, sources, slot=slot, replaces=replaces)
    with engine:
        engine.wait(ids)
    return journal.jobs(ids=ids)


def run_queue(
    journal: Journal,
    backend_for: BackendFor,
    *,
    workers: int = 4,
    on_event: Callable[[JobEvent], None] | None = None,
    limit: float | None = None,
) -> list[Job]:
    """Process every queued and interrupted job (uploads and downloads) until none is left; return
    the jobs it ran. `limit`: bytes per second for all uploads together (None: no limit)."""
    engine = TransferEngine(journal, backend_for, workers=workers, throttle=Throttle(limit))
    touched: set[int] = set()
    engine.subscribe(lambda event: touched.add(event.job_id))
    if on_event is not None:
        engine.subscribe(on_event)
    with engine:
        engine.wait_idle()
    return journal.jobs(ids=touched)


def any_failed(jobs: Iterable[Job]) -> bool:
    """For the exit status: 1 when any job failed."""
    return any(job.state is JobState.FAILED for job in jobs)


def retry_failed(journal: Journal, ids: Iterable[int] | None = None) -> list[int]:
    return journal.retry_failed(ids)


def retry(journal: Journal, job_id: int) -> Job:
    """Queue one failed or cancelled job again. Raises InvalidInputError for any other."""
    job = journal.get(job_id)
    if job is None:
        raise InvalidInputError(f"There is no transfer job {job_id}.")
    if job.state not in (JobState.FAILED, JobState.CANCELLED):
        raise InvalidInputError(f"Job {job_id} is {job.state.value}; only failed or cancelled jobs can be retried.")
    journal.requeue([job_id])
    return journal.get(job_id)  # type: ignore[return-value]


def cancel(journal: Journal, job_id: int) -> Job:
    """Cancel a job that is waiting. Raises InvalidInputError for unknown or running jobs."""
    journal.recover_orphans(runners.is_live)  # "running" in a process that crashed is not running
    job = journal.get(job_id)
    if job is None:
        raise InvalidInputError(f"There is no transfer job {job_id}.")
    if job.state is JobState.RUNNING:
        raise InvalidInputError(f"Job {job_id} is running in another Attaché; cancel it there.")
    if job.finished:
        raise InvalidInputError(f"Job {job_id} is already {job.state.value}.")
    journal.cancel_waiting([job_id])
    cancelled = journal.get(job_id)
    if cancelled is not None and cancelled.state is JobState.CANCELLED:
        remove_part(cancelled)  # a download's .part: nothing will resume from it
    return cancelled  # type: ignore[return-value]


def clear_finished(journal: Journal) -> int:
    ended = journal.jobs((JobState.FAILED, JobState.CANCELLED))
    cleared = set(journal.clear_finished())
    for job in ended:
        if job.id in cleared:
            remove_part(job)
    return len(cleared)


# ---- showing the queue ----

QUEUE_HEADER = f"{'ID':>5}  {'STATE':<11}  {'STEP':<7}  {'SIZE':>9}  {'TRIES':>5}  {'TARGET':<24}  FILE"


def format_queue(jobs: Sequence[Job]) -> str:
    """The journal as a table, one job a line, errors indented beneath their job."""
    if not jobs:
        return "The transfer queue is empty."
    lines = [QUEUE_HEADER]
    for job in jobs:
        lines.append(format_job(job))
        if job.state is JobState.QUEUED and (wait := wait_seconds(job)):
            lines.append(f"{'':>7}waiting {wait:.0f} s before trying again")
        if job.last_error and job.state is not JobState.DONE:
            lines.append(f"{'':>7}{printable(job.last_error)}")  # it may quote the server
    return "\n".join(lines)


def format_job(job: Job) -> str:
    """One job: an upload's FILE is the file it sends; a download's (its TARGET says "download")
    is where it goes, and once done where it was saved ("name (2)" when a file was there)."""
    target = f"{job.account.account}/{job.target.kind.value} {job.target.id}"
    if job.is_download:
        target += f" file {job.remote_id} (download)"
    elif job.slot is Slot.IMAGE:
        target += " (image)"
    local = (job.saved_path or job.source) if job.is_download else job.source
    return (
        f"{job.id:>5}  {job.state.value:<11}  {job.step.value:<7}  {human_size(job.size):>9}  {job.attempts:>5}  "
        f"{printable(target):<24}  {printable(local)}"
    )


def wait_seconds(job: Job) -> float | None:
    """Seconds until a job waiting out a back-off may run again."""
    return None if job.retry_at is None else max(0.0, job.retry_at - time.time())
