"""Pillow work for image endpoints: recognise an upload, resize on the way out, and keep the
resized images a list of avatars asks for again and again. Which size a request means is the
service's rule (its plug-in computes it)."""

from __future__ import annotations

import io
import threading
from collections import OrderedDict
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

from PIL import Image, ImageOps, UnidentifiedImageError

# Formats a profile image may have, with the MIME type it is served as.
IMAGE_FORMATS = {"PNG": "image/png", "JPEG": "image/jpeg", "GIF": "image/gif", "WEBP": "image/webp", "BMP": "image/bmp"}


@dataclass(frozen=True, slots=True)
class ImageInfo:
    format: str
    mime_type: str
    width: int
    height: int


def inspect(path: Path, *, verify: bool = True, formats: Mapping[str, str] = IMAGE_FORMATS) -> ImageInfo | None:
    """What image this file is, or None if it is not one of `formats` (Pillow's format name →
    MIME type). Without `verify` only the header is read (cheap; enough for a width and height)."""
    try:
        with Image.open(path) as image:
            fmt = image.format or ""
            if fmt not in formats:
                return None
            width, height = image.size
            if verify:
                image.verify()
    except (UnidentifiedImageError, OSError, SyntaxError, ValueError, Image.DecompressionBombError):
        return None
    return ImageInfo(fmt, formats[fmt], width, height)


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


def scaled(data_path: Path, size: tuple[int, int] | None, fmt: str | None) -> tuple[bytes, str]:
    """The image fitted inside `size` (aspect kept; None: as it is) in Pillow format `fmt`
    (JPEG, PNG or GIF; None: JPEG stays JPEG, anything else becomes PNG)."""
    with Image.open(data_path) as source:
        source_format = source.format
        image = ImageOps.exif_transpose(source)
        image.load()
    if size is not None:
        factor = min(size[0] / image.width, size[1] / image.height)
        fitted = (max(1, round(image.width * factor)), max(1, round(image.height * factor)))
        image = image.resize(fitted, Image.Resampling.LANCZOS)
    target = fmt or ("JPEG" if source_format == "JPEG" else "PNG")
    out = io.BytesIO()
    if target == "JPEG":
        image.convert("RGB").save(out, "JPEG", quality=88)
    elif target == "GIF":
        image.convert("P", palette=Image.Palette.ADAPTIVE).save(out, "GIF")
    else:
        if image.mode not in ("RGB", "RGBA", "L", "LA"):
            image = image.convert("RGBA")
        image.save(out, "PNG", compress_level=3)
    return out.getvalue(), {"JPEG": "image/jpeg", "GIF": "image/gif"}.get(target, "image/png")


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
