"""The awork sandbox's lists, records, paging, filters and errors, over real HTTP."""

from __future__ import annotations

import pytest

MISSING = "00000000-0000-4000-8000-000000000000"


@pytest.fixture
def api(awork_sandbox, awork_client):
    return awork_client(awork_sandbox)


def error_of(response, status: int, code: str) -> dict:
    assert response.status_code == status, response.text
    body = response.json()
    assert body["code"] == code
    assert body["description"] and body["link"]
    assert body["traceId"] == response.headers["trace-id"]
    return body


def test_demo_workspace_has_enough_of_everything(api):
    def total(path: str) -> int:
        response = api.get(path, params={"pageSize": 1})
        assert response.status_code == 200
        return int(response.headers["aw-totalitems"])

    assert total("/projects") >= 12
    assert total("/me/allavailabletasks") >= 150
    assert total("/companies") >= 8
    assert total("/users") >= 15
    assert total("/projecttemplates") >= 3
    me = api.get("/me").json()
    assert me["workspace"]["name"] and me == api.get("/users/me").json()
    workspace = api.get(f"/workspaces/{me['workspace']['id']}").json()
    assert workspace["name"] == me["workspace"]["name"]


def test_some_but_not_all_entities_have_images(api):
    for path in ("/users", "/companies", "/projects"):
        flags = [item["hasImage"] for item in api.get(path, params={"pageSize": 1000}).json()]
        assert any(flags) and not all(flags), path


def test_paging_headers_and_pages_past_the_end(api):
    first = api.get("/me/allavailabletasks", params={"page": 1, "pageSize": 40})
    total = int(first.headers["aw-totalitems"])
    assert (first.headers["aw-page"], first.headers["aw-pagesize"], first.headers["aw-items"]) == ("1", "40", "40")
    seen = [task["id"] for task in first.json()]
    page = 2
    while True:
        response = api.get("/me/allavailabletasks", params={"page": page, "pageSize": 40})
        items = response.json()
        assert response.headers["aw-items"] == str(len(items))
        if not items:
            break
        seen += [task["id"] for task in items]
        page += 1
    assert len(seen) == len(set(seen)) == total
    past = api.get("/me/allavailabletasks", params={"page": 999, "pageSize": 40})
    assert past.status_code == 200 and past.json() == [] and past.headers["aw-totalitems"] == str(total)


def test_page_size_defaults_to_ten_and_is_capped_at_1000(api):
    assert len(api.get("/me/allavailabletasks").json()) == 10
    capped = api.get("/me/allavailabletasks", params={"pageSize": 5000})
    assert capped.headers["aw-pagesize"] == "1000"


@pytest.mark.parametrize("params", [{"page": 0}, {"pageSize": -3}, {"page": "two"}])
def test_bad_paging_values_are_validation_errors(api, params):
    error_of(api.get("/projects", params=params), 400, "validation-failed")


def test_filter_and_order(api):
    names = [p["name"] for p in api.get("/projects", params={"pageSize": 100, "orderby": "name desc"}).json()]
    assert names == sorted(names, key=str.lower, reverse=True)

    exact = api.get("/projects", params={"filterby": "name eq 'loyalty APP'"}).json()
    assert [p["name"] for p in exact] == ["Loyalty app"]

    like = api.get("/users", params={"filterBy": "substringof('an', lastName)", "pageSize": 100}).json()
    assert like and all("an" in u["lastName"].lower() for u in like)

    combined = api.get(
        "/me/allavailabletasks",
        params={
            "filterby": "taskStatus/type eq 'done' and isPrio eq false",
            "orderBy": "name,createdOn desc",
            "pageSize": 1000,
        },
    ).json()
    assert combined and all(t["taskStatus"]["type"] == "done" and not t["isPrio"] for t in combined)


@pytest.mark.parametrize(
    "params",
    [
        {"filterby": "nosuchfield eq 1"},
        {"filterby": "name eq"},
        {"filterby": "members/any(m: m/firstName eq 'Neil')"},
        {"orderby": "name sideways"},
        {"orderby": "secret asc"},
    ],
)
def test_unusable_filters_and_orders_are_refused(api, params):
    error_of(api.get("/projects", params=params), 400, "invalid-filter-or-order")


def test_archived_users_only_on_request(api):
    visible = api.get("/users", params={"pageSize": 100}).json()
    everyone = api.get("/users", params={"pageSize": 100, "showArchived": "true"}).json()
    assert not any(u["isArchived"] for u in visible)
    assert len(everyone) > len(visible) and any(u["isArchived"] for u in everyone)


def test_single_records_and_nested_task_fields(api):
    project = api.get("/projects", params={"filterby": "companyId ne null", "pageSize": 1}).json()[0]
    assert api.get(f"/projects/{project['id']}").json() == project
    assert project["company"]["id"] == project["companyId"]

    tasks = api.get(f"/projects/{project['id']}/projecttasks", params={"pageSize": 100}).json()
    assert tasks and {t["projectId"] for t in tasks} == {project["id"]}
    task = tasks[0]
    assert task["project"]["company"]["name"] == project["company"]["name"]
    assert task["taskStatus"]["name"] and isinstance(task["assignees"], list)
    assert isinstance(task["hasAttachment"], bool)
    assert api.get(f"/tasks/{task['id']}").json() == task
    assert any(t["hasAttachment"] for t in api.get("/me/allavailabletasks", params={"pageSize": 1000}).json())

    company = api.get(f"/companies/{project['companyId']}").json()
    assert company["name"] == project["company"]["name"]
    template = api.get("/projecttemplates").json()[0]
    assert api.get(f"/projecttemplates/{template['id']}").json() == template
    user = api.get("/users").json()[0]
    assert api.get(f"/users/{user['id']}").json() == user


def test_paths_match_whatever_their_case(api):
    assert api.get("/ProjectTemplates").status_code == 200
    assert api.get("/Me/AllAvailableTasks", params={"pageSize": 1}).status_code == 200


@pytest.mark.parametrize(
    "path",
    [
        f"/projects/{MISSING}",
        f"/projects/{MISSING}/projecttasks",
        f"/tasks/{MISSING}",
        f"/companies/{MISSING}",
        f"/users/{MISSING}",
        f"/projecttemplates/{MISSING}",
        f"/workspaces/{MISSING}",
        "/no/such/path",
    ],
)
def test_unknown_ids_and_paths_are_not_found(api, path):
    error_of(api.get(path), 404, "not-found")


def test_tokens_are_checked(awork_sandbox, awork_client):
    missing = awork_client(awork_sandbox, token="").get("/projects")
    error_of(missing, 401, "unauthorized")
    wrong = awork_client(awork_sandbox, token="not-the-token").get("/me")
    error_of(wrong, 401, "workspaceid-missing")
    assert wrong.headers["www-authenticate"].startswith("Bearer")


def test_every_answer_has_a_trace_id(api):
    ids = {api.get("/me").headers["trace-id"], api.get("/nothing").headers["trace-id"]}
    assert len(ids) == 2 and all(len(i) == 32 for i in ids)
