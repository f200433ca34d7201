"""Pictures without Qt: previews, image-slot checks, avatar crops and the avatar cache.

Workers call these; the GUI turns a Preview into a QImage and, on its own thread, a QPixmap.
"""

from attache.images.cache import AvatarCache, AvatarKey, CachedAvatar, DecodedCache
from attache.images.crop import Crop, EncodedImage, clamp_crop, crop_for_upload, crop_square, default_crop, render_crop
from attache.images.decode import LoadedImage, Preview, decode_preview, load_image
from attache.images.validate import ValidatedImage, validate_for_slot

__all__ = [
    "AvatarCache",
    "AvatarKey",
    "CachedAvatar",
    "Crop",
    "DecodedCache",
    "EncodedImage",
    "LoadedImage",
    "Preview",
    "ValidatedImage",
    "clamp_crop",
    "crop_for_upload",
    "crop_square",
    "decode_preview",
    "default_crop",
    "load_image",
    "render_crop",
    "validate_for_slot",
]
