"""The geometry and rendering behind the crop dialog: a square chosen by zoom, pan and rotation.

Coordinates are resolution-independent, so the dialog can work on a preview and the upload be
rendered from the full picture with the same Crop:
- the "view" is the picture rotated clockwise by `rotation` degrees, in its bounding box;
- `centre` is the crop square's centre as fractions (0..1) of the view's width and height;
- `zoom` 1 is the largest square that fits inside the picture, 2 is half its side, and so on.
The square always stays inside the picture: `clamp_crop` slides it back along the picture's
own edges, so the round avatar never shows an empty corner.
"""

from __future__ import annotations

import io
import math
from dataclasses import dataclass, replace
from pathlib import Path

from PIL import Image

from attache.images.decode import load_image

MAX_ZOOM = 8.0
OUTPUT_SIZE = 512  # what the web apps' avatar editors upload; plenty for a 200 px display
MIN_OUTPUT_SIZE = 128  # a smaller source is enlarged to this, so services need not upscale
WORKING_SIZE = 4096  # the picture is decoded at most this large for cropping (64 MB RGBA)


@dataclass(frozen=True, slots=True)
class Crop:
    centre: tuple[float, float] = (0.5, 0.5)
    zoom: float = 1.0
    rotation: float = 0.0  # degrees, clockwise as seen on screen

    def rotated(self, degrees: float) -> Crop:
        """The same crop with the picture turned further (the dialog's rotate buttons)."""
        return replace(self, rotation=(self.rotation + degrees) % 360)


@dataclass(frozen=True, slots=True)
class EncodedImage:
    data: bytes
    mime_type: str
    width: int
    height: int

    @property
    def extension(self) -> str:
        return ".png" if self.mime_type == "image/png" else ".jpg"


def default_crop(rotation: float = 0.0) -> Crop:
    """Centred, covering the largest circle the picture holds."""
    return Crop(rotation=rotation % 360)


def rotated_size(width: float, height: float, rotation: float) -> tuple[float, float]:
    cos, sin = cos_sin(rotation)
    return width * abs(cos) + height * abs(sin), width * abs(sin) + height * abs(cos)


def largest_side(width: float, height: float, rotation: float) -> float:
    """The largest axis-aligned square inside the picture turned by `rotation`, centred."""
    cos, sin = cos_sin(rotation)
    return min(width, height) / (abs(cos) + abs(sin))


def clamp_crop(crop: Crop, width: float, height: float) -> Crop:
    """Zoom within [1, MAX_ZOOM] and the square moved (least) back inside the picture."""
    zoom = min(max(crop.zoom, 1.0), MAX_ZOOM)
    cos, sin = cos_sin(crop.rotation)
    view_width, view_height = rotated_size(width, height, crop.rotation)
    side = largest_side(width, height, crop.rotation) / zoom
    # The square's corners reach this far along the picture's own axes from its centre.
    reach = side / 2 * (abs(cos) + abs(sin))
    # The centre relative to the view's middle, turned back into the picture's axes, where
    # "inside" is simply a rectangle.
    dx = crop.centre[0] * view_width - view_width / 2
    dy = crop.centre[1] * view_height - view_height / 2
    u, v = cos * dx + sin * dy, -sin * dx + cos * dy
    u = _clamp(u, max(0.0, width / 2 - reach))
    v = _clamp(v, max(0.0, height / 2 - reach))
    dx, dy = cos * u - sin * v, sin * u + cos * v
    return Crop(((view_width / 2 + dx) / view_width, (view_height / 2 + dy) / view_height), zoom, crop.rotation % 360)


def crop_square(crop: Crop, width: float, height: float) -> tuple[float, float, float]:
    """(left, top, side) of the clamped square in view pixels, for drawing the dialog's overlay."""
    crop = clamp_crop(crop, width, height)
    view_width, view_height = rotated_size(width, height, crop.rotation)
    side = largest_side(width, height, crop.rotation) / crop.zoom
    return crop.centre[0] * view_width - side / 2, crop.centre[1] * view_height - side / 2, side


def output_size(side: float, *, max_output: int = OUTPUT_SIZE, min_output: int = MIN_OUTPUT_SIZE) -> int:
    """Never larger than the source offers, but at least the minimum."""
    return max(min_output, min(max_output, round(side)))


def render_crop(
    image: Image.Image, crop: Crop | None = None, *, max_output: int = OUTPUT_SIZE, min_output: int = MIN_OUTPUT_SIZE
) -> Image.Image:
    """The square as a Pillow image (RGB or RGBA), `output_size` pixels wide."""
    crop = clamp_crop(crop or default_crop(), image.width, image.height)
    left, top, side = crop_square(crop, image.width, image.height)
    size = output_size(side, max_output=max_output, min_output=min_output)
    if image.mode not in ("RGB", "RGBA"):
        image = image.convert("RGBA" if "A" in image.getbands() or "transparency" in image.info else "RGB")
    quarter_turns = crop.rotation / 90
    if abs(quarter_turns - round(quarter_turns)) < 1e-9:
        return _render_quarter_turns(image, crop, (left, top, side), size, round(quarter_turns) % 4)
    return _render_any_angle(image, crop, (left, top, side), size)


def encode_avatar(
    image: Image.Image, *, mime_types: frozenset[str] | None = None, jpeg_quality: int = 90
) -> EncodedImage:
    """PNG when transparency matters (and is allowed), otherwise JPEG: both go everywhere."""
    lowest_alpha = image.getchannel("A").getextrema()[0] if image.mode == "RGBA" else 255
    wants_png = float(lowest_alpha) < 255  # type: ignore[arg-type]  # one band: numbers
    if mime_types and "image/png" not in mime_types:
        wants_png = False
    if mime_types and "image/jpeg" not in mime_types and "image/png" in mime_types:
        wants_png = True
    buffer = io.BytesIO()
    if wants_png:
        image.save(buffer, "PNG")
        return EncodedImage(buffer.getvalue(), "image/png", image.width, image.height)
    if image.mode == "RGBA":  # flatten on white, as a round avatar on a light page expects
        flat = Image.new("RGB", image.size, (255, 255, 255))
        flat.paste(image, mask=image.getchannel("A"))
        image = flat
    image.save(buffer, "JPEG", quality=jpeg_quality, subsampling=0, optimize=True)
    return EncodedImage(buffer.getvalue(), "image/jpeg", image.width, image.height)


def crop_for_upload(
    source: bytes | Path | Image.Image,
    crop: Crop | None = None,
    *,
    name: str | None = None,
    mime_types: frozenset[str] | None = None,
    max_output: int = OUTPUT_SIZE,
    min_output: int = MIN_OUTPUT_SIZE,
) -> EncodedImage:
    """Decode (upright, sRGB), crop and encode: the bytes to send. crop=None is the default
    crop, for users who drop and go. Raises InvalidInputError for unreadable pictures."""
    image = source if isinstance(source, Image.Image) else load_image(source, max_size=WORKING_SIZE, name=name).image
    return encode_avatar(render_crop(image, crop, max_output=max_output, min_output=min_output), mime_types=mime_types)


def _render_quarter_turns(
    image: Image.Image, crop: Crop, square: tuple[float, float, float], size: int, turns: int
) -> Image.Image:
    """Lossless turns: crop and resize in the picture's own axes, then turn only the result."""
    left, top, side = square
    view_width, view_height = rotated_size(image.width, image.height, crop.rotation)
    corners = [
        _view_to_source(x, y, crop.rotation, (view_width, view_height), image.size)
        for x, y in ((left, top), (left + side, top + side))
    ]
    (x0, y0), (x1, y1) = corners
    box = (min(x0, x1), min(y0, y1), max(x0, x1), max(y0, y1))
    result = image.resize((size, size), Image.Resampling.LANCZOS, box=box, reducing_gap=3.0)
    turn = {1: Image.Transpose.ROTATE_270, 2: Image.Transpose.ROTATE_180, 3: Image.Transpose.ROTATE_90}.get(turns)
    return result.transpose(turn) if turn is not None else result


def _render_any_angle(image: Image.Image, crop: Crop, square: tuple[float, float, float], size: int) -> Image.Image:
    """One affine resample from output pixels back to the picture, after shrinking the region
    with a proper filter first (an affine transform alone would alias when reducing)."""
    left, top, side = square
    view = rotated_size(image.width, image.height, crop.rotation)
    corners = [
        _view_to_source(x, y, crop.rotation, view, image.size)
        for x, y in ((left, top), (left + side, top), (left, top + side), (left + side, top + side))
    ]
    x0 = max(0, math.floor(min(x for x, _ in corners)) - 2)
    y0 = max(0, math.floor(min(y for _, y in corners)) - 2)
    x1 = min(image.width, math.ceil(max(x for x, _ in corners)) + 2)
    y1 = min(image.height, math.ceil(max(y for _, y in corners)) + 2)
    region = image.crop((x0, y0, x1, y1))
    shrink = min(1.0, size / side)
    if shrink < 1.0:
        region = region.resize(
            (max(1, round(region.width * shrink)), max(1, round(region.height * shrink))),
            Image.Resampling.LANCZOS,
            reducing_gap=3.0,
        )
    scale_x, scale_y = region.width / (x1 - x0), region.height / (y1 - y0)
    # Output point (x, y) → view point → picture point → region point, all affine.
    cos, sin = cos_sin(crop.rotation)
    step = side / size
    lx, ty = left - view[0] / 2, top - view[1] / 2
    cx, cy = image.width / 2, image.height / 2
    coefficients = (
        scale_x * cos * step,
        scale_x * sin * step,
        scale_x * (cx + cos * lx + sin * ty - x0),
        scale_y * -sin * step,
        scale_y * cos * step,
        scale_y * (cy - sin * lx + cos * ty - y0),
    )
    return region.transform((size, size), Image.Transform.AFFINE, coefficients, resample=Image.Resampling.BICUBIC)


def _view_to_source(
    x: float, y: float, rotation: float, view: tuple[float, float], source: tuple[float, float]
) -> tuple[float, float]:
    cos, sin = cos_sin(rotation)
    dx, dy = x - view[0] / 2, y - view[1] / 2
    return source[0] / 2 + cos * dx + sin * dy, source[1] / 2 - sin * dx + cos * dy


def cos_sin(degrees: float) -> tuple[float, float]:
    """Exact for quarter turns, so 90° crops land on whole pixels."""
    quarter_turns = degrees / 90
    if abs(quarter_turns - round(quarter_turns)) < 1e-9:
        return ((1.0, 0.0), (0.0, 1.0), (-1.0, 0.0), (0.0, -1.0))[round(quarter_turns) % 4]
    radians = math.radians(degrees)
    return math.cos(radians), math.sin(radians)


def _clamp(value: float, limit: float) -> float:
    return max(-limit, min(limit, value))
