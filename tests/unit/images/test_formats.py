"""The one image-signature table: what a drop, a saved image's name and an upload's type rely on."""

from __future__ import annotations

import io

import pytest
from PIL import Image

from attache.images.formats import extension_for, sniff_image_type


@pytest.mark.parametrize(
    ("pillow_format", "mime", "extension"),
    [
        ("PNG", "image/png", ".png"),
        ("JPEG", "image/jpeg", ".jpg"),
        ("GIF", "image/gif", ".gif"),
        ("WEBP", "image/webp", ".webp"),
        ("BMP", "image/bmp", ".bmp"),
        ("TIFF", "image/tiff", ".tiff"),
    ],
)
def test_real_images_are_known_by_their_first_bytes(pillow_format: str, mime: str, extension: str) -> None:
    buffer = io.BytesIO()
    Image.new("RGB", (4, 4)).save(buffer, pillow_format)
    assert sniff_image_type(buffer.getvalue()[:64]) == mime
    assert extension_for(mime) == extension


def test_what_is_not_an_image_is_not_taken_for_one() -> None:
    for head in (b"%PDF-1.7", b"PK\x03\x04", b"hello, world", b""):
        assert sniff_image_type(head) is None
    assert extension_for("application/pdf") == ".img"
