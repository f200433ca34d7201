"""The window's sandbox in a process of its own (`attache.app.sandbox_process`): it serves, it ends
with the window however the window ends, and it leaves nothing behind."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

import httpx
import pytest

from attache.app.sandbox_process import SandboxProcess
from attache.core.errors import AttacheError, CancelledError


@pytest.fixture
def private_tmp(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """The sandbox's temporary folder (its store, its uploads, its template): the child inherits it."""
    folder = tmp_path / "tmp"
    folder.mkdir()
    monkeypatch.setenv("TMPDIR", str(folder))
    monkeypatch.setenv("ATTACHE_HOME", str(tmp_path / "home"))
    return folder


def _gone(pid: int, timeout: float = 30.0) -> bool:
    """True once `pid` no longer runs (or is a zombie nobody reaped), False after `timeout`."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
        except (FileNotFoundError, ProcessLookupError):
            return True
        if state == "Z":
            return True
        time.sleep(0.05)
    return False


def test_it_serves_the_demo_with_its_own_token_and_stop_removes_its_data(private_tmp):
    sandbox = SandboxProcess("awork").wait_ready()
    try:
        assert sandbox.base_url.startswith("http://127.0.0.1:") and sandbox.base_url.endswith("/api/v1")
        me = httpx.get(sandbox.base_url + "/me", headers={"Authorization": f"Bearer {sandbox.token}"}, timeout=30)
        assert me.status_code == 200 and me.json()["firstName"]
        wrong = httpx.get(sandbox.base_url + "/me", headers={"Authorization": "Bearer not-it"}, timeout=30)
        assert wrong.status_code == 401
        assert any(private_tmp.iterdir())  # its store is there while it runs
        # the token came down its stdin: other users read a process's command line, not its pipes
        assert sandbox.token not in Path(f"/proc/{sandbox.pid}/cmdline").read_text()
    finally:
        sandbox.stop()
    assert not sandbox.running
    assert list(private_tmp.iterdir()) == []
    with pytest.raises(httpx.TransportError):
        httpx.get(sandbox.base_url + "/me", timeout=5)
    sandbox.stop()  # again: harmless


OWNER = """
import sys, time
from attache.app.sandbox_process import SandboxProcess
sandbox = SandboxProcess("awork").wait_ready()
print(sandbox.pid, sandbox.base_url, flush=True)
time.sleep(600)
"""


def test_it_ends_with_a_window_that_is_killed(private_tmp):
    """SIGKILL gives the window no chance to stop anything: the sandbox sees its stdin close, stops
    and removes its data by itself."""
    owner = subprocess.Popen([sys.executable, "-c", OWNER], stdout=subprocess.PIPE, text=True)
    try:
        pid_text, base_url = owner.stdout.readline().split()
        pid = int(pid_text)
        assert httpx.get(base_url + "/me", timeout=30).status_code == 401  # serving
        owner.send_signal(signal.SIGKILL)
        owner.wait(timeout=30)
        assert _gone(pid), "the sandbox outlived the window"
    finally:
        if owner.poll() is None:
            owner.kill()
        owner.stdout.close()
    assert list(private_tmp.iterdir()) == []


def test_a_sandbox_stopped_while_it_starts_raises_cancelled_and_leaves_nothing(private_tmp, monkeypatch):
    monkeypatch.setenv("ATTACHE_SANDBOX_PAUSE_AT", "seeding")  # start-up waits there until stopped
    sandbox = SandboxProcess("awork")
    stop = threading.Event()
    threading.Timer(0.5, stop.set).start()
    with pytest.raises(CancelledError):
        sandbox.wait_ready(stop=stop)
    assert not sandbox.running
    assert list(private_tmp.iterdir()) == []


def test_a_sandbox_that_does_not_serve_in_time_is_ended_with_a_clear_message(private_tmp, monkeypatch):
    monkeypatch.setenv("ATTACHE_SANDBOX_PAUSE_AT", "seeding")
    sandbox = SandboxProcess("awork")
    with pytest.raises(AttacheError, match=r"^The built-in sandbox did not start within 1 s$"):
        sandbox.wait_ready(timeout=1.0)
    assert not sandbox.running
    assert list(private_tmp.iterdir()) == []


def test_a_sandbox_that_fails_to_start_says_so(private_tmp):
    sandbox = SandboxProcess("no-such-service")  # its command line is refused: exit status 2
    with pytest.raises(AttacheError, match=r"^The built-in sandbox stopped before it started \(exit status 2\)$"):
        sandbox.wait_ready()
    assert not sandbox.running


@pytest.mark.parametrize(
    ("stdin", "options", "message"),
    [
        (b"", [], "standard input closed before a token arrived"),
        (b"t\n", ["--token", "t"], "give the token with --token or --stdin-token, not both"),
    ],
)
def test_stdin_token_usage_errors(private_tmp, stdin, options, message):
    result = subprocess.run(
        [sys.executable, "-m", "attache", "sandbox", "--port", "0", "--stdin-token", *options],
        input=stdin,
        capture_output=True,
        timeout=60,
    )
    assert result.returncode == 2
    assert message in result.stderr.decode()
    assert list(private_tmp.iterdir()) == []


def test_the_window_entry_starts_its_sandbox_apart_and_it_ends_with_the_window(private_tmp):
    """`attache --sandbox`: the sandbox is a child of the window's process (in its own session, so a
    Ctrl-C in the terminal is the window's), and it is gone when the window has quit."""
    from support.window_process import WindowProcess

    window = WindowProcess()
    try:
        window.wait_for("connected to")  # a window that never connects fails here
        children = Path(f"/proc/{window.pid}/task/{window.pid}/children").read_text().split()
        sandboxes = [int(pid) for pid in children if b"--stdin-token" in Path(f"/proc/{pid}/cmdline").read_bytes()]
        assert len(sandboxes) == 1, (children, window.log)
        assert os.getsid(sandboxes[0]) != os.getsid(window.pid)
    finally:
        status = window.terminate()
    assert status == 0, window.log
    assert _gone(sandboxes[0])
    assert "Traceback" not in window.log
    assert list(private_tmp.iterdir()) == []


@pytest.mark.parametrize("service_id", ["awork", "onlyoffice", "superoffice"])
def test_each_service_s_sandbox_serves_its_client_from_its_own_process(private_tmp, service_id):
    """What the window does with it: the service's own client signs in with the token and names
    the workspace."""
    from attache.core.services import service

    sandbox = SandboxProcess(service_id).wait_ready()
    try:
        connector = service(service_id).connector()
        backend = connector.open_backend(
            sandbox.base_url, connector.secret_from_token(sandbox.token), account="sandbox", options={}
        )
        try:
            assert backend.workspace().name
        finally:
            backend.close()
    finally:
        sandbox.stop()
    assert list(private_tmp.iterdir()) == []
