"""Worker threads yield the cores to the GUI thread (Linux), and only when the window asks."""

from __future__ import annotations

import json
import platform
import re
import subprocess
import sys
import textwrap
import threading

import pytest

from attache.core import priorities

pytestmark = pytest.mark.skipif(not sys.platform.startswith("linux"), reason="per-thread priorities are Linux's")

# Each case runs in a process of its own: the preference is process-wide and cannot be undone
# (a thread may not raise its own priority back).
PROBE = textwrap.dedent(
    """
    import json, os, sys, threading
    from attache.core import priorities

    def nice():
        return os.getpriority(os.PRIO_PROCESS, threading.get_native_id())

    gui = threading.get_native_id()
    # A process inherits its parent's slice (a test process may have a window's): start from 1 ms.
    priorities.set_slice(gui, 1_000_000)
    seen = {"gui_before": nice(), "gui_slice_before": priorities.slice_of(gui)}
    if sys.argv[1] == "window":
        priorities.prefer_gui_thread()

    def worker():
        priorities.worker_started()
        seen["worker"] = nice()

        def started_by_a_worker():
            priorities.worker_started()
            seen["grandchild"] = nice()

        inner = threading.Thread(target=started_by_a_worker)
        inner.start()
        inner.join()

    thread = threading.Thread(target=worker)
    thread.start()
    thread.join()
    seen["gui_after"] = nice()
    seen["gui_slice_after"] = priorities.slice_of(gui)
    print(json.dumps(seen))
    """
)


def _probe(mode: str, *, nice: int = 0) -> dict:
    command = [sys.executable, "-c", PROBE, mode]
    if nice:
        command = ["nice", "-n", str(nice), *command]
    out = subprocess.run(command, capture_output=True, text=True, timeout=60, check=True)
    return json.loads(out.stdout)


def _kernel_reads_fair_slices() -> bool:
    """Linux 6.12 and later keep a normal thread's requested slice (EEVDF's custom slices)."""
    match = re.match(r"(\d+)\.(\d+)", platform.release())
    return match is not None and (int(match[1]), int(match[2])) >= (6, 12)


def test_in_the_window_workers_run_at_a_lower_priority_than_the_gui_thread():
    seen = _probe("window")
    base = seen["gui_before"]
    assert seen["gui_after"] == base
    assert seen["worker"] == min(19, base + 10)
    # a thread a worker starts inherits the worker's nice and keeps it: it does not sink further
    assert seen["grandchild"] == seen["worker"]


def test_the_gui_thread_gets_the_short_slice_where_the_kernel_has_one():
    seen = _probe("window")
    if _kernel_reads_fair_slices():
        assert seen["gui_slice_before"] == 1_000_000
        assert seen["gui_slice_after"] == 100_000
    else:
        assert seen["gui_slice_after"] == seen["gui_slice_before"]


def test_workers_keep_their_priority_without_a_window():
    """The command line's workers are all it has: they run at the process's own priority."""
    seen = _probe("cli")
    assert seen["worker"] == seen["grandchild"] == seen["gui_after"] == seen["gui_before"]
    assert seen["gui_slice_after"] == seen["gui_slice_before"]


def test_a_process_started_at_a_lower_priority_keeps_its_workers_below_its_gui_thread():
    base = _probe("cli")["gui_before"]
    seen = _probe("window", nice=5)
    assert seen["gui_after"] == min(19, base + 5)
    assert seen["worker"] == seen["grandchild"] == min(19, base + 15)
    capped = _probe("window", nice=15)
    assert capped["gui_after"] == min(19, base + 15)
    assert capped["worker"] == capped["grandchild"] == 19


def test_where_the_machine_has_no_such_call_the_slice_is_left_alone(monkeypatch):
    """A machine whose syscall numbers are not known: nothing is asked and nothing raises (a worker
    asks as it starts)."""
    monkeypatch.setattr(priorities, "_SYSCALLS", {})
    this = threading.get_native_id()
    assert priorities.set_slice(this, 100_000) is False
    assert priorities.slice_of(this) is None
