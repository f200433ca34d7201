"""Every answer the awork client relies on, from the sandbox, checked against awork's OpenAPI
document: required fields, types, formats, and no properties the schema does not allow."""

from __future__ import annotations

import io

import httpx
import pytest
from PIL import Image

MISSING = "00000000-0000-4000-8000-000000000000"
BLOCK = {"x-ms-blob-type": "BlockBlob"}


@pytest.fixture(scope="module")
def api(awork_sandbox):
    with httpx.Client(
        base_url=awork_sandbox.base_url, timeout=30, headers={"Authorization": f"Bearer {awork_sandbox.token}"}
    ) as client:
        yield client


def test_the_spec_loads_quickly(awork_spec):
    assert awork_spec.load_seconds < 20, f"loading the spec took {awork_spec.load_seconds:.1f} s"


@pytest.mark.parametrize("path", ["/projects", "/companies", "/users", "/projecttemplates", "/me/allavailabletasks"])
def test_lists(awork_spec, api, path):
    items = awork_spec.check(api.get(path, params={"page": 1, "pageSize": 1000}))
    assert items, path


def test_archived_users_list(awork_spec, api):
    assert awork_spec.check(api.get("/users", params={"showArchived": "true", "pageSize": 100}))


def test_me_and_workspace(awork_spec, api):
    me = awork_spec.check(api.get("/me"))
    assert awork_spec.check(api.get("/users/me")) == me
    awork_spec.check(api.get(f"/workspaces/{me['workspace']['id']}"))


def test_single_records(awork_spec, api):
    for path in ("/projects", "/companies", "/users", "/projecttemplates"):
        for item in api.get(path, params={"pageSize": 6}).json():
            awork_spec.check(api.get(f"{path}/{item['id']}"))


def test_tasks_of_every_project_and_single_tasks(awork_spec, api):
    for project in api.get("/projects", params={"pageSize": 100}).json():
        tasks = awork_spec.check(api.get(f"/projects/{project['id']}/projecttasks", params={"pageSize": 1000}))
        awork_spec.check(api.get(f"/tasks/{tasks[0]['id']}"))


def test_task_files(awork_spec, api):
    tasks = api.get("/me/allavailabletasks", params={"pageSize": 1000}).json()
    with_files = [t for t in tasks if t["hasAttachment"]]
    assert with_files
    for task in with_files:
        files = awork_spec.check(api.get(f"/tasks/{task['id']}/files", params={"pageSize": 100}))
        awork_spec.check(api.get(f"/tasks/{task['id']}/files/{files[0]['id']}"))


def test_error_responses(awork_spec, api, awork_sandbox):
    not_found = api.get(f"/projects/{MISSING}")
    assert not_found.status_code == 404
    awork_spec.check(not_found)
    unauthorized = httpx.get(f"{awork_sandbox.base_url}/projects/{MISSING}", headers={"Authorization": "Bearer x"})
    assert unauthorized.status_code == 401
    awork_spec.check(unauthorized)
    for response in (
        api.get("/projects", params={"filterby": "nope eq 1"}),  # 400: statuses this operation leaves out
        api.get("/no/such/path"),
        httpx.get(f"{awork_sandbox.base_url}/projects"),
    ):
        assert response.status_code in (400, 401, 404)
        awork_spec.check_schema(response.json(), "ErrorResponse")


def png(size=(64, 48)) -> bytes:
    out = io.BytesIO()
    Image.new("RGB", size, (120, 60, 200)).save(out, "PNG")
    return out.getvalue()


def test_uploads_answer_as_specified(awork_spec, fresh_awork_sandbox):
    with httpx.Client(
        base_url=fresh_awork_sandbox.base_url,
        timeout=30,
        headers={"Authorization": f"Bearer {fresh_awork_sandbox.token}"},
    ) as api:
        task = api.get("/me/allavailabletasks", params={"pageSize": 1}).json()[0]
        ticket = awork_spec.check(api.post("/files/generateuploadurl"))
        assert set(ticket) == {"uploadId", "uploadURL"}
        assert httpx.put(ticket["uploadURL"], content=png(), headers=BLOCK).status_code == 201
        linked = awork_spec.check(
            api.post(
                f"/tasks/{task['id']}/files/byuploadid", json={"uploadId": ticket["uploadId"], "fileName": "chart.png"}
            )
        )
        assert linked["fileVersions"][0]["width"] == 64

        unknown = api.post(f"/tasks/{MISSING}/files/byuploadid", json={"uploadId": "x", "fileName": "a.txt"})
        assert unknown.status_code == 404
        awork_spec.check(unknown)
        twice = api.post(
            f"/tasks/{task['id']}/files/byuploadid", json={"uploadId": ticket["uploadId"], "fileName": "chart.png"}
        )
        awork_spec.check_schema(twice.json(), "ErrorResponse")

        awork_spec.check(api.post(f"/tasks/{task['id']}/files", files={"File": ("a.txt", b"text")}))

        user = api.get("/users", params={"pageSize": 1}).json()[0]
        image = awork_spec.check(api.post(f"/files/images/users/{user['id']}", files={"File": ("u.png", png())}))
        assert image["userId"] == user["id"]
        refused = api.post(f"/files/images/users/{user['id']}", files={"File": ("u.png", b"not an image")})
        assert refused.status_code == 400
        awork_spec.check(refused)

        second = api.post("/files/generateuploadurl").json()
        assert httpx.put(second["uploadURL"], content=png((20, 20)), headers=BLOCK).status_code == 201
        project = api.get("/projects", params={"pageSize": 1}).json()[0]
        awork_spec.check(
            api.post(
                f"/files/images/projects/{project['id']}/byuploadid",
                json={"uploadId": second["uploadId"], "fileName": "logo.png"},
            )
        )
        missing_image = api.get(f"/files/images/users/{MISSING}")  # image GET errors are JSON
        awork_spec.check(missing_image)


def test_the_check_catches_what_the_spec_forbids(awork_spec, api):
    response = api.get("/companies", params={"pageSize": 1})
    for tamper in ({"extra": 1}, {"hasImage": "yes"}, {"createdOn": "yesterday"}, {"id": "not-a-uuid"}):
        body = [{**response.json()[0], **tamper}]
        with pytest.raises(Exception, match="not valid"):
            awork_spec.check(httpx.Response(200, json=body, request=response.request))
