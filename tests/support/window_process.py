"""`attache --sandbox` as a user starts it, in a process of its own (offscreen), its stderr read
line by line as it comes, so a test can wait for what the window says and then stop it."""

from __future__ import annotations

import os
import queue
import signal
import subprocess
import sys
import threading


class WindowProcess:
    def __init__(self, env: dict[str, str] | None = None) -> None:
        self.process = subprocess.Popen(
            [sys.executable, "-m", "attache", "--sandbox"],
            env=dict(env or os.environ, QT_QPA_PLATFORM="offscreen"),
            stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE,
            text=True,
        )
        self.seen: list[str] = []  # its stderr lines so far
        self._lines: queue.Queue[str] = queue.Queue()
        self._reader = threading.Thread(target=self._read, daemon=True)
        self._reader.start()

    def _read(self) -> None:
        assert self.process.stderr is not None
        for line in self.process.stderr:
            self._lines.put(line)

    @property
    def pid(self) -> int:
        return self.process.pid

    @property
    def log(self) -> str:
        return "".join(self.seen)

    def wait_for(self, text: str, timeout: float = 60.0) -> None:
        """Until a line says `text`; queue.Empty when none comes for `timeout` seconds."""
        while not any(text in line for line in self.seen):
            self.seen.append(self._lines.get(timeout=timeout))

    def terminate(self, timeout: float = 30.0) -> int:
        """SIGTERM, as a logout or `kill` sends; its exit status once it (and whatever holds its
        stderr, its sandbox too) has ended."""
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
        try:
            self.process.wait(timeout=timeout)
        finally:
            if self.process.poll() is None:
                self.process.kill()
            self._reader.join(timeout=timeout)
            assert self.process.stderr is not None
            self.process.stderr.close()
        while not self._lines.empty():
            self.seen.append(self._lines.get())
        return self.process.returncode
