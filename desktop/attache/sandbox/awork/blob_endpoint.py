"""The sandbox's stand-in for Azure's Put Blob: `PUT /blob/{container}/{uploadId}?se=…&sig=…`.

It keeps Azure's rules a client must cope with: `x-ms-blob-type: BlockBlob` is required (400),
a Content-Length is required (411), an expired or forged SAS is refused (403
AuthenticationFailed), success is 201 with an ETag and Content-MD5, errors are Azure's XML.
The body is streamed to disk and registered only once every byte has arrived, so a client
that disconnects half-way leaves nothing behind that could be linked.
"""

from __future__ import annotations

import base64
import hashlib
import uuid
from datetime import UTC, datetime
from email.utils import format_datetime
from xml.sax.saxutils import escape

from starlette.requests import ClientDisconnect, Request
from starlette.responses import Response

from attache.sandbox.awork.blobs import SAS_VERSION, OwnBlobs
from attache.sandbox.awork.store import Store


def azure_error(status: int, code: str, message: str, **extra: str) -> Response:
    request_id = str(uuid.uuid4())
    now = datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%S.%f") + "0Z"
    details = "".join(f"<{k}>{escape(v)}</{k}>" for k, v in extra.items())
    body = (
        '<?xml version="1.0" encoding="utf-8"?>'
        f"<Error><Code>{code}</Code><Message>{escape(message)}\nRequestId:{request_id}\nTime:{now}</Message>"
        f"{details}</Error>"
    )
    headers = {"x-ms-error-code": code, "x-ms-request-id": request_id, "x-ms-version": SAS_VERSION}
    return Response(body.encode(), status, headers=headers, media_type="application/xml")


async def put_blob(request: Request) -> Response:
    blobs = request.app.state.blobs
    store: Store = request.app.state.store
    container, upload_id = request.path_params["container"], request.path_params["upload_id"]
    if not isinstance(blobs, OwnBlobs) or container != blobs.container:
        return azure_error(404, "ContainerNotFound", "The specified container does not exist.")
    reason = blobs.check(container, upload_id, request.query_params)
    if reason:
        return azure_error(
            403,
            "AuthenticationFailed",
            "Server failed to authenticate the request. Make sure the value of Authorization header is formed "
            "correctly including the signature.",
            AuthenticationErrorDetail=reason,
        )
    blob_type = request.headers.get("x-ms-blob-type")
    if blob_type is None:
        return azure_error(
            400,
            "MissingRequiredHeader",
            "An HTTP header that's mandatory for this request is not specified.",
            HeaderName="x-ms-blob-type",
        )
    if blob_type != "BlockBlob":
        return azure_error(
            400,
            "InvalidHeaderValue",
            "The value for one of the HTTP headers is not in the correct format.",
            HeaderName="x-ms-blob-type",
            HeaderValue=blob_type,
        )
    raw_length = request.headers.get("content-length")
    if raw_length is None:
        return azure_error(411, "MissingContentLengthHeader", "Content-Length HTTP header is missing.")
    upload = store.get_upload(upload_id)
    if upload is None:
        return azure_error(404, "BlobNotFound", "The specified blob does not exist.")
    if upload["state"] not in ("pending", "complete"):
        return azure_error(409, "BlobImmutable", "This upload was already linked and cannot be changed.")

    incoming = store.incoming_path(f"{upload_id}-")
    digest, size = hashlib.md5(usedforsecurity=False), 0
    try:
        with incoming.open("wb") as out:
            async for chunk in request.stream():
                out.write(chunk)
                digest.update(chunk)
                size += len(chunk)
    except ClientDisconnect:
        incoming.unlink(missing_ok=True)
        return Response(status_code=400)  # nobody is listening any more
    except BaseException:
        incoming.unlink(missing_ok=True)
        raise
    md5 = base64.b64encode(digest.digest()).decode()
    if size != int(raw_length):
        incoming.unlink(missing_ok=True)
        return azure_error(400, "InvalidInput", "The body is shorter than its Content-Length.")
    sent_md5 = request.headers.get("content-md5")
    if sent_md5 and sent_md5 != md5:
        incoming.unlink(missing_ok=True)
        return azure_error(
            400,
            "Md5Mismatch",
            "The MD5 value specified in the request did not match with the MD5 value calculated by the server.",
            UserSpecifiedMd5=sent_md5,
            ServerCalculatedMd5=md5,
        )
    content_type = request.headers.get("x-ms-blob-content-type") or request.headers.get("content-type")
    if not store.complete_upload(upload_id, incoming, size=size, md5=md5, content_type=content_type):
        return azure_error(409, "BlobImmutable", "This upload was already linked and cannot be changed.")
    now = datetime.now(UTC)
    return Response(
        status_code=201,
        headers={
            "ETag": f'"0x8D{uuid.uuid4().hex[:13].upper()}"',
            "Last-Modified": format_datetime(now, usegmt=True),
            "Content-MD5": md5,
            "x-ms-request-id": str(uuid.uuid4()),
            "x-ms-version": SAS_VERSION,
            "x-ms-request-server-encrypted": "true",
        },
    )
