"""Helpers for the transfer engine's tests against a service's sandbox, through its own backend,
so the same test holds every registered service to exactly-once uploads."""

from __future__ import annotations

import hashlib
import random
import re
import tempfile
from collections import Counter
from dataclasses import dataclass
from pathlib import Path

from attache.backends.base import Backend
from attache.core.accounts import AccountRef
from attache.core.models import EntityKind, EntityRef
from attache.core.services import service
from attache.sandbox import SandboxServer
from attache.transfers import Job, JobState, Journal, RetryPolicy, TransferEngine

ACCOUNT = AccountRef("awork", "sandbox")
# Short back-off so fault-heavy tests stay fast; the server's Retry-After still wins.
FAST_RETRY = RetryPolicy(base_delay=0.05, max_delay=1.0)


# The request that links uploaded content to its task, per service: the step whose answer, lost
# after the server acted, only reconciliation can recover from.
# SuperOffice links a file to its target when it creates the Document record (before its content).
LINK_REQUESTS = {
    "awork": r"/byuploadid$",
    "onlyoffice": r"/project/task/[^/]+/files(\.json)?$",
    "superoffice": r"(?i)/v1/Document$",
}


def is_link_request(server: SandboxServer, path: str) -> bool:
    return re.search(LINK_REQUESTS[server.service_id], path) is not None


def account_of(server: SandboxServer) -> AccountRef:
    return AccountRef(server.service_id, "sandbox")


def open_backend(server: SandboxServer) -> Backend:
    """The sandbox's service's own backend, signed in with the sandbox's token."""
    connector = service(server.service_id).connector()
    return connector.open_backend(server.base_url, connector.secret_from_token(server.token), account="sandbox")


def task_refs(server: SandboxServer, count: int) -> list[EntityRef]:
    backend = open_backend(server)
    try:
        refs: list[EntityRef] = []
        for page in backend.iter_pages(EntityKind.TASK, page_size=max(count, 1)):
            refs += [EntityRef(EntityKind.TASK, entity.id) for entity in page.items]
            if len(refs) >= count:
                break
    finally:
        backend.close()
    assert len(refs) >= count, f"the sandbox has only {len(refs)} tasks"
    return refs[:count]


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
    return TransferEngine(journal, lambda account: open_backend(server), **options)


@dataclass(frozen=True)
class StoredFile:
    id: str
    task_id: str
    name: str
    sha256: str


def stored_files(server: SandboxServer, tasks: list[EntityRef]) -> list[StoredFile]:
    """Every file on these tasks as the service lists it, hashed from its download (faults off)."""
    server.set_faults(None)
    backend = open_backend(server)
    files = []
    try:
        with tempfile.TemporaryDirectory(prefix="attache-check-") as folder:
            for task in tasks:
                for record in backend.list_files(task):
                    saved = backend.download_file(task, record.id, Path(folder) / record.id)
                    files.append(StoredFile(record.id, task.id, record.name, sha256_of(saved)))
                    saved.unlink()
    finally:
        backend.close()
    return files


def assert_each_uploaded_exactly_once(server: SandboxServer, jobs: list[Job], tasks: list[EntityRef]) -> None:
    """Every job done, its file on its task once, byte for byte the source."""
    assert Counter(job.state for job in jobs) == Counter({JobState.DONE: len(jobs)}), [
        (job.id, job.state.value, job.last_error) for job in jobs if job.state is not JobState.DONE
    ]
    files = stored_files(server, tasks)
    by_name = Counter((f.task_id, f.name) for f in files)
    by_id = {f.id: f for f in files}
    for job in jobs:  # under the name the service stored it as (it may amend ours)
        assert by_name[(job.target.id, job.stored_name)] == 1, (
            f"{job.stored_name} is on task {job.target.id} {by_name[(job.target.id, job.stored_name)]} times"
        )
        stored = by_id[job.file_id]
        assert (stored.task_id, stored.name) == (job.target.id, job.stored_name)
        assert stored.sha256 == sha256_of(job.source) == job.sha256


def assert_nothing_uploaded_twice(server: SandboxServer, jobs: list[Job]) -> None:
    """Where content is stored before it is linked (ONLYOFFICE's Documents folder), each job's
    file is stored once: no second copy ("name (1).ext"), no second version, nothing left over."""
    if server.service_id == "superoffice":
        _assert_one_full_document_each(server, jobs)
        return
    if server.service_id != "onlyoffice":
        return  # awork stores content only when it is linked: the task's files say it all
    names = {job.name for job in jobs}
    rows = server.store.read("SELECT title, version FROM files")
    stored = Counter(row["title"] for row in rows if row["title"] in names)
    copies = [row["title"] for row in rows if any(row["title"].startswith(f"{Path(n).stem} (") for n in names)]
    assert stored == Counter(names), "some files were stored more than once, or not at all"
    assert not copies, f"second copies in the folder: {copies[:5]}"
    assert all(row["version"] == 1 for row in rows if row["title"] in names), "a file got a second version"


def _assert_one_full_document_each(server: SandboxServer, jobs: list[Job]) -> None:
    """SuperOffice makes the Document record before its content: one record per job, none
    left empty (a record whose content never came), none made twice."""
    names = {job.name for job in jobs}
    rows = server.store.read("SELECT id, header, name, blob FROM documents")
    ours = [row for row in rows if row["header"] in names or row["name"] in names]
    assert Counter(row["header"] for row in ours) == Counter(names), "a document was made twice, or not at all"
    empty = [row["header"] for row in ours if row["blob"] is None]
    assert not empty, f"documents left without content: {empty[:5]}"
