"""Answers shaped as an ONLYOFFICE portal sends them (shared/contracts/onlyoffice.md), for MockTransport:
the envelope with its key order, the plain-text 401, the error envelope, `nextIndex` one too far,
the chunk handler's own `{success, data, message}`."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import httpx

from attache.backends.http import default_retry
from attache.backends.onlyoffice import OnlyofficeBackend, TokenKeeper

PORTAL = "https://office.test"
API = f"{PORTAL}/api/2.0"
Handler = Callable[[httpx.Request], httpx.Response]


def envelope(
    response: Any,
    *,
    status: int = 200,
    start: int = 0,
    next_index: int | None = None,
    total: int | None = None,
) -> httpx.Response:
    """`count, startIndex, nextIndex, total, status, statusCode, response`, zeros and nulls left out."""
    body: dict[str, Any] = {}
    count = len(response) if isinstance(response, list) else (0 if response is None else 1)
    if count:
        body["count"] = count
    if start:
        body["startIndex"] = start
    if next_index is not None:
        body["nextIndex"] = next_index
    if total is not None:
        body["total"] = total
    body["status"] = 0
    body["statusCode"] = status
    body["response"] = {} if response is None else response
    return httpx.Response(status, json=body)


def error_envelope(status: int, message: str, *, http_status: int | None = None) -> httpx.Response:
    body = {"status": 1, "statusCode": status, "error": {"message": message, "hresult": -2146233088, "data": {}}}
    return httpx.Response(http_status or status, json=body)


def unauthorized() -> httpx.Response:
    return httpx.Response(
        401,
        text="Unauthorized",
        headers={"Content-Type": "text/plain", "WWW-Authenticate": 'Basic Realm="office.test"'},
    )


def paged(items: list[Any], request: httpx.Request, *, cap: int = 1000) -> httpx.Response:
    """One page as the live code computes it: `nextIndex` = startIndex + count + 1 when more exist."""
    start = int(request.url.params.get("startIndex", 0))
    count = min(int(request.url.params.get("count", cap)), cap)
    page = items[start : start + count]
    more = start + count < len(items)
    return envelope(page, start=start, next_index=start + count + 1 if more else None, total=len(items))


def chunk_answer(data: Any, *, success: bool = True, message: str = "", status: int = 200) -> httpx.Response:
    return httpx.Response(status, json={"success": success, "data": data, "message": message})


def multipart_file(request: httpx.Request) -> tuple[str, bytes]:
    """(file name, bytes) of the one file part of a multipart request."""
    content_type = request.headers["content-type"]
    boundary = content_type.split("boundary=", 1)[1].encode()
    body = request.read()
    for part in body.split(b"--" + boundary):
        head, _, data = part.partition(b"\r\n\r\n")
        if b'filename="' in head:
            name = head.split(b'filename="', 1)[1].split(b'"', 1)[0].decode()
            return name, data[: -len(b"\r\n")] if data.endswith(b"\r\n") else data
    raise AssertionError("no file part")


class RecordingTransport(httpx.MockTransport):
    """MockTransport reads a streamed body before the handler sees it; this notes first whether
    the body came as a stream (`request.extensions["streamed"]`)."""

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        request.extensions["streamed"] = not isinstance(request.stream, httpx.ByteStream)
        return super().handle_request(request)


def backend_for(handler: Handler, *, token: str | TokenKeeper = "tok", **kwargs: Any) -> OnlyofficeBackend:
    return OnlyofficeBackend(
        PORTAL,
        token=token,
        account="work",
        transport=RecordingTransport(handler),
        retry=default_retry(sleeper=lambda seconds: None),
        **kwargs,
    )


def file_wrapper(file_id: int, title: str, size: int, *, version: int = 1, folder_id: int = 7) -> dict[str, Any]:
    """A FileWrapper with the fields of the notes' §3.6 (camelCase)."""
    return {
        "folderId": folder_id,
        "version": version,
        "versionGroup": version,
        "contentLength": f"{size / 1024:.2f} KB",
        "pureContentLength": size,
        "fileStatus": 0,
        "viewUrl": f"{PORTAL}/Products/Files/HttpHandlers/filehandler.ashx?action=download&fileid={file_id}",
        "webUrl": f"{PORTAL}/Products/Files/DocEditor.aspx?fileid={file_id}",
        "fileType": 7,
        "fileExst": "." + title.rsplit(".", 1)[-1],
        "comment": "",
        "id": file_id,
        "title": title,
        "access": 0,
        "shared": False,
        "created": "2025-01-10T09:00:00.0000000+01:00",
        "createdBy": {"id": "u-1", "displayName": "Ada Admin", "title": "", "avatarSmall": "", "profileUrl": ""},
        "updated": "2025-01-10T09:00:00.0000000+01:00",
        "rootFolderType": 2,
        "updatedBy": {"id": "u-1", "displayName": "Ada Admin"},
    }
