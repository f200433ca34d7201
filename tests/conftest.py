"""Fixtures every test directory shares: a private ATTACHE_HOME, offscreen Qt, the awork sandbox
and the Azurite blob emulator."""

from __future__ import annotations

import os

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")  # before anything can import Qt

import shutil
import socket
import subprocess
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

import pytest

if TYPE_CHECKING:
    import httpx

from attache.sandbox import SandboxServer
from attache.sandbox.awork.blobs import AzuriteBlobs
from support.tools import tool_missing


def pytest_xdist_auto_num_workers(config) -> int:
    """`-n auto`: at most 4 workers. Each starts its own Azurite and Secret Service, and the tests
    are mostly waiting, so more would only crowd a bigger machine."""
    return max(1, min(4, os.cpu_count() or 1))


REPO_ROOT = Path(__file__).resolve().parents[1]

# Microsoft's published development account for the storage emulators (not a secret).
AZURITE_ACCOUNT = "devstoreaccount1"
AZURITE_KEY = "Eby8vdM02xNOcqFlqUwJPLlmEtlCDXJ1OUzFT50uSRZ6IFsuFq2UVErCz4I6tq/K1SZFPTOtr/KBHBeksoGMGw=="


@pytest.fixture(autouse=True)
def _private_attache_home(tmp_path_factory: pytest.TempPathFactory, monkeypatch: pytest.MonkeyPatch) -> Path:
    """No test reads or writes the real user's configuration, data or cache."""
    home = tmp_path_factory.mktemp("attache-home")
    monkeypatch.setenv("ATTACHE_HOME", str(home))
    return home


# ---------------------------------------------------------------------------- awork sandbox


@pytest.fixture(scope="session")
def awork_sandbox() -> Iterator[SandboxServer]:
    """The demo workspace, shared by the whole session: only for tests that do not change data."""
    with SandboxServer() as server:
        yield server


@pytest.fixture
def fresh_awork_sandbox() -> Iterator[SandboxServer]:
    """A demo workspace of its own, for a test that changes data."""
    with SandboxServer() as server:
        yield server


@pytest.fixture
def make_awork_sandbox() -> Iterator[Callable[..., SandboxServer]]:
    """Start sandboxes with any SandboxServer options; all are stopped after the test."""
    servers: list[SandboxServer] = []

    def make(**options) -> SandboxServer:
        server = SandboxServer(**options)
        servers.append(server)
        return server.start()

    yield make
    for server in reversed(servers):
        server.stop()


# ---------------------------------------------------------------------------- Azurite


@dataclass(frozen=True)
class Azurite:
    endpoint: str  # http://127.0.0.1:PORT/devstoreaccount1
    account: str
    key: str

    def blobs(self, **options) -> AzuriteBlobs:
        return AzuriteBlobs(self.endpoint, self.account, self.key, **options)


def _azurite_binary() -> str | None:
    candidates = [os.environ.get("AZURITE_BIN"), str(REPO_ROOT / ".tools/azurite/node_modules/.bin/azurite-blob")]
    for candidate in candidates:
        if candidate and Path(candidate).is_file() and os.access(candidate, os.X_OK):
            return candidate
    return shutil.which("azurite-blob")


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def _wait_for_port(port: int, process: subprocess.Popen, timeout: float = 30.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"azurite-blob exited with status {process.returncode}")
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=0.5):
                return
        except OSError:
            time.sleep(0.05)
    raise RuntimeError(f"azurite-blob did not listen on port {port} within {timeout:.0f} s")


@pytest.fixture(scope="session")
def azurite(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Azurite]:
    """A running Azurite blob service (skipped when it is not installed)."""
    binary = _azurite_binary()
    if binary is None:
        tool_missing(
            "Azurite is not installed: set AZURITE_BIN, or run "
            "`npm install --prefix .tools/azurite azurite@3.37.0`, or put azurite-blob on PATH"
        )
    port = _free_port()
    location = tmp_path_factory.mktemp("azurite")
    process = subprocess.Popen(
        [
            binary,
            "--blobHost",
            "127.0.0.1",
            "--blobPort",
            str(port),
            "--location",
            str(location),
            "--silent",
            "--skipApiVersionCheck",
        ],
        stdin=subprocess.DEVNULL,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        _wait_for_port(port, process)
        yield Azurite(f"http://127.0.0.1:{port}/{AZURITE_ACCOUNT}", AZURITE_ACCOUNT, AZURITE_KEY)
    finally:
        # Once it has served a request, Azurite's graceful shutdown takes minutes; its data is
        # a throwaway temporary folder, so a short grace period and then SIGKILL.
        process.terminate()
        try:
            process.wait(timeout=1)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


@pytest.fixture
def awork_client() -> Iterator[Callable[..., httpx.Client]]:
    """httpx clients on a sandbox's API (Bearer token set), closed after the test.
    `token=""` sends no Authorization header; any other string replaces the right token."""
    import httpx

    clients: list[httpx.Client] = []

    def make(server: SandboxServer, *, token: str | None = None, **options) -> httpx.Client:
        token = server.token if token is None else token
        headers = {"Authorization": f"Bearer {token}"} if token else {}
        client = httpx.Client(base_url=server.base_url, headers=headers, timeout=30.0, **options)
        clients.append(client)
        return client

    yield make
    for client in clients:
        client.close()
