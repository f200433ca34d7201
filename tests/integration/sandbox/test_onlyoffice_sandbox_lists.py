"""Lists on the ONLYOFFICE sandbox: the envelope and its key order, paging with startIndex and
count (with nextIndex one too far, as the portal computes it), search with filterValue, single
records and the portal's errors."""

from __future__ import annotations

import re

import pytest

ENVELOPE_ORDER = ["count", "startIndex", "nextIndex", "total", "status", "statusCode", "response", "error"]
DATE = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{7}Z$")


@pytest.fixture(scope="module")
def api(oo_sandbox):
    import httpx

    with httpx.Client(base_url=oo_sandbox.base_url, headers={"Authorization": oo_sandbox.token}, timeout=30) as c:
        yield c


def keys_in_order(body: dict) -> bool:
    order = [ENVELOPE_ORDER.index(key) for key in body]
    return order == sorted(order)


@pytest.mark.parametrize(
    ("path", "params", "expected"),
    [
        ("/api/2.0/project/filter", {}, 6),
        ("/api/2.0/project/task/filter", {}, 60),
        ("/api/2.0/people/filter", {}, 15),
        ("/api/2.0/crm/contact/filter", {"contactListView": "company"}, 8),
        ("/api/2.0/crm/contact/filter", {"contactListView": "person"}, 12),
    ],
)
def test_every_list_pages_with_start_index_and_count(api, path, params, expected):
    whole = api.get(path, params=params).json()  # no count: the cap of 1000
    assert whole["total"] == expected and whole["count"] == expected and "nextIndex" not in whole
    seen, start = [], 0
    while True:
        body = api.get(path, params={**params, "startIndex": start, "count": 4}).json()
        assert keys_in_order(body)
        items = body["response"]
        seen += [item["id"] for item in items]
        if start + 4 < expected:
            assert body["nextIndex"] == start + 4 + 1  # one too far, as the live code has it
        else:
            assert "nextIndex" not in body
        assert body.get("startIndex", 0) == start
        if len(items) < 4:
            break
        start += len(items)
    assert seen == [item["id"] for item in whole["response"]] and len(set(seen)) == expected


def test_count_is_capped_at_1000_and_an_empty_page_has_no_count(api):
    body = api.get("/api/2.0/project/task/filter", params={"count": 5000}).json()
    assert body["count"] == 60
    past = api.get("/api/2.0/project/task/filter", params={"startIndex": 100, "count": 10}).json()
    assert list(past) == ["startIndex", "total", "status", "statusCode", "response"] and past["response"] == []


def test_filter_value_searches_titles_and_names_without_regard_to_case(api):
    tasks = api.get("/api/2.0/project/task/filter", params={"filterValue": "SITE survey"}).json()
    assert tasks["total"] == 6 and all(t["title"] == "Site survey" for t in tasks["response"])
    people = api.get("/api/2.0/people/filter", params={"filterValue": "lindq"}).json()["response"]
    assert [p["displayName"] for p in people] == ["Maya Lindqvist"]
    companies = api.get(
        "/api/2.0/crm/contact/filter", params={"contactListView": "company", "filterValue": "bakery"}
    ).json()["response"]
    assert [c["displayName"] for c in companies] == ["Nordlicht Bakery"] and companies[0]["isCompany"] is True


def test_projects_carry_their_folder_and_tasks_filter_by_project(api):
    projects = api.get("/api/2.0/project/filter").json()["response"]
    for project in projects:
        single = api.get(f"/api/2.0/project/{project['id']}").json()["response"]
        assert single["projectFolder"] == project["projectFolder"] and isinstance(single["projectFolder"], int)
        assert DATE.match(single["created"])
        tasks = api.get("/api/2.0/project/task/filter", params={"projectid": project["id"]}).json()
        assert tasks["total"] == 10 and {t["projectOwner"]["id"] for t in tasks["response"]} == {project["id"]}


def test_a_task_in_full_lists_its_files_and_project(api):
    tasks = api.get("/api/2.0/project/task/filter").json()["response"]
    fulls = [api.get(f"/api/2.0/project/task/{t['id']}").json()["response"] for t in tasks]
    with_files = [t for t in fulls if t["files"]]
    assert 10 <= len(with_files) < 60
    file = with_files[0]["files"][0]
    assert isinstance(file["id"], int) and file["pureContentLength"] > 0 and file["viewUrl"].startswith("http")
    assert with_files[0]["project"]["projectFolder"] == file["folderId"]


def test_people_and_contacts_by_id(api):
    me = api.get("/api/2.0/people/@self").json()["response"]
    assert api.get(f"/api/2.0/people/{me['id']}").json()["response"]["email"] == me["email"]
    assert api.get(f"/api/2.0/people/{me['userName']}").json()["response"]["id"] == me["id"]
    person = api.get("/api/2.0/crm/contact/filter", params={"contactListView": "person", "count": 1}).json()
    contact = api.get(f"/api/2.0/crm/contact/{person['response'][0]['id']}").json()["response"]
    assert contact["isCompany"] is False and contact["company"]["isCompany"] is True


@pytest.mark.parametrize(
    ("path", "status", "message"),
    [
        ("/api/2.0/project/9999", 404, "The record could not be found"),
        ("/api/2.0/project/task/9999", 404, "The record could not be found"),
        ("/api/2.0/crm/contact/9999", 404, "The record could not be found"),
        ("/api/2.0/crm/contact/0", 400, "Invalid arguments"),
        ("/api/2.0/people/nobody", 404, "User not found"),
        ("/api/2.0/no/such/route", 404, "Method not found"),
    ],
)
def test_errors_are_the_envelope_with_status_1(api, path, status, message):
    response = api.get(path)
    assert response.status_code == status
    body = response.json()
    assert list(body) == ["status", "statusCode", "error"]
    assert (body["status"], body["statusCode"], body["error"]["message"]) == (1, status, message)


def test_paths_match_without_regard_to_case_or_a_json_suffix(api):
    assert api.get("/api/2.0/Project/Filter.json").json()["total"] == 6
    assert api.get("/api/2.0/portal/").json()["response"]["name"] == "Harbourlight Architects"
