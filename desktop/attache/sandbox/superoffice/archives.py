"""The archive providers the lists use (superoffice.md §2.1) and their rows, by the lower-camel
column names of SuperOffice's archive reference.

FindAppointment: `recordType` is the appointment's Type (`inChecklist` for a task, `inDiary`
for a meeting), `type` its task type ("To-do", "Phone call"…). A "task" in the UI sense is an
appointment with `recordType` `inChecklist` (inferred from the entity's field descriptions), so
a client lists tasks with `$filter=recordType eq 'inChecklist'`; the sandbox also has meetings
for that filter to leave out. Thumbnail columns hold the image's URL, empty without one.
FindDocument's `appointmentId` column is the sandbox's reading of how a document linked to an
appointment is found (open question 5).
"""

from __future__ import annotations

from typing import Any

from attache.sandbox.superoffice.odata import Archive, Row
from attache.sandbox.superoffice.store import Store

CONTACT = Archive(
    "contact",
    "contactId",
    ("contactId", "name", "department", "nameDepartment", "associateId", "category", "business", "country",
     "number", "orgnr", "updatedDate", "registeredDate"),
    ("contactId", "name"),
)  # fmt: skip
PERSON = Archive(
    "person",
    "personId",
    ("personId", "firstName", "lastName", "fullName", "contactId", "contactName", "title", "email",
     "associateId", "portraitThumbnail", "updatedDate", "registeredDate"),
    ("personId", "fullName"),
)  # fmt: skip
PROJECT = Archive(
    "project",
    "projectId",
    ("projectId", "name", "number", "type", "status", "associateId", "description", "completed",
     "updatedDate", "registeredDate", "endDate", "imageThumbnail"),
    ("projectId", "name"),
)  # fmt: skip
USER = Archive(
    "associate",
    "associateDbId",
    ("associateDbId", "personId", "contactId", "fullName", "firstName", "lastName", "userName", "personEmail",
     "isActive", "portraitThumbnail", "title"),
    ("associateDbId", "fullName"),
)  # fmt: skip
APPOINTMENT = Archive(
    "appointment",
    "appointmentId",
    ("appointmentId", "date", "endDate", "type", "recordType", "text", "associateId", "contactId", "personId",
     "projectId", "saleId", "completed", "updatedDate", "registeredDate"),
    ("appointmentId", "text", "date"),
)  # fmt: skip
DOCUMENT = Archive(
    "document",
    "documentId",
    ("documentId", "name", "subject", "description", "date", "type", "ourref", "yourref", "associateId",
     "contactId", "personId", "projectId", "saleId", "appointmentId", "updatedDate", "registeredDate"),
    ("documentId", "subject", "name", "date"),
)  # fmt: skip
LINKS = Archive("link", "id", ("id", "entityName", "description", "linkId"), ("id", "entityName", "description"))


def _image_url(api_url: str, kind: str, entity_id: int, has: Any) -> str:
    return f"{api_url}/v1/{kind}/{entity_id}/Image?w=64&h=64" if has else ""


def contact_rows(store: Store, api_url: str) -> list[Row]:
    rows = store.read("SELECT * FROM contacts")
    return [
        {
            "contactId": r["id"],
            "name": r["name"],
            "department": r["department"],
            "nameDepartment": f"{r['name']} - {r['department']}" if r["department"] else r["name"],
            "associateId": r["associate_id"],
            "category": r["category"],
            "business": r["business"],
            "country": r["country"],
            "number": r["number"],
            "orgnr": r["org_nr"],
            "updatedDate": r["updated"],
            "registeredDate": r["created"],
        }
        for r in rows
    ]


def person_rows(store: Store, api_url: str) -> list[Row]:
    rows = store.read(
        "SELECT p.*, c.name AS contact_name, i.blob AS image FROM persons p LEFT JOIN contacts c ON c.id = p.contact_id"
        " LEFT JOIN images i ON i.kind = 'person' AND i.entity_id = p.id"
    )
    return [
        {
            "personId": r["id"],
            "firstName": r["first_name"],
            "lastName": r["last_name"],
            "fullName": f"{r['first_name']} {r['last_name']}",
            "contactId": r["contact_id"],
            "contactName": r["contact_name"],
            "title": r["title"],
            "email": r["email"],
            "associateId": r["associate_id"],
            "portraitThumbnail": _image_url(api_url, "Person", r["id"], r["image"]),
            "updatedDate": r["updated"],
            "registeredDate": r["created"],
        }
        for r in rows
    ]


def project_rows(store: Store, api_url: str) -> list[Row]:
    rows = store.read(
        "SELECT p.*, i.blob AS image FROM projects p LEFT JOIN images i ON i.kind = 'project' AND i.entity_id = p.id"
    )
    return [
        {
            "projectId": r["id"],
            "name": r["name"],
            "number": r["number"],
            "type": r["type"],
            "status": r["status"],
            "associateId": r["associate_id"],
            "description": r["description"],
            "completed": bool(r["completed"]),
            "updatedDate": r["updated"],
            "registeredDate": r["created"],
            "endDate": r["end_date"],
            "imageThumbnail": _image_url(api_url, "Project", r["id"], r["image"]),
        }
        for r in rows
    ]


def user_rows(store: Store, api_url: str) -> list[Row]:
    rows = store.read(
        "SELECT a.*, p.first_name, p.last_name, p.email, p.contact_id, p.title, i.blob AS image FROM associates a"
        " JOIN persons p ON p.id = a.person_id LEFT JOIN images i ON i.kind = 'person' AND i.entity_id = p.id"
    )
    return [
        {
            "associateDbId": r["id"],
            "personId": r["person_id"],
            "contactId": r["contact_id"],
            "fullName": f"{r['first_name']} {r['last_name']}",
            "firstName": r["first_name"],
            "lastName": r["last_name"],
            "userName": r["user_name"],
            "personEmail": r["email"],
            "isActive": bool(r["is_active"]),
            "portraitThumbnail": _image_url(api_url, "Person", r["person_id"], r["image"]),
            "title": r["title"],
        }
        for r in rows
    ]


def appointment_rows(store: Store, api_url: str) -> list[Row]:
    return [
        {
            "appointmentId": r["id"],
            "date": r["date"],
            "endDate": r["end_date"],
            "type": r["task_type"],
            "recordType": r["record_type"],
            "text": r["text"],
            "associateId": r["associate_id"],
            "contactId": r["contact_id"],
            "personId": r["person_id"],
            "projectId": r["project_id"],
            "saleId": 0,
            "completed": bool(r["completed"]),
            "updatedDate": r["updated"],
            "registeredDate": r["created"],
        }
        for r in store.read("SELECT * FROM appointments")
    ]


def document_rows(store: Store, api_url: str, where: str = "", params: tuple[Any, ...] = ()) -> list[Row]:
    rows = store.read(f"SELECT * FROM documents {where}", params)
    return [
        {
            "documentId": r["id"],
            "name": r["name"],
            "subject": r["header"],
            "description": r["description"],
            "date": r["date"],
            "type": "Document",
            "ourref": r["our_ref"],
            "yourref": r["your_ref"],
            "associateId": r["associate_id"],
            "contactId": r["contact_id"],
            "personId": r["person_id"],
            "projectId": r["project_id"],
            "saleId": 0,
            "appointmentId": r["appointment_id"],
            "updatedDate": r["updated"],
            "registeredDate": r["created"],
        }
        for r in rows
    ]


def appointment_link_rows(store: Store, appointment_id: int) -> list[Row]:
    """An appointment's Links archive: the documents linked to it."""
    return [
        {"id": r["id"], "entityName": "document", "description": r["header"], "linkId": r["id"]}
        for r in store.read("SELECT id, header FROM documents WHERE appointment_id=?", (appointment_id,))
    ]
