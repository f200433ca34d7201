"""Steps 1 and 3 of awork's three-step upload (awork.md §5.3): hand out an upload id and URL,
and later consume the uploaded blob exactly once when it is linked to something."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from attache.sandbox.awork.blobs import FetchedBlob
from attache.sandbox.awork.errors import ApiError
from attache.sandbox.awork.store import iso
from attache.sandbox.awork.web import json_response, store_of


def generate_upload_url(request: Request) -> Response:
    blobs = request.app.state.blobs
    upload_id = str(uuid.uuid4())
    expires = datetime.now(UTC) + timedelta(seconds=blobs.url_ttl)
    store_of(request).create_upload(upload_id, iso(expires))
    root = str(request.base_url).rstrip("/")
    # The spec's key is `uploadURL`; the docs' prose shows `uploadUrl`. The spec is generated
    # from the live API, so that is what we send (GenerateUploadUrlResponseModel).
    return json_response({"uploadId": upload_id, "uploadURL": blobs.upload_url(upload_id, root, expires)})


@dataclass(frozen=True, slots=True)
class Claim:
    blob: FetchedBlob
    previous: str  # the upload's state before the claim, restored if linking fails
    fresh_blob: bool  # the blob was fetched for this claim (Azurite), so a failure drops it


async def claim_upload(request: Request, upload_id: str) -> Claim:
    """Take an upload for linking, or raise the error awork would answer."""
    store, blobs = store_of(request), request.app.state.blobs
    previous, row = store.claim_upload(upload_id, blobs.linkable_states)
    if previous == "missing":
        raise ApiError.not_found("The upload was not found.", f"No upload with the id '{upload_id}' exists.")
    if previous == "linked":
        raise ApiError(
            400,
            "invalid-operation",
            f"The upload '{upload_id}' was already linked to a file and cannot be "
            "linked again. Request a new upload URL.",
            details=["upload-already-linked"],
        )
    if previous == "linking":
        raise ApiError(400, "invalid-operation", f"The upload '{upload_id}' is being linked right now.")
    if previous not in blobs.linkable_states:
        raise ApiError.not_found(
            "The upload was not found.",
            f"No finished upload with the id '{upload_id}' exists; PUT the file to the upload URL first.",
        )
    try:
        fetched = await blobs.fetch(upload_id, row)
    except BaseException:
        store.release_upload(upload_id, previous)
        raise
    if fetched is None:
        store.release_upload(upload_id, previous)
        raise ApiError.not_found("The upload was not found.", f"Nothing was uploaded for the upload id '{upload_id}'.")
    return Claim(fetched, previous, fetched.blob_id != row["blob"])


def release_upload(request: Request, upload_id: str, claim: Claim) -> None:
    """Linking failed: the upload can be linked again later."""
    store = store_of(request)
    store.release_upload(upload_id, claim.previous)
    if claim.fresh_blob:
        store.drop_blobs([claim.blob.blob_id])


ROUTES = [Route("/files/generateuploadurl", generate_upload_url, methods=["POST"])]
