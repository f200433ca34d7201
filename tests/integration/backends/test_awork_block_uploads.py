"""AworkBackend's block uploads against the sandbox's blob endpoint (and Azurite): what a resumed
upload sends, what it does with blocks it cannot trust or a URL that cannot list them, and blocks
sent side by side: the file committed byte for byte, a failed block sent again alone, blocks
staged out of order on resume, a stop that ends every block in flight."""

from __future__ import annotations

import itertools
import os
import threading
from collections.abc import Callable

import httpx
import pytest

from attache.backends import awork_blocks, part_buffers
from attache.backends.awork import AworkBackend
from attache.backends.awork_blocks import block_id, format_numbers, parse_block_list, parse_numbers
from attache.core.errors import CancelledError, ProtocolError
from attache.core.models import EntityKind, EntityRef
from attache.sandbox import FaultPlan

KiB = 1024
MiB = 1024 * KiB
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


# ---------------------------------------------------------------------- blocks side by side

PARALLEL = 4


class ParallelObserver(Observer):
    """Like the engine's observer of blocks sent side by side: chunks as read (in file order),
    bytes as they go out (from the sending threads). The first `PARALLEL` blocks each wait for
    the others before their first byte goes out, so blocks that were not in flight together
    fail the test (the barrier breaks) instead of passing unnoticed."""

    def __init__(self, *, stop_when_all_in_flight: bool = False) -> None:
        super().__init__()
        self.read = bytearray()
        self.lock = threading.Lock()
        self.barrier = threading.Barrier(PARALLEL, timeout=30)
        self.first_calls = 0
        self.stopped = threading.Event()
        self.stop_when_all_in_flight = stop_when_all_in_flight
        self.on_sending: list[Callable[[int], None]] = []

    def read_ahead(self, chunk: memoryview) -> None:
        self.read += chunk

    def check(self) -> None:
        if self.stopped.is_set():
            raise CancelledError("stopped")

    def sending(self, size: int) -> None:
        if self.stopped.is_set():
            raise CancelledError("stopped")
        with self.lock:
            self.first_calls += 1
            waits = self.first_calls <= PARALLEL
            self.sent += size
            calls = self.first_calls
        if waits:
            self.barrier.wait()  # every one of the first blocks is in flight now
            if self.stop_when_all_in_flight:
                self.stopped.set()
        for hook in self.on_sending:
            hook(calls)


def _parallel_backend(server, block: int = BLOCK):  # type: ignore[no-untyped-def]
    return AworkBackend(
        server.base_url, token=server.token, block_size=block, block_threshold=block, parallel_blocks=PARALLEL
    )


def _block_puts(server) -> list[str]:  # type: ignore[no-untyped-def]
    """The block ids of the Put Block requests the blob endpoint received, in order."""
    puts = []
    for record in server.requests:
        query = httpx.QueryParams(record.query)
        if record.method == "PUT" and query.get("comp") == "block":
            puts.append(query["blockid"])
    return puts


@pytest.fixture(params=["sandbox", "azurite"])
def parallel_setup(request, make_awork_sandbox, tmp_path):  # type: ignore[no-untyped-def]
    if request.param == "azurite":
        server = make_awork_sandbox(blob_backend=request.getfixturevalue("azurite").blobs(container="parallel-blocks"))
    else:
        server = make_awork_sandbox()
    backend = _parallel_backend(server)
    task = next(iter(backend.iter_pages(EntityKind.TASK, page_size=1))).items[0]
    source = tmp_path / "big.bin"
    source.write_bytes(os.urandom(3 * PARALLEL * BLOCK + 4321))  # 13 blocks, the last one short
    yield server, backend, EntityRef(EntityKind.TASK, task.id), source
    backend.close()


@pytest.mark.parametrize("checksums", [False, True], ids=["plain", "with-md5"])
def test_blocks_sent_side_by_side_commit_the_file_byte_for_byte(parallel_setup, checksums):
    server, backend, task, source = parallel_setup
    backend.block_checksums = checksums
    data = source.read_bytes()
    state = backend.begin_attach(task, source.name, len(data))
    observer = ParallelObserver()
    journaled: list[dict[str, str]] = []
    observer.save_state = journaled.append  # type: ignore[method-assign]
    state = backend.send_content(state, source, len(data), on_chunk=observer)
    assert bytes(observer.read) == data  # read once, in file order: what the engine hashes
    assert (observer.sent, observer.held_bytes) == (len(data), 0)
    blocks = len(data) // BLOCK + 1
    # One journal entry per block's 2xx; the set only grows, and ends with every block.
    sent_sets = [parse_numbers(entry["blocks_sent"], blocks) for entry in journaled]
    assert len(sent_sets) <= blocks and sent_sets[-1] == set(range(blocks))
    assert all(a <= b for a, b in itertools.pairwise(sent_sets))
    if hasattr(server, "requests") and server.requests:  # the sandbox's own endpoint logs them
        md5s = [r.headers.get("content-md5") for r in server.requests if "comp=block&" in r.query + "&"]
        assert all(md5s) if checksums else not any(md5s)
    record = backend.finish_attach(task, state, source.name)
    saved = backend.download_file(task, record.id, source.with_name("back.bin"))
    assert saved.read_bytes() == data


@pytest.mark.parametrize("fault", ["503", "drop_before"])
def test_a_block_that_fails_half_way_is_sent_again_alone(make_awork_sandbox, tmp_path, fault):
    server = make_awork_sandbox()
    backend = _parallel_backend(server)
    try:
        task = EntityRef(EntityKind.TASK, next(iter(backend.iter_pages(EntityKind.TASK, page_size=1))).items[0].id)
        source = tmp_path / "big.bin"
        data = os.urandom(3 * PARALLEL * BLOCK + 99)
        source.write_bytes(data)
        state = backend.begin_attach(task, source.name, len(data))
        server.clear_requests()
        observer = ParallelObserver()

        def fault_after_six_blocks(calls: int) -> None:  # the next block to start fails, once
            if calls == 6:
                plan = FaultPlan(1.0, kinds=(fault,), match=r"^PUT .*/blob/", max_faults=1, retry_after=0.05)
                server.set_faults(plan)

        observer.on_sending.append(fault_after_six_blocks)
        state = backend.send_content(state, source, len(data), on_chunk=observer)
        faulted = [r for r in server.requests if r.fault]
        assert len(faulted) == 1 and httpx.QueryParams(faulted[0].query).get("comp") == "block"
        again = httpx.QueryParams(faulted[0].query)["blockid"]
        puts = _block_puts(server)
        blocks = len(data) // BLOCK + 1
        assert sorted(puts) == sorted([block_id(BLOCK, n) for n in range(blocks)] + [again])
        assert observer.sent == len(data)  # the block sent twice is counted once
        server.set_faults(None)
        record = backend.finish_attach(task, state, source.name)
        assert backend.download_file(task, record.id, tmp_path / "back.bin").read_bytes() == data
    finally:
        backend.close()


def test_a_resumed_upload_sends_only_the_blocks_missing_among_those_staged_out_of_order(make_awork_sandbox, tmp_path):
    server = make_awork_sandbox()
    backend = _parallel_backend(server)
    try:
        task = EntityRef(EntityKind.TASK, next(iter(backend.iter_pages(EntityKind.TASK, page_size=1))).items[0].id)
        source = tmp_path / "big.bin"
        data = os.urandom(3 * PARALLEL * BLOCK + 7)
        source.write_bytes(data)
        state = backend.begin_attach(task, source.name, len(data))
        staged = [7, 2, 5, 3, 11]  # as blocks side by side arrive: in no particular order
        for number in staged:
            _put_block(state["upload_url"], number, data[number * BLOCK : (number + 1) * BLOCK])
        server.clear_requests()
        observer = ParallelObserver()
        state = backend.send_content(state, source, len(data), on_chunk=observer)
        blocks = len(data) // BLOCK + 1
        missing = [n for n in range(blocks) if n not in staged]
        assert sorted(_block_puts(server)) == sorted(block_id(BLOCK, n) for n in missing)
        assert (observer.held_bytes, observer.sent) == (len(staged) * BLOCK, len(data) - len(staged) * BLOCK)
        assert bytes(observer.read) == b"".join(data[n * BLOCK : (n + 1) * BLOCK] for n in missing)
        record = backend.finish_attach(task, state, source.name)
        assert backend.download_file(task, record.id, tmp_path / "back.bin").read_bytes() == data
    finally:
        backend.close()


def test_a_url_that_may_not_list_blocks_trusts_the_blocks_the_journal_says_were_sent(setup):
    server, backend, task, source = setup
    data = source.read_bytes()
    state = backend.begin_attach(task, source.name, SIZE)
    url = httpx.URL(state["upload_url"])
    signature = server.blobs.signature(server.blobs.container, state["upload_id"], url.params["se"], "cw")
    write_only = str(url.copy_set_param("sp", "cw").copy_set_param("sig", signature))
    for number in (3, 1):
        _put_block(write_only, number, data[number * BLOCK : (number + 1) * BLOCK])
    observer = Observer()
    state = {**state, "upload_url": write_only, "blocks_sent": format_numbers({1, 3})}
    state = backend.send_content(state, source, SIZE, on_chunk=observer)
    assert (observer.held_bytes, observer.sent) == (2 * BLOCK, SIZE - 2 * BLOCK)
    assert backend.finish_attach(task, state, source.name).size == SIZE


def test_a_stop_ends_every_block_in_flight(make_awork_sandbox, tmp_path):
    server = make_awork_sandbox()
    block = 4 * MiB  # 4 chunks each: a stop comes between chunks
    backend = _parallel_backend(server, block)
    try:
        task = EntityRef(EntityKind.TASK, next(iter(backend.iter_pages(EntityKind.TASK, page_size=1))).items[0].id)
        source = tmp_path / "big.bin"
        data = os.urandom(5 * block + 1)
        source.write_bytes(data)
        state = backend.begin_attach(task, source.name, len(data))
        server.clear_requests()
        observer = ParallelObserver(stop_when_all_in_flight=True)
        with pytest.raises(CancelledError):
            backend.send_content(state, source, len(data), on_chunk=observer)
        # No block of the pass is left sending (every block's memory is back), and not one
        # arrived: each was cut off after its first chunk (the fifth was never started).
        assert part_buffers.PART_BUFFERS.lent == 0
        assert observer.sent == PARALLEL * MiB  # one chunk of each of the first blocks, no more
        # (The server may never have dispatched a request cut off this early: at most these.)
        assert len(_block_puts(server)) <= PARALLEL
        listed = httpx.get(httpx.URL(state["upload_url"]).copy_merge_params({"comp": "blocklist"}))
        assert listed.status_code == 404 or b"<Block>" not in listed.content
    finally:
        backend.close()


class CountingBuffers(part_buffers.PartBuffers):
    """The process's part budget, noting the most it ever lent at once."""

    def __init__(self, budget: int) -> None:
        super().__init__(budget)
        self.most_lent = 0

    def take(self, size: int, check: Callable[[], None]) -> memoryview:
        view = super().take(size, check)
        self.most_lent = max(self.most_lent, self.lent)
        return view


def test_uploads_at_once_share_one_budget_of_blocks_in_flight(make_awork_sandbox, tmp_path, monkeypatch):
    """Three files of 13 blocks each, sent side by side, never hold more than the process's
    budget of 4 blocks between them (each alone would have 4 in flight), and all arrive whole."""
    budget = CountingBuffers(PARALLEL * BLOCK)
    monkeypatch.setattr(awork_blocks, "PART_BUFFERS", budget)
    server = make_awork_sandbox()
    backend = _parallel_backend(server)
    try:
        task = EntityRef(EntityKind.TASK, next(iter(backend.iter_pages(EntityKind.TASK, page_size=1))).items[0].id)
        sources = []
        for n in range(3):
            source = tmp_path / f"big-{n}.bin"
            source.write_bytes(os.urandom(3 * PARALLEL * BLOCK + 17 * n + 1))
            sources.append(source)
        records: dict[int, int] = {}
        errors: list[BaseException] = []

        def upload(n: int) -> None:
            try:
                size = sources[n].stat().st_size
                state = backend.begin_attach(task, sources[n].name, size)
                state = backend.send_content(state, sources[n], size, on_chunk=Observer())
                records[n] = backend.finish_attach(task, state, sources[n].name).id
            except BaseException as exc:  # reported below
                errors.append(exc)

        threads = [threading.Thread(target=upload, args=(n,)) for n in range(3)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(120)
        assert not errors and len(records) == 3
        assert 0 < budget.most_lent <= PARALLEL * BLOCK and budget.lent == 0
        for n, source in enumerate(sources):
            saved = backend.download_file(task, records[n], source.with_name(f"back-{n}.bin"))
            assert saved.read_bytes() == source.read_bytes()
    finally:
        backend.close()


def test_the_journaled_set_of_blocks_reads_back_and_drops_what_it_cannot_read():
    numbers = {0, 1, 2, 5, 7, 8, 11}
    assert format_numbers(numbers) == "0-2,5,7-8,11"
    assert parse_numbers(format_numbers(numbers), 12) == numbers
    assert parse_numbers(format_numbers(numbers), 8) == {0, 1, 2, 5, 7}  # past the plan: not held
    assert parse_numbers("3,x-4,-2,6-,9-10", 100) == {3, 9, 10}
    assert parse_numbers("", 10) == set()
