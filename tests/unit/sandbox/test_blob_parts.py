"""A sandbox blob kept in parts (Azure's committed blocks): joined once on its first read, gone
with its record, and a crash while its parts move in leaves nothing behind."""

from __future__ import annotations

import threading

from attache.sandbox.common.store import SqliteBlobStore


def _parts(store: SqliteBlobStore, *pieces: bytes):
    paths = []
    for piece in pieces:
        path = store.incoming_path("block-")
        path.write_bytes(piece)
        paths.append(path)
    return paths


def test_parts_are_joined_once_however_many_readers_ask_at_once(tmp_path):
    store = SqliteBlobStore(tmp_path)
    blob_id = store.adopt_parts(_parts(store, b"one ", b"two ", b"three"))
    assert store.blob_head_path(blob_id).read_bytes() == b"one "  # the head, not joined
    paths = []
    readers = [threading.Thread(target=lambda: paths.append(store.blob_path(blob_id))) for _ in range(4)]
    for reader in readers:
        reader.start()
    for reader in readers:
        reader.join(30)
    assert {path.read_bytes() for path in paths} == {b"one two three"}
    assert not (tmp_path / "blobs" / f"{blob_id}.parts").exists()
    assert list(store.incoming_dir.iterdir()) == []  # no join left half-way
    store.close()


def test_a_blob_of_no_parts_is_an_empty_file(tmp_path):
    store = SqliteBlobStore(tmp_path)
    assert store.blob_path(store.adopt_parts([])).read_bytes() == b""
    store.close()


def test_a_blob_in_parts_is_dropped_with_its_parts(tmp_path):
    store = SqliteBlobStore(tmp_path)
    blob_id = store.adopt_parts(_parts(store, b"a", b"b"))
    store.drop_blobs([blob_id])
    assert sorted(p.name for p in store.blob_dir.iterdir()) == ["incoming"]
    store.close()


def test_parts_cut_off_while_moving_in_are_swept_at_the_next_start(tmp_path):
    store = SqliteBlobStore(tmp_path)
    staging = store.incoming_path("x-parts-")
    staging.mkdir()
    (staging / "000000").write_bytes(b"half")
    store.close()
    again = SqliteBlobStore(tmp_path)
    assert list(again.incoming_dir.iterdir()) == []
    again.close()
