"""Bytes sent, rolling speed and ETA per job and for the whole queue, as plain numbers.

Workers call `add` for every chunk they send; a GUI timer (about 4 times a second) or the
CLI calls `snapshot`/`totals` from another thread. One lock guards everything: taking it
costs far less than sending a chunk, and readers get a consistent picture.
"""

from __future__ import annotations

import threading
import time
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass

# Record at most one speed sample per job this often, so a job's history stays small
# however small the chunks are.
SAMPLE_SPACING = 0.1
MIN_SPAN = 0.25


@dataclass(frozen=True, slots=True)
class JobProgress:
    job_id: int
    bytes_sent: int
    total: int
    speed: float  # bytes per second over the window; 0 when stalled
    eta: float | None  # seconds; None while stalled or unknown

    @property
    def fraction(self) -> float:
        return 1.0 if self.total <= 0 else min(1.0, self.bytes_sent / self.total)


@dataclass(frozen=True, slots=True)
class QueueTotals:
    jobs: int
    finished: int
    bytes_sent: int
    total: int
    speed: float
    eta: float | None

    @property
    def fraction(self) -> float:
        return 1.0 if self.total <= 0 else min(1.0, self.bytes_sent / self.total)


class _Track:
    __slots__ = ("finished", "last_byte_at", "samples", "sent", "total")

    def __init__(self, total: int, now: float, start: int = 0) -> None:
        self.total = total
        self.sent = start
        self.finished = False
        self.last_byte_at: float | None = None
        self.samples: deque[tuple[float, int]] = deque([(now, start)])


class ProgressBoard:
    def __init__(
        self, *, window: float = 5.0, stall_after: float = 2.0, clock: Callable[[], float] = time.monotonic
    ) -> None:
        self.window = window
        self.stall_after = stall_after
        self._clock = clock
        self._lock = threading.Lock()
        self._tracks: dict[int, _Track] = {}

    def track(self, job_id: int, total: int) -> None:
        """Count a job in (again, if it was known): nothing sent yet."""
        with self._lock:
            self._tracks[job_id] = _Track(total, self._clock())

    def restart(self, job_id: int, total: int | None = None, *, start: int = 0) -> None:
        """A new pass over the file begins, with `start` bytes already on the server (a resumed
        upload; 0 when it is sent again from the beginning)."""
        with self._lock:
            old = self._tracks.get(job_id)
            total = total if total is not None else (old.total if old else 0)
            self._tracks[job_id] = _Track(total, self._clock(), start)

    def advance_to(self, job_id: int, held: int) -> None:
        """At least `held` bytes are on the server (learnt, not sent now): move the count up
        without making it look like speed."""
        with self._lock:
            track = self._tracks.get(job_id)
            if track is None or track.sent >= held:
                return
            shift = held - track.sent
            track.sent = held
            track.samples = deque((t, sent + shift) for t, sent in track.samples)

    def add(self, job_id: int, n: int) -> None:
        now = self._clock()
        with self._lock:
            track = self._tracks.get(job_id)
            if track is None:
                return
            track.sent += n
            track.last_byte_at = now
            if now - track.samples[-1][0] >= SAMPLE_SPACING:
                track.samples.append((now, track.sent))
                horizon = now - self.window
                # Keep one sample at or before the window's start, so the span covers it.
                while len(track.samples) > 2 and track.samples[1][0] <= horizon:
                    track.samples.popleft()

    def finish(self, job_id: int, *, done: bool) -> None:
        """A job ended: done counts as fully sent; failed or cancelled leave the totals."""
        with self._lock:
            if done:
                track = self._tracks.get(job_id)
                if track is not None:
                    track.sent = track.total
                    track.finished = True
            else:
                self._tracks.pop(job_id, None)

    def forget(self, job_id: int) -> None:
        with self._lock:
            self._tracks.pop(job_id, None)

    def get(self, job_id: int) -> JobProgress | None:
        now = self._clock()
        with self._lock:
            track = self._tracks.get(job_id)
            return None if track is None else self._progress(job_id, track, now)

    def snapshot(self) -> dict[int, JobProgress]:
        now = self._clock()
        with self._lock:
            return {job_id: self._progress(job_id, track, now) for job_id, track in self._tracks.items()}

    def totals(self) -> QueueTotals:
        now = self._clock()
        with self._lock:
            sent = total = finished = 0
            speed = 0.0
            for track in self._tracks.values():
                sent += track.sent
                total += track.total
                finished += track.finished
                if not track.finished:
                    speed += self._speed(track, now)
            remaining = max(0, total - sent)
            eta = None if speed <= 0 else remaining / speed
            if remaining == 0:
                eta = 0.0
            return QueueTotals(len(self._tracks), finished, sent, total, speed, eta)

    def _progress(self, job_id: int, track: _Track, now: float) -> JobProgress:
        speed = 0.0 if track.finished else self._speed(track, now)
        remaining = max(0, track.total - track.sent)
        if remaining == 0:
            eta: float | None = 0.0
        else:
            eta = remaining / speed if speed > 0 else None
        return JobProgress(job_id, track.sent, track.total, speed, eta)

    def _speed(self, track: _Track, now: float) -> float:
        if track.last_byte_at is None or now - track.last_byte_at > self.stall_after:
            return 0.0
        horizon = now - self.window
        start_t, start_sent = track.samples[0]
        for t, sent in track.samples:
            if t > horizon:
                break
            start_t, start_sent = t, sent
        span = now - start_t
        # Too short a span says nothing yet (one big first chunk would read as GB/s).
        return (track.sent - start_sent) / span if span >= MIN_SPAN else 0.0
