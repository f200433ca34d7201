"""run_task: the one way off the GUI thread and back."""

from __future__ import annotations

import os
import sys
import threading
import time

import pytest
from PySide6.QtCore import QObject, QThread, QTimer

from attache.core.errors import NotFoundError
from attache.ui import tasks


def test_result_comes_back_on_the_gui_thread(qtbot):
    gui = threading.get_ident()
    seen = {}

    def work():
        seen["worker"] = threading.get_ident()
        return 42

    def done(value):
        seen["done"] = (value, threading.get_ident(), QThread.currentThread().isMainThread())

    tasks.run_task(work, done)
    qtbot.waitUntil(lambda: "done" in seen, timeout=5000)
    assert seen["worker"] != gui
    assert seen["done"] == (42, gui, True)


def test_exception_goes_to_on_error(qtbot):
    errors = []

    def work():
        raise NotFoundError("awork has no task 7")

    tasks.run_task(work, lambda _: pytest.fail("on_done called"), errors.append)
    qtbot.waitUntil(lambda: bool(errors), timeout=5000)
    assert isinstance(errors[0], NotFoundError)
    assert str(errors[0]) == "awork has no task 7"


def test_cancelled_and_orphaned_tasks_deliver_nothing(qtbot):
    calls = []
    gate = threading.Event()
    handle = tasks.run_task(lambda: gate.wait(5), calls.append)
    handle.cancel()
    owner = QObject()
    tasks.run_task(lambda: gate.wait(5), calls.append, owner=owner)
    owner.deleteLater()
    qtbot.wait(20)
    gate.set()
    tasks.runner().wait(5000)
    qtbot.wait(50)
    assert calls == []


def test_a_burst_of_results_leaves_the_window_its_turns(qtbot):
    """200 results ready at once, each taking the GUI thread a millisecond: they all arrive, in
    the order they finished, and timers (paints, input) run between slices of them."""
    gate = threading.Event()
    delivered = []

    def done(n):
        delivered.append(n)
        time.sleep(0.001)

    for n in range(200):
        tasks.run_task(lambda n=n: (gate.wait(5), n)[1], done)
    gate.set()
    tasks.runner().wait(5000)  # every result waits for the GUI thread now
    turns = []
    timer = QTimer()
    timer.timeout.connect(lambda: turns.append(len(delivered)))
    timer.start(0)
    qtbot.waitUntil(lambda: len(delivered) == 200, timeout=5000)
    timer.stop()
    assert sorted(delivered) == list(range(200))
    assert any(0 < seen < 200 for seen in turns), turns


def test_synchronous_mode_runs_at_once(synchronous):
    calls = []
    tasks.run_task(lambda: threading.get_ident(), calls.append)
    assert calls == [threading.get_ident()]


def test_many_signals_do_not_exhaust_the_singletons():
    """PySide6 6.12.0 on Python 3.11 drops a reference to True per emit() and to None per
    QModelIndex.data() answered with None, and the interpreter aborts: pyproject.toml keeps it out."""
    import subprocess
    import sys

    script = """
import attache.ui
from PySide6.QtCore import QAbstractListModel, QCoreApplication, QModelIndex, QObject, Qt, Signal
app = QCoreApplication([])
class O(QObject):
    s = Signal(object)
class M(QAbstractListModel):
    def rowCount(self, parent=QModelIndex()): return 1
    def data(self, index, role=0): return None
o, m = O(), M()
index = m.index(0, 0)
for _ in range(50_000):
    o.s.emit(None)
    index.data(Qt.ItemDataRole.UserRole)
print("ok")
"""
    result = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stderr[-2000:]
    assert result.stdout.strip() == "ok"


def test_quitting_does_not_wait_for_a_stuck_task():
    """A request hanging on a slow server must not keep the app from exiting once `shutdown`'s
    grace period is over."""
    import subprocess
    import sys
    import time as clock

    script = """
import time
from PySide6.QtCore import QCoreApplication
from attache.ui import tasks
app = QCoreApplication([])
tasks.run_task(lambda: time.sleep(60))
tasks.run_task(lambda: time.sleep(60), pool="images")
time.sleep(0.2)
tasks.shutdown(300)
print("shut down", flush=True)
"""
    began = clock.monotonic()
    result = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, timeout=60)
    assert result.returncode == 0 and "shut down" in result.stdout, result.stderr
    assert clock.monotonic() - began < 15


def test_a_pool_grown_by_a_worker_takes_a_burst_without_the_gui_thread_starting_threads(monkeypatch):
    """An account's first screen asks for a burst of tasks at once; once the connecting worker has
    grown the pool, they all run together and the GUI thread starts no thread for them."""
    pool = tasks._WorkerPool("burst", 3)
    grower = threading.Thread(target=pool.grow)
    grower.start()
    grower.join(10)
    started_by: list[str] = []
    real_start = threading.Thread.start

    def recording_start(thread):
        started_by.append(threading.current_thread().name)
        real_start(thread)

    monkeypatch.setattr(threading.Thread, "start", recording_start)
    running = threading.Barrier(4, timeout=10)  # the three tasks and this thread
    for _ in range(3):
        pool.start(running.wait)
    running.wait()  # all three at once: three threads were there for them
    assert pool.wait(10_000)
    assert started_by == []
    pool.grow()  # a full pool starts nothing more
    assert started_by == []


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="per-thread priorities are Linux's")
def test_workers_yield_the_cores_to_the_gui_thread(app, qtbot):
    """The window's workers (uploads, avatars, decoding) run below the GUI thread, so a busy
    machine delays them rather than the window's paints. (A pool of its own: its thread starts
    after the window's set-up, as every worker of the app does.)"""

    def nice() -> int:
        return os.getpriority(os.PRIO_PROCESS, threading.get_native_id())

    seen = []
    tasks.run_task(nice, seen.append, pool="priority-probe")
    qtbot.waitUntil(lambda: bool(seen), timeout=5000)
    assert seen[0] > nice()
