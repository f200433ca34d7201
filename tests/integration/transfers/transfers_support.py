"""Helpers for the transfer engine's tests against the awork sandbox."""

from __future__ import annotations

import hashlib
import random
from collections import Counter
from dataclasses import dataclass
from pathlib import Path

from attache.backends.awork import AworkBackend
from attache.core.accounts import AccountRef
from attache.core.models import EntityKind, EntityRef
from attache.sandbox import SandboxServer
from attache.transfers import Job, JobState, Journal, RetryPolicy, TransferEngine

ACCOUNT = AccountRef("awork", "sandbox")
# Short back-off so fault-heavy tests stay fast; the server's Retry-After still wins.
FAST_RETRY = RetryPolicy(base_delay=0.05, max_delay=1.0)


def task_refs(server: SandboxServer, count: int) -> list[EntityRef]:
    rows = server.store.read("SELECT id FROM tasks ORDER BY id LIMIT ?", (count,))
    assert len(rows) == count, f"the sandbox has only {len(rows)} tasks"
    return [EntityRef(EntityKind.TASK, row["id"]) for row in rows]


def write_files(folder: Path, sizes: list[int], *, prefix: str, seed: int = 1) -> list[Path]:
    folder.mkdir(parents=True, exist_ok=True)
    rng = random.Random(seed)
    paths = []
    for index, size in enumerate(sizes):
        path = folder / f"{prefix}-{index:03}.bin"
        path.write_bytes(rng.randbytes(size))
        paths.append(path)
    return paths


def sha256_of(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def make_engine(server: SandboxServer, journal: Journal, **options) -> TransferEngine:
    options.setdefault("retry", FAST_RETRY)
    options.setdefault("poll_interval", 0.1)
    return TransferEngine(
        journal, lambda account: AworkBackend(server.base_url, token=server.token, account=account.account), **options
    )


@dataclass(frozen=True)
class StoredFile:
    id: str
    task_id: str
    name: str
    sha256: str


def stored_files(server: SandboxServer, tasks: list[EntityRef]) -> list[StoredFile]:
    """Every file on these tasks as the sandbox keeps it, hashed from its blob on disk."""
    marks = ",".join("?" * len(tasks))
    rows = server.store.read(
        f"""SELECT f.id, f.task_id, f.name, v.blob FROM files f
            JOIN file_versions v ON v.file_id = f.id AND v.version = 1
            WHERE f.task_id IN ({marks})""",
        [task.id for task in tasks],
    )
    return [
        StoredFile(row["id"], row["task_id"], row["name"], sha256_of(server.store.blob_path(row["blob"])))
        for row in rows
    ]


def assert_each_uploaded_exactly_once(server: SandboxServer, jobs: list[Job], tasks: list[EntityRef]) -> None:
    """Every job done, its file on its task once, byte for byte the source."""
    assert Counter(job.state for job in jobs) == Counter({JobState.DONE: len(jobs)}), [
        (job.id, job.state.value, job.last_error) for job in jobs if job.state is not JobState.DONE
    ]
    files = stored_files(server, tasks)
    by_name = Counter((f.task_id, f.name) for f in files)
    by_id = {f.id: f for f in files}
    for job in jobs:
        assert by_name[(job.target.id, job.name)] == 1, (
            f"{job.name} is on task {job.target.id} {by_name[(job.target.id, job.name)]} times"
        )
        stored = by_id[job.file_id]
        assert (stored.task_id, stored.name) == (job.target.id, job.name)
        assert stored.sha256 == sha256_of(job.source) == job.sha256
