"""Lists and single records (onlyoffice.md §2.4–2.7): projects, tasks, people, CRM contacts, the
portal itself and its capabilities. `…/filter` endpoints page in the database and set `total`;
`filterValue` is a case-insensitive search in titles and names."""

from __future__ import annotations

import sqlite3
from typing import Any

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from attache.sandbox.onlyoffice.envelope import ApiError, answer, page_of, query, search_text
from attache.sandbox.onlyoffice.web import int_param, me, shapes, store


def _paged(request: Request, sql: str, params: tuple[Any, ...], order: str) -> tuple[list[sqlite3.Row], Any, int]:
    page = page_of(request)
    total = int(store(request).scalar(f"SELECT COUNT(*) FROM ({sql})", params) or 0)
    rows = store(request).read(f"{sql} ORDER BY {order} LIMIT ? OFFSET ?", (*params, page.size, page.start))
    return rows, page, total


def _like(request: Request) -> str:
    return f"%{search_text(request)}%"


def _descending(request: Request) -> str:
    return "DESC" if (query(request, "sortOrder") or "").lower() == "descending" else "ASC"


def projects(request: Request) -> Response:
    sql = "SELECT * FROM projects WHERE lower(title) LIKE ?"
    order = "title" if (query(request, "sortBy") or "").lower() == "title" else "created"
    rows, page, total = _paged(request, sql, (_like(request),), f"{order} {_descending(request)}, id")
    wrap = shapes(request)
    return answer(request, [wrap.project_full(row) for row in rows], page=page, total=total)


def _project(request: Request, project_id: int) -> sqlite3.Row:
    row = store(request).read_one("SELECT * FROM projects WHERE id=?", (project_id,))
    if row is None:
        raise ApiError.not_found()
    return row


def project(request: Request) -> Response:
    return answer(request, shapes(request).project_full(_project(request, int_param(request, "id"))))


def tasks(request: Request) -> Response:
    sql, params = "SELECT * FROM tasks WHERE lower(title) LIKE ?", [_like(request)]
    project_id = query(request, "projectid")
    if project_id:
        if not project_id.isdigit():
            raise ApiError.invalid()
        sql += " AND project_id=?"
        params.append(int(project_id))
    status = (query(request, "status") or "").lower()
    if status in ("open", "closed", "1", "2"):
        sql += " AND status=?"
        params.append(1 if status in ("open", "1") else 2)
    rows, page, total = _paged(request, sql, tuple(params), "id")
    wrap = shapes(request)
    owners = {row["id"]: row for row in store(request).read("SELECT * FROM projects")}
    return answer(request, [wrap.task(row, owners[row["project_id"]]) for row in rows], page=page, total=total)


def task_row(request: Request) -> tuple[sqlite3.Row, sqlite3.Row]:
    row = store(request).read_one("SELECT * FROM tasks WHERE id=?", (int_param(request, "taskid"),))
    if row is None:
        raise ApiError.not_found()
    return row, _project(request, row["project_id"])


def task(request: Request) -> Response:
    row, owner = task_row(request)
    return answer(request, shapes(request).task_full(row, owner))


def people(request: Request) -> Response:
    sql = "SELECT * FROM users WHERE lower(first_name || ' ' || last_name) LIKE ? OR lower(email) LIKE ?"
    order = "last_name, first_name" if (query(request, "sortBy") or "").lower() == "lastname" else "first_name"
    rows, page, total = _paged(request, sql, (_like(request), _like(request)), f"{order} {_descending(request)}, id")
    wrap = shapes(request)
    return answer(request, [wrap.employee_full(row["id"]) for row in rows], page=page, total=total)


def myself(request: Request) -> Response:
    return answer(request, shapes(request).employee_full(me(request)))


def person(request: Request) -> Response:
    """`/people/{username}`: a user name or a GUID."""
    key = request.path_params["username"]
    row = store(request).read_one(
        "SELECT id FROM users WHERE lower(id)=lower(?) OR lower(user_name)=lower(?)", (key, key)
    )
    if row is None:
        raise ApiError.not_found("User not found")
    return answer(request, shapes(request).employee_full(row["id"]))


_LIST_VIEWS = {"all": "", "company": " AND is_company=1", "person": " AND is_company=0", "withopportunity": " AND 0"}


def contacts(request: Request) -> Response:
    view = (query(request, "contactListView") or "all").lower()
    if view not in _LIST_VIEWS:
        raise ApiError.invalid()
    sql = "SELECT * FROM contacts WHERE lower(display_name) LIKE ?" + _LIST_VIEWS[view]
    sort = (query(request, "sortBy") or "created").lower()
    column = {"displayname": "display_name", "firstname": "first_name", "lastname": "last_name", "id": "id"}
    order = column.get(sort, "created")
    direction = _descending(request) if query(request, "sortOrder") else ("DESC" if order == "created" else "ASC")
    rows, page, total = _paged(request, sql, (_like(request),), f"{order} {direction}, id")
    wrap = shapes(request)
    return answer(request, [wrap.contact(row) for row in rows], page=page, total=total)


def contact_row(request: Request) -> sqlite3.Row:
    row = store(request).read_one("SELECT * FROM contacts WHERE id=?", (int_param(request, "contactid"),))
    if row is None:
        raise ApiError.not_found()
    return row


def contact(request: Request) -> Response:
    return answer(request, shapes(request).contact(contact_row(request)))


def portal(request: Request) -> Response:
    """`GET /api/2.0/portal`: the current Tenant (the spec leaves its schema open)."""
    meta = store(request).get_meta
    alias = meta("portal_alias")
    tenant = {
        "tenantId": 1,
        "tenantAlias": alias,
        "tenantDomain": request.url.hostname,
        "name": meta("portal_name"),
        "language": "en-US",
        "timeZone": "UTC",
        "trustedDomains": [],
        "trustedDomainsType": 0,
        "ownerId": meta("owner_id"),
        "createdDateTime": meta("created"),
        "lastModified": meta("created"),
        "status": 0,
        "industry": 0,
        "spam": False,
        "calls": False,
    }
    return answer(request, tenant)


def capabilities(request: Request) -> Response:
    return answer(request, {"ldapEnabled": False, "oauthEnabled": False, "providers": [], "ssoLabel": "", "ssoUrl": ""})


ROUTES = [
    Route("/project/filter", projects, methods=["GET"]),
    Route("/project/{id}", project, methods=["GET"]),
    Route("/project/task/filter", tasks, methods=["GET"]),
    Route("/project/task/{taskid}", task, methods=["GET"]),
    Route("/people/filter", people, methods=["GET"]),
    Route("/people/@self", myself, methods=["GET"]),
    Route("/people/{username}", person, methods=["GET"]),
    Route("/crm/contact/filter", contacts, methods=["GET"]),
    Route("/crm/contact/{contactid}", contact, methods=["GET"]),
    Route("/portal", portal, methods=["GET"]),
    Route("/capabilities", capabilities, methods=["GET"]),
]
