"""The window's start-up, side by side with a reference build of the code (default: `main`).

    uv run python benchmarks/bench_startup.py                 # 7 rounds against main
    uv run python benchmarks/bench_startup.py --runs 9 --reference v0.9 --json out.json

Each round launches the app's real entry (`attache.cli.main`) in a fresh process, offscreen, with
an empty ATTACHE_HOME, once for this checkout and once for the reference, alternating, so a
machine shared with other work slows both alike; medians and ranges are reported.

- sandbox: `attache --sandbox`. "paint" is spawn → the main window's first paint event (its
  skeleton: sidebar, the list saying "Loading…", status bar); "rows" is spawn → the first paint
  of the list after it holds rows (the sandbox started on a worker and answered).
- sandbox-again: the same, started a second time in the same ATTACHE_HOME (the first launch,
  untimed, left its seeded demo data in the cache folder).
- no-account: `attache` with no saved account, no token in the environment: spawn → first paint
  of the empty window.

Bytecode: by default the children may cache compiled modules (in a temporary PYTHONPYCACHEPREFIX,
nothing written to the trees), as an installed app does after its first start; one untimed
launch per build fills that cache. `--no-bytecode-cache` keeps PYTHONDONTWRITEBYTECODE=1 (if the
environment sets it, as some CI and sandboxes do): every module compiled at every start.

The reference is `git archive REV desktop` unpacked in a temporary folder and run with the same
interpreter and packages (PYTHONPATH put first), so only the code differs. The child measures
from outside the app: it wraps `MainWindow.show` to watch paint events, so the reference needs
no marker of its own.
"""

from __future__ import annotations

# The child runs this file too: it imports only what the app imports anyway before its window
# paints (the parent's modules, tarfile and statistics among them, cost the child 30-40 ms).
import json
import os
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
SCENARIOS = {"sandbox": ["--sandbox"], "sandbox-again": ["--sandbox"], "no-account": []}
TARGETS = {"paint_s": 0.5, "rows_s": 1.0}


def child(scenario: str) -> int:
    """In the launched process: run `attache ARGS` and print when the window and its rows painted."""
    spawned = float(os.environ["BENCH_SPAWNED_AT"])
    from attache.cli import main

    marks: dict[str, float] = {}
    want_rows = scenario.startswith("sandbox")

    def watch(main_window) -> None:  # once the app imports the window's module, as it would anyway
        from PySide6.QtCore import QEvent, QObject, QTimer
        from PySide6.QtWidgets import QApplication

        class Watcher(QObject):
            def __init__(self, window) -> None:
                super().__init__()
                self.window = window

            def eventFilter(self, obj, event):
                if event.type() != QEvent.Type.Paint:
                    return False
                now = time.time()
                if obj is self.window and "paint_s" not in marks:
                    marks["paint_s"] = now - spawned
                    marks["modules"] = len(sys.modules)
                    marks["heavy"] = sorted(m for m in HEAVY if m in sys.modules)
                view = self.window.browse.list_view
                if want_rows and obj is view.viewport() and view.model().rowCount() > 0 and "rows_s" not in marks:
                    marks["rows_s"] = now - spawned
                if "paint_s" in marks and ("rows_s" in marks or not want_rows):
                    QTimer.singleShot(0, self.finish)
                return False

            def finish(self) -> None:
                self.window.quit_now()
                QApplication.instance().quit()

        show = main_window.MainWindow.show

        def watched_show(window) -> None:
            window._bench_watcher = watcher = Watcher(window)
            QApplication.instance().installEventFilter(watcher)
            show(window)

        main_window.MainWindow.show = watched_show  # type: ignore[method-assign]

    after_import("attache.ui.main_window", watch)
    code = main(SCENARIOS[scenario])
    marks["attache"] = str(Path(sys.modules["attache.ui.main_window"].__file__ or "").parents[2])
    print(json.dumps(marks), flush=True)
    return code


def after_import(name: str, then) -> None:
    """Call `then(module)` as soon as `name` is imported, by whoever imports it: the child watches
    the window without importing Qt or the window earlier than the app itself does."""
    import importlib.util

    class Finder:  # a meta path finder needs only find_spec (importlib.abc costs the child ~10 ms)
        def find_spec(self, fullname, path, target=None):
            if fullname != name:
                return None
            sys.meta_path.remove(self)
            spec = importlib.util.find_spec(fullname)
            loader = spec.loader
            run = loader.exec_module

            def exec_module(module) -> None:
                run(module)
                then(module)

            loader.exec_module = exec_module
            return spec

    sys.meta_path.insert(0, Finder())


# What the first paint should not have waited for (reported per run, for the reference too).
HEAVY = ("httpx", "PIL", "attache.backends.awork", "attache.backends.http", "attache.sandbox", "click", "pygments")


def launch(scenario: str, desktop: Path | None, pycache: Path | None) -> dict:
    import shutil
    import subprocess
    import tempfile

    env = dict(os.environ, QT_QPA_PLATFORM="offscreen")
    env.pop("ATTACHE_TOKEN", None)
    if pycache is not None:
        env.pop("PYTHONDONTWRITEBYTECODE", None)
        env["PYTHONPYCACHEPREFIX"] = str(pycache)
    env["ATTACHE_HOME"] = tempfile.mkdtemp(prefix="attache-startup-")
    if desktop is not None:
        env["PYTHONPATH"] = os.pathsep.join([str(desktop), *filter(None, [env.get("PYTHONPATH")])])
    try:
        for timed in [False, True] if scenario == "sandbox-again" else [True]:
            env["BENCH_SPAWNED_AT"] = repr(time.time())
            out = subprocess.run(
                [sys.executable, __file__, "--child", scenario],
                env=env,
                cwd=ROOT,
                capture_output=True,
                text=True,
                timeout=120,
            )
            if not timed and out.returncode != 0:
                break
    finally:
        shutil.rmtree(env["ATTACHE_HOME"], ignore_errors=True)
    lines = [line for line in out.stdout.splitlines() if line.startswith("{")]
    if out.returncode != 0 or not lines:
        sys.stderr.write(out.stderr[-4000:])
        raise RuntimeError(f"the {scenario} start-up failed")
    return json.loads(lines[-1])


def unpack_reference(rev: str, into: Path) -> Path:
    import subprocess
    import tarfile

    archive = subprocess.run(["git", "archive", rev, "desktop"], cwd=ROOT, capture_output=True, check=True).stdout
    archive_path = into / "ref.tar"
    archive_path.write_bytes(archive)
    with tarfile.open(archive_path) as tar:
        tar.extractall(into, filter="data")
    return into / "desktop"


def summary(values: list[float]) -> dict:
    import statistics

    return {
        "median": round(statistics.median(values), 3),
        "min": round(min(values), 3),
        "max": round(max(values), 3),
        "runs": [round(v, 3) for v in values],
    }


def main(argv: list[str] | None = None) -> int:
    import argparse
    import tempfile

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=7, help="rounds (each: this code and the reference)")
    parser.add_argument("--reference", default="main", help="git revision to compare with (default: main)")
    parser.add_argument("--scenario", choices=[*SCENARIOS, "all"], default="all")
    parser.add_argument("--json", type=Path, help="write the results here too")
    parser.add_argument(
        "--no-bytecode-cache", action="store_true", help="compile every module at every start (no .pyc)"
    )
    parser.add_argument("--child", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.child:
        return child(args.child)

    scenarios = list(SCENARIOS) if args.scenario == "all" else [args.scenario]
    results: dict[str, dict] = {}
    with tempfile.TemporaryDirectory(prefix="attache-reference-") as folder:
        reference = unpack_reference(args.reference, Path(folder))
        builds = {"this": None, f"reference ({args.reference})": reference}
        pycache = None if args.no_bytecode_cache else Path(folder) / "pycache"
        if pycache is not None:
            for build in builds.values():
                launch("sandbox", build, pycache)  # untimed: compiles what the start-up imports
        for scenario in scenarios:
            samples: dict[str, list[dict]] = {name: [] for name in builds}
            for round_no in range(args.runs):
                order = list(builds) if round_no % 2 == 0 else list(reversed(builds))  # alternate who goes first
                for name in order:
                    samples[name].append(launch(scenario, builds[name], pycache))
            for name, runs in samples.items():
                entry = {key: summary([r[key] for r in runs]) for key in TARGETS if key in runs[0]}
                entry["heavy_at_paint"] = runs[-1]["heavy"]
                entry["code"] = runs[-1]["attache"]
                results[f"{scenario} / {name}"] = entry

    for label, entry in results.items():
        print(label)
        for key, target in TARGETS.items():
            if key in entry:
                s = entry[key]
                ok = "ok" if s["median"] <= target else "OVER"
                spread = f"range {s['min']:.3f}-{s['max']:.3f}"
                print(f"  {key:8} median {s['median']:.3f} s  {spread}  target {target} s {ok}")
        print(f"  loaded at first paint: {', '.join(entry['heavy_at_paint']) or 'none of ' + ', '.join(HEAVY)}")
    bytecode = "compiled at every start" if args.no_bytecode_cache else "cached"
    print(f"{args.runs} rounds, builds alternating; bytecode {bytecode}")
    if args.json:
        args.json.write_text(json.dumps(results, indent=2) + "\n")
    return 0


if __name__ == "__main__":
    if len(sys.argv) == 3 and sys.argv[1] == "--child":  # before argparse, which the child need not load
        raise SystemExit(child(sys.argv[2]))
    raise SystemExit(main())
