"""awork lists: when paging stops, what is sent, and how awork's JSON becomes entities."""

from __future__ import annotations

from collections.abc import Callable

import httpx
import pytest

from attache.backends.awork import AworkBackend, file_record, upload_target
from attache.backends.http import make_client
from attache.core.errors import ProtocolError, UnsupportedError
from attache.core.models import EntityKind, EntityRef

BASE = "https://awork.test/api/v1"
K = EntityKind


@pytest.fixture
def backend_for():
    clients: list[httpx.Client] = []

    def build(handler: Callable[[httpx.Request], httpx.Response]) -> AworkBackend:
        client = make_client(BASE, token_provider=lambda: "t", transport=httpx.MockTransport(handler))
        clients.append(client)
        return AworkBackend(BASE, token="t", account="Test", client=client)

    yield build
    for client in clients:
        client.close()


def paged_server(items: list[dict], *, headers: bool = True, requests: list[httpx.Request] | None = None):
    """Serves `items` like awork: page/pageSize in, a slice and aw-* headers out."""

    def handler(request: httpx.Request) -> httpx.Response:
        if requests is not None:
            requests.append(request)
        page = int(request.url.params["page"])
        size = int(request.url.params["pageSize"])
        chunk = items[(page - 1) * size : page * size]
        aw = {
            "aw-page": str(page),
            "aw-pagesize": str(size),
            "aw-items": str(len(chunk)),
            "aw-totalitems": str(len(items)),
        }
        return httpx.Response(200, json=chunk, headers=aw if headers else None)

    return handler


def projects(n: int) -> list[dict]:
    return [{"id": f"p{i}", "name": f"Project {i}", "hasImage": False} for i in range(n)]


def test_total_items_header_ends_the_list_without_an_extra_request(backend_for):
    requests: list[httpx.Request] = []
    backend = backend_for(paged_server(projects(4), requests=requests))
    pages = list(backend.iter_pages(K.PROJECT, page_size=2))
    assert [len(p.items) for p in pages] == [2, 2]
    assert [p.total for p in pages] == [4, 4]
    assert [p.is_last for p in pages] == [False, True]
    assert len(requests) == 2


def test_without_headers_a_short_page_ends_the_list(backend_for):
    requests: list[httpx.Request] = []
    backend = backend_for(paged_server(projects(5), headers=False, requests=requests))
    pages = list(backend.iter_pages(K.PROJECT, page_size=2))
    assert [len(p.items) for p in pages] == [2, 2, 1]
    assert pages[-1].is_last and pages[0].total is None
    assert len(requests) == 3


def test_without_headers_an_exact_multiple_ends_with_an_empty_page(backend_for):
    requests: list[httpx.Request] = []
    backend = backend_for(paged_server(projects(4), headers=False, requests=requests))
    pages = list(backend.iter_pages(K.PROJECT, page_size=2))
    assert [len(p.items) for p in pages] == [2, 2, 0]
    assert len(requests) == 3


def test_an_empty_list_is_one_empty_last_page(backend_for):
    pages = list(backend_for(paged_server([])).iter_pages(K.COMPANY))
    assert len(pages) == 1 and pages[0].items == [] and pages[0].is_last


def test_a_server_that_clamps_the_page_size_is_followed(backend_for):
    items = projects(5)

    def clamping(request: httpx.Request) -> httpx.Response:
        page = int(request.url.params["page"])
        chunk = items[(page - 1) * 2 : page * 2]  # asked for 1000, gives 2
        return httpx.Response(200, json=chunk, headers={"aw-pagesize": "2"})

    pages = list(backend_for(clamping).iter_pages(K.PROJECT, page_size=1000))
    assert sum(len(p.items) for p in pages) == 5


def test_page_and_explicit_clamped_page_size_are_sent(backend_for):
    requests: list[httpx.Request] = []
    backend = backend_for(paged_server(projects(1), requests=requests))
    list(backend.iter_pages(K.USER, page_size=5000))
    assert requests[0].url.params["page"] == "1"
    assert requests[0].url.params["pageSize"] == "1000"
    assert requests[0].url.path == "/api/v1/users"


def test_pages_are_fetched_lazily(backend_for):
    requests: list[httpx.Request] = []
    pages = backend_for(paged_server(projects(10), requests=requests)).iter_pages(K.PROJECT, page_size=2)
    assert requests == []
    next(pages)
    assert len(requests) == 1
    pages.close()


@pytest.mark.parametrize(
    ("kind", "parent", "path"),
    [
        (K.PROJECT, None, "/api/v1/projects"),
        (K.COMPANY, None, "/api/v1/companies"),
        (K.USER, None, "/api/v1/users"),
        (K.PROJECT_TEMPLATE, None, "/api/v1/projecttemplates"),
        (K.TASK, None, "/api/v1/me/allavailabletasks"),
        (K.TASK, EntityRef(K.PROJECT, "p1"), "/api/v1/projects/p1/projecttasks"),
    ],
)
def test_each_kind_lists_from_its_path(backend_for, kind, parent, path):
    requests: list[httpx.Request] = []
    list(backend_for(paged_server([], requests=requests)).iter_pages(kind, parent=parent))
    assert requests[0].url.path == path


def test_contact_persons_cannot_be_listed(backend_for):
    with pytest.raises(UnsupportedError):
        next(backend_for(paged_server([])).iter_pages(K.CONTACT_PERSON))


def test_a_list_answer_that_is_not_a_list_is_a_protocol_error(backend_for):
    backend = backend_for(lambda request: httpx.Response(200, json={"not": "a list"}))
    with pytest.raises(ProtocolError):
        next(backend.iter_pages(K.PROJECT))


# ---------------------------------------------------------------------------- mapping


def one_page_of(item: dict):
    return lambda request: httpx.Response(200, json=[item])


def first_entity(backend_for, kind: EntityKind, item: dict):
    return next(backend_for(one_page_of(item)).iter_pages(kind)).items[0]


def test_project_mapping(backend_for):
    project = first_entity(
        backend_for,
        K.PROJECT,
        {
            "id": "p1",
            "name": "Relaunch",
            "hasImage": True,
            "companyId": "c1",
            "company": {"id": "c1", "name": "Acme"},
            "projectStatus": {"name": "In progress"},
            "updatedOn": "2025-01-02T03:04:05Z",
            "resourceVersion": 7,
        },
    )
    assert (project.name, project.subtitle, project.has_image) == ("Relaunch", "Acme · In progress", True)
    assert project.parent_id(K.COMPANY) == "c1"
    assert project.version == "2025-01-02T03:04:05Z#7"


def test_task_mapping(backend_for):
    task = first_entity(
        backend_for,
        K.TASK,
        {
            "id": "t1",
            "name": "Write copy",
            "projectId": "p1",
            "project": {"id": "p1", "name": "Relaunch"},
            "taskStatus": {"name": "To do"},
            "hasAttachment": True,
        },
    )
    assert task.subtitle == "Relaunch · To do"
    assert task.parent_id(K.PROJECT) == "p1"
    assert not task.has_image


def test_user_company_and_template_mapping(backend_for):
    user = first_entity(
        backend_for,
        K.USER,
        {"id": "u1", "firstName": "Ada", "lastName": "Lovelace", "position": "CTO", "hasImage": True},
    )
    assert (user.name, user.subtitle, user.has_image) == ("Ada Lovelace", "CTO", True)
    company = first_entity(backend_for, K.COMPANY, {"id": "c1", "name": "Acme", "industry": "Anvils"})
    assert (company.name, company.subtitle) == ("Acme", "Anvils")
    template = first_entity(backend_for, K.PROJECT_TEMPLATE, {"id": "x", "name": "Launch", "description": "word " * 40})
    assert template.subtitle.endswith("…") and len(template.subtitle) <= 80


def test_workspace_comes_from_me_then_the_workspace_record(backend_for):
    def handler(request: httpx.Request) -> httpx.Response:
        if request.url.path.endswith("/me"):
            return httpx.Response(
                200, json={"id": "u1", "workspace": {"id": "w1", "name": "ACME", "url": "https://acme.awork.com"}}
            )
        assert request.url.path.endswith("/workspaces/w1")
        return httpx.Response(
            200, json={"id": "w1", "name": "ACME", "hasImage": True, "updatedOn": "2025-05-05T00:00:00Z"}
        )

    pages = list(backend_for(handler).iter_pages(K.WORKSPACE))
    workspace = pages[0].items[0]
    assert len(pages) == 1 and pages[0].is_last
    assert (workspace.id, workspace.name, workspace.has_image) == ("w1", "ACME", True)
    assert workspace.subtitle == "https://acme.awork.com"
    assert workspace.version == "2025-05-05T00:00:00Z"


def test_file_record_from_file_info():
    record = file_record(
        {
            "id": "f1",
            "name": None,
            "fileName": "report.pdf",
            "mimeType": "application/pdf",
            "createdOn": "2024-01-15T09:30:00.1234567Z",
            "createdBy": "u1",
            "fileVersions": [
                {"id": "v1", "version": 1, "size": 10, "createdOn": "2024-01-15T09:30:00Z"},
                {"id": "v2", "version": 2.0, "size": 20},
            ],
        }
    )
    assert (record.id, record.name, record.file_name, record.size) == ("f1", "report.pdf", "report.pdf", 20)
    assert record.created_on is not None and record.created_on.tzinfo is not None
    assert [v.number for v in record.versions] == [1, 2]
    assert record.latest_version.id == "v2"


def test_file_record_without_versions_has_unknown_size():
    assert file_record({"id": "f", "name": "x"}).size is None


@pytest.mark.parametrize("key", ["uploadURL", "uploadUrl", "UPLOADURL"])
def test_upload_url_key_is_read_case_insensitively(key):
    assert upload_target({"uploadId": "u1", key: "https://blob.test/c/u1?sig=x"}) == (
        "u1",
        "https://blob.test/c/u1?sig=x",
    )


def test_missing_upload_url_is_a_protocol_error():
    with pytest.raises(ProtocolError):
        upload_target({"uploadId": "u1"})
