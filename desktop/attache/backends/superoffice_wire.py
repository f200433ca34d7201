"""SuperOffice's wire vocabulary, without a connection: which archive and columns each kind is
listed from, `$filter` built from what a user types, archive rows and entities turned into core
types, and pictures checked before they go out (superoffice.md §2–4)."""

from __future__ import annotations

import base64
import binascii
import json
import mimetypes
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from attache.backends.paging import QueryValue
from attache.backends.streams import local_file_size
from attache.backends.superoffice_oauth import tenant_of
from attache.backends.wire import parse_datetime
from attache.core.errors import AttacheError, InvalidInputError, NotFoundError, ProtocolError, TooLargeError
from attache.core.models import Entity, EntityKind, EntityRef, FileRecord, FileVersion
from attache.core.services import SUPEROFFICE

NAME = SUPEROFFICE.name
# No byte limit is documented for pictures (§3.1); past this a picture is surely a mistake.
IMAGE_LIMIT_BYTES = 20 * 1024 * 1024
IMAGE_MIME_TYPES = frozenset({"image/png", "image/jpeg", "image/gif", "image/tiff"})

_K = EntityKind


# ---------------------------------------------------------------------- lists: archives and columns

# kind → (list path, id column, $select columns, the columns a search looks in)
ARCHIVES: dict[EntityKind, tuple[str, str, tuple[str, ...], tuple[str, ...]]] = {
    _K.PROJECT: (
        "Project",
        "projectId",
        ("projectId", "name", "number", "status", "updatedDate", "imageThumbnail"),
        ("name",),
    ),
    _K.COMPANY: ("Contact", "contactId", ("contactId", "name", "department", "category", "number"), ("name",)),
    _K.CONTACT_PERSON: (
        "Person",
        "personId",
        ("personId", "firstName", "lastName", "fullName", "contactId", "title", "portraitThumbnail"),
        ("fullName",),
    ),
    _K.USER: (
        "User",
        "associateDbId",
        ("associateDbId", "personId", "fullName", "userName", "personEmail", "portraitThumbnail"),
        ("fullName",),
    ),
    _K.TASK: (
        "Appointment",
        "appointmentId",
        ("appointmentId", "text", "date", "type", "projectId", "contactId", "completed"),
        ("text",),
    ),
}
# A "task" is an appointment in the checklist (Type=inChecklist) rather than the diary (§2.2,
# inferred); FindAppointment's `recordType` carries that Type, `type` the task type ("Phone call").
TASK_FILTER = "recordType eq 'inChecklist'"
# A list of one kind under another: tasks of a project, persons of a company.
PARENT_COLUMNS = {(_K.TASK, _K.PROJECT): "projectId", (_K.CONTACT_PERSON, _K.COMPANY): "contactId"}
# Where pictures are: the entity's own `…/{id}/Image`.
IMAGE_ENTITIES = {_K.PROJECT: "Project", _K.COMPANY: "Contact", _K.CONTACT_PERSON: "Person"}
# How a Document names its target (§4.1–4.2): a field for projects, companies and persons; a task
# (appointment) has no field and is linked through Links (EntityName "appointment", inferred).
DOCUMENT_LINKS = {
    _K.PROJECT: ("Project", "ProjectId"),
    _K.COMPANY: ("Contact", "ContactId"),
    _K.CONTACT_PERSON: ("Person", "PersonId"),
}
# The FindDocument column naming each kind of target; for an appointment it is the reading of
# open question 5 that a document linked to it is found by `appointmentId` (inferred).
DOCUMENT_FILTER_COLUMNS = {
    _K.PROJECT: "projectId",
    _K.COMPANY: "contactId",
    _K.CONTACT_PERSON: "personId",
    _K.TASK: "appointmentId",
}
DOCUMENT_COLUMNS = ("documentId", "name", "subject", "date", "associateId")
ATTACHABLE = (_K.TASK, _K.PROJECT, _K.COMPANY, _K.CONTACT_PERSON)


def quoted(text: str) -> str:
    """A string literal for `$filter`: in single quotes, a quote inside doubled (OData)."""
    return "'" + text.replace("'", "''") + "'"


def search_filter(columns: tuple[str, ...], text: str | None) -> str:
    """A `$filter` keeping what has every word of `text` in one of `columns`:
    "maya 1999" on persons is `(fullName contains 'maya') and (fullName contains '1999')`.
    Control characters are dropped (a filter is one line); "" for no words."""
    cleaned = "".join(c if c.isprintable() else " " for c in (text or ""))
    words = cleaned.split()
    if not columns or not words:
        return ""
    terms = []
    for word in words:
        either = " or ".join(f"{column} contains {quoted(word)}" for column in columns)
        terms.append(f"({either})")
    return " and ".join(terms)


def all_of(*filters: str) -> str:
    present = [f for f in filters if f]
    if len(present) <= 1:
        return present[0] if present else ""
    return " and ".join(f"({f})" for f in present)


def numeric_id(value: str, what: str) -> int:
    """An id as SuperOffice's filters and bodies want it: a positive whole number."""
    text = str(value).strip()
    if not text.isdigit() or int(text) <= 0:
        raise NotFoundError(f"{NAME} has no {what} {value!r}: its ids are whole numbers")
    return int(text)


# ---------------------------------------------------------------------- SuperOffice JSON → core types


def odata_query(columns: tuple[str, ...], expression: str) -> dict[str, QueryValue]:
    params: dict[str, QueryValue] = {"$select": ",".join(columns)}
    if expression:
        params["$filter"] = expression
    return params


def rows_of(body: Any, service: str) -> list[dict[str, Any]]:
    rows = body.get("value") if isinstance(body, dict) else None
    if not isinstance(rows, list):
        raise ProtocolError(f"{service} answered a list request with something that is not a list")
    return [row for row in rows if isinstance(row, dict)]


def text_of(value: Any) -> str:
    if isinstance(value, bool) or value is None:
        return ""
    return " ".join(str(value).split()) if isinstance(value, (str, int, float)) else ""


def as_dict(value: Any) -> dict[str, Any]:
    return value if isinstance(value, dict) else {}


def as_int(value: Any) -> int | None:
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return value
    try:
        return int(str(value).strip())
    except ValueError:
        return None


def _joined(*parts: str) -> str:
    return " · ".join(p for p in parts if p)


def _id(row: Mapping[str, Any], column: str) -> str:
    """The row's id: its id column, else `PrimaryKey`."""
    value = text_of(row.get(column)) or text_of(row.get("PrimaryKey"))
    return value if value.isdigit() else ""


def _ref_id(row: Mapping[str, Any], column: str) -> str:
    """A foreign id column (a display string in Slim mode): kept only when it is an id, not 0."""
    value = text_of(row.get(column))
    return value if value.isdigit() and value != "0" else ""


def server_said(error: AttacheError) -> str:
    parts = [p.strip() for p in error.detail.split("|")[1:] if p.strip()]
    return parts[-1] if parts else str(error)


def workspace_entity(me: Mapping[str, Any], base_url: str, *, company: str = "") -> Entity:
    """The tenant, named after its own company where known (else its id, e.g. Cust12345)."""
    host = urlsplit(base_url).netloc or base_url
    tenant = text_of(me.get("DatabaseContextIdentifier")) or tenant_of(base_url)
    who = text_of(me.get("FullName")) or text_of(me.get("UserName"))
    return Entity(
        kind=_K.WORKSPACE,
        id=tenant or host,
        name=company or tenant or host,
        subtitle=_joined(tenant if company else "", host, f"signed in as {who}" if who else ""),
    )


def project_entity(row: dict[str, Any]) -> Entity:
    return Entity(
        kind=_K.PROJECT,
        id=_id(row, "projectId"),
        name=text_of(row.get("name")) or "(unnamed project)",
        subtitle=_joined(text_of(row.get("number")), text_of(row.get("status"))),
        has_image=bool(text_of(row.get("imageThumbnail"))),
        version=text_of(row.get("updatedDate")),
    )


def company_entity(row: dict[str, Any]) -> Entity:
    return Entity(
        kind=_K.COMPANY,
        id=_id(row, "contactId"),
        name=text_of(row.get("name")) or "(unnamed company)",
        subtitle=_joined(text_of(row.get("department")), text_of(row.get("category"))),
    )


def person_entity(row: dict[str, Any]) -> Entity:
    full = text_of(row.get("fullName")) or " ".join(
        p for p in (text_of(row.get("firstName")), text_of(row.get("lastName"))) if p
    )
    company = _ref_id(row, "contactId")
    portrait = text_of(row.get("portraitThumbnail"))
    return Entity(
        kind=_K.CONTACT_PERSON,
        id=_id(row, "personId"),
        name=full or "(unnamed person)",
        subtitle=text_of(row.get("title")),
        has_image=bool(portrait),
        parents=((_K.COMPANY, company),) if company else (),
        version=portrait,
    )


def user_entity(row: dict[str, Any]) -> Entity:
    person = _ref_id(row, "personId")
    portrait = text_of(row.get("portraitThumbnail"))
    return Entity(
        kind=_K.USER,
        id=_id(row, "associateDbId"),
        name=text_of(row.get("fullName")) or text_of(row.get("userName")) or "(unnamed user)",
        subtitle=text_of(row.get("personEmail")) or text_of(row.get("userName")),
        has_image=bool(portrait),
        parents=((_K.CONTACT_PERSON, person),) if person else (),
        version=portrait,
    )


def task_entity(row: dict[str, Any]) -> Entity:
    project = _ref_id(row, "projectId")
    return Entity(
        kind=_K.TASK,
        id=_id(row, "appointmentId"),
        name=text_of(row.get("text")) or "(untitled task)",
        subtitle=_joined(text_of(row.get("date")), text_of(row.get("type"))),
        parents=((_K.PROJECT, project),) if project else (),
    )


MAPPERS: dict[EntityKind, Callable[[dict[str, Any]], Entity]] = {
    _K.PROJECT: project_entity,
    _K.COMPANY: company_entity,
    _K.CONTACT_PERSON: person_entity,
    _K.USER: user_entity,
    _K.TASK: task_entity,
}


def document_record(data: Any) -> FileRecord:
    """A FileRecord from a DocumentEntity: `Name` is the (possibly amended) file name."""
    if (
        not isinstance(data, dict)
        or not text_of(data.get("DocumentId")).isdigit()
        or text_of(data.get("DocumentId")) == "0"
    ):
        raise ProtocolError(f"{NAME} described a document without an id", detail=repr(data)[:200])
    name = text_of(data.get("Name")) or text_of(data.get("Header"))
    created = parse_datetime(text_of(data.get("CreatedDate")) or text_of(data.get("Date")))
    return FileRecord(
        id=text_of(data["DocumentId"]),
        name=name,
        size=None,
        mime_type=mime_type_of(name),
        created_on=created,
        created_by=text_of(as_dict(data.get("Associate")).get("FullName"))
        or text_of(as_dict(data.get("CreatedBy")).get("FullName")),
        file_name=name,
    )


def is_linked_to(document: Any, ref: EntityRef) -> bool:
    """Whether a DocumentEntity names `ref`: its Project, Contact or Person, or (a task) a link
    to the appointment."""
    data = as_dict(document)
    if ref.kind is _K.TASK:
        found = data.get("Links")
        links: list[Any] = found if isinstance(found, list) else []
        return any(
            str(as_dict(link).get("EntityName") or "").lower() == "appointment"
            and text_of(as_dict(link).get("Id")) == ref.id
            for link in links
        )
    field, key = DOCUMENT_LINKS[ref.kind]
    return text_of(as_dict(data.get(field)).get(key)) == ref.id


def document_row_record(row: dict[str, Any]) -> FileRecord:
    """A FileRecord from a FindDocument row (no size: the archive has no such column). Added by
    the row's associate: a user's id (`user_entity`), which the window shows by name."""
    name = text_of(row.get("name")) or text_of(row.get("subject"))
    return FileRecord(
        id=_id(row, "documentId"),
        name=name,
        size=None,
        mime_type=mime_type_of(name),
        created_on=parse_datetime(text_of(row.get("date"))),
        created_by=_ref_id(row, "associateId"),
        file_name=name,
    )


def with_size(record: FileRecord, size: int | None) -> FileRecord:
    version = FileVersion(id=record.id, number=1, size=size, created_on=record.created_on)
    return FileRecord(
        id=record.id,
        name=record.name,
        size=size,
        mime_type=record.mime_type,
        created_on=record.created_on,
        created_by=record.created_by,
        versions=(version,),
        file_name=record.file_name,
    )


def mime_type_of(name: str) -> str:
    return mimetypes.guess_type(name)[0] or "application/octet-stream"


def replayable(kwargs: Mapping[str, Any]) -> bool:
    content = kwargs.get("content")
    return content is None or isinstance(content, (bytes, str))


def base64_content(body: bytes, document_id: str) -> bytes:
    try:
        text = json.loads(body)
        if not isinstance(text, str):
            raise ValueError("not a string")
        return base64.b64decode(text, validate=True)
    except (ValueError, binascii.Error):
        raise ProtocolError(f"{NAME} sent document {document_id}'s content as JSON that is not a file") from None


# ---------------------------------------------------------------------- local pictures

_PICTURE_SIGNATURES = (
    (b"\x89PNG\r\n\x1a\n", "image/png"),
    (b"\xff\xd8\xff", "image/jpeg"),
    (b"GIF87a", "image/gif"),
    (b"GIF89a", "image/gif"),
    (b"II*\x00", "image/tiff"),
    (b"MM\x00*", "image/tiff"),
)


def check_picture(source: Path) -> tuple[str, int]:
    """The MIME type and size of a picture SuperOffice takes (PNG, JPEG, GIF or TIFF), checked
    before a byte goes out; otherwise an `InvalidInputError` or `TooLargeError` saying why."""
    from attache.images.formats import sniff_image_type

    size = local_file_size(source)
    if size > IMAGE_LIMIT_BYTES:
        raise TooLargeError(
            f"{source.name} is {size / 1_000_000:.1f} MB; pictures for {NAME} go up to "
            f"{IMAGE_LIMIT_BYTES // 1_000_000} MB here",
            limit=IMAGE_LIMIT_BYTES,
            size=size,
        )
    with open(source, "rb") as stream:
        mime_type = sniff_image_type(stream.read(64))
    if mime_type not in IMAGE_MIME_TYPES:
        raise InvalidInputError(
            f"{source.name} is not a PNG, JPEG, GIF or TIFF picture; {NAME} takes pictures only in these formats"
        )
    return mime_type or "", size
