"""Rows → the JSON awork sends, shaped to validate against the spec's schemas.

Every model in awork's spec says `additionalProperties: false`, so builders emit only
properties the schema names; nested `$ref` objects are non-nullable in OpenAPI 3.0, so an
absent company or type is left out rather than sent as null.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Sequence
from typing import Any

from attache.sandbox.awork.query import Field, ListSpec
from attache.sandbox.awork.store import IMAGE_ENTITIES, Store

Row = sqlite3.Row


def _b(value: Any) -> bool:
    return bool(value)


# ---- list specs: which properties filterby/orderby may name ----
def _audit(alias: str) -> dict[str, Field]:
    return {
        "id": Field(f"{alias}.id", "id"),
        "createdon": Field(f"{alias}.created_on", "date"),
        "createdby": Field(f"{alias}.created_by", "id"),
        "updatedon": Field(f"{alias}.updated_on", "date"),
        "updatedby": Field(f"{alias}.updated_by", "id"),
    }


PROJECTS = ListSpec(
    "projects p",
    "p",
    {
        **_audit("p"),
        "name": Field("p.name"),
        "description": Field("p.description"),
        "projectkey": Field("p.project_key"),
        "companyid": Field("p.company_id", "id"),
        "projectstatusid": Field("p.status_id", "id"),
        "projecttypeid": Field("p.type_id", "id"),
        "isprivate": Field("p.is_private", "bool"),
        "hasimage": Field("p.has_image", "bool"),
        "startdate": Field("p.start_date", "date"),
        "duedate": Field("p.due_date", "date"),
        "company/name": Field("c.name", join="c"),
        "projectstatus/type": Field("ps.type", join="ps"),
        "projectstatus/name": Field("ps.name", join="ps"),
    },
    {"c": "LEFT JOIN companies c ON c.id = p.company_id", "ps": "LEFT JOIN project_statuses ps ON ps.id = p.status_id"},
)

COMPANIES = ListSpec(
    "companies c",
    "c",
    {
        **_audit("c"),
        "name": Field("c.name"),
        "description": Field("c.description"),
        "industry": Field("c.industry"),
        "hasimage": Field("c.has_image", "bool"),
    },
)

USERS = ListSpec(
    "users u",
    "u",
    {
        **_audit("u"),
        "firstname": Field("u.first_name"),
        "lastname": Field("u.last_name"),
        "position": Field("u.position"),
        "isarchived": Field("u.is_archived", "bool"),
        "hasimage": Field("u.has_image", "bool"),
    },
)

PROJECT_TEMPLATES = ListSpec(
    "project_templates pt",
    "pt",
    {
        **_audit("pt"),
        "name": Field("pt.name"),
        "description": Field("pt.description"),
        "hasimage": Field("pt.has_image", "bool"),
    },
)

TASKS = ListSpec(
    "tasks t",
    "t",
    {
        **_audit("t"),
        "name": Field("t.name"),
        "description": Field("t.description"),
        "projectid": Field("t.project_id", "id"),
        "taskstatusid": Field("t.status_id", "id"),
        "typeofworkid": Field("t.type_of_work_id", "id"),
        "tasknumber": Field("t.task_number", "num"),
        "isprio": Field("t.is_prio", "bool"),
        "dueon": Field("t.due_on", "date"),
        "order": Field("t.ord", "num"),
        "taskstatus/type": Field("s.type", join="s"),
        "taskstatus/name": Field("s.name", join="s"),
        "project/name": Field("p.name", join="p"),
    },
    {"s": "LEFT JOIN task_statuses s ON s.id = t.status_id", "p": "LEFT JOIN projects p ON p.id = t.project_id"},
)

TASK_FILES = ListSpec(
    "files f",
    "f",
    {
        **_audit("f"),
        "name": Field("f.name"),
        "filename": Field("f.file_name"),
        "mimetype": Field("f.mime_type"),
        "description": Field("f.description"),
    },
    default_order="f.created_on",
)


def _in(rowids: Sequence[int]) -> str:
    return ",".join("?" * len(rowids))


def _ordered(rows: list[Row], rowids: Sequence[int]) -> list[Row]:
    by_rowid = {row["rid"]: row for row in rows}
    return [by_rowid[r] for r in rowids if r in by_rowid]


# ---- projects ----
_PROJECT_SELECT = """
SELECT p.rowid AS rid, p.*, c.name AS c_name, c.has_image AS c_has_image, c.description AS c_description,
       ps.name AS ps_name, ps.type AS ps_type, ps.type_order AS ps_order, pt.name AS pt_name, pt.icon AS pt_icon,
       (SELECT COUNT(*) FROM tasks t WHERE t.project_id = p.id) AS tasks_count,
       (SELECT COUNT(*) FROM tasks t JOIN task_statuses s ON s.id = t.status_id
         WHERE t.project_id = p.id AND s.type = 'done') AS tasks_done
FROM projects p
LEFT JOIN companies c ON c.id = p.company_id
LEFT JOIN project_statuses ps ON ps.id = p.status_id
LEFT JOIN project_types pt ON pt.id = p.type_id
"""


def projects(store: Store, rowids: Sequence[int]) -> list[dict[str, Any]]:
    if not rowids:
        return []
    rows = _ordered(store.read(f"{_PROJECT_SELECT} WHERE p.rowid IN ({_in(rowids)})", rowids), rowids)
    members = _members(store, [r["id"] for r in rows])
    return [_project(r, members.get(r["id"], [])) for r in rows]


def project_rowid(store: Store, project_id: str) -> int | None:
    return store.scalar("SELECT rowid FROM projects WHERE id=?", (project_id,))


def _members(store: Store, project_ids: list[str]) -> dict[str, list[dict[str, Any]]]:
    out: dict[str, list[dict[str, Any]]] = {}
    rows = store.read(
        f"""SELECT m.*, u.first_name, u.last_name, u.has_image, u.is_archived FROM project_members m
            JOIN users u ON u.id = m.user_id WHERE m.project_id IN ({_in(project_ids)})""",
        project_ids,
    )
    for m in rows:
        out.setdefault(m["project_id"], []).append(
            {
                "id": m["id"],
                "userId": m["user_id"],
                "firstName": m["first_name"],
                "lastName": m["last_name"],
                "hasImage": _b(m["has_image"]),
                "projectRoleId": m["role_id"] or m["id"],
                "projectRoleName": m["role_name"],
                "isResponsible": _b(m["is_responsible"]),
                "isDeactivated": _b(m["is_archived"]),
                "isExternal": False,
            }
        )
    return out


def _project(r: Row, members: list[dict[str, Any]]) -> dict[str, Any]:
    closed = r["ps_type"] == "closed"
    body: dict[str, Any] = {
        "id": r["id"],
        "name": r["name"],
        "description": r["description"],
        "projectKey": r["project_key"],
        "color": r["color"],
        "isPrivate": _b(r["is_private"]),
        "startDate": r["start_date"],
        "dueDate": r["due_date"],
        "companyId": r["company_id"],
        "timeBudget": r["time_budget"],
        "isBillableByDefault": _b(r["is_billable"]),
        "projectTypeId": r["type_id"],
        "deductNonBillableHours": False,
        "projectStatusId": r["status_id"],
        "projectTemplateId": r["template_id"],
        "workflowId": r["workflow_id"],
        "hasImage": _b(r["has_image"]),
        "createdOn": r["created_on"],
        "createdBy": r["created_by"],
        "updatedOn": r["updated_on"],
        "updatedBy": r["updated_by"],
        "closedOn": r["updated_on"] if closed else None,
        "closedBy": r["updated_by"] if closed else None,
        "createdByProjectTemplateId": r["template_id"],
        "projectStatus": {
            "id": r["status_id"],
            "name": r["ps_name"],
            "description": None,
            "type": r["ps_type"],
            "isArchived": False,
            "typeOrder": r["ps_order"],
            "isExternal": False,
        },
        "tags": [],
        "tasksCount": r["tasks_count"],
        "tasksDoneCount": r["tasks_done"],
        "members": members,
        "trackedDuration": 0,
        "customFields": [],
        "resourceVersion": r["rv"],
        "teams": [],
        "isExternal": False,
        "isRetainer": r["pt_name"] == "Retainer",
        "isMultiAssignmentAllowed": True,
    }
    if r["type_id"]:
        body["projectType"] = {"id": r["type_id"], "name": r["pt_name"], "icon": r["pt_icon"], "isArchived": False}
    if r["company_id"]:
        body["company"] = {
            "id": r["company_id"],
            "name": r["c_name"],
            "hasImage": _b(r["c_has_image"]),
            "description": r["c_description"],
            "tags": [],
        }
    return body


# ---- companies ----
def companies(store: Store, rowids: Sequence[int]) -> list[dict[str, Any]]:
    if not rowids:
        return []
    rows = store.read(
        f"""SELECT c.rowid AS rid, c.*,
              (SELECT COUNT(*) FROM projects p WHERE p.company_id = c.id) AS projects_count,
              (SELECT COUNT(*) FROM projects p JOIN project_statuses ps ON ps.id = p.status_id
                WHERE p.company_id = c.id AND ps.type = 'progress') AS projects_active
            FROM companies c WHERE c.rowid IN ({_in(rowids)})""",
        rowids,
    )
    return [
        {
            "name": r["name"],
            "description": r["description"],
            "industry": r["industry"],
            "id": r["id"],
            "hasImage": _b(r["has_image"]),
            "companyContactInfos": [],
            "createdOn": r["created_on"],
            "createdBy": r["created_by"],
            "updatedOn": r["updated_on"],
            "updatedBy": r["updated_by"],
            "resourceVersion": r["rv"],
            "tags": [],
            "projectsCount": r["projects_count"],
            "projectsInProgressCount": r["projects_active"],
            "isExternal": False,
        }
        for r in _ordered(rows, rowids)
    ]


# ---- users ----
def users(store: Store, rowids: Sequence[int]) -> list[dict[str, Any]]:
    if not rowids:
        return []
    rows = store.read(f"SELECT u.rowid AS rid, u.* FROM users u WHERE u.rowid IN ({_in(rowids)})", rowids)
    return [user(r) for r in _ordered(rows, rowids)]


def user(r: Row) -> dict[str, Any]:
    return {
        "firstName": r["first_name"],
        "lastName": r["last_name"],
        "birthDate": None,
        "gender": r["gender"],
        "title": r["title"],
        "position": r["position"],
        "language": r["language"],
        "id": r["id"],
        "status": {"invitationAccepted": True, "isDeactivated": False},
        "createdOn": r["created_on"],
        "createdBy": r["created_by"],
        "updatedOn": r["updated_on"],
        "updatedBy": r["updated_by"],
        "isArchived": _b(r["is_archived"]),
        "isDeactivated": False,
        "isAgent": False,
        "deactivatedOn": None,
        "deletedOn": None,
        "hasImage": _b(r["has_image"]),
        "shouldMigrateToConnect": False,
        "userContactInfos": [],
        "resourceVersion": r["rv"],
        "tags": [],
        "teams": [],
        "isExternal": False,
    }


def me(store: Store) -> dict[str, Any] | None:
    row = store.read_one("SELECT * FROM users WHERE id=?", (store.get_meta("me_user_id"),))
    ws = store.read_one("SELECT * FROM workspaces WHERE id=?", (store.get_meta("workspace_id"),))
    if row is None or ws is None:
        return None
    return {**user(row), "accountId": None, "workspace": {"id": ws["id"], "name": ws["name"], "url": ws["url"]}}


# ---- workspace ----
def workspace(store: Store, workspace_id: str) -> dict[str, Any] | None:
    r = store.read_one("SELECT * FROM workspaces WHERE id=?", (workspace_id,))
    if r is None:
        return None
    members = store.scalar("SELECT COUNT(*) FROM users WHERE is_archived = 0")
    return {
        "name": r["name"],
        "description": r["description"],
        "language": r["language"],
        "type": "creative-agency",
        "size": str(members),
        "allowSocialLogin": True,
        "allowCredentialsLogin": True,
        "requireMfa": False,
        "id": r["id"],
        "subdomains": [{"name": r["subdomain"], "isDefault": True}],
        "memberCount": members,
        "hasImage": _b(r["has_image"]),
        "createdOn": r["created_on"],
        "createdBy": r["created_by"],
        "updatedOn": r["updated_on"],
        "updatedBy": r["updated_by"],
        "isTestWorkspace": False,
    }


# ---- project templates ----
def project_templates(store: Store, rowids: Sequence[int]) -> list[dict[str, Any]]:
    if not rowids:
        return []
    rows = store.read(
        f"SELECT pt.rowid AS rid, pt.* FROM project_templates pt WHERE pt.rowid IN ({_in(rowids)})", rowids
    )
    return [
        {
            "id": r["id"],
            "name": r["name"],
            "description": r["description"],
            "createdOn": r["created_on"],
            "createdBy": r["created_by"],
            "updatedOn": r["updated_on"],
            "updatedBy": r["updated_by"],
            "isBillableByDefault": "auto",
            "defaultTaskListIdForEmails": None,
            "hasImage": _b(r["has_image"]),
            "copyImageToProjectOnCreation": True,
            "projectTypeId": r["project_type_id"],
            "workflowId": r["workflow_id"],
            "timeBudget": r["time_budget"],
            "hasRelativeTasks": False,
        }
        for r in _ordered(rows, rowids)
    ]


# ---- tasks ----
_TASK_SELECT = """
SELECT t.rowid AS rid, t.*, p.name AS p_name, p.project_key AS p_key, p.has_image AS p_has_image,
       p.is_private AS p_private, p.is_billable AS p_billable, p.color AS p_color, p.created_by AS p_created_by,
       p.company_id AS p_company_id, p.status_id AS p_status_id, p.type_id AS p_type_id,
       ps.name AS ps_name, ps.type AS ps_type, c.name AS c_name, c.has_image AS c_has_image,
       c.description AS c_description, pt.name AS pt_name, pt.icon AS pt_icon,
       s.name AS s_name, s.type AS s_type, s.ord AS s_ord, s.icon AS s_icon, s.workflow_id AS s_workflow,
       s.created_on AS s_created_on, s.created_by AS s_created_by, w.name AS w_name, w.icon AS w_icon,
       EXISTS(SELECT 1 FROM files f WHERE f.task_id = t.id) AS has_attachment
FROM tasks t
LEFT JOIN projects p ON p.id = t.project_id
LEFT JOIN project_statuses ps ON ps.id = p.status_id
LEFT JOIN companies c ON c.id = p.company_id
LEFT JOIN project_types pt ON pt.id = p.type_id
LEFT JOIN task_statuses s ON s.id = t.status_id
LEFT JOIN types_of_work w ON w.id = t.type_of_work_id
"""


def tasks(store: Store, rowids: Sequence[int]) -> list[dict[str, Any]]:
    if not rowids:
        return []
    rows = _ordered(store.read(f"{_TASK_SELECT} WHERE t.rowid IN ({_in(rowids)})", rowids), rowids)
    ids = [r["id"] for r in rows]
    assignees: dict[str, list[dict[str, Any]]] = {}
    for a in store.read(
        f"""SELECT a.task_id, u.id, u.first_name, u.last_name, u.has_image, u.updated_on FROM task_assignees a
            JOIN users u ON u.id = a.user_id WHERE a.task_id IN ({_in(ids)})""",
        ids,
    ):
        assignees.setdefault(a["task_id"], []).append(
            {
                "id": a["id"],
                "firstName": a["first_name"],
                "lastName": a["last_name"],
                "hasImage": _b(a["has_image"]),
                "plannedEffort": 0,
                "isDistributedPlannedEffort": True,
                "updatedOn": a["updated_on"],
                "isExternal": False,
            }
        )
    return [_task(r, assignees.get(r["id"], [])) for r in rows]


def task_rowid(store: Store, task_id: str) -> int | None:
    return store.scalar("SELECT rowid FROM tasks WHERE id=?", (task_id,))


def _task(r: Row, assignees: list[dict[str, Any]]) -> dict[str, Any]:
    body: dict[str, Any] = {
        "name": r["name"],
        "description": r["description"],
        "isPrio": _b(r["is_prio"]),
        "startOn": r["start_on"],
        "dueOn": r["due_on"],
        "laneOrder": 0,
        "plannedDuration": r["planned_duration"],
        "id": r["id"],
        "taskNumber": r["task_number"],
        "taskIdentifier": f"{r['p_key']}-{r['task_number']}" if r["p_key"] else None,
        "isExternal": False,
        "isHiddenForConnectUsers": False,
        "baseType": "projecttask" if r["project_id"] else "private",
        "taskStatusId": r["status_id"],
        "taskStatus": {
            "id": r["status_id"],
            "name": r["s_name"],
            "type": r["s_type"],
            "order": r["s_ord"],
            "icon": r["s_icon"],
            "projectId": None,
            "workflowId": r["s_workflow"],
            "createdOn": r["s_created_on"],
            "createdBy": r["s_created_by"],
            "updatedOn": r["s_created_on"],
            "updatedBy": r["s_created_by"],
            "isExternal": False,
        },
        "assignees": assignees,
        "projectId": r["project_id"],
        "parentId": None,
        "isSubtask": False,
        "numberOfSubtasks": 0,
        "hasAttachment": _b(r["has_attachment"]),
        "lists": [],
        "entityId": r["project_id"],
        "userId": None,
        "tags": [],
        "createdOn": r["created_on"],
        "createdBy": r["created_by"],
        "updatedOn": r["updated_on"],
        "updatedBy": r["updated_by"],
        "closedOn": r["closed_on"],
        "closedBy": r["closed_by"],
        "order": r["ord"],
        "subtaskOrder": None,
        "isRecurring": False,
        "customFields": [],
        "trackedDuration": 0,
        "totalTrackedDuration": 0,
        "totalPlannedDuration": r["planned_duration"],
        "resourceVersion": r["rv"],
        "checklistItemsDoneCount": 0,
        "checklistItemsCount": 0,
        "taskSchedulesCount": 0,
        "isCompletelyScheduled": False,
        "commentCount": 0,
    }
    if r["type_of_work_id"]:
        body["typeOfWorkId"] = r["type_of_work_id"]
        body["typeOfWork"] = {"id": r["type_of_work_id"], "name": r["w_name"], "icon": r["w_icon"], "isArchived": False}
    if r["project_id"]:
        project: dict[str, Any] = {
            "id": r["project_id"],
            "name": r["p_name"],
            "projectKey": r["p_key"],
            "projectStatus": {
                "id": r["p_status_id"],
                "name": r["ps_name"],
                "description": None,
                "type": r["ps_type"],
                "isArchived": False,
            },
            "companyId": r["p_company_id"],
            "hasImage": _b(r["p_has_image"]),
            "isPrivate": _b(r["p_private"]),
            "isBillableByDefault": _b(r["p_billable"]),
            "color": r["p_color"],
            "createdBy": r["p_created_by"],
            "teams": [],
            "customFields": [],
            "isExternal": False,
        }
        if r["p_company_id"]:
            project["company"] = {
                "id": r["p_company_id"],
                "name": r["c_name"],
                "hasImage": _b(r["c_has_image"]),
                "description": r["c_description"],
            }
        if r["p_type_id"]:
            project["projectType"] = {
                "id": r["p_type_id"],
                "name": r["pt_name"],
                "icon": r["pt_icon"],
                "isArchived": False,
            }
        body["project"] = project
    return body


# ---- files ----
def file_infos(store: Store, rowids: Sequence[int]) -> list[dict[str, Any]]:
    if not rowids:
        return []
    rows = _ordered(
        store.read(f"SELECT f.rowid AS rid, f.* FROM files f WHERE f.rowid IN ({_in(rowids)})", rowids), rowids
    )
    versions = store.versions_of([r["id"] for r in rows])
    return [task_file_info(r, versions[r["id"]]) for r in rows]


def file_version(v: Row) -> dict[str, Any]:
    return {
        "id": v["id"],
        "fileInfoId": v["file_id"],
        "version": v["version"],
        "size": v["size"],
        "width": v["width"],
        "height": v["height"],
        "createdOn": v["created_on"],
        "createdBy": v["created_by"],
        "updatedOn": v["created_on"],
        "updatedBy": v["created_by"],
    }


def _file_info_base(**values: Any) -> dict[str, Any]:
    return {
        "isCommentFile": False,
        "externalProvider": None,
        "externalFileUrl": None,
        "isHiddenForConnectUsers": False,
        **values,
    }


def task_file_info(r: Row, versions: list[Row]) -> dict[str, Any]:
    return _file_info_base(
        name=r["name"],
        description=r["description"],
        id=r["id"],
        entityId=r["task_id"],
        taskId=r["task_id"],
        fileName=r["file_name"],
        entityType="task",
        mimeType=r["mime_type"],
        createdOn=r["created_on"],
        createdBy=r["created_by"],
        updatedOn=r["updated_on"],
        updatedBy=r["updated_by"],
        fileVersions=[file_version(v) for v in versions],
    )


def image_file_info(image: Row) -> dict[str, Any]:
    _table, entity_type, owner_key = IMAGE_ENTITIES[image["entity_name"]]
    owner = {owner_key: image["entity_id"]} if owner_key else {}
    version = {
        "id": image["version_id"],
        "fileInfoId": image["file_id"],
        "version": 1,
        "size": image["size"],
        "width": image["width"],
        "height": image["height"],
        "createdOn": image["created_on"],
        "createdBy": image["created_by"],
        "updatedOn": image["created_on"],
        "updatedBy": image["created_by"],
    }
    return _file_info_base(
        name=image["file_name"],
        description=None,
        id=image["file_id"],
        entityId=image["entity_id"],
        **owner,
        fileName=image["file_name"],
        entityType=entity_type,
        mimeType=image["mime_type"],
        createdOn=image["created_on"],
        createdBy=image["created_by"],
        updatedOn=image["created_on"],
        updatedBy=image["created_by"],
        fileVersions=[version],
    )
