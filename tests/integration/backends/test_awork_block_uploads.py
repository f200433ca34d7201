"""AworkBackend's block uploads against the sandbox's blob endpoint: what a resumed upload sends,
and what it does with blocks it cannot trust or a URL that cannot list them."""

from __future__ import annotations

import httpx
import pytest

from attache.backends.awork import AworkBackend
from attache.backends.awork_blocks import block_id, parse_block_list
from attache.core.errors import ProtocolError
from attache.core.models import EntityKind, EntityRef

KiB = 1024
BLOCK = 64 * KiB
SIZE = 5 * BLOCK + 123


class Observer:
    """Counts sent and held bytes the way the transfer engine does."""

    def __init__(self) -> None:
        self.sent = self.held_bytes = 0

    def __call__(self, chunk: bytes) -> None:
        self.sent += len(chunk)

    def held(self, chunk: bytes) -> None:
        self.held_bytes += len(chunk)

    def save_state(self, state: dict[str, str]) -> None:
        pass


@pytest.fixture
def setup(make_awork_sandbox, tmp_path):  # type: ignore[no-untyped-def]
    server = make_awork_sandbox()
    backend = AworkBackend(server.base_url, token=server.token, block_size=BLOCK, block_threshold=BLOCK)
    task = next(iter(backend.iter_pages(EntityKind.TASK, page_size=1))).items[0]
    source = tmp_path / "big.bin"
    source.write_bytes(bytes(i % 249 for i in range(SIZE)))
    yield server, backend, EntityRef(EntityKind.TASK, task.id), source
    backend.close()


def _put_block(url: str, number: int, content: bytes) -> None:
    block = httpx.URL(url).copy_merge_params({"comp": "block", "blockid": block_id(BLOCK, number)})
    assert httpx.put(block, content=content).status_code == 201


def test_held_blocks_are_not_sent_again_and_a_block_of_the_wrong_size_is(setup):
    _server, backend, task, source = setup
    data = source.read_bytes()
    state = backend.begin_attach(task, source.name, SIZE)
    assert state["block_size"] == str(BLOCK)
    _put_block(state["upload_url"], 0, data[:BLOCK])
    _put_block(state["upload_url"], 1, data[BLOCK : 2 * BLOCK])
    _put_block(state["upload_url"], 2, b"short")  # not what this file's block 2 is: sent again
    observer = Observer()
    state = backend.send_content(state, source, SIZE, on_chunk=observer)
    assert (observer.held_bytes, observer.sent) == (2 * BLOCK, SIZE - 2 * BLOCK)
    record = backend.finish_attach(task, state, source.name)
    saved = backend.download_file(task, record.id, source.with_name("back.bin"))
    assert saved.read_bytes() == data


def test_a_url_that_may_not_list_blocks_sends_them_all(setup):
    server, backend, task, source = setup
    state = backend.begin_attach(task, source.name, SIZE)
    # The same URL signed without read permission (awork's own SAS may lack it).
    url = httpx.URL(state["upload_url"])
    se = url.params["se"]
    signature = server.blobs.signature(server.blobs.container, state["upload_id"], se, "cw")
    write_only = str(url.copy_set_param("sp", "cw").copy_set_param("sig", signature))
    _put_block(write_only, 0, source.read_bytes()[:BLOCK])
    observer = Observer()
    state = backend.send_content({**state, "upload_url": write_only}, source, SIZE, on_chunk=observer)
    assert (observer.held_bytes, observer.sent) == (0, SIZE)
    assert backend.finish_attach(task, state, source.name).size == SIZE


def test_block_ids_are_all_of_one_length_and_a_hostile_block_list_is_refused():
    assert len({len(block_id(4 * 1024 * 1024, n)) for n in (0, 9, 49_999)}) == 1
    with pytest.raises(ProtocolError, match="document type"):
        parse_block_list(b'<?xml version="1.0"?><!DOCTYPE x [<!ENTITY a "aaaa">]><BlockList/>')
    with pytest.raises(ProtocolError, match="not XML"):
        parse_block_list(b"<BlockList><Committed")
    committed, uncommitted = parse_block_list(
        b"<BlockList><CommittedBlocks/><UncommittedBlocks><Block><Name>QQ==</Name><Size>7</Size></Block>"
        b"<Block><Name>Qg==</Name><Size>-1</Size></Block></UncommittedBlocks></BlockList>"
    )
    assert (committed, uncommitted) == ({}, {"QQ==": 7})
