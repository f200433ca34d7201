"""Image-slot checks: by content, within the service's limits, never a crash."""

from __future__ import annotations

import io
import struct
import zlib

import pytest
from PIL import Image

from attache.backends.base import ImageRules
from attache.core.errors import InvalidInputError, TooLargeError
from attache.images.validate import validate_for_slot

MB = 1 << 20
AWORK = ImageRules(max_bytes=100 * MB, mime_types=frozenset({"image/jpeg", "image/png", "image/gif"}))
CRM = ImageRules(max_bytes=5 * MB, mime_types=frozenset({"image/jpeg", "image/png"}))


def encoded(image: Image.Image, fmt: str, **params) -> bytes:
    buffer = io.BytesIO()
    image.save(buffer, fmt, **params)
    return buffer.getvalue()


def blank_png(width: int, height: int) -> bytes:
    """A 1-bit PNG header claiming any size, written without allocating the pixels."""

    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))

    compressor = zlib.compressobj(9)
    row = bytes(1 + (width + 7) // 8)
    idat = b"".join(compressor.compress(row) for _ in range(height)) + compressor.flush()
    header = struct.pack(">IIBBBBB", width, height, 1, 0, 0, 0, 0)
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", idat) + chunk(b"IEND", b"")


@pytest.fixture
def write(tmp_path):
    def write(name: str, data: bytes):
        path = tmp_path / name
        path.write_bytes(data)
        return path

    return write


@pytest.mark.timeout(10)
def test_a_good_png(write):
    path = write("avatar.png", encoded(Image.new("RGBA", (300, 200), (1, 2, 3, 4)), "PNG"))
    checked = validate_for_slot(path, AWORK, service_name="awork")
    assert (checked.format, checked.mime_type, checked.width, checked.height) == ("PNG", "image/png", 300, 200)
    assert checked.size == path.stat().st_size


@pytest.mark.timeout(10)
def test_format_comes_from_content_not_name(write):
    path = write("avatar.jpg", encoded(Image.new("RGB", (64, 64)), "PNG"))
    checked = validate_for_slot(path, CRM, service_name="ONLYOFFICE")
    assert checked.mime_type == "image/png" and checked.extension == ".png"


@pytest.mark.timeout(10)
def test_a_format_the_service_refuses(write):
    path = write("avatar.png", encoded(Image.new("RGB", (64, 64)), "WEBP"))
    with pytest.raises(
        InvalidInputError, match=r"^avatar\.png is a WebP image; ONLYOFFICE accepts JPEG and PNG images$"
    ):
        validate_for_slot(path, CRM, service_name="ONLYOFFICE")


@pytest.mark.timeout(10)
def test_no_listed_types_means_any_readable_picture(write):
    path = write("avatar.webp", encoded(Image.new("RGB", (64, 64)), "WEBP"))
    rules = ImageRules(max_bytes=100 * MB, mime_types=frozenset())
    assert validate_for_slot(path, rules, service_name="awork").mime_type == "image/webp"


@pytest.mark.timeout(10)
def test_too_large_is_checked_before_reading(tmp_path):
    path = tmp_path / "avatar.png"
    with path.open("wb") as f:
        f.truncate(101 * MB)  # sparse: costs no disk, and the content is never looked at
    with pytest.raises(
        TooLargeError, match=r"^avatar\.png is 101\.0 MB; awork accepts profile images up to 100 MB$"
    ) as caught:
        validate_for_slot(path, AWORK, service_name="awork")
    assert (caught.value.limit, caught.value.size) == (100 * MB, 101 * MB)


@pytest.mark.timeout(10)
def test_just_over_the_limit_says_so_in_bytes(tmp_path):
    path = tmp_path / "avatar.png"
    with path.open("wb") as f:
        f.truncate(5 * MB + 1)
    with pytest.raises(
        TooLargeError, match=r"is 5,242,881 bytes; ONLYOFFICE accepts profile images up to 5,242,880 bytes"
    ):
        validate_for_slot(path, CRM, service_name="ONLYOFFICE")


@pytest.mark.timeout(10)
def test_zero_byte_file(write):
    with pytest.raises(InvalidInputError, match=r"^avatar\.png is empty$"):
        validate_for_slot(write("avatar.png", b""), AWORK, service_name="awork")


@pytest.mark.timeout(10)
def test_text_named_png(write):
    with pytest.raises(InvalidInputError, match=r"^avatar\.png is not an image \(it looks like text\)$"):
        validate_for_slot(write("avatar.png", b"hello\n"), AWORK, service_name="awork")


@pytest.mark.timeout(10)
def test_truncated_jpeg(write):
    data = encoded(Image.effect_noise((256, 256), 80).convert("RGB"), "JPEG", quality=90)
    with pytest.raises(InvalidInputError, match=r"^avatar\.jpg is truncated or corrupt$"):
        validate_for_slot(write("avatar.jpg", data[: len(data) // 2]), AWORK, service_name="awork")


@pytest.mark.timeout(10)
def test_truncated_png(write):
    data = encoded(Image.effect_noise((128, 128), 80), "PNG")
    with pytest.raises(InvalidInputError, match=r"^avatar\.png is truncated or corrupt$"):
        validate_for_slot(write("avatar.png", data[: len(data) - 100]), AWORK, service_name="awork")


@pytest.mark.timeout(10)
def test_corrupt_png_chunk(write):
    data = bytearray(encoded(Image.effect_noise((64, 64), 80), "PNG"))
    data[60] ^= 0xFF  # inside the IDAT chunk: its CRC no longer matches
    with pytest.raises(InvalidInputError, match="is truncated or corrupt"):
        validate_for_slot(write("avatar.png", bytes(data)), AWORK, service_name="awork")


@pytest.mark.timeout(10)
def test_decompression_bomb(write):
    path = write("avatar.png", blank_png(30000, 30000))
    with pytest.raises(InvalidInputError, match=r"^avatar\.png is 30000×30000 pixels, larger than Attaché will open"):
        validate_for_slot(path, AWORK, service_name="awork")


@pytest.mark.timeout(10)
def test_over_the_warning_limit(write):
    path = write("avatar.png", blank_png(10000, 10000))
    with pytest.raises(InvalidInputError, match=r"^avatar\.png is 10000×10000 pixels, larger than Attaché will open"):
        validate_for_slot(path, AWORK, service_name="awork")


@pytest.mark.timeout(10)
def test_absurd_dimensions(write):
    with pytest.raises(InvalidInputError, match=r"^avatar\.png is 1×30000 pixels, too extreme to use as a picture$"):
        validate_for_slot(write("avatar.png", blank_png(1, 30000)), AWORK, service_name="awork")
    with pytest.raises(InvalidInputError, match=r"^dot\.png is 2×2 pixels, too small to use as a picture$"):
        validate_for_slot(write("dot.png", blank_png(2, 2)), AWORK, service_name="awork")


@pytest.mark.timeout(10)
def test_a_folder(tmp_path):
    with pytest.raises(InvalidInputError, match="is a folder"):
        validate_for_slot(tmp_path, AWORK, service_name="awork")
