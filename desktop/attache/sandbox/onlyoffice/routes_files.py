"""Documents and task files (onlyoffice.md §3): single-request upload into a folder, a folder's
contents, attaching files to a task (a link: the file stays in its folder when detached) and
downloading through `viewUrl` with Range support."""

from __future__ import annotations

import json
from pathlib import Path
from urllib.parse import unquote

from starlette.exceptions import HTTPException
from starlette.requests import ClientDisconnect, Request
from starlette.responses import Response
from starlette.routing import Route

from attache.sandbox.common.web import (
    content_disposition,
    declared_length,
    drain,
    file_response,
    guess_mime,
    receive_parts,
    receive_raw,
)
from attache.sandbox.onlyoffice.auth import arguments
from attache.sandbox.onlyoffice.envelope import ApiError, answer, page_of, query
from attache.sandbox.onlyoffice.routes_lists import task_row
from attache.sandbox.onlyoffice.web import int_param, me, shapes, store

MULTIPART_SLACK = 1 << 20  # boundaries and part headers around the files themselves


def _folder(request: Request, name: str = "folderId") -> int:
    folder_id = int_param(request, name)
    if store(request).read_one("SELECT 1 FROM folders WHERE id=?", (folder_id,)) is None:
        raise ApiError.not_found("Folder not found")
    return folder_id


def _too_large(limit: int) -> ApiError:
    return ApiError(500, f"Exceeds the maximum file size ({limit // (1 << 20)} MB).")  # TenantQuotaException


def _raw_name(request: Request) -> str:
    """The name a raw-body upload gives in Content-Disposition (URL-decoded), else file.<ext>."""
    disposition = request.headers.get("content-disposition", "")
    for piece in disposition.split(";"):
        key, _, value = piece.strip().partition("=")
        if key.lower() in ("filename", "filename*") and value:
            value = value.strip('"')
            return Path(unquote(value.split("''", 1)[-1])).name or "file"
    mime = request.headers.get("content-type", "").split(";")[0].strip()
    ext = {"image/png": ".png", "image/jpeg": ".jpg", "application/pdf": ".pdf", "text/plain": ".txt"}.get(mime, "")
    return "file" + ext


async def upload(request: Request) -> Response:
    folder_id = _folder(request)
    limit = request.app.state.options["max_upload_size"]
    stored = store(request)
    declared = declared_length(request)
    if declared is not None and declared > limit + MULTIPART_SLACK:
        await drain(request)
        raise _too_large(limit)
    create_new = (query(request, "createNewIfExist") or "true").lower() != "false"
    try:
        content_type = request.headers.get("content-type", "").lower()
        if content_type.startswith("application/x-www-form-urlencoded"):
            await drain(request)
            received = []  # form fields, no file
        elif content_type.startswith("multipart/form-data"):
            parts, fields = await receive_parts(request, stored.incoming_path)
            create_new = (fields.get("createnewifexist") or str(create_new)).lower() != "false"
            received = [(p.path, p.filename or "file", p.size) for p in parts]
        else:
            target = stored.incoming_path()
            received = [(target, _raw_name(request), await receive_raw(request, target))]
            if received[0][2] == 0:
                target.unlink(missing_ok=True)
                received = []  # no stream: nothing was sent
    except ClientDisconnect:
        raise ApiError(500, "The client went away during the upload.") from None
    except HTTPException:
        raise ApiError.invalid() from None
    try:
        if not received:
            raise ApiError(403, "No input files")  # InvalidOperationException
        if any(size > limit for _path, _name, size in received):
            raise _too_large(limit)
        if any(size == 0 for _path, _name, size in received):
            raise ApiError(500, "Empty file")
        ids = [
            stored.add_file(
                path, folder_id=folder_id, title=name, size=size, user_id=me(request), create_new=create_new
            )
            for path, name, size in received
        ]
    finally:
        for path, _name, _size in received:
            path.unlink(missing_ok=True)
    wrap = shapes(request)
    files = [wrap.file(_file_row(request, file_id)) for file_id in ids]
    return answer(request, files[0] if len(files) == 1 else files)


def _file_row(request: Request, file_id: int):  # type: ignore[no-untyped-def]
    row = store(request).read_one("SELECT * FROM files WHERE id=?", (file_id,))
    if row is None:
        raise ApiError.not_found("File not found")
    return row


def folder_contents(request: Request) -> Response:
    """FolderContentWrapper; its own startIndex/count/total page the files."""
    folder_id = _folder(request)
    page = page_of(request)
    wrap = shapes(request)
    rows = store(request).read("SELECT * FROM files WHERE folder_id=? ORDER BY title, id", (folder_id,))
    folder = store(request).read_one("SELECT * FROM folders WHERE id=?", (folder_id,))
    files = [wrap.file(row) for row in page.slice(rows)]
    content = {
        "files": files,
        "folders": [],
        "current": wrap.folder(folder),
        "pathParts": [folder_id],
        "startIndex": page.start,
        "count": len(files),
        "total": len(rows),
        "new": 0,
    }
    return answer(request, content)


def file_info(request: Request) -> Response:
    return answer(request, shapes(request).file(_file_row(request, int_param(request, "fileId"))))


async def attach(request: Request) -> Response:
    row, owner = task_row(request)
    try:
        body = json.loads(await request.body() or b"{}")
    except (ValueError, UnicodeDecodeError):
        raise ApiError.invalid() from None
    ids = body.get("files") if isinstance(body, dict) else None
    if not isinstance(ids, list) or not ids or not all(isinstance(i, int | str) and str(i).isdigit() for i in ids):
        raise ApiError.invalid()
    for file_id in ids:
        _file_row(request, int(file_id))  # every id must be an existing Documents file (404)
    with store(request).transaction() as db:
        for file_id in ids:
            db.execute("INSERT OR IGNORE INTO task_files(task_id, file_id) VALUES (?,?)", (row["id"], int(file_id)))
    return answer(request, shapes(request).task(row, owner))


def task_files(request: Request) -> Response:
    row, _owner = task_row(request)
    return answer(request, shapes(request).files_of_task(row["id"]))


async def detach(request: Request) -> Response:
    row, owner = task_row(request)
    raw = (await arguments(request)).get("fileid", "")
    if not raw.isdigit():
        raise ApiError.invalid()
    _file_row(request, int(raw))
    with store(request).transaction() as db:
        db.execute("DELETE FROM task_files WHERE task_id=? AND file_id=?", (row["id"], int(raw)))
    return answer(request, shapes(request).task(row, owner))


def download(request: Request) -> Response:
    """filehandler.ashx?action=download&fileid=N (Range requests answer 206)."""
    raw = query(request, "fileid") or ""
    if (query(request, "action") or "").lower() != "download" or not raw.isdigit():
        return Response("Bad request", 400, media_type="text/plain")
    row = store(request).read_one("SELECT * FROM files WHERE id=?", (int(raw),))
    if row is None:
        return Response("The file was not found", 404, media_type="text/plain")
    headers = {"Content-Disposition": content_disposition(row["title"])}
    path = store(request).blob_path(row["blob"])
    return file_response(path, headers=headers, media_type=guess_mime(row["title"]))


API_ROUTES = [
    Route("/files/{folderId}/upload", upload, methods=["POST"]),
    Route("/files/file/{fileId}", file_info, methods=["GET"]),
    Route("/files/{folderId}", folder_contents, methods=["GET"]),
    Route("/project/task/{taskid}/files", attach, methods=["POST"]),
    Route("/project/task/{taskid}/files", task_files, methods=["GET"]),
    Route("/project/task/{taskid}/files", detach, methods=["DELETE"]),
]
PORTAL_ROUTES = [Route("/products/files/httphandlers/filehandler.ashx", download, methods=["GET", "HEAD"])]
