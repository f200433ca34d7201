"""The wrappers the portal answers with, in camelCase as its serializer writes them
(onlyoffice.md §2.4–2.7, §3.6). Fields the portal leaves out when empty are left out here too,
never sent as null. Photo URLs are portal-relative, as the portal writes them."""

from __future__ import annotations

import sqlite3
from typing import Any

from attache.sandbox.onlyoffice.store import Store

USER_SIZES = {"small": 32, "medium": 48, "big": 82, "max": 200, "retina": 360, "original": 1280}
CONTACT_SIZES = {"small": 40, "medium": 82, "big": 200}
FILE_TYPES = {  # FileType by extension: 1 Archive, 2 Video, 3 Audio, 4 Image, 5 Spreadsheet, 6 Presentation, 7 Document
    **dict.fromkeys(("zip", "rar", "7z", "gz", "tar"), 1),
    **dict.fromkeys(("mp4", "mov", "avi", "mkv", "webm"), 2),
    **dict.fromkeys(("mp3", "wav", "ogg", "flac"), 3),
    **dict.fromkeys(("png", "jpg", "jpeg", "gif", "bmp", "webp", "svg", "tif", "tiff"), 4),
    **dict.fromkeys(("xlsx", "xls", "ods", "csv"), 5),
    **dict.fromkeys(("pptx", "ppt", "odp"), 6),
    **dict.fromkeys(("docx", "doc", "odt", "rtf", "txt", "pdf", "md"), 7),
}


def user_photo_url(user: sqlite3.Row, size: str) -> str:
    side = USER_SIZES[size]
    if not user["photo"]:
        return f"/skins/default/images/default_user_photo_size_{side}-{side}.png"
    return f"/storage/userPhotos/root/{user['id']}_size_{side}-{side}.png?_={user['photo_version']}"


def contact_photo_url(contact: sqlite3.Row, size: str) -> str:
    side = CONTACT_SIZES[size]
    if not contact["photo"]:
        kind = "company" if contact["is_company"] else "people"
        return f"/skins/default/images/empty_{kind}_logo_{side}_{side}.png"
    return f"/storage/crm/photos/{contact['id']}_size_{side}-{side}.png?_={contact['photo_version']}"


class Shapes:
    """Builds wrappers for one request: `root` is the portal's address for absolute links."""

    def __init__(self, store: Store, root: str) -> None:
        self.store, self.root = store, root.rstrip("/")
        self.users = {row["id"]: row for row in store.read("SELECT * FROM users")}

    # ---- people ----
    def employee(self, user_id: str | None) -> dict[str, Any] | None:
        user = self.users.get(user_id or "")
        if user is None:
            return None
        return {
            "id": user["id"],
            "displayName": f"{user['first_name']} {user['last_name']}",
            "title": user["title"],
            "avatarSmall": user_photo_url(user, "small"),
            "profileUrl": f"/Products/People/Profile.aspx?user={user['user_name']}",
        }

    def employee_full(self, user_id: str) -> dict[str, Any]:
        user = self.users[user_id]
        return {
            **(self.employee(user_id) or {}),
            "firstName": user["first_name"],
            "lastName": user["last_name"],
            "userName": user["user_name"],
            "email": user["email"],
            "status": 1,
            "activationStatus": 1,
            "department": user["department"],
            "workFrom": user["created"],
            "groups": [],
            "avatarMedium": user_photo_url(user, "medium"),
            "avatar": user_photo_url(user, "big"),
            "isAdmin": bool(user["is_admin"]),
            "isLDAP": False,
            "listAdminModules": [],
            "isOwner": bool(user["is_owner"]),
            "isVisitor": False,
            "cultureName": "en-US",
            "isSSO": False,
        }

    def thumbnails(self, user_id: str) -> dict[str, str]:
        user = self.users[user_id]
        return {size: user_photo_url(user, size) for size in ("original", "retina", "max", "big", "medium", "small")}

    def _stamps(self, row: sqlite3.Row, *, ids: bool = True) -> dict[str, Any]:
        """created/createdBy/updated/updatedBy (and their ids where the wrapper has them)."""
        creator = self.employee(row["created_by"])
        out: dict[str, Any] = {"created": row["created"]}
        if creator:
            out["createdBy"] = creator
            if ids:
                out["createdById"] = row["created_by"]
        out["updated"] = row["updated"] if "updated" in row.keys() else row["created"]  # noqa: SIM118 (a Row iterates values)
        if creator:
            out["updatedBy"] = creator
            if ids:
                out["updatedById"] = row["created_by"]
        return out

    # ---- projects and tasks ----
    def project_full(self, project: sqlite3.Row) -> dict[str, Any]:
        counts = self.store.read_one(
            "SELECT COUNT(*) AS total, SUM(status=1) AS open FROM tasks WHERE project_id=?", (project["id"],)
        )
        documents = self.store.scalar("SELECT COUNT(*) FROM files WHERE folder_id=?", (project["folder_id"],))
        out: dict[str, Any] = {"id": project["id"], "title": project["title"], "description": project["description"]}
        out["status"] = project["status"]
        responsible = self.employee(project["responsible_id"])
        if responsible:
            out["responsible"], out["responsibleId"] = responsible, project["responsible_id"]
        security = dict.fromkeys(
            ("canCreateMilestone", "canCreateMessage", "canCreateTask", "canCreateTimeSpend", "canEditTeam"), True
        )
        security.update(dict.fromkeys(("canReadFiles", "canReadMilestones", "canReadMessages", "canReadTasks"), True))
        security.update(canLinkContact=True, canReadContacts=True, canEdit=True, canDelete=True, isInTeam=True)
        out.update(
            canEdit=True,
            isPrivate=bool(project["is_private"]),
            canDelete=True,
            security=security,
            projectFolder=project["folder_id"],
            taskCount=int(counts["open"] or 0) if counts else 0,
            taskCountTotal=int(counts["total"] or 0) if counts else 0,
            milestoneCount=0,
            discussionCount=0,
            participantCount=1,
            timeTrackingTotal="0:00",
            documentsCount=int(documents or 0),
            isFollow=False,
            tags=[],
        )
        out.update(self._stamps(project))
        return out

    def task(self, task: sqlite3.Row, project: sqlite3.Row) -> dict[str, Any]:
        out: dict[str, Any] = {"id": task["id"], "title": task["title"], "description": task["description"]}
        out.update(status=task["status"], deadline=task["deadline"], startDate=task["start_date"])
        out["priority"] = task["priority"]
        out["projectOwner"] = {
            "id": project["id"],
            "title": project["title"],
            "status": project["status"],
            "isPrivate": bool(project["is_private"]),
        }
        out.update(progress=0, subtasks=[], links=[])
        responsible = self.employee(task["responsible_id"])
        out["responsibles"] = [responsible] if responsible else []
        out["responsibleIds"] = [task["responsible_id"]] if responsible else []
        out.update(self._stamps(task))
        out.update(canEdit=True, canCreateSubtask=True, canCreateTimeSpend=True, canDelete=True, canReadFiles=True)
        return out

    def task_full(self, task: sqlite3.Row, project: sqlite3.Row) -> dict[str, Any]:
        return {
            **self.task(task, project),
            "files": self.files_of_task(task["id"]),
            "comments": [],
            "commentsCount": 0,
            "isSubscribed": False,
            "canEditFiles": True,
            "canCreateComment": True,
            "project": self.project_full(project),
            "timeSpend": 0.0,
        }

    # ---- files ----
    def file(self, row: sqlite3.Row) -> dict[str, Any]:
        ext = row["title"].rpartition(".")[2].lower() if "." in row["title"] else ""
        out: dict[str, Any] = {"id": row["id"], "title": row["title"], "access": 0, "shared": False}
        out.update(self._stamps(row, ids=False))
        out.update(
            rootFolderType=2,
            providerItem=False,
            denyDownload=False,
            denySharing=False,
            folderId=row["folder_id"],
            version=row["version"],
            versionGroup=row["version"],
            contentLength=human_size(row["size"]),
            pureContentLength=row["size"],
            fileStatus=0,
            viewUrl=f"{self.root}/Products/Files/HttpHandlers/filehandler.ashx?action=download&fileid={row['id']}",
            webUrl=f"{self.root}/Products/Files/DocEditor.aspx?fileid={row['id']}",
            fileType=FILE_TYPES.get(ext, 0),
            fileExst=f".{ext}" if ext else "",
            comment="",
        )
        return out

    def files_of_task(self, task_id: int) -> list[dict[str, Any]]:
        rows = self.store.read(
            "SELECT f.* FROM files f JOIN task_files t ON t.file_id=f.id WHERE t.task_id=? ORDER BY f.id", (task_id,)
        )
        return [self.file(row) for row in rows]

    def folder(self, row: sqlite3.Row) -> dict[str, Any]:
        files = self.store.scalar("SELECT COUNT(*) FROM files WHERE folder_id=?", (row["id"],))
        out: dict[str, Any] = {"parentId": row["parent_id"], "filesCount": int(files or 0), "foldersCount": 0}
        out.update(isShareable=False, isFavorite=False, id=row["id"], title=row["title"], access=0, shared=False)
        out["created"] = out["updated"] = row["created"]
        employee = self.employee(row["created_by"])
        if employee:
            out["createdBy"] = out["updatedBy"] = employee
        out.update(rootFolderType=row["root_type"], providerItem=False, denyDownload=False, denySharing=False)
        return out

    # ---- CRM ----
    def contact_base(self, row: sqlite3.Row) -> dict[str, Any]:
        return {
            "smallFotoUrl": contact_photo_url(row, "small"),
            "mediumFotoUrl": contact_photo_url(row, "medium"),
            "displayName": row["display_name"],
            "isCompany": bool(row["is_company"]),
            "accessList": [],
            "isPrivate": False,
            "isShared": True,
            "shareType": 1,
            "canEdit": True,
            "canDelete": True,
            "id": row["id"],
        }

    def contact(self, row: sqlite3.Row) -> dict[str, Any]:
        out: dict[str, Any] = {"addresses": []}
        creator = self.employee(row["created_by"])
        if creator:
            out["createBy"] = creator
        out.update(created=row["created"], about=row["about"] or "", industry=row["industry"] or "")
        out["commonData"] = [{"infoType": 1, "category": 0, "data": row["email"], "isPrimary": True, "id": row["id"]}]
        out.update(customFields=[], tags=[], taskCount=0, haveLateTasks=False, **self.contact_base(row))
        if row["is_company"]:
            persons = self.store.read("SELECT * FROM contacts WHERE company_id=? ORDER BY id", (row["id"],))
            out.update(companyName=row["display_name"], persons=[self.contact_base(p) for p in persons])
            out["personsCount"] = len(persons)
        else:
            out.update(firstName=row["first_name"], lastName=row["last_name"], title=row["title"] or "")
            company = self.store.read_one("SELECT * FROM contacts WHERE id=?", (row["company_id"],))
            if company is not None:
                out["company"] = self.contact_base(company)
        return out


def human_size(size: int) -> str:
    """FileSizeComment.FilesSizeToString: "12.06 KB"."""
    if size < 1024:
        return f"{size} bytes"
    value = float(size)
    for unit in ("KB", "MB", "GB", "TB"):
        value /= 1024
        if value < 1024 or unit == "TB":
            break
    return f"{value:.2f}".rstrip("0").rstrip(".") + f" {unit}"
