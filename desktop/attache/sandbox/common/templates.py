"""Seeded data directories kept as templates for the life of the process: a new sandbox copies
one (a few milliseconds) instead of seeding again — tests start many sandboxes.

A template is registered for removal at exit the moment its folder exists, and removed at once
when seeding it fails or is cancelled, so a stop at any point leaves nothing behind.
"""

from __future__ import annotations

import atexit
import shutil
import tempfile
import threading
from collections.abc import Callable, Hashable
from pathlib import Path

_templates: dict[Hashable, Path] = {}
_lock = threading.Lock()


def temporary_folder(prefix: str) -> Path:
    """A new folder in the temporary directory, removed at exit if nobody removes it before."""
    folder = Path(tempfile.mkdtemp(prefix=prefix))
    atexit.register(shutil.rmtree, folder, True)
    return folder


def clone_seeded(data_dir: Path, key: Hashable, seed_into: Callable[[Path], None], *, prefix: str) -> None:
    """Copy the template for `key` into `data_dir`, seeding it first with `seed_into(folder)`
    if this process has none yet."""
    with _lock:
        template = _templates.get(key)
        if template is None:
            template = temporary_folder(prefix)
            try:
                seed_into(template)
            except BaseException:
                shutil.rmtree(template, ignore_errors=True)
                raise
            _templates[key] = template
    shutil.copytree(template, data_dir, dirs_exist_ok=True)
