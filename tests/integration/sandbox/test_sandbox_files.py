"""Task files on the awork sandbox: the three-step upload, the blob endpoint's Azure rules,
multipart uploads, downloads and deletes."""

from __future__ import annotations

import base64
import hashlib
import io
import socket
import time
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

import httpx
import pytest
from PIL import Image

MISSING = "00000000-0000-4000-8000-000000000000"
BLOCK = {"x-ms-blob-type": "BlockBlob"}


@pytest.fixture
def fresh(fresh_awork_sandbox, awork_client):
    api = awork_client(fresh_awork_sandbox)
    task = api.get("/me/allavailabletasks", params={"pageSize": 1, "filterby": "name ne null"}).json()[0]
    return fresh_awork_sandbox, api, task


def upload(api: httpx.Client, content: bytes, content_type: str = "application/octet-stream") -> str:
    ticket = api.post("/files/generateuploadurl").json()
    put = httpx.put(ticket["uploadURL"], content=content, headers={**BLOCK, "Content-Type": content_type})
    assert put.status_code == 201, put.text
    return ticket["uploadId"]


def test_three_step_upload_and_download(fresh):
    _server, api, task = fresh
    ticket_response = api.post("/files/generateUploadURL")  # the docs' spelling
    assert ticket_response.status_code == 200
    ticket = ticket_response.json()
    assert set(ticket) == {"uploadId", "uploadURL"}
    assert "Bearer" not in ticket["uploadURL"] and "sig=" in ticket["uploadURL"]

    content = bytes(range(256)) * 4000 + b"end"
    put = httpx.put(ticket["uploadURL"], content=content, headers={**BLOCK, "Content-Type": "text/csv"})
    assert put.status_code == 201 and put.headers["etag"]
    assert put.headers["content-md5"] == base64.b64encode(hashlib.md5(content).digest()).decode()

    name = 'Übersicht Q3 "final".csv'
    linked = api.post(
        f"/tasks/{task['id']}/files/byUploadId",
        json={"uploadId": ticket["uploadId"], "fileName": name, "description": "numbers"},
    )
    assert linked.status_code == 200, linked.text
    info = linked.json()
    assert (info["name"], info["fileName"], info["taskId"], info["mimeType"]) == (name, name, task["id"], "text/csv")
    assert info["fileVersions"][0]["size"] == len(content) and info["description"] == "numbers"

    assert api.get(f"/tasks/{task['id']}").json()["hasAttachment"]
    listed = api.get(f"/tasks/{task['id']}/files", params={"pageSize": 100})
    assert info["id"] in [f["id"] for f in listed.json()] and listed.headers["aw-totalitems"]
    assert api.get(f"/tasks/{task['id']}/files/{info['id']}").json() == info

    for url in (f"/tasks/{task['id']}/files/{info['id']}/download", f"/files/{info['id']}/download"):
        download = api.get(url)
        assert download.status_code == 200 and download.content == content
        assert download.headers["content-length"] == str(len(content))
        assert download.headers["content-type"].startswith("text/csv")
        disposition = download.headers["content-disposition"]
        assert disposition.startswith('attachment; filename="_bersicht Q3 _final_.csv"')
        assert "filename*=UTF-8''%C3%9Cbersicht%20Q3%20%22final%22.csv" in disposition
    inline = api.get(f"/files/{info['id']}/download", params={"inline": "true"})
    assert inline.headers["content-disposition"].startswith("inline;")


def test_same_name_makes_a_separate_file(fresh):
    _server, api, task = fresh
    ids = {
        api.post(
            f"/tasks/{task['id']}/files/byuploadid", json={"uploadId": upload(api, data), "fileName": "notes.txt"}
        ).json()["id"]
        for data in (b"one", b"two")
    }
    names = [f["fileName"] for f in api.get(f"/tasks/{task['id']}/files", params={"pageSize": 100}).json()]
    assert len(ids) == 2 and names.count("notes.txt") == 2


def test_an_upload_links_only_once(fresh):
    _server, api, task = fresh
    upload_id = upload(api, b"hello")
    body = {"uploadId": upload_id, "fileName": "hello.txt"}
    assert api.post(f"/tasks/{task['id']}/files/byuploadid", json=body).status_code == 200
    again = api.post(f"/tasks/{task['id']}/files/byuploadid", json=body)
    assert again.status_code == 400 and again.json()["code"] == "invalid-operation"
    assert "already linked" in again.json()["description"]


@pytest.mark.parametrize(
    ("body", "status", "code"),
    [
        ({"uploadId": MISSING, "fileName": "a.txt"}, 404, "not-found"),
        ({"fileName": "a.txt"}, 400, "validation-failed"),
        ({"uploadId": "x", "fileName": ""}, 400, "validation-failed"),
        ("not an object", 400, "validation-failed"),
    ],
)
def test_link_errors(fresh, body, status, code):
    _server, api, task = fresh
    response = api.post(f"/tasks/{task['id']}/files/byuploadid", json=body)
    assert response.status_code == status and response.json()["code"] == code


def test_link_needs_a_known_task_and_a_finished_upload(fresh):
    _server, api, task = fresh
    ticket = api.post("/files/generateuploadurl").json()
    body = {"uploadId": ticket["uploadId"], "fileName": "a.txt"}
    unfinished = api.post(f"/tasks/{task['id']}/files/byuploadid", json=body)
    assert unfinished.status_code == 404 and "PUT the file" in unfinished.json()["details"][0]
    assert api.post(f"/tasks/{MISSING}/files/byuploadid", json=body).status_code == 404
    invalid = api.post(
        f"/tasks/{task['id']}/files/byuploadid", content=b"{nope", headers={"Content-Type": "application/json"}
    )
    assert invalid.status_code == 400


def xml_code(response: httpx.Response) -> str:
    assert response.headers["content-type"].startswith("application/xml")
    return response.headers["x-ms-error-code"]


def test_blob_put_follows_azure_rules(fresh):
    _server, api, _task = fresh
    url = api.post("/files/generateuploadurl").json()["uploadURL"]
    missing_type = httpx.put(url, content=b"x")
    assert missing_type.status_code == 400 and xml_code(missing_type) == "MissingRequiredHeader"
    wrong_type = httpx.put(url, content=b"x", headers={"x-ms-blob-type": "AppendBlob"})
    assert wrong_type.status_code == 400 and xml_code(wrong_type) == "InvalidHeaderValue"
    chunked = httpx.put(url, content=iter([b"a", b"b"]), headers=BLOCK)
    assert chunked.status_code == 411 and xml_code(chunked) == "MissingContentLengthHeader"
    bad_md5 = httpx.put(url, content=b"abc", headers={**BLOCK, "Content-MD5": base64.b64encode(b"0" * 16).decode()})
    assert bad_md5.status_code == 400 and xml_code(bad_md5) == "Md5Mismatch"

    parts = urlsplit(url)
    query = dict(parse_qsl(parts.query))
    forged = urlunsplit(parts._replace(query=urlencode({**query, "se": "2099-01-01T00:00:00Z"})))
    refused = httpx.put(forged, content=b"x", headers=BLOCK)
    assert refused.status_code == 403 and xml_code(refused) == "AuthenticationFailed"
    other_blob = url.replace(parts.path.rsplit("/", 1)[1], MISSING)
    assert httpx.put(other_blob, content=b"x", headers=BLOCK).status_code == 403


def test_expired_upload_url_is_refused(make_awork_sandbox, awork_client):
    server = make_awork_sandbox(upload_url_ttl=0)
    url = awork_client(server).post("/files/generateuploadurl").json()["uploadURL"]
    expired = httpx.put(url, content=b"late", headers=BLOCK)
    assert expired.status_code == 403 and xml_code(expired) == "AuthenticationFailed"
    assert "expiry" in expired.text


def test_an_interrupted_put_leaves_nothing_linkable(fresh):
    server, api, task = fresh
    ticket = api.post("/files/generateuploadurl").json()
    parts = urlsplit(ticket["uploadURL"])
    with socket.create_connection(("127.0.0.1", server.port)) as sock:
        sock.sendall(
            f"PUT {parts.path}?{parts.query} HTTP/1.1\r\nHost: x\r\nx-ms-blob-type: BlockBlob\r\n"
            f"Content-Length: 100000\r\n\r\n".encode()
            + b"x" * 5000
        )
        time.sleep(0.1)  # the server has started writing the blob
    deadline = time.monotonic() + 5
    while any(server.store.incoming_dir.iterdir()) and time.monotonic() < deadline:
        time.sleep(0.02)
    assert not any(server.store.incoming_dir.iterdir()), "the partial blob must be removed"
    body = {"uploadId": ticket["uploadId"], "fileName": "cut.bin"}
    assert api.post(f"/tasks/{task['id']}/files/byuploadid", json=body).status_code == 404
    # The same URL still works for a complete upload.
    assert httpx.put(ticket["uploadURL"], content=b"whole", headers=BLOCK).status_code == 201
    assert api.post(f"/tasks/{task['id']}/files/byuploadid", json=body).status_code == 200


def png(size=(300, 120)) -> bytes:
    out = io.BytesIO()
    Image.new("RGB", size, (250, 180, 20)).save(out, "PNG")
    return out.getvalue()


def test_multipart_upload_with_image_sizes_and_resized_download(fresh):
    _server, api, task = fresh
    response = api.post(f"/tasks/{task['id']}/files", files={"File": ("board.png", png(), "image/png")})
    assert response.status_code == 200, response.text
    info = response.json()
    version = info["fileVersions"][0]
    assert (info["fileName"], info["mimeType"], version["width"], version["height"]) == (
        "board.png",
        "image/png",
        300,
        120,
    )
    small = api.get(f"/files/{info['id']}/download", params={"width": 150})
    assert Image.open(io.BytesIO(small.content)).size == (150, 60)
    assert "board.png" in small.headers["content-disposition"]
    cropped = api.get(
        f"/tasks/{task['id']}/files/{info['id']}/download", params={"width": 50, "height": 50, "crop": "true"}
    )
    assert Image.open(io.BytesIO(cropped.content)).size == (50, 50)
    no_enlarge = api.get(f"/files/{info['id']}/download", params={"width": 600, "enlarge": "false"})
    assert Image.open(io.BytesIO(no_enlarge.content)).size == (300, 120)

    plain = api.post(
        f"/tasks/{task['id']}/files",
        files={"file": ("readme", b"text", "application/octet-stream")},
        data={"name": "Read me"},
    )
    assert (plain.json()["name"], plain.json()["fileName"]) == ("Read me", "readme")


def test_delete_a_file(fresh):
    _server, api, task = fresh
    info = api.post(
        f"/tasks/{task['id']}/files/byuploadid", json={"uploadId": upload(api, b"bye"), "fileName": "bye.txt"}
    ).json()
    url = f"/tasks/{task['id']}/files/{info['id']}"
    assert api.delete(url).status_code == 204
    for response in (api.get(url), api.delete(url), api.get(f"/files/{info['id']}/download")):
        assert response.status_code == 404 and response.json()["code"] == "not-found"
    assert api.get(f"/tasks/{MISSING}/files").status_code == 404


def test_task_file_lists_page(awork_sandbox, awork_client):
    api = awork_client(awork_sandbox)
    with_files = next(
        t for t in api.get("/me/allavailabletasks", params={"pageSize": 1000}).json() if t["hasAttachment"]
    )
    page = api.get(f"/tasks/{with_files['id']}/files", params={"pageSize": 1, "orderby": "fileName desc"})
    assert page.headers["aw-items"] == "1" and int(page.headers["aw-totalitems"]) >= 1
    info = page.json()[0]
    assert info["fileVersions"][0]["size"] > 0
    download = api.get(f"/files/{info['id']}/download")
    assert len(download.content) == info["fileVersions"][0]["size"]
