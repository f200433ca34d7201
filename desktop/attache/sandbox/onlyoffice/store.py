"""The portal's tables on the common SQLite-plus-blobs store, and the few writes its routes make.

Projects, tasks, files, folders and CRM contacts have integer ids (native storage), users GUIDs,
as on a real portal. A task's files are links (the portal tags the Documents file `Task<id>`):
detaching removes the link only, the file stays in its folder.
"""

from __future__ import annotations

import sqlite3
from datetime import UTC, datetime
from pathlib import Path

from attache.sandbox.common.store import SqliteBlobStore

STORE_FILE = "onlyoffice.sqlite3"

TABLES = """
CREATE TABLE IF NOT EXISTS users (
    id TEXT PRIMARY KEY, user_name TEXT NOT NULL, email TEXT NOT NULL, first_name TEXT, last_name TEXT,
    title TEXT, department TEXT, password TEXT NOT NULL, tfa INTEGER NOT NULL DEFAULT 0,
    is_admin INTEGER NOT NULL DEFAULT 0, is_owner INTEGER NOT NULL DEFAULT 0,
    photo TEXT, photo_version INTEGER NOT NULL DEFAULT 0, created TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS folders (
    id INTEGER PRIMARY KEY, title TEXT NOT NULL, parent_id INTEGER NOT NULL DEFAULT 0,
    root_type INTEGER NOT NULL, created TEXT NOT NULL, created_by TEXT);
CREATE TABLE IF NOT EXISTS projects (
    id INTEGER PRIMARY KEY, title TEXT NOT NULL, description TEXT, status INTEGER NOT NULL DEFAULT 0,
    responsible_id TEXT, folder_id INTEGER NOT NULL, is_private INTEGER NOT NULL DEFAULT 0,
    created TEXT NOT NULL, created_by TEXT, updated TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS tasks (
    id INTEGER PRIMARY KEY, project_id INTEGER NOT NULL, title TEXT NOT NULL, description TEXT,
    status INTEGER NOT NULL DEFAULT 1, priority INTEGER NOT NULL DEFAULT 0, start_date TEXT, deadline TEXT,
    responsible_id TEXT, created TEXT NOT NULL, created_by TEXT, updated TEXT NOT NULL);
CREATE INDEX IF NOT EXISTS tasks_project ON tasks(project_id);
CREATE TABLE IF NOT EXISTS files (
    id INTEGER PRIMARY KEY, folder_id INTEGER NOT NULL, title TEXT NOT NULL, version INTEGER NOT NULL DEFAULT 1,
    size INTEGER NOT NULL, blob TEXT NOT NULL, created TEXT NOT NULL, created_by TEXT, updated TEXT NOT NULL);
CREATE INDEX IF NOT EXISTS files_folder ON files(folder_id, title);
CREATE TABLE IF NOT EXISTS task_files (
    task_id INTEGER NOT NULL, file_id INTEGER NOT NULL, PRIMARY KEY (task_id, file_id)) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS contacts (
    id INTEGER PRIMARY KEY, is_company INTEGER NOT NULL, display_name TEXT NOT NULL, first_name TEXT,
    last_name TEXT, company_id INTEGER, title TEXT, industry TEXT, about TEXT, email TEXT,
    photo TEXT, photo_version INTEGER NOT NULL DEFAULT 0, created TEXT NOT NULL, created_by TEXT);
CREATE TABLE IF NOT EXISTS upload_sessions (
    id TEXT PRIMARY KEY, folder_id INTEGER NOT NULL, file_name TEXT NOT NULL, total INTEGER NOT NULL,
    uploaded INTEGER NOT NULL DEFAULT 0, user_id TEXT, create_new INTEGER NOT NULL DEFAULT 1,
    created TEXT NOT NULL, expires REAL NOT NULL);
"""


def api_date(dt: datetime) -> str:
    """ApiDateTime as the portal writes it in UTC: seven fractional digits and 'Z'."""
    return dt.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%f") + "0Z"


def now_date() -> str:
    return api_date(datetime.now(UTC))


class Store(SqliteBlobStore):
    FILE_NAME = STORE_FILE
    SCHEMA = TABLES

    @property
    def session_dir(self) -> Path:
        """Chunked uploads in progress: kept across restarts of a sandbox with a data folder."""
        folder = self.data_dir / "sessions"
        folder.mkdir(exist_ok=True)
        return folder

    def available_title(self, db: sqlite3.Connection, folder_id: int, title: str) -> str:
        """A free name in the folder, as the portal makes one: "name (1).ext", "name (2).ext"…"""
        stem, dot, ext = title.rpartition(".") if "." in title else (title, "", "")
        number = 0
        candidate = title
        while db.execute("SELECT 1 FROM files WHERE folder_id=? AND title=?", (folder_id, candidate)).fetchone():
            number += 1
            candidate = f"{stem} ({number}){dot}{ext}"
        return candidate

    def add_file(
        self, incoming: Path, *, folder_id: int, title: str, size: int, user_id: str | None, create_new: bool
    ) -> int:
        """Store a received file in a folder: a new file (under a free name), or with
        `create_new=False` a new version of the same-named one. Returns the file's id."""
        blob_id = self.adopt_blob(incoming)
        now = now_date()
        old_blob = None
        with self.transaction() as db:
            same = db.execute(
                "SELECT id, blob FROM files WHERE folder_id=? AND title=? ORDER BY id LIMIT 1", (folder_id, title)
            ).fetchone()
            if same is not None and not create_new:
                old_blob = same["blob"]
                db.execute(
                    "UPDATE files SET version=version+1, size=?, blob=?, updated=? WHERE id=?",
                    (size, blob_id, now, same["id"]),
                )
                file_id = int(same["id"])
            else:
                cursor = db.execute(
                    "INSERT INTO files(folder_id, title, size, blob, created, created_by, updated)"
                    " VALUES (?,?,?,?,?,?,?)",
                    (folder_id, self.available_title(db, folder_id, title), size, blob_id, now, user_id, now),
                )
                file_id = int(cursor.lastrowid or 0)
        if old_blob:
            self.drop_blobs([old_blob])
        return file_id

    def set_photo(self, table: str, entity_id: str | int, incoming: Path | None) -> None:
        """Replace (or with None remove) a user's or contact's photo; its version busts caches."""
        blob_id = self.adopt_blob(incoming) if incoming is not None else None
        with self.transaction() as db:
            old = db.execute(f"SELECT photo FROM {table} WHERE id=?", (entity_id,)).fetchone()
            db.execute(f"UPDATE {table} SET photo=?, photo_version=photo_version+1 WHERE id=?", (blob_id, entity_id))
        if old is not None and old["photo"]:
            self.drop_blobs([old["photo"]])
