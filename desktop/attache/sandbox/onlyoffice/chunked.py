"""Chunked uploads (onlyoffice.md §3.3): `POST /api/2.0/files/{folderId}/upload/create_session`
opens a session; its `location` (`/ChunkedUploader.ashx?uid=…`) takes the chunks in order, each
a multipart POST. That handler answers its own JSON, not the envelope: `{success, data,
message}`, refusals with HTTP 200 and `success: false`, the last chunk with 201.

Chunk rules: every chunk but the last is exactly the portal's chunk size (a multiple of 512
bytes, at least the chunk size as the notes say, at most it as `FileUploader.UploadChunk`
checks: 10 MiB unless the `chunk_size` option lowers it for tests); the last is what remains.

The handler offers no way to ask a session how far it got (a request without a file part is
refused, "HttpRequest.Files is empty"): a client learns `bytes_uploaded` from each chunk's
answer and resumes from the last one it received while the session lives (each chunk renews
it for `session_ttl` seconds); without it, it starts a new session. Bytes are appended to a
file on disk as they arrive, never held in memory.
"""

from __future__ import annotations

import time
import uuid
from datetime import UTC, datetime
from typing import Any

from starlette.exceptions import HTTPException
from starlette.requests import ClientDisconnect, Request
from starlette.responses import Response
from starlette.routing import Route

from attache.sandbox.common.web import json_response, receive_parts, root_url
from attache.sandbox.onlyoffice.auth import arguments
from attache.sandbox.onlyoffice.envelope import ApiError, answer
from attache.sandbox.onlyoffice.routes_files import _folder, _too_large
from attache.sandbox.onlyoffice.store import Store, api_date, now_date
from attache.sandbox.onlyoffice.web import me, store

EXPIRED = "Can't authorize given initiate session request or session with specified upload id already expired"


def _session_object(request: Request, row: Any) -> dict[str, Any]:
    return {
        "id": row["id"],
        "path": [row["folder_id"]],
        "created": row["created"],
        "expired": api_date(datetime.fromtimestamp(row["expires"], UTC)),
        "location": f"{root_url(request)}/ChunkedUploader.ashx?uid={row['id']}",
        "bytes_uploaded": row["uploaded"],
        "bytes_total": row["total"],
    }


async def create_session(request: Request) -> Response:
    folder_id = _folder(request)
    args = await arguments(request)
    name, size = (args.get("filename") or "").strip(), args.get("filesize") or ""
    if not name or not size.isdigit() or int(size) <= 0:
        raise ApiError.invalid()
    options = request.app.state.options
    if int(size) > options["max_chunked_size"]:
        raise _too_large(options["max_chunked_size"])
    uid = uuid.uuid4().hex
    create_new = (args.get("createnewifexist") or "true").lower() != "false"
    with store(request).transaction() as db:
        db.execute(
            "INSERT INTO upload_sessions(id, folder_id, file_name, total, user_id, create_new, created, expires)"
            " VALUES (?,?,?,?,?,?,?,?)",
            (
                uid,
                folder_id,
                name,
                int(size),
                me(request),
                int(create_new),
                now_date(),
                time.time() + options["session_ttl"],
            ),
        )
        row = db.execute("SELECT * FROM upload_sessions WHERE id=?", (uid,)).fetchone()
    (store(request).session_dir / uid).touch()
    return answer(request, {"success": True, "data": _session_object(request, row)})


def _reply(success: bool, data: Any = None, message: str = "", status: int = 200) -> Response:
    return json_response({"success": success, "data": data, "message": message}, status)


def _live_session(stored: Store, uid: str) -> Any:
    row = stored.read_one("SELECT * FROM upload_sessions WHERE id=?", (uid,))
    if row is not None and row["expires"] <= time.time():
        _forget(stored, uid)
        return None
    return row


def _forget(stored: Store, uid: str) -> None:
    with stored.transaction() as db:
        db.execute("DELETE FROM upload_sessions WHERE id=?", (uid,))
    (stored.session_dir / uid).unlink(missing_ok=True)


def _refusal(request: Request, row: Any, size: int) -> str | None:
    chunk = request.app.state.options["chunk_size"]
    remaining = row["total"] - row["uploaded"]
    if size <= 0:
        return "Empty file"
    if size > chunk:
        return f"Exceeds the maximum file size ({chunk} bytes per chunk)."
    if size > remaining:
        return "The chunk is longer than what remains of the file."
    if size < remaining and (size % 512 or size < chunk):
        return f"Each chunk but the last must be {chunk} bytes (a multiple of 512)."
    return None


async def upload_chunk(request: Request) -> Response:
    stored = store(request)
    uid = request.query_params.get("uid") or ""
    row = _live_session(stored, uid) if uid else None
    if row is None:
        return _reply(False, message=EXPIRED)
    if request.query_params.get("abort") == "true":
        _forget(stored, uid)
        return _reply(True)
    try:
        parts, _fields = await receive_parts(request, stored.incoming_path, max_files=1)
    except (ClientDisconnect, HTTPException):
        return _reply(False, message="The chunk did not arrive whole.")
    if not parts:
        return _reply(False, message="HttpRequest.Files is empty")
    part = parts[0]
    row = _live_session(stored, uid)  # again: another request may have moved it on meanwhile
    try:
        if row is None:
            return _reply(False, message=EXPIRED)
        problem = _refusal(request, row, part.size)
        if problem:
            return _reply(False, message=problem)
        return _append(request, stored, row, part.path, part.size)
    finally:
        part.path.unlink(missing_ok=True)


def _append(request: Request, stored: Store, row: Any, chunk_path: Any, size: int) -> Response:
    target = stored.session_dir / row["id"]
    with target.open("ab") as out, chunk_path.open("rb") as chunk:
        while piece := chunk.read(1 << 20):
            out.write(piece)
    uploaded = row["uploaded"] + size
    if uploaded < row["total"]:
        with stored.transaction() as db:
            db.execute(
                "UPDATE upload_sessions SET uploaded=?, expires=? WHERE id=?",
                (uploaded, time.time() + request.app.state.options["session_ttl"], row["id"]),
            )
            fresh = db.execute("SELECT * FROM upload_sessions WHERE id=?", (row["id"],)).fetchone()
        return _reply(True, _session_object(request, fresh))
    file_id = stored.add_file(
        target,
        folder_id=row["folder_id"],
        title=row["file_name"],
        size=uploaded,
        user_id=row["user_id"],
        create_new=bool(row["create_new"]),
    )
    _forget(stored, row["id"])
    done = stored.read_one("SELECT * FROM files WHERE id=?", (file_id,))
    assert done is not None
    data = {"id": file_id, "folderId": done["folder_id"], "version": done["version"], "title": done["title"]}
    return _reply(True, {**data, "provider_key": None, "uploaded": True}, status=201)


API_ROUTES = [Route("/files/{folderId}/upload/create_session", create_session, methods=["POST"])]
PORTAL_ROUTES = [Route("/chunkeduploader.ashx", upload_chunk, methods=["POST", "GET"])]
