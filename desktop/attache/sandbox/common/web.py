"""HTTP helpers any sandbox's routes share: JSON answers, the request's store, a file part
copied to disk, MIME guesses and Content-Disposition."""

from __future__ import annotations

import json
import mimetypes
import shutil
from collections.abc import Mapping
from pathlib import Path
from typing import Any
from urllib.parse import quote

from starlette.datastructures import UploadFile
from starlette.requests import Request
from starlette.responses import Response


def json_response(data: Any, status: int = 200, headers: Mapping[str, str] | None = None) -> Response:
    body = json.dumps(data, ensure_ascii=False, separators=(",", ":")).encode()
    return Response(body, status, headers=headers, media_type="application/json; charset=utf-8")


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


def guess_mime(file_name: str, sent: str | None = None) -> str:
    if sent and sent.split(";")[0].strip().lower() not in ("", "application/octet-stream"):
        return sent.split(";")[0].strip()
    return mimetypes.guess_type(file_name)[0] or "application/octet-stream"


def content_disposition(file_name: str, inline: bool = False) -> str:
    """Both forms (RFC 6266): an ASCII fallback and the exact UTF-8 name."""
    fallback = "".join(c if 32 <= ord(c) < 127 and c not in '"\\' else "_" for c in file_name)
    kind = "inline" if inline else "attachment"
    return f"{kind}; filename=\"{fallback}\"; filename*=UTF-8''{quote(file_name, safe='')}"
