"""Cutting an upload into fixed-size parts, and serving one part as a file of its own."""

from __future__ import annotations

import io
from pathlib import Path

import httpx
import pytest

from attache.backends.streams import FileSlice, plan_chunks
from attache.core.errors import SourceChangedError

MiB = 1024 * 1024


def test_parts_are_exactly_the_chunk_size_the_last_shorter() -> None:
    assert plan_chunks(25 * MiB, 10 * MiB) == [(0, 10 * MiB), (10 * MiB, 10 * MiB), (20 * MiB, 5 * MiB)]
    assert plan_chunks(20 * MiB, 10 * MiB) == [(0, 10 * MiB), (10 * MiB, 10 * MiB)]
    assert plan_chunks(3, 10) == [(0, 3)]
    assert plan_chunks(0, 10) == []


def test_a_plan_resumes_from_a_confirmed_offset() -> None:
    assert plan_chunks(25 * MiB, 10 * MiB, start=10 * MiB) == [(10 * MiB, 10 * MiB), (20 * MiB, 5 * MiB)]
    assert plan_chunks(25 * MiB, 10 * MiB, start=25 * MiB) == []
    with pytest.raises(ValueError):
        plan_chunks(10, 0)


def test_a_slice_reads_sizes_and_reports_only_its_own_bytes() -> None:
    seen: list[bytes] = []
    part = FileSlice(io.BytesIO(b"0123456789"), 3, 4, seen.append)
    assert part.seek(0, 2) == 4 and part.tell() == 4
    part.seek(0)
    assert part.read(3) + part.read() == b"3456" and part.read() == b""
    assert part.fully_read and b"".join(seen) == b"3456"


def test_httpx_sends_a_slice_as_a_multipart_part_of_its_own_length(tmp_path: Path) -> None:
    source = tmp_path / "big.bin"
    source.write_bytes(bytes(range(256)) * 10)
    bodies: list[bytes] = []

    def handler(request: httpx.Request) -> httpx.Response:
        assert int(request.headers["content-length"]) == len(request.read())
        bodies.append(request.content)
        return httpx.Response(200)

    with open(source, "rb") as stream, httpx.Client(transport=httpx.MockTransport(handler)) as client:
        client.post("https://x.test/", files={"file": ("big.bin", FileSlice(stream, 256, 512))})
    assert (bytes(range(256)) * 2) in bodies[0] and len(bodies[0]) < 1000


def test_a_file_that_shrank_is_not_sent_short() -> None:
    part = FileSlice(io.BytesIO(b"0123"), 2, 10)
    part.read(2)
    with pytest.raises(SourceChangedError):
        part.read(5)
