"""Profile images for list rows and the detail pane: memory, then disk, then the service.

A delegate asks `image(entity, px)` while painting, so only visible rows ever ask. Three tiers:

- memory: decoded QImages in a bounded `DecodedCache` (bytes of pixels, least recently used out),
  one entry per entity, size and shape, remembering which version of the picture it shows;
- disk: `attache.images.cache.AvatarCache` (the fetched bytes, keyed by account, entity, version and
  size, across launches);
- the service: `backend.get_image(ref, width=px, height=px, crop=True)`.

A miss in memory queues a disk read (most recently painted first, a few at a time on the
"images" pool). The read uses `get_any`: whatever version is on disk is decoded and painted at
once, so a second launch shows every avatar before the network has answered anything. Only
when the disk's version differs from the entity's (or there is none) is the service asked, on
its own "avatar-fetch" pool so slow answers never hold up disk reads; until it answers, the old
picture stays. A failed fetch keeps the old picture too. Decoding is always on workers; the GUI
thread only paints QImages. Entities without an image get initials, drawn once (`initials`)
and kept in memory with the pictures.
"""

from __future__ import annotations

import functools
import hashlib
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass

from PySide6.QtCore import QObject, QRectF, Qt, QTimer, Signal
from PySide6.QtGui import QColor, QFont, QImage, QPainter

from attache.core.models import Entity, EntityKind, EntityRef
from attache.core.names import initials
from attache.images.cache import AvatarKey, DecodedCache
from attache.ui import imaging, tasks

# pleasant, readable-with-white-text colours for initials
_PALETTE = (
    "#4f6bed",
    "#2f9e8f",
    "#d9534f",
    "#8e5cd9",
    "#e08a1e",
    "#2b8fd6",
    "#c2407b",
    "#4a9c3b",
    "#6c7a89",
    "#b5651d",
    "#0f8b8d",
    "#7b61ff",
)


@functools.lru_cache(maxsize=4096)
def _palette_index(entity_id: str) -> int:
    digest = hashlib.blake2s(entity_id.encode(), digest_size=2).digest()
    return int.from_bytes(digest, "big") % len(_PALETTE)


def colour_for(entity_id: str) -> QColor:
    return QColor(_PALETTE[_palette_index(entity_id)])


_initials_fonts: dict[tuple[str, int], QFont] = {}
_WHITE = QColor("white")


def _initials_font(base: QFont, pixel_size: int) -> QFont:
    """The initials' font at a size, made once: a new QFont each time costs a font lookup, and
    a scrolled list draws a few hundred initials."""
    key = (base.key(), pixel_size)
    font = _initials_fonts.get(key)
    if font is None:
        font = QFont(base)
        font.setPixelSize(pixel_size)
        font.setWeight(QFont.Weight.DemiBold)
        _initials_fonts[key] = font
    return font


def paint_initials(painter: QPainter, rect: QRectF, entity_id: str, name: str, *, round_shape: bool = True) -> None:
    painter.save()
    painter.setRenderHint(QPainter.RenderHint.Antialiasing)
    painter.setPen(Qt.PenStyle.NoPen)
    painter.setBrush(colour_for(entity_id))
    if round_shape:
        painter.drawEllipse(rect)
    else:
        radius = rect.width() * 0.18
        painter.drawRoundedRect(rect, radius, radius)
    painter.setFont(_initials_font(painter.font(), max(8, int(rect.height() * 0.38))))
    painter.setPen(_WHITE)
    painter.drawText(rect, Qt.AlignmentFlag.AlignCenter, initials(name))
    painter.restore()


@dataclass(slots=True)
class _Entry:
    """What memory holds for one (entity, size, shape): a picture (or None: the entity has none)."""

    image: QImage | None
    version: str  # the entity version this picture belongs to
    checked: int  # the generation in which it was confirmed current; -1 while only a guess
    nbytes: int = 0

    def __post_init__(self) -> None:
        self.nbytes = self.image.sizeInBytes() if self.image is not None else 64


class AvatarLoader(QObject):
    """Entity images by (entity, version, pixel size, shape), loaded on demand through three tiers."""

    changed = Signal(object)  # EntityRef whose image is now available (or known absent)

    MEMORY_BYTES = 48 * 1024 * 1024  # ~2,300 avatars at 72 px (36 px on a 2× screen)
    MAX_READS = 2  # disk reads + decodes at once (a few ms each; more threads only contend)
    MAX_FETCHES = 4  # requests to the service at once
    READ_BATCH = 8  # at most this many pictures per worker task, when many wait
    FETCH_BATCH = 3
    MAX_WANTED = 400  # rows scrolled far away are not worth loading

    def __init__(self, parent: QObject | None = None, *, memory_bytes: int | None = None) -> None:
        super().__init__(parent)
        self._backend = None
        self._disk = None
        self._account = ""
        self.memory = DecodedCache(memory_bytes or self.MEMORY_BYTES)
        self._generation = 0  # a new one on every account switch or refresh
        self._epochs: dict[tuple, int] = {}  # per entity: bumped when its picture changed
        self._to_read: OrderedDict[tuple, tuple] = OrderedDict()
        self._to_fetch: OrderedDict[tuple, tuple] = OrderedDict()
        self._reading: set[tuple] = set()
        self._fetching: set[tuple] = set()
        self._read_tasks = 0  # worker tasks under way, each with a batch of keys
        self._fetch_tasks = 0
        self._sizes_used: set[int] = set()
        self._pump_timer = QTimer(self)
        self._pump_timer.setSingleShot(True)
        self._pump_timer.setInterval(0)
        self._pump_timer.timeout.connect(self._pump)
        self.loaded_count = 0  # pictures settled (from disk or the service), for benchmarks
        self.fetch_count = 0  # requests sent to the service

    def observe(self, session) -> None:
        """Follow the window's session (`ui.session.Session`): its backend and its disk cache."""
        session.changed.connect(lambda: self.set_backend(session.backend, disk=session.disk))

    def set_backend(self, backend, *, disk=None) -> None:
        """Use this backend; `disk` (attache.images.cache.AvatarCache) keeps fetched bytes across runs."""
        self._backend = backend
        self._disk = disk
        self._account = f"{backend.service}:{backend.account}" if backend is not None else ""
        self.memory.clear()
        self.clear()
        if backend is not None:
            # The first decode in a process pays for plugin imports and a new thread (~50 ms);
            # pay it now, while the first page of the list is still on its way.
            tasks.run_task(_warm_up, owner=self, pool="images")

    @property
    def queued(self) -> int:
        """Pictures waiting for a disk read or a fetch (not yet started)."""
        return len(self._to_read) + len(self._to_fetch)

    @property
    def busy(self) -> bool:
        """A disk read or a fetch is under way."""
        return bool(self._reading or self._fetching)

    @property
    def disk(self):
        """The disk cache in use (shared with file thumbnails), or None."""
        return self._disk

    def clear(self) -> None:
        """Check every picture again (Refresh). What is in memory is still shown meanwhile."""
        self._generation += 1
        self._to_read.clear()
        self._to_fetch.clear()

    def invalidate(self, ref: EntityRef) -> None:
        """Forget every size and version of one entity's image (after it changed)."""
        slot = (ref.kind, ref.id)
        self._epochs[slot] = self._epochs.get(slot, 0) + 1  # answers already on their way are stale
        for px in self._sizes_used:
            for round_mask in (True, False):
                self.memory.discard((ref.kind, ref.id, px, round_mask))
        for queue in (self._to_read, self._to_fetch):
            for key in [k for k in queue if k[2:4] == slot]:
                del queue[key]
        disk = self._disk
        if disk is not None:
            for px in self._sizes_used:
                disk.discard(AvatarKey(self._account, ref.kind.value, ref.id, "", px))
        self.changed.emit(ref)

    # ------------------------------------------------------------------ asking

    def lookup(self, entity: Entity, px: int, *, round_mask: bool = True) -> tuple[bool, QImage | None]:
        """(known, image): known is False while the picture is loading or may be out of date;
        image is what to paint meanwhile (an older version, or None for initials)."""
        if not entity.has_image or self._backend is None:
            return True, None
        entry = self.memory.get((entity.kind, entity.id, px, round_mask))
        if entry is None:
            return False, None
        known = entry.checked == self._generation and entry.version == entity.version
        return known, entry.image

    def initials_image(self, entity: Entity, px: int, dpr: float) -> QImage:
        """The entity's initials on its colour, round, drawn once and kept with the pictures."""
        key = ("initials", entity.id, entity.name, px)
        return self._drawn(key, px, dpr, lambda painter, rect: paint_initials(painter, rect, entity.id, entity.name))

    def loading_image(self, entity: Entity, px: int, dpr: float) -> QImage:
        """A round disc of the entity's colour, without its letters: what a list row shows while
        its picture loads. Twelve colours, drawn once each; initials would be drawn for every
        row that scrolls into view (~0.4 ms each on the GUI thread) and then replaced."""

        def disc(painter: QPainter, rect: QRectF) -> None:
            painter.setRenderHint(QPainter.RenderHint.Antialiasing)
            painter.setPen(Qt.PenStyle.NoPen)
            painter.setBrush(colour_for(entity.id))
            painter.drawEllipse(rect)

        return self._drawn(("loading", _palette_index(entity.id), px), px, dpr, disc)

    def _drawn(self, key: tuple, px: int, dpr: float, draw: Callable[[QPainter, QRectF], None]) -> QImage:
        """A `px`-square picture drawn by `draw(painter, rect)` once, then kept with the pictures."""
        entry = self.memory.get(key)
        if entry is None:
            image = QImage(px, px, QImage.Format.Format_ARGB32_Premultiplied)
            image.fill(Qt.GlobalColor.transparent)
            painter = QPainter(image)
            draw(painter, QRectF(0, 0, px, px))
            painter.end()
            image.setDevicePixelRatio(dpr)
            entry = _Entry(image, "", 0)
            self.memory.put(key, entry)
        return entry.image

    def row_image(self, entity: Entity, px: int, dpr: float) -> QImage:
        """What a list row paints now: its picture (an older version while a newer one loads), a
        plain disc while its picture loads, or its initials when it has none."""
        known, image = self.lookup(entity, px)
        if not known:
            self._want(entity, px, True)
        if image is not None:
            return image
        if not known:  # the picture is on its way
            return self.loading_image(entity, px, dpr)
        return self.initials_image(entity, px, dpr)

    def image(self, entity: Entity, px: int, *, round_mask: bool = True) -> QImage | None:
        """The picture to paint now, or None; when it may be missing or stale a load is queued and
        `changed` fires when it lands."""
        known, image = self.lookup(entity, px, round_mask=round_mask)
        if not known:
            self._want(entity, px, round_mask)
        return image

    def _want(self, entity: Entity, px: int, round_mask: bool) -> None:
        slot = (entity.kind, entity.id)
        key = (self._generation, self._epochs.get(slot, 0), entity.kind, entity.id, entity.version, px, round_mask)
        if key in self._reading or key in self._fetching or key in self._to_fetch:
            return
        queue = self._to_read if self._disk is not None else self._to_fetch
        queue[key] = (entity.ref, px, round_mask)
        queue.move_to_end(key)  # most recently painted first
        while len(queue) > self.MAX_WANTED:
            queue.popitem(last=False)
        if not self._pump_timer.isActive():
            self._pump_timer.start()

    # ------------------------------------------------------------------ loading

    def _current(self, key: tuple) -> bool:
        return key[0] == self._generation and key[1] == self._epochs.get((key[2], key[3]), 0)

    def _batch(self, queue: OrderedDict, in_flight: set, limit: int, tasks_running: int, biggest: int) -> list:
        """The most recently wanted keys for one worker task: one at a time while few wait (the
        quickest answer), up to `biggest` in a storm (fewer hand-offs between threads)."""
        size = max(1, min(biggest, len(queue) // max(1, limit - tasks_running)))
        batch = []
        while queue and len(batch) < size:
            key, (ref, px, round_mask) = queue.popitem(last=True)
            in_flight.add(key)
            self._sizes_used.add(px)
            batch.append((key, ref, px, round_mask))
        return batch

    def _pump(self) -> None:
        backend, disk, account = self._backend, self._disk, self._account
        if backend is None:
            return
        while self._to_read and self._read_tasks < self.MAX_READS:
            batch = self._batch(self._to_read, self._reading, self.MAX_READS, self._read_tasks, self.READ_BATCH)
            work = []
            for key, ref, px, round_mask in batch:
                disk_key = AvatarKey(account, ref.kind.value, ref.id, key[4], px)
                # An older version is only worth decoding when nothing is shown for this slot yet.
                stale_too = self.memory.get((ref.kind, ref.id, px, round_mask)) is None
                work.append((key, disk_key, px, round_mask, stale_too))
            self._read_tasks += 1
            keys = [item[0] for item in work]
            tasks.run_task(
                lambda work=work: [
                    (key, _read_disk(disk, disk_key, px, round_mask, stale_too=stale_too))
                    for key, disk_key, px, round_mask, stale_too in work
                ],
                self._read,
                lambda error, keys=keys: self._read([(key, None) for key in keys]),
                owner=self,
                pool="images",
            )
        while self._to_fetch and self._fetch_tasks < self.MAX_FETCHES:
            batch = self._batch(self._to_fetch, self._fetching, self.MAX_FETCHES, self._fetch_tasks, self.FETCH_BATCH)
            self.fetch_count += len(batch)
            work = [
                (
                    key,
                    ref,
                    px,
                    round_mask,
                    AvatarKey(account, ref.kind.value, ref.id, key[4], px) if disk is not None else None,
                )
                for key, ref, px, round_mask in batch
            ]
            self._fetch_tasks += 1
            keys = [item[0] for item in work]
            tasks.run_task(
                lambda work=work: [
                    (key, *_fetch_safely(backend, ref, px, round_mask, disk, disk_key))
                    for key, ref, px, round_mask, disk_key in work
                ],
                self._fetched,
                lambda error, keys=keys: self._fetched([(key, False, None) for key in keys]),
                owner=self,
                pool="avatar-fetch",
            )

    def _read(self, results: list[tuple[tuple, tuple[QImage, str] | None]]) -> None:
        """Disk reads landed: paint what they found; ask the service unless it was current."""
        self._read_tasks -= 1
        for key, result in results:
            self._reading.discard(key)
            if not self._current(key):
                continue
            _, _, kind, entity_id, version, px, round_mask = key
            ref = EntityRef(kind, entity_id)
            fresh = result is not None and bool(version) and result[1] == version
            if result is not None:
                self.memory.put(
                    (kind, entity_id, px, round_mask), _Entry(result[0], result[1], self._generation if fresh else -1)
                )
                self.changed.emit(ref)
            if fresh:
                self.loaded_count += 1
            else:
                self._to_fetch[key] = (ref, px, round_mask)
        self._schedule()

    def _fetched(self, results: list[tuple[tuple, bool, QImage | None]]) -> None:
        self._fetch_tasks -= 1
        for key, ok, image in results:
            self._fetching.discard(key)
            if not self._current(key):
                continue
            _, _, kind, entity_id, version, px, round_mask = key
            slot = (kind, entity_id, px, round_mask)
            old = self.memory.get(slot)
            if ok:
                entry = _Entry(image, version, self._generation)
            else:  # unreachable, or refused: keep an older picture if there is one, and stop asking
                entry = _Entry(old.image if old is not None else None, version, self._generation)
            self.memory.put(slot, entry)
            self.loaded_count += 1
            self.changed.emit(EntityRef(kind, entity_id))
        self._schedule()

    def _schedule(self) -> None:
        if (self._to_read or self._to_fetch) and not self._pump_timer.isActive():
            self._pump_timer.start()


def _warm_up() -> None:
    """Worker: decode a tiny JPEG and PNG, as the first avatars will be."""
    import io

    from PIL import Image

    for fmt in ("JPEG", "PNG"):
        buffer = io.BytesIO()
        Image.new("RGB", (16, 16), (128, 128, 128)).save(buffer, fmt)
        imaging.decode_square(buffer.getvalue(), 8, round_mask=True)


def _read_disk(disk, key: AvatarKey, px: int, round_mask: bool, *, stale_too: bool = True) -> tuple[QImage, str] | None:
    """Worker: the version the disk holds for this entity and size, decoded; an older version
    than the key's only when `stale_too` (something to show until the service answers)."""
    cached = disk.get_any(key)
    if cached is None or (not stale_too and not (key.version and cached.version == key.version)):
        return None
    try:
        return imaging.decode_square(cached.data, px, round_mask=round_mask), cached.version
    except Exception:  # noqa: BLE001 — a file that does not decode is dropped and fetched again
        disk.discard(key)
        return None


def _fetch_safely(
    backend, ref: EntityRef, px: int, round_mask: bool, disk, key: AvatarKey | None
) -> tuple[bool, QImage | None]:
    """Worker: (True, picture or None) or, when the service could not be asked, (False, None);
    one failure in a batch leaves the others' answers intact."""
    try:
        return True, _fetch(backend, ref, px, round_mask, disk, key)
    except Exception:  # noqa: BLE001 — reported as "keep the old picture", as one fetch was
        return False, None


def _fetch(backend, ref: EntityRef, px: int, round_mask: bool, disk, key: AvatarKey | None) -> QImage | None:
    """Worker: the service's picture at this size, kept on disk, decoded; None when it has none."""
    data = backend.get_image(ref, width=px, height=px, crop=True)
    if not data:
        if disk is not None and key is not None:
            disk.discard(key)  # whatever was cached is no longer the entity's picture
        return None
    try:
        image = imaging.decode_square(data, px, round_mask=round_mask)
    except Exception:  # noqa: BLE001 — an unreadable picture shows initials instead
        if disk is not None and key is not None:
            disk.discard(key)
        return None
    if disk is not None and key is not None:
        disk.put(key, data)
    return image


def device_px(logical: int | float, dpr: float) -> int:
    return max(1, round(logical * dpr))


ROUND_KINDS = {EntityKind.USER, EntityKind.CONTACT_PERSON}
