"""ONLYOFFICE's envelope, its errors and its lists, over MockTransport answers shaped as the portal's."""

from __future__ import annotations

import httpx
import pytest
from onlyoffice_fakes import (
    PORTAL,
    backend_for,
    envelope,
    error_envelope,
    paged,
    unauthorized,
)

from attache.backends.onlyoffice import OnlyofficeBackend
from attache.core.errors import (
    AuthenticationError,
    NotFoundError,
    PermissionDeniedError,
    ProtocolError,
    ServerError,
    UnsupportedError,
)
from attache.core.models import EntityKind, EntityRef

ME = {"id": "u-1", "displayName": "Ada Admin", "firstName": "Ada", "lastName": "Admin", "userName": "ada"}


def people(n: int) -> list[dict[str, object]]:
    return [
        {
            "id": f"u-{i}",
            "displayName": f"Person {i}",
            "title": "Engineer",
            "avatarSmall": "/skins/default/images/default_user_photo_size_32-32.png",
            "avatar": f"/storage/userPhotos/root/u-{i}_size_82-82.png?_=1" if i % 2 else "",
        }
        for i in range(n)
    ]


def test_the_token_goes_raw_and_the_envelope_is_unwrapped() -> None:
    seen: list[httpx.Request] = []

    def handler(request: httpx.Request) -> httpx.Response:
        seen.append(request)
        if request.url.path == "/api/2.0/people/@self":
            return envelope(ME)
        if request.url.path == "/api/2.0/portal":
            return envelope({"tenantId": 1, "tenantAlias": "office", "name": "Acme Office"})
        return envelope(None, status=404)

    with backend_for(handler) as backend:
        workspace = backend.workspace()
    assert workspace.kind is EntityKind.WORKSPACE
    assert workspace.name == "Acme Office"
    assert "Ada Admin" in workspace.subtitle
    assert all(r.headers["Authorization"] == "tok" for r in seen)


def test_the_workspace_falls_back_to_the_host_when_the_portal_is_not_described() -> None:
    def handler(request: httpx.Request) -> httpx.Response:
        if request.url.path == "/api/2.0/people/@self":
            return envelope(ME)
        return error_envelope(403, "Access denied")

    with backend_for(handler) as backend:
        assert backend.workspace().name == "office.test"


def test_paging_counts_what_came_and_ignores_next_index() -> None:
    everyone = people(450)
    asked: list[tuple[int, int]] = []

    def handler(request: httpx.Request) -> httpx.Response:
        asked.append((int(request.url.params["startIndex"]), int(request.url.params["count"])))
        return paged(everyone, request)

    with backend_for(handler) as backend:
        pages = list(backend.iter_pages(EntityKind.USER, page_size=200))
    # nextIndex says 201 and 401; the offsets are what arrived: 200 and 400.
    assert asked == [(0, 200), (200, 200), (400, 200)]
    assert [len(p.items) for p in pages] == [200, 200, 50]
    assert [p.total for p in pages] == [450, 450, 450]
    assert pages[-1].is_last and not pages[0].is_last
    assert [e.id for p in pages for e in p.items] == [p["id"] for p in everyone]


def test_a_short_page_ends_the_list_without_a_total() -> None:
    calls = []

    def handler(request: httpx.Request) -> httpx.Response:
        calls.append(request)
        return envelope(people(3), next_index=5)  # a stray nextIndex, no total

    with backend_for(handler) as backend:
        pages = list(backend.iter_pages(EntityKind.USER, page_size=10))
    assert len(calls) == 1 and pages[0].is_last and len(pages[0].items) == 3


def test_the_total_ends_the_list_on_a_full_page() -> None:
    calls = []

    def handler(request: httpx.Request) -> httpx.Response:
        calls.append(request)
        return paged(people(20), request)

    with backend_for(handler) as backend:
        pages = list(backend.iter_pages(EntityKind.USER, page_size=10))
    assert len(calls) == 2 and pages[-1].is_last


def test_page_size_is_capped_at_the_portal_maximum() -> None:
    def handler(request: httpx.Request) -> httpx.Response:
        assert request.url.params["count"] == "1000"
        return paged(people(5), request)

    with backend_for(handler) as backend:
        list(backend.iter_pages(EntityKind.USER, page_size=5000))


@pytest.mark.parametrize(
    ("kind", "parent", "path", "query"),
    [
        (EntityKind.PROJECT, None, "/api/2.0/project/filter", {}),
        (EntityKind.TASK, None, "/api/2.0/project/task/filter", {}),
        (EntityKind.TASK, EntityRef(EntityKind.PROJECT, "12"), "/api/2.0/project/task/filter", {"projectid": "12"}),
        (EntityKind.USER, None, "/api/2.0/people/filter", {}),
        (EntityKind.COMPANY, None, "/api/2.0/crm/contact/filter", {"contactListView": "company"}),
        (EntityKind.CONTACT_PERSON, None, "/api/2.0/crm/contact/filter", {"contactListView": "person"}),
    ],
)
def test_each_kind_lists_from_its_filter_and_searches_on_the_server(
    kind: EntityKind, parent: EntityRef | None, path: str, query: dict[str, str]
) -> None:
    seen: list[httpx.Request] = []

    def handler(request: httpx.Request) -> httpx.Response:
        seen.append(request)
        return envelope([])

    with backend_for(handler) as backend:
        list(backend.iter_pages(kind, parent=parent, search=" acme "))
    (request,) = seen
    assert request.url.path == path
    assert request.url.params["filterValue"] == "acme"
    for key, value in query.items():
        assert request.url.params[key] == value


def test_entities_name_their_parents_photos_and_versions() -> None:
    task = {
        "id": 31,
        "title": "Write the report",
        "status": 1,
        "projectOwner": {"id": 12, "title": "Apollo", "status": 0, "isPrivate": False},
        "updated": "2025-01-10T09:00:00.0000000+01:00",
    }
    company = {
        "id": 5,
        "displayName": "Acme",
        "isCompany": True,
        "smallFotoUrl": "/skins/default/images/empty_company_logo_40_40.png",
        "mediumFotoUrl": "/skins/default/images/empty_company_logo_82_82.png",
        "industry": "Rockets",
    }
    person = {
        "id": 6,
        "displayName": "Bob Builder",
        "isCompany": False,
        "title": "CTO",
        "company": {"id": 5, "displayName": "Acme"},
        "smallFotoUrl": "/storage/crm/photos/6_40.jpg",
        "mediumFotoUrl": "/storage/crm/photos/6_82.jpg",
    }
    answers = {
        "/api/2.0/project/task/31": task,
        "/api/2.0/crm/contact/5": company,
        "/api/2.0/crm/contact/6": person,
        "/api/2.0/people/filter": people(2),
    }

    def handler(request: httpx.Request) -> httpx.Response:
        return envelope(answers[request.url.path])

    with backend_for(handler) as backend:
        got_task = backend.get_entity(EntityRef(EntityKind.TASK, "31"))
        got_company = backend.get_entity(EntityRef(EntityKind.COMPANY, "5"))
        got_person = backend.get_entity(EntityRef(EntityKind.CONTACT_PERSON, "6"))
        users = next(backend.iter_pages(EntityKind.USER)).items
        with pytest.raises(NotFoundError, match="no company 6"):
            backend.get_entity(EntityRef(EntityKind.COMPANY, "6"))  # a person, not a company
    assert got_task.parent_id(EntityKind.PROJECT) == "12" and got_task.subtitle == "Apollo"
    assert got_task.version.startswith("2025-01-10")
    assert not got_company.has_image and got_company.subtitle == "Rockets"
    assert got_person.has_image and got_person.subtitle == "CTO · Acme"
    assert got_person.parent_id(EntityKind.COMPANY) == "5"
    assert [u.has_image for u in users] == [False, True]
    assert users[1].version  # keyed on the photo, so a new photo is fetched again


# ---------------------------------------------------------------------- errors


def answer_with(response: httpx.Response) -> OnlyofficeBackend:
    return backend_for(lambda request: response)


def test_the_plain_text_401_asks_to_sign_in_again_naming_the_account() -> None:
    with answer_with(unauthorized()) as backend, pytest.raises(AuthenticationError) as caught:
        backend.get_entity(EntityRef(EntityKind.PROJECT, "1"))
    assert "work" in str(caught.value) and "sign in again" in str(caught.value)
    assert caught.value.account == "work"


def test_status_one_is_an_error_even_with_a_success_status() -> None:
    backend = answer_with(error_envelope(404, "Project not found", http_status=200))
    with backend, pytest.raises(NotFoundError, match="ONLYOFFICE has no project 1"):
        backend.get_entity(EntityRef(EntityKind.PROJECT, "1"))


@pytest.mark.parametrize(
    ("status", "message", "error", "words"),
    [
        (403, "Access denied", PermissionDeniedError, "does not allow account 'work'"),
        (404, "The record could not be found", NotFoundError, "ONLYOFFICE has no task 9"),
        (500, "Database is down", ServerError, "Database is down"),
        (400, "Invalid arguments", ServerError, "Invalid arguments"),
        (402, "Payment required", PermissionDeniedError, "not paid"),
    ],
)
def test_error_envelopes_become_specific_errors(status: int, message: str, error: type[Exception], words: str) -> None:
    with answer_with(error_envelope(status, message)) as backend, pytest.raises(error) as caught:
        backend.get_entity(EntityRef(EntityKind.TASK, "9"))
    assert words in str(caught.value)


@pytest.mark.parametrize("status", [200, 404])
def test_an_html_page_is_not_an_onlyoffice_portal(status: int) -> None:
    page = httpx.Response(
        status, text="<!DOCTYPE html><html><body>Welcome</body></html>", headers={"Content-Type": "text/html"}
    )
    with answer_with(page) as backend, pytest.raises(ProtocolError) as caught:
        backend.workspace()
    assert "did not answer as an ONLYOFFICE portal" in str(caught.value)
    assert PORTAL in str(caught.value)


def test_json_that_is_not_an_envelope_is_not_an_onlyoffice_portal() -> None:
    with answer_with(httpx.Response(200, json=[{"id": 1}])) as backend, pytest.raises(ProtocolError):
        next(backend.iter_pages(EntityKind.PROJECT))


def test_kinds_the_portal_lacks_are_refused_with_the_tables_reason() -> None:
    with answer_with(envelope([])) as backend:
        with pytest.raises(UnsupportedError):
            next(backend.iter_pages(EntityKind.PROJECT_TEMPLATE))
        with pytest.raises(UnsupportedError, match="no picture"):
            backend.get_image(EntityRef(EntityKind.PROJECT, "1"))
        with pytest.raises(UnsupportedError):
            backend.file_thumbnail(EntityRef(EntityKind.TASK, "1"), "2", 64)
