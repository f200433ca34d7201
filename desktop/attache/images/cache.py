"""Avatars on disk and decoded previews in memory, both size-capped, least recently used out.

On disk, one file per (account, entity kind, entity id, pixel size); the entity's version is
stored inside it. So a changed version misses and its fetch replaces the old file, an unchanged
one always hits, and at start `get_any` shows whatever was cached last before any network answer.
Files are written to a temporary name and renamed (a crash leaves the old file or the new one,
never half of one) and carry a checksum (so a torn or damaged file is found, dropped and
refetched). Recency is the file's mtime, set explicitly on every hit: it survives restarts, needs
no index to keep consistent, and works across two running copies of the app.
"""

from __future__ import annotations

import hashlib
import os
import struct
import threading
import time
import zlib
from collections import OrderedDict
from collections.abc import Hashable
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from attache.core.paths import app_dirs

if TYPE_CHECKING:  # decode loads Pillow; the window creates its caches before its first paint
    from attache.images.decode import Preview

DEFAULT_DISK_BYTES = 200 * 1024 * 1024
DEFAULT_MEMORY_BYTES = 64 * 1024 * 1024
LOW_WATER = 0.9  # evict down to 90% of the cap, so one put over the cap does not scan every time
STALE_TEMP_SECONDS = 3600  # temp files this old were left by a crash, not by a writer at work

_SUFFIX = ".avatar"
_MAGIC = b"ATAV"
_FORMAT = 1
_HEADER = struct.Struct(">4sBHIQ")  # magic, format, version length, crc32 of data, data length


@dataclass(frozen=True, slots=True)
class AvatarKey:
    account: str  # e.g. "awork:Acme"; whatever names the account uniquely
    kind: str  # EntityKind value
    entity_id: str
    version: str  # the entity's updatedOn / resourceVersion
    size: int  # pixel size requested from the service

    @property
    def slot(self) -> str:
        """The file name, the same for every version of this entity's image at this size."""
        text = "\0".join((self.account, str(self.kind), self.entity_id, str(self.size)))
        return hashlib.sha256(text.encode("utf-8", "surrogatepass")).hexdigest()[:40] + _SUFFIX


@dataclass(frozen=True, slots=True)
class CachedAvatar:
    version: str
    data: bytes


class AvatarCache:
    """Thread-safe; every method is best effort: a failing disk means a miss, never an error."""

    def __init__(self, root: Path | None = None, *, max_bytes: int = DEFAULT_DISK_BYTES) -> None:
        self.root = root if root is not None else app_dirs().cache / "avatars"
        self.max_bytes = max_bytes
        self._lock = threading.Lock()
        self._total: int | None = None  # bytes on disk, counted on first need
        self._last_tick = 0

    def get(self, key: AvatarKey) -> bytes | None:
        """The image if the cached one is of this exact version."""
        cached = self.get_any(key)
        return cached.data if cached is not None and cached.version == key.version else None

    def get_any(self, key: AvatarKey) -> CachedAvatar | None:
        """Whatever version is cached for this entity and size (shown until the fresh one arrives)."""
        path = self.root / key.slot
        try:
            blob = path.read_bytes()
        except OSError:
            return None
        cached = _parse(blob)
        if cached is None:
            self._remove(path)
            return None
        self._touch(path)
        if cached.version == _stored_version(key.version).decode("utf-8", "surrogatepass"):
            return CachedAvatar(key.version, cached.data)  # a long version was stored as its digest
        return cached

    def put(self, key: AvatarKey, data: bytes) -> None:
        if len(data) > self.max_bytes // 4:
            return  # one item must not flush the whole cache
        version = _stored_version(key.version)
        header = _HEADER.pack(_MAGIC, _FORMAT, len(version), zlib.crc32(data), len(data))
        path = self.root / key.slot
        temp = self.root / f".{key.slot}.{os.urandom(8).hex()}.tmp"  # uuid would import platform before the paint
        try:
            self.root.mkdir(parents=True, exist_ok=True)
            with temp.open("wb") as f:
                f.write(header + version + data)
            # No fsync: after a power cut the checksum catches a torn file, and it is refetched.
            with self._lock:
                old_size = _size_of(path)
                os.replace(temp, path)
                self._touch_locked(path)
                if self._total is not None:
                    self._total += len(header) + len(version) + len(data) - old_size
                if self._total is None or self._total > self.max_bytes:
                    self._evict_locked()
        except OSError:
            self._remove(temp)

    def discard(self, key: AvatarKey) -> None:
        """Forget this entity's image (e.g. it turned out not to decode)."""
        with self._lock:
            size = _size_of(self.root / key.slot)
            self._remove(self.root / key.slot)
            if self._total is not None:
                self._total -= size

    def total_bytes(self) -> int:
        with self._lock:
            if self._total is None:
                self._evict_locked()
            return self._total or 0

    def clear(self) -> None:
        with self._lock:
            for entry in self._scan():
                self._remove(Path(entry.path))
            self._total = 0

    # ---- internals ----

    def _touch(self, path: Path) -> None:
        with self._lock:
            self._touch_locked(path)

    def _touch_locked(self, path: Path) -> None:
        # Strictly increasing nanoseconds: the kernel's own timestamps are coarse (a few ms), so
        # two hits in a row would otherwise tie and the LRU order be a guess.
        tick = max(time.time_ns(), self._last_tick + 1)
        self._last_tick = tick
        try:
            os.utime(path, ns=(tick, tick))
        except OSError:
            pass

    def _evict_locked(self) -> None:
        """Recount from disk (other processes share it) and drop the least recently used."""
        entries = []
        for entry in self._scan():
            try:
                info = entry.stat()
            except OSError:
                continue
            entries.append((info.st_mtime_ns, info.st_size, Path(entry.path)))
        total = sum(size for _, size, _ in entries)
        if total > self.max_bytes:
            target = self.max_bytes * LOW_WATER
            for _, size, path in sorted(entries, key=lambda e: e[0]):
                if total <= target:
                    break
                self._remove(path)
                total -= size
        self._total = total

    def _scan(self) -> list[os.DirEntry]:
        """Cache files; removes temp files a crash left behind."""
        try:
            entries = list(os.scandir(self.root))
        except OSError:
            return []
        found = []
        now = time.time()
        for entry in entries:
            if entry.name.endswith(_SUFFIX):
                found.append(entry)
            elif entry.name.endswith(".tmp"):
                try:
                    if now - entry.stat().st_mtime > STALE_TEMP_SECONDS:
                        os.unlink(entry.path)
                except OSError:
                    pass
        return found

    @staticmethod
    def _remove(path: Path) -> None:
        try:
            path.unlink()
        except OSError:  # already gone, or (Windows) open in another thread: next scan retries
            pass


class DecodedCache:
    """Decoded previews in memory, by any hashable key, capped by their pixel bytes."""

    def __init__(self, max_bytes: int = DEFAULT_MEMORY_BYTES) -> None:
        self.max_bytes = max_bytes
        self._items: OrderedDict[Hashable, Preview] = OrderedDict()
        self._total = 0
        self._lock = threading.Lock()

    def get(self, key: Hashable) -> Preview | None:
        with self._lock:
            preview = self._items.get(key)
            if preview is not None:
                self._items.move_to_end(key)
            return preview

    def put(self, key: Hashable, preview: Preview) -> None:
        if preview.nbytes > self.max_bytes:
            return
        with self._lock:
            old = self._items.pop(key, None)
            if old is not None:
                self._total -= old.nbytes
            self._items[key] = preview
            self._total += preview.nbytes
            while self._total > self.max_bytes:
                _, evicted = self._items.popitem(last=False)
                self._total -= evicted.nbytes

    def discard(self, key: Hashable) -> None:
        with self._lock:
            old = self._items.pop(key, None)
            if old is not None:
                self._total -= old.nbytes

    def clear(self) -> None:
        with self._lock:
            self._items.clear()
            self._total = 0

    @property
    def total_bytes(self) -> int:
        return self._total

    def __len__(self) -> int:
        return len(self._items)

    def __contains__(self, key: Hashable) -> bool:
        return key in self._items


_LONGEST_VERSION = 1024  # bytes; a server's longer "version" is stored as its digest


def _stored_version(version: str) -> bytes:
    """The version as written to disk: any string a server sent (lone surrogates, 100 KB of it)
    fits the header, so the picture is cached and not fetched again."""
    raw = version.encode("utf-8", "surrogatepass")
    return raw if len(raw) <= _LONGEST_VERSION else b"sha256:" + hashlib.sha256(raw).hexdigest().encode()


def _parse(blob: bytes) -> CachedAvatar | None:
    if len(blob) < _HEADER.size:
        return None
    magic, fmt, version_length, crc, length = _HEADER.unpack_from(blob)
    start = _HEADER.size + version_length
    if magic != _MAGIC or fmt != _FORMAT or len(blob) != start + length:
        return None
    data = blob[start:]
    if zlib.crc32(data) != crc:
        return None
    try:
        version = blob[_HEADER.size : start].decode("utf-8", "surrogatepass")
    except UnicodeDecodeError:
        return None
    return CachedAvatar(version, data)


def _size_of(path: Path) -> int:
    try:
        return path.stat().st_size
    except OSError:
        return 0
