"""Project, company (Contact) and person images (superoffice.md §3): `GET …/{id}/Image` as stored,
or scaled by `w`/`h` and converted by `type`; 404 without one unless `ifBlank` asks for a
placeholder. `PUT`/`POST` take the raw bitmap with its image Content-Type, or multipart with a
file part `image`, in GIF, TIFF, PNG or JPEG, and answer the new blob id as a bare JSON number.
`DELETE` is 204. `…/Imageinfo` (either spelling) is the BlobEntity, empty without an image.

Open question 4 (no documented error for a wrong format): a Content-Type outside the consumed
image types is 415, a body that is not a GIF, TIFF, PNG or JPEG is 400 — both with the error body.
"""

from __future__ import annotations

import inspect
import io
from collections.abc import Callable
from pathlib import Path
from typing import Any

from PIL import Image
from starlette.concurrency import run_in_threadpool
from starlette.requests import ClientDisconnect, Request
from starlette.responses import FileResponse, Response
from starlette.routing import Route

from attache.sandbox.common import avatars, imaging
from attache.sandbox.common.web import drain, json_response, receive_parts, receive_raw
from attache.sandbox.superoffice.errors import SoError
from attache.sandbox.superoffice.store import Store
from attache.sandbox.superoffice.web import V1, query, store

ACCEPTED_FORMATS = {"PNG": "image/png", "JPEG": "image/jpeg", "GIF": "image/gif", "TIFF": "image/tiff"}
ACCEPTED_TYPES = ("image/png", "image/jpeg", "image/jpg", "image/gif", "image/tiff")
OUTPUT_TYPES = {"jpeg": "JPEG", "jpg": "JPEG", "png": "PNG", "gif": "GIF"}
CONCEPTUAL = {"person": "PERSONPHOTO", "contact": "CONTACTIMAGE", "project": "PROJECTIMAGE"}
LABELS = {"person": "Person", "contact": "Contact", "project": "Project"}
MAX_SIDE = 2048


def _entity(request: Request) -> tuple[str, int]:
    kind, entity_id = request.path_params["kind"], request.path_params["id"]
    if not store(request).entity_exists(kind, entity_id):
        raise SoError.not_found(LABELS[kind], entity_id)
    return kind, entity_id


def _dimension(request: Request, name: str) -> int | None:
    raw = query(request, name)
    if not raw:
        return None
    try:
        value = int(raw)
    except ValueError:
        raise SoError.bad_request(f"{name} must be a whole number.") from None
    return max(1, min(value, MAX_SIDE)) if value > 0 else None


def _blank(kind: str, if_blank: str, size: tuple[int, int]) -> Response:
    if if_blank.lower() == "clearpixel":
        out = io.BytesIO()
        Image.new("RGBA", (1, 1), (0, 0, 0, 0)).save(out, "PNG")
        return Response(out.getvalue(), media_type="image/png")
    return Response(avatars.placeholder(*size), media_type="image/png")


async def get_image(request: Request) -> Response:
    kind, entity_id = _entity(request)
    width, height = _dimension(request, "w"), _dimension(request, "h")
    wanted_type = (query(request, "type") or "").lower()
    if wanted_type and wanted_type not in OUTPUT_TYPES:
        raise SoError.bad_request(f"Unknown image type {wanted_type!r}: use JPEG, PNG or GIF.")
    row = store(request).image(kind, entity_id)
    if row is None:
        if_blank = query(request, "ifBlank") or "Null"
        if if_blank.lower() == "null":
            raise SoError(404, "SoNotFoundException", f"{LABELS[kind]} {entity_id} has no image")
        return _blank(kind, if_blank, (width or height or 128, height or width or 128))
    path = store(request).blob_path(row["blob"])
    if width is None and height is None and not wanted_type:
        return FileResponse(path, media_type=row["mime"], headers={"Cache-Control": "private, max-age=60"})
    size = None if width is None and height is None else (width or MAX_SIDE, height or MAX_SIDE)
    key = f"{row['blob']}:{size}:{wanted_type}"
    cache = request.app.state.render_cache
    rendered = cache.get(key)
    if rendered is None:
        rendered = await run_in_threadpool(imaging.scaled, path, size, OUTPUT_TYPES.get(wanted_type))
        cache.put(key, rendered)
    data, mime = rendered
    return Response(data, media_type=mime, headers={"Cache-Control": "private, max-age=60"})


async def put_image(request: Request) -> Response:
    kind, entity_id = _entity(request)
    db = store(request)
    content_type = request.headers.get("content-type", "").split(";")[0].strip().lower()
    if content_type == "multipart/form-data":
        try:
            parts, _fields = await receive_parts(request, db.incoming_path, max_files=1)
        except ClientDisconnect:
            return Response(status_code=400)
        if not parts:
            raise SoError.bad_request(_missing(kind))
        incoming, size = parts[0].path, parts[0].size
    elif content_type in ACCEPTED_TYPES:
        incoming = db.incoming_path()
        try:
            size = await receive_raw(request, incoming)
        except ClientDisconnect:
            return Response(status_code=400)
    else:
        await drain(request)
        raise SoError(
            415,
            "UnsupportedMediaTypeException",
            f"Content-Type {content_type or '(none)'!r} is not an image type: "
            "send image/png, image/jpeg, image/gif or image/tiff, or multipart/form-data.",
        )
    return await _store_image(db, kind, entity_id, incoming, size)


def _missing(kind: str) -> str:
    if kind == "person":
        return "Image bitmap is missing from body or person id is not valid."
    return "Image bitmap is missing from body."


async def _store_image(db: Store, kind: str, entity_id: int, incoming: Path, size: int) -> Response:
    if size == 0:
        incoming.unlink(missing_ok=True)
        raise SoError.bad_request(_missing(kind))
    info = await run_in_threadpool(imaging.inspect, incoming, formats=ACCEPTED_FORMATS)
    if info is None:
        incoming.unlink(missing_ok=True)
        raise SoError.bad_request("The image is not a GIF, TIFF, PNG or JPG bitmap.", "InvalidImageException")
    blob_id = await run_in_threadpool(db.set_image, kind, entity_id, incoming, info.mime_type, size)
    return json_response(blob_id)


def delete_image(request: Request) -> Response:
    kind, entity_id = _entity(request)
    store(request).delete_image(kind, entity_id)
    return Response(status_code=204)


def image_info(request: Request) -> Response:
    kind, entity_id = _entity(request)
    row = store(request).image(kind, entity_id)
    if row is None:  # always 200, with empty properties (get-person-image-options)
        empty = {"BlobId": 0, "BlobSize": 0, "Description": "", "ExtraInfo": "", "IsEncrypted": False}
        return json_response({**empty, "IsZipped": False, "MimeType": "", "OriginalSize": 0, "ConceptualType": ""})
    return json_response(
        {
            "BlobId": row["blob_id"],
            "BlobSize": row["size"],
            "Description": "",
            "ExtraInfo": "",
            "IsEncrypted": False,
            "IsZipped": False,
            "MimeType": row["mime"],
            "OriginalSize": row["size"],
            "CreatedDate": row["updated"],
            "UpdatedDate": row["updated"],
            "CreatedBy": None,
            "UpdatedBy": None,
            "ConceptualType": CONCEPTUAL[kind],
            "TableRight": None,
            "FieldProperties": {},
        }
    )


def _for(kind: str, handler: Callable[[Request], Any]) -> Callable[[Request], Any]:
    async def bound(request: Request) -> Response:
        request.path_params["kind"] = kind
        result = handler(request)
        return await result if inspect.isawaitable(result) else result

    return bound


ROUTES = [
    route
    for kind in LABELS
    for route in (
        Route(f"{V1}/{kind}/{{id:int}}/image", _for(kind, get_image), methods=["GET"]),
        Route(f"{V1}/{kind}/{{id:int}}/image", _for(kind, put_image), methods=["PUT", "POST"]),
        Route(f"{V1}/{kind}/{{id:int}}/image", _for(kind, delete_image), methods=["DELETE"]),
        Route(f"{V1}/{kind}/{{id:int}}/imageinfo", _for(kind, image_info), methods=["GET"]),
    )
]
