"""Seeded data directories kept as templates for the life of the process: a new sandbox copies
one (a few milliseconds) instead of seeding again — tests start many sandboxes.

A template is registered for removal at exit the moment its folder exists, and removed at once
when seeding it fails or is cancelled, so a stop at any point leaves nothing behind.

A small template (the demo's, not a benchmark's 100,000 tasks) is also kept in the app's cache
folder, named by its key and a digest of the sandbox's code, so the next process (`attache
--sandbox` started again) copies it instead of seeding again (~0.2 s of its start-up, drawing ~35
pictures). Saved under a temporary name and renamed, so a half-written one is never used; changed
code makes a new name, and only the newest few are kept.
"""

from __future__ import annotations

import atexit
import hashlib
import logging
import os
import shutil
import tempfile
import threading
import time
from collections.abc import Callable, Hashable
from functools import lru_cache
from pathlib import Path
from typing import Protocol, TypeVar

from attache.core.paths import app_dirs

log = logging.getLogger(__name__)

_templates: dict[Hashable, Path] = {}
_lock = threading.Lock()
_saving: list[threading.Thread] = []
KEEP_ON_DISK_BYTES = 16 * 1024 * 1024  # the demo's are about 1 MB; a benchmark's scale is not kept
KEEP_ON_DISK = 6  # templates kept in the cache folder (services, versions of the code)


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
                if not _copy_saved(key, template):
                    seed_into(template)
                    # Saved beside the sandbox's start, not in its way (copying ~80 files took
                    # 0.1 s of the first launch); a process ending meanwhile leaves a partial
                    # copy, which is never used and goes an hour later.
                    _save_beside(key, template)
            except BaseException:
                shutil.rmtree(template, ignore_errors=True)
                raise
            _templates[key] = template
    shutil.copytree(template, data_dir, dirs_exist_ok=True)


class _Store(Protocol):
    def close(self) -> None: ...


StoreT = TypeVar("StoreT", bound=_Store)


def clone_seeded_store(
    data_dir: Path, key: Hashable, open_store: Callable[[Path], StoreT], fill: Callable[[StoreT], None], *, prefix: str
) -> None:
    """`clone_seeded` for a plug-in that seeds the store it keeps in the folder: the template's
    store is opened, filled, and closed (its last connection checkpoints the WAL into the file)."""

    def seed_into(folder: Path) -> None:
        store = open_store(folder)
        try:
            fill(store)
        finally:
            store.close()

    clone_seeded(data_dir, key, seed_into, prefix=prefix)


def saved_templates() -> Path:
    """The cache folder holding templates kept between processes."""
    return app_dirs().cache / "sandbox-templates"


@lru_cache(maxsize=1)
def _code_digest() -> str:
    """A digest of the sandbox's source files: a template seeded by other code is not reused."""
    digest = hashlib.sha256()
    package = Path(__file__).resolve().parents[1]
    for path in sorted(package.rglob("*.py")):
        digest.update(path.relative_to(package).as_posix().encode())
        digest.update(path.read_bytes())
    return digest.hexdigest()


def _saved_name(key: Hashable) -> str:
    return hashlib.sha256(f"{key!r}\0{_code_digest()}".encode()).hexdigest()[:32]


def _copy_saved(key: Hashable, template: Path) -> bool:
    """Fill `template` from the one an earlier process saved for `key`; False when there is none."""
    try:
        saved = saved_templates() / _saved_name(key)
        if not saved.is_dir():
            return False
        shutil.copytree(saved, template, dirs_exist_ok=True)
        os.utime(saved)  # recently used: kept when older ones go
        return True
    except OSError as error:  # an unreadable cache: seed as if there were none
        log.info("could not use the saved sandbox template: %s", error)
        shutil.rmtree(template, ignore_errors=True)
        template.mkdir(parents=True, exist_ok=True)
        return False


def _save_beside(key: Hashable, template: Path) -> None:
    folder, name = saved_templates(), _saved_name(key)  # here: the thread may run after ATTACHE_HOME changed
    saver = threading.Thread(target=_save, args=(template, folder, name), name="attache-template-save", daemon=True)
    _saving.append(saver)
    saver.start()


def wait_for_saves(timeout: float = 30.0) -> None:
    """Until the templates being saved are in the cache folder (tests)."""
    while _saving:
        _saving.pop().join(timeout)


def _save(template: Path, folder: Path, name: str) -> None:
    """Keep a copy of a small template for the next process; a failure only costs that speed."""
    try:
        size = sum(p.stat().st_size for p in template.rglob("*") if p.is_file())
        if size > KEEP_ON_DISK_BYTES:
            return
        folder.mkdir(parents=True, exist_ok=True)
        partial = Path(tempfile.mkdtemp(prefix=".partial-", dir=folder))
        try:
            shutil.copytree(template, partial, dirs_exist_ok=True)
            os.rename(partial, folder / name)  # fails if another process saved it first
        except OSError:
            shutil.rmtree(partial, ignore_errors=True)
        _prune(folder)
    except OSError as error:
        log.info("could not save the sandbox template: %s", error)


def _prune(folder: Path) -> None:
    """The newest few templates stay; partial copies a crash left (an hour old) go."""
    saved = sorted(
        (p for p in folder.iterdir() if p.is_dir() and not p.name.startswith(".")),
        key=lambda p: p.stat().st_mtime,
        reverse=True,
    )
    left = [p for p in folder.glob(".partial-*") if p.stat().st_mtime < time.time() - 3600]
    for old in saved[KEEP_ON_DISK:] + left:
        shutil.rmtree(old, ignore_errors=True)
