"""The built-in sandbox in a process of its own, as the window runs it (`attache sandbox --stdin-token`).

In the window's process the sandbox's imports and its work on every byte it receives took the
interpreter lock the window paints with; in a process of its own they run on the other core, and
it starts while the window is still building itself. Its standard input is a pipe from the window,
so it ends with the window however the window ends; its token travels down that pipe, not on a
command line other users can read.
"""

from __future__ import annotations

import logging
import os
import subprocess
import threading
import time

from attache.core.errors import AttacheError, CancelledError
from attache.core.processes import own_command
from attache.core.services import DEFAULT_SERVICE

log = logging.getLogger(__name__)

START_TIMEOUT_S = 60.0  # to its address: a first launch seeds the demo (~1 s on 2 cores when quiet)
STOP_WAIT_S = 10.0  # for it to stop and remove its data, before it is terminated (then killed)
_POLL_S = 0.05  # how often a wait for its address looks at the caller's stop event


class SandboxProcess:
    """`attache sandbox` of one service on a free loopback port, started at once; `wait_ready()`
    gives its address. Offers what the window uses of an in-process SandboxServer: `base_url`,
    `token`, `stop()`."""

    def __init__(self, service_id: str = DEFAULT_SERVICE) -> None:
        self.service_id = service_id
        self._token = os.urandom(24).hex()  # `secrets` would import hmac and random before the paint
        self._base_url = ""
        self._first_line: bytes | None = None
        self._line_read = threading.Event()
        self._stop_lock = threading.Lock()
        command = [*own_command(), "sandbox", "--service", service_id, "--port", "0", "--stdin-token"]
        try:
            # Its own session: a Ctrl-C in the terminal is the window's to act on, not the sandbox's.
            self._process = subprocess.Popen(
                command, stdin=subprocess.PIPE, stdout=subprocess.PIPE, start_new_session=True
            )
        except OSError as error:
            raise AttacheError("The built-in sandbox could not start", detail=repr(error)) from None
        try:
            assert self._process.stdin is not None
            self._process.stdin.write(self._token.encode() + b"\n")
            self._process.stdin.flush()
        except OSError:
            pass  # it ended already: wait_ready() says so
        threading.Thread(target=self._read_first_line, name="sandbox-address", daemon=True).start()

    def _read_first_line(self) -> None:
        try:
            assert self._process.stdout is not None
            self._first_line = self._process.stdout.readline()
        except (OSError, ValueError):
            self._first_line = b""
        self._line_read.set()

    @property
    def pid(self) -> int:
        return self._process.pid

    @property
    def token(self) -> str:
        return self._token

    @property
    def base_url(self) -> str:
        """Its API's base URL ("" until `wait_ready()` returned)."""
        return self._base_url

    @property
    def running(self) -> bool:
        return self._process.poll() is None

    def wait_ready(self, *, stop: threading.Event | None = None, timeout: float = START_TIMEOUT_S) -> SandboxProcess:
        """Wait for its address (its first line on stdout: "<name> sandbox at <URL>"). Stops it
        and raises CancelledError when `stop` is set meanwhile, AttacheError when it ends first
        or is not serving after `timeout` seconds."""
        deadline = time.monotonic() + timeout
        while not self._line_read.wait(_POLL_S):
            if stop is not None and stop.is_set():
                self.stop()
                raise CancelledError("The sandbox was stopped while it started")
            if time.monotonic() > deadline:
                self.stop()
                raise AttacheError(
                    f"The built-in sandbox did not start within {timeout:.0f} s",
                    detail=f"pid {self._process.pid}",
                )
        line = (self._first_line or b"").decode("utf-8", "replace").strip()
        _, marker, url = line.rpartition(" sandbox at ")
        if not marker or not url.startswith("http://"):
            self.stop()
            status = self._process.returncode
            raise AttacheError(
                "The built-in sandbox stopped before it started" + (f" (exit status {status})" if status else ""),
                detail=f"its first line: {line[:200]!r}; its messages are on the window's standard error",
            )
        self._base_url = url
        if stop is not None and stop.is_set():
            self.stop()
            raise CancelledError("The sandbox was stopped while it started")
        return self

    def stop(self) -> None:
        """End it and wait until it has removed its data (any thread; again is harmless): its
        stdin closes, as when the window ends; a sandbox that does not stop is terminated."""
        with self._stop_lock:
            process = self._process
            if process.stdin is not None and not process.stdin.closed:
                try:
                    process.stdin.close()
                except OSError:
                    pass
            try:
                process.wait(STOP_WAIT_S)
            except subprocess.TimeoutExpired:
                log.warning("the sandbox (pid %d) did not stop within %.0f s: terminating it", process.pid, STOP_WAIT_S)
                process.terminate()
                try:
                    process.wait(STOP_WAIT_S)
                except subprocess.TimeoutExpired:
                    process.kill()
                    process.wait()
            if process.stdout is not None:
                process.stdout.close()


def start_early(service_id: str) -> SandboxProcess | None:
    """The sandbox `attache --sandbox` opens, started before the window is built (it starts on
    the other core meanwhile); None when it cannot start, and the window says why when it tries."""
    try:
        return SandboxProcess(service_id)
    except AttacheError as error:
        log.warning("%s (%s)", error, error.detail)
        return None
