"""The avatar cache on disk and the decoded-preview cache in memory."""

from __future__ import annotations

import os
import threading

import pytest

from attache.images.cache import AvatarCache, AvatarKey, DecodedCache
from attache.images.decode import Preview


def key(entity_id: str = "u1", version: str = "v1", size: int = 64, account: str = "awork:Acme") -> AvatarKey:
    return AvatarKey(account, "user", entity_id, version, size)


@pytest.fixture
def cache(tmp_path) -> AvatarCache:
    return AvatarCache(tmp_path / "avatars", max_bytes=10_000)


def test_hit_after_put(cache):
    assert cache.get(key()) is None
    cache.put(key(), b"picture")
    assert cache.get(key()) == b"picture"


def test_a_second_launch_sees_the_same_files(cache):
    cache.put(key(), b"picture")
    assert AvatarCache(cache.root, max_bytes=10_000).get(key()) == b"picture"


def test_default_location_honours_attache_home(tmp_path, monkeypatch):
    monkeypatch.setenv("ATTACHE_HOME", str(tmp_path))
    assert AvatarCache().root == tmp_path / "cache" / "avatars"


def test_changed_version_misses_and_its_fetch_replaces_the_old(cache):
    cache.put(key(version="v1"), b"old face")
    assert cache.get(key(version="v2")) is None
    stale = cache.get_any(key(version="v2"))  # shown at start, until the fresh one arrives
    assert (stale.version, stale.data) == ("v1", b"old face")
    cache.put(key(version="v2"), b"new face")
    assert cache.get(key(version="v2")) == b"new face"
    assert cache.get(key(version="v1")) is None
    assert len(list(cache.root.glob("*.avatar"))) == 1


def test_keys_are_separate_by_account_entity_and_size(cache):
    cache.put(key(), b"a")
    for other in (key(account="awork:Other"), key(entity_id="u2"), key(size=128)):
        assert cache.get(other) is None


def test_eviction_at_the_cap_drops_the_least_recently_used(cache):
    blob = b"x" * 2000  # five of these (plus headers) exceed the 10 kB cap
    for name in "abcd":
        cache.put(key(name), blob)
    assert cache.get(key("a")) == blob  # "a" is now the most recently used; "b" the least
    cache.put(key("e"), blob)
    assert cache.get(key("b")) is None
    assert all(cache.get(key(name)) == blob for name in "acde")
    assert cache.total_bytes() <= cache.max_bytes
    assert cache.total_bytes() == sum(p.stat().st_size for p in cache.root.glob("*.avatar"))


def test_eviction_counts_files_from_a_previous_session(cache):
    blob = b"x" * 2000
    for name in "abcd":
        cache.put(key(name), blob)
    reopened = AvatarCache(cache.root, max_bytes=10_000)
    reopened.put(key("e"), blob)
    assert reopened.get(key("a")) is None
    assert reopened.total_bytes() <= reopened.max_bytes


def test_an_item_too_large_for_the_cache_is_not_kept(cache):
    cache.put(key(), b"x" * 5000)
    assert cache.get(key()) is None


@pytest.mark.parametrize(
    "damage",
    [
        lambda data: data[: len(data) // 2],  # torn write
        lambda data: data[:-1] + bytes([data[-1] ^ 1]),  # flipped bit: checksum
        lambda data: b"GIF89a" + data[6:],  # not ours at all
        lambda data: b"",
    ],
)
def test_a_corrupt_file_is_ignored_and_replaced(cache, damage):
    cache.put(key(), b"picture" * 10)
    path = next(cache.root.glob("*.avatar"))
    path.write_bytes(damage(path.read_bytes()))
    assert cache.get(key()) is None
    assert not path.exists()
    cache.put(key(), b"fresh")
    assert cache.get(key()) == b"fresh"


def test_crash_leftovers_are_cleaned(cache):
    cache.put(key(), b"picture")
    leftover = cache.root / ".abc.tmp"
    leftover.write_bytes(b"half")
    os.utime(leftover, (0, 0))
    fresh = AvatarCache(cache.root, max_bytes=10_000)
    fresh.total_bytes()
    assert not leftover.exists()
    assert fresh.get(key()) == b"picture"


def test_discard_and_clear(cache):
    cache.put(key("a"), b"1")
    cache.put(key("b"), b"2")
    cache.discard(key("a"))
    assert cache.get(key("a")) is None and cache.get(key("b")) == b"2"
    cache.clear()
    assert cache.get(key("b")) is None and cache.total_bytes() == 0


def test_a_missing_or_unwritable_folder_is_a_miss_not_an_error(tmp_path):
    blocker = tmp_path / "file"
    blocker.write_bytes(b"")
    broken = AvatarCache(blocker / "avatars")
    broken.put(key(), b"picture")
    assert broken.get(key()) is None


@pytest.mark.timeout(30)
def test_threads_share_the_cache(cache):
    errors = []

    def work(worker: int) -> None:
        try:
            for round_ in range(100):
                k = key(f"e{(worker + round_) % 12}", version=f"v{round_ % 3}")
                cache.put(k, bytes([worker]) * 300)
                got = cache.get_any(k)
                assert got is None or len(got.data) == 300
        except Exception as error:  # pragma: no cover - reported below
            errors.append(error)

    threads = [threading.Thread(target=work, args=(n,)) for n in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert not errors
    assert cache.total_bytes() <= cache.max_bytes


# ---------- decoded previews in memory ----------


def preview(nbytes: int) -> Preview:
    return Preview(nbytes // 4, 1, bytes(nbytes), nbytes // 4, 1, "PNG")


def test_decoded_cache_is_lru_by_bytes():
    decoded = DecodedCache(max_bytes=1000)
    for name in "abc":
        decoded.put(name, preview(400))  # "a" falls out: 1200 > 1000
    assert decoded.get("a") is None and len(decoded) == 2
    assert decoded.get("b") is not None  # "c" is now the least recently used
    decoded.put("d", preview(400))
    assert "c" not in decoded and "b" in decoded and "d" in decoded
    assert decoded.total_bytes == 800


def test_decoded_cache_replaces_and_skips_oversized():
    decoded = DecodedCache(max_bytes=1000)
    decoded.put("a", preview(400))
    decoded.put("a", preview(200))
    assert decoded.total_bytes == 200
    decoded.put("huge", preview(4000))
    assert "huge" not in decoded and "a" in decoded
    decoded.discard("a")
    assert decoded.total_bytes == 0


@pytest.mark.parametrize(
    ("version", "entity_id"),
    [("v" * 70_000, "u1"), ("2025-01-01\ud800", "u\udfff"), ("é" * 600, "u2")],
)
def test_a_servers_odd_version_or_id_is_cached_all_the_same(cache, version, entity_id):
    # Not cached, the picture would be fetched again on every refresh and launch.
    from attache.images.cache import CachedAvatar

    key = AvatarKey("awork:Acme", "user", entity_id, version, 36)
    cache.put(key, b"picture")
    assert cache.get(key) == b"picture"
    assert cache.get_any(key) == CachedAvatar(version, b"picture")
    newer = AvatarKey("awork:Acme", "user", entity_id, version + "x", 36)
    assert cache.get(newer) is None and cache.get_any(newer) is not None
