"""Task files (awork.md §5.1): list, metadata, delete, download, multipart upload, linking
a three-step upload by its id, and new versions of a file. Same-named uploads make separate files, as in awork."""

from __future__ import annotations

from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from attache.sandbox.awork import imaging, shapes
from attache.sandbox.awork.errors import ApiError
from attache.sandbox.awork.query import page_ids, page_request
from attache.sandbox.awork.routes_uploads import claim_upload, release_upload
from attache.sandbox.awork.store import Store
from attache.sandbox.awork.web import (
    FILE_LIMIT,
    content_disposition,
    flag,
    guess_mime,
    json_response,
    list_response,
    number,
    read_upload_form,
    receive_file,
    store_of,
    user_of,
)
from attache.sandbox.common.web import file_response


def _task(request: Request) -> tuple[Store, str]:
    store, task_id = store_of(request), request.path_params["task_id"]
    if not store.exists("tasks", task_id):
        raise ApiError.not_found("The task was not found.", f"No task with the id '{task_id}' exists.")
    return store, task_id


def _file_not_found(file_id: str) -> ApiError:
    return ApiError.not_found("The file was not found.", f"No file with the id '{file_id}' exists.")


def list_files(request: Request) -> Response:
    store, task_id = _task(request)
    page = page_request(request.query_params)
    rowids, total = page_ids(store, shapes.TASK_FILES, page, "f.task_id = ?", (task_id,))
    return list_response(shapes.file_infos(store, rowids), page, total)


def _file_info(store: Store, task_id: str, file_id: str) -> dict:
    row = store.task_file(task_id, file_id)
    if row is None:
        raise _file_not_found(file_id)
    return shapes.task_file_info(row, store.versions_of([file_id])[file_id])


def get_file(request: Request) -> Response:
    store, task_id = _task(request)
    return json_response(_file_info(store, task_id, request.path_params["file_id"]))


def delete_file(request: Request) -> Response:
    store, task_id = _task(request)
    file_id = request.path_params["file_id"]
    if not store.delete_task_file(task_id, file_id, user_of(request)):
        raise _file_not_found(file_id)
    return Response(status_code=204)


async def _download(
    request: Request, store: Store, file_name: str, mime: str, blob_id: str, width: int | None, height: int | None
) -> Response:
    path = await run_in_threadpool(store.blob_path, blob_id)  # a blob of blocks is joined on its first read
    inline = bool(flag(request, "inline", False))
    headers = {"Content-Disposition": content_disposition(file_name, inline)}
    want_w, want_h = number(request, "width"), number(request, "height")
    if width and height and (want_w or want_h):
        crop, enlarge = bool(flag(request, "crop", False)), bool(flag(request, "enlarge", True))
        size = imaging.target_size((width, height), want_w, want_h, crop=crop, enlarge=enlarge)
        if size is not None:
            data, mime = await run_in_threadpool(imaging.resize, path, size, crop=crop)
            return Response(data, headers=headers, media_type=mime)
    return file_response(path, headers=headers, media_type=mime)


async def download_task_file(request: Request) -> Response:
    store, task_id = _task(request)
    file_id = request.path_params["file_id"]
    row = store.task_file(task_id, file_id)
    version = store.latest_version(file_id) if row else None
    if row is None or version is None:
        raise _file_not_found(file_id)
    return await _download(
        request, store, row["file_name"], row["mime_type"], version["blob"], version["width"], version["height"]
    )


async def download_any_file(request: Request) -> Response:
    """`GET /files/{fileId}/download`: any file by id, task file or profile image."""
    store, file_id = store_of(request), request.path_params["file_id"]
    row = store.read_one("SELECT * FROM files WHERE id=?", (file_id,))
    if row is not None:
        version = store.latest_version(file_id)
        if version is not None:
            return await _download(
                request, store, row["file_name"], row["mime_type"], version["blob"], version["width"], version["height"]
            )
    image = store.image_by_file_id(file_id)
    if image is None:
        raise _file_not_found(file_id)
    return await _download(
        request, store, image["file_name"], image["mime_type"], image["blob"], image["width"], image["height"]
    )


async def upload_file(request: Request) -> Response:
    store, task_id = _task(request)
    received = await receive_file(request, FILE_LIMIT)
    try:
        info = await run_in_threadpool(imaging.inspect, received.path, verify=False)
        blob_id = store.adopt_blob(received.path)
    finally:
        received.path.unlink(missing_ok=True)
    with store.transaction() as db:
        file_id = store.add_task_file(
            db,
            task_id,
            blob_id,
            name=received.fields.get("name") or received.filename,
            file_name=received.filename,
            description=received.fields.get("description"),
            mime_type=info.mime_type if info else guess_mime(received.filename, received.content_type),
            size=received.size,
            width=info.width if info else None,
            height=info.height if info else None,
            user_id=user_of(request),
        )
        store.touch(db, "tasks", task_id, user_of(request))
    return json_response(_file_info(store, task_id, file_id))


async def file_by_upload_id(request: Request) -> Response:
    form = await read_upload_form(request)
    store, task_id = _task(request)
    upload_id, file_name = form["uploadId"], form["fileName"]
    claim = await claim_upload(request, upload_id)
    fetched = claim.blob
    try:
        # The head is enough to tell an image's size: a blob of blocks is not joined for it.
        info = await run_in_threadpool(imaging.inspect, store.blob_head_path(fetched.blob_id), verify=False)
        with store.transaction() as db:
            file_id = store.add_task_file(
                db,
                task_id,
                fetched.blob_id,
                name=file_name,
                file_name=file_name,
                description=form.get("description"),
                mime_type=info.mime_type if info else guess_mime(file_name, fetched.content_type),
                size=fetched.size,
                width=info.width if info else None,
                height=info.height if info else None,
                user_id=user_of(request),
            )
            store.mark_linked(db, upload_id, file_id)
            store.touch(db, "tasks", task_id, user_of(request))
    except BaseException:
        release_upload(request, upload_id, claim)
        raise
    return json_response(_file_info(store, task_id, file_id))


def _task_file(request: Request) -> tuple[Store, str, str]:
    store, task_id = _task(request)
    file_id = request.path_params["file_id"]
    if store.task_file(task_id, file_id) is None:
        raise _file_not_found(file_id)
    return store, task_id, file_id


def list_versions(request: Request) -> Response:
    store, _task_id, file_id = _task_file(request)
    versions = store.versions_of([file_id])[file_id]
    page = page_request(request.query_params)
    start = (page.page - 1) * page.size
    return list_response([shapes.file_version(v) for v in versions[start : start + page.size]], page, len(versions))


async def upload_version(request: Request) -> Response:
    """A new version of the file (awork.md §5.1): the download then returns it."""
    store, task_id, file_id = _task_file(request)
    received = await receive_file(request, FILE_LIMIT)
    try:
        info = await run_in_threadpool(imaging.inspect, received.path, verify=False)
        blob_id = store.adopt_blob(received.path)
    finally:
        received.path.unlink(missing_ok=True)
    with store.transaction() as db:
        version_id = store.add_file_version(
            db,
            file_id,
            blob_id,
            size=received.size,
            width=info.width if info else None,
            height=info.height if info else None,
            user_id=user_of(request),
        )
        store.touch(db, "tasks", task_id, user_of(request))
    version = store.read_one("SELECT * FROM file_versions WHERE id=?", (version_id,))
    return json_response(shapes.file_version(version))


ROUTES = [
    Route("/tasks/{task_id}/files", list_files, methods=["GET"]),
    Route("/tasks/{task_id}/files", upload_file, methods=["POST"]),
    Route("/tasks/{task_id}/files/byuploadid", file_by_upload_id, methods=["POST"]),
    Route("/tasks/{task_id}/files/{file_id}", get_file, methods=["GET"]),
    Route("/tasks/{task_id}/files/{file_id}", delete_file, methods=["DELETE"]),
    Route("/tasks/{task_id}/files/{file_id}/versions", list_versions, methods=["GET"]),
    Route("/tasks/{task_id}/files/{file_id}/versions", upload_version, methods=["POST"]),
    Route("/tasks/{task_id}/files/{file_id}/download", download_task_file, methods=["GET"]),
    Route("/files/{file_id}/download", download_any_file, methods=["GET"]),
]
