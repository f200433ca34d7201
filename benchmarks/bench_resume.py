"""A 300 MB upload killed half-way (SIGKILL), then finished by a fresh process: how many bytes
went out in all, and how long the second process took, per service sandbox.

    uv run python benchmarks/bench_resume.py                    # 300 MB, awork and ONLYOFFICE
    uv run python benchmarks/bench_resume.py --size-mb 100 --services awork

The suite runs the same check with 45 MiB files and smaller awork blocks
(tests/integration/transfers/test_transfers_resume.py); this one uses the shipped sizes: awork's
8 MiB blocks, ONLYOFFICE's 10 MiB chunked-session parts. Bytes are counted by the worker as it
hands each chunk to the network (written before the chunk goes, so they survive the kill); the
awork sandbox's blob endpoint counts what arrived as well. Target (issue 15): at most 1.25 × the
file's size in all, the file byte-identical and attached once.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from attache.backends.base import Backend
from attache.core.accounts import AccountRef
from attache.core.models import EntityKind, EntityRef
from attache.core.services import service
from attache.sandbox import SandboxServer
from attache.transfers import Journal, TransferEngine

ROOT = Path(__file__).resolve().parent.parent
WORKER = ROOT / "tests/integration/transfers/transfers_crash_worker.py"
MiB = 1024 * 1024
# "sending" checkpoints per MiB: awork reads 1 MiB chunks, ONLYOFFICE's multipart 64 KiB ones.
CHECKPOINTS_PER_MIB = {"awork": 1, "onlyoffice": 16}


def _backend(server: SandboxServer) -> Backend:
    connector = service(server.service_id).connector()
    return connector.open_backend(server.base_url, connector.secret_from_token(server.token), account="bench")


def _run(server: SandboxServer, journal: Path, log: Path, crash: str | None) -> tuple[int, float]:
    env = {**os.environ, "PYTHONUNBUFFERED": "1", "ATTACHE_TEST_SENT_LOG": str(log)}
    env.pop("ATTACHE_TEST_CRASHPOINT", None)
    if crash:
        env["ATTACHE_TEST_CRASHPOINT"] = crash
    started = time.monotonic()
    result = subprocess.run(
        [sys.executable, str(WORKER), str(journal), server.base_url, server.token, server.service_id],
        env=env,
        capture_output=True,
        text=True,
        timeout=900,
    )
    return result.returncode, time.monotonic() - started


def _sent(log: Path) -> int:
    return sum(int(line) for line in log.read_text().split()) if log.exists() else 0


def bench(service_id: str, size_mb: int, folder: Path) -> dict[str, object]:
    size = size_mb * MiB + 4321
    source = folder / f"{service_id}-big.bin"
    with source.open("wb") as out:
        for _ in range(size_mb):
            out.write(os.urandom(MiB))
        out.write(os.urandom(4321))
    digest = hashlib.sha256(source.read_bytes()).hexdigest()
    with SandboxServer(service=service_id) as server:
        backend = _backend(server)
        task = EntityRef(EntityKind.TASK, next(iter(backend.iter_pages(EntityKind.TASK, page_size=1))).items[0].id)
        journal, log = folder / f"{service_id}.sqlite3", folder / f"{service_id}.log"
        with Journal(journal) as queue:
            (job_id,) = TransferEngine(queue, lambda account: backend).enqueue(
                AccountRef(service_id, "bench"), task, [source]
            )
        half = size_mb // 2 * CHECKPOINTS_PER_MIB[service_id]
        code, killed_after = _run(server, journal, log, f"sending:{half}")
        assert code == -signal.SIGKILL, code
        before = _sent(log)
        code, finished_in = _run(server, journal, log, None)
        assert code == 0, code
        with Journal(journal) as queue:
            job = queue.get(job_id)
        assert job is not None and job.state.value == "done", job
        files = [f for f in backend.list_files(task) if f.name == source.name]
        assert len(files) == 1, files
        saved = backend.download_file(task, files[0].id, folder / "back.bin")
        assert hashlib.sha256(saved.read_bytes()).hexdigest() == digest
        saved.unlink()
        received = getattr(server.blobs, "received", None) if service_id == "awork" else None
        backend.close()
    total = _sent(log)
    return {
        "service": service_id,
        "size_bytes": size,
        "sent_before_kill": before,
        "sent_in_all": total,
        "ratio": round(total / size, 3),
        "blob_endpoint_received_ratio": round(received / size, 3) if received else None,
        "first_process_s": round(killed_after, 2),
        "second_process_s": round(finished_in, 2),
    }


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--size-mb", type=int, default=300)
    parser.add_argument("--services", nargs="+", default=["awork", "onlyoffice"])
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="attache-bench-resume-") as folder:
        for service_id in args.services:
            print(json.dumps(bench(service_id, args.size_mb, Path(folder))), flush=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
