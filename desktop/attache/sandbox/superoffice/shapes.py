"""The entity carriers a single GET answers (superoffice.md §2.2, §4.1), PascalCase as in the
spec's definitions. Unset references are null, as the WebAPI's serialiser writes them."""

from __future__ import annotations

import sqlite3
from typing import Any

from attache.sandbox.superoffice.store import Store

TABLE_RIGHT = {"Mask": "Select, Update, Insert, Delete", "Reason": ""}


def _list_item(item_id: int, value: str) -> dict[str, Any]:
    return {"Id": item_id, "Value": value, "Tooltip": value, "TableRight": None, "FieldProperties": {}}


def _stable_id(text: str) -> int:
    return sum(ord(c) for c in text) % 97 + 1 if text else 0


def associate(store: Store, associate_id: int | None) -> dict[str, Any] | None:
    if not associate_id:
        return None
    row = store.read_one(
        "SELECT a.*, p.first_name, p.last_name FROM associates a JOIN persons p ON p.id = a.person_id WHERE a.id=?",
        (associate_id,),
    )
    if row is None:
        return None
    full = f"{row['first_name']} {row['last_name']}"
    return {
        "AssociateId": row["id"],
        "Name": row["user_name"],
        "PersonId": row["person_id"],
        "Rank": row["id"],
        "Tooltip": full,
        "Type": "InternalAssociate",
        "GroupIdx": 1,
        "FullName": full,
        "FormalName": f"{row['last_name']}, {row['first_name']}",
        "Deleted": not row["is_active"],
        "EjUserId": 0,
        "UserName": row["user_name"],
        "ExtraFields": {},
        "CustomFields": {},
        "TableRight": None,
        "FieldProperties": {},
    }


def contact_ref(store: Store, contact_id: int | None) -> dict[str, Any] | None:
    row = store.read_one("SELECT * FROM contacts WHERE id=?", (contact_id,)) if contact_id else None
    if row is None:
        return None
    return {
        "ContactId": row["id"],
        "Name": row["name"],
        "OrgNr": row["org_nr"],
        "Department": row["department"],
        "AssociateId": row["associate_id"] or 0,
        "CategoryName": row["category"],
        "BusinessName": row["business"],
        "CountryName": row["country"],
        "FullName": row["name"],
        "IsOwnerContact": row["id"] == 1,
        "Number1": row["number"],
        "Number2": "",
        "TableRight": None,
        "FieldProperties": {},
    }


def person_ref(store: Store, person_id: int | None) -> dict[str, Any] | None:
    row = (
        store.read_one(
            "SELECT p.*, c.name AS contact_name FROM persons p LEFT JOIN contacts c ON c.id = p.contact_id"
            " WHERE p.id=?",
            (person_id,),
        )
        if person_id
        else None
    )
    if row is None:
        return None
    return {
        "PersonId": row["id"],
        "Firstname": row["first_name"],
        "Lastname": row["last_name"],
        "MiddleName": "",
        "Title": row["title"],
        "Email": row["email"],
        "FullName": f"{row['first_name']} {row['last_name']}",
        "ContactId": row["contact_id"] or 0,
        "ContactName": row["contact_name"] or "",
        "AssociateId": row["associate_id"] or 0,
        "TableRight": None,
        "FieldProperties": {},
    }


def project_ref(store: Store, project_id: int | None) -> dict[str, Any] | None:
    row = store.read_one("SELECT * FROM projects WHERE id=?", (project_id,)) if project_id else None
    if row is None:
        return None
    return {
        "ProjectId": row["id"],
        "Name": row["name"],
        "Description": row["description"],
        "Type": row["type"],
        "AssociateId": row["associate_id"] or 0,
        "Status": row["status"],
        "ProjectNumber": row["number"],
        "Updated": row["updated"],
        "TableRight": None,
        "FieldProperties": {},
    }


def _links(api_url: str, kind: str, entity_id: int) -> dict[str, str]:
    return {"Self": f"{api_url}/v1/{kind}/{entity_id}"}


def contact_entity(store: Store, row: sqlite3.Row, api_url: str) -> dict[str, Any]:
    persons = store.read("SELECT id FROM persons WHERE contact_id=? ORDER BY id LIMIT 50", (row["id"],))
    return {
        "ContactId": row["id"],
        "Name": row["name"],
        "Department": row["department"],
        "OrgNr": row["org_nr"],
        "Number1": row["number"],
        "Number2": "",
        "UpdatedDate": row["updated"],
        "CreatedDate": row["created"],
        "Emails": [],
        "Urls": [],
        "Phones": [],
        "Faxes": [],
        "Description": "",
        "UpdatedBy": None,
        "CreatedBy": associate(store, 1),
        "Associate": associate(store, row["associate_id"]),
        "Business": _list_item(_stable_id(row["business"]), row["business"]),
        "Category": _list_item(_stable_id(row["category"]), row["category"]),
        "Country": {"CountryId": _stable_id(row["country"]), "Name": row["country"], "EnglishName": row["country"]},
        "Persons": [person_ref(store, p["id"]) for p in persons],
        "NoMailing": False,
        "Kananame": "",
        "Xstop": False,
        "ActiveInterests": 0,
        "GroupId": 1,
        "Deleted": 0,  # an int32 on a company ("if nonzero, then this contact is 'deleted'")
        "Address": None,
        "Source": 0,
        "ActiveErpLinks": 0,
        "BounceEmails": [],
        "Domains": [],
        "UserDefinedFields": {},
        "ExtraFields": {},
        "CustomFields": {},
        "TableRight": TABLE_RIGHT,
        "FieldProperties": {},
        "_Links": _links(api_url, "Contact", row["id"]),
    }


def person_entity(store: Store, row: sqlite3.Row, api_url: str) -> dict[str, Any]:
    user = store.read_one("SELECT id, user_name FROM associates WHERE person_id=?", (row["id"],))
    full = f"{row['first_name']} {row['last_name']}"
    return {
        "PersonId": row["id"],
        "Firstname": row["first_name"],
        "MiddleName": "",
        "Lastname": row["last_name"],
        "Mrmrs": "",
        "Title": row["title"],
        "UpdatedDate": row["updated"],
        "CreatedDate": row["created"],
        "BirthDate": None,
        "CreatedBy": associate(store, 1),
        "Emails": [{"Value": row["email"], "StrippedValue": row["email"], "Description": "", "TableRight": None}]
        if row["email"]
        else [],
        "Description": "",
        "IsAssociate": bool(row["is_associate"]),
        "OfficePhones": [],
        "MobilePhones": [],
        "Position": _list_item(_stable_id(row["title"]), row["title"]) if row["title"] else None,
        "UpdatedBy": None,
        "Contact": contact_ref(store, row["contact_id"]),
        "Country": None,
        "Interests": [],
        "PersonNumber": str(row["id"]),
        "FullName": full,
        "NoMailing": False,
        "UsePersonAddress": False,
        "Retired": False,
        "Urls": [],
        "FormalName": f"{row['last_name']}, {row['first_name']}",
        "Address": None,
        "Associate": associate(store, row["associate_id"]),
        "UserInfo": {"UserInfoId": user["id"], "UserName": user["user_name"], "PersonId": row["id"]} if user else None,
        "Consents": [],
        "UserDefinedFields": {},
        "ExtraFields": {},
        "CustomFields": {},
        "TableRight": TABLE_RIGHT,
        "FieldProperties": {},
        "_Links": _links(api_url, "Person", row["id"]),
    }


def project_entity(store: Store, row: sqlite3.Row, api_url: str) -> dict[str, Any]:
    has_image = store.image("project", row["id"]) is not None
    return {
        "ProjectId": row["id"],
        "Name": row["name"],
        "ProjectNumber": row["number"],
        "ProjectMembers": [],
        "Urls": [],
        "CreatedDate": row["created"],
        "UpdatedDate": row["updated"],
        "Description": row["description"],
        "Postit": "",
        "CreatedBy": associate(store, 1),
        "UpdatedBy": None,
        "Associate": associate(store, row["associate_id"]),
        "ProjectStatus": _list_item(_stable_id(row["status"]), row["status"]),
        "ProjectType": _list_item(_stable_id(row["type"]), row["type"]),
        "HasImage": has_image,
        "ImageDescription": row["name"] if has_image else "",
        "ActiveStatusMonitorId": 0,
        "Links": [],
        "ActiveLinks": 0,
        "Completed": bool(row["completed"]),
        "NextMilestoneDate": None,
        "NmdAppointmentId": 0,
        "EndDate": row["end_date"],
        "ActiveErpLinks": 0,
        "EventId": 0,
        "StartDate": row["created"],
        "UserDefinedFields": {},
        "ExtraFields": {},
        "CustomFields": {},
        "IsPublished": False,
        "TableRight": TABLE_RIGHT,
        "FieldProperties": {},
        "_Links": _links(api_url, "Project", row["id"]),
    }


def _link(entity_name: str, entity_id: int, description: str) -> dict[str, Any]:
    return {
        "EntityName": entity_name,
        "Id": entity_id,
        "Description": description,
        "ExtraInfo": "",
        "LinkId": entity_id,
        "TableRight": None,
        "FieldProperties": {},
    }


def appointment_entity(store: Store, row: sqlite3.Row, api_url: str) -> dict[str, Any]:
    documents = store.read("SELECT id, header FROM documents WHERE appointment_id=? ORDER BY id", (row["id"],))
    task = row["record_type"] == "inChecklist"
    return {
        "AppointmentId": row["id"],
        "Associate": associate(store, row["associate_id"]),
        "Contact": contact_ref(store, row["contact_id"]),
        "Person": person_ref(store, row["person_id"]),
        "Project": project_ref(store, row["project_id"]),
        "Sale": None,
        "CreatedBy": associate(store, row["associate_id"]),
        "UpdatedBy": None,
        "CreatedDate": row["created"],
        "UpdatedDate": row["updated"],
        "Description": row["text"],
        "Title": row["text"],
        "Agenda": "",
        "InternalNotes": "",
        "StartDate": row["date"],
        "EndDate": row["end_date"],
        "ActiveDate": row["date"],
        "MotherId": 0,
        "Private": "Public",
        "Type": row["record_type"],
        "Completed": "Completed" if row["completed"] else "NotStarted",
        "ActiveLinks": len(documents),
        "Links": [_link("document", d["id"], d["header"]) for d in documents],
        "Task": {
            "TaskListItemId": _stable_id(row["task_type"]),
            "Value": row["task_type"],
            "Direction": "Outgoing",
            "Type": "ToDo" if task else "Appointment",
            "Tooltip": row["task_type"],
            "Deleted": False,
            "TableRight": None,
            "FieldProperties": {},
        },
        "Location": "",
        "IsAlldayEvent": False,
        "IsFree": task,
        "HasAlarm": False,
        "IsMileStone": False,
        "Participants": [],
        "UserDefinedFields": {},
        "ExtraFields": {},
        "CustomFields": {},
        "IsPublished": False,
        "TableRight": TABLE_RIGHT,
        "FieldProperties": {},
        "_Links": _links(api_url, "Appointment", row["id"]),
    }


def user_entity(store: Store, row: sqlite3.Row, api_url: str) -> dict[str, Any]:
    carrier = associate(store, row["id"]) or {}
    return {
        "AssociateId": row["id"],
        "Name": row["user_name"],
        "Rank": row["id"],
        "Tooltip": carrier.get("FullName", ""),
        "LicenseOwners": [],
        "Role": _list_item(1 if row["is_admin"] else 2, "Administrator" if row["is_admin"] else "User"),
        "UserGroup": {"Id": 1, "Value": "Consultants", "Tooltip": "", "Rank": 1, "Deleted": False},
        "OtherGroups": [],
        "Person": person_ref(store, row["person_id"]),
        "Deleted": not row["is_active"],
        "Lastlogin": row["last_login"],
        "Lastlogout": None,
        "EjUserId": 0,
        "Type": "InternalAssociate",
        "IsPersonRetired": False,
        "IsOnTravel": False,
        "Credentials": [],
        "UserName": row["user_name"],
        "NickName": row["user_name"],
        "WaitingForApproval": False,
        "ExtraFields": {},
        "CustomFields": {},
        "TableRight": TABLE_RIGHT,
        "FieldProperties": {},
        "_Links": _links(api_url, "User", row["id"]),
    }


def template(row: sqlite3.Row, *, full: bool) -> dict[str, Any]:
    """A DocumentTemplateEntity (the list) or the DocumentTemplate a document carries."""
    carrier: dict[str, Any] = {
        "DocumentTemplateId": row["id"],
        "Name": row["name"],
        "Tooltip": row["tooltip"],
        "SaveInDb": 0,
        "Filename": row["filename"],
        "DefaultOref": "",
        "RecordType": row["record_type"],
        "Deleted": bool(row["deleted"]) if full else int(row["deleted"]),
        "Direction": "Outgoing",
        "AutoeventId": 0,
        "QuoteDocType": "None",
        "TableRight": None,
        "FieldProperties": {},
    }
    if full:
        carrier.update({"MimeType": row["mime"], "Rank": row["rank"], "IsDefaultPublished": False})
    return carrier


def document_entity(store: Store, row: sqlite3.Row, api_url: str, *, with_links: bool) -> dict[str, Any]:
    """A DocumentEntity (what `PUT …/Content` and `GET Document/default` answer) or, with
    `with_links`, a DocumentEntityWithLinks (GET, POST)."""
    tmpl = store.read_one("SELECT * FROM templates WHERE id=?", (row["template_id"],))
    links = []
    if row["appointment_id"]:
        text = store.scalar("SELECT text FROM appointments WHERE id=?", (row["appointment_id"],)) or ""
        links.append(_link("appointment", row["appointment_id"], text))
    entity: dict[str, Any] = {
        "DocumentId": row["id"],
        "UpdatedBy": None,
        "CreatedBy": associate(store, row["associate_id"]),
        "Attention": "",
        "Header": row["header"],
        "Name": row["name"],
        "OurRef": row["our_ref"],
        "YourRef": row["your_ref"],
        "CreatedDate": row["created"],
        "UpdatedDate": row["updated"],
        "Description": row["description"],
        "DocumentTemplate": template(tmpl, full=False) if tmpl is not None else None,
        "Person": person_ref(store, row["person_id"]),
        "Associate": associate(store, row["associate_id"]),
        "Contact": contact_ref(store, row["contact_id"]),
        "Project": project_ref(store, row["project_id"]),
        "Date": row["date"],
        "ExternalRef": row["external_ref"],
        "Completed": "Completed",
        "ActiveLinks": len(links),
        "Type": "Document",
        "Links": links,
        "LockSemantics": "None",
        "Sale": None,
        "SuggestedDocumentId": 0,
        "Snum": row["id"],
        "UserDefinedFields": {},
        "ExtraFields": {},
        "CustomFields": {},
        "IsPublished": False,
        "VisibleFor": [],
        "TableRight": TABLE_RIGHT,
        "FieldProperties": {},
    }
    if with_links:
        entity["_Links"] = _links(api_url, "Document", row["id"])
    return entity
