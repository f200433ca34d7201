"""A picture in a format the service does not take, going up uncropped ("Use whole image", or
cropping turned off): offer to convert it, convert on a worker, and check the result against the
service's rules again. Cropped pictures need none of this: the crop is encoded to an accepted type."""

from __future__ import annotations

import io
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from attache.backends.base import ImageRules

PREFERRED = ("image/png", "image/jpeg")  # lossless first: a logo or a drawing stays sharp


def needs_conversion(rules: ImageRules | None, mime_type: str) -> bool:
    return rules is not None and bool(rules.mime_types) and mime_type not in rules.mime_types


def target_type(rules: ImageRules) -> str:
    return next((m for m in PREFERRED if m in rules.mime_types), sorted(rules.mime_types)[0])


def conversion_question(service_name: str, rules: ImageRules) -> str:
    """ "ONLYOFFICE takes PNG or JPEG photos: convert to PNG and upload?" """
    target = target_type(rules)
    others = sorted(m for m in rules.mime_types if m != target)
    from attache.images.reading import MIME_LABELS  # here: it loads Pillow, which the first paint does not need

    labels = [MIME_LABELS.get(m, m) for m in [target, *others]]
    accepted = labels[0] if len(labels) == 1 else ", ".join(labels[:-1]) + " or " + labels[-1]
    return f"{service_name} takes {accepted} photos: convert to {labels[0]} and upload?"


def write_converted(path: Path, rules: ImageRules, service_name: str, *, folder: Path | None = None) -> Path:
    """Worker: the whole picture (first frame, upright, sRGB) in the service's preferred type, kept
    for its upload; checked like a dropped file, so a conversion that comes out too big is refused."""
    from attache.images.decode import load_image
    from attache.images.formats import extension_for
    from attache.images.validate import validate_for_slot
    from attache.ui.crop_dialog import keep_for_upload

    target = target_type(rules)
    image = load_image(path, name=path.name).image
    if target == "image/jpeg" and image.mode != "RGB":
        image = image.convert("RGB")
    buffer = io.BytesIO()
    image.save(buffer, "PNG" if target == "image/png" else "JPEG", quality=92)
    converted = keep_for_upload(path, buffer.getvalue(), extension_for(target, fallback=".png"), folder=folder)
    validate_for_slot(converted, rules, service_name=service_name)
    return converted
