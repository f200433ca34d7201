"""awork's public REST API (v1) behind the `Backend` protocol.

Wire facts (see shared/contracts/awork.md): Bearer token; lists are bare JSON arrays paged with
`page`/`pageSize` and `aw-*` headers; profile images at `/files/images/{entityName}/{id}`;
task files by the three-step upload (generateuploadurl → PUT to blob storage → byuploadid).
The upload URL is an Azure Blob Storage SAS URL: a small file goes in one Put Blob, a larger one
in blocks (awork_blocks.py), so an interrupted upload resumes from the blocks that arrived.
"""

from __future__ import annotations

import json
import mimetypes
from collections.abc import Callable, Iterator, Mapping
from contextlib import suppress
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import httpx
from httpx_retries import Retry

from attache.backends import awork_blocks
from attache.backends.auth import BearerAuth, RefreshHook, constant
from attache.backends.base import ChunkObserver, ImageRules, SaveSecret, Secret, UploadState
from attache.backends.errors import ErrorRule, ErrorTable, error_for_response
from attache.backends.http import filename_from_content_disposition, make_client, quick_retry
from attache.backends.paging import NumberedPaging
from attache.backends.rest import RestClient
from attache.backends.streams import (
    CHUNK_SIZE,
    ObservedReader,
    at_most,
    download_target,
    local_file_size,
    open_unchanged,
    read_chunks,
    report_held_range,
)
from attache.backends.wire import parse_datetime
from attache.core.capabilities import Capability
from attache.core.errors import (
    AttacheError,
    AuthenticationError,
    NotFoundError,
    PermissionDeniedError,
    ProtocolError,
    TooLargeError,
    TransientError,
    UnsupportedError,
    UploadExpiredError,
)
from attache.core.models import Entity, EntityKind, EntityRef, FileRecord, FileTemplate, FileVersion, Page
from attache.core.services import AWORK

DEFAULT_BASE_URL = AWORK.default_url
SERVICE = AWORK.id

MAX_PAGE_SIZE = 1000  # awork's documented maximum
IMAGE_LIMIT_BYTES = 100 * 1024 * 1024  # "The file size must not exceed 100MB"
IMAGE_MIME_TYPES = frozenset({"image/png", "image/jpeg", "image/gif", "image/webp", "image/bmp"})
PREVIEW_MAX_BYTES = 8 * 1024 * 1024  # an avatar or pane picture at a given size
BLOB_LIMITS = httpx.Limits(max_connections=20, max_keepalive_connections=20, keepalive_expiry=30.0)
BLOB_TIMEOUT = httpx.Timeout(connect=10.0, read=60.0, write=60.0, pool=None)
THUMBNAIL_MAX_BYTES = 4 * 1024 * 1024  # a resized thumbnail is a few kB; more means awork did not resize

_K = EntityKind

_LIST_PATHS = {
    _K.PROJECT: "projects",
    _K.COMPANY: "companies",
    _K.USER: "users",
    _K.PROJECT_TEMPLATE: "projecttemplates",
    _K.TASK: "me/allavailabletasks",  # there is no GET /tasks for API tokens
}

# The properties a search looks in (awork.md §2.1): every word must be in one of them.
_SEARCH_FIELDS = {
    _K.PROJECT: ("name",),
    _K.COMPANY: ("name",),
    _K.USER: ("firstName", "lastName"),
    _K.PROJECT_TEMPLATE: ("name",),
    _K.TASK: ("name",),
}

_ENTITY_PATHS = {
    _K.PROJECT: "projects",
    _K.TASK: "tasks",
    _K.COMPANY: "companies",
    _K.USER: "users",
    _K.PROJECT_TEMPLATE: "projecttemplates",
    _K.WORKSPACE: "workspaces",
}

# The {entityName} segment of /files/images/{entityName}/{entityId}.
_IMAGE_ENTITY_NAMES = {
    _K.COMPANY: "companies",
    _K.CONTACT_PERSON: "contactpersons",
    _K.PROJECT: "projects",
    _K.PROJECT_TEMPLATE: "projecttemplates",
    _K.USER: "users",
    _K.WORKSPACE: "workspaces",
}

# awork error codes whose meaning the HTTP status does not carry (awork.md §3.5).
_ERRORS = ErrorTable(
    codes={
        "insufficient-subscription-level": ErrorRule(PermissionDeniedError),
        "insufficient-seats": ErrorRule(PermissionDeniedError),
        "concurrency-violation": ErrorRule(TransientError),
        "database-commit": ErrorRule(TransientError),
    }
)

# Bare JSON arrays; aw-totalitems and aw-pagesize (awork clamps large sizes) when awork sends them.
_PAGING = NumberedPaging(total_header="aw-totalitems", page_size_header="aw-pagesize", max_page_size=MAX_PAGE_SIZE)


class AworkBackend(RestClient):
    service = SERVICE
    service_name = AWORK.name
    capability_table = AWORK.capabilities
    errors = _ERRORS
    paging = _PAGING

    def __init__(
        self,
        base_url: str = DEFAULT_BASE_URL,
        *,
        token: str | Callable[[], str],
        refresh: RefreshHook | None = None,
        account: str = "awork",
        client: httpx.Client | None = None,
        blob_client: httpx.Client | None = None,
        retry: Retry | None = None,
        block_size: int = awork_blocks.BLOCK_SIZE,
        block_threshold: int = awork_blocks.BLOCK_THRESHOLD,
        parallel_blocks: int = awork_blocks.PARALLEL_BLOCKS,
        block_checksums: bool = False,
    ) -> None:
        """`client`/`blob_client` are used as given and left open; clients made here close with
        `close()`. `retry` replaces the default retry policy of the clients made here. Files above
        `block_threshold` bytes are sent in blocks of `block_size` bytes, `parallel_blocks` at a time,
        each with its Content-MD5 where `block_checksums` (see `awork_blocks.BlockUpload`)."""
        token_provider = token if callable(token) else constant(token)
        super().__init__(
            base_url, account=account, auth=BearerAuth(token_provider, refresh=refresh), client=client, retry=retry
        )
        # Blob storage gets a client without the awork token: a SAS URL authorises itself. Each
        # upload has up to PARALLEL_BLOCKS blocks in flight, and the engine's workers (4) share
        # this client: its pool holds them all, and a block waits for a connection as long as it
        # takes (the blocks ahead of it each end within their own read and write timeouts).
        self._blob_client = blob_client or self._own(make_client(retry=retry, limits=BLOB_LIMITS, timeout=BLOB_TIMEOUT))
        self.block_size = block_size
        self.block_threshold = block_threshold
        self.parallel_blocks = parallel_blocks
        self.block_checksums = block_checksums

    # ------------------------------------------------------------------ capabilities

    def image_rules(self, kind: EntityKind) -> ImageRules:
        self._image_entity_name(kind)
        return ImageRules(IMAGE_LIMIT_BYTES, IMAGE_MIME_TYPES)

    # ------------------------------------------------------------------ browsing

    def workspace(self) -> Entity:
        me = self._json("GET", "me")
        summary = me.get("workspace") if isinstance(me, dict) else None
        if not isinstance(summary, dict) or not summary.get("id"):
            raise ProtocolError("awork did not say which workspace this token belongs to", detail=f"/me: {me!r:.300}")
        try:
            details = self._json("GET", f"workspaces/{summary['id']}")
        except (PermissionDeniedError, NotFoundError):
            details = {}  # /me alone still names the workspace
        return workspace_entity({**summary, **details}, url=summary.get("url") or "")

    def iter_pages(
        self, kind: EntityKind, *, parent: EntityRef | None = None, page_size: int = 200, search: str | None = None
    ) -> Iterator[Page[Entity]]:
        if kind is _K.WORKSPACE:
            yield Page([self.workspace()], number=1, total=1, is_last=True)
            return
        path = self._list_path(kind, parent)
        to_entity = _ENTITY_MAPPERS[kind]
        not_found = f"awork has no project {parent.id}" if parent else None
        expression = search_filter(_SEARCH_FIELDS.get(kind, ()), search)
        params = {"filterby": expression} if expression else None
        for page in self._pages(path, page_size, not_found=not_found, params=params):
            yield Page(self._records(page.items, to_entity), number=page.number, total=page.total, is_last=page.is_last)

    def _list_path(self, kind: EntityKind, parent: EntityRef | None) -> str:
        if kind is _K.CONTACT_PERSON:
            raise UnsupportedError("awork's API has no list of contact persons")
        if parent is None:
            return _LIST_PATHS[kind]
        if kind is _K.TASK and parent.kind is _K.PROJECT:
            return f"projects/{parent.id}/projecttasks"
        raise UnsupportedError(f"awork cannot list {kind.label.lower()} of a {parent.kind.singular}")

    def get_entity(self, ref: EntityRef) -> Entity:
        if ref.kind not in _ENTITY_PATHS:
            raise UnsupportedError(f"awork's API cannot show a single {ref.kind.singular}")
        data = self._json("GET", f"{_ENTITY_PATHS[ref.kind]}/{ref.id}", not_found=f"awork has no {ref}")
        if ref.kind is _K.WORKSPACE:
            return self._record(data, workspace_entity)
        return self._record(data, _ENTITY_MAPPERS[ref.kind])

    # ------------------------------------------------------------------ profile images

    def get_image(
        self, ref: EntityRef, *, width: int | None = None, height: int | None = None, crop: bool = False
    ) -> bytes | None:
        params: dict[str, str | int] = {}
        if width:
            params["width"] = int(width)
        if height:
            params["height"] = int(height)
        if crop:
            params["crop"] = "true"
        # A picture sized for a row or the pane is small; a full one is at most what awork accepts.
        limit = PREVIEW_MAX_BYTES if (width or height) else IMAGE_LIMIT_BYTES
        try:
            response = self._send("GET", self._image_path(ref), params=params, max_bytes=limit)
        except NotFoundError:
            return None  # awork answers 404 when there is no image
        return self._bytes(response)

    def set_image(self, ref: EntityRef, source: Path, *, on_chunk: ChunkObserver | None = None) -> None:
        path = self._image_path(ref)
        size = local_file_size(source)
        if size > IMAGE_LIMIT_BYTES:  # refuse before a single byte goes out
            raise image_too_large(source.name, size)
        mime_type = mimetypes.guess_type(source.name)[0] or "application/octet-stream"
        with open(source, "rb") as stream:
            upload = ObservedReader(stream, on_chunk)
            try:
                self._send(
                    "POST", path, files={"File": (source.name, upload, mime_type)}, not_found=f"awork has no {ref}"
                )
            except TooLargeError as error:
                raise image_too_large(source.name, size, detail=error.detail) from error

    def delete_image(self, ref: EntityRef) -> None:
        with suppress(NotFoundError):  # no image: already what the user wants
            self._send("DELETE", self._image_path(ref))

    def _image_path(self, ref: EntityRef) -> str:
        return f"files/images/{self._image_entity_name(ref.kind)}/{ref.id}"

    @staticmethod
    def _image_entity_name(kind: EntityKind) -> str:
        try:
            return _IMAGE_ENTITY_NAMES[kind]
        except KeyError:
            raise UnsupportedError(f"awork has no profile images for {kind.label.lower()}") from None

    # ------------------------------------------------------------------ task files

    def list_files(self, ref: EntityRef) -> list[FileRecord]:
        task_id = self._task_id(ref)
        pages = self._pages(f"tasks/{task_id}/files", MAX_PAGE_SIZE, not_found=f"awork has no task {task_id}")
        return [record for page in pages for record in self._records(page.items, file_record)]

    def download_file(self, ref: EntityRef, file_id: str, dest: Path, *, on_chunk: ChunkObserver | None = None) -> Path:
        task_id = self._task_id(ref)
        path = f"tasks/{task_id}/files/{file_id}/download"
        record = self._file_info(ref, file_id)
        return self._download(
            path,
            lambda response: self._download_target(record, file_id, dest, response),
            on_chunk,
            expected_size=record.size,
            not_found=f"awork has no file {file_id} on task {task_id}",
        )

    def file_thumbnail(
        self, ref: EntityRef, file_id: str, size: int, *, max_bytes: int = THUMBNAIL_MAX_BYTES
    ) -> bytes | None:
        """A task file's picture fitted in size × size pixels, resized by awork.

        awork.md §5.1: the download of an image file takes `width` and `height` and resizes it.
        None when the answer is larger than `max_bytes`: awork did not resize it (not a picture,
        or one it cannot scale), and a file icon is better than downloading the whole file.
        """
        task_id = self._task_id(ref)
        path = f"tasks/{task_id}/files/{file_id}/download"
        params = {"width": int(size), "height": int(size)}
        with self._stream(
            "GET", path, params=params, not_found=f"awork has no file {file_id} on task {task_id}"
        ) as response:
            length = _int_header(response, "content-length")
            if length is not None and length > max_bytes:
                return None
            return at_most(response.iter_bytes(CHUNK_SIZE), max_bytes)

    def file_templates(self) -> list[FileTemplate]:
        raise self._unsupported(EntityKind.TASK, Capability.FILE_TEMPLATES)

    def use_file_template(self, template_id: str) -> None:
        raise self._unsupported(EntityKind.TASK, Capability.FILE_TEMPLATES)

    def _file_info(self, ref: EntityRef, file_id: str) -> FileRecord:
        """The file's metadata: its size bounds the download, its name is the fallback name."""
        task_id = self._task_id(ref)
        data = self._json(
            "GET", f"tasks/{task_id}/files/{file_id}", not_found=f"awork has no file {file_id} on task {task_id}"
        )
        return self._record(data, file_record)

    def _download_target(self, record: FileRecord, file_id: str, dest: Path, response: httpx.Response) -> Path:
        suggested = filename_from_content_disposition(response.headers.get("content-disposition"))
        suggested = suggested or record.file_name or record.name  # else the file's metadata
        return download_target(dest, suggested or "", fallback=file_id)

    def delete_file(self, ref: EntityRef, file_id: str) -> None:
        task_id = self._task_id(ref)
        self._send(
            "DELETE", f"tasks/{task_id}/files/{file_id}", not_found=f"awork has no file {file_id} on task {task_id}"
        )

    # The three-step upload: begin (upload URL) → send (PUT to blob storage) → finish (link).

    def begin_attach(self, ref: EntityRef, name: str, size: int, *, replacing: str | None = None) -> UploadState:
        task_id = self._task_id(ref)
        if replacing is not None:
            return self._begin_version(task_id, replacing, name, size)
        # Files already there under this name, so find_attached can tell ours apart later;
        # listing first also fails fast on an unknown task.
        existing = [f.id for f in self.list_files(ref) if name in (f.name, f.file_name)]
        upload_id, upload_url = upload_target(self._json("POST", "files/generateuploadurl"))
        state = {
            "task_id": task_id,
            "upload_id": upload_id,
            "upload_url": str(httpx.URL(self.base_url + "/").join(upload_url)),
            "name": name,
            "size": str(size),
            "existing_file_ids": json.dumps(existing),
        }
        if size > self.block_threshold:
            # Journaled with the slot, so a later run cuts the file exactly as this one did.
            state["block_size"] = str(self.block_size)
        return state

    def send_content(
        self, state: UploadState, source: Path, size: int, *, on_chunk: ChunkObserver | None = None
    ) -> UploadState:
        if state.get("replacing"):
            return self._send_version(state, source, size, on_chunk)
        mime_type = mimetypes.guess_type(state.get("name") or source.name)[0] or "application/octet-stream"
        block_size = int(state.get("block_size") or 0)
        if block_size > 0:
            blocks = awork_blocks.BlockUpload(
                self._blob_send,
                state["upload_url"],
                size,
                block_size,
                parallel=self.parallel_blocks,
                checksums=self.block_checksums,
            )
            with open_unchanged(source, size) as stream:
                blocks.send(stream, source, mime_type, on_chunk, state=state)
            return {**state, "content_sent": "true"}
        headers = {"x-ms-blob-type": "BlockBlob", "Content-Length": str(size), "Content-Type": mime_type}
        with open_unchanged(source, size) as stream:
            body = read_chunks(stream, size, on_chunk, source)
            self._send(
                "PUT", state["upload_url"], client=self._blob_client, content=body, headers=headers, on_error=blob_error
            )
        return {**state, "content_sent": "true"}

    def _blob_send(self, method: str, url: str, **kwargs: Any) -> httpx.Response:
        return self._send(method, url, client=self._blob_client, on_error=blob_error, **kwargs)

    def finish_attach(self, ref: EntityRef, state: UploadState, name: str) -> FileRecord:
        task_id = self._task_id(ref)
        if state.get("replacing"):
            return self._file_info(ref, state["replacing"])  # the version was made by send_content
        try:
            data = self._json(
                "POST", f"tasks/{task_id}/files/byuploadid", json={"uploadId": state["upload_id"], "fileName": name}
            )
        except NotFoundError as error:
            # One 404 for two cases: the task is gone (final) or the upload is (a new one fixes it).
            self.get_entity(ref)  # raises "awork has no task …" when it is the task
            raise UploadExpiredError(
                "awork no longer knows this upload; the upload will start again with a new one",
                detail=error.detail,
                status=error.status,
                code=error.code,
            ) from error
        return file_record(data)

    def find_attached(self, ref: EntityRef, state: UploadState, name: str, size: int) -> FileRecord | None:
        """The file our interrupted `finish_attach` created, if it did: same name and size, new id."""
        if state.get("replacing"):
            return self._file_info(ref, state["replacing"])  # finish_attach only reads it back
        before = set(json.loads(state.get("existing_file_ids") or "[]"))
        candidates = [
            record
            for record in self.list_files(ref)
            if name in (record.name, record.file_name) and record.id not in before and record.size == size
        ]
        oldest = datetime.min.replace(tzinfo=UTC)
        return max(candidates, key=lambda r: r.created_on or oldest, default=None)

    # A new version of a file: one multipart POST to its versions (awork.md §5.1), so the request
    # that sends the bytes is also the one that makes the version. The versions there before are
    # journaled with the plan: a later pass that finds a new one of our size (our answer was lost)
    # takes it as ours instead of adding a second.

    def _begin_version(self, task_id: str, file_id: str, name: str, size: int) -> UploadState:
        before = [version.id for version in self._file_versions(task_id, file_id)]
        return {
            "task_id": task_id,
            "replacing": file_id,
            "name": name,
            "size": str(size),
            "versions_before": json.dumps(before),
        }

    def _send_version(self, state: UploadState, source: Path, size: int, on_chunk: ChunkObserver | None) -> UploadState:
        task_id, file_id = state["task_id"], state["replacing"]
        made = self._version_made(state, size)
        if made is not None:
            with open_unchanged(source, size) as stream:
                report_held_range(stream, 0, size, on_chunk, source)  # hashed and counted, not sent again
            return {**state, "version_id": made.id, "content_sent": "true"}
        name = state.get("name") or source.name
        mime_type = mimetypes.guess_type(name)[0] or "application/octet-stream"
        with open_unchanged(source, size) as stream:
            data = self._json(
                "POST",
                f"tasks/{task_id}/files/{file_id}/versions",
                files={"File": (name, ObservedReader(stream, on_chunk), mime_type)},
                not_found=f"awork has no file {file_id} on task {task_id}",
            )
        version_id = str(data.get("id") or "") if isinstance(data, dict) else ""
        return {**state, "version_id": version_id, "content_sent": "true"}

    def _version_made(self, state: UploadState, size: int) -> FileVersion | None:
        """The version an earlier pass of this upload made, if it did: new since begin, our size."""
        if state.get("version_id"):
            return FileVersion(id=state["version_id"], number=0, size=size)
        before = set(json.loads(state.get("versions_before") or "[]"))
        fresh = [
            version
            for version in self._file_versions(state["task_id"], state["replacing"])
            if version.id not in before and version.size == size
        ]
        return max(fresh, key=lambda v: v.number, default=None)

    def _file_versions(self, task_id: str, file_id: str) -> list[FileVersion]:
        pages = self._pages(
            f"tasks/{task_id}/files/{file_id}/versions",
            MAX_PAGE_SIZE,
            not_found=f"awork has no file {file_id} on task {task_id}",
        )
        return [version for page in pages for version in self._records(page.items, file_version)]

    def _task_id(self, ref: EntityRef) -> str:
        if ref.kind is not _K.TASK:
            raise UnsupportedError(f"awork keeps files on tasks here, not on a {ref.kind.singular}")
        return ref.id


def search_filter(fields: tuple[str, ...], text: str | None) -> str:
    """A `filterby` keeping what has every word of `text` in one of `fields`, in any case (awork.md §3.2):
    "maya 1999" on users is `(substringof('maya',tolower(firstName)) or …) and (…)`. "" for no words."""
    words = (text or "").lower().split()
    if not fields or not words:
        return ""
    clauses = []
    for word in words:
        literal = "'" + word.replace("'", "''") + "'"  # an apostrophe is doubled inside a literal
        either = " or ".join(f"substringof({literal},tolower({name}))" for name in fields)
        clauses.append(f"({either})" if len(fields) > 1 and len(words) > 1 else either)
    return " and ".join(clauses)


def _int_header(response: httpx.Response, name: str) -> int | None:
    try:
        return int(response.headers[name])
    except (KeyError, ValueError):
        return None


# ---------------------------------------------------------------------- awork JSON → core types


def _version(data: dict[str, Any]) -> str:
    parts = [data.get("updatedOn"), data.get("resourceVersion")]
    return "#".join(str(p) for p in parts if p is not None)


def _name(data: dict[str, Any] | None) -> str:
    return str((data or {}).get("name") or "").strip()


def _joined(*parts: str) -> str:
    return " · ".join(p for p in parts if p)


def _snippet(text: str | None, limit: int = 80) -> str:
    line = " ".join((text or "").split())
    return line if len(line) <= limit else line[: limit - 1].rstrip() + "…"


def project_entity(data: dict[str, Any]) -> Entity:
    company_id = data.get("companyId") or (data.get("company") or {}).get("id")
    return Entity(
        kind=_K.PROJECT,
        id=str(data["id"]),
        name=_name(data) or "(unnamed project)",
        subtitle=_joined(_name(data.get("company")), _name(data.get("projectStatus"))),
        has_image=bool(data.get("hasImage")),
        parents=((_K.COMPANY, str(company_id)),) if company_id else (),
        version=_version(data),
    )


def task_entity(data: dict[str, Any]) -> Entity:
    project_id = data.get("projectId") or (data.get("project") or {}).get("id")
    return Entity(
        kind=_K.TASK,
        id=str(data["id"]),
        name=_name(data) or "(unnamed task)",
        subtitle=_joined(_name(data.get("project")), _name(data.get("taskStatus"))),
        has_image=False,  # tasks have files, not profile images
        parents=((_K.PROJECT, str(project_id)),) if project_id else (),
        version=_version(data),
        has_files=bool(data["hasAttachment"]) if "hasAttachment" in data else None,
    )


def user_entity(data: dict[str, Any]) -> Entity:
    full_name = " ".join(str(data.get(k) or "").strip() for k in ("firstName", "lastName")).strip()
    return Entity(
        kind=_K.USER,
        id=str(data["id"]),
        name=full_name or "(unnamed user)",
        subtitle=str(data.get("position") or ""),
        has_image=bool(data.get("hasImage")),
        version=_version(data),
    )


def company_entity(data: dict[str, Any]) -> Entity:
    return Entity(
        kind=_K.COMPANY,
        id=str(data["id"]),
        name=_name(data) or "(unnamed company)",
        subtitle=str(data.get("industry") or ""),
        has_image=bool(data.get("hasImage")),
        version=_version(data),
    )


def project_template_entity(data: dict[str, Any]) -> Entity:
    return Entity(
        kind=_K.PROJECT_TEMPLATE,
        id=str(data["id"]),
        name=_name(data) or "(unnamed template)",
        subtitle=_snippet(data.get("description")),
        has_image=bool(data.get("hasImage")),
        version=_version(data),
    )


def workspace_entity(data: dict[str, Any], *, url: str = "") -> Entity:
    return Entity(
        kind=_K.WORKSPACE,
        id=str(data["id"]),
        name=_name(data) or "(unnamed workspace)",
        subtitle=url or str(data.get("url") or "") or _snippet(data.get("description")),
        has_image=bool(data.get("hasImage")),
        version=_version(data),
    )


_ENTITY_MAPPERS: dict[EntityKind, Callable[[dict[str, Any]], Entity]] = {
    _K.PROJECT: project_entity,
    _K.TASK: task_entity,
    _K.USER: user_entity,
    _K.COMPANY: company_entity,
    _K.PROJECT_TEMPLATE: project_template_entity,
}


def file_version(data: dict[str, Any]) -> FileVersion:
    return FileVersion(
        id=str(data.get("id") or ""),
        number=int(data.get("version") or 0),
        size=data.get("size"),
        created_on=parse_datetime(data.get("createdOn")),
    )


def file_record(data: dict[str, Any]) -> FileRecord:
    """A FileRecord from awork's FileInfo; size is the latest version's."""
    versions = tuple(file_version(v) for v in data.get("fileVersions") or ())
    latest = max(versions, key=lambda v: v.number) if versions else None
    file_name = str(data.get("fileName") or "")
    return FileRecord(
        id=str(data["id"]),
        name=str(data.get("name") or file_name),
        size=latest.size if latest else None,
        mime_type=str(data.get("mimeType") or "application/octet-stream"),
        created_on=parse_datetime(data.get("createdOn")),
        created_by=str(data.get("createdBy") or ""),
        versions=versions,
        file_name=file_name,
    )


def upload_target(data: Any) -> tuple[str, str]:
    """(uploadId, upload URL) from generateuploadurl; the spec says `uploadURL`, the docs `uploadUrl`."""
    fields = {str(k).lower(): v for k, v in data.items()} if isinstance(data, dict) else {}
    upload_id, upload_url = fields.get("uploadid"), fields.get("uploadurl")
    if not upload_id or not upload_url:
        raise ProtocolError("awork did not hand out an upload URL", detail=f"generateuploadurl keys: {sorted(fields)}")
    return str(upload_id), str(upload_url)


# ---------------------------------------------------------------------- local files


def image_too_large(name: str, size: int, *, detail: str = "") -> TooLargeError:
    megabytes = size / (1024 * 1024)
    return TooLargeError(
        f"{name} is {megabytes:.1f} MB; awork accepts profile images up to 100 MB",
        limit=IMAGE_LIMIT_BYTES,
        size=size,
        detail=detail,
        code="request-body-too-large",
    )


def blob_error(response: httpx.Response) -> AttacheError:
    """Blob storage refuses an expired or unknown SAS URL with 403/404: a fresh URL fixes it."""
    if response.status_code in (403, 404):
        error = error_for_response(response, service="awork's file storage")
        return UploadExpiredError(
            "The upload link from awork expired; the upload will start again with a new one",
            detail=error.detail,
            status=response.status_code,
            code=response.headers.get("x-ms-error-code", ""),
        )
    return error_for_response(response, service="awork's file storage")


# ---------------------------------------------------------------------- the registry's connector


def open_backend(
    base_url: str,
    secret: Mapping[str, Any],
    *,
    account: str,
    save_secret: SaveSecret | None = None,
    quick: bool = False,
    options: Mapping[str, str] | None = None,  # no account settings here
) -> AworkBackend:
    """An API key is sent as is; OAuth tokens go through a TokenManager that refreshes ahead of
    expiry and after a 401, saving each rotated pair (via `save_secret`) before it is used."""
    retry = quick_retry() if quick else None
    if secret.get("type") == "oauth":
        from attache.backends.awork_oauth import TokenManager

        tokens = TokenManager(base_url, account, dict(secret), save=save_secret or (lambda fresh: None))
        return AworkBackend(
            base_url, token=tokens.access_token, refresh=tokens.refresh_after_rejection, account=account, retry=retry
        )
    api_key = secret.get("api_key")
    if not api_key:
        raise AuthenticationError(f"The stored sign-in for {account} is incomplete: sign in again", account=account)
    return AworkBackend(base_url, token=str(api_key), account=account, retry=retry)


def secret_from_token(token: str) -> Secret:
    return {"type": "api_key", "api_key": token}


def browser_sign_in(
    base_url: str,
    *,
    open_url: Callable[[str], object],
    previous: Mapping[str, Any],
    timeout: float,
    cancelled: Callable[[], bool],
    options: Mapping[str, str] | None = None,
) -> Secret:
    from attache.backends.awork_oauth import sign_in_with_browser

    return sign_in_with_browser(
        base_url,
        open_url=open_url,
        client_id=previous.get("client_id"),
        redirect_uri=previous.get("redirect_uri"),
        timeout=timeout,
        cancelled=cancelled,
    )
