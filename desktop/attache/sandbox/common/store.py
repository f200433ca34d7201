"""A sandbox's records (SQLite) and blobs (plain files) in one data directory.

One connection shared by the event loop and worker threads, guarded by a lock: SQLite
serialises writers anyway, and a single connection keeps WAL readers consistent with the
last commit without any pool. Blobs are files named by id under `blobs/`; a blob is
written under `blobs/incoming/` first and renamed into place only when it is complete,
so a half-written blob can never be referenced by a record. A blob made of parts (Azure's
committed blocks) keeps them in `blobs/{id}.parts/` and is joined into one file the first time
its path is asked for: a commit costs a rename per part, as Azure's costs no copy.

A service's store subclasses `SqliteBlobStore` with its own `FILE_NAME` and `SCHEMA`; the
`meta` table (key → text) is every store's.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import sqlite3
import threading
import uuid
from collections.abc import Iterable, Iterator, Sequence
from pathlib import Path
from typing import Any, BinaryIO, ClassVar

META_SCHEMA = "CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);"


class SqliteBlobStore:
    FILE_NAME: ClassVar[str] = "sandbox.sqlite3"
    SCHEMA: ClassVar[str] = ""

    def __init__(self, data_dir: Path) -> None:
        self.data_dir = Path(data_dir)
        self.blob_dir = self.data_dir / "blobs"
        self.incoming_dir = self.blob_dir / "incoming"
        self.incoming_dir.mkdir(parents=True, exist_ok=True)
        self._sweep_incoming()
        self._lock = threading.RLock()
        self._joining = threading.Lock()  # one join of a blob's parts at a time
        # isolation_level=None: we issue BEGIN/COMMIT ourselves, so reads never hold a transaction.
        self._db = sqlite3.connect(self.data_dir / self.FILE_NAME, check_same_thread=False, isolation_level=None)
        self._db.row_factory = sqlite3.Row
        self._db.execute("PRAGMA journal_mode=WAL")
        self._db.execute("PRAGMA synchronous=NORMAL")
        self._db.executescript(META_SCHEMA + self.SCHEMA)

    def close(self) -> None:
        with self._lock:
            self._db.close()

    def _sweep_incoming(self) -> None:
        # Leftovers of uploads cut off by a crash or a stop: never complete, never referenced.
        for leftover in self.incoming_dir.iterdir():
            if leftover.is_dir():  # a blob's parts being moved in
                shutil.rmtree(leftover, ignore_errors=True)
            with contextlib.suppress(OSError):
                leftover.unlink()

    # ---- low-level access ----
    def read(self, sql: str, params: Sequence[Any] = ()) -> list[sqlite3.Row]:
        with self._lock:
            return self._db.execute(sql, params).fetchall()

    def read_one(self, sql: str, params: Sequence[Any] = ()) -> sqlite3.Row | None:
        with self._lock:
            return self._db.execute(sql, params).fetchone()

    def scalar(self, sql: str, params: Sequence[Any] = ()) -> Any:
        row = self.read_one(sql, params)
        return None if row is None else row[0]

    @contextlib.contextmanager
    def transaction(self) -> Iterator[sqlite3.Connection]:
        with self._lock:
            self._db.execute("BEGIN IMMEDIATE")
            try:
                yield self._db
            except BaseException:
                self._db.execute("ROLLBACK")
                raise
            self._db.execute("COMMIT")

    def get_meta(self, key: str) -> str | None:
        return self.scalar("SELECT value FROM meta WHERE key=?", (key,))

    def set_meta(self, db: sqlite3.Connection, key: str, value: str) -> None:
        db.execute("INSERT OR REPLACE INTO meta(key, value) VALUES (?, ?)", (key, value))

    # ---- blobs ----
    def blob_path(self, blob_id: str) -> Path:
        """The blob's file; a blob still in parts is joined first (see the module's docstring)."""
        path = self.blob_dir / blob_id
        if not path.exists() and self._parts_dir(blob_id).is_dir():
            self._join_parts(blob_id)
        return path

    def blob_head_path(self, blob_id: str) -> Path:
        """A file that starts with the blob's first bytes (enough to tell an image's kind and
        size), without joining a blob that is still in parts."""
        parts = self._parts(blob_id)
        return parts[0] if parts and not (self.blob_dir / blob_id).exists() else self.blob_path(blob_id)

    def _parts_dir(self, blob_id: str) -> Path:
        return self.blob_dir / f"{blob_id}.parts"

    def _parts(self, blob_id: str) -> list[Path]:
        folder = self._parts_dir(blob_id)
        return sorted(folder.iterdir()) if folder.is_dir() else []

    def _join_parts(self, blob_id: str) -> None:
        with self._joining:
            if (self.blob_dir / blob_id).exists():
                return  # joined meanwhile
            parts = self._parts(blob_id)  # none: an empty block list, an empty blob
            joined = self.incoming_path(f"{blob_id}-join-")
            try:
                with joined.open("wb") as out:
                    for part in parts:
                        with part.open("rb") as source:
                            append_file(source, out)
            except BaseException:
                joined.unlink(missing_ok=True)
                raise
            os.replace(joined, self.blob_dir / blob_id)
            shutil.rmtree(self._parts_dir(blob_id), ignore_errors=True)

    def incoming_path(self, hint: str = "") -> Path:
        return self.incoming_dir / f"{hint}{uuid.uuid4().hex}.part"

    def adopt_blob(self, incoming: Path) -> str:
        """Move a complete file from incoming/ into the blob folder; returns its blob id."""
        blob_id = uuid.uuid4().hex
        os.replace(incoming, self.blob_path(blob_id))
        return blob_id

    def adopt_parts(self, parts: list[Path]) -> str:
        """Take complete files, in order, as one blob's parts (moved, not copied); its blob id."""
        blob_id = uuid.uuid4().hex
        folder = self._parts_dir(blob_id)
        staging = self.incoming_path(f"{blob_id}-parts-")
        staging.mkdir()
        for number, part in enumerate(parts):
            os.replace(part, staging / f"{number:06d}")
        os.replace(staging, folder)  # all of them at once: never a blob with some parts
        return blob_id

    def write_blob(self, data: bytes) -> str:
        path = self.incoming_path()
        path.write_bytes(data)
        return self.adopt_blob(path)

    def drop_blobs(self, blob_ids: Iterable[str]) -> None:
        for blob_id in blob_ids:
            with contextlib.suppress(FileNotFoundError):
                (self.blob_dir / blob_id).unlink()
            shutil.rmtree(self._parts_dir(blob_id), ignore_errors=True)

    def exists(self, table: str, entity_id: str) -> bool:
        return self.read_one(f"SELECT 1 FROM {table} WHERE id=?", (entity_id,)) is not None


def append_file(part: BinaryIO, out: BinaryIO) -> int:
    """Copy all of `part` to the end of `out`; the bytes copied. The kernel copies them
    (copy_file_range) where it can."""
    copy_range = getattr(os, "copy_file_range", None)
    copied = 0
    if copy_range is not None:
        try:
            while count := copy_range(part.fileno(), out.fileno(), 1 << 30):
                copied += count
            return copied
        except OSError:  # not between these files (another file system, an old kernel): by hand
            part.seek(copied)
            out.seek(0, os.SEEK_END)
    shutil.copyfileobj(part, out, 1 << 20)
    return part.tell()
