"""awork's HTTP helpers: list responses with its paging headers, its request bodies, multipart
file intake with its size limits, query flags. The generic ones are in `common.web` (imported
from here by the routes too)."""

from __future__ import annotations

import json
import math
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from starlette.concurrency import run_in_threadpool
from starlette.datastructures import UploadFile
from starlette.exceptions import HTTPException
from starlette.requests import ClientDisconnect, Request
from starlette.responses import Response

from attache.sandbox.awork.errors import ApiError
from attache.sandbox.awork.query import PageRequest, lower_params
from attache.sandbox.common.web import (
    content_disposition,
    copy_upload,
    declared_length,
    guess_mime,
    json_response,
    store_of,
)

__all__ = [  # the generic helpers are re-exported: awork's routes take all their helpers from here
    "FILE_LIMIT",
    "IMAGE_LIMIT",
    "ReceivedFile",
    "content_disposition",
    "flag",
    "guess_mime",
    "json_response",
    "list_response",
    "number",
    "read_upload_form",
    "receive_file",
    "store_of",
    "user_of",
]

MB = 1024 * 1024
IMAGE_LIMIT = 100 * MB  # "The file size must not exceed 100MB" (profile images)
FILE_LIMIT = 1024 * MB  # "The file size must not exceed 1GB" (multipart entity files)
MULTIPART_SLACK = 1 * MB  # boundaries and part headers around the file itself


def list_response(items: list[dict[str, Any]], page: PageRequest, total: int) -> Response:
    """A bare JSON array with awork's paging headers (awork.md §3.1)."""
    return json_response(
        items,
        headers={
            "aw-page": str(page.page),
            "aw-pagesize": str(page.size),
            "aw-items": str(len(items)),
            "aw-totalitems": str(total),
        },
    )


def user_of(request: Request) -> str:
    return request.app.state.me_id


def flag(request: Request, name: str, default: bool | None = None) -> bool | None:
    raw = lower_params(request.query_params).get(name.lower())
    if raw is None or raw == "":
        return default
    if raw.lower() in ("true", "1"):
        return True
    if raw.lower() in ("false", "0"):
        return False
    raise ApiError.validation(name, f"The value '{raw}' is not valid for {name}.")


def number(request: Request, name: str) -> float | None:
    raw = lower_params(request.query_params).get(name.lower())
    if raw is None or raw == "":
        return None
    try:
        value = float(raw)
    except ValueError:
        value = -1.0
    if not (math.isfinite(value) and value > 0):
        raise ApiError.validation(name, f"The value '{raw}' is not valid for {name}.")
    return value


async def read_upload_form(request: Request) -> dict[str, Any]:
    """The JSON body of a byuploadid call (UploadByUploadIdForm), checked like awork's validator."""
    try:
        body = json.loads(await request.body() or b"null")
    except (ValueError, UnicodeDecodeError):
        raise ApiError(400, "validation-failed", "The request body is not valid JSON.") from None
    if not isinstance(body, dict):
        raise ApiError(400, "validation-failed", "The request body must be a JSON object.")
    problems = []
    for key, label in (("uploadId", "Upload Id"), ("fileName", "File Name")):
        value = body.get(key)
        if not isinstance(value, str) or not value.strip():
            problems.append({"property": key[0].upper() + key[1:], "message": f"'{label}' must not be empty."})
    description = body.get("description")
    if description is not None and not isinstance(description, str):
        problems.append({"property": "Description", "message": "'Description' must be a string."})
    if problems:
        raise ApiError(
            400,
            "validation-failed",
            "The model sent in the request is invalid. See the validation errors for details.",
            validation_errors=problems,
        )
    return body


@dataclass(slots=True)
class ReceivedFile:
    path: Path  # in the store's incoming folder; adopt it or unlink it
    filename: str
    content_type: str | None
    size: int
    fields: dict[str, str]


async def receive_file(request: Request, limit: int) -> ReceivedFile:
    """Take the one file of a multipart body: part `File`, `file`, or any single file part
    (awork.md §5.1: ASP.NET binds the first file whatever its name)."""
    if not request.headers.get("content-type", "").lower().startswith("multipart/form-data"):
        raise ApiError.validation("File", "Send the file as multipart/form-data with a part named 'File'.")
    declared = declared_length(request)
    if declared is not None and declared > limit + MULTIPART_SLACK:
        raise ApiError.too_large(limit)  # decided before reading a byte of the body

    received = 0

    async def counting_receive() -> dict:
        nonlocal received
        message = await request.receive()
        received += len(message.get("body", b""))
        if received > limit + MULTIPART_SLACK:
            raise ApiError.too_large(limit)
        return message

    counted = Request(request.scope, counting_receive)
    try:
        async with counted.form(max_files=20, max_fields=50) as form:
            files = [(k, v) for k, v in form.multi_items() if isinstance(v, UploadFile)]
            fields = {k.lower(): v for k, v in form.multi_items() if isinstance(v, str)}
            if not files:
                raise ApiError.validation("File", "The request contains no file.")
            upload = next((v for k, v in files if k.lower() == "file"), files[0][1])
            store = store_of(request)
            target = store.incoming_path()
            size = await run_in_threadpool(copy_upload, upload, target)
    except ClientDisconnect:
        raise ApiError(400, "validation-failed", "The client went away during the upload.") from None
    except HTTPException as exc:  # Starlette's multipart errors
        raise ApiError(400, "validation-failed", "The multipart body is invalid.", details=[str(exc.detail)]) from None
    if size > limit:
        target.unlink(missing_ok=True)
        raise ApiError.too_large(limit)
    filename = upload.filename or fields.get("filename") or "file"
    return ReceivedFile(target, Path(filename).name, upload.content_type, size, fields)
