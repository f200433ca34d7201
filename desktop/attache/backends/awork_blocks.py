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
with its exact size (the sum is the file's size). Blocks go one at a time, in file order, so the
engine's hash sees the file in order; one 8 MiB block at a time keeps a single connection busy.
"""

from __future__ import annotations

import base64
import xml.etree.ElementTree as ET
from collections.abc import Callable
from pathlib import Path
from typing import Any, BinaryIO
from xml.sax.saxutils import escape

import httpx

from attache.backends.base import ChunkObserver
from attache.backends.streams import at_most, plan_chunks, read_chunks, report_held_range
from attache.core.errors import ProtocolError, TransientError, UploadExpiredError

MiB = 1024 * 1024
BLOCK_THRESHOLD = 8 * MiB  # files larger than this go in blocks; smaller ones in one Put Blob
BLOCK_SIZE = 8 * MiB
MAX_BLOCKS = 50_000  # Azure's limit per blob

# Sends one request to blob storage and returns the answer, raising AttacheErrors as `_send` does.
BlobSend = Callable[..., httpx.Response]


def block_id(block_size: int, number: int) -> str:
    return base64.b64encode(f"attache-{block_size:012d}-{number:06d}".encode()).decode()


class BlockUpload:
    """One file's blocks at one SAS URL."""

    def __init__(self, send: BlobSend, url: str, size: int, block_size: int) -> None:
        if block_size <= 0:
            raise ValueError("block_size must be positive")
        self._send = send
        self._url = url
        self.size = size
        self.plan = plan_chunks(size, block_size)
        if len(self.plan) > MAX_BLOCKS:
            raise ProtocolError(f"a file of {size} bytes needs more than {MAX_BLOCKS} blocks of {block_size} bytes")
        self.ids = [block_id(block_size, number) for number in range(len(self.plan))]

    def send(self, stream: BinaryIO, source: Path, mime_type: str, on_chunk: ChunkObserver | None) -> None:
        listed = self.listed()
        committed, uncommitted = listed or ({}, {})
        if committed == self._expected():
            # Committed by a run whose answer was lost: every byte is there already.
            report_held_range(stream, 0, self.size, on_chunk, source)
            return
        for number, (offset, length) in enumerate(self.plan):
            block = self.ids[number]
            if uncommitted.get(block) == length:
                report_held_range(stream, offset, length, on_chunk, source)
                continue
            stream.seek(offset)
            self._send(
                "PUT",
                self._at(comp="block", blockid=block),
                content=read_chunks(stream, length, on_chunk, source),
                headers={"Content-Length": str(length)},
            )
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
