"""Downloads retry and resume, for every service against its own sandbox: a body cut half-way is
asked for again with `Range: bytes=N-` and `If-Range`, the server sends only the rest and the file
ends byte for byte the one stored; many downloads under faults all finish; a file that changes
between two attempts starts over and ends as the new version, never a mix of the two."""

from __future__ import annotations

import os
import random
import re
from collections.abc import Iterator
from pathlib import Path

import pytest
from transfers_support import open_backend, task_refs

from attache.backends.base import Backend, attach_file
from attache.core.models import EntityRef
from attache.core.services import SERVICES
from attache.sandbox import FaultPlan, SandboxServer
from attache.sandbox.common.faults import RequestRecord

MiB = 1024 * 1024
# The request that sends a file's bytes, per service (its sandbox's download endpoint).
DOWNLOAD_REQUESTS = {
    "awork": r"^GET .*/tasks/[^/]+/files/[^/]+/download$",
    "onlyoffice": r"(?i)^GET /products/files/httphandlers/filehandler\.ashx$",
    "superoffice": r"(?i)^GET .*/document/\d+/content$",
}


@pytest.fixture(scope="module", params=list(SERVICES))
def server(request: pytest.FixtureRequest) -> Iterator[SandboxServer]:
    with SandboxServer(service=request.param) as server:
        yield server


@pytest.fixture
def backend(server: SandboxServer) -> Iterator[Backend]:
    server.set_faults(None)
    backend = open_backend(server)
    yield backend
    backend.close()
    server.set_faults(None)


def upload(backend: Backend, server: SandboxServer, folder: Path, size: int, seed: int) -> tuple[EntityRef, str, bytes]:
    """A file of `size` random bytes attached to a task: (the task, the file's id, its bytes)."""
    content = random.Random(seed).randbytes(size)
    source = folder / f"resume-{seed}.bin"
    source.write_bytes(content)
    task = task_refs(server, 1)[0]
    record = attach_file(backend, task, source)
    return task, record.id, content


def downloads(server: SandboxServer) -> list[RequestRecord]:
    pattern = re.compile(DOWNLOAD_REQUESTS[server.service_id])
    return [r for r in server.requests if pattern.search(f"{r.method} {r.path}")]


def only_downloads(server: SandboxServer, **plan: object) -> FaultPlan:
    return FaultPlan(match=DOWNLOAD_REQUESTS[server.service_id], retry_after=0.05, **plan)  # type: ignore[arg-type]


def test_a_download_cut_half_way_asks_for_the_rest_and_gets_only_that(server, backend, tmp_path):
    task, file_id, content = upload(backend, server, tmp_path, 3 * MiB + 777, seed=1)
    server.clear_requests()
    server.set_faults(only_downloads(server, rate=1.0, kinds=("drop_after",), max_faults=1))
    progress: list[int] = []

    (tmp_path / "out").mkdir()
    saved = backend.download_file(task, file_id, tmp_path / "out", on_chunk=lambda chunk: progress.append(len(chunk)))

    assert saved.read_bytes() == content
    first, second = downloads(server)
    assert first.fault == "drop_after" and "range" not in first.headers
    kept = int(re.fullmatch(r"bytes=(\d+)-", second.headers["range"]).group(1))  # type: ignore[union-attr]
    assert kept == first.body_bytes == len(content) // 2  # all that got through was kept
    assert second.headers["if-range"] and second.status == 206
    assert second.body_bytes == len(content) - kept  # only the rest was sent again
    assert sum(progress) == len(content)  # each byte counted once
    assert [p.name for p in (tmp_path / "out").iterdir()] == [saved.name]  # no .part left


def test_twenty_downloads_under_faults_all_arrive_whole(server, backend, tmp_path):
    task, file_id, content = upload(backend, server, tmp_path, 5 * MiB, seed=2)
    server.clear_requests()
    server.set_faults(only_downloads(server, rate=0.2, kinds=("429", "503", "drop", "drop_after"), seed=3))
    folder = tmp_path / "many"
    folder.mkdir()

    saved = [backend.download_file(task, file_id, folder / f"copy-{n}.bin") for n in range(20)]

    assert all(path.read_bytes() == content for path in saved)
    records = downloads(server)
    assert any(r.fault == "drop_after" for r in records) and any(r.status == 206 for r in records)
    sent = sum(r.body_bytes for r in records if r.status in (200, 206))  # not the 429s and 503s
    assert sent == 20 * len(content)  # every byte cut off was kept: none was sent twice


def test_a_file_changed_between_attempts_starts_over_and_is_the_new_one(server, backend, tmp_path):
    task, file_id, old = upload(backend, server, tmp_path, 2 * MiB, seed=3)
    new = random.Random(4).randbytes(len(old))  # a new version of the same size
    blob = next(p for p in server.store.blob_dir.iterdir() if p.is_file() and p.read_bytes() == old)
    server.clear_requests()
    server.set_faults(only_downloads(server, rate=1.0, kinds=("drop_after",), max_faults=1))
    progress: list[int] = []

    def on_chunk(chunk: bytes) -> None:
        if not progress:  # while the first answer streams the old bytes, the file changes
            replaced = blob.with_name(blob.name + ".new")
            replaced.write_bytes(new)
            later = blob.stat().st_mtime + 10
            os.utime(replaced, (later, later))
            os.replace(replaced, blob)
        progress.append(len(chunk))

    saved = backend.download_file(task, file_id, tmp_path / "out", on_chunk=on_chunk)

    assert saved.read_bytes() == new
    first, second = downloads(server)
    assert first.fault == "drop_after" and second.headers.get("range") and second.headers.get("if-range")
    assert second.status == 200 and second.body_bytes == len(new)  # the validator no longer held: all of it
    assert sum(progress) == len(new)  # the restart's bytes were not counted twice
