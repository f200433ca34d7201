"""Shared plumbing for the upload benchmarks (bench_upload_*.py, bench_parallel_uploads.py).

Not a benchmark itself. It gives each benchmark:

- `Stack`: Azurite (the Azure blob emulator) and the awork sandbox in Azurite mode, each in a
  process of its own, in a temporary folder; everything is killed and removed on exit, on
  Ctrl-C and on SIGTERM (children also get SIGKILL if the benchmark itself dies).
- `Stack.engine_upload`: a fresh Python process that uploads files through `TransferEngine`
  as `attache upload` does (cli_support.upload: only its own jobs, N workers; an AworkBackend
  on the sandbox's URL) and reports when each job passed each checkpoint (begun, first and last
  chunk read, sent, linked), its VmHWM and the CPU it used.
- `Stack.curl_put`: `curl -T FILE -H 'x-ms-blob-type: BlockBlob' <fresh SAS URL>`.
- `CpuMeter`: how much CPU other people's processes took during a run (the machine is shared),
  so a disturbed run can be flagged and repeated; and how much Azurite and the sandbox took.
- `measure`: one run on a fresh Azurite, on a quiet machine, repeated if it was disturbed.

The file doubles as the entry point of those child processes:
`python upload_stack.py sandbox|upload …` (see `_child_main`).
"""

from __future__ import annotations

import argparse
import contextlib
import ctypes
import json
import os
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from dataclasses import dataclass, field
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parents[1]
HERE = Path(__file__).resolve()

# Microsoft's published development account for the storage emulators (not a secret).
AZURITE_ACCOUNT = "devstoreaccount1"
AZURITE_KEY = "Eby8vdM02xNOcqFlqUwJPLlmEtlCDXJ1OUzFT50uSRZ6IFsuFq2UVErCz4I6tq/K1SZFPTOtr/KBHBeksoGMGw=="
CURL_CONTAINER = "bench-curl"
SANDBOX_CONTAINER = "attache-uploads"  # AzuriteBlobs' default

MiB = 1 << 20

# A run during which other processes used more than this many cores (on average) is repeated.
FOREIGN_CPU_LIMIT = 0.25


# ---------------------------------------------------------------------------- small helpers


def azurite_binary() -> str:
    for candidate in (
        os.environ.get("AZURITE_BIN"),
        str(REPO_ROOT / ".tools/azurite/node_modules/.bin/azurite-blob"),
        "/tmp/azurite/node_modules/.bin/azurite-blob",
        shutil.which("azurite-blob"),
    ):
        if candidate and Path(candidate).is_file() and os.access(candidate, os.X_OK):
            return candidate
    raise SystemExit(
        "Azurite is not installed: set AZURITE_BIN, or run `npm install --prefix .tools/azurite azurite@3.37.0`"
    )


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def _die_with_parent() -> None:  # preexec_fn: SIGKILL this child when the benchmark dies
    with contextlib.suppress(Exception):
        ctypes.CDLL("libc.so.6", use_errno=True).prctl(1, signal.SIGKILL)  # PR_SET_PDEATHSIG


def _on_cpus(cpus: set[int] | None, *, die_with_parent: bool = False):
    """A preexec_fn: run the child (and every thread it starts) on these CPUs only."""

    def prepare() -> None:
        if die_with_parent:
            _die_with_parent()
        if cpus:
            os.sched_setaffinity(0, cpus)

    return prepare


def stop_process(process: subprocess.Popen | None, grace: float = 1.0) -> None:
    """SIGTERM, a short grace, then SIGKILL (Azurite's graceful shutdown can take minutes)."""
    if process is None or process.poll() is not None:
        return
    with contextlib.suppress(ProcessLookupError):
        process.terminate()
    try:
        process.wait(timeout=grace)
    except subprocess.TimeoutExpired:
        with contextlib.suppress(ProcessLookupError):
            process.kill()
        process.wait()


def uptime_text() -> str:
    one, five, fifteen = os.getloadavg()
    return f"load {one:.2f}, {five:.2f}, {fifteen:.2f}"


def write_random_file(path: Path, size: int) -> Path:
    """`size` random bytes (incompressible, all distinct), written in 16 MiB blocks."""
    path.parent.mkdir(parents=True, exist_ok=True)
    if path.exists() and path.stat().st_size == size:
        return path
    block = 16 * MiB
    with path.open("wb") as out:
        left = size
        while left > 0:
            out.write(os.urandom(min(block, left)))
            left -= min(block, left)
    return path


def settle_disk() -> None:
    """Let the previous run's written gigabytes reach the disk before the next run starts."""
    os.sync()
    time.sleep(0.5)


def median(values: list[float]) -> float:
    return statistics.median(values) if values else float("nan")


def install_signal_exits() -> None:
    """SIGTERM and SIGHUP unwind like Ctrl-C, so every `finally` and `with` cleans up."""

    def raise_interrupt(signum, frame):
        raise KeyboardInterrupt(f"signal {signum}")

    for sig in (signal.SIGTERM, signal.SIGHUP):
        signal.signal(sig, raise_interrupt)
    # Started in the background of a non-interactive shell, SIGINT arrives ignored: take it back.
    signal.signal(signal.SIGINT, signal.default_int_handler)


# ---------------------------------------------------------------------------- CPU accounting


def children_cpu() -> float:
    """CPU seconds of this process's waited-for children so far."""
    times = os.times()
    return times.children_user + times.children_system


def _clock_ticks() -> int:
    return os.sysconf("SC_CLK_TCK")


def _busy_ticks() -> int:
    """All CPUs' user + nice + system ticks (interrupt time left out: loopback traffic lands there)."""
    with open("/proc/stat") as stat:
        fields = stat.readline().split()
    return int(fields[1]) + int(fields[2]) + int(fields[3])


def _kernel_thread_ticks() -> int:
    """CPU of kernel threads (writeback of the gigabytes we write, kworkers): not other people's."""
    total = 0
    for entry in os.scandir("/proc"):
        if not entry.name.isdigit():
            continue
        try:
            with open(f"/proc/{entry.name}/stat") as stat:
                fields = stat.read().rsplit(")", 1)[1].split()
        except OSError:
            continue
        if fields[1] in ("0", "2") and entry.name != "1":  # kthreadd and its children
            total += int(fields[11]) + int(fields[12])
    return total


def _process_ticks(pid: int) -> int:
    try:
        with open(f"/proc/{pid}/stat") as stat:
            fields = stat.read().rsplit(")", 1)[1].split()
    except (FileNotFoundError, ProcessLookupError):
        return 0
    return int(fields[11]) + int(fields[12])  # utime + stime (all threads)


class CpuMeter:
    """CPU used during a run: by our processes (this one, waited-for children, the long-running
    children given, and kernel threads, which write our data back to disk) and by everything
    else on the machine ("foreign", in cores on average)."""

    def __init__(self, long_running: list[int]) -> None:
        self._pids = long_running

    def __enter__(self) -> CpuMeter:
        self._wall = time.monotonic()
        self._busy = _busy_ticks()
        self._each = {pid: _process_ticks(pid) for pid in self._pids}
        self._ours = self._our_ticks()
        return self

    def _our_ticks(self) -> float:
        own = os.times()
        ticks = (own.user + own.system + own.children_user + own.children_system) * _clock_ticks()
        return ticks + sum(_process_ticks(pid) for pid in self._pids) + _kernel_thread_ticks()

    def __exit__(self, *exc: object) -> None:
        wall = max(1e-9, time.monotonic() - self._wall)
        hz = _clock_ticks()
        self.ours_cores = (self._our_ticks() - self._ours) / hz / wall
        self.total_cores = (_busy_ticks() - self._busy) / hz / wall
        self.foreign_cores = max(0.0, self.total_cores - self.ours_cores)
        self.loadavg = os.getloadavg()[0]
        # CPU seconds of each long-running child (Azurite's is what limits the throughput here)
        self.seconds_of = {pid: (_process_ticks(pid) - ticks) / hz for pid, ticks in self._each.items()}

    @property
    def disturbed(self) -> bool:
        return self.foreign_cores > FOREIGN_CPU_LIMIT


def wait_for_quiet(pids: list[int], *, max_wait: float = 60.0, sample: float = 2.0) -> float:
    """Wait (up to `max_wait` s) until other processes use less than FOREIGN_CPU_LIMIT cores
    over `sample` s; returns the last foreign load seen."""
    deadline = time.monotonic() + max_wait
    while True:
        with CpuMeter(pids) as idle:
            time.sleep(sample)
        if not idle.disturbed or time.monotonic() >= deadline:
            return idle.foreign_cores


def measure(run, *, stack: Stack, repeats: int, label: str, log=print, quiet_wait: float = 300.0, fresh: bool = True):
    """`run()` (which returns something with a `.cpu` CpuMeter), on a fresh Azurite (`fresh`)
    once the machine is quiet; repeated up to `repeats` more times while other processes took
    more than FOREIGN_CPU_LIMIT cores during it. The last attempt is kept, with `.attempts` set.

    Why a fresh Azurite: one Azurite got slower run after run here (from ~175 to ~100 MB/s over
    a dozen 1 GB uploads; deleted blobs stay on its disk until its garbage collection), which
    favours whoever runs first."""
    for attempt in range(repeats + 1):
        if fresh:
            stack.fresh_azurite()
        settle_disk()
        foreign = wait_for_quiet(stack.long_running_pids, max_wait=quiet_wait)
        if foreign > FOREIGN_CPU_LIMIT:
            log(f"    (the machine is still busy after {quiet_wait:.0f} s: others use {foreign:.2f} cores)")
        result = run()
        result.attempts = attempt + 1
        if not result.cpu.disturbed:
            break
        log(
            f"    ({label}: other processes used {result.cpu.foreign_cores:.2f} cores during the run"
            f"{'; repeating' if attempt < repeats else '; kept anyway'})"
        )
    return result


# ---------------------------------------------------------------------------- results


@dataclass
class JobTimes:
    id: int
    size: int
    state: str
    error: str | None
    points: dict[str, float] = field(default_factory=dict)  # step → seconds since the enqueue

    @property
    def put_seconds(self) -> float:
        """From the upload URL being journaled ("begun") to the PUT's 201 being journaled ("sent")."""
        return self.points["sent"] - self.points["begun"]


@dataclass
class EngineRun:
    jobs: list[JobTimes]
    seconds: float  # enqueue → every job finished (what `attache upload` waits for)
    vmhwm_kb: int
    process_seconds: float  # the child process from spawn to exit, imports included
    cpu: CpuMeter | None = None
    attempts: int = 1
    client_cpu: float = 0.0  # CPU seconds (user + system) of the uploading process

    @property
    def total_bytes(self) -> int:
        return sum(job.size for job in self.jobs)

    @property
    def put_window(self) -> float:
        """First PUT start to last PUT end, across jobs."""
        return max(job.points["sent"] for job in self.jobs) - min(job.points["begun"] for job in self.jobs)

    def check(self) -> EngineRun:
        bad = [job for job in self.jobs if job.state != "done"]
        if bad:
            raise RuntimeError(f"engine upload failed: {[(job.id, job.state, job.error) for job in bad]}")
        return self


@dataclass
class CurlRun:
    size: int
    seconds: float  # curl's own time_total (connect + request + answer)
    cpu: CpuMeter | None = None
    attempts: int = 1
    client_cpu: float = 0.0  # CPU seconds (user + system) of the curl processes


# ---------------------------------------------------------------------------- the stack


class Stack:
    """Azurite + the awork sandbox (Azurite mode), each in its own process, in a temp folder."""

    def __init__(
        self, *, tmp_base: str | None = None, keep_blobs: bool = False, link: str = "copy", pin: bool = False
    ) -> None:
        """`link="copy"`: the sandbox links as it always does, copying the blob back from Azurite
        (sandbox work on this machine, not client work). `link="head"`: it only asks Azurite for
        the blob's size and stores no bytes, as a real server's cheap link call would cost the
        client nothing; for measuring the client alone.

        `pin`: Azurite and the sandbox run on CPU 0, the uploading process (engine or curl) on
        CPU 1, so that where the scheduler puts them does not change the result. Azurite's
        single JavaScript thread is the bottleneck; its CPU cost per GB is about 3 s pinned,
        4-5 s unpinned, and in an occasional run (pinned or not, with nothing else visible on
        the machine) 8-14 s: the medians are there for those."""
        self.tmp_base = tmp_base
        self.keep_blobs = keep_blobs
        self.link = link
        cpus = sorted(os.sched_getaffinity(0))
        if pin and len(cpus) < 2:
            raise SystemExit("--pin needs at least 2 CPUs")
        self.server_cpus = {cpus[0]} if pin else None
        self.client_cpus = {cpus[1]} if pin else None
        self.root: Path | None = None
        self.azurite: subprocess.Popen | None = None
        self.sandbox: subprocess.Popen | None = None
        self.endpoint = ""
        self.base_url = ""
        self.token = ""
        self.task_id = ""

    # -- lifecycle --

    def __enter__(self) -> Stack:
        try:
            self.root = Path(tempfile.mkdtemp(prefix="attache-bench-", dir=self.tmp_base))
            self._start_azurite()
            self._start_sandbox()
            self._create_containers()
            self.task_id = self._first_task()
            # The sandbox's first upload imports the Azure SDK and more: keep that out of the runs.
            self.engine_upload([write_random_file(self.path("data", "warm-up.bin"), MiB)], workers=1)
        except BaseException:
            self.close()
            raise
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def close(self) -> None:
        if self.sandbox is not None and self.sandbox.stdin:
            with contextlib.suppress(OSError):
                self.sandbox.stdin.close()  # the sandbox host exits when its stdin closes
            with contextlib.suppress(subprocess.TimeoutExpired):
                self.sandbox.wait(timeout=5)
        stop_process(self.sandbox, grace=2.0)
        stop_process(self.azurite, grace=1.0)
        self.sandbox = self.azurite = None
        if self.root is not None:
            shutil.rmtree(self.root, ignore_errors=True)
            self.root = None

    @property
    def long_running_pids(self) -> list[int]:
        return [p.pid for p in (self.azurite, self.sandbox) if p is not None and p.poll() is None]

    def path(self, *parts: str) -> Path:
        assert self.root is not None
        return self.root.joinpath(*parts)

    def fresh_azurite(self) -> None:
        """Replace Azurite by a new, empty one on the same port (the sandbox keeps its endpoint),
        with the containers re-created and one small untimed PUT to warm it up."""
        stop_process(self.azurite, grace=0.5)
        self.azurite = None
        shutil.rmtree(self.path("azurite"), ignore_errors=True)
        port = int(self.endpoint.rsplit(":", 1)[1].split("/", 1)[0])
        for attempt in range(20):
            try:
                self._start_azurite(port)
                break
            except RuntimeError:  # the port is not free again yet
                shutil.rmtree(self.path("azurite"), ignore_errors=True)
                if attempt == 19:
                    raise
                time.sleep(0.25)
        self._create_containers()
        self._warm_up()

    def _warm_up(self) -> None:
        import httpx

        url = self.sas_url(f"warm-{uuid.uuid4().hex}")
        answer = httpx.put(url, content=os.urandom(4 * MiB), headers={"x-ms-blob-type": "BlockBlob"}, timeout=60)
        answer.raise_for_status()
        self._delete_curl_blob(url)

    def _start_azurite(self, port: int | None = None) -> None:
        port = port or free_port()
        location = self.path("azurite")
        location.mkdir()
        self.azurite = subprocess.Popen(
            [
                azurite_binary(),
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
            preexec_fn=_on_cpus(self.server_cpus, die_with_parent=True),
        )
        deadline = time.monotonic() + 30
        while True:
            if self.azurite.poll() is not None:
                raise RuntimeError(f"azurite-blob exited with status {self.azurite.returncode}")
            try:
                with socket.create_connection(("127.0.0.1", port), timeout=0.5):
                    break
            except OSError:
                if time.monotonic() > deadline:
                    raise RuntimeError("azurite-blob did not start listening") from None
                time.sleep(0.05)
        self.endpoint = f"http://127.0.0.1:{port}/{AZURITE_ACCOUNT}"

    def _start_sandbox(self) -> None:
        self.sandbox = subprocess.Popen(
            [
                sys.executable,
                str(HERE),
                "sandbox",
                "--endpoint",
                self.endpoint,
                "--data",
                str(self.path("sandbox")),
                "--link",
                self.link,
                *(["--keep-blobs"] if self.keep_blobs else []),
            ],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            text=True,
            cwd=REPO_ROOT,
            preexec_fn=_on_cpus(self.server_cpus, die_with_parent=True),
        )
        line = self.sandbox.stdout.readline()  # type: ignore[union-attr]
        if not line:
            raise RuntimeError("the sandbox host did not start")
        ready = json.loads(line)
        self.base_url, self.token = ready["base_url"], ready["token"]

    def _create_containers(self) -> None:
        from azure.core.exceptions import ResourceExistsError
        from azure.storage.blob import BlobServiceClient

        credential = {"account_name": AZURITE_ACCOUNT, "account_key": AZURITE_KEY}
        with BlobServiceClient(account_url=self.endpoint, credential=credential) as service:
            for container in (CURL_CONTAINER, SANDBOX_CONTAINER):
                with contextlib.suppress(ResourceExistsError):
                    service.create_container(container)

    def _first_task(self) -> str:
        import httpx

        answer = httpx.get(
            f"{self.base_url}/me/allavailabletasks",
            params={"pageSize": 1},
            headers={"Authorization": f"Bearer {self.token}"},
            timeout=30,
        )
        answer.raise_for_status()
        return answer.json()[0]["id"]

    # -- curl --

    def sas_url(self, blob_name: str, *, read: bool = False) -> str:
        from datetime import UTC, datetime, timedelta

        from azure.storage.blob import BlobSasPermissions, generate_blob_sas

        sas = generate_blob_sas(
            account_name=AZURITE_ACCOUNT,
            container_name=CURL_CONTAINER,
            blob_name=blob_name,
            account_key=AZURITE_KEY,
            permission=BlobSasPermissions(create=True, write=True, read=read, delete=True),
            expiry=datetime.now(UTC) + timedelta(hours=2),
        )
        return f"{self.endpoint}/{CURL_CONTAINER}/{blob_name}?{sas}"

    def curl_put(self, *sources: Path) -> CurlRun:
        """`curl -T` of each source in turn, each to a fresh SAS URL (each blob is deleted after
        the timing); `seconds` is the sum of curl's own time_total."""
        urls, seconds, size = [], 0.0, 0
        before = children_cpu()
        with CpuMeter(self.long_running_pids) as cpu:
            for source in sources:
                url = self.sas_url(f"curl-{uuid.uuid4().hex}")
                done = subprocess.run(
                    [
                        "curl",
                        "-sS",
                        "-o",
                        "/dev/null",
                        "-w",
                        "%{http_code} %{time_total} %{size_upload}",
                        "-T",
                        str(source),
                        "-H",
                        "x-ms-blob-type: BlockBlob",
                        url,
                    ],
                    capture_output=True,
                    text=True,
                    timeout=3600,
                    preexec_fn=_on_cpus(self.client_cpus),
                )
                code, took, uploaded = [*done.stdout.split(), "?", "0", "0"][:3]
                if done.returncode != 0 or code != "201" or int(float(uploaded)) != source.stat().st_size:
                    raise RuntimeError(
                        f"curl failed: rc={done.returncode} http={code} sent={uploaded} {done.stderr.strip()}"
                    )
                urls.append(url)
                seconds += float(took)
                size += source.stat().st_size
        client_cpu = children_cpu() - before
        for url in urls:
            self._delete_curl_blob(url)
        return CurlRun(size, seconds, cpu, client_cpu=client_cpu)

    def _delete_curl_blob(self, url: str) -> None:
        subprocess.run(["curl", "-sS", "-o", "/dev/null", "-X", "DELETE", url], timeout=60, check=False)

    # -- the engine --

    def engine_upload(self, sources: list[Path], *, workers: int = 4, attache_src: str | None = None) -> EngineRun:
        """Upload `sources` to the task in a fresh process through TransferEngine.

        `attache_src`: a folder holding another `attache` package (a scratch copy with a change
        to try) that the upload process imports instead of the installed one."""
        home = self.path("home", uuid.uuid4().hex[:8])
        env = dict(os.environ, ATTACHE_HOME=str(home), ATTACHE_TOKEN=self.token)
        if attache_src:
            env["PYTHONPATH"] = os.pathsep.join(filter(None, [attache_src, env.get("PYTHONPATH")]))
        command = [
            sys.executable,
            str(HERE),
            "upload",
            "--url",
            self.base_url,
            "--task",
            self.task_id,
            "--workers",
            str(workers),
            *map(str, sources),
        ]
        started = time.monotonic()
        before = children_cpu()
        with CpuMeter(self.long_running_pids) as cpu:
            done = subprocess.run(
                command,
                env=env,
                capture_output=True,
                text=True,
                cwd=REPO_ROOT,
                timeout=7200,
                preexec_fn=_on_cpus(self.client_cpus),
            )
        process_seconds = time.monotonic() - started
        client_cpu = children_cpu() - before
        shutil.rmtree(home, ignore_errors=True)
        if done.returncode != 0:
            raise RuntimeError(f"the upload process failed ({done.returncode}):\n{done.stderr[-3000:]}")
        report = json.loads(next(line for line in reversed(done.stdout.splitlines()) if line.startswith("{")))
        if attache_src and not report["attache"].startswith(str(Path(attache_src).resolve())):
            raise RuntimeError(f"the upload process imported {report['attache']}, not the copy in {attache_src}")
        jobs = [JobTimes(**job) for job in report["jobs"]]
        return EngineRun(
            jobs, report["seconds"], report["vmhwm_kb"], process_seconds, cpu, client_cpu=client_cpu
        ).check()


# ---------------------------------------------------------------------------- child processes


def _serve_sandbox(args: argparse.Namespace) -> int:
    """Host the awork sandbox with Azurite as its blob storage until stdin closes."""
    install_signal_exits()
    from attache.sandbox import SandboxServer
    from attache.sandbox.awork.blobs import AzuriteBlobs

    blobs = AzuriteBlobs(args.endpoint, AZURITE_ACCOUNT, AZURITE_KEY)
    try:
        with SandboxServer(blob_backend=blobs, data_dir=args.data) as server:
            if args.link == "head":
                _link_without_copy(server)
            elif not args.keep_blobs:
                _drop_linked_blobs(server)
            print(json.dumps({"base_url": server.base_url, "token": server.token}), flush=True)
            sys.stdin.read()
    except KeyboardInterrupt:  # the benchmark is stopping it: its folder goes with the benchmark's
        pass
    return 0


def _drop_linked_blobs(server) -> None:
    """Each linked 1 GB file would stay in the sandbox's store: empty it once fetched (the
    benchmark never downloads it), so repeated runs do not fill the disk."""
    blobs = server.blobs
    fetch = blobs.fetch

    async def fetch_then_forget(upload_id, row):
        fetched = await fetch(upload_id, row)
        if fetched is not None:
            with contextlib.suppress(OSError):
                os.truncate(server.store.blob_path(fetched.blob_id), 0)
        return fetched

    blobs.fetch = fetch_then_forget


def _link_without_copy(server) -> None:
    """Benchmark-only link: HEAD the blob in Azurite for its size, keep an empty blob in the
    store and delete the Azurite blob, instead of streaming all of it back into the store."""
    from datetime import UTC, datetime, timedelta

    import httpx

    from attache.sandbox.awork.blobs import FetchedBlob

    blobs = server.blobs

    async def fetch_size_only(upload_id, row):
        expires = datetime.now(UTC) + timedelta(minutes=15)
        url = f"{blobs.blob_url(upload_id)}?{blobs._sas(upload_id, expires, read=True, delete=True)}"
        async with httpx.AsyncClient(timeout=30.0) as client:
            head = await client.head(url)
            if head.status_code == 404:
                return None
            head.raise_for_status()
            incoming = server.store.incoming_path("bench-")
            incoming.write_bytes(b"")
            blob_id = server.store.adopt_blob(incoming)
            await client.delete(url)
        return FetchedBlob(blob_id, int(head.headers["content-length"]), head.headers.get("content-type"))

    blobs.fetch = fetch_size_only


def _upload(args: argparse.Namespace) -> int:
    """Upload files through the engine as `attache upload` does; print a JSON report."""
    from attache.backends.awork import AworkBackend
    from attache.core.accounts import AccountRef
    from attache.core.models import EntityKind, EntityRef
    from attache.transfers import Journal, TransferEngine

    points: dict[int, dict[str, float]] = {}
    t0 = 0.0

    def checkpoint(point: str, job) -> None:
        seen = points.setdefault(job.id, {})
        now = time.perf_counter() - t0
        if point == "sending":  # once per chunk: keep the first and the last
            seen.setdefault("sending", now)
            seen["sending_last"] = now
        elif point not in seen:
            seen[point] = now

    token = os.environ["ATTACHE_TOKEN"]
    account = AccountRef("awork", args.url)
    target = EntityRef(EntityKind.TASK, args.task)

    def backend_for(ref):
        backend = AworkBackend(ref.account, token=token, account="bench")
        # bench_upload_throughput.py --parallel-blocks / --block-checksums
        if os.environ.get("ATTACHE_BENCH_PARALLEL_BLOCKS"):
            backend.parallel_blocks = int(os.environ["ATTACHE_BENCH_PARALLEL_BLOCKS"])
        backend.block_checksums = os.environ.get("ATTACHE_BENCH_BLOCK_CHECKSUMS") == "1"
        return backend

    with Journal() as journal:
        engine = TransferEngine(
            journal,
            backend_for,
            workers=args.workers,
            only_own_jobs=True,
            checkpoint=checkpoint,
        )
        t0 = time.perf_counter()
        ids = engine.enqueue(account, target, args.paths)
        with engine:
            engine.wait(ids)
        seconds = time.perf_counter() - t0
        jobs = journal.jobs(ids=ids)
    with open("/proc/self/status") as status:
        vmhwm = int(next(line for line in status if line.startswith("VmHWM:")).split()[1])
    import attache

    report = {
        "attache": str(Path(attache.__file__).parent),
        "seconds": seconds,
        "vmhwm_kb": vmhwm,
        "jobs": [
            {
                "id": job.id,
                "size": job.size,
                "state": job.state.value,
                "error": job.last_error,
                "points": points.get(job.id, {}),
            }
            for job in jobs
        ],
    }
    print(json.dumps(report), flush=True)
    return 0


def _child_main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(prog="upload_stack.py")
    commands = parser.add_subparsers(dest="command", required=True)
    sandbox = commands.add_parser("sandbox")
    sandbox.add_argument("--endpoint", required=True)
    sandbox.add_argument("--data", type=Path, required=True)
    sandbox.add_argument("--keep-blobs", action="store_true")
    sandbox.add_argument("--link", choices=("copy", "head"), default="copy")
    upload = commands.add_parser("upload")
    upload.add_argument("--url", required=True)
    upload.add_argument("--task", required=True)
    upload.add_argument("--workers", type=int, default=4)
    upload.add_argument("paths", nargs="+", type=Path)
    args = parser.parse_args(argv)
    return _serve_sandbox(args) if args.command == "sandbox" else _upload(args)


if __name__ == "__main__":
    raise SystemExit(_child_main(sys.argv[1:]))
