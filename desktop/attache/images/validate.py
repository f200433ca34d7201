"""Checking a file dropped on an image slot before anything is sent.

By content, never by name: the format Pillow recognises must be one the service accepts, the
file must be within the service's size limit, and it must decode from start to end.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from attache.backends.base import ImageRules
from attache.core.errors import InvalidInputError, TooLargeError
from attache.core.sources import check_source, human_size
from attache.images.formats import extension_for
from attache.images.reading import DRAFTABLE, FORMAT_MIME, MIME_LABELS, check_geometry, corrupt, open_image

MIN_SIDE = 8  # smaller is a spacer GIF or a mistake, not a face or a logo


@dataclass(frozen=True, slots=True)
class ValidatedImage:
    """A file fit for the slot; `mime_type` comes from its content, for the upload's Content-Type."""

    path: Path
    size: int
    format: str  # Pillow's name: "JPEG", "PNG", …
    mime_type: str
    width: int
    height: int

    @property
    def extension(self) -> str:
        """The extension the content deserves ('.png' for a PNG named photo.jpg)."""
        return extension_for(self.mime_type, fallback="." + self.mime_type.rsplit("/", 1)[-1])


def validate_for_slot(
    path: Path, rules: ImageRules, *, service_name: str, what: str = "profile images"
) -> ValidatedImage:
    """The checked file, or InvalidInputError / TooLargeError with a message for the user.

    An empty `rules.mime_types` means the service documents no list: any picture Attaché can
    read is offered.
    """
    name = path.name
    size = check_source(path).st_size
    if size == 0:
        raise InvalidInputError(f"{name} is empty")
    if size > rules.max_bytes:
        shown_size, shown_limit = _sizes(size, rules.max_bytes)
        raise TooLargeError(
            f"{name} is {shown_size}; {service_name} accepts {what} up to {shown_limit}",
            limit=rules.max_bytes,
            size=size,
        )

    with open_image(path, name) as image:
        image_format = image.format or "?"
        mime_type = FORMAT_MIME.get(image_format, "")
        if rules.mime_types and mime_type not in rules.mime_types:
            raise InvalidInputError(
                f"{name} is {_a(_label(mime_type, image_format))} image; "
                f"{service_name} accepts {_accepted(rules.mime_types)} images"
            )
        check_geometry(image, name, reduced_decode=True)
        width, height = image.size
        if min(width, height) < MIN_SIDE:
            raise InvalidInputError(f"{name} is {width}×{height} pixels, too small to use as a picture")
        try:
            image.verify()  # chunk CRCs and structure, without decoding (PNG, and some others)
        except Exception as error:
            raise corrupt(name, error) from None

    # verify() leaves the image unusable; decode the first frame from a fresh start. JPEGs are
    # decoded at 1/8 scale: every byte of the stream is still read, at a fraction of the cost.
    with open_image(path, name) as image:
        try:
            if image.format in DRAFTABLE:
                image.draft(None, (max(1, width // 8), max(1, height // 8)))
            image.load()
        except Exception as error:
            raise corrupt(name, error) from None
    return ValidatedImage(path, size, image_format, mime_type, width, height)


def _sizes(size: int, limit: int) -> tuple[str, str]:
    """Both in the limit's own units: services say '100 MB' and mean 100 × 2²⁰ bytes."""
    mebibyte = 1 << 20
    if limit % mebibyte == 0:
        shown_size, shown_limit = f"{size / mebibyte:.1f} MB", f"{limit // mebibyte} MB"
        if f"{size / mebibyte:.1f}" == f"{limit / mebibyte:.1f}":  # just over: say by how much
            shown_size = f"{size:,} bytes"
            shown_limit = f"{limit:,} bytes"
        return shown_size, shown_limit
    if human_size(size) == human_size(limit):
        return f"{size:,} bytes", f"{limit:,} bytes"
    return human_size(size), human_size(limit)


def _label(mime_type: str, image_format: str) -> str:
    return MIME_LABELS.get(mime_type, image_format)


def _a(label: str) -> str:
    return ("an " if label[:1].upper() in "AEIOU" else "a ") + label


def _accepted(mime_types: frozenset[str]) -> str:
    order = list(MIME_LABELS)
    labels = [
        MIME_LABELS.get(m, m) for m in sorted(mime_types, key=lambda m: (order.index(m) if m in order else 99, m))
    ]
    return labels[0] if len(labels) == 1 else ", ".join(labels[:-1]) + " and " + labels[-1]
