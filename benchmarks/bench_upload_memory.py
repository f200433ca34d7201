"""Peak memory of `attache upload` for a 100 MB and a 1 GB file (to Azurite, through the engine).

    uv run python benchmarks/bench_upload_memory.py                 # 1 KiB, 100 MiB, 1 GiB (README)
    uv run python benchmarks/bench_upload_memory.py --sizes-mb 10 100   # quick check
    uv run python benchmarks/bench_upload_memory.py --runs 3        # the worst of 3 per size

Target (issue 3): the uploading process's peak RSS stays under 120 MB, and the 100 MB and the
1 GB upload peak within 10 MB of each other (the file is streamed, never held whole).

Each upload is a fresh process running the real CLI, `attache upload TASK FILE --url …`
(ATTACHE_TOKEN set, a private ATTACHE_HOME), against the awork sandbox in Azurite mode
(Azurite and the sandbox run in processes of their own, so their memory is not counted).
When the command has finished, the process itself reads VmHWM from /proc/self/status: the
high-water mark of its resident set. Not ru_maxrss: Linux carries ru_maxrss across exec, so a
child forked from a bigger parent would report the parent's memory. A 1 KiB upload gives the
baseline (interpreter, imports, sandbox-free CLI start-up).

Sizes are binary: 1 MB = 2^20 bytes.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import time
import uuid

from upload_stack import REPO_ROOT, MiB, Stack, install_signal_exits, settle_disk, uptime_text, write_random_file

PEAK_LIMIT_MB = 120
SPREAD_LIMIT_MB = 10

REPORT_PEAK_MEMORY = """
import sys
from attache.cli import main
status = main(sys.argv[1:])
with open("/proc/self/status") as report:
    sys.stderr.write(next(line for line in report if line.startswith("VmHWM:")))
sys.exit(status)
"""


def cli_upload_peak(stack: Stack, source) -> tuple[float, float]:
    """(peak RSS in MB, seconds) of one `attache upload` process."""
    home = stack.path("home", uuid.uuid4().hex[:8])
    env = dict(os.environ, ATTACHE_HOME=str(home), ATTACHE_TOKEN=stack.token)
    started = time.monotonic()
    done = subprocess.run(
        [sys.executable, "-c", REPORT_PEAK_MEMORY, "upload", stack.task_id, str(source), "--url", stack.base_url],
        env=env,
        cwd=REPO_ROOT,
        capture_output=True,
        text=True,
        timeout=3600,
    )
    seconds = time.monotonic() - started
    if done.returncode != 0:
        raise RuntimeError(f"attache upload failed ({done.returncode}): {done.stderr[-2000:]}")
    peak_kb = int(done.stderr.rsplit("VmHWM:", 1)[1].split()[0])
    return peak_kb / 1024, seconds


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument(
        "--sizes-mb",
        type=float,
        nargs="+",
        default=[1 / 1024, 100, 1024],
        help="file sizes in MiB (default: 1 KiB as the baseline, 100, 1024)",
    )
    parser.add_argument("--runs", type=int, default=2, help="uploads per size; the highest peak is reported")
    parser.add_argument("--tmp-dir", help="where the temporary folder goes (default: the system's)")
    parser.add_argument("--json", help="also write the numbers here")
    args = parser.parse_args()
    install_signal_exits()

    results: dict[float, list[float]] = {}
    print(f"# peak RSS of `attache upload`; machine at start: {uptime_text()}", flush=True)
    try:
        with Stack(tmp_base=args.tmp_dir) as stack:
            for size_mb in args.sizes_mb:
                source = write_random_file(stack.path("data", f"{size_mb:g}.bin"), round(size_mb * MiB))
                for _ in range(args.runs):
                    settle_disk()
                    peak, seconds = cli_upload_peak(stack, source)
                    results.setdefault(size_mb, []).append(peak)
                    print(
                        f"  {label(size_mb):>8}: VmHWM {peak:6.1f} MB  ({seconds:.1f} s, {uptime_text()})", flush=True
                    )
                source.unlink()
    except KeyboardInterrupt:
        print("interrupted; Azurite, the sandbox and the temporary files are gone", file=sys.stderr)
        return 130

    peaks = {size: max(values) for size, values in results.items()}
    load = uptime_text()
    print()
    print("| Upload (`attache upload`, one file, to Azurite) | Peak RSS (VmHWM) | Target | Met | Machine |")
    print("|---|---:|---|---|---|")
    for size_mb, peak in peaks.items():
        baseline = size_mb < 1
        target = "(baseline)" if baseline else f"< {PEAK_LIMIT_MB} MB"
        met = "–" if baseline else ("yes" if peak < PEAK_LIMIT_MB else "NO")
        print(f"| {label(size_mb)} | {peak:.1f} MB | {target} | {met} | {load} |")
    big = [size for size in peaks if size >= 1]
    if len(big) >= 2:
        spread = max(peaks[size] for size in big) - min(peaks[size] for size in big)
        sizes = " vs ".join(label(size) for size in big)
        print(
            f"| spread, {sizes} | {spread:.1f} MB | ≤ {SPREAD_LIMIT_MB} MB | "
            f"{'yes' if spread <= SPREAD_LIMIT_MB else 'NO'} | {load} |"
        )
    if args.json:
        with open(args.json, "w") as out:
            json.dump({label(size): values for size, values in results.items()}, out, indent=2)
    return 0


def label(size_mb: float) -> str:
    if size_mb < 1:
        return f"{size_mb * 1024:g} KiB"
    return f"{size_mb / 1024:g} GiB" if size_mb >= 1024 else f"{size_mb:g} MiB"


if __name__ == "__main__":
    raise SystemExit(main())
