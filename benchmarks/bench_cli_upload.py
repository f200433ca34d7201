"""The whole `attache upload` of one large file to a task on the built-in awork sandbox, versus
curl's PUT of the same file to a blob URL from the same sandbox.

    uv run python benchmarks/bench_cli_upload.py                            # 1 GB, 3 runs each (README)
    uv run python benchmarks/bench_cli_upload.py --size-mb 200 --runs 3     # quick check
    uv run python benchmarks/bench_cli_upload.py --parallel-blocks 1        # blocks one at a time
    uv run python benchmarks/bench_cli_upload.py --block-checksums          # each block with its MD5

Target: attache's time ≤ curl's / 0.95 (a ratio of curl's time to attache's ≥ 0.95); the client's
CPU per GB and its peak RSS (< 120 MB) are printed with it.

Each run of either contender gets a fresh sandbox (`attache sandbox --service awork --token T
--port 0`, its own temporary store, started and stopped outside the timing), then:
- attache: `ATTACHE_TOKEN=T attache upload --url URL TASK FILE` in a fresh ATTACHE_HOME, timed
  from spawn to exit: Python's start-up and imports, the upload URL, the blocks (above 8 MiB the
  file goes in 8 MiB blocks, 4 at a time), the commit, the link, the journal. CPU seconds and
  peak RSS are the process's own (from /usr/bin/time). Its bytecode is cached, as an installed
  app's is (an untimed warm-up upload writes the cache; PYTHONDONTWRITEBYTECODE, which this
  machine's environment sets, is dropped for it unless --compile-each-start).
- curl: an upload URL asked from the sandbox first (untimed), then `curl -sS -T FILE -H
  'x-ms-blob-type: BlockBlob' URL` (one Put Blob), timed the same way.
The runs alternate, and which contender goes first alternates too. Before each run: `sync`, and
a wait (up to --quiet-wait s) for other processes to use less than 0.25 core; the load of other
processes during each run is printed with it (the machine is shared). The sandbox's own CPU
seconds per GB are printed too: it is on the same 2 cores and does its own work per byte. As
Azure does, it takes the MD5 of every byte of a Put Blob (curl's), and of a block only when the
block carries a Content-MD5 to check (`--block-checksums`: then both sides cost the sandbox the
same); it commits a block list without copying its bytes.

The file (random bytes) is made once in a temporary folder; both contenders read it from the page
cache. Sizes are binary: 1 MB = 2^20 bytes; MB/s is 2^20 bytes per second.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time
import uuid
from dataclasses import dataclass
from pathlib import Path

from upload_stack import (
    FOREIGN_CPU_LIMIT,
    CpuMeter,
    MiB,
    _process_ticks,
    install_signal_exits,
    median,
    settle_disk,
    uptime_text,
    wait_for_quiet,
    write_random_file,
)

REPO_ROOT = Path(__file__).resolve().parents[1]
TARGET_RATIO = 0.95


@dataclass
class Run:
    label: str
    seconds: float
    cpu_seconds: float  # the client process's user + system
    maxrss_kb: int
    sandbox_cpu: float  # the sandbox's CPU seconds during the run
    foreign_cores: float
    load: str


class Sandbox:
    """`attache sandbox --service awork` in a process of its own, with a temporary store."""

    def __init__(self, token: str) -> None:
        self.token = token
        self.process = subprocess.Popen(
            [sys.executable, "-m", "attache", "sandbox", "--service", "awork", "--port", "0", "--token", token],
            stdout=subprocess.PIPE,
            stderr=subprocess.DEVNULL,
            stdin=subprocess.DEVNULL,
            text=True,
            cwd=REPO_ROOT,
        )
        line = self.process.stdout.readline()  # type: ignore[union-attr]  # "awork sandbox at URL"
        if " at " not in line:
            self.stop()
            raise RuntimeError(f"the sandbox did not start: {line!r}")
        self.url = line.rsplit(" at ", 1)[1].strip()
        self.task = self._api("GET", "me/allavailabletasks", params={"pageSize": 1})[0]["id"]

    def _api(self, method: str, path: str, **kwargs):  # type: ignore[no-untyped-def]
        import httpx

        answer = httpx.request(
            method, f"{self.url}/{path}", headers={"Authorization": f"Bearer {self.token}"}, timeout=30, **kwargs
        )
        answer.raise_for_status()
        return answer.json()

    def upload_url(self) -> str:
        answer = self._api("POST", "files/generateuploadurl")
        fields = {key.lower(): value for key, value in answer.items()}
        return str(fields["uploadurl"])

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)  # it removes its temporary store on the way out
            try:
                self.process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()


def timed(command: list[str], *, env: dict[str, str] | None = None) -> tuple[float, float, int, str]:
    """(wall seconds, CPU seconds, peak RSS in KiB, stdout) of one child, spawn to exit.

    The child runs under /usr/bin/time, which reports its CPU and ru_maxrss: Linux carries
    ru_maxrss across exec, so a child forked from this (bigger) process would report this
    process's memory; forked from `time` it reports its own."""
    with tempfile.TemporaryFile("w+") as out, tempfile.NamedTemporaryFile("r") as usage:
        started = time.perf_counter()
        child = subprocess.run(
            ["/usr/bin/time", "-f", "%M %U %S", "-o", usage.name, *command],
            env=env,
            stdout=out,
            stderr=subprocess.STDOUT,
            cwd=REPO_ROOT,
            check=False,
        )
        seconds = time.perf_counter() - started
        out.seek(0)
        text = out.read()
        fields = usage.read().split()
    if child.returncode != 0:
        raise RuntimeError(f"{command[0]} failed ({child.returncode}): {text[-2000:]}")
    maxrss, user, system = int(fields[-3]), float(fields[-2]), float(fields[-1])
    return seconds, user + system, maxrss, text


def run_attache(source: Path, tmp: Path, args: argparse.Namespace) -> Run:
    return _on_fresh_sandbox("attache", tmp, args, lambda sandbox: _attache(sandbox, source, tmp, args))


def run_curl(source: Path, tmp: Path, args: argparse.Namespace) -> Run:
    return _on_fresh_sandbox("curl", tmp, args, lambda sandbox: _curl(sandbox, source))


def _attache(sandbox: Sandbox, source: Path, tmp: Path, args: argparse.Namespace) -> tuple[float, float, int]:
    home = tmp / f"home-{uuid.uuid4().hex[:8]}"
    env = dict(os.environ, ATTACHE_HOME=str(home), ATTACHE_TOKEN=sandbox.token)
    if not args.compile_each_start:
        env.pop("PYTHONDONTWRITEBYTECODE", None)  # an installed app has its bytecode cached
    if args.parallel_blocks is not None:
        env["ATTACHE_BENCH_PARALLEL_BLOCKS"] = str(args.parallel_blocks)
    if args.block_checksums:
        env["ATTACHE_BENCH_BLOCK_CHECKSUMS"] = "1"
    if args.parallel_blocks is not None or args.block_checksums:  # the child applies them
        command = [sys.executable, str(Path(__file__).with_name("cli_upload_child.py"))]
    else:
        command = [str(Path(sys.executable).with_name("attache"))]
    command += ["upload", "--url", sandbox.url, sandbox.task, str(source)]
    try:
        seconds, cpu, rss, _out = timed(command, env=env)
    finally:
        shutil.rmtree(home, ignore_errors=True)
    return seconds, cpu, rss


def _small(tmp: Path) -> Path:
    path = tmp / "small.bin"
    path.write_bytes(os.urandom(1000))
    return path


def _curl(sandbox: Sandbox, source: Path) -> tuple[float, float, int]:
    url = sandbox.upload_url()
    command = ["curl", "-sS", "-o", "/dev/null", "-w", "%{http_code}", "-T", str(source)]
    seconds, cpu, rss, out = timed([*command, "-H", "x-ms-blob-type: BlockBlob", url])
    if out.strip() != "201":
        raise RuntimeError(f"curl's PUT was answered {out.strip()!r}")
    return seconds, cpu, rss


def _on_fresh_sandbox(label: str, tmp: Path, args: argparse.Namespace, contender) -> Run:  # type: ignore[no-untyped-def]
    sandbox = Sandbox(f"bench-{uuid.uuid4().hex[:12]}")
    try:
        settle_disk()
        foreign = wait_for_quiet([sandbox.process.pid], max_wait=args.quiet_wait)
        if foreign > FOREIGN_CPU_LIMIT:
            print(f"    (the machine is still busy after {args.quiet_wait:.0f} s: others use {foreign:.2f} cores)")
        before = _process_ticks(sandbox.process.pid)
        with CpuMeter([sandbox.process.pid]) as meter:
            seconds, cpu, rss = contender(sandbox)
        sandbox_cpu = (_process_ticks(sandbox.process.pid) - before) / os.sysconf("SC_CLK_TCK")
    finally:
        sandbox.stop()
    return Run(label, seconds, cpu, rss, sandbox_cpu, meter.foreign_cores, uptime_text())


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--size-mb", type=int, default=1024, help="file size in MiB (default 1024 = 1 GB)")
    parser.add_argument("--runs", type=int, default=3, help="runs of each contender (default 3)")
    parser.add_argument("--quiet-wait", type=float, default=120, help="wait up to this long for a quiet machine")
    parser.add_argument(
        "--parallel-blocks", type=int, help="blocks in flight at once (default: the backend's own, PARALLEL_BLOCKS)"
    )
    parser.add_argument(
        "--block-checksums",
        action="store_true",
        help="each block carries its Content-MD5 (the sandbox then hashes every byte, as for curl's Put Blob)",
    )
    parser.add_argument(
        "--compile-each-start",
        action="store_true",
        help="keep PYTHONDONTWRITEBYTECODE from the environment (every module compiled at each start)",
    )
    parser.add_argument("--tmp-dir", help="where the temporary folder goes (default: the system's)")
    parser.add_argument("--json", help="also write every run's numbers here")
    args = parser.parse_args()
    install_signal_exits()
    size = args.size_mb * MiB
    gib = size / (1024 * MiB)
    tmp = Path(tempfile.mkdtemp(prefix="attache-cli-bench-", dir=args.tmp_dir))
    runs: dict[str, list[Run]] = {"attache": [], "curl": []}
    print(f"# {args.size_mb} MiB, {args.runs} alternating runs; machine at start: {uptime_text()}", flush=True)
    try:
        source = write_random_file(tmp / "one.bin", size)
        # One untimed upload of a small file first: the bytecode cache is written, the disk warm.
        _on_fresh_sandbox("warm-up", tmp, args, lambda sandbox: _attache(sandbox, _small(tmp), tmp, args))
        for index in range(args.runs):
            order = (run_attache, run_curl) if index % 2 == 0 else (run_curl, run_attache)
            for contender in order:
                run = contender(source, tmp, args)
                runs[run.label].append(run)
                print(
                    f"  run {index + 1} {run.label:7} {run.seconds:6.2f} s  {size / run.seconds / MiB:6.1f} MB/s  "
                    f"CPU {run.cpu_seconds / gib:.2f} s/GB  peak RSS {run.maxrss_kb / 1024:.0f} MB  "
                    f"sandbox CPU {run.sandbox_cpu / gib:.2f} s/GB  others {run.foreign_cores:.2f} cores  "
                    f"{run.load}",
                    flush=True,
                )
    except KeyboardInterrupt:
        print("interrupted", file=sys.stderr)
        return 130
    finally:
        shutil.rmtree(tmp, ignore_errors=True)

    ours, theirs = runs["attache"], runs["curl"]
    ratio = median([run.seconds for run in theirs]) / median([run.seconds for run in ours])
    paired = median([c.seconds / a.seconds for a, c in zip(ours, theirs, strict=True)])
    print()
    print(
        f"attache upload: median {median([r.seconds for r in ours]):.2f} s "
        f"({', '.join(f'{r.seconds:.2f}' for r in ours)}); curl: median {median([r.seconds for r in theirs]):.2f} s "
        f"({', '.join(f'{r.seconds:.2f}' for r in theirs)})"
    )
    print(
        f"ratio (curl's time / attache's): {ratio:.2f} (paired runs: {paired:.2f}); target ≥ {TARGET_RATIO}: "
        f"{'met' if ratio >= TARGET_RATIO else 'NOT met'}"
    )

    def cpu(runs: list[Run], attribute: str) -> str:
        return f"{median([getattr(r, attribute) for r in runs]) / gib:.2f}"

    print(
        f"attache CPU {cpu(ours, 'cpu_seconds')} s/GB (curl {cpu(theirs, 'cpu_seconds')}); "
        f"peak RSS {max(r.maxrss_kb for r in ours) / 1024:.0f} MB; "
        f"sandbox CPU {cpu(ours, 'sandbox_cpu')} vs {cpu(theirs, 'sandbox_cpu')} s/GB; "
        f"others ≤ {max(r.foreign_cores for r in ours + theirs):.2f} cores; at the end {uptime_text()}"
    )
    if args.json:
        with open(args.json, "w") as out:
            json.dump({"size": size, "runs": {k: [vars(r) for r in v] for k, v in runs.items()}}, out, indent=2)
    return 0


if __name__ == "__main__":
    with contextlib.suppress(BrokenPipeError):
        raise SystemExit(main())
