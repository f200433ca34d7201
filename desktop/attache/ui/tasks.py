"""The one way off the GUI thread and the one way back.

`run_task(fn, on_done, on_error)` runs `fn()` on a worker thread of a named pool. Its result,
or the exception it raised, is posted back to the GUI thread through a QObject that lives
there (`_Relay`), which delivers a burst of results a slice at a time.
Callbacks are dropped when the task was cancelled or when the `owner` QObject is gone, so a
window closed mid-request never receives a late answer.

Tests call `set_synchronous(True)`: tasks then run at once, in the caller's thread, which
makes worker logic deterministic. `shutdown()` cancels what is queued and waits for the pools.
"""

from __future__ import annotations

import itertools
import logging
import queue
import threading
import time
from collections import deque
from collections.abc import Callable
from typing import Any, ClassVar

from PySide6.QtCore import QObject, Qt, Signal, Slot
from shiboken6 import isValid

from attache.core import priorities
from attache.core.errors import AttacheError

log = logging.getLogger(__name__)

_synchronous = False


def set_synchronous(enabled: bool) -> None:
    """Run tasks at once in the calling thread (tests)."""
    global _synchronous
    _synchronous = enabled


def is_synchronous() -> bool:
    return _synchronous


class TaskHandle:
    """What `run_task` returns: `cancel()` drops the callbacks (the work may still finish)."""

    __slots__ = ("_event", "_ran", "cancelled", "id", "outcome")

    def __init__(self, task_id: int) -> None:
        self.id = task_id
        self.cancelled = threading.Event()
        self._event = threading.Event()
        self._ran = threading.Event()
        self.outcome: tuple[bool, object] | None = None  # (ok, result or exception) once the work ran

    def cancel(self) -> None:
        self.cancelled.set()

    @property
    def done(self) -> bool:
        return self._event.is_set()

    def wait_ran(self, timeout: float) -> bool:
        """Block until the work itself has finished (its callbacks may not have run); False on timeout."""
        return self._ran.wait(timeout)


class _Relay(QObject):
    """Lives on the GUI thread; workers `post` results here and Qt wakes the GUI thread to deliver them.

    Results wait in a queue under a lock, and only a no-argument signal crosses the thread
    boundary (passing arbitrary Python objects, None above all, through queued `Signal(object)`
    connections has been a source of reference-count bugs in PySide6). A burst of results wakes
    the GUI once; it delivers them a few milliseconds' worth at a time, so paints and input get
    their turn between slices.
    """

    arrived = Signal()
    SLICE_S = 0.004

    def __init__(self) -> None:
        super().__init__()
        self._callbacks: dict[int, tuple[TaskHandle, Callable | None, Callable | None, QObject | None]] = {}
        self._ready: deque[tuple[int, bool, object]] = deque()
        self._signalled = False
        self._lock = threading.Lock()
        # queued even from the GUI thread: a slice that leaves work re-arms itself for a later turn
        self.arrived.connect(self._deliver, Qt.ConnectionType.QueuedConnection)

    def register(self, handle: TaskHandle, on_done, on_error, owner) -> None:
        with self._lock:
            self._callbacks[handle.id] = (handle, on_done, on_error, owner)

    def post(self, task_id: int, ok: bool, payload: object) -> None:  # worker thread
        with self._lock:
            self._ready.append((task_id, ok, payload))
            if self._signalled:
                return
            self._signalled = True
        self.arrived.emit()

    def pending(self) -> int:
        with self._lock:
            return len(self._callbacks)

    def drop_all(self) -> None:
        """Deliver nothing late: whatever waits is cancelled."""
        with self._lock:
            for handle, *_ in self._callbacks.values():
                handle.cancel()
            self._ready.clear()

    @Slot()
    def _deliver(self) -> None:
        deadline = time.perf_counter() + self.SLICE_S
        while True:
            with self._lock:
                if not self._ready:
                    self._signalled = False
                    return
                if time.perf_counter() > deadline:  # the rest in the next turn of the event loop
                    break
                task_id, ok, payload = self._ready.popleft()
                entry = self._callbacks.pop(task_id, None)
            if entry is None:
                continue
            handle, on_done, on_error, owner = entry
            handle._event.set()
            _invoke(handle, on_done, on_error, owner, ok, payload)
        self.arrived.emit()  # still signalled: one more queued wake-up for what is left


def _owner_alive(owner: QObject | None) -> bool:
    return owner is None or isValid(owner)


def _invoke(handle, on_done, on_error, owner, ok: bool, payload: object) -> None:
    if handle.cancelled.is_set() or not _owner_alive(owner):
        return
    if ok:
        if on_done is not None:
            on_done(payload)
    elif on_error is not None:
        on_error(payload)
    elif not isinstance(payload, Exception) or not _is_expected(payload):
        log.error("background task failed", exc_info=payload if isinstance(payload, BaseException) else None)


def _is_expected(error: BaseException) -> bool:
    return isinstance(error, AttacheError)


def _run_and_post(relay: _Relay, handle: TaskHandle, fn: Callable[[], Any]) -> None:  # worker thread
    if handle.cancelled.is_set():
        handle._ran.set()
        relay.post(handle.id, False, None)
        return
    try:
        result = fn()
    except BaseException as error:
        if not isinstance(error, Exception):
            log.exception("background task aborted")
        handle.outcome = (False, error)
        handle._ran.set()
        relay.post(handle.id, False, error)
    else:
        handle.outcome = (True, result)
        handle._ran.set()
        relay.post(handle.id, True, result)


class _WorkerPool:
    """A few Python worker threads with a queue, under a name.

    Not QThreadPool: handing it a task from Python releases and re-takes the interpreter lock,
    and with workers busy, taking it back can cost the GUI thread up to a switch interval per
    task. Putting work on this queue never lets go of the lock. Daemon threads: quitting waits
    for running work only as long as `shutdown` says, never for a request stuck on a slow server.
    """

    def __init__(self, name: str, threads: int) -> None:
        self.name, self.max_threads = name, threads
        self._queue: queue.SimpleQueue[Callable[[], None]] = queue.SimpleQueue()
        self._lock = threading.Lock()
        self._all_done = threading.Condition(self._lock)
        self._threads = 0
        self._idle = 0  # workers waiting for a task
        self._unfinished = 0  # queued or running

    def start(self, fn: Callable[[], None]) -> None:
        with self._lock:
            self._unfinished += 1
            self._queue.put(fn)
            spawn = self._queue.qsize() > self._idle and self._threads < self.max_threads
            if spawn:
                self._threads += 1
        if spawn:
            threading.Thread(target=self._work, name=f"attache-{self.name}-{self._threads}", daemon=True).start()

    def grow(self) -> None:
        """Start every thread it may have, from the calling thread (a worker): starting one costs the
        thread that starts it a few ms of waiting for the interpreter lock, better not the GUI's."""
        while True:
            with self._lock:
                if self._threads >= self.max_threads:
                    return
                self._threads += 1
                number = self._threads
            threading.Thread(target=self._work, name=f"attache-{self.name}-{number}", daemon=True).start()

    def _work(self) -> None:
        priorities.worker_started()
        while True:
            with self._lock:
                self._idle += 1
            fn = self._queue.get()
            with self._lock:
                self._idle -= 1
            try:
                fn()
            except BaseException:
                log.exception("worker task escaped its handler")
            finally:
                with self._lock:
                    self._unfinished -= 1
                    if self._unfinished == 0:
                        self._all_done.notify_all()

    def clear(self) -> None:
        """Drop the tasks that have not started."""
        with self._lock:
            while True:
                try:
                    self._queue.get_nowait()
                except queue.Empty:
                    break
                self._unfinished -= 1
            if self._unfinished == 0:
                self._all_done.notify_all()

    def wait(self, msecs: int = -1) -> bool:
        """Until every task queued so far has finished; False on timeout."""
        with self._lock:
            return self._all_done.wait_for(lambda: self._unfinished == 0, timeout=None if msecs < 0 else msecs / 1000)


class TaskRunner:
    """Owns the relay and the pools. One per application; see `runner()`."""

    # avatars and images get their own few threads so browsing never waits behind them
    THREADS: ClassVar[dict[str, int]] = {"default": 6, "images": 4}

    def __init__(self) -> None:
        self._relay = _Relay()
        self._ids = itertools.count(1)
        self._pools: dict[str, _WorkerPool] = {}

    def pool(self, name: str = "default") -> _WorkerPool:
        pool = self._pools.get(name)
        if pool is None:  # setdefault: a worker growing the pools may ask at the same time
            pool = self._pools.setdefault(name, _WorkerPool(name, self.THREADS.get(name, 4)))
        return pool

    def run(
        self,
        fn: Callable[[], Any],
        on_done: Callable[[Any], None] | None = None,
        on_error: Callable[[BaseException], None] | None = None,
        *,
        owner: QObject | None = None,
        pool: str = "default",
    ) -> TaskHandle:
        handle = TaskHandle(next(self._ids))
        if _synchronous:
            try:
                result = fn()
            except Exception as error:  # noqa: BLE001
                handle.outcome = (False, error)
                handle._ran.set()
                handle._event.set()
                _invoke(handle, on_done, on_error, owner, False, error)
            else:
                handle.outcome = (True, result)
                handle._ran.set()
                handle._event.set()
                _invoke(handle, on_done, on_error, owner, True, result)
            return handle
        self._relay.register(handle, on_done, on_error, owner)
        relay = self._relay
        self.pool(pool).start(lambda: _run_and_post(relay, handle, fn))
        return handle

    def post(self, callback: Callable[[], None], *, owner: QObject | None = None) -> None:
        """Any thread: call `callback()` on the GUI thread, in order with every result posted before
        and after it (engine events and task results share this one queue)."""
        if _synchronous and threading.current_thread() is threading.main_thread():
            _invoke(TaskHandle(0), lambda _: callback(), None, owner, True, None)
            return
        handle = TaskHandle(next(self._ids))
        self._relay.register(handle, lambda _: callback(), None, owner)
        self._relay.post(handle.id, True, None)

    def grow_pools(self) -> None:
        """Worker thread: start the threads of every pool ahead of the burst of tasks an account's
        first screen asks for (without this the GUI thread started them, ~30 ms of it)."""
        for name in self.THREADS:
            self.pool(name).grow()

    def pending(self) -> int:
        """Tasks whose callbacks have not been delivered yet."""
        return self._relay.pending()

    def wait(self, msecs: int = -1, *, besides: str | None = None) -> bool:
        """Until every pool (but `besides`) has finished what it was given; False on timeout."""
        ok = True
        for name, pool in list(self._pools.items()):
            if name != besides:
                ok = pool.wait(msecs) and ok
        return ok

    def shutdown(self, msecs: int = 10_000) -> None:
        """Drop what has not started, then wait for what is running."""
        for pool in self._pools.values():
            pool.clear()
        self.wait(msecs)
        self._relay.drop_all()


_runner: TaskRunner | None = None


def runner() -> TaskRunner:
    global _runner
    if _runner is None:
        _runner = TaskRunner()
    return _runner


def run_task(
    fn: Callable[[], Any],
    on_done: Callable[[Any], None] | None = None,
    on_error: Callable[[BaseException], None] | None = None,
    *,
    owner: QObject | None = None,
    pool: str = "default",
) -> TaskHandle:
    """Run `fn()` on a worker; call `on_done(result)` or `on_error(exception)` on the GUI thread."""
    return runner().run(fn, on_done, on_error, owner=owner, pool=pool)


def post(callback: Callable[[], None], *, owner: QObject | None = None) -> None:
    """Any thread: run `callback()` on the GUI thread, in order with the results of `run_task`."""
    runner().post(callback, owner=owner)


CLOSING_POOL = "closing"


def close_later(*closers: Callable[[], None], now: bool = False) -> None:
    """Close what an account used (engine, backend, connection), in this order, once the requests
    still in flight on the other pools are done, so no connection outlives its client. On a
    worker of its own pool; `now` (quitting, or synchronous tests) closes in the calling thread."""

    def close() -> None:
        runner().wait(10_000, besides=CLOSING_POOL)
        close_now(*closers)

    if now or _synchronous:
        close()
    else:
        runner().pool(CLOSING_POOL).start(close)


def close_now(*closers: Callable[[], None]) -> None:
    """Call each closer in this thread, in order; one failing (logged) does not keep the rest open."""
    for closer in closers:
        try:
            closer()
        except Exception:
            log.exception("closing %s failed", getattr(closer, "__qualname__", closer))


def shutdown(msecs: int = 10_000) -> None:
    if _runner is not None:
        _runner.shutdown(msecs)
