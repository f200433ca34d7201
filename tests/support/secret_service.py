"""A real Secret Service for tests: gnome-keyring on a private D-Bus session with a temporary HOME."""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

PROGRAMS = ("dbus-daemon", "gnome-keyring-daemon")


def missing_programs() -> list[str]:
    return [program for program in PROGRAMS if shutil.which(program) is None]


@contextmanager
def private_secret_service(home: Path) -> Iterator[dict[str, str]]:
    """Start a session bus and an unlocked login keyring; yield the environment to use them."""
    runtime = home / "runtime"
    runtime.mkdir(parents=True, mode=0o700)
    env = dict(os.environ)
    env.update(
        HOME=str(home),
        XDG_RUNTIME_DIR=str(runtime),
        XDG_DATA_HOME=str(home / "data"),
        XDG_CONFIG_HOME=str(home / "config"),
        XDG_CACHE_HOME=str(home / "cache"),
    )
    env.pop("DBUS_SESSION_BUS_ADDRESS", None)
    bus = subprocess.Popen(
        ["dbus-daemon", "--session", "--nofork", "--print-address=1"],
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
        env=env,
        text=True,
    )
    keyring_pid: int | None = None
    try:
        address = bus.stdout.readline().strip()
        if not address:
            raise RuntimeError("dbus-daemon printed no address")
        env["DBUS_SESSION_BUS_ADDRESS"] = address
        daemon = subprocess.run(
            ["gnome-keyring-daemon", "--unlock", "--components=secrets", "--daemonize"],
            input="test-password",
            capture_output=True,
            text=True,
            env=env,
            timeout=20,
            check=True,
        )
        for line in daemon.stdout.splitlines():
            if line.startswith("GNOME_KEYRING_PID="):
                keyring_pid = int(line.split("=", 1)[1])
        _wait_for_secret_service(env)
        yield env
    finally:
        if keyring_pid:
            _kill(keyring_pid)
        bus.terminate()
        try:
            bus.wait(5)
        except subprocess.TimeoutExpired:
            bus.kill()
            bus.wait()
        bus.stdout.close()


def _wait_for_secret_service(env: dict[str, str], timeout: float = 10.0) -> None:
    """The daemon registers on the bus shortly after it forks."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        probe = subprocess.run(
            [
                "dbus-send",
                "--session",
                "--print-reply",
                "--dest=org.freedesktop.DBus",
                "/org/freedesktop/DBus",
                "org.freedesktop.DBus.NameHasOwner",
                "string:org.freedesktop.secrets",
            ],
            capture_output=True,
            text=True,
            env=env,
        )
        if "boolean true" in probe.stdout:
            return
        time.sleep(0.05)
    raise RuntimeError("gnome-keyring did not register org.freedesktop.secrets")


def _kill(pid: int) -> None:
    try:
        os.kill(pid, signal.SIGTERM)
    except ProcessLookupError:
        pass
