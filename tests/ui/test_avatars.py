"""The avatar tiers without HTTP: memory, the disk cache (get_any: an old picture at once), the service."""

from __future__ import annotations

import threading
from dataclasses import replace

import pytest
from ui_fakes import FakeBackend, png_bytes

from attache.core.errors import ServerError
from attache.core.models import EntityKind, EntityRef
from attache.images.cache import AvatarCache as DiskCache
from attache.images.cache import AvatarKey
from attache.ui.avatars import AvatarCache

GREEN, RED = (0, 160, 0), (220, 20, 20)
REF = EntityRef(EntityKind.USER, "u0")


class SlowBackend(FakeBackend):
    """get_image waits for `release`, or raises `error`."""

    def __init__(self) -> None:
        super().__init__(users=2)
        self.release = threading.Event()
        self.release.set()
        self.error: Exception | None = None

    def get_image(self, ref, **kwargs):
        self.release.wait(10)
        if self.error is not None:
            self.image_calls += 1
            raise self.error
        return super().get_image(ref, **kwargs)


@pytest.fixture
def backend():
    backend = SlowBackend()
    backend.images[REF] = png_bytes(RED, 64)
    return backend


@pytest.fixture
def disk(tmp_path):
    return DiskCache(tmp_path / "avatars")


@pytest.fixture
def avatars(app, qtbot, backend, disk):
    cache = AvatarCache()
    cache.set_backend(backend, disk=disk)
    yield cache
    backend.release.set()
    from attache.ui import tasks

    tasks.runner().wait(5000)
    qtbot.wait(10)


def _user(backend, version: str):
    return replace(backend.get_entity(REF), version=version)


def _centre(image) -> tuple[int, int, int]:
    colour = image.pixelColor(image.width() // 2, image.height() // 2)
    return colour.red(), colour.green(), colour.blue()


def _put(disk, backend, version: str, colour) -> None:
    disk.put(AvatarKey(f"awork:{backend.account}", "user", REF.id, version, 36), png_bytes(colour, 36))


def test_an_unchanged_picture_comes_from_disk_and_is_never_fetched(avatars, backend, disk, qtbot):
    _put(disk, backend, "1", GREEN)
    user = _user(backend, "1")
    assert avatars.image(user, 36) is None  # queued
    qtbot.waitUntil(lambda: avatars.lookup(user, 36)[0], timeout=5000)
    assert _centre(avatars.image(user, 36)) == GREEN
    assert backend.image_calls == 0 and avatars.fetch_count == 0


def test_an_old_picture_shows_until_the_new_version_arrives(avatars, backend, disk, qtbot):
    _put(disk, backend, "1", GREEN)
    user = _user(backend, "2")
    backend.release.clear()  # the service is slow
    with qtbot.waitSignal(avatars.changed, timeout=5000):
        avatars.image(user, 36)
    known, image = avatars.lookup(user, 36)
    assert not known and _centre(image) == GREEN  # painted at once, still being checked
    backend.release.set()
    qtbot.waitUntil(lambda: avatars.lookup(user, 36)[0], timeout=5000)
    assert _centre(avatars.image(user, 36)) == RED
    # the disk now holds the new version
    cached = disk.get_any(AvatarKey(f"awork:{backend.account}", "user", REF.id, "2", 36))
    assert cached is not None and cached.version == "2"


def test_a_failed_fetch_keeps_the_cached_picture_and_does_not_retry_in_a_loop(avatars, backend, disk, qtbot):
    _put(disk, backend, "1", GREEN)
    backend.error = ServerError("awork is down")
    user = _user(backend, "2")
    avatars.image(user, 36)
    qtbot.waitUntil(lambda: avatars.lookup(user, 36)[0], timeout=5000)
    assert _centre(avatars.image(user, 36)) == GREEN
    qtbot.wait(50)
    assert avatars.fetch_count == 1


def test_a_picture_that_does_not_decode_is_dropped_from_disk(avatars, backend, disk, qtbot):
    key = AvatarKey(f"awork:{backend.account}", "user", REF.id, "1", 36)
    disk.put(key, b"\x89PNG\r\n\x1a\n not really")
    user = _user(backend, "1")
    avatars.image(user, 36)
    qtbot.waitUntil(lambda: avatars.lookup(user, 36)[0], timeout=5000)
    assert _centre(avatars.image(user, 36)) == RED  # fetched again
    assert disk.get(key) == backend.images[REF]


def test_refresh_rechecks_but_keeps_showing(avatars, backend, disk, qtbot):
    user = _user(backend, "1")
    avatars.image(user, 36)
    qtbot.waitUntil(lambda: avatars.lookup(user, 36)[0], timeout=5000)
    avatars.clear()
    known, image = avatars.lookup(user, 36)
    assert not known and image is not None  # no flash of initials on Refresh
    avatars.image(user, 36)
    qtbot.waitUntil(lambda: avatars.lookup(user, 36)[0], timeout=5000)
    assert avatars.fetch_count == 1  # the disk answered the recheck


def test_memory_is_bounded_by_bytes(app, qtbot, tmp_path):
    backend = FakeBackend(users=1)
    cache = AvatarCache(memory_bytes=20 * 36 * 36 * 4)  # twenty 36 px pictures
    cache.set_backend(backend, disk=DiskCache(tmp_path / "avatars"))
    user = backend.get_entity(EntityRef(EntityKind.USER, "u0"))
    for n in range(60):
        backend.images[EntityRef(EntityKind.USER, f"x{n}")] = png_bytes(GREEN, 36)
        cache.image(replace(user, id=f"x{n}"), 36)
    qtbot.waitUntil(lambda: cache.loaded_count >= 60, timeout=10_000)
    assert len(cache.memory) <= 20 and cache.memory.total_bytes <= cache.memory.max_bytes
