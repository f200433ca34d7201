"""The window's thread before its workers, when the machine is busy.

Uploads, avatar fetches and decoding run on worker threads of the window's own process; on two
cores with eight uploads running, the GUI thread spent about as long waiting for a core as
running (bench_ui responsive: 1.4–1.8 s of each 10 s waiting, 1.5–1.8 s running). Two Linux
hints, each skipped where it does not exist, give it the core first:

- each worker thread lowers its own priority by `WORKER_NICE` (Linux sets a thread's nice for
  that thread alone) when it starts, once `prefer_gui_thread()` was called: the window calls it,
  the command line does not (its workers are all it has);
- the GUI thread asks for the shortest scheduling slice (sched_setattr's `sched_runtime`, read by
  Linux 6.12's EEVDF scheduler and later): on waking it preempts a worker at once instead of
  after the worker's slice.

Neither changes how fast the workers go on an idle machine: a lower priority only matters when
something else wants the core. The GUI thread's slice is set by the first worker to start, as
it costs the `ctypes` import, which the window's first paint does not need.
"""

from __future__ import annotations

import os
import platform
import struct
import sys
import threading
from functools import cache
from typing import Any

WORKER_NICE = 10  # added to the process's nice: a nice-0 thread gets ~10 times a nice-10 one's share
GUI_SLICE_NS = 100_000  # the shortest slice the kernel accepts

# sched_setattr / sched_getattr by machine (Linux's syscall tables)
_SYSCALLS = {"x86_64": (314, 315), "aarch64": (274, 275)}
_ATTR = struct.Struct("IIQiIQQQII")  # struct sched_attr, as of Linux 5.3 (56 bytes)

_gui_thread: int | None = None  # the native id of the thread to favour, once asked
_worker_nice = 0  # the nice every worker thread gets: the GUI thread's plus WORKER_NICE
_gui_favoured = False
_lock = threading.Lock()


def prefer_gui_thread() -> None:
    """GUI thread: from now on, worker threads yield the cores to this one."""
    global _gui_thread, _worker_nice
    if sys.platform.startswith("linux"):  # elsewhere a thread id may be another process's pid
        _gui_thread = threading.get_native_id()
        _worker_nice = min(19, os.getpriority(os.PRIO_PROCESS, _gui_thread) + WORKER_NICE)


def worker_started() -> None:
    """Worker thread, first thing: lower this thread's priority if the GUI thread is preferred."""
    global _gui_favoured
    gui = _gui_thread
    if gui is None:
        return
    this = threading.get_native_id()
    # Relative to the GUI thread, not to this thread's own nice: a thread started by a worker
    # inherits the worker's, and must not sink further (to the level of other programs' idle work).
    try:
        if os.getpriority(os.PRIO_PROCESS, this) < _worker_nice:
            os.setpriority(os.PRIO_PROCESS, this, _worker_nice)
    except OSError:
        pass
    with _lock:
        if _gui_favoured:
            return
        _gui_favoured = True
    set_slice(gui, GUI_SLICE_NS)


def set_slice(thread: int, nanoseconds: int) -> bool:
    """Ask Linux for this scheduling slice for a thread (of the normal policy, at its nice);
    False where the kernel, the machine or the build has no such call."""
    attr = _read_attr(thread)
    if attr is None or attr[1] != os.SCHED_OTHER:
        return False
    try:
        nice = os.getpriority(os.PRIO_PROCESS, thread)
    except OSError:
        return False
    request = _ATTR.pack(_ATTR.size, os.SCHED_OTHER, 0, nice, 0, nanoseconds, 0, 0, 0, 0)
    return _sched_call(0, thread, request) is not None


def slice_of(thread: int) -> int | None:
    """The slice Linux keeps for a thread, in ns (the kernel's default unless one was asked);
    None where it cannot be read."""
    attr = _read_attr(thread)
    return None if attr is None else attr[5]


def _read_attr(thread: int) -> tuple[int, ...] | None:
    answer = _sched_call(1, thread, bytes(_ATTR.size))
    return None if answer is None else _ATTR.unpack(answer)


def _sched_call(which: int, thread: int, attr: bytes) -> bytes | None:
    """sched_setattr (0) or sched_getattr (1) for a thread: the attributes after the call, or None
    where it failed or does not exist. Never raises: a worker calls it as it starts."""
    numbers = _SYSCALLS.get(platform.machine())
    if numbers is None or not sys.platform.startswith("linux"):
        return None
    try:
        import ctypes

        buffer = ctypes.create_string_buffer(attr, _ATTR.size)
        args = (thread, buffer, 0) if which == 0 else (thread, buffer, _ATTR.size, 0)
        if _libc().syscall(numbers[which], *args) != 0:
            return None
        return buffer.raw
    except (ImportError, OSError, AttributeError):
        return None


@cache
def _libc() -> Any:  # the process's C library, loaded once (set_slice asks it twice)
    import ctypes

    return ctypes.CDLL(None, use_errno=True)
