"""Opening an untrusted picture: by content, only safe formats, with user-sized messages.

Shared by previews (decode.py), image-slot checks (validate.py) and the crop step. Opening only
reads the header; the pixel and shape limits here are what keep decoding bounded in time and
memory before a single pixel is decoded.
"""

from __future__ import annotations

import io
import threading
import warnings
from pathlib import Path

from PIL import Image, UnidentifiedImageError

from attache.core.errors import InvalidInputError
from attache.core.sources import check_source

# Formats a user plausibly drops as a picture. Not EPS (runs Ghostscript), PSD and the exotic
# ones: a smaller attack surface, and nobody expects an avatar from them. (JPEG includes MPO.)
SAFE_FORMATS = ("JPEG", "PNG", "GIF", "WEBP", "BMP", "TIFF", "AVIF", "ICO")

# Pillow calls a camera JPEG with a multi-picture index "MPO"; to a service it is a JPEG.
FORMAT_MIME = {
    "JPEG": "image/jpeg",
    "MPO": "image/jpeg",
    "PNG": "image/png",
    "GIF": "image/gif",
    "WEBP": "image/webp",
    "BMP": "image/bmp",
    "TIFF": "image/tiff",
    "AVIF": "image/avif",
    "ICO": "image/x-icon",
}
MIME_LABELS = {
    "image/jpeg": "JPEG",
    "image/png": "PNG",
    "image/gif": "GIF",
    "image/webp": "WebP",
    "image/bmp": "BMP",
    "image/tiff": "TIFF",
    "image/avif": "AVIF",
    "image/x-icon": "icon",
}
DRAFTABLE = frozenset({"JPEG", "MPO"})  # libjpeg can decode these at 1/2, 1/4, 1/8 scale

# Longer side over shorter side. A 360° panorama is about 10:1; beyond this a preview would be
# a line of a few pixels, and a 1×30000 file is more likely an attack or a mistake.
MAX_ASPECT = 50

# catch_warnings swaps the process-wide filter list; serialise our own uses of it so two worker
# threads cannot restore each other's state. Opening reads only the header, so this is brief.
_WARNINGS_LOCK = threading.Lock()


def display_name(source: bytes | Path, name: str | None) -> str:
    if name:
        return name
    return source.name if isinstance(source, Path) else "The image"


def pixel_limit() -> int | None:
    """Pillow's decompression-bomb threshold (read each time, so it can be tuned)."""
    return Image.MAX_IMAGE_PIXELS


def open_image(source: bytes | Path, name: str) -> Image.Image:
    """A lazily-loaded image (use it in `with`), or InvalidInputError saying why not."""
    if isinstance(source, Path):
        if check_source(source).st_size == 0:
            raise InvalidInputError(f"{name} is empty")
        fp: Path | io.BytesIO = source
    else:
        if not source:
            raise InvalidInputError(f"{name} is empty")
        fp = io.BytesIO(source)
    try:
        with _WARNINGS_LOCK, warnings.catch_warnings():
            # We apply the limit ourselves (check_geometry), where a JPEG may pass because it
            # can be decoded at reduced scale; Pillow's own hard error (2× the limit) stays.
            warnings.simplefilter("ignore", Image.DecompressionBombWarning)
            return Image.open(fp, formats=SAFE_FORMATS)
    except Image.DecompressionBombError as error:
        size = _header_size(source)
        raise too_many_pixels(name, size, error) from None
    except UnidentifiedImageError as error:
        raise InvalidInputError(f"{name} is not an image ({sniff(_head(source))})", detail=str(error)) from None
    except InvalidInputError:
        raise
    except OSError as error:
        if isinstance(source, Path) and error.filename:
            raise InvalidInputError(f"{name} cannot be read: {error.strerror or error}") from None
        raise corrupt(name, error) from None
    except Exception as error:  # Pillow's parsers raise all sorts on hostile headers
        raise corrupt(name, error) from None


def check_geometry(image: Image.Image, name: str, *, reduced_decode: bool = False) -> None:
    """Refuse empty, absurdly thin, or too-many-pixel images before decoding them.

    With `reduced_decode` a JPEG is judged by the size it will be decoded at (after `draft`),
    so a 100-megapixel camera photo can still be previewed cheaply.
    """
    width, height = image.size
    if width < 1 or height < 1:
        raise InvalidInputError(f"{name} is truncated or corrupt", detail=f"size {width}×{height}")
    if max(width, height) / min(width, height) > MAX_ASPECT:
        raise InvalidInputError(f"{name} is {width}×{height} pixels, too extreme to use as a picture")
    limit = pixel_limit()
    if limit and width * height > limit and not (reduced_decode and image.format in DRAFTABLE):
        raise too_many_pixels(name, (width, height))


def too_many_pixels(name: str, size: tuple[int, int] | None, cause: Exception | None = None) -> InvalidInputError:
    limit = pixel_limit() or 0
    allowed = f"up to {limit / 1e6:.0f} megapixels"
    detail = str(cause) if cause else ""
    if size:
        return InvalidInputError(
            f"{name} is {size[0]}×{size[1]} pixels, larger than Attaché will open ({allowed})", detail=detail
        )
    return InvalidInputError(f"{name} has more pixels than Attaché will open ({allowed})", detail=detail)


def corrupt(name: str, error: BaseException) -> InvalidInputError:
    if isinstance(error, MemoryError):
        return InvalidInputError(f"{name} is too large to open with the memory available")
    return InvalidInputError(f"{name} is truncated or corrupt", detail=f"{type(error).__name__}: {error}")


def sniff(head: bytes) -> str:
    """What a non-picture looks like, for the message: 'it looks like text'."""
    lowered = head[:512].lower()
    if head.startswith(b"%PDF"):
        return "it looks like a PDF document"
    if head.startswith(b"PK\x03\x04"):
        return "it looks like a ZIP archive or an Office document"
    if head[4:12] in (b"ftypheic", b"ftypheix", b"ftypmif1", b"ftypmsf1", b"ftyphevc"):
        return "it is a HEIC photo, which Attaché cannot read; export it as JPEG"
    if head.startswith(b"8BPS"):
        return "it is a Photoshop document; export it as PNG or JPEG"
    if head.startswith((b"%!PS", b"\xc5\xd0\xd3\xc6")):
        return "it is a PostScript file; export it as PNG or JPEG"
    if b"<svg" in lowered:
        return "it is an SVG drawing; export it as PNG"
    if _looks_like_text(head):
        return "it looks like text"
    return "not in a picture format Attaché can read"


def _looks_like_text(head: bytes) -> bool:
    if not head or b"\0" in head:
        return False
    try:
        head.decode("utf-8")
    except UnicodeDecodeError as error:
        if error.start < len(head) - 4:  # a multi-byte character cut at the end is fine
            return False
    return True


def _head(source: bytes | Path, count: int = 512) -> bytes:
    if isinstance(source, bytes):
        return source[:count]
    try:
        with source.open("rb") as f:
            return f.read(count)
    except OSError:
        return b""


def _header_size(source: bytes | Path) -> tuple[int, int] | None:
    """Dimensions from the header, bypassing Image.open's bomb check (which only says 'too big')."""
    head = _head(source, 64)
    Image.init()
    for format_id in SAFE_FORMATS:
        factory, accept = Image.OPEN.get(format_id, (None, None))
        if factory is None or (accept and not accept(head)):
            continue
        try:
            fp = io.BytesIO(source) if isinstance(source, bytes) else source.open("rb")
            with fp:
                return factory(fp, "").size
        except Exception:
            continue
    return None
