"""Many files at once: 16 × 64 MB through the engine with 4 workers, versus curl's single stream.

    uv run python benchmarks/bench_parallel_uploads.py                      # as in the README
    uv run python benchmarks/bench_parallel_uploads.py --files 8 --size-mb 16 --runs 1   # quick check
    uv run python benchmarks/bench_parallel_uploads.py --curl single        # curl: one 1 GB file
    uv run python benchmarks/bench_parallel_uploads.py --block-checksums    # each block with its MD5

Target (issue 3): the engine's aggregate throughput with 4 workers is at least curl's single
stream.

Set-up (upload_stack.py): Azurite and the awork sandbox in Azurite mode, each in its own
process; 16 files of random bytes in a temporary folder on the same disk. Runs alternate
engine/curl (and which goes first). Before each run: a fresh, empty Azurite, `sync`, and a
wait for the machine to be quiet; a run during which other processes took more than 0.25
core is repeated. `--pin` puts Azurite and the sandbox on CPU 0 and the uploader on CPU 1.

- engine: a fresh process queues the 16 files onto a task, as `attache upload` does, with 4
  workers; aggregate = all bytes / (enqueue → last job done).
- curl: the same bytes as one stream: the 16 files one after another (`--curl sequential`,
  default; each `curl -T … <fresh SAS URL>`, the sum of curl's time_total), or one file of the
  same total size (`--curl single`).

The sandbox links each upload by copying the blob back out of Azurite into its store: 1 GB of
sandbox work on the same 2 cores while the engine is still sending other files. So the engine
is measured twice (`--link both`, default): with the sandbox as it is (`copy`), and with a
benchmark-only link that asks Azurite for the blob's size and copies nothing (`head`), which
is what linking costs the client against the real awork, and so is the client's own number.

Each 64 MB file goes in 8 MiB blocks (awork's Put Block), which Azurite checksums (a CRC64, in
JavaScript, on its one thread) unless a block carries its Content-MD5: `--block-checksums` sends
it, which costs the client an MD5 pass and Azurite far less than its own CRC64.

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

LINK_LABELS = {
    "copy": "sandbox link as is (copies each blob back from Azurite)",
    "head": "link without the sandbox's copy-back (client work only)",
}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--files", type=int, default=16)
    parser.add_argument("--size-mb", type=int, default=64, help="size of each file in MiB (default 64)")
    parser.add_argument("--workers", type=int, default=4)
    parser.add_argument("--runs", type=int, default=3, help="runs of each contender per link mode (default 3)")
    parser.add_argument("--curl", choices=("sequential", "single"), default="sequential")
    parser.add_argument("--link", choices=("copy", "head", "both"), default="both")
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
    parser.add_argument("--tmp-dir", help="where the temporary folder goes (default: the system's)")
    parser.add_argument("--block-checksums", action="store_true", help="send each block's Content-MD5")
    parser.add_argument("--json", help="also write every run's numbers here")
    args = parser.parse_args()
    install_signal_exits()
    if args.block_checksums:
        os.environ["ATTACHE_BENCH_BLOCK_CHECKSUMS"] = "1"  # read by the upload child

    total = args.files * args.size_mb * MiB
    gib = total / (1024 * MiB)
    modes = ["copy", "head"] if args.link == "both" else [args.link]
    rows, report = [], {}
    print(
        f"# {args.files} × {args.size_mb} MiB, {args.workers} workers vs curl ({args.curl}); "
        f"machine at start: {uptime_text()}",
        flush=True,
    )
    try:
        for mode in modes:
            print(f"link mode: {mode}", flush=True)
            engine_runs, curl_runs = [], []
            with Stack(tmp_base=args.tmp_dir, link=mode, pin=args.pin) as stack:
                sources = [
                    write_random_file(stack.path("data", f"part-{n:02}.bin"), args.size_mb * MiB)
                    for n in range(args.files)
                ]
                if args.curl == "single":
                    whole = stack.path("data", "whole.bin")
                    with whole.open("wb") as out:
                        for source in sources:
                            out.write(source.read_bytes())
                    curl_sources = [whole]
                else:
                    curl_sources = sources

                def azurite_seconds(run) -> float:
                    return run.cpu.seconds_of.get(stack.azurite.pid, float("nan"))

                def sandbox_seconds(run) -> float:
                    return run.cpu.seconds_of.get(stack.sandbox.pid, float("nan"))

                def engine():
                    result = measure(
                        lambda: stack.engine_upload(sources, workers=args.workers, attache_src=args.attache_src),
                        stack=stack,
                        repeats=args.repeats,
                        label="engine",
                        quiet_wait=args.quiet_wait,
                    )
                    engine_runs.append(result)
                    print(
                        f"  engine  {total / result.seconds / MiB:6.1f} MB/s aggregate  (first PUT to last 201: "
                        f"{total / result.put_window / MiB:.1f} MB/s; CPU s/GB: client {result.client_cpu / gib:.2f},"
                        f" Azurite {azurite_seconds(result) / gib:.2f}, sandbox {sandbox_seconds(result) / gib:.2f};"
                        f" VmHWM {result.vmhwm_kb / 1024:.0f} MB; others {result.cpu.foreign_cores:.2f} cores; "
                        f"{uptime_text()})",
                        flush=True,
                    )

                def curl():
                    result = measure(
                        lambda: stack.curl_put(*curl_sources),
                        stack=stack,
                        repeats=args.repeats,
                        label="curl",
                        quiet_wait=args.quiet_wait,
                    )
                    curl_runs.append(result)
                    print(
                        f"  curl    {total / result.seconds / MiB:6.1f} MB/s single stream  (CPU s/GB: client "
                        f"{result.client_cpu / gib:.2f}, Azurite {azurite_seconds(result) / gib:.2f}; "
                        f"others {result.cpu.foreign_cores:.2f} cores; {uptime_text()})",
                        flush=True,
                    )

                for index in range(args.runs):
                    for contender in (engine, curl) if index % 2 == 0 else (curl, engine):
                        contender()
            by_engine = [total / run.seconds / MiB for run in engine_runs]
            by_curl = [total / run.seconds / MiB for run in curl_runs]
            foreign = max(run.cpu.foreign_cores for run in engine_runs + curl_runs)
            rows.append((mode, median(by_engine), median(by_curl), foreign, uptime_text()))
            report[mode] = {
                "engine": [
                    {
                        "seconds": run.seconds,
                        "put_window": run.put_window,
                        "vmhwm_kb": run.vmhwm_kb,
                        "foreign_cores": run.cpu.foreign_cores,
                        "attempts": run.attempts,
                        "jobs": [job.points for job in run.jobs],
                    }
                    for run in engine_runs
                ],
                "curl": [
                    {"seconds": run.seconds, "foreign_cores": run.cpu.foreign_cores, "attempts": run.attempts}
                    for run in curl_runs
                ],
            }
            print(
                f"  engine MB/s: {', '.join(f'{v:.0f}' for v in by_engine)}; "
                f"curl: {', '.join(f'{v:.0f}' for v in by_curl)}",
                flush=True,
            )
    except KeyboardInterrupt:
        print("interrupted; Azurite, the sandbox and the temporary files are gone", file=sys.stderr)
        return 130

    curl_label = f"{args.files} files in a row" if args.curl == "sequential" else "one file"
    print()
    setup = f"{args.files} × {args.size_mb} MiB, {args.workers} workers, {'pinned' if args.pin else 'unpinned'}"
    print(
        f"| {setup}, {args.runs} runs each | Engine aggregate, median | "
        f"curl single stream ({curl_label}), median | Ratio | Target | Met | Machine |"
    )
    print("|---|---:|---:|---:|---|---|---|")
    for mode, engine_mbs, curl_mbs, foreign, load in rows:
        ratio = engine_mbs / curl_mbs
        print(
            f"| {LINK_LABELS[mode]} | {engine_mbs:.0f} MB/s | {curl_mbs:.0f} MB/s | {ratio:.2f} | ≥ 1.0 × curl | "
            f"{'yes' if ratio >= 1.0 else 'NO'} | {load}; others used ≤ {foreign:.2f} cores during runs |"
        )
    if args.json:
        with open(args.json, "w") as out:
            json.dump(report, out, indent=2)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
