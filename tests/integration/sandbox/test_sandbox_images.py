"""Profile images on the awork sandbox: resize and crop, ETags, uploads, limits, deletes."""

from __future__ import annotations

import io
import socket

import h11
import httpx
import pytest
from PIL import Image

MISSING = "00000000-0000-4000-8000-000000000000"


def picture(size=(320, 200), fmt="PNG", colour=(30, 120, 200)) -> bytes:
    out = io.BytesIO()
    Image.new("RGB", size, colour).save(out, fmt)
    return out.getvalue()


def size_of(response: httpx.Response) -> tuple[int, int]:
    assert response.status_code == 200, response.text
    return Image.open(io.BytesIO(response.content)).size


@pytest.fixture
def fresh(fresh_awork_sandbox, awork_client):
    return fresh_awork_sandbox, awork_client(fresh_awork_sandbox)


def first(api: httpx.Client, path: str, **filters) -> dict:
    items = api.get(path, params={"pageSize": 1000}).json()
    return next(i for i in items if all(i[k] == v for k, v in filters.items()))


def test_seeded_avatars_are_real_pictures_and_resize(awork_sandbox, awork_client):
    api = awork_client(awork_sandbox)
    user = first(api, "/users", hasImage=True)
    url = f"/files/images/users/{user['id']}"
    original = api.get(url)
    assert original.headers["content-type"] == "image/jpeg"
    assert 256 <= max(size_of(original)) <= 512
    assert size_of(api.get(url, params={"width": 64, "height": 32, "crop": "true"})) == (64, 32)
    assert size_of(api.get(url, params={"width": 64, "height": 32})) == (32, 32)  # fits inside
    assert size_of(api.get(url, params={"width": 100})) == (100, 100)
    resized = api.get(url, params={"width": 48.0, "height": 48.0, "crop": "True"})
    assert resized.headers["content-type"] == "image/jpeg" and size_of(resized) == (48, 48)
    project = first(api, "/projects", hasImage=True)
    png = api.get(f"/files/images/projects/{project['id']}", params={"width": 40, "height": 40})
    assert png.headers["content-type"] == "image/png" and size_of(png) == (40, 40)


def test_image_get_is_anonymous_and_404_without_image(awork_sandbox, awork_client):
    api, anonymous = awork_client(awork_sandbox), awork_client(awork_sandbox, token="")
    with_image = first(api, "/companies", hasImage=True)
    without = first(api, "/companies", hasImage=False)
    assert anonymous.get(f"/files/images/companies/{with_image['id']}").status_code == 200
    for path in (
        f"/files/images/companies/{without['id']}",
        f"/files/images/companies/{MISSING}",
        f"/files/images/planets/{with_image['id']}",
    ):
        response = api.get(path)
        assert response.status_code == 404 and response.json()["code"] == "not-found"


def test_etag_and_if_none_match(awork_sandbox, awork_client):
    api = awork_client(awork_sandbox)
    url = f"/files/images/users/{first(api, '/users', hasImage=True)['id']}"
    response = api.get(url, params={"width": 30, "height": 30, "crop": "true"})
    etag = response.headers["etag"]
    again = api.get(url, params={"width": 30, "height": 30, "crop": "true"}, headers={"If-None-Match": etag})
    assert again.status_code == 304 and again.content == b"" and again.headers["etag"] == etag
    other_size = api.get(url, params={"width": 31, "height": 30, "crop": "true"}, headers={"If-None-Match": etag})
    assert other_size.status_code == 200 and other_size.headers["etag"] != etag
    plain = api.get(url)
    assert plain.headers["etag"] not in (etag, None)
    assert api.get(url, headers={"If-None-Match": f'"x", W/{plain.headers["etag"]}'}).status_code == 304


@pytest.mark.parametrize("field", ["File", "file", "upload"])
def test_upload_sets_the_image_and_bumps_the_version(fresh, field):
    _server, api = fresh
    user = first(api, "/users", hasImage=False)
    response = api.post(f"/files/images/users/{user['id']}", files={field: ("me.png", picture(), "image/png")})
    assert response.status_code == 200, response.text
    info = response.json()
    assert (info["entityType"], info["userId"], info["fileName"]) == ("user", user["id"], "me.png")
    version = info["fileVersions"][0]
    assert (version["width"], version["height"], version["size"]) == (320, 200, len(picture()))

    after = api.get(f"/users/{user['id']}").json()
    assert after["hasImage"] and after["resourceVersion"] > user["resourceVersion"]
    assert after["updatedOn"] != user["updatedOn"]
    url = f"/files/images/users/{user['id']}"
    assert size_of(api.get(url)) == (320, 200)
    assert size_of(api.get(url, params={"width": 100, "height": 100})) == (100, 62)
    assert size_of(api.get(url, params={"height": 50})) == (80, 50)
    assert size_of(api.get(url, params={"width": 100, "height": 100, "crop": "true"})) == (100, 100)


def test_replacing_an_image_changes_its_etag(fresh):
    _server, api = fresh
    project = first(api, "/projects", hasImage=True)
    url = f"/files/images/projects/{project['id']}"
    before = api.get(url).headers["etag"]
    assert api.post(url, files={"File": ("new.jpg", picture(fmt="JPEG"), "image/jpeg")}).status_code == 200
    replaced = api.get(url, headers={"If-None-Match": before})
    assert replaced.status_code == 200 and replaced.headers["content-type"] == "image/jpeg"
    assert api.get(f"/projects/{project['id']}").json()["resourceVersion"] > project["resourceVersion"]


def test_delete_clears_the_image(fresh):
    _server, api = fresh
    company = first(api, "/companies", hasImage=True)
    url = f"/files/images/companies/{company['id']}"
    assert api.delete(url).status_code == 204
    assert api.get(url).status_code == 404
    after = api.get(f"/companies/{company['id']}").json()
    assert not after["hasImage"] and after["resourceVersion"] > company["resourceVersion"]
    assert api.delete(url).status_code == 204  # nothing left to delete is still a success
    assert api.delete(f"/files/images/companies/{MISSING}").status_code == 404


def test_every_image_entity_takes_an_image(fresh):
    server, api = fresh
    targets = {
        "projects": first(api, "/projects")["id"],
        "companies": first(api, "/companies")["id"],
        "users": first(api, "/users")["id"],
        "projecttemplates": first(api, "/projecttemplates")["id"],
        "workspaces": server.workspace_id,
        "contactpersons": server.store.scalar("SELECT id FROM contact_persons"),
    }
    for name, entity_id in targets.items():
        response = api.post(f"/files/images/{name}/{entity_id}", files={"file": ("x.png", picture((40, 30)))})
        assert response.status_code == 200, (name, response.text)
        assert size_of(api.get(f"/files/images/{name}/{entity_id}")) == (40, 30)
    assert api.get(f"/workspaces/{server.workspace_id}").json()["hasImage"]


def test_non_images_and_empty_forms_are_refused(fresh):
    _server, api = fresh
    url = f"/files/images/users/{first(api, '/users')['id']}"
    not_image = api.post(url, files={"File": ("notes.png", b"just some text", "image/png")})
    assert not_image.status_code == 400
    body = not_image.json()
    assert body["code"] == "validation-failed" and "not an image" in body["validationErrors"][0]["message"]
    no_file = api.post(url, data={"name": "nothing"}, files={"File": ("", b"")})
    assert no_file.status_code == 400
    json_body = api.post(url, json={"File": "x"})
    assert json_body.status_code == 400 and json_body.json()["code"] == "validation-failed"


def test_image_from_a_three_step_upload(fresh):
    _server, api = fresh
    template = first(api, "/projecttemplates", hasImage=False)
    ticket = api.post("/files/generateUploadURL").json()
    put = httpx.put(ticket["uploadURL"], content=picture((60, 90)), headers={"x-ms-blob-type": "BlockBlob"})
    assert put.status_code == 201
    linked = api.post(
        f"/files/images/projecttemplates/{template['id']}/byUploadId",
        json={"uploadId": ticket["uploadId"], "fileName": "cover.png"},
    )
    assert linked.status_code == 200, linked.text
    assert linked.json()["projectTemplateId"] == template["id"]
    assert api.get(f"/projecttemplates/{template['id']}").json()["hasImage"]
    assert size_of(api.get(f"/files/images/projecttemplates/{template['id']}")) == (60, 90)


def raw_post_headers_only(server, path: str, headers: dict[str, str]) -> tuple[int, bytes]:
    """Send a request's headers but none of its announced body, and read the answer."""
    conn = h11.Connection(h11.CLIENT)
    with socket.create_connection(("127.0.0.1", server.port), timeout=10) as sock:
        request = h11.Request(method="POST", target=path, headers=[("Host", "sandbox"), *headers.items()])
        sock.sendall(conn.send(request))
        status, body = 0, b""
        while True:
            event = conn.next_event()
            if event is h11.NEED_DATA:
                conn.receive_data(sock.recv(65536))
            elif isinstance(event, h11.Response):
                status = event.status_code
            elif isinstance(event, h11.Data):
                body += event.data
            elif isinstance(event, h11.EndOfMessage):
                return status, body


def test_too_large_image_is_refused_from_its_content_length(awork_sandbox, awork_client):
    user = first(awork_client(awork_sandbox), "/users")
    status, body = raw_post_headers_only(
        awork_sandbox,
        f"/api/v1/files/images/users/{user['id']}",
        {
            "Authorization": f"Bearer {awork_sandbox.token}",
            "Content-Type": "multipart/form-data; boundary=xyz",
            "Content-Length": str(300 * 1024 * 1024),
        },
    )
    assert status == 400 and b'"request-body-too-large"' in body


def test_too_large_image_without_content_length_is_refused_while_reading(awork_sandbox, awork_client):
    api = awork_client(awork_sandbox)
    user = first(api, "/users")

    def body():  # chunked: the server only learns the size by counting
        yield b'--xyz\r\nContent-Disposition: form-data; name="File"; filename="big.png"\r\n\r\n'
        chunk = bytes(1024 * 1024)
        for _ in range(102):
            yield chunk
        yield b"\r\n--xyz--\r\n"

    response = api.post(
        f"/files/images/users/{user['id']}",
        content=body(),
        headers={"Content-Type": "multipart/form-data; boundary=xyz"},
    )
    assert response.status_code == 400 and response.json()["code"] == "request-body-too-large"
    assert not api.get(f"/users/{user['id']}").json()["hasImage"] or user["hasImage"]
