"""The awork sandbox's tables and the operations its routes need, on the common SQLite-plus-blobs
store (connection, WAL, meta table, blob folder: `attache.sandbox.common.store`)."""

from __future__ import annotations

import sqlite3
import uuid
from collections.abc import Sequence
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from attache.sandbox.common.store import SqliteBlobStore

TABLES = """
CREATE TABLE IF NOT EXISTS workspaces (
    id TEXT PRIMARY KEY, name TEXT, description TEXT, url TEXT, subdomain TEXT, language TEXT,
    has_image INTEGER NOT NULL DEFAULT 0,
    created_on TEXT NOT NULL, created_by TEXT, updated_on TEXT NOT NULL, updated_by TEXT, rv INTEGER NOT NULL);
CREATE TABLE IF NOT EXISTS users (
    id TEXT PRIMARY KEY, first_name TEXT, last_name TEXT, position TEXT, title TEXT, gender TEXT,
    language TEXT, is_archived INTEGER NOT NULL DEFAULT 0, has_image INTEGER NOT NULL DEFAULT 0,
    created_on TEXT NOT NULL, created_by TEXT, updated_on TEXT NOT NULL, updated_by TEXT, rv INTEGER NOT NULL);
CREATE TABLE IF NOT EXISTS companies (
    id TEXT PRIMARY KEY, name TEXT NOT NULL, description TEXT, industry TEXT,
    has_image INTEGER NOT NULL DEFAULT 0,
    created_on TEXT NOT NULL, created_by TEXT, updated_on TEXT NOT NULL, updated_by TEXT, rv INTEGER NOT NULL);
CREATE TABLE IF NOT EXISTS contact_persons (
    id TEXT PRIMARY KEY, company_id TEXT, first_name TEXT, last_name TEXT,
    has_image INTEGER NOT NULL DEFAULT 0,
    created_on TEXT NOT NULL, created_by TEXT, updated_on TEXT NOT NULL, updated_by TEXT, rv INTEGER NOT NULL);
CREATE TABLE IF NOT EXISTS project_types (id TEXT PRIMARY KEY, name TEXT, icon TEXT);
CREATE TABLE IF NOT EXISTS project_statuses (id TEXT PRIMARY KEY, name TEXT, type TEXT, type_order INTEGER);
CREATE TABLE IF NOT EXISTS task_statuses (
    id TEXT PRIMARY KEY, name TEXT, type TEXT, ord REAL, icon TEXT, workflow_id TEXT,
    created_on TEXT NOT NULL, created_by TEXT);
CREATE TABLE IF NOT EXISTS types_of_work (id TEXT PRIMARY KEY, name TEXT, icon TEXT);
CREATE TABLE IF NOT EXISTS project_templates (
    id TEXT PRIMARY KEY, name TEXT, description TEXT, project_type_id TEXT, workflow_id TEXT,
    time_budget INTEGER NOT NULL DEFAULT 0, has_image INTEGER NOT NULL DEFAULT 0,
    created_on TEXT NOT NULL, created_by TEXT, updated_on TEXT NOT NULL, updated_by TEXT, rv INTEGER NOT NULL);
CREATE TABLE IF NOT EXISTS projects (
    id TEXT PRIMARY KEY, name TEXT NOT NULL, description TEXT, project_key TEXT, color TEXT,
    company_id TEXT, status_id TEXT NOT NULL, type_id TEXT, template_id TEXT, workflow_id TEXT,
    is_private INTEGER NOT NULL DEFAULT 0, is_billable INTEGER NOT NULL DEFAULT 1,
    start_date TEXT, due_date TEXT, time_budget INTEGER, has_image INTEGER NOT NULL DEFAULT 0,
    created_on TEXT NOT NULL, created_by TEXT, updated_on TEXT NOT NULL, updated_by TEXT, rv INTEGER NOT NULL);
CREATE INDEX IF NOT EXISTS projects_company ON projects(company_id);
CREATE TABLE IF NOT EXISTS project_members (
    id TEXT PRIMARY KEY, project_id TEXT NOT NULL, user_id TEXT NOT NULL, role_id TEXT, role_name TEXT,
    is_responsible INTEGER NOT NULL DEFAULT 0);
CREATE INDEX IF NOT EXISTS project_members_project ON project_members(project_id);
CREATE TABLE IF NOT EXISTS tasks (
    id TEXT PRIMARY KEY, name TEXT NOT NULL, description TEXT, project_id TEXT, status_id TEXT NOT NULL,
    type_of_work_id TEXT, task_number INTEGER, is_prio INTEGER NOT NULL DEFAULT 0,
    start_on TEXT, due_on TEXT, planned_duration INTEGER NOT NULL DEFAULT 0, ord REAL NOT NULL DEFAULT 0,
    created_on TEXT NOT NULL, created_by TEXT, updated_on TEXT NOT NULL, updated_by TEXT, rv INTEGER NOT NULL,
    closed_on TEXT, closed_by TEXT);
CREATE INDEX IF NOT EXISTS tasks_project ON tasks(project_id);
CREATE TABLE IF NOT EXISTS task_assignees (
    task_id TEXT NOT NULL, user_id TEXT NOT NULL, PRIMARY KEY (task_id, user_id)) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS files (
    id TEXT PRIMARY KEY, task_id TEXT NOT NULL, name TEXT, file_name TEXT, description TEXT, mime_type TEXT,
    created_on TEXT NOT NULL, created_by TEXT, updated_on TEXT NOT NULL, updated_by TEXT);
CREATE INDEX IF NOT EXISTS files_task ON files(task_id, created_on);
CREATE TABLE IF NOT EXISTS file_versions (
    id TEXT PRIMARY KEY, file_id TEXT NOT NULL, version INTEGER NOT NULL, size INTEGER NOT NULL,
    width INTEGER, height INTEGER, blob TEXT NOT NULL, created_on TEXT NOT NULL, created_by TEXT);
CREATE INDEX IF NOT EXISTS file_versions_file ON file_versions(file_id, version);
CREATE TABLE IF NOT EXISTS images (
    entity_name TEXT NOT NULL, entity_id TEXT NOT NULL, file_id TEXT NOT NULL, version_id TEXT NOT NULL,
    file_name TEXT, mime_type TEXT NOT NULL, size INTEGER NOT NULL, width INTEGER, height INTEGER,
    blob TEXT NOT NULL, etag TEXT NOT NULL, created_on TEXT NOT NULL, created_by TEXT,
    PRIMARY KEY (entity_name, entity_id));
CREATE INDEX IF NOT EXISTS images_file ON images(file_id);
CREATE TABLE IF NOT EXISTS uploads (
    id TEXT PRIMARY KEY, created_on TEXT NOT NULL, expires_on TEXT NOT NULL,
    state TEXT NOT NULL,            -- pending → complete → linking → linked
    size INTEGER, md5 TEXT, content_type TEXT, blob TEXT, linked_to TEXT);
"""

# entityName in /files/images/{entityName}/{id} → (table, FileInfo.entityType, FileInfo owner key)
IMAGE_ENTITIES: dict[str, tuple[str, str, str | None]] = {
    "companies": ("companies", "company", "companyId"),
    "contactpersons": ("contact_persons", "contactperson", None),
    "projects": ("projects", "project", "projectId"),
    "projecttemplates": ("project_templates", "projecttemplate", "projectTemplateId"),
    "users": ("users", "user", "userId"),
    "workspaces": ("workspaces", "workspace", None),
}

STORE_FILE = "awork.sqlite3"
_TICKS_EPOCH = datetime(1, 1, 1, tzinfo=UTC)


def iso(dt: datetime) -> str:
    """awork's timestamp form: UTC, milliseconds, 'Z'. Sorts as text."""
    return dt.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%f")[:-3] + "Z"


def now_iso() -> str:
    return iso(datetime.now(UTC))


def ticks(dt: datetime) -> int:
    """.NET ticks (100 ns since 0001-01-01), which is what awork's resourceVersion counts."""
    delta = dt.astimezone(UTC) - _TICKS_EPOCH
    return (delta.days * 86_400 + delta.seconds) * 10_000_000 + delta.microseconds * 10


def new_id() -> str:
    return str(uuid.uuid4())


class Store(SqliteBlobStore):
    FILE_NAME = STORE_FILE
    SCHEMA = TABLES

    @staticmethod
    def touch(db: sqlite3.Connection, table: str, entity_id: str, user_id: str | None, **columns: Any) -> None:
        """Record a change: updatedOn now, resourceVersion strictly higher (clients key caches on it)."""
        now = datetime.now(UTC)
        sets = "".join(f", {name}=?" for name in columns)
        db.execute(
            f"UPDATE {table} SET updated_on=?, updated_by=COALESCE(?, updated_by), rv=MAX(rv + 1, ?){sets} WHERE id=?",
            (iso(now), user_id, ticks(now), *columns.values(), entity_id),
        )

    # ---- profile images ----
    def get_image(self, entity_name: str, entity_id: str) -> sqlite3.Row | None:
        return self.read_one("SELECT * FROM images WHERE entity_name=? AND entity_id=?", (entity_name, entity_id))

    def image_by_file_id(self, file_id: str) -> sqlite3.Row | None:
        return self.read_one("SELECT * FROM images WHERE file_id=?", (file_id,))

    def set_image(
        self,
        entity_name: str,
        entity_id: str,
        blob_id: str,
        *,
        file_name: str,
        mime_type: str,
        size: int,
        width: int | None,
        height: int | None,
        user_id: str | None,
        link_upload: str | None = None,
    ) -> sqlite3.Row:
        """Replace an entity's image; with `link_upload`, consume that upload in the same commit."""
        table = IMAGE_ENTITIES[entity_name][0]
        now = now_iso()
        with self.transaction() as db:
            old = db.execute(
                "SELECT blob FROM images WHERE entity_name=? AND entity_id=?", (entity_name, entity_id)
            ).fetchone()
            db.execute(
                "INSERT OR REPLACE INTO images VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?)",
                (
                    entity_name,
                    entity_id,
                    new_id(),
                    new_id(),
                    file_name,
                    mime_type,
                    size,
                    width,
                    height,
                    blob_id,
                    uuid.uuid4().hex,
                    now,
                    user_id,
                ),
            )
            self.touch(db, table, entity_id, user_id, has_image=1)
            if link_upload:
                file_id = db.execute(
                    "SELECT file_id FROM images WHERE entity_name=? AND entity_id=?", (entity_name, entity_id)
                ).fetchone()[0]
                self.mark_linked(db, link_upload, file_id)
        if old:
            self.drop_blobs([old["blob"]])
        image = self.get_image(entity_name, entity_id)
        assert image is not None
        return image

    def delete_image(self, entity_name: str, entity_id: str, user_id: str | None) -> None:
        table = IMAGE_ENTITIES[entity_name][0]
        with self.transaction() as db:
            old = db.execute(
                "SELECT blob FROM images WHERE entity_name=? AND entity_id=?", (entity_name, entity_id)
            ).fetchone()
            if old is None:
                return
            db.execute("DELETE FROM images WHERE entity_name=? AND entity_id=?", (entity_name, entity_id))
            self.touch(db, table, entity_id, user_id, has_image=0)
        self.drop_blobs([old["blob"]])

    # ---- task files ----
    def add_task_file(
        self,
        db: sqlite3.Connection,
        task_id: str,
        blob_id: str,
        *,
        name: str,
        file_name: str,
        description: str | None,
        mime_type: str,
        size: int,
        width: int | None,
        height: int | None,
        user_id: str | None,
        created_on: str | None = None,
    ) -> str:
        """Insert a file with its first version inside the caller's transaction; returns its id."""
        file_id = new_id()
        now = created_on or now_iso()
        db.execute(
            "INSERT INTO files VALUES (?,?,?,?,?,?,?,?,?,?)",
            (file_id, task_id, name, file_name, description, mime_type, now, user_id, now, user_id),
        )
        db.execute(
            "INSERT INTO file_versions VALUES (?,?,?,?,?,?,?,?,?)",
            (new_id(), file_id, 1, size, width, height, blob_id, now, user_id),
        )
        return file_id

    def add_file_version(
        self,
        db: sqlite3.Connection,
        file_id: str,
        blob_id: str,
        *,
        size: int,
        width: int | None,
        height: int | None,
        user_id: str | None,
    ) -> str:
        """Append the next version of a file inside the caller's transaction; returns its id."""
        last = db.execute("SELECT MAX(version) FROM file_versions WHERE file_id=?", (file_id,)).fetchone()[0]
        version_id, now = new_id(), now_iso()
        db.execute(
            "INSERT INTO file_versions VALUES (?,?,?,?,?,?,?,?,?)",
            (version_id, file_id, int(last or 0) + 1, size, width, height, blob_id, now, user_id),
        )
        db.execute("UPDATE files SET updated_on=?, updated_by=? WHERE id=?", (now, user_id, file_id))
        return version_id

    def task_file(self, task_id: str, file_id: str) -> sqlite3.Row | None:
        return self.read_one("SELECT * FROM files WHERE id=? AND task_id=?", (file_id, task_id))

    def versions_of(self, file_ids: Sequence[str]) -> dict[str, list[sqlite3.Row]]:
        out: dict[str, list[sqlite3.Row]] = {fid: [] for fid in file_ids}
        if not file_ids:
            return out
        marks = ",".join("?" * len(file_ids))
        rows = self.read(f"SELECT * FROM file_versions WHERE file_id IN ({marks}) ORDER BY version", file_ids)
        for row in rows:
            out[row["file_id"]].append(row)
        return out

    def latest_version(self, file_id: str) -> sqlite3.Row | None:
        return self.read_one("SELECT * FROM file_versions WHERE file_id=? ORDER BY version DESC LIMIT 1", (file_id,))

    def delete_task_file(self, task_id: str, file_id: str, user_id: str | None) -> bool:
        with self.transaction() as db:
            if db.execute("SELECT 1 FROM files WHERE id=? AND task_id=?", (file_id, task_id)).fetchone() is None:
                return False
            blobs = [r["blob"] for r in db.execute("SELECT blob FROM file_versions WHERE file_id=?", (file_id,))]
            db.execute("DELETE FROM file_versions WHERE file_id=?", (file_id,))
            db.execute("DELETE FROM files WHERE id=?", (file_id,))
            self.touch(db, "tasks", task_id, user_id)
        self.drop_blobs(blobs)
        return True

    # ---- pending uploads (three-step upload) ----
    def create_upload(self, upload_id: str, expires_on: str) -> None:
        with self.transaction() as db:
            db.execute(
                "INSERT INTO uploads(id, created_on, expires_on, state) VALUES (?,?,?,'pending')",
                (upload_id, now_iso(), expires_on),
            )

    def get_upload(self, upload_id: str) -> sqlite3.Row | None:
        return self.read_one("SELECT * FROM uploads WHERE id=?", (upload_id,))

    def complete_upload(
        self, upload_id: str, incoming: Path | list[Path], *, size: int, md5: str, content_type: str | None
    ) -> bool:
        """Register a fully received blob: one file, or its parts in order (a committed block
        list). False (and the files removed) if the upload is gone or linked."""
        with self.transaction() as db:
            row = db.execute("SELECT state, blob FROM uploads WHERE id=?", (upload_id,)).fetchone()
            if row is None or row["state"] not in ("pending", "complete"):
                for path in incoming if isinstance(incoming, list) else [incoming]:
                    path.unlink(missing_ok=True)
                return False
            blob_id = self.adopt_parts(incoming) if isinstance(incoming, list) else self.adopt_blob(incoming)
            db.execute(
                "UPDATE uploads SET state='complete', size=?, md5=?, content_type=?, blob=? WHERE id=?",
                (size, md5, content_type, blob_id, upload_id),
            )
        if row["blob"]:
            self.drop_blobs([row["blob"]])  # an overwritten earlier PUT
        return True

    def claim_upload(self, upload_id: str, states: tuple[str, ...]) -> tuple[str, sqlite3.Row | None]:
        """Atomically move an upload into 'linking' so two links can never consume it twice.

        Returns (previous state or 'missing', row)."""
        with self.transaction() as db:
            row = db.execute("SELECT * FROM uploads WHERE id=?", (upload_id,)).fetchone()
            if row is None:
                return "missing", None
            if row["state"] in states:
                db.execute("UPDATE uploads SET state='linking' WHERE id=?", (upload_id,))
            return row["state"], row

    def release_upload(self, upload_id: str, state: str) -> None:
        with self.transaction() as db:
            db.execute("UPDATE uploads SET state=? WHERE id=? AND state='linking'", (state, upload_id))

    def mark_linked(self, db: sqlite3.Connection, upload_id: str, linked_to: str) -> None:
        db.execute("UPDATE uploads SET state='linked', blob=NULL, linked_to=? WHERE id=?", (linked_to, upload_id))
