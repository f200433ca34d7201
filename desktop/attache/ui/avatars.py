"""Profile images for list rows and the detail pane, loaded on worker threads through a cache.

A delegate asks `pixmap(entity, size, dpr)` while painting, so only visible rows ever ask. A miss
queues a load (most recent request first, a few at a time on the "images" pool); the worker
fetches the bytes and decodes them into a QImage; back on the GUI thread the QImage becomes a
QPixmap, goes into an LRU cache and `changed` tells the views to repaint. Entities without an
image get initials on a colour derived from their id, drawn directly.
"""

from __future__ import annotations

import hashlib
from collections import OrderedDict

from PySide6.QtCore import QObject, QRectF, Qt, QTimer, Signal
from PySide6.QtGui import QColor, QFont, QImage, QPainter, QPixmap

from attache.core.models import Entity, EntityKind, EntityRef
from attache.ui import tasks

# pleasant, readable-with-white-text colours for initials
_PALETTE = (
    "#4f6bed", "#2f9e8f", "#d9534f", "#8e5cd9", "#e08a1e", "#2b8fd6", "#c2407b",
    "#4a9c3b", "#6c7a89", "#b5651d", "#0f8b8d", "#7b61ff",
)


def colour_for(entity_id: str) -> QColor:
    digest = hashlib.blake2s(entity_id.encode(), digest_size=2).digest()
    return QColor(_PALETTE[int.from_bytes(digest, "big") % len(_PALETTE)])


def initials(name: str) -> str:
    words = [w for w in name.replace("-", " ").replace("_", " ").split() if w[:1].isalnum()]
    if not words:
        return "?"
    if len(words) == 1:
        return words[0][:2].upper() if len(words[0]) > 1 and not words[0][1].isdigit() else words[0][:1].upper()
    return (words[0][0] + words[-1][0]).upper()


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
    font = QFont(painter.font())
    font.setPixelSize(max(8, int(rect.height() * 0.38)))
    font.setWeight(QFont.Weight.DemiBold)
    painter.setFont(font)
    painter.setPen(QColor("white"))
    painter.drawText(rect, Qt.AlignmentFlag.AlignCenter, initials(name))
    painter.restore()


def _key(ref: EntityRef, version: str, px: int, round_mask: bool) -> tuple:
    return (ref.kind, ref.id, version, px, round_mask)


class AvatarCache(QObject):
    """Entity images by (entity, version, pixel size), loaded on demand, kept in an LRU."""

    changed = Signal(object)  # EntityRef whose image is now available (or known absent)

    MAX_ENTRIES = 3000
    MAX_IN_FLIGHT = 4

    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._backend = None
        self._pixmaps: OrderedDict[tuple, QPixmap | None] = OrderedDict()
        self._wanted: OrderedDict[tuple, tuple[EntityRef, int, bool]] = OrderedDict()
        self._in_flight: set[tuple] = set()
        self._generation = 0
        self._disk = None
        self._account = ""
        self._sizes_used: set[int] = set()
        self._pump_timer = QTimer(self)
        self._pump_timer.setSingleShot(True)
        self._pump_timer.setInterval(0)
        self._pump_timer.timeout.connect(self._pump)
        self.loaded_count = 0

    def set_backend(self, backend, *, disk=None) -> None:
        """Use this backend; `disk` (attache.images.AvatarCache) keeps fetched bytes across runs."""
        self._backend = backend
        self._disk = disk
        self._account = f"{backend.service}:{backend.account}" if backend is not None else ""
        self.clear()

    def clear(self) -> None:
        self._generation += 1
        self._pixmaps.clear()
        self._wanted.clear()
        self._in_flight.clear()

    def invalidate(self, ref: EntityRef) -> None:
        """Forget every size and version of one entity's image (after it changed)."""
        for key in [k for k in self._pixmaps if k[0] == ref.kind and k[1] == ref.id]:
            del self._pixmaps[key]
        for key in [k for k in self._wanted if k[0] == ref.kind and k[1] == ref.id]:
            del self._wanted[key]
        self._generation += 1  # answers already on their way may be stale
        self._in_flight.clear()
        disk = self._disk
        if disk is not None:
            from attache.images.cache import AvatarKey

            for px in self._sizes_used:
                disk.discard(AvatarKey(self._account, ref.kind.value, ref.id, "", px))
        self.changed.emit(ref)

    # ------------------------------------------------------------------ asking

    def lookup(self, entity: Entity, px: int, *, round_mask: bool = True) -> tuple[bool, QPixmap | None]:
        """(known, pixmap): known is False while the image is loading or not yet asked for."""
        if not entity.has_image or self._backend is None:
            return True, None
        key = _key(entity.ref, entity.version, px, round_mask)
        if key in self._pixmaps:
            self._pixmaps.move_to_end(key)
            return True, self._pixmaps[key]
        return False, None

    def pixmap(self, entity: Entity, px: int, *, round_mask: bool = True) -> QPixmap | None:
        """The cached pixmap or None; a miss queues a load and `changed` fires when it lands."""
        known, pixmap = self.lookup(entity, px, round_mask=round_mask)
        if known:
            return pixmap
        key = _key(entity.ref, entity.version, px, round_mask)
        if key not in self._in_flight:
            self._wanted[key] = (entity.ref, px, round_mask)
            self._wanted.move_to_end(key)  # most recently painted first
            while len(self._wanted) > 400:  # rows scrolled far away are not worth loading
                self._wanted.popitem(last=False)
            if not self._pump_timer.isActive():
                self._pump_timer.start()
        return None

    # ------------------------------------------------------------------ loading

    def _pump(self) -> None:
        backend = self._backend
        while self._wanted and len(self._in_flight) < self.MAX_IN_FLIGHT and backend is not None:
            key, (ref, px, round_mask) = self._wanted.popitem(last=True)
            if key in self._pixmaps:
                continue
            self._in_flight.add(key)
            self._sizes_used.add(px)
            generation = self._generation
            disk, account, version = self._disk, self._account, key[2]
            tasks.run_task(
                lambda ref=ref, px=px, round_mask=round_mask, version=version, disk=disk, account=account: _load(
                    backend, ref, px, round_mask, disk=disk, account=account, version=version),
                lambda image, key=key, ref=ref, g=generation: self._landed(key, ref, image, g),
                lambda error, key=key, ref=ref, g=generation: self._landed(key, ref, None, g),
                owner=self,
                pool="images",
            )

    def _landed(self, key: tuple, ref: EntityRef, image: QImage | None, generation: int) -> None:
        self._in_flight.discard(key)
        if generation == self._generation:
            pixmap = None
            if image is not None and not image.isNull():
                pixmap = QPixmap.fromImage(image)
            self._pixmaps[key] = pixmap
            self.loaded_count += 1
            while len(self._pixmaps) > self.MAX_ENTRIES:
                self._pixmaps.popitem(last=False)
            self.changed.emit(ref)
        if self._wanted and not self._pump_timer.isActive():
            self._pump_timer.start()


def _load(backend, ref: EntityRef, px: int, round_mask: bool, *, disk=None, account: str = "",
          version: str = "") -> QImage | None:
    """Worker thread: the disk cache or the service, then decode; None when there is no image."""
    from attache.ui.imaging import decode_square

    key = None
    data = None
    if disk is not None and version:
        from attache.images.cache import AvatarKey

        key = AvatarKey(account, ref.kind.value, ref.id, version, px)
        data = disk.get(key)
    if data is None:
        data = backend.get_image(ref, width=px, height=px, crop=True)
        if data and key is not None:
            disk.put(key, data)
    if not data:
        return None
    try:
        return decode_square(data, px, round_mask=round_mask)
    except Exception:  # noqa: BLE001 — an unreadable image shows initials instead
        if key is not None:
            disk.discard(key)
        return None


def device_px(logical: int | float, dpr: float) -> int:
    return max(1, round(logical * dpr))


ROUND_KINDS = {EntityKind.USER, EntityKind.CONTACT_PERSON}
