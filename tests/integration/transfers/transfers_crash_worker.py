"""A process that runs the transfer queue against the awork sandbox, and can kill itself.

    python transfers_crash_worker.py JOURNAL BASE_URL TOKEN SERVICE

runs every queued and interrupted job in JOURNAL until none is left, then prints the job
states as JSON. With ATTACHE_TEST_CRASHPOINT=point:n it sends itself SIGKILL the n-th time
any job reaches `point` (an engine checkpoint: claimed, begun, sending, sent, linking,
linked), which is what a power cut or an OOM kill looks like to the journal and the server.
ATTACHE_TEST_BACKEND_ATTRS (JSON) sets attributes on each backend it opens (a smaller block
size, a lower single-request limit); with ATTACHE_TEST_SENT_LOG=PATH it appends the size of
every chunk it hands to the network to PATH, one per line, unbuffered (it survives SIGKILL).
"""

from __future__ import annotations

import json
import os
import signal
import sys
import threading
from pathlib import Path

from attache.core.services import service
from attache.transfers import Journal, RetryPolicy, Throttle, TransferEngine


class CountingThrottle(Throttle):
    """No limit; writes each chunk's size to a file descriptor before it is sent."""

    def __init__(self, fd: int) -> None:
        super().__init__()
        self._fd = fd

    def reserve(self, size: int) -> float:
        os.write(self._fd, f"{size}\n".encode())
        return super().reserve(size)


def crash_hook(spec: str):  # type: ignore[no-untyped-def]
    point, _, nth = spec.partition(":")
    remaining = [int(nth or 1)]
    lock = threading.Lock()

    def checkpoint(reached: str, job) -> None:  # type: ignore[no-untyped-def]
        if reached != point:
            return
        with lock:
            remaining[0] -= 1
            if remaining[0] == 0:
                os.kill(os.getpid(), signal.SIGKILL)

    return checkpoint


def main(journal_path: str, base_url: str, token: str, service_id: str) -> int:
    spec = os.environ.get("ATTACHE_TEST_CRASHPOINT", "")
    connector = service(service_id).connector()
    attrs = json.loads(os.environ.get("ATTACHE_TEST_BACKEND_ATTRS") or "{}")
    sent_log = os.environ.get("ATTACHE_TEST_SENT_LOG")

    def open_backend(account):  # type: ignore[no-untyped-def]
        backend = connector.open_backend(base_url, connector.secret_from_token(token), account="sandbox")
        for name, value in attrs.items():
            setattr(backend, name, value)
        return backend

    throttle = CountingThrottle(os.open(sent_log, os.O_WRONLY | os.O_APPEND | os.O_CREAT)) if sent_log else None
    with Journal(Path(journal_path)) as journal:
        engine = TransferEngine(
            journal,
            open_backend,
            workers=4,
            retry=RetryPolicy(base_delay=0.05, max_delay=0.5),
            checkpoint=crash_hook(spec) if spec else None,
            poll_interval=0.1,
            throttle=throttle,
        )
        with engine:
            engine.wait_idle(timeout=120)
        print(json.dumps({job.id: job.state.value for job in journal.jobs()}), flush=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main(*sys.argv[1:5]))
