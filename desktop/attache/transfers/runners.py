"""Who holds a running job: a token per engine, and whether its owner is still alive.

A job left "running" by a process that crashed must be resumed by the next one, but a job
held by another live process (the GUI while `attache queue --run` works) must be left
alone. The token is "pid:random"; engines of this process register theirs here.
"""

from __future__ import annotations

import os
import threading
import uuid

from attache.core.processes import pid_alive

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
