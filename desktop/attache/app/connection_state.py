"""What the window says about its connection: connecting, connected, offline (retrying in N s),
signed out — decided from what requests actually answered, never assumed.

A plain state machine with an injectable clock, so the window's status bar and its tests read
the same rules: a transient failure (network, 502/503/504, 429) means offline and a retry after a
growing pause; a refused sign-in means signed out (no retry can help); any other failure says
nothing about the connection and leaves the state as it was.
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from enum import Enum

from attache.core.errors import AttacheError, AuthenticationError

RETRY_DELAYS_S: tuple[float, ...] = (5, 10, 20, 40, 60)  # then every minute


class Phase(Enum):
    IDLE = "idle"  # no account open
    CONNECTING = "connecting"
    CONNECTED = "connected"
    OFFLINE = "offline"
    SIGNED_OUT = "signed out"


@dataclass(frozen=True, slots=True)
class Status:
    phase: Phase
    reason: str = ""  # the failure's one line, for the tooltip
    retry_at: float | None = None  # clock time of the next attempt (OFFLINE only)
    failures: int = 0  # transient failures in a row


class ConnectionState:
    def __init__(self, *, clock: Callable[[], float] = time.monotonic, delays: Sequence[float] | None = None) -> None:
        self._clock = clock
        self._delays = tuple(RETRY_DELAYS_S if delays is None else delays)
        self.status = Status(Phase.IDLE)

    @property
    def phase(self) -> Phase:
        return self.status.phase

    def idle(self) -> None:
        self.status = Status(Phase.IDLE)

    def connecting(self) -> None:
        """An attempt is under way; the failures counted so far still set the next pause."""
        self.status = Status(Phase.CONNECTING, failures=self.status.failures)

    def connected(self) -> None:
        self.status = Status(Phase.CONNECTED)

    def failed(self, error: BaseException) -> bool:
        """A request failed: returns True when that changed what the connection is."""
        if isinstance(error, AuthenticationError):
            self.status = Status(Phase.SIGNED_OUT, reason=str(error))
            return True
        if self.status.phase is Phase.SIGNED_OUT:
            return False
        if not (isinstance(error, AttacheError) and error.transient):
            # a missing task or a refused file: the service answered, so it is there
            if self.status.phase in (Phase.OFFLINE, Phase.CONNECTING):
                self.status = Status(Phase.CONNECTED)
                return True
            return False
        if self.status.phase is Phase.OFFLINE:
            return False  # more requests of the same outage: the countdown goes on as it was
        failures = self.status.failures + 1
        delay = self._delays[min(failures, len(self._delays)) - 1] if self._delays else 0.0
        self.status = Status(Phase.OFFLINE, reason=str(error), retry_at=self._clock() + delay, failures=failures)
        return True

    def seconds_left(self) -> int:
        """Whole seconds until the next attempt, rounded up (what a countdown shows)."""
        if self.status.retry_at is None:
            return 0
        return max(0, math.ceil(self.status.retry_at - self._clock()))

    def retry_due(self) -> bool:
        return self.status.phase is Phase.OFFLINE and self.seconds_left() == 0

    def describe(self, name: str) -> str:
        """The status bar's words, e.g. "Offline — retrying in 8 s"."""
        phase = self.status.phase
        if phase is Phase.CONNECTING:
            return f"Reconnecting to {name}…" if self.status.failures else f"Connecting to {name}…"
        if phase is Phase.CONNECTED:
            return f"Connected to {name}"
        if phase is Phase.OFFLINE:
            left = self.seconds_left()
            return f"{name} is offline — retrying in {left} s" if left else f"{name} is offline — retrying…"
        if phase is Phase.SIGNED_OUT:
            return f"Signed out of {name}"
        return ""
