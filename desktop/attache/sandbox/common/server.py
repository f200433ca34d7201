"""Run a service's sandbox on loopback: in a background thread for the app's demo mode and for
tests, or in the foreground for `attache sandbox`.

uvicorn serves a socket we bind ourselves, so port 0 picks a free port and we know it before
the first request; its own logging setup and signal handlers stay out of the host process.

Start-up can be stopped at any point (stop() from another thread, SIGTERM or Ctrl-C in the
foreground): signals only raise a flag, start-up looks at it between steps (seeding looks every
few thousand rows) and then removes everything it has made so far. Each temporary folder is
registered for removal the moment it exists.
"""

from __future__ import annotations

import os
import secrets
import shutil
import socket
import sys
import threading
import time
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any, Self

import uvicorn

from attache.core.errors import InvalidInputError
from attache.core.services import DEFAULT_SERVICE, service
from attache.sandbox.common.faults import (
    FaultMiddleware,
    FaultPlan,
    RequestLog,
    RequestRecord,
)
from attache.sandbox.common.plugin import SandboxPlugin, StartCancelled
from attache.sandbox.common.shutdown import quiet_cancelled_requests
from attache.sandbox.common.templates import temporary_folder

START_TIMEOUT = 15.0
# A test hook for `attache sandbox`: pause start-up at this step (see SandboxServer's `on_step`),
# say so on stderr, and wait there for SIGTERM or Ctrl-C.
PAUSE_AT_ENV = "ATTACHE_SANDBOX_PAUSE_AT"


class SandboxServer:
    """A local service: `with SandboxServer() as server: httpx.get(server.base_url + "/me", …)`.

    `options` are the plug-in's own (awork: scale, people, seed, blob_backend, upload_url_ttl);
    one it does not take is refused unless it is left at nothing (None, 0, False). The plug-in's
    per-server objects and options read as the server's attributes (`server.oauth`, `server.scale`).
    `on_step(step)` is called at each start-up step ("data_dir", "seeding", …, "serving"), in the
    starting thread: tests use it to stop start-up at a known point.
    """

    def __init__(
        self,
        *,
        service: str = DEFAULT_SERVICE,
        data_dir: Path | str | None = None,
        token: str | None = None,
        faults: FaultPlan | None = None,
        host: str = "127.0.0.1",
        port: int = 0,
        on_step: Callable[[str], None] | None = None,
        **options: Any,
    ) -> None:
        self.plugin = _plugin(service)
        self.options = _plugin_options(self.plugin, options)
        self.plugin.check_options(self.options)
        self.state = self.plugin.new_state(self.options)
        self._data_dir_arg = Path(data_dir) if data_dir is not None else None
        self.data_dir: Path | None = self._data_dir_arg  # the temporary folder once started without one
        self._token = token or secrets.token_urlsafe(24)
        self.host = host
        self._port_arg = port
        self._on_step = on_step
        self.log = RequestLog()
        self._initial_faults = faults
        self._faults: FaultMiddleware | None = None
        self._store: Any = None
        self._server: uvicorn.Server | None = None
        self._thread: threading.Thread | None = None
        self._socket: socket.socket | None = None
        self._temp_dir: Path | None = None
        self._port = 0
        self.seed_seconds = 0.0
        self._lock = threading.Lock()
        self._stop_requested = False  # a plain flag: signal handlers set it
        self._starting: threading.Thread | None = None
        self._idle = threading.Event()
        self._idle.set()

    def __getattr__(self, name: str) -> Any:
        # Only called for names the server has not: the plug-in's state, then its options.
        if name.startswith("_"):
            raise AttributeError(name)
        state = self.__dict__.get("state")
        if state is not None and hasattr(state, name):
            return getattr(state, name)
        options = self.__dict__.get("options", {})
        if name in options:
            return options[name]
        raise AttributeError(f"{type(self).__name__!r} has no attribute {name!r}")

    # ---- lifecycle ----
    def start(self) -> Self:
        with self._lock:
            if self._thread is not None or self._starting is not None:
                return self
            self._starting = threading.current_thread()
            self._idle.clear()
        try:
            self._start()
        except BaseException:
            self._clean_up()
            raise
        finally:
            with self._lock:
                self._starting = None
                self._idle.set()
        return self

    def _start(self) -> None:
        self._step("data_dir")
        data_dir = self._data_dir_arg
        if data_dir is None:
            self._temp_dir = data_dir = temporary_folder(f"attache-{self.plugin.service_id}-sandbox-")
        data_dir.mkdir(parents=True, exist_ok=True)
        self.data_dir = data_dir
        if not (data_dir / self.plugin.data_file).exists():  # a data_dir keeps its data across restarts
            began = time.perf_counter()
            self.plugin.clone_seeded(data_dir, self.options, self._step)
            self.seed_seconds = time.perf_counter() - began
        self._step("opening")
        self._store = self.plugin.open_store(data_dir)
        app = self.plugin.build_app(self._store, self.state, token=self._token, options=self.options)
        self._faults = FaultMiddleware(app, self.log, self.plugin.fault_shapes)
        self._faults.set_plan(self._initial_faults)
        self._serve_in_thread()
        self._step("serving")

    def _step(self, step: str) -> None:
        """A point where start-up may end: after the test hook, if a stop was requested."""
        if self._on_step is not None:
            self._on_step(step)
        if self._stop_requested:
            raise StartCancelled(f"The {self.plugin.name} sandbox was stopped while starting ({step}).")

    def _serve_in_thread(self) -> None:
        # IPPROTO_TCP named explicitly: asyncio sets TCP_NODELAY on accepted connections only when
        # the listening socket says it is TCP; without it each answer waits ~40 ms for a delayed ACK.
        family = socket.AF_INET6 if ":" in self.host else socket.AF_INET
        sock = socket.socket(family, socket.SOCK_STREAM, socket.IPPROTO_TCP)
        self._socket = sock
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        sock.bind((self.host, self._port_arg))
        sock.listen(128)
        self._port = sock.getsockname()[1]
        assert self._faults is not None, "the app is built before it is served"
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
            target=self._server.run,
            kwargs={"sockets": [sock]},
            name=f"{self.plugin.service_id}-sandbox:{self._port}",
            daemon=True,
        )
        self._thread.start()
        self._step("listening")  # once, however fast uvicorn comes up: a test may hold start-up here
        deadline = time.monotonic() + START_TIMEOUT
        while not self._server.started:
            if not self._thread.is_alive() or time.monotonic() > deadline:
                raise RuntimeError(f"The {self.plugin.name} sandbox server did not start.")
            if self._stop_requested:
                raise StartCancelled(f"The {self.plugin.name} sandbox was stopped while starting (listening).")
            time.sleep(0.005)

    def request_stop(self) -> None:
        """Ask a start-up in progress, or `wait_for_stop`, to end; safe in a signal handler."""
        self._stop_requested = True

    @property
    def stop_requested(self) -> bool:
        return self._stop_requested

    def wait_for_stop(self) -> None:
        while not self._stop_requested:
            time.sleep(0.2)

    def stop(self) -> None:
        """Stop serving and remove what start-up made, however far it got. Called while another
        thread is starting, it waits for that start-up to notice (at its next step) and give up."""
        self._stop_requested = True
        starting = self._starting
        if starting is threading.current_thread():
            return  # called from a start-up hook: start() ends at its next step and cleans up
        if starting is not None:
            self._idle.wait(START_TIMEOUT * 4)
        self._clean_up()
        self._stop_requested = False  # stopped: a later start() is a fresh one

    def _clean_up(self) -> None:
        with self._lock:
            server, thread, sock, store, temp_dir = (
                self._server,
                self._thread,
                self._socket,
                self._store,
                self._temp_dir,
            )
            self._server = self._thread = self._socket = self._store = self._temp_dir = None
        if server is not None:
            server.should_exit = True
        if thread is not None:
            with quiet_cancelled_requests():
                thread.join(timeout=START_TIMEOUT)
        if sock is not None:
            sock.close()
        if store is not None:
            store.close()
        if temp_dir is not None:
            shutil.rmtree(temp_dir, ignore_errors=True)

    def __enter__(self) -> Self:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    # ---- addresses ----
    @property
    def service_id(self) -> str:
        return self.plugin.service_id

    @property
    def port(self) -> int:
        return self._port

    @property
    def root_url(self) -> str:
        host = f"[{self.host}]" if ":" in self.host else self.host
        return f"http://{host}:{self._port}"

    @property
    def base_url(self) -> str:
        return self.root_url + self.plugin.api_prefix(self.options)

    @property
    def token(self) -> str:
        return self._token

    @property
    def store(self) -> Any:
        if self._store is None:
            raise RuntimeError("The sandbox is not running.")
        return self._store

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

    def wait_for_requests(self, seen: Callable[[list[RequestRecord]], bool], timeout: float = 30.0) -> bool:
        """True once `seen(requests)` holds, False after `timeout` seconds."""
        return self.log.wait_for(seen, timeout)

    def clear_requests(self) -> None:
        self.log.clear()

    @property
    def in_flight(self) -> int:
        return self.log.in_flight

    @property
    def max_in_flight(self) -> int:
        return self.log.max_in_flight


def _plugin(service_id: str) -> SandboxPlugin:
    plugin: SandboxPlugin = service(service_id).sandbox_plugin()
    return plugin


def _plugin_options(plugin: SandboxPlugin, given: Mapping[str, Any]) -> dict[str, Any]:
    """The plug-in's options with `given` applied; one it does not take is refused, unless it is
    left at nothing (the CLI passes every option, most of them unset)."""
    refused = [
        name for name, value in given.items() if name not in plugin.option_defaults and value not in (None, 0, False)
    ]
    if refused:
        listed = ", ".join(name.replace("_", "-") for name in refused)
        raise InvalidInputError(f"The {plugin.name} sandbox does not take {listed}.")
    return {**plugin.option_defaults, **{k: v for k, v in given.items() if k in plugin.option_defaults}}


def serve_forever(
    *,
    service: str = DEFAULT_SERVICE,
    on_ready: Callable[[SandboxServer], None] | None = None,
    faults_rate: float | None = None,
    until_stdin_closes: bool = False,
    **server_options: Any,
) -> None:
    """Serve until Ctrl-C or SIGTERM (`attache sandbox`), then remove the temporary data.
    `server_options` are SandboxServer's; `faults_rate` is a shortcut for
    `faults=FaultPlan(faults_rate)` (every kind of fault). `until_stdin_closes`: stop as well
    when standard input reaches its end (the window's sandbox, whose stdin is a pipe from it)."""
    if faults_rate:
        server_options["faults"] = FaultPlan(faults_rate)
    pause_at = os.environ.get(PAUSE_AT_ENV)
    if pause_at:
        server_options["on_step"] = _pause_at(pause_at, lambda: server)
    server = SandboxServer(service=service, **server_options)
    _stop_on_signals(server)
    if until_stdin_closes:
        _stop_when_stdin_closes(server)
    try:
        with server:
            (on_ready or _announce)(server)
            server.wait_for_stop()
    except StartCancelled:
        pass  # stopped before it served: everything it made is already removed


def _stop_on_signals(server: SandboxServer) -> None:
    """`kill` (as a script or a benchmark stops the sandbox) and Ctrl-C end it between steps:
    without this the process dies on the spot, or in the middle of seeding, and leaves its
    temporary store, uploads and all, behind."""
    import signal

    def request_stop(signum: int, frame: object) -> None:
        server.request_stop()

    if threading.current_thread() is threading.main_thread():
        signal.signal(signal.SIGTERM, request_stop)
        signal.signal(signal.SIGINT, request_stop)


def _stop_when_stdin_closes(server: SandboxServer) -> None:
    """The window that started this sandbox holds the other end of its stdin: when the window
    ends, however it ends (quit, crash, SIGKILL), the pipe closes and the sandbox stops between
    steps and removes its data, as on SIGTERM."""

    def watch() -> None:
        try:
            while sys.stdin.buffer.read(4096):
                pass
        except (OSError, ValueError):  # no stdin at all: nothing to wait for
            pass
        server.request_stop()

    threading.Thread(target=watch, name="sandbox-stdin", daemon=True).start()


def _pause_at(step: str, server: Callable[[], SandboxServer]) -> Callable[[str], None]:
    paused = False

    def hook(current: str) -> None:
        nonlocal paused
        if current != step or paused:
            return
        paused = True
        print(f"sandbox start-up paused at {step}", file=sys.stderr, flush=True)
        server().wait_for_stop()

    return hook


def _announce(server: SandboxServer) -> None:
    print(f"{server.plugin.name} sandbox at {server.base_url}", flush=True)
    for line in server.plugin.announce(server):
        print(line, flush=True)
    if server.faults:
        kinds = ", ".join(server.faults.kinds)
        print(f"injecting faults into {server.faults.rate:.0%} of requests: {kinds}", flush=True)
    print("Press Ctrl-C to stop.", flush=True)
