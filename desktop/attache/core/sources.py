"""Checks on a local file before anything is sent, shared by the CLI, the engine and the UI."""

from __future__ import annotations

import os
import stat
from pathlib import Path

from attache.core.errors import InvalidInputError


def check_source(path: Path) -> os.stat_result:
    """The file's stat if it is a readable regular file; otherwise a specific message."""
    try:
        info = path.stat()
    except FileNotFoundError:
        raise InvalidInputError(f"{path} does not exist") from None
    except OSError as error:
        raise InvalidInputError(f"{path} cannot be read: {error.strerror}") from None
    if stat.S_ISDIR(info.st_mode):
        raise InvalidInputError(f"{path} is a folder; choose the files inside it instead")
    if not stat.S_ISREG(info.st_mode):
        raise InvalidInputError(f"{path} is not a regular file")
    if not os.access(path, os.R_OK):
        raise InvalidInputError(f"{path} cannot be read: permission denied")
    return info


def human_size(size: int | float) -> str:
    """'1.5 MB'. Binary steps (1 MB = 1024² bytes), the way services state their upload limits."""
    value = float(size)
    for unit in ("bytes", "KB", "MB", "GB"):
        if value < 1024 or unit == "GB":
            return f"{int(value)} bytes" if unit == "bytes" else f"{value:.1f} {unit}"
        value /= 1024
    return f"{value:.1f} GB"  # pragma: no cover
