"""One row of the Transfers dock (`TransferRow`): an engine job (upload, image or download) mirrored
on the GUI thread; a download's row exists a moment before its job is journaled.

States are the engine's own `JobState`, for downloads too: one set of names for the dock, the
journal and the CLI.
"""

from __future__ import annotations

import threading
import time
from dataclasses import dataclass, field
from enum import StrEnum
from pathlib import Path

from attache.core.models import EntityRef
from attache.transfers import JobState

FINISHED_STATES = (JobState.DONE, JobState.FAILED, JobState.CANCELLED)
ACTIVE_STATES = (JobState.QUEUED, JobState.RUNNING, JobState.INTERRUPTED)


class TransferKind(StrEnum):
    UPLOAD = "upload"
    IMAGE = "image"
    DOWNLOAD = "download"


UPLOAD, IMAGE, DOWNLOAD = TransferKind.UPLOAD, TransferKind.IMAGE, TransferKind.DOWNLOAD


@dataclass(eq=False)
class TransferRow:
    """One transfer, as the dock shows it; only the GUI thread writes it."""

    id: str
    kind: TransferKind
    name: str  # the file's name
    target: str  # "Task “Write the brief”"
    ref: EntityRef
    total_bytes: int | None
    path: Path | None = None
    account: str = ""  # the account's name, for the panel's Account column
    state: JobState = JobState.QUEUED
    done_bytes: int = 0
    error: str = ""
    note: str = ""  # e.g. "retrying in a moment: …"
    created: float = field(default_factory=time.time)
    finished: float | None = None
    engine_id: int | None = None
    paused: bool = False  # the user paused it (one by one, or all): it waits for Resume
    resumable: bool = True  # an interrupted upload resumes (Capability.RESUME_UPLOADS); a download does
    new_version: bool = False  # an upload that becomes a new version of the file of its name
    speed: float | None = None
    eta_s: float | None = None
    result: object = field(default=None, repr=False)
    _samples: list[tuple[float, int]] = field(default_factory=list, repr=False)
    _cancel: threading.Event = field(default_factory=threading.Event, repr=False)  # before it is journaled
    _run: object = field(default=None, repr=False)  # a download's submission to the engine, for Retry

    @property
    def finished_state(self) -> bool:
        return self.state in FINISHED_STATES

    @property
    def shows_paused(self) -> bool:
        """Waiting because the user paused it, not because something went wrong."""
        return self.paused and self.state in (JobState.QUEUED, JobState.INTERRUPTED)

    @property
    def pausable(self) -> bool:
        return self.engine_id is not None and not self.paused and self.state in ACTIVE_STATES

    def paused_note(self) -> str:
        if self.resumable:
            return "Paused; it goes on from where it stopped when you resume it"
        return "Paused; this service cannot resume an upload, so it starts again from the beginning"

    @property
    def retryable(self) -> bool:
        return self.state in (JobState.FAILED, JobState.CANCELLED)

    @property
    def fraction(self) -> float | None:
        if self.state is JobState.DONE:
            return 1.0
        if not self.total_bytes:
            return None
        return min(1.0, self.done_bytes / self.total_bytes)

    @property
    def eta(self) -> float | None:
        if self.state is not JobState.RUNNING:
            return None
        if self.eta_s is not None:
            return self.eta_s
        if not self.speed or not self.total_bytes:
            return None
        return max(0.0, (self.total_bytes - self.done_bytes) / self.speed)

    def sample(self, now: float, window: float = 5.0) -> None:
        """Work out a rolling speed from done_bytes (None when stalled or unknown)."""
        if self.state is not JobState.RUNNING:
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

    def apply(self, state: JobState, message: str) -> None:
        """Take on an engine job's state and what the engine said about it."""
        self.state = state
        if state is JobState.FAILED:
            self.error = message or "Failed"
            self.note = ""
        elif state is JobState.QUEUED:
            self.note = message  # "… (retrying, try 2 of 5)"
            self.error = ""
        elif state is JobState.CANCELLED:
            self.error = "Cancelled"
        elif state is JobState.INTERRUPTED:
            if self.paused:
                self.note = self.paused_note()
            elif self.resumable:
                self.note = "Interrupted; it goes on from where it stopped when the queue runs again"
            else:
                self.note = "Interrupted; it starts again from the beginning when the queue runs again"
        else:
            self.error = ""
            if state is JobState.RUNNING:
                self.note = ""
                self.paused = False
        if state in FINISHED_STATES:
            self.paused = False
