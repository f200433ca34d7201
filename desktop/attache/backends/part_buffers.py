"""Memory for the parts of files in flight, shared by every upload in the process.

A part sent side by side with others (awork's blocks) is read whole before it goes out and kept
until its answer, so a retry can send it again. Were each part a fresh allocation, eight uploads
with four 8 MiB blocks each would hold 256 MiB, and the allocator would keep much of it after
they are done. Instead every upload borrows its parts' memory here: a fixed budget of bytes
(`PART_BUDGET`, four 8 MiB blocks), in buffers that are made once and reused. An upload that finds
the budget taken waits for a part of another upload to be answered, so eight uploads at once send
four parts between them, as one large file does alone. The parts go out on one pool of sending
threads for the process (`part_senders`), as many as the budget's parts: more threads would only
wait, and each one more that wants the GIL is one more the window's thread waits behind.
"""

from __future__ import annotations

import mmap
import threading
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from functools import cache

from attache.core import priorities

MiB = 1024 * 1024
PART_BUDGET = 32 * MiB
SENDERS = 4  # the budget's parts of 8 MiB
_POLL_SECONDS = 0.1  # how often a waiting upload checks whether it is still wanted


class PartBuffers:
    """A budget of bytes lent out as buffers (`take`, `give_back`); free buffers are kept for the
    next part, and dropped only to make room for one of a different size."""

    def __init__(self, budget: int = PART_BUDGET) -> None:
        if budget <= 0:
            raise ValueError("budget must be positive")
        self.budget = budget
        self._free: list[mmap.mmap] = []
        self._lent = 0  # bytes of the buffers lent out
        self._changed = threading.Condition()

    @property
    def lent(self) -> int:
        """Bytes of the buffers lent out now."""
        with self._changed:
            return self._lent

    @property
    def held(self) -> int:
        """Bytes of the buffers made and not dropped: lent out and free (at most the budget, or
        one part larger than it)."""
        with self._changed:
            return self._lent + sum(len(buffer) for buffer in self._free)

    def take(self, size: int, check: Callable[[], None]) -> memoryview:
        """A buffer of exactly `size` bytes, once the budget has room for it (a part larger than
        the whole budget waits until nothing else is lent). `check` is called while waiting and
        raises to stop waiting (the upload was paused, cancelled or abandoned)."""
        if size <= 0:
            raise ValueError("size must be positive")
        with self._changed:
            while True:
                buffer = self._free_buffer(size)
                if buffer is not None:
                    self._lent += len(buffer)
                    return memoryview(buffer)[:size]
                if self._lent == 0 or self._lent + size <= self.budget:
                    break
                self._changed.wait(_POLL_SECONDS)
                check()
            # Room for a new buffer: drop free ones (other sizes) until it fits beside them.
            self._free.sort(key=len)
            while self._free and self._lent + size + sum(len(buffer) for buffer in self._free) > self.budget:
                self._free.pop(0)
            self._lent += size
        # Anonymous memory, not a bytearray: its pages are touched as the file is read into it,
        # without the GIL, instead of zero-filled under it (6 ms per 8 MiB: a stall of the window).
        return memoryview(mmap.mmap(-1, size))

    def give_back(self, view: memoryview) -> None:
        """Return what `take` lent (each view once)."""
        buffer = view.obj
        assert isinstance(buffer, mmap.mmap)
        view.release()
        with self._changed:
            self._lent -= len(buffer)
            self._free.append(buffer)
            self._changed.notify_all()

    def _free_buffer(self, size: int) -> mmap.mmap | None:
        """The smallest free buffer that holds `size` bytes without wasting more than half of it."""
        fitting = [buffer for buffer in self._free if size <= len(buffer) < 2 * size]
        if not fitting:
            return None
        buffer = min(fitting, key=len)
        self._free.remove(buffer)
        return buffer


# Every upload of the process shares these.
PART_BUFFERS = PartBuffers()


@cache
def part_senders() -> ThreadPoolExecutor:
    """The threads that send parts, shared by every upload (idle ones end with the process)."""
    return ThreadPoolExecutor(SENDERS, thread_name_prefix="attache-part", initializer=priorities.worker_started)
