"""An in-memory backend for UI tests that do not need HTTP: paging, images, files, faults."""

from __future__ import annotations

import io
import itertools
import threading
from datetime import UTC, datetime
from pathlib import Path

from attache.backends.base import ImageRules
from attache.core.capabilities import Capability, capabilities_for
from attache.core.errors import AuthenticationError, NotFoundError, UnsupportedError
from attache.core.models import Entity, EntityKind, EntityRef, FileRecord, Page


def png_bytes(colour: tuple[int, int, int], size: int = 64) -> bytes:
    from PIL import Image

    buffer = io.BytesIO()
    Image.new("RGB", (size, size), colour).save(buffer, "PNG")
    return buffer.getvalue()


class FakeBackend:
    service = "awork"

    def __init__(self, *, tasks: int = 30, projects: int = 5, users: int = 4, account: str = "fake",
                 fail_lists: Exception | None = None) -> None:
        self.account = account
        self.fail_lists = fail_lists
        self.lock = threading.Lock()
        self.entities: dict[EntityKind, list[Entity]] = {kind: [] for kind in EntityKind}
        for i in range(projects):
            self.entities[EntityKind.PROJECT].append(Entity(EntityKind.PROJECT, f"p{i}", f"Project {i}",
                                                            subtitle=f"Company {i % 3}"))
        for i in range(tasks):
            project = f"p{i % max(projects, 1)}"
            self.entities[EntityKind.TASK].append(Entity(EntityKind.TASK, f"t{i}", f"Task number {i}",
                                                         subtitle=f"Project {i % max(projects, 1)} · Open",
                                                         parents=((EntityKind.PROJECT, project),)))
        names = ["Ada Lovelace", "Grace Hopper", "Alan Turing", "Katherine Johnson", "Edsger Dijkstra"]
        for i in range(users):
            self.entities[EntityKind.USER].append(Entity(EntityKind.USER, f"u{i}", names[i % len(names)],
                                                         subtitle="Engineer", has_image=i == 0, version="1"))
        self.entities[EntityKind.COMPANY] = [Entity(EntityKind.COMPANY, "c0", "Acme GmbH", subtitle="Tools")]
        self.entities[EntityKind.PROJECT_TEMPLATE] = [Entity(EntityKind.PROJECT_TEMPLATE, "pt0", "Onboarding")]
        self.entities[EntityKind.WORKSPACE] = [Entity(EntityKind.WORKSPACE, "w0", "Fake Workspace")]
        self.images: dict[EntityRef, bytes] = {EntityRef(EntityKind.USER, "u0"): png_bytes((0, 128, 0))}
        self.files: dict[EntityRef, list[FileRecord]] = {}
        self.blobs: dict[str, bytes] = {}
        self._ids = itertools.count(1)
        self.fail_uploads = 0
        self.list_calls = 0
        self.image_calls = 0
        self.closed = False

    # ---- protocol
    def capabilities(self, kind: EntityKind) -> Capability:
        return capabilities_for("awork", kind)

    def image_rules(self, kind: EntityKind) -> ImageRules:
        return ImageRules(1024 * 1024, frozenset({"image/png", "image/jpeg", "image/gif"}))

    def workspace(self) -> Entity:
        if isinstance(self.fail_lists, AuthenticationError):
            raise self.fail_lists
        return self.entities[EntityKind.WORKSPACE][0]

    def iter_pages(self, kind, *, parent=None, page_size=200):
        self.list_calls += 1
        if self.fail_lists is not None:
            raise self.fail_lists
        items = self.entities[kind]
        if parent is not None:
            items = [e for e in items if e.parent_id(parent.kind) == parent.id]
        total = len(items)
        if total == 0:
            yield Page([], 1, 0, True)
            return
        for number, start in enumerate(range(0, total, page_size), start=1):
            chunk = items[start:start + page_size]
            yield Page(list(chunk), number, total, start + page_size >= total)

    def get_entity(self, ref):
        for entity in self.entities[ref.kind]:
            if entity.id == ref.id:
                return entity
        raise NotFoundError(f"no {ref}")

    def get_image(self, ref, *, width=None, height=None, crop=False):
        self.image_calls += 1
        return self.images.get(ref)

    def _replace(self, ref, **changes):
        from dataclasses import replace

        items = self.entities[ref.kind]
        for i, entity in enumerate(items):
            if entity.id == ref.id:
                version = str(int(entity.version or "0") + 1)
                items[i] = replace(entity, version=version, **changes)

    def set_image(self, ref, source: Path, *, on_chunk=None):
        if not self.capabilities(ref.kind) & Capability.SET_IMAGE:
            raise UnsupportedError("no images here")
        data = Path(source).read_bytes()
        if on_chunk:
            on_chunk(data)
        self.images[ref] = data
        self._replace(ref, has_image=True)

    def delete_image(self, ref):
        self.images.pop(ref, None)
        self._replace(ref, has_image=False)

    def list_files(self, ref):
        return list(self.files.get(ref, []))

    def download_file(self, ref, file_id, dest, *, on_chunk=None):
        record = next(r for r in self.files.get(ref, []) if r.id == file_id)
        dest = Path(dest)
        if dest.is_dir():
            dest = dest / record.name
        data = self.blobs[file_id]
        if on_chunk:
            on_chunk(data)
        dest.write_bytes(data)
        return dest

    def delete_file(self, ref, file_id):
        self.files[ref] = [r for r in self.files.get(ref, []) if r.id != file_id]

    def begin_attach(self, ref, name, size):
        return {"upload": str(next(self._ids))}

    def send_content(self, state, source, size, *, on_chunk=None):
        with self.lock:
            if self.fail_uploads:
                self.fail_uploads -= 1
                from attache.core.errors import ServerError

                raise ServerError(f"awork refused {Path(source).name}: the storage quota is used up")
        data = Path(source).read_bytes()
        if on_chunk:
            for start in range(0, len(data), 65536):
                on_chunk(data[start:start + 65536])
        with self.lock:
            self.blobs["pending-" + state["upload"]] = data
        return state

    def finish_attach(self, ref, state, name):
        with self.lock:
            data = self.blobs.pop("pending-" + state["upload"])
            file_id = f"f{next(self._ids)}"
            self.blobs[file_id] = data
            record = FileRecord(file_id, name, len(data), created_on=datetime.now(UTC), created_by="Tester")
            self.files.setdefault(ref, []).append(record)
        return record

    def find_attached(self, ref, state, name, size):
        return None

    def close(self):
        self.closed = True
