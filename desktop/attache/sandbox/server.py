"""Run the awork sandbox on loopback: in a background thread for the app's demo mode and for
tests, or in the foreground for `attache sandbox`.

uvicorn serves a socket we bind ourselves, so port 0 picks a free port and we know it before
the first request; its own logging setup and signal handlers stay out of the host process.
"""

from __future__ import annotations

import secrets
import shutil
import socket
import tempfile
import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import uvicorn

from attache.sandbox.awork import seed as seeding
from attache.sandbox.awork.app import API_PREFIX, create_app
from attache.sandbox.awork.blobs import BlobBackend, OwnBlobs
from attache.sandbox.awork.oauth import OAuthProvider
from attache.sandbox.awork.store import STORE_FILE, Store
from attache.sandbox.faults import FaultMiddleware, FaultPlan, RequestLog, RequestRecord

START_TIMEOUT = 15.0


class SandboxServer:
    """A local awork: `with SandboxServer() as server: httpx.get(server.base_url + "/me", …)`."""

    def __init__(
        self,
        *,
        service: str = "awork",  # the one plug-in so far (sandbox/common comes next)
        data_dir: Path | str | None = None,
        token: str | None = None,
        scale: int | None = None,
        people: int = 0,
        faults: FaultPlan | None = None,
        blob_backend: BlobBackend | None = None,
        seed: int = 1,
        host: str = "127.0.0.1",
        port: int = 0,
        upload_url_ttl: float = 3600.0,
    ) -> None:
        seeding.check_sizes(scale, people)
        self._data_dir_arg = Path(data_dir) if data_dir is not None else None
        self.data_dir: Path | None = self._data_dir_arg  # the temporary folder once started without one
        self._token = token or secrets.token_urlsafe(24)
        self.scale, self.people, self.seed, self.host = scale, people, seed, host
        self._port_arg = port
        self.blobs: BlobBackend = blob_backend or OwnBlobs(url_ttl=upload_url_ttl)
        self.log = RequestLog()
        self.oauth = OAuthProvider()  # sign-in by browser; its access tokens work like the API key
        self._initial_faults = faults
        self._faults: FaultMiddleware | None = None
        self._store: Store | None = None
        self._server: uvicorn.Server | None = None
        self._thread: threading.Thread | None = None
        self._socket: socket.socket | None = None
        self._temp_dir: str | None = None
        self._port = 0
        self.seed_seconds = 0.0

    # ---- lifecycle ----
    def start(self) -> SandboxServer:
        if self._thread is not None:
            return self
        data_dir = self._data_dir_arg
        if data_dir is None:
            self._temp_dir = tempfile.mkdtemp(prefix="attache-awork-sandbox-")
            data_dir = Path(self._temp_dir)
        data_dir.mkdir(parents=True, exist_ok=True)
        self.data_dir = data_dir
        try:
            began = time.perf_counter()
            if not (data_dir / STORE_FILE).exists():  # a data_dir keeps its data across restarts
                seeding.clone_seeded(data_dir, seed=self.seed, scale=self.scale, people=self.people)
                self.seed_seconds = time.perf_counter() - began
            self._store = Store(data_dir)
            self.blobs.bind(self._store)
            app = create_app(self._store, self.blobs, token=self._token, oauth=self.oauth)
            self._faults = FaultMiddleware(app, self.log)
            self._faults.set_plan(self._initial_faults)
            self._serve_in_thread()
        except BaseException:
            self.stop()
            raise
        return self

    def _serve_in_thread(self) -> None:
        # IPPROTO_TCP named explicitly: asyncio sets TCP_NODELAY on accepted connections only when
        # the listening socket says it is TCP; without it each answer waits ~40 ms for a delayed ACK.
        family = socket.AF_INET6 if ":" in self.host else socket.AF_INET
        sock = socket.socket(family, socket.SOCK_STREAM, socket.IPPROTO_TCP)
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        sock.bind((self.host, self._port_arg))
        sock.listen(128)
        self._socket = sock
        self._port = sock.getsockname()[1]
        config = uvicorn.Config(
            self._faults,
            log_level="warning",
            log_config=None,  # leave the host process's logging alone
            access_log=False,
            server_header=False,
            lifespan="off",
            ws="none",
            http="h11",
            loop="asyncio",
            timeout_keep_alive=5,
            timeout_graceful_shutdown=3,
        )
        self._server = uvicorn.Server(config)
        self._thread = threading.Thread(
            target=self._server.run, kwargs={"sockets": [sock]}, name=f"awork-sandbox:{self._port}", daemon=True
        )
        self._thread.start()
        deadline = time.monotonic() + START_TIMEOUT
        while not self._server.started:
            if not self._thread.is_alive() or time.monotonic() > deadline:
                raise RuntimeError("The awork sandbox server did not start.")
            time.sleep(0.005)

    def stop(self) -> None:
        if self._server is not None:
            self._server.should_exit = True
        if self._thread is not None:
            self._thread.join(timeout=START_TIMEOUT)
        if self._socket is not None:
            self._socket.close()
        if self._store is not None:
            self._store.close()
        if self._temp_dir is not None:
            shutil.rmtree(self._temp_dir, ignore_errors=True)
        self._server = self._thread = self._socket = self._store = None
        self._temp_dir = None

    def __enter__(self) -> SandboxServer:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    # ---- addresses ----
    @property
    def port(self) -> int:
        return self._port

    @property
    def root_url(self) -> str:
        host = f"[{self.host}]" if ":" in self.host else self.host
        return f"http://{host}:{self._port}"

    @property
    def base_url(self) -> str:
        return self.root_url + API_PREFIX

    @property
    def token(self) -> str:
        return self._token

    @property
    def store(self) -> Store:
        if self._store is None:
            raise RuntimeError("The sandbox is not running.")
        return self._store

    @property
    def workspace_id(self) -> str:
        return self.store.get_meta("workspace_id") or ""

    @property
    def me_id(self) -> str:
        return self.store.get_meta("me_user_id") or ""

    # ---- faults and the request log ----
    def set_faults(self, plan: FaultPlan | None) -> None:
        self._initial_faults = plan
        if self._faults is not None:
            self._faults.set_plan(plan)

    @property
    def faults(self) -> FaultPlan | None:
        return self._initial_faults

    @property
    def requests(self) -> list[RequestRecord]:
        return self.log.records()

    def clear_requests(self) -> None:
        self.log.clear()

    @property
    def in_flight(self) -> int:
        return self.log.in_flight

    @property
    def max_in_flight(self) -> int:
        return self.log.max_in_flight


def serve_forever(
    *,
    on_ready: Callable[[SandboxServer], None] | None = None,
    faults_rate: float | None = None,
    **server_options: Any,
) -> None:
    """Serve until Ctrl-C or SIGTERM (`attache sandbox`), then remove the temporary data.
    `server_options` are SandboxServer's; `faults_rate` is a shortcut for
    `faults=FaultPlan(faults_rate)` (every kind of fault)."""
    if faults_rate:
        server_options["faults"] = FaultPlan(faults_rate)
    _stop_on_sigterm()
    server = SandboxServer(**server_options)
    with server:
        (on_ready or _announce)(server)
        try:
            while True:
                time.sleep(3600)
        except KeyboardInterrupt:
            pass


def _stop_on_sigterm() -> None:
    """`kill` (as a script or a benchmark stops the sandbox) ends it like Ctrl-C: without this the
    process dies on the spot and leaves its temporary store, uploads and all, behind."""
    import signal

    def interrupt(signum, frame):
        raise KeyboardInterrupt

    if threading.current_thread() is threading.main_thread():
        signal.signal(signal.SIGTERM, interrupt)


def _announce(server: SandboxServer) -> None:
    print(f"awork sandbox at {server.base_url}", flush=True)
    print(f"token: {server.token}", flush=True)
    if server.faults:
        kinds = ", ".join(server.faults.kinds)
        print(f"injecting faults into {server.faults.rate:.0%} of requests: {kinds}", flush=True)
    print("Press Ctrl-C to stop.", flush=True)
