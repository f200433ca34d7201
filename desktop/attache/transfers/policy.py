"""When to try a failed step again, and when to give up."""

from __future__ import annotations

import random
from collections.abc import Callable
from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class RetryPolicy:
    """Jittered exponential back-off that never comes sooner than the server asked.

    `max_tries` counts transient failures in a row without progress: a job that keeps
    moving (begun, then sent, then linked) is not punished for a fault at each step, and
    one that cannot get past a step gives up after that many tries. `max_runs` bounds the
    total, so nothing can loop forever (an upload URL expiring every time, say).
    """

    max_tries: int = 8
    max_runs: int = 40
    base_delay: float = 1.0
    max_delay: float = 60.0
    # A server asking for more than this is treated as asking for this: an hour is
    # already longer than anyone waits in front of a progress bar.
    max_retry_after: float = 3600.0

    def delay(
        self, failures: int, retry_after: float | None = None, rand: Callable[[], float] = random.random
    ) -> float:
        """Seconds to wait before try number `failures + 1`."""
        backoff = min(self.max_delay, self.base_delay * 2 ** max(0, failures - 1))
        # "Equal jitter": at least half the back-off, so retries spread out but never bunch at zero.
        jittered = backoff / 2 + rand() * backoff / 2
        if retry_after is not None and retry_after > 0:
            return float(max(jittered, min(retry_after, self.max_retry_after)))
        return float(jittered)
