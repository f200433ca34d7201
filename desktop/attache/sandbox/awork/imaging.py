"""Pillow work for the image endpoints: recognise an upload, and resize on the way out.

awork resizes server-side from `width`, `height` and `crop` (awork.md §4.2): with crop the
result fills exactly width×height and is centre-cropped; without, it fits inside the box
keeping its proportions. One side alone scales the other proportionally.
"""

from __future__ import annotations

import io
import threading
from collections import OrderedDict
from dataclasses import dataclass
from pathlib import Path

from PIL import Image, ImageOps, UnidentifiedImageError

# Formats a profile image may have, with the MIME type it is served as.
IMAGE_FORMATS = {"PNG": "image/png", "JPEG": "image/jpeg", "GIF": "image/gif", "WEBP": "image/webp",
                 "BMP": "image/bmp"}
MAX_SIDE = 4096  # the largest resize we agree to render


@dataclass(frozen=True, slots=True)
class ImageInfo:
    format: str
    mime_type: str
    width: int
    height: int


def inspect(path: Path, *, verify: bool = True) -> ImageInfo | None:
    """What image this file is, or None if it is not one we accept. Without `verify` only the
    header is read (cheap; enough for a task file's width and height)."""
    try:
        with Image.open(path) as image:
            fmt = image.format or ""
            if fmt not in IMAGE_FORMATS:
                return None
            width, height = image.size
            if verify:
                image.verify()
    except (UnidentifiedImageError, OSError, SyntaxError, ValueError, Image.DecompressionBombError):
        return None
    return ImageInfo(fmt, IMAGE_FORMATS[fmt], width, height)


def target_size(
    size: tuple[int, int], width: float | None, height: float | None, *, crop: bool, enlarge: bool = True
) -> tuple[int, int] | None:
    """The output size for the request, or None to send the original."""
    if not width and not height:
        return None
    w0, h0 = size
    w = min(int(round(width)), MAX_SIDE) if width else None
    h = min(int(round(height)), MAX_SIDE) if height else None
    if w and h:
        if not crop:
            scale = min(w / w0, h / h0)
            w, h = max(1, round(w0 * scale)), max(1, round(h0 * scale))
    elif w:
        h = max(1, round(h0 * w / w0))
    else:
        w = max(1, round(w0 * h / h0))  # type: ignore[operator]
    if not enlarge and (w > w0 or h > h0):  # type: ignore[operator]
        return None
    return (w, h) if (w, h) != (w0, h0) else None  # type: ignore[return-value]


def resize(data_path: Path, size: tuple[int, int], *, crop: bool) -> tuple[bytes, str]:
    """Render the resized image; JPEG stays JPEG, everything else becomes PNG."""
    with Image.open(data_path) as source:
        fmt = source.format
        image = ImageOps.exif_transpose(source)
        image.load()
    if image.mode not in ("RGB", "RGBA", "L", "LA"):
        image = image.convert("RGBA" if "transparency" in image.info or image.mode == "P" else "RGB")
    if crop:
        image = ImageOps.fit(image, size, Image.Resampling.LANCZOS)
    else:
        image = image.resize(size, Image.Resampling.LANCZOS)
    out = io.BytesIO()
    if fmt == "JPEG":
        image.convert("RGB").save(out, "JPEG", quality=88)
        return out.getvalue(), "image/jpeg"
    image.save(out, "PNG", compress_level=3)
    return out.getvalue(), "image/png"


class RenderCache:
    """A small LRU of resized images by ETag: a list of avatars is requested again and again."""

    def __init__(self, capacity: int = 512) -> None:
        self._items: OrderedDict[str, tuple[bytes, str]] = OrderedDict()
        self._capacity = capacity
        self._lock = threading.Lock()

    def get(self, key: str) -> tuple[bytes, str] | None:
        with self._lock:
            item = self._items.get(key)
            if item is not None:
                self._items.move_to_end(key)
            return item

    def put(self, key: str, value: tuple[bytes, str]) -> None:
        with self._lock:
            self._items[key] = value
            self._items.move_to_end(key)
            while len(self._items) > self._capacity:
                self._items.popitem(last=False)
