"""Image formats by their first bytes: the one signature table, for drops (before Pillow is
loaded), saved images' names and upload content types. Imports nothing heavy."""

from __future__ import annotations

# the first bytes of each image format a service may take
_SIGNATURES: tuple[tuple[bytes, str], ...] = (
    (b"\x89PNG\r\n\x1a\n", "image/png"),
    (b"\xff\xd8\xff", "image/jpeg"),
    (b"GIF87a", "image/gif"),
    (b"GIF89a", "image/gif"),
    (b"BM", "image/bmp"),
    (b"II*\x00", "image/tiff"),
    (b"MM\x00*", "image/tiff"),
)

EXTENSIONS = {
    "image/jpeg": ".jpg",
    "image/png": ".png",
    "image/gif": ".gif",
    "image/webp": ".webp",
    "image/bmp": ".bmp",
    "image/tiff": ".tiff",
    "image/avif": ".avif",
    "image/heic": ".heic",
    "image/svg+xml": ".svg",
    "image/x-icon": ".ico",
}


def sniff_image_type(head: bytes) -> str | None:
    """The image MIME type the first bytes announce, or None."""
    for magic, mime in _SIGNATURES:
        if head.startswith(magic):
            return mime
    if head[:4] == b"RIFF" and head[8:12] == b"WEBP":
        return "image/webp"
    if head[4:12] in (b"ftypavif", b"ftypheic", b"ftypmif1"):
        return "image/avif" if head[8:12] == b"avif" else "image/heic"
    if head.lstrip()[:5] in (b"<?xml", b"<svg ") or head.lstrip()[:4] == b"<svg":
        return "image/svg+xml"
    return None


def extension_for(mime_type: str, *, fallback: str = ".img") -> str:
    """The usual file extension for an image type ('.jpg' for image/jpeg)."""
    return EXTENSIONS.get(mime_type, fallback)
