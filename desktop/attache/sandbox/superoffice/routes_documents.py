"""Documents (superoffice.md §4): a document record first (`POST /Document`, linked to a company,
person, project and/or appointment, with a template), then its content (`PUT …/Content`, the raw
file, streamed to disk). Between the two the document exists with no content: a client that
stops there leaves an empty document behind, and the sandbox keeps it visible.

Readings of the open questions, the ones a client must survive:
- a DocumentTemplate is required and must be live (not deleted): 400 otherwise (question 6);
- `Name` is the file name and the server amends it: characters Windows refuses in a file name
  become `_`, and a name another document has gets a number, "report (1).pdf" (all documents
  share the archive folder) — the answer's `Name` is the one to show;
- a person without a company takes the person's company;
- an appointment link is `Links: [{"EntityName": "appointment", "Id": N}]` (question 5);
- content over the limit (CRM Online: 94.4 MB, the plug-in's `max_document_size`) is 413 with
  the error body, decided from Content-Length or, without one, once the body passes it;
- `GET …/Content` answers the raw bytes only for an explicit binary Accept (e.g.
  `binary/octet-stream`, `application/octet-stream`); otherwise, JSON being the WebAPI's first
  formatter, a JSON string with the bytes in base64 (question 7).
"""

from __future__ import annotations

import base64
import re
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime
from typing import Any

from starlette.concurrency import run_in_threadpool
from starlette.requests import ClientDisconnect, Request
from starlette.responses import Response
from starlette.routing import Route

from attache.sandbox.common.web import (
    BodyTooLarge,
    drain,
    file_response,
    guess_mime,
    json_response,
    receive_parts,
    receive_raw,
)
from attache.sandbox.superoffice import shapes
from attache.sandbox.superoffice.errors import SoError
from attache.sandbox.superoffice.routes_entities import not_modified
from attache.sandbox.superoffice.seed import DEFAULT_TEMPLATE
from attache.sandbox.superoffice.store import now_date
from attache.sandbox.superoffice.web import V1, api_url, me, option, query, store

_UNSAFE = re.compile(r'[\x00-\x1f\x7f<>:"/\\|?*]')
MAX_NAME = 254
_TEXT_TYPES = ("application/json", "text/json", "application/xml", "text/xml", "*/*")


def _document_row(request: Request) -> Any:
    document_id = request.path_params["id"]
    row = store(request).document(document_id)
    if row is None:
        raise SoError.not_found("Document", document_id)
    return row


def _unmodified_since(request: Request, updated: str) -> None:
    """A stale `If-Unmodified-Since` (older than the last change) stops the write: 412."""
    header = request.headers.get("if-unmodified-since")
    if not header:
        return
    try:
        since = parsedate_to_datetime(header)
    except (TypeError, ValueError):
        raise SoError.bad_request("If-Unmodified-Since is not an HTTP date.") from None
    if since.tzinfo is None:
        since = since.replace(tzinfo=UTC)
    if datetime.fromisoformat(updated).replace(tzinfo=UTC) > since:
        raise SoError(
            412, "SoPreconditionFailedException", "The document has changed since the If-Unmodified-Since time."
        )


def _id_of(value: Any, key: str) -> int | None:
    if isinstance(value, dict):
        value = value.get(key)
    if value in (None, 0, ""):
        return None
    if isinstance(value, bool) or not isinstance(value, int):
        raise SoError.bad_request(f"{key} must be a whole number.")
    return value


def safe_name(name: str) -> str:
    cleaned = _UNSAFE.sub("_", name).strip().rstrip(".")
    return cleaned[:MAX_NAME]


async def _json_body(request: Request) -> dict[str, Any]:
    try:
        body = await request.json()
    except ValueError:
        raise SoError.bad_request("Entity to save is not in request body") from None
    if not isinstance(body, dict):
        raise SoError.bad_request("Entity to save is not in request body")
    return body


def _links_from(request: Request, body: dict[str, Any]) -> dict[str, int | None]:
    """The entities a document body names, each checked to exist."""
    db = store(request)
    linked: dict[str, int | None] = {
        "contact": _id_of(body.get("Contact"), "ContactId"),
        "person": _id_of(body.get("Person"), "PersonId"),
        "project": _id_of(body.get("Project"), "ProjectId"),
        "appointment": None,
    }
    for link in body.get("Links") or []:
        if isinstance(link, dict) and str(link.get("EntityName", "")).lower() == "appointment":
            linked["appointment"] = _id_of(link.get("Id"), "Id")
    for kind, entity_id in linked.items():
        if entity_id is not None and not db.entity_exists(kind, entity_id):
            raise SoError.bad_request(f"{kind.capitalize()} id {entity_id} does not exist.", "SoNotFoundException")
    if linked["person"] is not None and linked["contact"] is None:
        linked["contact"] = db.scalar("SELECT contact_id FROM persons WHERE id=?", (linked["person"],))
    return linked


def _template_id(request: Request, body: dict[str, Any]) -> int:
    template_id = _id_of(body.get("DocumentTemplate"), "DocumentTemplateId")
    if template_id is None:
        raise SoError.bad_request("A document needs a DocumentTemplate (DocumentTemplateId).")
    row = store(request).read_one("SELECT deleted FROM templates WHERE id=?", (template_id,))
    if row is None:
        raise SoError.bad_request(f"DocumentTemplate id {template_id} does not exist.", "SoNotFoundException")
    if row["deleted"]:
        raise SoError.bad_request(f"DocumentTemplate id {template_id} is deleted and cannot be used.")
    return template_id


def _text(body: dict[str, Any], key: str) -> str:
    value = body.get(key)
    if value is None:
        return ""
    if not isinstance(value, str):
        raise SoError.bad_request(f"{key} must be text.")
    return value


def default_document(request: Request) -> Response:
    now = now_date()
    db = store(request)
    template = db.read_one("SELECT * FROM templates WHERE id=?", (DEFAULT_TEMPLATE,))
    return json_response(
        {
            "DocumentId": 0,
            "UpdatedBy": None,
            "CreatedBy": shapes.associate(db, me(request)),
            "Attention": "",
            "Header": "",
            "Name": "",
            "OurRef": "",
            "YourRef": "",
            "CreatedDate": now,
            "UpdatedDate": now,
            "Description": "",
            "DocumentTemplate": shapes.template(template, full=False) if template is not None else None,
            "Person": None,
            "Associate": shapes.associate(db, me(request)),
            "Contact": None,
            "Project": None,
            "Date": now,
            "ExternalRef": "",
            "Completed": "Completed",
            "ActiveLinks": 0,
            "Type": "Document",
            "Links": [],
            "LockSemantics": "None",
            "Sale": None,
            "SuggestedDocumentId": 0,
            "Snum": 0,
            "UserDefinedFields": {},
            "ExtraFields": {},
            "CustomFields": {},
            "IsPublished": False,
            "VisibleFor": [],
            "TableRight": shapes.TABLE_RIGHT,
            "FieldProperties": {},
        }
    )


async def create_document(request: Request) -> Response:
    body = await _json_body(request)
    if _id_of(body.get("DocumentId"), "DocumentId"):
        raise SoError.bad_request("POST creates a document: DocumentId must be 0 (use PUT to change one).")
    template_id = _template_id(request, body)
    linked = _links_from(request, body)
    header = _text(body, "Header").strip()
    name = safe_name(_text(body, "Name")) or safe_name(header)
    if not name:
        raise SoError.bad_request("A document needs a Name (its file name) or a Header.")
    associate = _id_of(body.get("Associate"), "AssociateId") or me(request)
    db = store(request)
    now = now_date()
    with db.transaction() as tx:
        name = db.free_document_name(tx, name)
        cursor = tx.execute(
            "INSERT INTO documents(header, name, description, our_ref, your_ref, external_ref, template_id,"
            " associate_id, contact_id, person_id, project_id, appointment_id, date, created, updated)"
            " VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?,?)",
            (
                header or name,
                name,
                _text(body, "Description"),
                _text(body, "OurRef"),
                _text(body, "YourRef"),
                _text(body, "ExternalRef"),
                template_id,
                associate,
                linked["contact"],
                linked["person"],
                linked["project"],
                linked["appointment"],
                now,
                now,
                now,
            ),
        )
        document_id = int(cursor.lastrowid or 0)
    row = db.document(document_id)
    assert row is not None, "created in the transaction above"
    return json_response(shapes.document_entity(db, row, api_url(request), with_links=True))


def get_document(request: Request) -> Response:
    row = _document_row(request)
    if not_modified(request, row["updated"]):
        return Response(status_code=304)
    return json_response(shapes.document_entity(store(request), row, api_url(request), with_links=True))


def _update(request: Request, row: Any, changes: dict[str, Any]) -> Response:
    db = store(request)
    header = changes.get("Header", row["header"])
    description = changes.get("Description", row["description"])
    name = row["name"]
    if "Name" in changes and changes["Name"] != row["name"]:
        name = safe_name(str(changes["Name"] or ""))
        if not name:
            raise SoError.bad_request("A document's Name (its file name) cannot be empty.")
    with db.transaction() as tx:
        if name != row["name"]:
            name = db.free_document_name(tx, name)
        tx.execute(
            "UPDATE documents SET header=?, name=?, description=?, updated=? WHERE id=?",
            (str(header or ""), name, str(description or ""), now_date(), row["id"]),
        )
    fresh = db.document(row["id"])
    if fresh is None:
        raise SoError.not_found("Document", row["id"])
    return json_response(shapes.document_entity(db, fresh, api_url(request), with_links=True))


async def put_document(request: Request) -> Response:
    row = _document_row(request)
    _unmodified_since(request, row["updated"])
    body = await _json_body(request)
    return _update(request, row, {k: body[k] for k in ("Header", "Name", "Description") if k in body})


async def patch_document(request: Request) -> Response:
    """JSON Patch (RFC 6902: replace/add/test on /Header, /Name, /Description) or JSON Merge Patch."""
    row = _document_row(request)
    _unmodified_since(request, row["updated"])
    try:
        body = await request.json()
    except ValueError:
        raise SoError.bad_request("The changes are not JSON.") from None
    current = {"Header": row["header"], "Name": row["name"], "Description": row["description"]}
    changes: dict[str, Any] = {}
    if isinstance(body, dict):
        changes = {k: v for k, v in body.items() if k in current}
    elif isinstance(body, list):
        for operation in body:
            if not isinstance(operation, dict) or not isinstance(operation.get("path"), str):
                raise SoError.bad_request("Each JSON Patch operation needs op and path.")
            field = operation["path"].strip("/")
            if field not in current:
                raise SoError.bad_request(f"The sandbox patches Header, Name and Description, not {field!r}.")
            if operation.get("op") == "test":
                if {**current, **changes}[field] != operation.get("value"):
                    raise SoError(409, "SoConflictException", f"Test of {field} failed: the value has changed.")
            elif operation.get("op") in ("replace", "add"):
                changes[field] = operation.get("value")
            else:
                raise SoError.bad_request(f"Unsupported JSON Patch op {operation.get('op')!r}.")
    else:
        raise SoError.bad_request("The changes must be a JSON Patch array or a merge-patch object.")
    return _update(request, row, changes)


def delete_document(request: Request) -> Response:
    row = _document_row(request)
    _unmodified_since(request, row["updated"])
    store(request).delete_document(row["id"])
    return Response(status_code=204)


def _too_large(limit: int) -> SoError:
    megabytes = f"{limit / 1_000_000:.1f}".rstrip("0").rstrip(".")
    return SoError(413, "SoDocumentTooLargeException", f"The document content is larger than the {megabytes} MB limit.")


async def put_content(request: Request) -> Response:
    row = _document_row(request)
    db = store(request)
    limit = int(option(request, "max_document_size"))  # type: ignore[call-overload]
    declared = request.headers.get("content-length")
    if declared and declared.isdigit() and int(declared) > limit:
        await drain(request)
        raise _too_large(limit)
    content_type = request.headers.get("content-type", "").split(";")[0].strip().lower()
    try:
        if content_type == "multipart/form-data":
            parts, _fields = await receive_parts(request, db.incoming_path, max_files=1)
            if not parts:
                raise SoError.bad_request("The document content is missing from the body.")
            incoming, size = parts[0].path, parts[0].size
            if size > limit:
                incoming.unlink(missing_ok=True)
                raise _too_large(limit)
        else:
            incoming = db.incoming_path()
            size = await receive_raw(request, incoming, max_size=limit)
    except BodyTooLarge:
        raise _too_large(limit) from None
    except ClientDisconnect:
        return Response(status_code=400)
    mime = guess_mime(row["name"], content_type if content_type != "multipart/form-data" else None)
    await run_in_threadpool(db.set_content, row["id"], incoming, size, mime)
    fresh = db.document(row["id"])
    if fresh is None:
        raise SoError.not_found("Document", row["id"])
    return json_response(shapes.document_entity(db, fresh, api_url(request), with_links=False))


def _binary_accept(request: Request) -> str | None:
    """The binary type the client asked for explicitly, if any."""
    for part in request.headers.get("accept", "").split(","):
        media = part.split(";")[0].strip().lower()
        if media and media not in _TEXT_TYPES and not media.startswith("text/"):
            return media
    return None


async def get_content(request: Request) -> Response:
    row = _document_row(request)
    db = store(request)
    binary = _binary_accept(request)
    if binary is not None:
        media = binary if "*" not in binary else "application/octet-stream"
        if not row["blob"]:
            return Response(b"", media_type=media)
        return file_response(db.blob_path(row["blob"]), media_type=media)
    data = b"" if not row["blob"] else await run_in_threadpool(db.blob_path(row["blob"]).read_bytes)
    return json_response(base64.b64encode(data).decode("ascii"))


def content_length(request: Request) -> Response:
    return json_response(int(_document_row(request)["size"]))


def templates(request: Request) -> Response:
    include_deleted = (query(request, "includeDeleted") or "").lower() == "true"
    where = "" if include_deleted else "WHERE deleted=0"
    rows = store(request).read(f"SELECT * FROM templates {where} ORDER BY rank, id")
    return json_response([shapes.template(row, full=True) for row in rows])


ROUTES = [
    Route(V1 + "/document/default", default_document, methods=["GET"]),
    Route(V1 + "/document", create_document, methods=["POST"]),
    Route(V1 + "/document/{id:int}", get_document, methods=["GET"]),
    Route(V1 + "/document/{id:int}", put_document, methods=["PUT"]),
    Route(V1 + "/document/{id:int}", patch_document, methods=["PATCH"]),
    Route(V1 + "/document/{id:int}", delete_document, methods=["DELETE"]),
    Route(V1 + "/document/{id:int}/content", put_content, methods=["PUT"]),
    Route(V1 + "/document/{id:int}/content", get_content, methods=["GET"]),
    Route(V1 + "/document/{id:int}/length", content_length, methods=["GET"]),
    Route(V1 + "/list/documenttemplate/items", templates, methods=["GET"]),
]
