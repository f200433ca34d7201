"""Photos (onlyoffice.md §4): user photos and CRM contact photos served from the portal's storage
(with the auth header, resized to the size their URL names), the default pictures under /skins
(static, no sign-in), CRM `changephoto` (multipart, PNG or JPEG, ≤ 5 MiB, an `image/*` part) and
`avatar` removal, and user photos read, set from a URL, or reset."""

from __future__ import annotations

import re
import shutil
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

from starlette.concurrency import run_in_threadpool
from starlette.exceptions import HTTPException
from starlette.requests import ClientDisconnect, Request
from starlette.responses import Response
from starlette.routing import Route

from attache.sandbox.common import avatars, imaging
from attache.sandbox.common.web import receive_parts
from attache.sandbox.onlyoffice.auth import arguments
from attache.sandbox.onlyoffice.envelope import ApiError, answer
from attache.sandbox.onlyoffice.routes_lists import contact_row
from attache.sandbox.onlyoffice.shapes import contact_photo_url
from attache.sandbox.onlyoffice.web import shapes, store

MAX_IMAGE = 5 * 1024 * 1024  # web.max-upload-size as shipped
ACCEPTED = ("PNG", "JPEG")  # CheckImgFormat
_SIZED = re.compile(r"^(?P<id>[0-9a-f-]+)_size_(?P<w>\d{1,4})-(?P<h>\d{1,4})\.png$")
_DEFAULT = re.compile(r"^(default_user_photo_size_|empty_(company|people)_logo_)(?P<w>\d{1,4})[-_](?P<h>\d{1,4})\.png$")


async def _render(request: Request, blob: str, width: int, height: int) -> Response:
    cache = request.app.state.render_cache
    key = f"{blob}:{width}x{height}"
    rendered = cache.get(key)
    if rendered is None:
        rendered = await run_in_threadpool(imaging.resize, store(request).blob_path(blob), (width, height), crop=True)
        cache.put(key, rendered)
    data, mime = rendered
    return Response(data, media_type=mime, headers={"Cache-Control": "private, max-age=3600"})


async def stored_photo(request: Request) -> Response:
    match = _SIZED.match(request.path_params["name"])
    table = {("userphotos", "root"): "users", ("crm", "photos"): "contacts"}.get(
        (request.path_params["area"], request.path_params["folder"]), ""
    )
    row = store(request).read_one(f"SELECT photo FROM {table} WHERE id=?", (match["id"],)) if match and table else None
    if not table or match is None or row is None or not row["photo"]:
        return Response("Not found", 404, media_type="text/plain")
    width, height = min(int(match["w"]), 1280), min(int(match["h"]), 1280)
    return await _render(request, row["photo"], max(width, 1), max(height, 1))


def default_photo(request: Request) -> Response:
    match = _DEFAULT.match(request.path_params["name"])
    if match is None:
        return Response("Not found", 404, media_type="text/plain")
    width, height = max(1, min(int(match["w"]), 1280)), max(1, min(int(match["h"]), 1280))
    return Response(avatars.placeholder(width, height), media_type="image/png")


async def _check_image(path: Path, size: int) -> None:
    if size > MAX_IMAGE:
        raise ApiError(500, "Image size is too large. The maximum size is 5 MB.")
    info = await run_in_threadpool(imaging.inspect, path)
    if info is None or info.format not in ACCEPTED:
        raise ApiError(500, "Unknown image file type")  # CheckImgFormat


async def change_photo(request: Request) -> Response:
    contact = contact_row(request)
    stored = store(request)
    try:
        parts, _fields = await receive_parts(request, stored.incoming_path)
    except (ClientDisconnect, HTTPException):
        raise ApiError.invalid() from None
    try:
        if not parts or parts[0].size == 0:
            raise ApiError.invalid("No file")
        part = parts[0]
        if not (part.content_type or "").lower().startswith("image/"):
            raise ApiError(403, "Message_ImageExtension")  # InvalidOperationException
        await _check_image(part.path, part.size)
        stored.set_photo("contacts", contact["id"], part.path)
    finally:
        for part in parts:
            part.path.unlink(missing_ok=True)
    return answer(request, contact_photo_url(contact_row(request), "big"))


def delete_avatar(request: Request) -> Response:
    contact = contact_row(request)
    store(request).set_photo("contacts", contact["id"], None)
    return answer(request, contact_photo_url(contact_row(request), "big"))


def _user(request: Request) -> str:
    key = request.path_params["userid"]
    row = store(request).read_one("SELECT id FROM users WHERE lower(id)=lower(?)", (key,))
    if row is None:
        raise ApiError.not_found("User not found")
    return str(row["id"])


def user_photo(request: Request) -> Response:
    return answer(request, shapes(request).thumbnails(_user(request)))


async def set_user_photo(request: Request) -> Response:
    """PUT `files` = an image's URL. The portal downloads it itself; the sandbox can reach only
    its own Documents files (a `viewUrl`), anything else fails as an unreachable address would."""
    user_id = _user(request)
    url = (await arguments(request)).get("files", "")
    file_id = parse_qs(urlsplit(url).query).get("fileid", [""])[0]
    row = store(request).read_one("SELECT * FROM files WHERE id=?", (int(file_id),)) if file_id.isdigit() else None
    if not url or row is None or "filehandler.ashx" not in url.lower():
        raise ApiError(500, "The remote server returned an error: (404) Not Found.")
    if row["size"] > MAX_IMAGE:
        raise ApiError(500, "Image size is too large. The maximum size is 5 MB.")
    stored = store(request)
    copy = stored.incoming_path()
    await run_in_threadpool(shutil.copyfile, stored.blob_path(row["blob"]), copy)
    try:
        await _check_image(copy, row["size"])
        stored.set_photo("users", user_id, copy)
    finally:
        copy.unlink(missing_ok=True)
    return answer(request, shapes(request).thumbnails(user_id))


def reset_user_photo(request: Request) -> Response:
    user_id = _user(request)
    store(request).set_photo("users", user_id, None)
    return answer(request, shapes(request).thumbnails(user_id))


API_ROUTES = [
    Route("/crm/contact/{contactid}/changephoto", change_photo, methods=["PUT"]),
    Route("/crm/contact/{contactid}/avatar", delete_avatar, methods=["DELETE"]),
    Route("/people/{userid}/photo", user_photo, methods=["GET"]),
    Route("/people/{userid}/photo", set_user_photo, methods=["PUT"]),
    Route("/people/{userid}/photo", reset_user_photo, methods=["DELETE"]),
]
PORTAL_ROUTES = [
    Route("/storage/{area:str}/{folder:str}/{name:str}", stored_photo, methods=["GET", "HEAD"]),
    Route("/skins/default/images/{name:str}", default_photo, methods=["GET", "HEAD"]),
]
