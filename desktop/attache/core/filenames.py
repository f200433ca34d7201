"""Local names for files a server named: safe to create, within the file system's length, never
over a file that is already there.

- `safe_name` makes a server's file name one path component any desktop OS accepts: no path
  parts, no C0/C1 control characters, no characters Windows refuses, no reserved device names,
  no empty or all-dot name, at most the folder's name length (`PC_NAME_MAX`, else 255 bytes of
  UTF-8) with the extension kept.
- `numbered` gives the "name (2).ext" variants a download tries when the name is taken.
"""

from __future__ import annotations

import os
import re
from collections.abc import Iterator
from pathlib import Path

DEFAULT_NAME_MAX = 255  # bytes of one component on Linux, macOS and (UTF-16 units) Windows
_KEPT_EXTENSION = 20  # a longer "extension" is part of the name and may be shortened
_WINDOWS_RESERVED = frozenset(
    {"CON", "PRN", "AUX", "NUL", *(f"COM{i}" for i in range(10)), *(f"LPT{i}" for i in range(10))}
    | {"COM¹", "COM²", "COM³", "LPT¹", "LPT²", "LPT³", "CONIN$", "CONOUT$"}
)
# C0, DEL, C1 and what Windows refuses in a name
_REFUSED = re.compile('[\x00-\x1f\x7f-\x9f<>:"|?*]')


def name_max(folder: Path | None) -> int:
    """The longest name (bytes) `folder`'s file system allows, 255 when it does not say."""
    if folder is not None and hasattr(os, "pathconf"):
        try:
            return max(16, min(DEFAULT_NAME_MAX, os.pathconf(folder, "PC_NAME_MAX")))
        except (OSError, ValueError):
            pass
    return DEFAULT_NAME_MAX


def safe_name(name: str, *, fallback: str = "download", folder: Path | None = None) -> str:
    """`name` as one safe component (see the module); `fallback` when nothing usable is left."""
    name = re.split(r"[/\\]", name or "")[-1]
    name = _REFUSED.sub("_", name).strip().strip(".").strip()
    if not name:
        name = _REFUSED.sub("_", re.split(r"[/\\]", fallback)[-1]).strip(" .") or "download"
    if name.split(".", 1)[0].rstrip(" ").upper() in _WINDOWS_RESERVED:
        name = "_" + name
    return shortened(name, name_max(folder))


def shortened(name: str, limit: int) -> str:
    """`name` cut to at most `limit` bytes of UTF-8, keeping a short extension whole."""
    if len(name.encode("utf-8")) <= limit:
        return name
    stem, dot, extension = name.rpartition(".")
    if not stem or len(extension) > _KEPT_EXTENSION:
        stem, dot, extension = name, "", ""
    tail = (dot + extension).encode("utf-8")
    cut = stem.encode("utf-8")[: max(1, limit - len(tail))].decode("utf-8", "ignore").rstrip(" .")
    return (cut or "_") + dot + extension


def numbered(name: str, *, folder: Path | None = None) -> Iterator[str]:
    """ "a.txt", then "a (2).txt", "a (3).txt"…, each within the folder's name length."""
    yield name
    stem, dot, extension = name.rpartition(".")
    if not stem or len(extension) > _KEPT_EXTENSION:
        stem, dot, extension = name, "", ""
    limit = name_max(folder)
    number = 2
    while True:
        suffix = f" ({number}){dot}{extension}"
        room = limit - len(suffix.encode("utf-8"))
        yield stem.encode("utf-8")[: max(1, room)].decode("utf-8", "ignore") + suffix
        number += 1
