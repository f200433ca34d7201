"""Whether a process is still alive, by pid: for state a process leaves behind (a running
transfer job, an account on its built-in sandbox) that outlives it only when it crashed."""

from __future__ import annotations

import os
import sys


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
        return bool(kernel32.WaitForSingleObject(handle, 0) == wait_timeout)
    finally:
        kernel32.CloseHandle(handle)


def own_command() -> list[str]:
    """How to start this same Attaché as a new process: the bundle's executable, or this
    interpreter on the package (`python -m attache`)."""
    if getattr(sys, "frozen", False):  # a PyInstaller bundle: its executable is `attache`
        return [sys.executable]
    return [sys.executable, "-m", "attache"]
