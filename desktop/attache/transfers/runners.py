"""Who holds a running job: a token per engine, and whether its owner is still alive.

A job left "running" by a process that crashed must be resumed by the next one, but a job
held by another live process (the GUI while `attache queue --run` works) must be left
alone. The token is "pid:random"; engines of this process register theirs here.
"""

from __future__ import annotations

import os
import sys
import threading
import uuid

_lock = threading.Lock()
_live_here: set[str] = set()


def new_runner() -> str:
    token = f"{os.getpid()}:{uuid.uuid4().hex[:12]}"
    with _lock:
        _live_here.add(token)
    return token


def retire_runner(token: str) -> None:
    with _lock:
        _live_here.discard(token)


def is_live(token: str) -> bool:
    pid_text, _, _ = token.partition(":")
    try:
        pid = int(pid_text)
    except ValueError:
        return False
    if pid == os.getpid():
        with _lock:
            return token in _live_here
    return pid_alive(pid)


def pid_alive(pid: int) -> bool:
    if pid <= 0:
        return False
    if sys.platform == "win32":  # os.kill(pid, 0) would send CTRL_C_EVENT there
        return _windows_pid_alive(pid)
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True  # exists, owned by someone else
    return True


def _windows_pid_alive(pid: int) -> bool:  # pragma: no cover - exercised on Windows only
    import ctypes

    synchronize, wait_timeout = 0x00100000, 0x102
    kernel32 = ctypes.windll.kernel32  # type: ignore[attr-defined]
    handle = kernel32.OpenProcess(synchronize, False, pid)
    if not handle:
        return False
    try:
        return kernel32.WaitForSingleObject(handle, 0) == wait_timeout
    finally:
        kernel32.CloseHandle(handle)
