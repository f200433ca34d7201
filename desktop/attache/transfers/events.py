"""A thread-safe hook for "job N is now in state S", so a window or a CLI can refresh.

Listeners run on whichever thread changed the job (usually a worker): they must be quick
and must not touch widgets; a GUI listener marks the row dirty or posts to its own thread.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from attache.transfers.states import JobState, Step

log = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True)
class JobEvent:
    job_id: int
    state: JobState
    step: Step | None = None
    message: str = ""  # the error for failed jobs, the retry reason for queued ones
    saved: Path | None = None  # where a done download was saved (its destination, or "name (2)")


Listener = Callable[[JobEvent], None]


class Listeners:
    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._listeners: tuple[Listener, ...] = ()

    def subscribe(self, listener: Listener) -> Callable[[], None]:
        """Add a listener; call the returned function to remove it."""
        with self._lock:
            self._listeners += (listener,)

        def unsubscribe() -> None:
            with self._lock:
                self._listeners = tuple(item for item in self._listeners if item is not listener)

        return unsubscribe

    def emit(self, event: JobEvent) -> None:
        for listener in self._listeners:  # a tuple snapshot: (un)subscribing never races a loop
            try:
                listener(event)
            except Exception:
                # A broken listener must not break an upload.
                log.exception("transfer listener %r failed on %s", listener, event)
