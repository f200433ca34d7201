"""The sandbox's stand-in for Azure's blob endpoint at `/blob/{container}/{uploadId}?se=…&sig=…`:
Put Blob (`PUT`), and for block uploads Put Block (`PUT ?comp=block&blockid=…`), Get Block List
(`GET ?comp=blocklist&blocklisttype=committed|uncommitted|all`) and Put Block List (`PUT
?comp=blocklist`, XML `<BlockList><Latest|Uncommitted|Committed>id</…>…</BlockList>`).

It keeps Azure's rules a client must cope with: `x-ms-blob-type: BlockBlob` is required on Put Blob
(400), a Content-Length is required (411), an expired or forged SAS is refused (403
AuthenticationFailed), a SAS without read permission may not list blocks (403
AuthorizationPermissionMismatch), block ids are base64 of at most 64 bytes and all of one length
per blob (400 InvalidQueryParameterValue), a list naming a block that is not there is refused (400
InvalidBlockList), a blob without blocks is 404 BlobNotFound, success is 201 with an ETag and the
body's Content-MD5 (a Content-MD5 sent with Put Blob or Put Block must match: 400 Md5Mismatch; a
block list's blob gets no MD5 but the x-ms-blob-content-md5 sent, as in Azure), errors are Azure's
XML. Put Block hashes a block only when the request carries a Content-MD5 (to check it, and echo
it), as Azure does since version 2019-02-02; without one, Azure echoes a CRC64 instead, which the
sandbox does not compute (no client of ours reads it). A committed block list copies no bytes, as
in Azure: the block files become the blob's parts and are joined on its first read
(`SqliteBlobStore.adopt_parts`). Bodies are streamed to disk and registered only once every byte
has arrived, so a client that disconnects half-way leaves nothing behind that could be linked.
`OwnBlobs.received` counts the body bytes that arrived (tests compare it to the file's size).
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import os
import re
import shutil
import uuid
import xml.etree.ElementTree as ET
from datetime import UTC, datetime
from email.utils import format_datetime
from pathlib import Path
from xml.sax.saxutils import escape

from starlette.requests import ClientDisconnect, Request
from starlette.responses import Response

from attache.sandbox.awork.blobs import SAS_VERSION, OwnBlobs
from attache.sandbox.awork.store import Store
from attache.sandbox.common.store import append_file


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


def _refused(request: Request, *, read: bool = False) -> Response | None:
    """Azure's answer when the container or the SAS does not allow this request, else None."""
    blobs = request.app.state.blobs
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
    if read and "r" not in request.query_params.get("sp", ""):
        return azure_error(
            403, "AuthorizationPermissionMismatch", "This request is not authorized to perform this operation."
        )
    return None


async def blob(request: Request) -> Response:
    """One route, Azure's operations told apart by `comp`."""
    comp = request.query_params.get("comp")
    if request.method == "GET":
        if comp == "blocklist":
            return get_block_list(request)
        return azure_error(400, "UnsupportedQueryParameter", "This sandbox reads only block lists.")
    if comp == "block":
        return await put_block(request)
    if comp == "blocklist":
        return await put_block_list(request)
    return await put_blob(request)


async def put_blob(request: Request) -> Response:
    blobs = request.app.state.blobs
    store: Store = request.app.state.store
    upload_id = request.path_params["upload_id"]
    refused = _refused(request)
    if refused is not None:
        return refused
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
    received = await _receive(request, blobs, incoming)
    if received is None:
        return Response(status_code=400)  # nobody is listening any more
    size, md5 = received
    if size != int(raw_length):
        incoming.unlink(missing_ok=True)
        return azure_error(400, "InvalidInput", "The body is shorter than its Content-Length.")
    mismatch = _md5_mismatch(request, md5, incoming)
    if mismatch is not None:
        return mismatch
    content_type = request.headers.get("x-ms-blob-content-type") or request.headers.get("content-type")
    if not store.complete_upload(upload_id, incoming, size=size, md5=md5, content_type=content_type):
        return azure_error(409, "BlobImmutable", "This upload was already linked and cannot be changed.")
    _drop_blocks(store, upload_id)  # Put Blob replaces the blob and discards uncommitted blocks
    return _created(md5)


def _md5_mismatch(request: Request, md5: str, incoming: Path) -> Response | None:
    """Azure's refusal of a body whose Content-MD5 is not its own (the body is dropped)."""
    sent_md5 = request.headers.get("content-md5")
    if not sent_md5 or sent_md5 == md5:
        return None
    incoming.unlink(missing_ok=True)
    return azure_error(
        400,
        "Md5Mismatch",
        "The MD5 value specified in the request did not match with the MD5 value calculated by the server.",
        UserSpecifiedMd5=sent_md5,
        ServerCalculatedMd5=md5,
    )


def _created(md5: str | None = None) -> Response:
    headers = {
        "ETag": f'"0x8D{uuid.uuid4().hex[:13].upper()}"',
        "Last-Modified": format_datetime(datetime.now(UTC), usegmt=True),
        "x-ms-request-id": str(uuid.uuid4()),
        "x-ms-version": SAS_VERSION,
        "x-ms-request-server-encrypted": "true",
    }
    if md5 is not None:
        headers["Content-MD5"] = md5
    return Response(status_code=201, headers=headers)


async def _receive(request: Request, blobs: OwnBlobs, target: Path, *, md5: bool = True) -> tuple[int, str] | None:
    """Stream the body to `target`: (size, base64 MD5, or "" when not `md5`), or None (and
    nothing left) on a disconnect."""
    digest, size = hashlib.md5(usedforsecurity=False) if md5 else None, 0
    try:
        with target.open("wb") as out:
            async for chunk in request.stream():
                out.write(chunk)
                if digest is not None:
                    digest.update(chunk)
                size += len(chunk)
                blobs.received += len(chunk)
    except ClientDisconnect:
        target.unlink(missing_ok=True)
        return None
    except BaseException:
        target.unlink(missing_ok=True)
        raise
    return size, base64.b64encode(digest.digest()).decode() if digest is not None else ""


# ---- blocks: uncommitted ones live in blocks/{uploadId}/{hex of the id}, the order in a list file


def _block_dir(store: Store, upload_id: str) -> Path:
    return store.data_dir / "blocks" / upload_id


def _drop_blocks(store: Store, upload_id: str) -> None:
    shutil.rmtree(_block_dir(store, upload_id), ignore_errors=True)


def _decoded_id(raw: str | None) -> bytes | None:
    if not raw:
        return None
    try:
        decoded = base64.b64decode(raw, validate=True)
    except (binascii.Error, ValueError):
        return None
    return decoded if 0 < len(decoded) <= 64 else None


def _bad_id(raw: str | None) -> Response:
    return azure_error(
        400,
        "InvalidQueryParameterValue",
        "Value for one of the query parameters specified in the request URI is invalid.",
        QueryParameterName="blockid",
        QueryParameterValue=raw or "",
    )


def _uncommitted(store: Store, upload_id: str) -> dict[bytes, Path]:
    folder = _block_dir(store, upload_id)
    if not folder.is_dir():
        return {}
    return {bytes.fromhex(path.name): path for path in folder.iterdir() if re.fullmatch(r"[0-9a-f]+", path.name)}


def _committed(store: Store, upload_id: str) -> list[tuple[bytes, int]]:
    listing = _block_dir(store, upload_id).with_suffix(".committed")
    if not listing.is_file():
        return []
    entries = []
    for line in listing.read_text().split():
        block, _, size = line.partition(":")
        entries.append((bytes.fromhex(block), int(size)))
    return entries


async def put_block(request: Request) -> Response:
    blobs = request.app.state.blobs
    store: Store = request.app.state.store
    upload_id = request.path_params["upload_id"]
    refused = _refused(request)
    if refused is not None:
        return refused
    raw_id = request.query_params.get("blockid")
    block = _decoded_id(raw_id)
    if block is None:
        return _bad_id(raw_id)
    if request.headers.get("content-length") is None:
        return azure_error(411, "MissingContentLengthHeader", "Content-Length HTTP header is missing.")
    upload = store.get_upload(upload_id)
    if upload is None:
        return azure_error(404, "BlobNotFound", "The specified blob does not exist.")
    if upload["state"] not in ("pending", "complete"):
        return azure_error(409, "BlobImmutable", "This upload was already linked and cannot be changed.")
    held = _uncommitted(store, upload_id)
    if any(len(other) != len(block) for other in held):
        return azure_error(
            400, "InvalidBlobOrBlock", "The specified blob or block content is invalid (block ids differ in length)."
        )
    incoming = store.incoming_path(f"{upload_id}-block-")
    received = await _receive(request, blobs, incoming, md5="content-md5" in request.headers)
    if received is None:
        return Response(status_code=400)
    size, md5 = received
    if size != int(request.headers["content-length"]):
        incoming.unlink(missing_ok=True)
        return azure_error(400, "InvalidInput", "The body is shorter than its Content-Length.")
    mismatch = _md5_mismatch(request, md5, incoming)
    if mismatch is not None:
        return mismatch
    folder = _block_dir(store, upload_id)
    folder.mkdir(parents=True, exist_ok=True)
    os.replace(incoming, folder / block.hex())
    return _created(md5 or None)


def get_block_list(request: Request) -> Response:
    store: Store = request.app.state.store
    upload_id = request.path_params["upload_id"]
    refused = _refused(request, read=True)
    if refused is not None:
        return refused
    kind = request.query_params.get("blocklisttype", "committed").lower()
    if kind not in ("committed", "uncommitted", "all"):
        return azure_error(400, "InvalidQueryParameterValue", "blocklisttype must be committed, uncommitted or all.")
    committed, uncommitted = _committed(store, upload_id), _uncommitted(store, upload_id)
    if not committed and not uncommitted:
        return azure_error(404, "BlobNotFound", "The specified blob does not exist.")

    def listing(entries: list[tuple[bytes, int]]) -> str:
        return "".join(
            f"<Block><Name>{base64.b64encode(block).decode()}</Name><Size>{size}</Size></Block>"
            for block, size in entries
        )

    parts = []
    if kind in ("committed", "all"):
        parts.append(f"<CommittedBlocks>{listing(committed)}</CommittedBlocks>")
    if kind in ("uncommitted", "all"):
        held = sorted(uncommitted.items(), key=lambda item: item[1].stat().st_mtime_ns)
        parts.append(f"<UncommittedBlocks>{listing([(b, p.stat().st_size) for b, p in held])}</UncommittedBlocks>")
    body = f'<?xml version="1.0" encoding="utf-8"?><BlockList>{"".join(parts)}</BlockList>'
    headers = {"x-ms-request-id": str(uuid.uuid4()), "x-ms-version": SAS_VERSION}
    return Response(body.encode(), 200, headers=headers, media_type="application/xml")


MAX_BLOCK_LIST_BYTES = 4 * 1024 * 1024


async def put_block_list(request: Request) -> Response:
    store: Store = request.app.state.store
    upload_id = request.path_params["upload_id"]
    refused = _refused(request)
    if refused is not None:
        return refused
    upload = store.get_upload(upload_id)
    if upload is None:
        return azure_error(404, "BlobNotFound", "The specified blob does not exist.")
    body = b""
    async for chunk in request.stream():
        body += chunk
        if len(body) > MAX_BLOCK_LIST_BYTES:
            return azure_error(413, "RequestBodyTooLarge", "The request body is too large.")
    if b"<!DOCTYPE" in body or b"<!ENTITY" in body:
        return azure_error(400, "InvalidXmlDocument", "XML specified is not syntactically valid.")
    try:
        root = ET.fromstring(body)
    except ET.ParseError:
        return azure_error(400, "InvalidXmlDocument", "XML specified is not syntactically valid.")
    uncommitted = _uncommitted(store, upload_id)
    committed = dict(_committed(store, upload_id))
    order: list[tuple[bytes, Path | None, int]] = []
    for element in root:
        block = _decoded_id((element.text or "").strip())
        where = element.tag
        path = uncommitted.get(block) if block is not None and where in ("Latest", "Uncommitted") else None
        if path is not None:
            order.append((block, path, path.stat().st_size))  # type: ignore[arg-type]
        elif block is not None and where in ("Latest", "Committed") and block in committed:
            order.append((block, None, committed[block]))
        else:
            return azure_error(400, "InvalidBlockList", "The specified block list is invalid.")
    if any(path is None for _block, path, _size in order):
        # The committed blocks again: a repeated commit (its first answer was lost) changes nothing.
        if [(block, size) for block, _path, size in order] == _committed(store, upload_id):
            return _created()
        # Otherwise Azure would mix committed and new blocks: this sandbox keeps only the blob's bytes.
        return azure_error(400, "InvalidBlockList", "This sandbox commits only uncommitted blocks.")
    paths: list[Path] = [path for _block, path, _size in order]  # type: ignore[misc]
    size = sum(part_size for _block, _path, part_size in order)
    if len(set(paths)) == len(paths):
        # The blocks become the blob's parts where they are (Azure's commit copies no bytes either).
        blob: Path | list[Path] = paths
    else:  # a block named twice: its bytes go in twice
        blob = store.incoming_path(f"{upload_id}-commit-")
        with blob.open("wb") as out:
            for path in paths:
                with path.open("rb") as part:
                    append_file(part, out)
    content_type = request.headers.get("x-ms-blob-content-type")
    # Azure computes no MD5 of a blob made from blocks (each block's was checked as it came): the
    # blob keeps the one the client sends, if any.
    md5 = request.headers.get("x-ms-blob-content-md5") or ""
    if not store.complete_upload(upload_id, blob, size=size, md5=md5, content_type=content_type):
        return azure_error(409, "BlobImmutable", "This upload was already linked and cannot be changed.")
    # Committing discards every uncommitted block; the committed list is what Get Block List shows.
    _drop_blocks(store, upload_id)
    listing = _block_dir(store, upload_id).with_suffix(".committed")
    listing.parent.mkdir(parents=True, exist_ok=True)
    listing.write_text(" ".join(f"{block.hex()}:{block_size}" for block, _path, block_size in order))
    return _created()
