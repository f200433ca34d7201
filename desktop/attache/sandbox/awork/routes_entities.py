"""Browsing: the lists and single records a client reads (awork.md §2).

Plain `def` endpoints: Starlette runs them in its thread pool, so SQLite work never blocks
the event loop that is busy streaming someone's upload.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from attache.sandbox.awork import shapes
from attache.sandbox.awork.errors import ApiError
from attache.sandbox.awork.query import ListSpec, page_ids, page_request
from attache.sandbox.awork.store import Store
from attache.sandbox.awork.web import flag, json_response, list_response, store_of

Builder = Callable[[Store, Sequence[int]], list[dict[str, Any]]]


def _list(request: Request, spec: ListSpec, build: Builder, where: str = "", params: Sequence[Any] = ()) -> Response:
    page = page_request(request.query_params)
    store = store_of(request)
    rowids, total = page_ids(store, spec, page, where, params)
    return list_response(build(store, rowids), page, total)


def _one(request: Request, table: str, key: str, build: Builder, what: str) -> Response:
    store = store_of(request)
    entity_id = request.path_params[key]
    rowid = store.scalar(f"SELECT rowid FROM {table} WHERE id=?", (entity_id,))
    if rowid is None:
        raise ApiError.not_found(f"The {what} was not found.", f"No {what} with the id '{entity_id}' exists.")
    return json_response(build(store, [rowid])[0])


def list_projects(request: Request) -> Response:
    return _list(request, shapes.PROJECTS, shapes.projects)


def get_project(request: Request) -> Response:
    return _one(request, "projects", "project_id", shapes.projects, "project")


def list_project_tasks(request: Request) -> Response:
    project_id = request.path_params["project_id"]
    if not store_of(request).exists("projects", project_id):
        raise ApiError.not_found("The project was not found.", f"No project with the id '{project_id}' exists.")
    return _list(request, shapes.TASKS, shapes.tasks, "t.project_id = ?", (project_id,))


def list_companies(request: Request) -> Response:
    return _list(request, shapes.COMPANIES, shapes.companies)


def get_company(request: Request) -> Response:
    return _one(request, "companies", "company_id", shapes.companies, "company")


def list_users(request: Request) -> Response:
    archived = flag(request, "showArchived", False)
    return _list(request, shapes.USERS, shapes.users, "" if archived else "u.is_archived = 0")


def get_user(request: Request) -> Response:
    return _one(request, "users", "user_id", shapes.users, "user")


def get_me(request: Request) -> Response:
    body = shapes.me(store_of(request))
    if body is None:
        raise ApiError.not_found("The current user was not found.")
    return json_response(body)


def get_workspace(request: Request) -> Response:
    body = shapes.workspace(store_of(request), request.path_params["workspace_id"])
    if body is None:
        raise ApiError.not_found("The workspace was not found.")
    return json_response(body)


def list_project_templates(request: Request) -> Response:
    return _list(request, shapes.PROJECT_TEMPLATES, shapes.project_templates)


def get_project_template(request: Request) -> Response:
    return _one(request, "project_templates", "template_id", shapes.project_templates, "project template")


def list_all_tasks(request: Request) -> Response:
    return _list(request, shapes.TASKS, shapes.tasks)


def get_task(request: Request) -> Response:
    return _one(request, "tasks", "task_id", shapes.tasks, "task")


ROUTES = [
    Route("/projects", list_projects, methods=["GET"]),
    Route("/projects/{project_id}", get_project, methods=["GET"]),
    Route("/projects/{project_id}/projecttasks", list_project_tasks, methods=["GET"]),
    Route("/companies", list_companies, methods=["GET"]),
    Route("/companies/{company_id}", get_company, methods=["GET"]),
    Route("/users", list_users, methods=["GET"]),
    Route("/users/me", get_me, methods=["GET"]),
    Route("/users/{user_id}", get_user, methods=["GET"]),
    Route("/me", get_me, methods=["GET"]),
    Route("/me/allavailabletasks", list_all_tasks, methods=["GET"]),
    Route("/workspaces/{workspace_id}", get_workspace, methods=["GET"]),
    Route("/projecttemplates", list_project_templates, methods=["GET"]),
    Route("/projecttemplates/{template_id}", get_project_template, methods=["GET"]),
    Route("/tasks/{task_id}", get_task, methods=["GET"]),
]
