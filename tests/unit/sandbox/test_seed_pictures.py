"""The awork sandbox draws its demo pictures on threads while it seeds: a seed still gives the
same pictures, byte for byte, on the entities it gave them to."""

from __future__ import annotations

from pathlib import Path

from attache.sandbox.awork import seed
from attache.sandbox.awork.store import Store


def _pictures(folder: Path, seed_number: int) -> dict[tuple[str, str], bytes]:
    store = Store(folder)
    seed.seed_store(store, seed=seed_number)
    rows = store.read("SELECT entity_name, entity_id, size, blob FROM images")
    pictures = {(row["entity_name"], row["entity_id"]): store.blob_path(row["blob"]).read_bytes() for row in rows}
    assert all(len(pictures[row["entity_name"], row["entity_id"]]) == row["size"] for row in rows)
    return pictures


def test_a_seed_draws_the_same_pictures_every_time(tmp_path):
    first, again = _pictures(tmp_path / "first", 1), _pictures(tmp_path / "again", 1)
    other = _pictures(tmp_path / "other", 2)
    assert len(first) >= 20 and {kind for kind, _ in first} >= {"users", "companies", "projects", "workspaces"}
    assert first == again
    assert set(first.values()).isdisjoint(other.values())
