"""The crop dialog's square, checked by the colours that land in its centre and corners."""

from __future__ import annotations

import io
import math
import random

import pytest
from PIL import Image

from attache.images.crop import (
    MAX_ZOOM,
    Crop,
    clamp_crop,
    crop_for_upload,
    crop_square,
    default_crop,
    encode_avatar,
    largest_side,
    render_crop,
    rotated_size,
)

RED, GREEN, BLUE, YELLOW = (255, 0, 0), (0, 255, 0), (0, 0, 255), (255, 255, 0)


def quadrants(width: int = 200, height: int = 200) -> Image.Image:
    """Top-left red, top-right green, bottom-left blue, bottom-right yellow."""
    image = Image.new("RGB", (width, height), RED)
    image.paste(GREEN, (width // 2, 0, width, height // 2))
    image.paste(BLUE, (0, height // 2, width // 2, height))
    image.paste(YELLOW, (width // 2, height // 2, width, height))
    return image


def colour_at(image: Image.Image, x: int, y: int) -> tuple[int, int, int]:
    return image.getpixel((x, y))[:3]


def close_to(actual, expected, tolerance: int = 10) -> bool:
    return all(abs(a - e) <= tolerance for a, e in zip(actual, expected, strict=True))


def corners(image: Image.Image, inset: int = 4) -> list[tuple[int, int, int]]:
    last = image.width - 1 - inset
    return [colour_at(image, x, y) for x, y in ((inset, inset), (last, inset), (inset, last), (last, last))]


def test_default_crop_is_the_centred_square_of_the_shorter_side():
    image = Image.new("RGB", (300, 100), RED)
    image.paste(GREEN, (100, 0, 200, 100))
    result = render_crop(image)
    assert result.size == (128, 128)  # 100 px of source, raised to the minimum output
    assert all(close_to(c, GREEN) for c in corners(result))
    assert crop_square(default_crop(), 300, 100) == (100, 0, 100)


def test_output_size_follows_the_source_within_limits():
    assert render_crop(quadrants(200, 200)).size == (200, 200)
    assert render_crop(quadrants(2000, 1000)).size == (512, 512)
    assert render_crop(quadrants(40, 40)).size == (128, 128)
    assert render_crop(quadrants(2000, 2000), max_output=256).size == (256, 256)


def test_unrotated_square_keeps_the_quadrants():
    result = render_crop(quadrants())
    assert [close_to(c, e) for c, e in zip(corners(result), (RED, GREEN, BLUE, YELLOW))] == [True] * 4


def test_quarter_turn_clockwise():
    result = render_crop(quadrants(), Crop(rotation=90))
    # Turned clockwise: bottom-left comes to the top-left, top-left to the top-right.
    assert [close_to(c, e) for c, e in zip(corners(result), (BLUE, RED, YELLOW, GREEN))] == [True] * 4


def test_rotated_helper_accumulates_turns():
    assert default_crop().rotated(90).rotated(90).rotated(270).rotation == 90
    result = render_crop(quadrants(), default_crop().rotated(-90))
    assert [close_to(c, e) for c, e in zip(corners(result), (GREEN, YELLOW, RED, BLUE))] == [True] * 4


def test_zoom_and_pan_select_one_quadrant():
    result = render_crop(quadrants(), Crop(centre=(0.75, 0.25), zoom=2))
    assert all(close_to(c, GREEN) for c in corners(result))
    assert close_to(colour_at(result, 64, 64), GREEN)


def test_pan_and_zoom_after_a_turn_are_in_view_coordinates():
    # After a clockwise turn the view's top-right holds the picture's top-left (red).
    result = render_crop(quadrants(), Crop(centre=(0.75, 0.25), zoom=2, rotation=90))
    assert all(close_to(c, RED) for c in corners(result))


def test_pan_is_clamped_inside_the_picture():
    clamped = clamp_crop(Crop(centre=(0.0, 0.0), zoom=2), 200, 200)
    assert clamped.centre == pytest.approx((0.25, 0.25))
    assert clamp_crop(Crop(zoom=0.2), 200, 200).zoom == 1.0
    assert clamp_crop(Crop(zoom=100), 200, 200).zoom == MAX_ZOOM
    result = render_crop(quadrants(), Crop(centre=(-3.0, 5.0), zoom=2))
    assert all(close_to(c, BLUE) for c in corners(result))


def test_free_angle_turns_the_picture_clockwise():
    result = render_crop(quadrants(400, 400), Crop(rotation=45))
    size, middle = result.width, result.width // 2
    assert close_to(colour_at(result, middle, 6), RED, 30)  # the top-left corner came up top
    assert close_to(colour_at(result, size - 7, middle), GREEN, 30)
    assert close_to(colour_at(result, middle, size - 7), YELLOW, 30)
    assert close_to(colour_at(result, 6, middle), BLUE, 30)


@pytest.mark.parametrize("rotation", [17, 30, 45, 133, 301])
def test_free_angle_never_shows_an_empty_corner(rotation):
    image = Image.new("RGB", (300, 180), (50, 100, 150))
    for crop in (Crop(rotation=rotation), Crop(centre=(0.0, 1.0), zoom=1.7, rotation=rotation)):
        result = render_crop(image, crop)
        assert all(close_to(c, (50, 100, 150), 3) for c in corners(result, inset=0)), crop


def test_clamped_squares_stay_inside_the_picture():
    rng = random.Random(3)
    for _ in range(300):
        width, height = rng.uniform(10, 500), rng.uniform(10, 500)
        rotation = rng.choice([0, 90, 180, 270, rng.uniform(0, 360)])
        crop = clamp_crop(Crop((rng.uniform(-1, 2), rng.uniform(-1, 2)), rng.uniform(0.5, 10), rotation), width, height)
        left, top, side = crop_square(crop, width, height)
        assert side == pytest.approx(largest_side(width, height, rotation) / crop.zoom)
        view = rotated_size(width, height, rotation)
        cos, sin = math.cos(math.radians(rotation)), math.sin(math.radians(rotation))
        for x, y in ((left, top), (left + side, top), (left, top + side), (left + side, top + side)):
            dx, dy = x - view[0] / 2, y - view[1] / 2
            u, v = width / 2 + cos * dx + sin * dy, height / 2 - sin * dx + cos * dy
            assert -1e-6 <= u <= width + 1e-6 and -1e-6 <= v <= height + 1e-6


def test_encoding_picks_png_for_transparency_and_jpeg_otherwise():
    opaque = encode_avatar(Image.new("RGB", (64, 64), RED))
    assert opaque.mime_type == "image/jpeg" and opaque.data[:2] == b"\xff\xd8"
    clear = Image.new("RGBA", (64, 64), (0, 0, 0, 0))
    assert encode_avatar(clear).mime_type == "image/png"
    flattened = encode_avatar(clear, mime_types=frozenset({"image/jpeg"}))
    assert flattened.mime_type == "image/jpeg"
    assert close_to(Image.open(io.BytesIO(flattened.data)).getpixel((5, 5)), (255, 255, 255), 2)


def test_crop_for_upload_decodes_orients_and_encodes():
    picture = Image.new("RGB", (1200, 600), RED)
    picture.paste(BLUE, (600, 0, 1200, 600))
    exif = Image.Exif()
    exif[0x0112] = 6  # shown turned clockwise: red on top, blue below; 600 × 1200
    buffer = io.BytesIO()
    picture.save(buffer, "JPEG", quality=95, exif=exif.tobytes())
    encoded = crop_for_upload(buffer.getvalue(), Crop(centre=(0.5, 0.25)))
    assert (encoded.width, encoded.height, encoded.mime_type) == (512, 512, "image/jpeg")
    result = Image.open(io.BytesIO(encoded.data))
    assert all(close_to(c, RED, 20) for c in corners(result))
