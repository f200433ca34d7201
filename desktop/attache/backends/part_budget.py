"""The bytes of files in flight, shared by every upload in the process.

A part sent side by side with others (awork's blocks) is read whole before it goes out and kept
until its answer, so a retry can send it again. Unbounded, eight uploads with four 8 MiB blocks
each would hold 256 MiB. Instead every upload takes its parts' size from one budget here
(`PART_BUDGET`, four 8 MiB blocks) before reading them: an upload that finds the budget taken
waits for a part of another upload to be answered, so eight uploads at once send four parts
between them, as one large file does alone. The parts go out on one pool of sending threads for
the process (`part_senders`), as many as the budget's parts: more threads would only wait, and
each one more that wants the GIL is one more the window's thread waits behind.

A part's bytes are `bytes` chunks read straight from the file, not views of a reused buffer:
httpx's HTTP/1.1 layer (h11) joins each chunk it sends into one `bytes`, which passes a `bytes`
through as it is but copies a view, with the GIL held (0.2 ms per MiB, 15% of the client's CPU
for a large upload, and a wait for the window's thread each time); and `read(n)` fills a new
`bytes` inside the read call, without the GIL.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from functools import cache

from attache.core import priorities

MiB = 1024 * 1024
PART_BUDGET = 32 * MiB
SENDERS = 4  # the budget's parts of 8 MiB
_POLL_SECONDS = 0.1  # how often a waiting upload checks whether it is still wanted


class PartBudget:
    """Bytes lent out to parts in flight (`take`, `give_back`), never more than the budget at once
    (but one part larger than the whole budget, alone)."""

    def __init__(self, budget: int = PART_BUDGET) -> None:
        if budget <= 0:
            raise ValueError("budget must be positive")
        self.budget = budget
        self._lent = 0
        self._changed = threading.Condition()

    @property
    def lent(self) -> int:
        """Bytes lent out now."""
        with self._changed:
            return self._lent

    def take(self, size: int, check: Callable[[], None]) -> None:
        """Lend `size` bytes once the budget has room for them (a part larger than the whole
        budget waits until nothing else is lent). `check` is called while waiting and raises to
        stop waiting (the upload was paused, cancelled or abandoned)."""
        if size <= 0:
            raise ValueError("size must be positive")
        with self._changed:
            while self._lent and self._lent + size > self.budget:
                self._changed.wait(_POLL_SECONDS)
                check()
            self._lent += size

    def give_back(self, size: int) -> None:
        """Return what one `take` lent."""
        with self._changed:
            self._lent -= size
            self._changed.notify_all()


# Every upload of the process shares it.
IN_FLIGHT = PartBudget()


@cache
def part_senders() -> ThreadPoolExecutor:
    """The threads that send parts, shared by every upload (idle ones end with the process)."""
    return ThreadPoolExecutor(SENDERS, thread_name_prefix="attache-part", initializer=priorities.worker_started)
