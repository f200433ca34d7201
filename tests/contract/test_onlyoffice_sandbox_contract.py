"""Every answer the ONLYOFFICE client relies on, from the sandbox, checked against ONLYOFFICE's
OpenAPI document with the corrections of `onlyoffice_corrections` (the spec's casing,
FileWrapper, TaskWrapper's name clash, the envelope, 201 on POST): types, formats, and no
properties the corrected schema does not allow."""

from __future__ import annotations

import io

import httpx
import pytest
from PIL import Image

from attache.sandbox import SandboxServer


@pytest.fixture(scope="module")
def portal():
    with SandboxServer(service="onlyoffice", chunk_size=64 * 1024) as server:
        yield server


@pytest.fixture(scope="module")
def api(portal):
    with httpx.Client(base_url=portal.base_url, timeout=30, headers={"Authorization": portal.token}) as client:
        yield client


def png() -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (64, 48), (120, 60, 200)).save(out, "PNG")
    return out.getvalue()


@pytest.mark.parametrize(
    ("path", "params"),
    [
        ("/api/2.0/project/filter", {}),
        ("/api/2.0/project/task/filter", {"count": 25, "startIndex": 5}),
        ("/api/2.0/people/filter", {}),
        ("/api/2.0/people/@self", {}),
        ("/api/2.0/crm/contact/filter", {"contactListView": "company"}),
        ("/api/2.0/crm/contact/filter", {"contactListView": "person"}),
        ("/api/2.0/capabilities", {}),
        ("/api/2.0/portal", {}),
    ],
)
def test_lists_and_the_portal(onlyoffice_spec, api, path, params):
    body = onlyoffice_spec.check(api.get(path, params=params))
    assert body["response"]


def test_single_records(onlyoffice_spec, api):
    for project in api.get("/api/2.0/project/filter").json()["response"]:
        onlyoffice_spec.check(api.get(f"/api/2.0/project/{project['id']}"))
        onlyoffice_spec.check(api.get(f"/api/2.0/files/{project['projectFolder']}"))
    for task in api.get("/api/2.0/project/task/filter", params={"count": 12}).json()["response"]:
        onlyoffice_spec.check(api.get(f"/api/2.0/project/task/{task['id']}"))
        files = onlyoffice_spec.check(api.get(f"/api/2.0/project/task/{task['id']}/files"))["response"]
        for file in files:
            onlyoffice_spec.check(api.get(f"/api/2.0/files/file/{file['id']}"))
    for person in api.get("/api/2.0/people/filter", params={"count": 4}).json()["response"]:
        onlyoffice_spec.check(api.get(f"/api/2.0/people/{person['id']}"))
        onlyoffice_spec.check(api.get(f"/api/2.0/people/{person['id']}/photo"))
    for contact in api.get("/api/2.0/crm/contact/filter").json()["response"]:
        onlyoffice_spec.check(api.get(f"/api/2.0/crm/contact/{contact['id']}"))


def test_sign_in_answers(onlyoffice_spec, portal):
    for login in (portal.demo_login, portal.tfa_login):
        response = httpx.post(
            f"{portal.base_url}/api/2.0/authentication", json={"userName": login, "password": portal.password}
        )
        assert response.status_code == 201
        onlyoffice_spec.check(response)
    refused = httpx.post(f"{portal.base_url}/api/2.0/authentication", json={"userName": "x", "password": "y"})
    assert refused.status_code == 500
    onlyoffice_spec.check(refused)


def test_uploads_attachments_and_photos(onlyoffice_spec, api):
    task = api.get("/api/2.0/project/task/filter", params={"count": 1}).json()["response"][0]
    folder = api.get(f"/api/2.0/project/{task['projectOwner']['id']}").json()["response"]["projectFolder"]
    file = onlyoffice_spec.check(api.post(f"/api/2.0/files/{folder}/upload", files={"f": ("a.txt", b"a")}))
    onlyoffice_spec.check(
        api.post(f"/api/2.0/files/{folder}/upload", files=[("a", ("b.txt", b"b")), ("b", ("c", b"c"))])
    )
    session = onlyoffice_spec.check(
        api.post(f"/api/2.0/files/{folder}/upload/create_session", json={"fileName": "big.bin", "fileSize": 10})
    )
    assert session["response"]["data"]["bytes_total"] == 10
    file_id = file["response"]["id"]
    onlyoffice_spec.check(api.post(f"/api/2.0/project/task/{task['id']}/files", json={"files": [file_id]}))
    onlyoffice_spec.check(api.delete(f"/api/2.0/project/task/{task['id']}/files", params={"fileid": file_id}))
    company = api.get("/api/2.0/crm/contact/filter", params={"contactListView": "company", "count": 1}).json()
    contact_id = company["response"][0]["id"]
    onlyoffice_spec.check(
        api.put(f"/api/2.0/crm/contact/{contact_id}/changephoto", files={"photo": ("p.png", png(), "image/png")})
    )
    onlyoffice_spec.check(api.delete(f"/api/2.0/crm/contact/{contact_id}/avatar"))


@pytest.mark.parametrize(
    ("method", "path"),
    [
        ("GET", "/api/2.0/project/9999"),
        ("GET", "/api/2.0/crm/contact/0"),
        ("POST", "/api/2.0/files/999999/upload"),
        ("GET", "/api/2.0/project/task/9999/files"),
    ],
)
def test_errors_are_the_error_envelope(onlyoffice_spec, api, method, path):
    response = api.request(method, path, files={"f": ("a.txt", b"a")} if method == "POST" else None)
    assert response.status_code in (400, 404)
    onlyoffice_spec.check(response)


def test_the_check_catches_what_the_corrected_spec_forbids(onlyoffice_spec, api):
    response = api.get("/api/2.0/project/filter", params={"count": 1})
    project = response.json()["response"][0]
    for tamper in ({"Title": "PascalCase"}, {"id": "not-an-int"}, {"canEdit": "yes"}, {"extra": 1}):
        body = {**response.json(), "response": [{**project, **tamper}]}
        with pytest.raises(Exception, match="not valid"):
            onlyoffice_spec.check(httpx.Response(200, json=body, request=response.request))
    bare = httpx.Response(200, json=[project], request=response.request)  # the spec as written: no envelope
    with pytest.raises(Exception, match="not valid"):
        onlyoffice_spec.check(bare)
