"""Image work done on worker threads: decode bytes with Pillow, orient, crop, round, and hand
back a QImage that owns its pixels. Also how a picture slot names the formats it takes.

Nothing here touches QPixmap: that happens on the GUI thread only.
"""

from __future__ import annotations

from functools import lru_cache

from PySide6.QtGui import QImage

from attache.core.sources import human_size


def limit_text(limit: int) -> str:
    """A service's limit as the service states it: awork's 100 MiB is "100 MB" in its docs."""
    mib = 1024 * 1024
    if limit >= mib and limit % mib == 0:
        return f"{limit // mib} MB"
    return human_size(limit)


def describe_types(mime_types) -> str:
    names = sorted({m.split("/", 1)[-1].upper().replace("SVG+XML", "SVG") for m in mime_types})
    if not names:
        return "images"
    if len(names) == 1:
        return names[0]
    return ", ".join(names[:-1]) + " or " + names[-1]


def decode_square(data: bytes, px: int, *, round_mask: bool) -> QImage:
    """Bytes of any picture → a `px`×`px` QImage, centre-cropped, optionally a smooth circle.

    Worker threads. Decoding goes through attache.images (size limits, EXIF orientation, sRGB,
    JPEG draft), so a hostile or broken file raises InvalidInputError instead of hanging.
    """
    from PIL import Image, ImageOps

    from attache.images.decode import load_image

    # Twice the target: a non-square picture still has `px` pixels along its short side.
    image = load_image(data, max_size=px * 2, name="The picture").image
    image = ImageOps.fit(image.convert("RGBA"), (px, px), method=Image.Resampling.LANCZOS)
    if round_mask:
        image.putalpha(_multiply(image.getchannel("A"), circle_mask(px)))
    return to_qimage(image)


def decode_fit(data: bytes, max_px: int, *, name: str = "The picture") -> QImage:
    """Bytes → a QImage no larger than `max_px` on its long side, aspect kept, never enlarged."""
    from attache.images.decode import decode_preview

    return preview_to_qimage(decode_preview(data, max_size=max_px, name=name))


def preview_to_qimage(preview) -> QImage:
    """An attache.images Preview (RGBA8888, tightly packed) → a QImage owning its pixels."""
    image = QImage(preview.rgba, preview.width, preview.height, preview.width * 4, QImage.Format.Format_RGBA8888)
    return image.convertToFormat(QImage.Format.Format_ARGB32_Premultiplied)  # a deep copy


@lru_cache(maxsize=16)
def circle_mask(px: int):
    """An antialiased disc as an 'L' image, supersampled 4× for a smooth edge (shared: read only)."""
    from PIL import Image, ImageDraw

    scale = 4
    mask = Image.new("L", (px * scale, px * scale), 0)
    ImageDraw.Draw(mask).ellipse((0, 0, px * scale - 1, px * scale - 1), fill=255)
    return mask.resize((px, px), Image.Resampling.LANCZOS)


def _multiply(a, b):
    from PIL import ImageChops

    return ImageChops.multiply(a, b)


def to_qimage(image) -> QImage:
    """A Pillow RGBA image → a QImage that owns a copy of the pixels."""
    if image.mode != "RGBA":
        image = image.convert("RGBA")
    raw = image.tobytes("raw", "RGBA")
    qimage = QImage(raw, image.width, image.height, image.width * 4, QImage.Format.Format_RGBA8888)
    return qimage.convertToFormat(QImage.Format.Format_ARGB32_Premultiplied)  # a deep copy
