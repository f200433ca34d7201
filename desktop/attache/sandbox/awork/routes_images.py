"""Profile images: `GET|POST|DELETE /files/images/{entityName}/{entityId}` and `…/byuploadid`
(awork.md §4). A change of image bumps the entity's updatedOn/resourceVersion, which clients
use as the cache key for the picture."""

from __future__ import annotations

from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import FileResponse, Response
from starlette.routing import Route

from attache.sandbox.awork import imaging, shapes
from attache.sandbox.awork.errors import ApiError
from attache.sandbox.awork.routes_uploads import claim_upload, release_upload
from attache.sandbox.awork.store import IMAGE_ENTITIES, Store
from attache.sandbox.awork.web import (
    IMAGE_LIMIT,
    flag,
    json_response,
    number,
    read_upload_form,
    receive_file,
    store_of,
    user_of,
)

NOT_AN_IMAGE = "The file is not an image awork accepts (PNG, JPEG, GIF, WebP or BMP)."


def _entity(request: Request) -> tuple[Store, str, str]:
    store = store_of(request)
    name, entity_id = request.path_params["entity_name"], request.path_params["entity_id"]
    entity = IMAGE_ENTITIES.get(name)
    if entity is None or not store.exists(entity[0], entity_id):
        raise ApiError.not_found("The entity was not found.", f"No {name} with the id '{entity_id}' exists.")
    return store, name, entity_id


def _etag_matches(header: str | None, etag: str) -> bool:
    if not header:
        return False
    tags = [t.strip().removeprefix("W/") for t in header.split(",")]
    return "*" in tags or etag in tags


async def get_image(request: Request) -> Response:
    store, name, entity_id = _entity(request)
    image = store.get_image(name, entity_id)
    if image is None:
        raise ApiError.not_found("There is no image for this entity.")
    width, height, crop = number(request, "width"), number(request, "height"), bool(flag(request, "crop", False))
    size = imaging.target_size((image["width"], image["height"]), width, height, crop=crop)
    etag = f'"{image["etag"]}"' if size is None else f'"{image["etag"]}-{size[0]}x{size[1]}{"c" if crop else ""}"'
    headers = {"ETag": etag, "Cache-Control": "private, no-cache"}
    if _etag_matches(request.headers.get("if-none-match"), etag):
        return Response(status_code=304, headers=headers)
    path = store.blob_path(image["blob"])
    if size is None:
        return FileResponse(path, headers=headers, media_type=image["mime_type"], content_disposition_type="inline")
    cache = request.app.state.render_cache
    rendered = cache.get(etag)
    if rendered is None:
        rendered = await run_in_threadpool(imaging.resize, path, size, crop=crop)
        cache.put(etag, rendered)
    return Response(rendered[0], headers=headers, media_type=rendered[1])


async def post_image(request: Request) -> Response:
    store, name, entity_id = _entity(request)
    received = await receive_file(request, IMAGE_LIMIT)
    try:
        info = await run_in_threadpool(imaging.inspect, received.path)
        if info is None:
            raise ApiError.validation("File", NOT_AN_IMAGE)
        blob_id = store.adopt_blob(received.path)
    finally:
        received.path.unlink(missing_ok=True)
    image = store.set_image(
        name,
        entity_id,
        blob_id,
        file_name=received.filename,
        mime_type=info.mime_type,
        size=received.size,
        width=info.width,
        height=info.height,
        user_id=user_of(request),
    )
    return json_response(shapes.image_file_info(image))


async def delete_image(request: Request) -> Response:
    store, name, entity_id = _entity(request)
    # Deleting an image that is not there is a success: the entity has no image either way,
    # and a client retrying a DELETE whose answer was lost must not see an error.
    store.delete_image(name, entity_id, user_of(request))
    return Response(status_code=204)


async def image_by_upload_id(request: Request) -> Response:
    form = await read_upload_form(request)
    store, name, entity_id = _entity(request)
    upload_id = form["uploadId"]
    claim = await claim_upload(request, upload_id)
    fetched = claim.blob
    try:
        path = await run_in_threadpool(store.blob_path, fetched.blob_id)  # joins a blob of blocks
        info = await run_in_threadpool(imaging.inspect, path)
        if info is None:
            raise ApiError.validation("File", NOT_AN_IMAGE)
        if fetched.size > IMAGE_LIMIT:
            raise ApiError.too_large(IMAGE_LIMIT)
        image = store.set_image(
            name,
            entity_id,
            fetched.blob_id,
            file_name=form["fileName"],
            mime_type=info.mime_type,
            size=fetched.size,
            width=info.width,
            height=info.height,
            user_id=user_of(request),
            link_upload=upload_id,
        )
    except BaseException:
        release_upload(request, upload_id, claim)
        raise
    return json_response(shapes.image_file_info(image))


ROUTES = [
    Route("/files/images/{entity_name}/{entity_id}", get_image, methods=["GET"]),
    Route("/files/images/{entity_name}/{entity_id}", post_image, methods=["POST"]),
    Route("/files/images/{entity_name}/{entity_id}", delete_image, methods=["DELETE"]),
    Route("/files/images/{entity_name}/{entity_id}/byuploadid", image_by_upload_id, methods=["POST"]),
]
