"""awork's resize rule, with the common Pillow work for its image endpoints.

awork resizes server-side from `width`, `height` and `crop` (awork.md §4.2): with crop the
result fills exactly width×height and is centre-cropped; without, it fits inside the box
keeping its proportions. One side alone scales the other proportionally.
"""

from __future__ import annotations

from attache.sandbox.common.imaging import (
    IMAGE_FORMATS,
    ImageInfo,
    RenderCache,
    inspect,
    resize,
)

__all__ = ["IMAGE_FORMATS", "MAX_SIDE", "ImageInfo", "RenderCache", "inspect", "resize", "target_size"]

MAX_SIDE = 4096  # the largest resize we agree to render


def target_size(
    size: tuple[int, int], width: float | None, height: float | None, *, crop: bool, enlarge: bool = True
) -> tuple[int, int] | None:
    """The output size for the request, or None to send the original."""
    if not width and not height:
        return None
    w0, h0 = size
    w = min(round(width), MAX_SIDE) if width else None
    h = min(round(height), MAX_SIDE) if height else None
    if w and h:
        if not crop:
            scale = min(w / w0, h / h0)
            w, h = max(1, round(w0 * scale)), max(1, round(h0 * scale))
    elif w:
        h = max(1, round(h0 * w / w0))
    else:
        w = max(1, round(w0 * h / h0))  # type: ignore[operator]
    if not enlarge and (w > w0 or h > h0):  # type: ignore[operator]
        return None
    return (w, h) if (w, h) != (w0, h0) else None  # type: ignore[return-value]
