"""The avatar tiers against the awork sandbox over real HTTP: memory, the disk cache (get_any: an
old picture at once), the service — slow, failing or answering."""

from __future__ import annotations

import time
import uuid

import pytest
from ui_helpers import image_requests, png_bytes, put_picture

from attache.core.models import EntityKind, EntityRef
from attache.images.cache import AvatarCache as DiskCache
from attache.images.cache import AvatarKey
from attache.sandbox import FaultPlan
from attache.ui.avatars import AvatarLoader

GREEN, RED = (0, 160, 0), (220, 20, 20)
IMAGES = r"^GET /api/v1/files/images/"


@pytest.fixture
def server(fresh_awork_sandbox):
    return fresh_awork_sandbox


@pytest.fixture
def ref(server) -> EntityRef:
    """A person whose picture on the service is red."""
    user_id = server.store.scalar("SELECT id FROM users WHERE is_archived=0 ORDER BY rowid LIMIT 1 OFFSET 1")
    put_picture(server, "users", user_id, RED)
    return EntityRef(EntityKind.USER, user_id)


@pytest.fixture
def backend(server, make_backend):
    return make_backend(server, retries=False)  # a refused request is not asked again


@pytest.fixture
def disk(tmp_path):
    return DiskCache(tmp_path / "avatars")


@pytest.fixture
def avatars(app, qtbot, backend, disk):
    cache = AvatarLoader()
    cache.set_backend(backend, disk=disk)
    yield cache
    from attache.ui import tasks

    tasks.runner().wait(5000)
    qtbot.wait(10)


def _centre(image) -> tuple[int, int, int]:
    colour = image.pixelColor(image.width() // 2, image.height() // 2)
    return colour.red(), colour.green(), colour.blue()


def _key(backend, user, size: int = 36) -> AvatarKey:
    return AvatarKey(f"awork:{backend.account}", "user", user.id, user.version, size)


def _green_on_disk_then_red_on_the_service(server, backend, disk, ref):
    """The disk holds a green picture fetched earlier; since then the person changed it to red.
    Returns the person as listed now."""
    put_picture(server, "users", ref.id, GREEN)
    before = backend.get_entity(ref)
    disk.put(_key(backend, before), png_bytes(GREEN, 36))
    put_picture(server, "users", ref.id, RED)
    now = backend.get_entity(ref)
    assert now.version != before.version and now.has_image
    return now


def test_an_unchanged_picture_comes_from_disk_and_is_never_fetched(avatars, backend, server, disk, ref, qtbot):
    user = backend.get_entity(ref)
    disk.put(_key(backend, user), png_bytes(GREEN, 36))
    began = time.monotonic()
    assert avatars.image(user, 36) is None  # queued
    qtbot.waitUntil(lambda: avatars.lookup(user, 36)[0], timeout=5000)
    assert _centre(avatars.image(user, 36)) == GREEN
    qtbot.wait(50)
    assert image_requests(server, since=began) == [] and avatars.fetch_count == 0


def test_an_old_picture_shows_until_the_new_version_arrives(avatars, backend, server, disk, ref, qtbot):
    user = _green_on_disk_then_red_on_the_service(server, backend, disk, ref)
    server.set_faults(FaultPlan(1.0, kinds=("slow",), match=IMAGES, slow_range=(1.0, 1.0)))  # a slow service
    began = time.monotonic()
    with qtbot.waitSignal(avatars.changed, timeout=5000):
        avatars.image(user, 36)
    known, image = avatars.lookup(user, 36)
    assert not known and _centre(image) == GREEN  # painted at once, still being checked
    qtbot.waitUntil(lambda: bool(image_requests(server, since=began)), timeout=5000)
    assert all(r.end is None for r in image_requests(server, since=began))  # asked, not yet answered…
    known, image = avatars.lookup(user, 36)
    assert not known and _centre(image) == GREEN  # …and the old picture stays meanwhile
    server.set_faults(None)
    qtbot.waitUntil(lambda: avatars.lookup(user, 36)[0], timeout=5000)
    assert _centre(avatars.image(user, 36)) == RED
    # the disk now holds the new version
    cached = disk.get_any(_key(backend, user))
    assert cached is not None and cached.version == user.version


def test_a_failed_fetch_keeps_the_cached_picture_and_does_not_retry_in_a_loop(
    avatars, backend, server, disk, ref, qtbot
):
    user = _green_on_disk_then_red_on_the_service(server, backend, disk, ref)
    server.set_faults(FaultPlan(1.0, kinds=("503",), match=IMAGES))  # the service is down
    began = time.monotonic()
    avatars.image(user, 36)
    qtbot.waitUntil(lambda: avatars.lookup(user, 36)[0], timeout=5000)
    assert _centre(avatars.image(user, 36)) == GREEN
    qtbot.wait(50)
    assert avatars.fetch_count == 1
    assert [r.fault for r in image_requests(server, since=began)] == ["503"]


def test_a_picture_that_does_not_decode_is_dropped_from_disk(avatars, backend, server, disk, ref, qtbot):
    user = backend.get_entity(ref)
    key = _key(backend, user)
    disk.put(key, b"\x89PNG\r\n\x1a\n not really")
    began = time.monotonic()
    avatars.image(user, 36)
    qtbot.waitUntil(lambda: avatars.lookup(user, 36)[0], timeout=5000)
    assert _centre(avatars.image(user, 36)) == RED  # fetched again
    assert len(image_requests(server, since=began)) == 1
    assert disk.get(key) == backend.get_image(ref, width=36, height=36, crop=True)  # what the service sent


def test_refresh_rechecks_but_keeps_showing(avatars, backend, server, ref, qtbot):
    user = backend.get_entity(ref)
    began = time.monotonic()
    avatars.image(user, 36)
    qtbot.waitUntil(lambda: avatars.lookup(user, 36)[0], timeout=5000)
    avatars.clear()
    known, image = avatars.lookup(user, 36)
    assert not known and image is not None  # no flash of initials on Refresh
    avatars.image(user, 36)
    qtbot.waitUntil(lambda: avatars.lookup(user, 36)[0], timeout=5000)
    assert avatars.fetch_count == 1  # the disk answered the recheck
    assert len(image_requests(server, since=began)) == 1


def _add_people(server, count: int, colour) -> None:
    """`count` more people in the workspace, each with a picture."""
    store = server.store
    template = dict(store.read_one("SELECT * FROM users WHERE id=?", (server.me_id,)))
    columns = ", ".join(template)
    marks = ", ".join("?" * len(template))
    ids = [str(uuid.uuid4()) for _ in range(count)]
    with store.transaction() as db:
        for n, user_id in enumerate(ids):
            row = {**template, "id": user_id, "first_name": "Person", "last_name": f"{n:02}", "has_image": 0}
            db.execute(f"INSERT INTO users ({columns}) VALUES ({marks})", tuple(row.values()))
    for user_id in ids:
        put_picture(server, "users", user_id, colour, 36)


def test_memory_is_bounded_by_bytes(app, qtbot, server, make_backend, tmp_path):
    _add_people(server, 60, GREEN)
    backend = make_backend(server)
    people = [
        user for page in backend.iter_pages(EntityKind.USER) for user in page.items if user.name.startswith("Person ")
    ]
    assert len(people) == 60 and all(user.has_image for user in people)
    cache = AvatarLoader(memory_bytes=20 * 36 * 36 * 4)  # twenty 36 px pictures
    cache.set_backend(backend, disk=DiskCache(tmp_path / "avatars"))
    for user in people:
        cache.image(user, 36)
    qtbot.waitUntil(lambda: cache.loaded_count >= 60, timeout=10_000)
    assert len(cache.memory) <= 20 and cache.memory.total_bytes <= cache.memory.max_bytes
    assert cache.fetch_count == 60


@pytest.mark.parametrize("version", ["v" * 70_000, "2025-01-01\ud800"])
def test_a_picture_with_an_odd_version_is_shown_and_fetched_once(avatars, backend, server, ref, qtbot, version):
    # A version the disk could not store made every refresh fetch the picture again, and hid it.
    import dataclasses

    user = dataclasses.replace(backend.get_entity(ref), version=version)
    began = time.monotonic()
    for _ in range(2):
        avatars.image(user, 36)
        qtbot.waitUntil(lambda: avatars.lookup(user, 36)[0], timeout=10_000)
        assert _centre(avatars.image(user, 36)) == RED
        avatars.clear()  # Refresh: checked again, from the disk
    assert avatars.fetch_count == 1 and len(image_requests(server, since=began)) == 1


def _white_pixels(image) -> int:
    return sum(
        1
        for x in range(image.width())
        for y in range(image.height())
        if min(image.pixelColor(x, y).getRgb()[:3]) > 200 and image.pixelColor(x, y).alpha() > 200
    )


def test_a_row_shows_a_plain_disc_while_its_picture_loads_and_initials_when_there_is_none(
    avatars, backend, server, ref, qtbot
):
    """While a person's picture is on its way their row shows a disc of their colour (drawn once
    per colour, not initials drawn for every row and replaced); then the picture. A person without
    a picture shows their initials: white letters on their colour."""
    from dataclasses import replace

    from attache.ui.avatars import colour_for

    user = backend.get_entity(ref)
    server.set_faults(FaultPlan(1.0, kinds=("slow",), match=IMAGES, slow_range=(1.0, 1.0)))
    loading = avatars.row_image(user, 36, 1.0)
    colour = colour_for(user.id)
    assert _centre(loading) == (colour.red(), colour.green(), colour.blue())
    assert _white_pixels(loading) == 0  # no letters
    server.set_faults(None)
    qtbot.waitUntil(lambda: avatars.lookup(user, 36)[0], timeout=10_000)
    assert _centre(avatars.row_image(user, 36, 1.0)) == RED
    initials = avatars.row_image(replace(user, has_image=False), 36, 1.0)
    assert _white_pixels(initials) > 10
