"""HTTP helpers any sandbox's routes share: JSON answers, file downloads that honour Range, the
request's store, request bodies and file parts copied to disk (never held whole in memory), MIME
guesses and Content-Disposition."""

from __future__ import annotations

import json
import mimetypes
import shutil
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import quote

from starlette.concurrency import run_in_threadpool
from starlette.datastructures import UploadFile
from starlette.requests import Request
from starlette.responses import FileResponse, Response


def json_response(data: Any, status: int = 200, headers: Mapping[str, str] | None = None) -> Response:
    body = json.dumps(data, ensure_ascii=False, separators=(",", ":")).encode()
    return Response(body, status, headers=headers, media_type="application/json; charset=utf-8")


def file_response(path: Path, *, media_type: str, headers: Mapping[str, str] | None = None) -> Response:
    """A blob as a download, the way real file servers answer one, so clients can resume:

    - every answer carries a strong `ETag` (of the blob's size and modification time, so new
      content gets a new one), `Last-Modified` and `Accept-Ranges: bytes`;
    - `Range: bytes=N-` (or `N-M`, `-K`) answers 206 with `Content-Range: bytes N-M/size` and only
      those bytes; a range past the end answers 416 with `Content-Range: bytes */size`;
    - `If-Range` with the current ETag or Last-Modified keeps the Range; with an old one (the file
      changed) the whole file comes back as a 200.
    Starlette's FileResponse does exactly this (RFC 9110 §14, §13.1.5); every plug-in's download
    endpoint answers through here so all of them do.
    """
    return FileResponse(path, headers=dict(headers or {}), media_type=media_type)


def store_of(request: Request) -> Any:
    """The store the app was built with (`app.state.store`)."""
    return request.app.state.store


def declared_length(request: Request) -> int | None:
    raw = request.headers.get("content-length")
    return int(raw) if raw and raw.isdigit() else None


def copy_upload(upload: UploadFile, target: Path) -> int:
    """Write a received file part to `target` (a worker thread's job); returns its size."""
    upload.file.seek(0)
    with target.open("wb") as out:
        shutil.copyfileobj(upload.file, out, 1 << 20)
        return out.tell()


def root_url(request: Request) -> str:
    """The server's own address as the client reached it, for absolute links in answers."""
    return str(request.base_url).rstrip("/")


@dataclass(slots=True)
class ReceivedPart:
    path: Path  # on disk; the caller adopts or removes it
    filename: str
    content_type: str | None
    size: int


async def receive_parts(
    request: Request, new_path: Callable[[], Path], *, max_files: int = 20
) -> tuple[list[ReceivedPart], dict[str, str]]:
    """Every file part of a multipart body, whatever its field name, copied to its own file
    (`new_path()`), and the text fields by lower-case name. Starlette's multipart errors
    (HTTPException) and ClientDisconnect pass to the caller, which answers as its service does."""
    parts: list[ReceivedPart] = []
    try:
        async with request.form(max_files=max_files, max_fields=100) as form:
            fields = {k.lower(): v for k, v in form.multi_items() if isinstance(v, str)}
            for _name, value in form.multi_items():
                if isinstance(value, UploadFile):
                    target = new_path()
                    size = await run_in_threadpool(copy_upload, value, target)
                    name = Path(value.filename or "").name
                    parts.append(ReceivedPart(target, name, value.content_type, size))
    except BaseException:
        for part in parts:
            part.path.unlink(missing_ok=True)
        raise
    return parts, fields


class BodyTooLarge(Exception):
    """The body grew past the limit `receive_raw` was given (the partial file is removed)."""


async def receive_raw(request: Request, target: Path, *, max_size: int | None = None) -> int:
    """Stream the request body to `target`; returns its size (the file is removed on failure).
    Past `max_size` bytes the rest is read and dropped (so the refusal reaches a client still
    sending), then BodyTooLarge is raised."""
    size = 0
    try:
        with target.open("wb") as out:
            async for chunk in request.stream():
                size += len(chunk)
                if max_size is None or size <= max_size:
                    out.write(chunk)
        if max_size is not None and size > max_size:
            raise BodyTooLarge(size)
    except BaseException:
        target.unlink(missing_ok=True)
        raise
    return size


async def drain(request: Request) -> None:
    """Read and forget the rest of a body, so a refusal reaches a client still sending."""
    async for _chunk in request.stream():
        pass


def guess_mime(file_name: str, sent: str | None = None) -> str:
    if sent and sent.split(";")[0].strip().lower() not in ("", "application/octet-stream"):
        return sent.split(";")[0].strip()
    return mimetypes.guess_type(file_name)[0] or "application/octet-stream"


def content_disposition(file_name: str, inline: bool = False) -> str:
    """Both forms (RFC 6266): an ASCII fallback and the exact UTF-8 name."""
    fallback = "".join(c if 32 <= ord(c) < 127 and c not in '"\\' else "_" for c in file_name)
    kind = "inline" if inline else "attachment"
    return f"{kind}; filename=\"{fallback}\"; filename*=UTF-8''{quote(file_name, safe='')}"
