"""Previews from a generated corpus of good, odd and hostile pictures."""

from __future__ import annotations

import io
import struct
import time
import zlib
from pathlib import Path

import pytest
from PIL import Image, ImageCms

from attache.core.errors import InvalidInputError
from attache.images.decode import Preview, decode_preview

# ---------- corpus helpers (also used by the validation tests) ----------


def png_bytes(width: int, height: int, *, bit_depth: int, colour_type: int, rows: list[bytes] | None = None) -> bytes:
    """A PNG written by hand: Pillow cannot write 48-bit RGB, nor a 30000² image in little memory.

    Without `rows`, every row is zeros, compressed row by row so memory stays small.
    """
    channels = {0: 1, 2: 3, 4: 2, 6: 4}[colour_type]
    row_bytes = (width * channels * bit_depth + 7) // 8
    compressor = zlib.compressobj(9)
    parts = []
    for row in rows or (bytes(row_bytes) for _ in range(height)):
        parts.append(compressor.compress(b"\0" + row))
    parts.append(compressor.flush())
    header = struct.pack(">IIBBBBB", width, height, bit_depth, colour_type, 0, 0, 0)
    return b"\x89PNG\r\n\x1a\n" + _chunk(b"IHDR", header) + _chunk(b"IDAT", b"".join(parts)) + _chunk(b"IEND", b"")


def _chunk(kind: bytes, data: bytes) -> bytes:
    return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))


def encoded(image: Image.Image, fmt: str, **params) -> bytes:
    buffer = io.BytesIO()
    image.save(buffer, fmt, **params)
    return buffer.getvalue()


def noisy_jpeg(size: tuple[int, int] = (256, 256)) -> bytes:
    """Noise compresses badly, so a cut-off file is missing real picture data."""
    return encoded(Image.effect_noise(size, 80).convert("RGB"), "JPEG", quality=90)


def swapped_primaries_profile() -> bytes:
    """sRGB with its red and green primaries swapped: pure device red means sRGB green."""
    data = bytearray(ImageCms.ImageCmsProfile(ImageCms.createProfile("sRGB")).tobytes())
    (count,) = struct.unpack_from(">I", data, 128)
    entries = {}
    for index in range(count):
        offset = 132 + 12 * index
        entries[bytes(data[offset : offset + 4])] = offset
    red, green = entries[b"rXYZ"], entries[b"gXYZ"]
    data[red + 4 : red + 12], data[green + 4 : green + 12] = data[green + 4 : green + 12], data[red + 4 : red + 12]
    data[84:100] = bytes(16)  # the profile id is an MD5 of the contents; zero means "not computed"
    return bytes(data)


def pixel(preview: Preview, x: int, y: int) -> tuple[int, int, int, int]:
    start = (y * preview.width + x) * 4
    return tuple(preview.rgba[start : start + 4])


def close_to(actual, expected, tolerance: int = 8) -> bool:
    return all(abs(a - e) <= tolerance for a, e in zip(actual, expected, strict=True))


@pytest.fixture(scope="session")
def corpus(tmp_path_factory) -> Path:
    root = tmp_path_factory.mktemp("image-corpus")

    def write(name: str, data: bytes) -> None:
        (root / name).write_bytes(data)

    write("truncated.jpg", noisy_jpeg()[:6000])
    good_png = encoded(Image.effect_noise((128, 128), 80), "PNG")
    write("truncated.png", good_png[: len(good_png) // 2])
    write("bomb.png", png_bytes(30000, 30000, bit_depth=1, colour_type=0))
    write("over-limit.png", png_bytes(10000, 10000, bit_depth=1, colour_type=0))
    write("thin.png", encoded(Image.new("L", (1, 30000), 200), "PNG"))
    write("cmyk.jpg", encoded(Image.new("CMYK", (32, 32), (255, 0, 0, 0)), "JPEG", quality=95))
    grey16 = Image.new("I;16", (3, 1))
    for x, value in enumerate((0, 32768, 65535)):
        grey16.putpixel((x, 0), value)
    write("grey16.png", encoded(grey16, "PNG"))
    write(
        "rgb48.png",
        png_bytes(2, 1, bit_depth=16, colour_type=2, rows=[struct.pack(">6H", 65535, 32768, 0, 257, 0, 65535)]),
    )
    frames = [Image.new("RGB", (20, 20), colour) for colour in ((255, 0, 0), (0, 0, 255))]
    write("animated.gif", encoded(frames[0], "GIF", save_all=True, append_images=frames[1:], duration=100, loop=0))
    wide = Image.new("RGB", (40, 20), (255, 0, 0))
    wide.paste((0, 0, 255), (20, 0, 40, 20))  # left half red, right half blue
    exif = Image.Exif()
    exif[0x0112] = 6  # "rotate 90° clockwise to display"
    write("rotated.jpg", encoded(wide, "JPEG", quality=95, exif=exif.tobytes()))
    write("empty.png", b"")
    write("photo.png", b"Dear team,\nplease find the photo attached.\n")
    write("document.png", b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n1 0 obj\n")
    write("huge.jpg", encoded(Image.new("RGB", (8000, 6000), (10, 120, 200)), "JPEG", quality=85))
    write(
        "wide-gamut.png", encoded(Image.new("RGB", (8, 8), (255, 0, 0)), "PNG", icc_profile=swapped_primaries_profile())
    )
    write("broken-profile.png", encoded(Image.new("RGB", (8, 8), (255, 0, 0)), "PNG", icc_profile=b"not a profile"))
    palette = Image.new("P", (4, 4), 0)
    palette.putpalette([0, 0, 0, 255, 255, 0])
    palette.paste(1, (2, 0, 4, 4))
    write("palette.png", encoded(palette, "PNG", transparency=0))
    write("grey-alpha.png", encoded(Image.new("LA", (4, 4), (100, 50)), "PNG"))
    return root


# ---------- previews ----------


@pytest.mark.timeout(10)
def test_truncated_jpeg_is_reported(corpus):
    with pytest.raises(InvalidInputError, match=r"^truncated\.jpg is truncated or corrupt$"):
        decode_preview(corpus / "truncated.jpg", max_size=128)


@pytest.mark.timeout(10)
def test_truncated_png_is_reported(corpus):
    with pytest.raises(InvalidInputError, match=r"^truncated\.png is truncated or corrupt$"):
        decode_preview(corpus / "truncated.png", max_size=128)


@pytest.mark.timeout(10)
def test_decompression_bomb_is_refused_with_its_size(corpus):
    with pytest.raises(InvalidInputError) as caught:
        decode_preview(corpus / "bomb.png", max_size=128)
    assert str(caught.value).startswith("bomb.png is 30000×30000 pixels, larger than Attaché will open (up to ")


@pytest.mark.timeout(10)
def test_over_the_warning_limit_is_refused_too(corpus):
    # Between Pillow's warning and its error: the warning must not leak (pytest turns it into an error).
    with pytest.raises(InvalidInputError, match="is 10000×10000 pixels, larger than Attaché will open"):
        decode_preview(corpus / "over-limit.png", max_size=128)


@pytest.mark.timeout(10)
def test_extreme_aspect_ratio_is_refused(corpus):
    with pytest.raises(InvalidInputError, match=r"^thin\.png is 1×30000 pixels, too extreme to use as a picture$"):
        decode_preview(corpus / "thin.png", max_size=128)


@pytest.mark.timeout(10)
def test_cmyk_jpeg_becomes_rgb(corpus):
    preview = decode_preview(corpus / "cmyk.jpg", max_size=128)
    assert close_to(pixel(preview, 16, 16), (0, 255, 255, 255), tolerance=12)


@pytest.mark.timeout(10)
def test_16_bit_grey_png_is_scaled_not_clipped(corpus):
    preview = decode_preview(corpus / "grey16.png", max_size=128)
    assert [pixel(preview, x, 0) for x in range(3)] == [(0, 0, 0, 255), (128, 128, 128, 255), (255, 255, 255, 255)]


@pytest.mark.timeout(10)
def test_48_bit_rgb_png_is_scaled(corpus):
    preview = decode_preview(corpus / "rgb48.png", max_size=128)
    assert [pixel(preview, x, 0) for x in range(2)] == [(255, 128, 0, 255), (1, 0, 255, 255)]


@pytest.mark.timeout(10)
def test_animated_gif_shows_its_first_frame(corpus):
    preview = decode_preview(corpus / "animated.gif", max_size=128)
    assert preview.animated
    assert close_to(pixel(preview, 10, 10), (255, 0, 0, 255))


@pytest.mark.timeout(10)
def test_exif_orientation_is_applied(corpus):
    preview = decode_preview(corpus / "rotated.jpg", max_size=128)
    assert (preview.width, preview.height) == (20, 40)
    assert (preview.original_width, preview.original_height) == (20, 40)
    assert close_to(pixel(preview, 10, 5), (255, 0, 0, 255), tolerance=20)  # left half went to the top
    assert close_to(pixel(preview, 10, 35), (0, 0, 255, 255), tolerance=20)


@pytest.mark.timeout(10)
def test_zero_byte_file(corpus):
    with pytest.raises(InvalidInputError, match=r"^empty\.png is empty$"):
        decode_preview(corpus / "empty.png", max_size=128)


@pytest.mark.timeout(10)
def test_text_named_png(corpus):
    with pytest.raises(InvalidInputError, match=r"^photo\.png is not an image \(it looks like text\)$"):
        decode_preview(corpus / "photo.png", max_size=128)


@pytest.mark.timeout(10)
def test_pdf_named_png(corpus):
    with pytest.raises(InvalidInputError, match=r"^document\.png is not an image \(it looks like a PDF document\)$"):
        decode_preview(corpus / "document.png", max_size=128)


@pytest.mark.timeout(10)
def test_huge_jpeg_previews_quickly(corpus):
    started = time.perf_counter()
    preview = decode_preview(corpus / "huge.jpg", max_size=128)
    elapsed = time.perf_counter() - started
    assert (preview.width, preview.height) == (128, 96)
    assert (preview.original_width, preview.original_height, preview.original_format) == (8000, 6000, "JPEG")
    assert close_to(pixel(preview, 64, 48), (10, 120, 200, 255))
    assert elapsed < 1.0, f"draft decoding took {elapsed:.2f} s"


@pytest.mark.timeout(10)
def test_embedded_profile_is_converted_to_srgb(corpus):
    red, green, blue, _ = pixel(decode_preview(corpus / "wide-gamut.png", max_size=128), 4, 4)
    assert green > 200 and red < 80 and blue < 80, (red, green, blue)


@pytest.mark.timeout(10)
def test_a_broken_profile_is_ignored(corpus):
    assert pixel(decode_preview(corpus / "broken-profile.png", max_size=128), 4, 4) == (255, 0, 0, 255)


@pytest.mark.timeout(10)
def test_palette_transparency_becomes_alpha(corpus):
    preview = decode_preview(corpus / "palette.png", max_size=128)
    assert pixel(preview, 0, 0)[3] == 0
    assert pixel(preview, 3, 3) == (255, 255, 0, 255)


@pytest.mark.timeout(10)
def test_grey_with_alpha(corpus):
    assert pixel(decode_preview(corpus / "grey-alpha.png", max_size=128), 1, 1) == (100, 100, 100, 50)


@pytest.mark.timeout(10)
def test_sized_for_the_device_pixel_ratio_and_tightly_packed():
    data = encoded(Image.new("RGB", (1000, 500), (0, 200, 0)), "PNG")
    preview = decode_preview(data, max_size=64, device_pixel_ratio=2.0)
    assert (preview.width, preview.height) == (128, 64)
    assert len(preview.rgba) == preview.nbytes == 128 * 64 * 4


@pytest.mark.timeout(10)
def test_never_upscaled():
    preview = decode_preview(encoded(Image.new("RGB", (10, 6), (1, 2, 3)), "PNG"), max_size=128, device_pixel_ratio=3)
    assert (preview.width, preview.height) == (10, 6)


@pytest.mark.timeout(10)
def test_bytes_are_named_in_messages():
    with pytest.raises(InvalidInputError, match=r"^The image is empty$"):
        decode_preview(b"", max_size=16)
    with pytest.raises(InvalidInputError, match=r"^logo\.png is not an image"):
        decode_preview(b"<html></html>", max_size=16, name="logo.png")


@pytest.mark.timeout(10)
def test_a_folder_or_missing_file_is_a_clear_error(tmp_path):
    with pytest.raises(InvalidInputError, match="is a folder"):
        decode_preview(tmp_path, max_size=16)
    with pytest.raises(InvalidInputError, match="does not exist"):
        decode_preview(tmp_path / "gone.png", max_size=16)


@pytest.mark.timeout(30)
def test_random_garbage_never_crashes():
    """Cut and flip bytes of real files: every outcome is a Preview or an InvalidInputError."""
    import random

    rng = random.Random(6)
    seeds = [
        noisy_jpeg((64, 64)),
        encoded(Image.effect_noise((64, 64), 50), "PNG"),
        encoded(Image.new("P", (30, 30)), "GIF"),
    ]
    for _ in range(150):
        data = bytearray(rng.choice(seeds))
        for _ in range(rng.randint(1, 8)):
            data[rng.randrange(len(data))] = rng.randrange(256)
        data = bytes(data[: rng.randint(1, len(data))])
        try:
            decode_preview(data, max_size=32)
        except InvalidInputError:
            pass


@pytest.mark.timeout(30)
def test_worker_threads_decode_side_by_side(corpus):
    """The bomb guard's warning filter is process-wide; threads must not leave it changed."""
    import threading
    import warnings

    filters_before = list(warnings.filters)
    names = ["bomb.png", "over-limit.png", "animated.gif", "rotated.jpg", "cmyk.jpg", "photo.png"] * 4
    outcomes: dict[str, set[str]] = {}

    def decode(name: str) -> None:
        try:
            decode_preview(corpus / name, max_size=64)
            outcome = "ok"
        except InvalidInputError as error:
            outcome = str(error).split(" ", 1)[1][:20]
        outcomes.setdefault(name, set()).add(outcome)

    threads = [threading.Thread(target=decode, args=(name,)) for name in names]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert all(len(seen) == 1 for seen in outcomes.values()), outcomes
    assert outcomes["rotated.jpg"] == {"ok"} and outcomes["bomb.png"] != {"ok"}
    assert warnings.filters == filters_before


@pytest.mark.timeout(30)
def test_images_never_import_qt():
    import subprocess
    import sys

    code = (
        "import sys, attache.images; "
        "print(sorted(m for m in sys.modules if m.startswith(('PySide', 'PyQt', 'shiboken'))))"
    )
    output = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert output.strip() == "[]"
