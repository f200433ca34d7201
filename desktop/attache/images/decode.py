"""Decoding any picture into a small, upright, sRGB, RGBA preview (run on worker threads).

The GUI turns a Preview into pixels with
`QImage(p.rgba, p.width, p.height, QImage.Format_RGBA8888).copy()`.
Time and memory are bounded by the checks in reading.py (pixel count, aspect ratio) and by
decoding JPEGs at reduced scale when only a thumbnail is needed.
"""

from __future__ import annotations

import io
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

from PIL import Image, ImageCms

from attache.core.errors import InvalidInputError
from attache.images.reading import DRAFTABLE, check_geometry, corrupt, display_name, open_image

# EXIF orientation → the transpose that makes the picture upright (as ImageOps.exif_transpose).
_ORIENTATION_FIX = {
    2: Image.Transpose.FLIP_LEFT_RIGHT,
    3: Image.Transpose.ROTATE_180,
    4: Image.Transpose.FLIP_TOP_BOTTOM,
    5: Image.Transpose.TRANSPOSE,
    6: Image.Transpose.ROTATE_270,
    7: Image.Transpose.TRANSVERSE,
    8: Image.Transpose.ROTATE_90,
}
_EXIF_ORIENTATION = 0x0112


@dataclass(frozen=True, slots=True)
class Preview:
    """A decoded picture: `rgba` is RGBA8888, tightly packed (width × 4 bytes per row)."""

    width: int
    height: int
    rgba: bytes
    original_width: int  # as displayed, i.e. after EXIF orientation
    original_height: int
    original_format: str  # Pillow's name: "JPEG", "PNG", …
    animated: bool = False

    @property
    def nbytes(self) -> int:
        return len(self.rgba)


@dataclass(frozen=True, slots=True)
class LoadedImage:
    """An upright sRGB Pillow image (RGB or RGBA) plus facts about the original."""

    image: Image.Image
    original_width: int
    original_height: int
    original_format: str
    animated: bool


def decode_preview(
    source: bytes | Path,
    *,
    max_size: int,
    device_pixel_ratio: float = 1.0,
    name: str | None = None,
    use_draft: bool = True,
) -> Preview:
    """A preview fitting in max_size × device_pixel_ratio pixels square, never upscaled.

    Raises InvalidInputError with a message naming the file and what is wrong with it.
    `use_draft=False` forces a full-resolution decode (for benchmarks and comparisons).
    """
    if max_size < 1 or device_pixel_ratio <= 0:
        raise ValueError("max_size and device_pixel_ratio must be positive")
    box = max(1, round(max_size * device_pixel_ratio))
    loaded = load_image(source, max_size=box, name=name, use_draft=use_draft)
    image = loaded.image if loaded.image.mode == "RGBA" else loaded.image.convert("RGBA")
    return Preview(
        width=image.width,
        height=image.height,
        rgba=image.tobytes(),
        original_width=loaded.original_width,
        original_height=loaded.original_height,
        original_format=loaded.original_format,
        animated=loaded.animated,
    )


def load_image(
    source: bytes | Path, *, max_size: int | None = None, name: str | None = None, use_draft: bool = True
) -> LoadedImage:
    """The first frame, upright, in sRGB, as RGB or RGBA, fitted in max_size square if given."""
    name = display_name(source, name)
    with open_image(source, name) as image:
        check_geometry(image, name, reduced_decode=use_draft and max_size is not None)
        original_format = image.format or "?"
        width, height = image.size  # before draft shrinks it
        animated = _is_animated(image)
        try:
            if use_draft and max_size and image.format in DRAFTABLE:
                # Ask for twice the target so the final resize still has pixels to filter.
                target = _fit(image.size, max_size * 2)
                image.draft(None, target)
                check_geometry(image, name)  # the reduced size must be within the pixel limit
            image.load()
            orientation = _orientation(image)
            icc = image.info.get("icc_profile")
            working = _to_working_mode(image)
            if max_size:
                fitted = _fit(working.size, max_size)
                if fitted != working.size:
                    working = working.resize(fitted, Image.Resampling.LANCZOS, reducing_gap=3.0)
            working = _to_srgb(working, icc)
            if orientation in _ORIENTATION_FIX:
                working = working.transpose(_ORIENTATION_FIX[orientation])
        except InvalidInputError:
            raise
        except Exception as error:  # truncated data, bad chunks, decoder errors, MemoryError…
            raise corrupt(name, error) from None
    if orientation in (5, 6, 7, 8):
        width, height = height, width
    return LoadedImage(working, width, height, original_format, animated)


def _is_animated(image: Image.Image) -> bool:
    try:
        return bool(getattr(image, "is_animated", False))
    except Exception:  # a broken second frame; the first may still be fine
        return False


def _fit(size: tuple[int, int], box: int) -> tuple[int, int]:
    """Fit within box × box keeping the aspect ratio; never enlarge."""
    width, height = size
    if width <= box and height <= box:
        return size
    scale = box / max(width, height)
    return max(1, round(width * scale)), max(1, round(height * scale))


def _orientation(image: Image.Image) -> int:
    try:
        return int(image.getexif().get(_EXIF_ORIENTATION, 1))
    except Exception:  # a broken EXIF block should not cost the picture
        return 1


def _to_working_mode(image: Image.Image) -> Image.Image:
    """L, LA, RGB, RGBA, CMYK or LAB: modes that resize well and match an ICC profile."""
    mode = image.mode
    if mode in ("L", "LA", "RGB", "RGBA", "CMYK", "LAB"):
        return image
    if mode == "P":
        return image.convert("RGBA" if image.has_transparency_data else "RGB")
    if mode == "1":
        return image.convert("L")
    if mode.startswith("I") or mode == "F":
        return _deep_to_l(image)
    if mode == "La":
        return image.convert("LA")
    if mode in ("RGBX", "YCbCr", "HSV"):
        return image.convert("RGB")
    return image.convert("RGBA")  # PA, RGBa and anything newer


def _deep_to_l(image: Image.Image) -> Image.Image:
    """16-bit and 32-bit greyscale to 8-bit by scaling (65535 → 255), not by clipping."""
    if image.mode == "F":
        low, high = _extrema(image)
        if low >= 0 and high <= 1:
            low, high = 0.0, 1.0
    else:
        sixteen_bit = image.mode.startswith("I;16")
        image = image.convert("I")
        low, high = _extrema(image)
        if sixteen_bit or (low >= 0 and high <= 65535):
            low, high = 0, 65535
    if high <= low:
        return Image.new("L", image.size, max(0, min(255, round(low))))
    scale = 255 / (high - low)
    # +0.5 so the integer conversion rounds: 32768 → 128, as the eye expects mid-grey.
    return image.point(lambda value: value * scale + (0.5 - low * scale)).convert("L")


def _extrema(image: Image.Image) -> tuple[float, float]:
    """The lowest and highest value of a one-band image."""
    low, high = image.getextrema()
    return float(low), float(high)  # type: ignore[arg-type]  # one band: two numbers


def _to_srgb(image: Image.Image, icc: bytes | None) -> Image.Image:
    """Apply an embedded ICC profile; without one (or with a broken one) assume sRGB."""
    out_mode = "RGBA" if image.mode in ("RGBA", "LA") else "RGB"
    if icc:
        alpha = image.getchannel("A") if image.mode in ("RGBA", "LA") else None
        colour = image.convert(image.mode[:-1]) if alpha is not None else image
        transform = _transform(icc, colour.mode)
        if transform is not None:
            try:
                converted = ImageCms.applyTransform(colour, transform)
            except Exception:
                converted = None
            if converted is not None:
                if alpha is not None:
                    converted.putalpha(alpha)
                return converted
    if image.mode == "LAB":
        lab = ImageCms.applyTransform(image, _lab_transform())
        if lab is not None:
            return lab
    return image if image.mode == out_mode else image.convert(out_mode)


@lru_cache(maxsize=16)
def _transform(icc: bytes, mode: str) -> ImageCms.ImageCmsTransform | None:
    """A cached transform from this embedded profile to sRGB; None if it cannot be used."""
    try:
        profile = ImageCms.ImageCmsProfile(io.BytesIO(icc))
        # NOCACHE: lcms's one-pixel cache is the only state shared between worker threads.
        return ImageCms.buildTransform(
            profile, _srgb(), mode, "RGB", renderingIntent=ImageCms.Intent.PERCEPTUAL, flags=ImageCms.Flags.NOCACHE
        )
    except Exception:  # wrong colour space for the mode, truncated profile, …
        return None


@lru_cache(maxsize=1)
def _srgb() -> ImageCms.ImageCmsProfile:
    return ImageCms.ImageCmsProfile(ImageCms.createProfile("sRGB"))


@lru_cache(maxsize=1)
def _lab_transform() -> ImageCms.ImageCmsTransform:
    lab = ImageCms.ImageCmsProfile(ImageCms.createProfile("LAB"))
    return ImageCms.buildTransform(lab, _srgb(), "LAB", "RGB", flags=ImageCms.Flags.NOCACHE)
