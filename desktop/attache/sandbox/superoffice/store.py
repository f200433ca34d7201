"""The tenant's tables on the common SQLite-plus-blobs store, and the writes its routes make.

Every entity has an integer id, as in SuperOffice's database. Users (associates) are persons of
the tenant's own company; their pictures are their persons'. Images keep an integer blob id (what
`PUT …/Image` answers); documents keep their content as a blob, none until it is PUT.
"""

from __future__ import annotations

import sqlite3
from datetime import UTC, datetime
from pathlib import Path

from attache.sandbox.common.store import SqliteBlobStore

STORE_FILE = "superoffice.sqlite3"
IMAGE_KINDS = ("project", "contact", "person")

TABLES = """
CREATE TABLE IF NOT EXISTS associates (
    id INTEGER PRIMARY KEY, person_id INTEGER NOT NULL, user_name TEXT NOT NULL, password TEXT NOT NULL,
    is_active INTEGER NOT NULL DEFAULT 1, is_admin INTEGER NOT NULL DEFAULT 0, last_login TEXT);
CREATE TABLE IF NOT EXISTS contacts (
    id INTEGER PRIMARY KEY, name TEXT NOT NULL, department TEXT NOT NULL DEFAULT '', org_nr TEXT NOT NULL DEFAULT '',
    number TEXT NOT NULL DEFAULT '', category TEXT NOT NULL DEFAULT '', business TEXT NOT NULL DEFAULT '',
    country TEXT NOT NULL DEFAULT '', associate_id INTEGER, created TEXT NOT NULL, updated TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS persons (
    id INTEGER PRIMARY KEY, contact_id INTEGER, first_name TEXT NOT NULL, last_name TEXT NOT NULL,
    title TEXT NOT NULL DEFAULT '', email TEXT NOT NULL DEFAULT '', associate_id INTEGER,
    is_associate INTEGER NOT NULL DEFAULT 0, created TEXT NOT NULL, updated TEXT NOT NULL);
CREATE INDEX IF NOT EXISTS persons_contact ON persons(contact_id);
CREATE TABLE IF NOT EXISTS projects (
    id INTEGER PRIMARY KEY, name TEXT NOT NULL, number TEXT NOT NULL, type TEXT NOT NULL, status TEXT NOT NULL,
    associate_id INTEGER, description TEXT NOT NULL DEFAULT '', completed INTEGER NOT NULL DEFAULT 0,
    end_date TEXT, created TEXT NOT NULL, updated TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS appointments (
    id INTEGER PRIMARY KEY, text TEXT NOT NULL, record_type TEXT NOT NULL, task_type TEXT NOT NULL,
    date TEXT NOT NULL, end_date TEXT NOT NULL, associate_id INTEGER, contact_id INTEGER, person_id INTEGER,
    project_id INTEGER, completed INTEGER NOT NULL DEFAULT 0, created TEXT NOT NULL, updated TEXT NOT NULL);
CREATE INDEX IF NOT EXISTS appointments_project ON appointments(project_id);
CREATE TABLE IF NOT EXISTS templates (
    id INTEGER PRIMARY KEY, name TEXT NOT NULL, tooltip TEXT NOT NULL DEFAULT '', filename TEXT NOT NULL DEFAULT '',
    record_type TEXT NOT NULL, mime TEXT NOT NULL DEFAULT '', deleted INTEGER NOT NULL DEFAULT 0,
    rank INTEGER NOT NULL DEFAULT 0);
CREATE TABLE IF NOT EXISTS documents (
    id INTEGER PRIMARY KEY, header TEXT NOT NULL, name TEXT NOT NULL, description TEXT NOT NULL DEFAULT '',
    our_ref TEXT NOT NULL DEFAULT '', your_ref TEXT NOT NULL DEFAULT '', template_id INTEGER NOT NULL,
    associate_id INTEGER, contact_id INTEGER, person_id INTEGER, project_id INTEGER, appointment_id INTEGER,
    date TEXT NOT NULL, created TEXT NOT NULL, updated TEXT NOT NULL, blob TEXT, size INTEGER NOT NULL DEFAULT 0,
    mime TEXT NOT NULL DEFAULT '', external_ref TEXT NOT NULL DEFAULT '');
CREATE INDEX IF NOT EXISTS documents_contact ON documents(contact_id);
CREATE INDEX IF NOT EXISTS documents_project ON documents(project_id);
CREATE TABLE IF NOT EXISTS blob_ids (id INTEGER PRIMARY KEY AUTOINCREMENT, created TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS images (
    kind TEXT NOT NULL, entity_id INTEGER NOT NULL, blob TEXT NOT NULL, blob_id INTEGER NOT NULL,
    mime TEXT NOT NULL, size INTEGER NOT NULL, updated TEXT NOT NULL, PRIMARY KEY (kind, entity_id)) WITHOUT ROWID;
"""

ENTITY_TABLES = {"contact": "contacts", "person": "persons", "project": "projects", "appointment": "appointments"}


def so_date(dt: datetime) -> str:
    """A date as SuperOffice writes it: ISO 8601 in UTC, seconds, no offset."""
    return dt.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S")


def now_date() -> str:
    return so_date(datetime.now(UTC))


class Store(SqliteBlobStore):
    FILE_NAME = STORE_FILE
    SCHEMA = TABLES

    def entity_exists(self, kind: str, entity_id: int) -> bool:
        table = ENTITY_TABLES[kind]
        return self.read_one(f"SELECT 1 FROM {table} WHERE id=?", (entity_id,)) is not None

    # ---- images ----
    def image(self, kind: str, entity_id: int) -> sqlite3.Row | None:
        return self.read_one("SELECT * FROM images WHERE kind=? AND entity_id=?", (kind, entity_id))

    def set_image(self, kind: str, entity_id: int, incoming: Path, mime: str, size: int) -> int:
        """Store a received image as the entity's (replacing any); returns its new blob id."""
        blob = self.adopt_blob(incoming)
        now = now_date()
        with self.transaction() as db:
            blob_id = self.new_blob_id(db)
            old = db.execute("SELECT blob FROM images WHERE kind=? AND entity_id=?", (kind, entity_id)).fetchone()
            db.execute(
                "INSERT OR REPLACE INTO images(kind, entity_id, blob, blob_id, mime, size, updated)"
                " VALUES (?,?,?,?,?,?,?)",
                (kind, entity_id, blob, blob_id, mime, size, now),
            )
            db.execute(f"UPDATE {ENTITY_TABLES[kind]} SET updated=? WHERE id=?", (now, entity_id))
        if old is not None:
            self.drop_blobs([old["blob"]])
        return blob_id

    def new_blob_id(self, db: sqlite3.Connection) -> int:
        return int(db.execute("INSERT INTO blob_ids(created) VALUES (?)", (now_date(),)).lastrowid or 0)

    def delete_image(self, kind: str, entity_id: int) -> None:
        with self.transaction() as db:
            old = db.execute("SELECT blob FROM images WHERE kind=? AND entity_id=?", (kind, entity_id)).fetchone()
            db.execute("DELETE FROM images WHERE kind=? AND entity_id=?", (kind, entity_id))
        if old is not None:
            self.drop_blobs([old["blob"]])

    # ---- documents ----
    def document(self, document_id: int) -> sqlite3.Row | None:
        return self.read_one("SELECT * FROM documents WHERE id=?", (document_id,))

    def set_content(self, document_id: int, incoming: Path, size: int, mime: str) -> None:
        blob = self.adopt_blob(incoming)
        with self.transaction() as db:
            old = db.execute("SELECT blob FROM documents WHERE id=?", (document_id,)).fetchone()
            if old is None:  # deleted while its content arrived: keep nothing
                stale = blob
            else:
                stale = old["blob"]
                db.execute(
                    "UPDATE documents SET blob=?, size=?, mime=?, updated=? WHERE id=?",
                    (blob, size, mime, now_date(), document_id),
                )
        if stale:
            self.drop_blobs([stale])

    def delete_document(self, document_id: int) -> bool:
        with self.transaction() as db:
            old = db.execute("SELECT blob FROM documents WHERE id=?", (document_id,)).fetchone()
            db.execute("DELETE FROM documents WHERE id=?", (document_id,))
        if old is not None and old["blob"]:
            self.drop_blobs([old["blob"]])
        return old is not None

    def free_document_name(self, db: sqlite3.Connection, name: str) -> str:
        """The documents of a tenant share one archive folder: a taken file name gets a number,
        "report (1).pdf", "report (2).pdf"…"""
        stem, dot, ext = name.rpartition(".") if "." in name.strip(".") else (name, "", "")
        number, candidate = 0, name
        while db.execute("SELECT 1 FROM documents WHERE name=? COLLATE NOCASE", (candidate,)).fetchone():
            number += 1
            candidate = f"{stem} ({number}){dot}{ext}"
        return candidate
