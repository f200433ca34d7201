"""Small pictures of a task's image files for the file list, where the service can resize them.

The files view asks for a row's icon only while painting it, so only visible rows ever ask. A
miss queues a load (most recently painted first, a few at a time on the "thumbnails" pool): the
disk cache (attache.images.AvatarCache, keyed by the file's latest version, so a new version is
fetched again), else `backend.file_thumbnail(ref, file_id, px)` (awork resizes server-side), then
a decode on the worker into a square tile. Back on the GUI thread the tile becomes an icon in a
bounded memory cache and `changed(file id)` tells the model to repaint that row.
"""

from __future__ import annotations

from collections import OrderedDict
from dataclasses import dataclass

from PySide6.QtCore import QObject, QRectF, Qt, QTimer, Signal
from PySide6.QtGui import QColor, QIcon, QImage, QPainter, QPainterPath, QPen, QPixmap

from attache.core.capabilities import Capability
from attache.core.models import EntityKind, EntityRef, FileRecord
from attache.images.cache import AvatarKey, DecodedCache
from attache.ui import tasks

# What Attaché can decode and awork can scale; SVG and PDF are neither here.
PICTURE_TYPES = frozenset({"image/png", "image/jpeg", "image/gif", "image/webp", "image/bmp", "image/tiff"})
PICTURE_SUFFIXES = frozenset({"png", "jpg", "jpeg", "jpe", "gif", "webp", "bmp", "tif", "tiff"})
KIND = "task-file"  # the AvatarKey kind for thumbnails in the shared disk cache


def is_picture(record: FileRecord) -> bool:
    if record.mime_type in PICTURE_TYPES:
        return True
    if record.mime_type in ("", "application/octet-stream"):
        suffix = record.name.rsplit(".", 1)[-1].lower() if "." in record.name else ""
        return suffix in PICTURE_SUFFIXES
    return False


def file_version(record: FileRecord) -> str:
    latest = record.latest_version
    if latest is not None and (latest.id or latest.number):
        return f"{latest.id}#{latest.number}"
    when = record.created_on.isoformat() if record.created_on else ""
    return f"{record.size}#{when}"


@dataclass(slots=True)
class _Entry:
    icon: QIcon | None
    nbytes: int


class FileThumbnails(QObject):
    changed = Signal(str)  # file id whose thumbnail is now available (or known absent)

    MEMORY_BYTES = 16 * 1024 * 1024
    MAX_IN_FLIGHT = 3
    MAX_WANTED = 120

    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._backend = None
        self._disk = None
        self._account = ""
        self.memory = DecodedCache(self.MEMORY_BYTES)
        self._generation = 0
        self._wanted: OrderedDict[tuple, tuple] = OrderedDict()
        self._in_flight: set[tuple] = set()
        self._pump_timer = QTimer(self)
        self._pump_timer.setSingleShot(True)
        self._pump_timer.setInterval(0)
        self._pump_timer.timeout.connect(self._pump)
        self.requested: list[str] = []  # file ids asked of the service, in order (tests, diagnostics)

    def set_backend(self, backend, *, disk=None) -> None:
        self._backend = (
            backend
            if backend is not None and (backend.capabilities(EntityKind.TASK) & Capability.FILE_THUMBNAILS)
            else None
        )
        self._disk = disk
        self._account = f"{backend.service}:{backend.account}" if backend is not None else ""
        self._generation += 1
        self.memory.clear()
        self._wanted.clear()

    @property
    def available(self) -> bool:
        """Whether the service can make thumbnails at all."""
        return self._backend is not None

    def icon(self, ref: EntityRef, record: FileRecord, px: int) -> QIcon | None:
        """The thumbnail to paint, or None (meanwhile: a load is queued if it may exist)."""
        if self._backend is None or not is_picture(record):
            return None
        key = (self._generation, ref.kind, ref.id, record.id, file_version(record), px)
        entry = self.memory.get(key)
        if entry is not None:
            return entry.icon
        if key not in self._in_flight:
            self._wanted[key] = (ref, record.id, px)
            self._wanted.move_to_end(key)
            while len(self._wanted) > self.MAX_WANTED:
                self._wanted.popitem(last=False)
            if not self._pump_timer.isActive():
                self._pump_timer.start()
        return None

    def _pump(self) -> None:
        backend, disk, account = self._backend, self._disk, self._account
        while self._wanted and len(self._in_flight) < self.MAX_IN_FLIGHT and backend is not None:
            key, (ref, file_id, px) = self._wanted.popitem(last=True)
            if self.memory.get(key) is not None:
                continue
            self._in_flight.add(key)
            disk_key = AvatarKey(account, KIND, f"{ref.id}/{file_id}", key[4], px) if disk is not None else None
            tasks.run_task(
                lambda ref=ref, file_id=file_id, px=px, disk_key=disk_key: _load(
                    backend, ref, file_id, px, disk, disk_key, self.requested
                ),
                lambda image, key=key: self._landed(key, image),
                lambda error, key=key: self._landed(key, None),
                owner=self,
                pool="thumbnails",
            )

    def _landed(self, key: tuple, image: QImage | None) -> None:
        self._in_flight.discard(key)
        if key[0] == self._generation:
            icon = None
            if image is not None and not image.isNull():
                pixmap = QPixmap.fromImage(image)
                pixmap.setDevicePixelRatio(image.devicePixelRatio())
                icon = QIcon(pixmap)
            self.memory.put(key, _Entry(icon, image.sizeInBytes() if image is not None else 64))
            self.changed.emit(key[3])
        if self._wanted and not self._pump_timer.isActive():
            self._pump_timer.start()


def _load(
    backend, ref: EntityRef, file_id: str, px: int, disk, key: AvatarKey | None, requested: list[str]
) -> QImage | None:
    """Worker: disk, else the service; then a square tile. None: show the file's icon instead."""
    data = disk.get(key) if disk is not None and key is not None else None
    fetched = data is None
    if fetched:
        requested.append(file_id)
        data = backend.file_thumbnail(ref, file_id, px)
        if not data:
            return None
    try:
        image = tile(data, px)
    except Exception:  # noqa: BLE001 — not a picture after all: the file icon stays
        if disk is not None and key is not None:
            disk.discard(key)
        return None
    if fetched and disk is not None and key is not None:
        disk.put(key, data)
    return image


def tile(data: bytes, px: int) -> QImage:
    """The picture fitted in a `px`-pixel square with softly rounded corners and a hairline
    border, so light pictures do not melt into the white list."""
    from attache.ui.imaging import decode_fit

    picture = decode_fit(data, px, name="The thumbnail")
    image = QImage(px, px, QImage.Format.Format_ARGB32_Premultiplied)
    image.fill(Qt.GlobalColor.transparent)
    painter = QPainter(image)
    painter.setRenderHint(QPainter.RenderHint.Antialiasing)
    painter.setRenderHint(QPainter.RenderHint.SmoothPixmapTransform)
    target = QRectF((px - picture.width()) / 2, (px - picture.height()) / 2, picture.width(), picture.height())
    radius = max(1.0, px * 0.09)
    path = QPainterPath()
    path.addRoundedRect(target.adjusted(0.5, 0.5, -0.5, -0.5), radius, radius)
    painter.setClipPath(path)
    painter.drawImage(target, picture)
    painter.setClipping(False)
    painter.setPen(QPen(QColor(0, 0, 0, 40), 1))
    painter.setBrush(Qt.BrushStyle.NoBrush)
    painter.drawPath(path)
    painter.end()
    return image
