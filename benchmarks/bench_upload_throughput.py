"""One large file to Azurite's blob endpoint: the transfer engine versus `curl -T`.

    uv run python benchmarks/bench_upload_throughput.py                      # 1 GB, 5 runs each (README)
    uv run python benchmarks/bench_upload_throughput.py --size-mb 200 --runs 2   # quick check
    uv run python benchmarks/bench_upload_throughput.py --attache-src /tmp/try  # a scratch copy's engine

    uv run python benchmarks/bench_upload_throughput.py --block-checksums    # each block with its Content-MD5

Targets: the engine reaches at least 0.95 × curl's median throughput (issue 3, one stream); with
awork's blocks in parallel (a 1 GB file goes in 8 MiB blocks, 4 at a time), 1.3 × (the blocks
issue). Azurite caps Put Block, for any client: it computes a CRC64 of every staged block in
JavaScript on its one thread unless the request carries a Content-MD5 (then it checks the MD5
natively) — ~24 Azurite CPU-s per GB against ~6 for a Put Blob, in any persistence mode
(--inMemoryPersistence, --loose change nothing). `--block-checksums` sends the MD5, to show what
the blocks do against Azurite without that cap.

Set-up (upload_stack.py): Azurite and the awork sandbox in Azurite mode, each in its own
process; one file of random bytes generated once in a temporary folder on the same disk (both
contenders read it from the page cache). The runs alternate engine/curl, and which of the two
goes first. Before each run: a fresh, empty Azurite (it slows down as blobs pile up), `sync`,
and a wait for the machine to be quiet; a run during which other processes took more than
0.25 core is repeated (see CpuMeter).

- engine: a fresh process uploads the file to a task exactly as `attache upload` does
  (TransferEngine, one job: generateuploadurl → PUT to the Azurite SAS URL → byuploadid).
  * PUT phase (primary): from the job's "begun" checkpoint (upload URL journaled) to its
    "sent" checkpoint (Azurite's 201 journaled): opening the file, the streamed PUT with sha256
    and progress, the journal write; comparable to curl's time_total.
  * end to end (secondary): enqueue → job done, including the link. The sandbox's link copies
    the whole blob back out of Azurite into its store: sandbox work on the same 2 cores, not
    client work (a real awork links in milliseconds), so this ratio understates the client.
- curl: `curl -T FILE -H 'x-ms-blob-type: BlockBlob' <fresh SAS URL>` (generate_blob_sas),
  timed by curl's own time_total.

Also printed per run: the CPU seconds the client process used (the engine's include Python's
start-up, ~0.4 s) and Azurite used. Azurite's single JavaScript thread is the bottleneck here
(busy ~100 % during a PUT), so its CPU seconds per GB explain most of the spread between runs.

Sizes are binary: 1 MB = 2^20 bytes, and MB/s is 2^20 bytes per second.
"""

from __future__ import annotations

import argparse
import json
import os
import sys

from upload_stack import (
    FOREIGN_CPU_LIMIT,
    MiB,
    Stack,
    install_signal_exits,
    measure,
    median,
    uptime_text,
    write_random_file,
)

TARGET_RATIO = 1.3  # blocks in parallel vs curl's one Put Blob


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--size-mb", type=int, default=1024, help="file size in MiB (default 1024 = 1 GB)")
    parser.add_argument("--runs", type=int, default=5, help="runs of each contender (default 5)")
    parser.add_argument(
        "--repeats",
        type=int,
        default=2,
        help=f"repeat a run up to N times when other processes took > {FOREIGN_CPU_LIMIT} core",
    )
    parser.add_argument(
        "--quiet-wait",
        type=float,
        default=300,
        help="before each run, wait up to this many seconds for other processes to go quiet",
    )
    parser.add_argument(
        "--attache-src",
        metavar="DIR",
        help="run the engine from the attache package in DIR (a scratch copy with a change to try)",
    )
    parser.add_argument(
        "--pin", action="store_true", help="Azurite and the sandbox on CPU 0, the uploader on CPU 1: steadier numbers"
    )
    parser.add_argument("--parallel-blocks", type=int, help="awork blocks in flight (default: the backend's, 4)")
    parser.add_argument("--block-checksums", action="store_true", help="send each block's Content-MD5")
    parser.add_argument("--tmp-dir", help="where the temporary folder goes (default: the system's)")
    parser.add_argument("--json", help="also write every run's numbers here")
    args = parser.parse_args()
    install_signal_exits()
    if args.parallel_blocks:
        os.environ["ATTACHE_BENCH_PARALLEL_BLOCKS"] = str(args.parallel_blocks)  # read by the upload child
    if args.block_checksums:
        os.environ["ATTACHE_BENCH_BLOCK_CHECKSUMS"] = "1"

    size = args.size_mb * MiB
    gib = size / (1024 * MiB)
    engine_runs, curl_runs = [], []
    print(f"# {args.size_mb} MiB, {args.runs} alternating runs; machine at start: {uptime_text()}", flush=True)
    try:
        with Stack(tmp_base=args.tmp_dir, pin=args.pin) as stack:
            source = write_random_file(stack.path("data", "one.bin"), size)

            def cpu_per_gb(run, process) -> float:
                return run.cpu.seconds_of.get(process.pid, float("nan")) / gib

            def engine():
                run = measure(
                    lambda: stack.engine_upload([source], workers=1, attache_src=args.attache_src),
                    stack=stack,
                    repeats=args.repeats,
                    label="engine",
                    quiet_wait=args.quiet_wait,
                )
                run.azurite_cpu, run.sandbox_cpu = cpu_per_gb(run, stack.azurite), cpu_per_gb(run, stack.sandbox)
                engine_runs.append(run)
                job = job_of(run)
                body = job.points["sending_last"] - job.points["sending"]
                print(
                    f"  engine  PUT {size / job.put_seconds / MiB:6.1f} MB/s  end to end "
                    f"{size / run.seconds / MiB:5.1f} MB/s  (body read and written {body:.2f} s, then "
                    f"{job.points['sent'] - job.points['sending_last']:.2f} s to Azurite's 201; link "
                    f"{job.points['linked'] - job.points['sent']:.1f} s; CPU s/GB: client {run.client_cpu / gib:.2f},"
                    f" Azurite {run.azurite_cpu:.2f}, sandbox {run.sandbox_cpu:.2f}; VmHWM "
                    f"{run.vmhwm_kb / 1024:.0f} MB; others {run.cpu.foreign_cores:.2f} cores; {uptime_text()})",
                    flush=True,
                )

            def curl():
                run = measure(
                    lambda: stack.curl_put(source),
                    stack=stack,
                    repeats=args.repeats,
                    label="curl",
                    quiet_wait=args.quiet_wait,
                )
                run.azurite_cpu = cpu_per_gb(run, stack.azurite)
                curl_runs.append(run)
                print(
                    f"  curl    PUT {size / run.seconds / MiB:6.1f} MB/s  (CPU s/GB: client "
                    f"{run.client_cpu / gib:.2f}, Azurite {run.azurite_cpu:.2f}; others "
                    f"{run.cpu.foreign_cores:.2f} cores; {uptime_text()})",
                    flush=True,
                )

            for index in range(args.runs):
                print(f"run {index + 1}/{args.runs}", flush=True)
                for contender in (engine, curl) if index % 2 == 0 else (curl, engine):
                    contender()
    except KeyboardInterrupt:
        print("interrupted; Azurite, the sandbox and the temporary files are gone", file=sys.stderr)
        return 130

    put = [size / job_of(run).put_seconds / MiB for run in engine_runs]
    e2e = [size / run.seconds / MiB for run in engine_runs]
    by_curl = [size / run.seconds / MiB for run in curl_runs]
    paired = median([e / c for e, c in zip(put, by_curl)])
    foreign = max(run.cpu.foreign_cores for run in engine_runs + curl_runs)
    load = f"{uptime_text()}; others ≤ {foreign:.2f} cores during runs"
    put_ratio, e2e_ratio = median(put) / median(by_curl), median(e2e) / median(by_curl)
    blocks = f"blocks {args.parallel_blocks or 4} at a time{', with MD5' if args.block_checksums else ''}"
    setup = f"{args.size_mb} MiB to Azurite ({blocks}), {'pinned' if args.pin else 'unpinned'}, {args.runs} runs each"

    print()
    print("| Benchmark | Engine, median | curl -T, median | Ratio | Target | Met | Machine |")
    print("|---|---:|---:|---:|---|---|---|")
    print(
        f"| {setup}: PUT phase | {median(put):.0f} MB/s | {median(by_curl):.0f} MB/s | {put_ratio:.2f} (paired runs: "
        f"{paired:.2f}) | ≥ {TARGET_RATIO} × curl | {'yes' if put_ratio >= TARGET_RATIO else 'NO'} | {load} |"
    )
    print(
        f"| {setup}: end to end, incl. the sandbox's link copying the blob back | {median(e2e):.0f} MB/s | "
        f"{median(by_curl):.0f} MB/s | {e2e_ratio:.2f} | (secondary) | – | {load} |"
    )
    print(f"\nengine PUT MB/s: {listed(put)}; end to end: {listed(e2e)}; curl: {listed(by_curl)}")

    if args.json:
        with open(args.json, "w") as out:
            json.dump(
                {
                    "size": size,
                    "pinned": args.pin,
                    "engine": [
                        {
                            "put_seconds": job_of(run).put_seconds,
                            "seconds": run.seconds,
                            "points": job_of(run).points,
                            "vmhwm_kb": run.vmhwm_kb,
                            "client_cpu": run.client_cpu,
                            "azurite_cpu_per_gb": run.azurite_cpu,
                            "sandbox_cpu_per_gb": run.sandbox_cpu,
                            "foreign_cores": run.cpu.foreign_cores,
                            "attempts": run.attempts,
                        }
                        for run in engine_runs
                    ],
                    "curl": [
                        {
                            "seconds": run.seconds,
                            "client_cpu": run.client_cpu,
                            "azurite_cpu_per_gb": run.azurite_cpu,
                            "foreign_cores": run.cpu.foreign_cores,
                            "attempts": run.attempts,
                        }
                        for run in curl_runs
                    ],
                },
                out,
                indent=2,
            )
    return 0


def job_of(run):
    return run.jobs[0]


def listed(values: list[float]) -> str:
    return ", ".join(f"{value:.0f}" for value in values)


if __name__ == "__main__":
    raise SystemExit(main())
