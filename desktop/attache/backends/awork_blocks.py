"""awork's upload URL is an Azure Blob Storage SAS URL; a large file goes there in blocks, so an
interrupted upload resumes instead of starting again.

Azure's block blob protocol, as far as it is used here:
- `PUT {url}&comp=block&blockid={id}` stores one uncommitted block (same id again replaces it);
- `GET {url}&comp=blocklist&blocklisttype=all` lists committed and uncommitted blocks (names and
  sizes; 404 BlobNotFound while there is none);
- `PUT {url}&comp=blocklist` with `<BlockList><Latest>id</Latest>…</BlockList>` commits the blob
  in that order; uncommitted blocks stay for a week, so an upload resumes while its URL lives.

Block ids are base64 of a fixed-length text naming the block size and the block's number, all
of one length as Azure requires; a block counts as held only when its id and size are the ones
this file's plan expects. Before committing, the list is read again and must hold every block
with its exact size (the sum is the file's size).

Blocks go up to `PARALLEL_BLOCKS` at a time (`_Staging`): the calling thread reads each block in
order into a buffer borrowed from the process's `PART_BUFFERS` (a fixed budget every upload
shares, so eight uploads at once hold as much as one) and reports its chunks as read (the engine
hashes the file in order), then hands the block to one of the process's sending threads
(`part_senders`), which report its bytes as they go out (speed limit, progress, cancel). A
block's buffer is kept until its answer, so the retrying transport resends that block alone
after a 503, a 429 or a dropped connection (progress counts its bytes once), and goes back to
the budget then. A block counts as sent only on its 2xx: then the journal gets the set of blocks
sent (`blocks_sent`), which a later pass trusts where the URL may not read the list. The first
block that fails for good stops the others (at their next chunk) and the pass ends with its
error; the engine's next pass sends what the list lacks.
"""

from __future__ import annotations

import base64
import hashlib
import threading
import xml.etree.ElementTree as ET
from collections.abc import Callable, Iterator
from concurrent.futures import FIRST_COMPLETED, Future, wait
from pathlib import Path
from typing import Any, BinaryIO
from xml.sax.saxutils import escape

import httpx

from attache.backends.auth import ReplayableContent
from attache.backends.base import ChunkObserver, UploadReporter, UploadState
from attache.backends.part_buffers import PART_BUFFERS, part_senders
from attache.backends.streams import CHUNK_SIZE, at_most, plan_chunks, report_held_range
from attache.core.errors import (
    CancelledError,
    ProtocolError,
    SourceChangedError,
    TransientError,
    UploadExpiredError,
)

MiB = 1024 * 1024
BLOCK_THRESHOLD = 8 * MiB  # files larger than this go in blocks; smaller ones in one Put Blob
BLOCK_SIZE = 8 * MiB
MAX_BLOCKS = 50_000  # Azure's limit per blob
# Blocks in flight at once. One stream idles while each block waits for its answer (Azure writes
# and checksums it first) and is bound by one TCP window on a long path; a few side by side keep
# the uplink busy. Their memory comes from `PART_BUFFERS`, whose budget (4 × 8 MiB) all uploads
# share: one large file alone has four in flight, several at once have four between them.
PARALLEL_BLOCKS = 4

# Sends one request to blob storage and returns the answer, raising AttacheErrors as `_send` does.
BlobSend = Callable[..., httpx.Response]


def block_id(block_size: int, number: int) -> str:
    return base64.b64encode(f"attache-{block_size:012d}-{number:06d}".encode()).decode()


class BlockUpload:
    """One file's blocks at one SAS URL."""

    def __init__(
        self,
        send: BlobSend,
        url: str,
        size: int,
        block_size: int,
        *,
        parallel: int = PARALLEL_BLOCKS,
        checksums: bool = False,
    ) -> None:
        """`checksums`: each block carries its Content-MD5, which the storage checks before it keeps
        the block (a block damaged on the way is refused and sent again). It costs the client an
        MD5 pass (~2 CPU-s per GB here), and Azure answers each block with its own CRC64 anyway, so it is off by
        default; Azurite, which otherwise computes a CRC64 in JavaScript for every block (~40 MB/s
        on its one thread), takes blocks with it ~3× as fast (benchmarks/bench_upload_throughput.py)."""
        if block_size <= 0:
            raise ValueError("block_size must be positive")
        if parallel < 1:
            raise ValueError("parallel must be at least 1")
        self._send = send
        self._url = url
        self.size = size
        self.parallel = parallel
        self.checksums = checksums
        self.plan = plan_chunks(size, block_size)
        if len(self.plan) > MAX_BLOCKS:
            raise ProtocolError(f"a file of {size} bytes needs more than {MAX_BLOCKS} blocks of {block_size} bytes")
        self.ids = [block_id(block_size, number) for number in range(len(self.plan))]

    def send(
        self,
        stream: BinaryIO,
        source: Path,
        mime_type: str,
        on_chunk: ChunkObserver | None,
        *,
        state: UploadState | None = None,
    ) -> None:
        """Stage the blocks the URL lacks, then commit them all. `state` (the journaled upload)
        says which blocks an earlier pass sent (`blocks_sent`); each block's 2xx journals it again
        with that block added (through the observer's `save_state`)."""
        state = dict(state or {})
        listed = self.listed()
        committed, uncommitted = listed or ({}, {})
        if committed == self._expected():
            # Committed by a run whose answer was lost: every byte is there already.
            report_held_range(stream, 0, self.size, on_chunk, source)
            return
        journaled = parse_numbers(state.get("blocks_sent", ""), len(self.plan))
        if listed is None:  # the URL may not read the list: trust what the journal says was sent
            held = journaled
        else:  # the list is the truth: a block journaled but gone (a week old) goes again
            held = {n for n, (_offset, length) in enumerate(self.plan) if uncommitted.get(self.ids[n]) == length}
        _Staging(self, stream, source, UploadReporter(on_chunk), state, held).run()
        self._commit(mime_type, check=listed is not None)

    def _at(self, **params: str) -> str:
        """The SAS URL with an operation's parameters added to its own (which stay)."""
        return str(httpx.URL(self._url).copy_merge_params(params))

    def _expected(self) -> dict[str, int]:
        return {block: length for block, (_offset, length) in zip(self.ids, self.plan, strict=True)}

    def listed(self) -> tuple[dict[str, int], dict[str, int]] | None:
        """(committed, uncommitted) blocks at the URL: name → size; None when the URL may write but
        not read the list (then every block is sent). An expired URL raises UploadExpiredError
        (the engine starts again with a new one)."""
        try:
            response = self._send("GET", self._at(comp="blocklist", blocklisttype="all"))
        except UploadExpiredError as error:
            if error.status == 404:  # BlobNotFound: no block has arrived yet
                return {}, {}
            if error.code == "AuthorizationPermissionMismatch":
                return None
            raise
        limit = 64 * 1024 + 160 * (len(self.plan) + 16)  # two lists of our blocks, and some room
        body = at_most(response.iter_bytes(), limit)
        if body is None:
            raise ProtocolError("awork's file storage sent an oversized block list")
        return parse_block_list(body)

    def _commit(self, mime_type: str, *, check: bool) -> None:
        expected = self._expected()
        if sum(expected.values()) != self.size:
            raise ProtocolError(f"the block plan covers {sum(expected.values())} of {self.size} bytes")
        listed = self.listed() if check else None
        if listed is not None:
            missing = [block for block, length in expected.items() if listed[1].get(block) != length]
            if missing:
                raise TransientError(
                    f"awork's file storage lacks {len(missing)} of {len(expected)} parts of the file; "
                    "sending them again"
                )
        latest = "".join(f"<Latest>{escape(block)}</Latest>" for block in self.ids)
        body = f'<?xml version="1.0" encoding="utf-8"?><BlockList>{latest}</BlockList>'.encode()
        self._send(
            "PUT",
            self._at(comp="blocklist"),
            content=body,
            headers={"Content-Type": "application/xml", "x-ms-blob-content-type": mime_type},
        )


class _Abandoned(CancelledError):
    """Raised in a block's body to stop it: another block failed, or the pass is being stopped."""

    def __init__(self) -> None:
        super().__init__("The block was abandoned: the upload pass is ending.")


class _BlockBody(ReplayableContent):
    """One block's bytes (a borrowed buffer), sent (again, on a retry) in chunks as httpx asks.

    Each chunk is reported through `sending` before it goes out, except on a retry the bytes
    already reported (progress and the speed limit count each byte once)."""

    def __init__(self, block: memoryview, sending: Callable[[int], None], abandoned: threading.Event) -> None:
        self._block: memoryview | None = block
        self._sending = sending
        self._abandoned = abandoned
        self._reported = 0

    def release(self) -> None:
        """The answer came: the buffer goes back (httpx may keep this body until the GC's pass)."""
        self._block = None

    def __iter__(self) -> Iterator[bytes]:
        block = self._block
        if block is None:
            raise RuntimeError("a block's body was sent after its answer")
        for position in range(0, len(block), CHUNK_SIZE):
            if self._abandoned.is_set():
                raise _Abandoned()
            chunk = block[position : position + CHUNK_SIZE]
            end = position + len(chunk)
            if end > self._reported:
                self._sending(end - self._reported)
                self._reported = end
            yield chunk  # a view: httpx sends any bytes-like chunk


class _Staging:
    """One pass over the blocks of a `BlockUpload` (see the module's docstring)."""

    def __init__(
        self,
        upload: BlockUpload,
        stream: BinaryIO,
        source: Path,
        report: UploadReporter,
        state: UploadState,
        held: set[int],
    ) -> None:
        self._upload = upload
        self._stream = stream
        self._source = source
        self._report = report
        self._state = state
        self._held = held
        self._sent = _NumberSet(held)  # what the journal may call sent: held blocks, then each 2xx
        self._abandoned = threading.Event()

    def run(self) -> None:
        upload = self._upload
        pending: dict[Future[int], memoryview] = {}  # a block in flight → its borrowed buffer
        try:
            for number, (offset, length) in enumerate(upload.plan):
                if number in self._held:
                    report_held_range(self._stream, offset, length, self._report.observer, self._source)
                    continue
                while len(pending) >= upload.parallel:
                    self._settle(pending)
                block = self._read(offset, length)
                pending[part_senders().submit(self._put, number, block)] = block
            while pending:
                self._settle(pending)
        except BaseException:
            # Stop the blocks in flight at their next chunk, and wait for them to end.
            self._abandoned.set()
            for future, block in pending.items():
                if future.cancel():  # never started: its buffer is still lent
                    PART_BUFFERS.give_back(block)
            wait(pending)
            raise

    def _check(self) -> None:
        if self._abandoned.is_set():
            raise _Abandoned()
        self._report.check()

    def _read(self, offset: int, length: int) -> memoryview:
        """The block's bytes in a borrowed buffer, reported as read in chunks (hashed in order)."""
        block = PART_BUFFERS.take(length, self._check)
        try:
            self._stream.seek(offset)
            filled = 0
            while filled < length:
                count = self._stream.readinto(block[filled:])  # type: ignore[attr-defined]
                if not count:
                    raise SourceChangedError(f"{self._source.name} got shorter while it was being sent")
                filled += count
            for position in range(0, length, CHUNK_SIZE):
                self._report.read_ahead(block[position : position + CHUNK_SIZE])
        except BaseException:
            PART_BUFFERS.give_back(block)
            raise
        return block

    def _put(self, number: int, block: memoryview) -> int:
        upload = self._upload
        body = _BlockBody(block, self._report.sending, self._abandoned)
        headers = {"Content-Length": str(len(block))}
        if upload.checksums:
            headers["Content-MD5"] = base64.b64encode(hashlib.md5(block, usedforsecurity=False).digest()).decode()
        try:
            upload._send("PUT", upload._at(comp="block", blockid=upload.ids[number]), content=body, headers=headers)
        finally:
            body.release()
            PART_BUFFERS.give_back(block)
        return number

    def _settle(self, pending: dict[Future[int], memoryview]) -> None:
        """Wait for a block to end; journal it when it arrived, raise its error when it failed."""
        finished, _ = wait(pending, return_when=FIRST_COMPLETED)
        for future in finished:
            del pending[future]
        failed = [future for future in finished if future.exception() is not None]
        arrived = {future.result() for future in finished if future.exception() is None}
        if arrived:
            self._sent.update(arrived)
            self._report.save_state({**self._state, "blocks_sent": self._sent.text()})
        if failed:
            raise _first_error(failed)  # the pass ends with it (the others are stopped)


def _first_error(failed: list[Future[int]]) -> BaseException:
    """The error to end the pass with: a block's own, rather than one abandoned because of it."""
    errors = [future.exception() for future in failed]
    return next((e for e in errors if not isinstance(e, _Abandoned)), errors[0]) or RuntimeError("no error")


class _NumberSet:
    """Block numbers as a run from 0 and the few beyond it (blocks arrive nearly in order), so
    journaling the set after each block stays cheap for a file of 50,000 blocks."""

    def __init__(self, numbers: set[int]) -> None:
        self._below = 0  # every number below this is in the set
        self._beyond: set[int] = set()
        self.update(numbers)

    def update(self, numbers: set[int]) -> None:
        self._beyond.update(n for n in numbers if n >= self._below)
        while self._below in self._beyond:
            self._beyond.discard(self._below)
            self._below += 1

    def text(self) -> str:
        run = "" if self._below == 0 else "0" if self._below == 1 else f"0-{self._below - 1}"
        return ",".join(part for part in (run, format_numbers(self._beyond)) if part)


def format_numbers(numbers: set[int]) -> str:
    """{0, 1, 2, 5, 7, 8} → "0-2,5,7-8": the blocks sent, short enough to journal after each."""
    ranges: list[str] = []
    ordered = sorted(numbers)
    index = 0
    while index < len(ordered):
        first = last = ordered[index]
        while index + 1 < len(ordered) and ordered[index + 1] == last + 1:
            index += 1
            last = ordered[index]
        ranges.append(str(first) if first == last else f"{first}-{last}")
        index += 1
    return ",".join(ranges)


def parse_numbers(text: str, limit: int) -> set[int]:
    """The numbers `format_numbers` wrote, below `limit`; anything unreadable counts as none
    (the block is sent again, which is always safe)."""
    numbers: set[int] = set()
    for part in text.split(","):
        first, dash, last = part.strip().partition("-")
        if not first.isdigit() or (dash and not last.isdigit()):
            continue
        numbers.update(range(int(first), min(int(last or first), limit - 1) + 1))
    return numbers


def parse_block_list(body: bytes) -> tuple[dict[str, int], dict[str, int]]:
    """Azure's Get Block List XML → (committed, uncommitted) name → size."""
    if b"<!DOCTYPE" in body or b"<!ENTITY" in body:
        raise ProtocolError("awork's file storage sent a block list with a document type")
    try:
        root = ET.fromstring(body)
    except ET.ParseError as exc:
        raise ProtocolError("awork's file storage sent a block list that is not XML", detail=str(exc)) from None
    return _blocks(root.find("CommittedBlocks")), _blocks(root.find("UncommittedBlocks"))


def _blocks(element: Any) -> dict[str, int]:
    blocks: dict[str, int] = {}
    for block in [] if element is None else element.findall("Block"):
        name, size = block.findtext("Name"), block.findtext("Size")
        if name and size and size.strip().isdigit():
            blocks[name.strip()] = int(size)
    return blocks
