"""Uploads to the ONLYOFFICE sandbox: one multipart (or raw) request into a folder with the
portal's size limit, and chunked sessions with the portal's chunk rules, expiry and abort."""

from __future__ import annotations

import os

import httpx
import pytest

CHUNK = 64 * 1024  # the sandbox's chunk_size for these tests (the portal's is 10 MiB)


@pytest.fixture
def portal(make_oo_sandbox, oo_client):
    server = make_oo_sandbox(chunk_size=CHUNK, max_upload_size=256 * 1024)
    api = oo_client(server)
    project = api.get("/api/2.0/project/filter", params={"count": 1}).json()["response"][0]
    return server, api, project["projectFolder"]


def names_and_sizes(api: httpx.Client, folder: int) -> dict[str, int]:
    files = api.get(f"/api/2.0/files/{folder}").json()["response"]["files"]
    return {f["title"]: f["pureContentLength"] for f in files}


def test_a_multipart_upload_answers_201_with_the_file(portal):
    _server, api, folder = portal
    data = os.urandom(3000)
    response = api.post(f"/api/2.0/files/{folder}/upload", files={"anything": ("plan.pdf", data, "application/pdf")})
    assert response.status_code == 201
    file = response.json()["response"]
    assert (file["title"], file["folderId"], file["pureContentLength"], file["version"]) == (
        "plan.pdf",
        folder,
        3000,
        1,
    )
    assert isinstance(file["id"], int) and file["contentLength"] == "2.93 KB" and file["fileExst"] == ".pdf"
    assert names_and_sizes(api, folder)["plan.pdf"] == 3000
    assert httpx.get(file["viewUrl"], headers={"Authorization": api.headers["Authorization"]}).content == data


def test_several_parts_make_several_files_and_a_raw_body_one(portal):
    _server, api, folder = portal
    both = api.post(f"/api/2.0/files/{folder}/upload", files=[("a", ("a.txt", b"a")), ("b", ("b.txt", b"bb"))])
    assert [f["title"] for f in both.json()["response"]] == ["a.txt", "b.txt"]
    raw = api.post(
        f"/api/2.0/files/{folder}/upload",
        content=b"raw body",
        headers={"Content-Type": "text/plain", "Content-Disposition": 'attachment; filename="R%C3%A9sum%C3%A9.txt"'},
    )
    assert raw.status_code == 201 and raw.json()["response"]["title"] == "Résumé.txt"


def test_a_same_named_upload_gets_a_free_name_or_with_create_new_false_a_version(portal):
    _server, api, folder = portal
    first = api.post(f"/api/2.0/files/{folder}/upload", files={"f": ("same.txt", b"1")}).json()["response"]
    second = api.post(f"/api/2.0/files/{folder}/upload", files={"f": ("same.txt", b"22")}).json()["response"]
    assert second["title"] == "same (1).txt" and second["id"] != first["id"]
    update = api.post(
        f"/api/2.0/files/{folder}/upload", params={"createNewIfExist": "false"}, files={"f": ("same.txt", b"333")}
    ).json()["response"]
    assert (update["id"], update["version"], update["pureContentLength"]) == (first["id"], 2, 3)


def test_upload_errors(portal):
    _server, api, folder = portal
    too_big = api.post(f"/api/2.0/files/{folder}/upload", files={"f": ("big.bin", b"x" * (300 * 1024))})
    assert too_big.status_code == 500 and too_big.json()["status"] == 1
    declared_too_big = api.post(f"/api/2.0/files/{folder}/upload", files={"f": ("big.bin", b"x" * (2 << 20))})
    assert declared_too_big.status_code == 500
    for nothing in (
        api.post(f"/api/2.0/files/{folder}/upload", data={"field": "no file"}),
        api.post(f"/api/2.0/files/{folder}/upload", files={"field": (None, "a text part, no file")}),
        api.post(f"/api/2.0/files/{folder}/upload", content=b"", headers={"Content-Type": "text/plain"}),
    ):
        assert nothing.status_code == 403 and nothing.json()["error"]["message"] == "No input files"
    missing = api.post("/api/2.0/files/999999/upload", files={"f": ("a.txt", b"a")})
    assert missing.status_code == 404 and missing.json()["error"]["message"] == "Folder not found"
    assert "big.bin" not in names_and_sizes(api, folder)


def create_session(api: httpx.Client, folder: int, name: str, size: int) -> dict:
    response = api.post(f"/api/2.0/files/{folder}/upload/create_session", json={"fileName": name, "fileSize": size})
    assert response.status_code == 201, response.text
    body = response.json()["response"]
    assert body["success"] is True
    return body["data"]


def send_chunk(location: str, data: bytes) -> httpx.Response:
    return httpx.post(location, files={"file": ("blob", data, "application/octet-stream")})


def test_a_chunked_upload_in_order_makes_the_file_byte_identical(portal):
    _server, api, folder = portal
    data = os.urandom(CHUNK * 3 + 1234)
    session = create_session(api, folder, "model.ifc", len(data))
    assert list(session) == ["id", "path", "created", "expired", "location", "bytes_uploaded", "bytes_total"]
    assert (
        session["location"].startswith(api.base_url.scheme + "://")
        and "ChunkedUploader.ashx?uid=" in session["location"]
    )
    assert (session["bytes_uploaded"], session["bytes_total"], session["path"]) == (0, len(data), [folder])
    for index in range(3):
        answer = send_chunk(session["location"], data[index * CHUNK : (index + 1) * CHUNK])
        assert answer.status_code == 200
        body = answer.json()
        assert list(body) == ["success", "data", "message"] and body["success"] is True
        assert body["data"]["bytes_uploaded"] == (index + 1) * CHUNK
    last = send_chunk(session["location"], data[3 * CHUNK :])
    assert last.status_code == 201
    done = last.json()["data"]
    assert done["uploaded"] is True and done["title"] == "model.ifc" and done["folderId"] == folder
    assert set(done) == {"id", "folderId", "version", "title", "provider_key", "uploaded"}
    view = api.get(f"/api/2.0/files/file/{done['id']}").json()["response"]["viewUrl"]
    assert api.get(view).content == data
    again = send_chunk(session["location"], b"x")
    assert again.json()["success"] is False  # the session ended with its last chunk


@pytest.mark.parametrize(
    "size",
    [CHUNK - 512, CHUNK + 512, CHUNK - 1, 0],
    ids=["short", "long", "not-a-multiple-of-512", "empty"],
)
def test_a_chunk_the_portal_refuses_is_http_200_success_false_and_changes_nothing(portal, size):
    _server, api, folder = portal
    session = create_session(api, folder, "refused.bin", CHUNK * 4)
    refused = send_chunk(session["location"], b"x" * size)
    assert refused.status_code == 200
    body = refused.json()
    assert body["success"] is False and body["data"] is None and body["message"]
    accepted = send_chunk(session["location"], b"x" * CHUNK).json()
    assert accepted["success"] is True and accepted["data"]["bytes_uploaded"] == CHUNK


def test_a_client_resumes_from_the_last_answer_while_the_session_lives(portal):
    _server, api, folder = portal
    data = os.urandom(CHUNK * 2 + 10)
    session = create_session(api, folder, "resumed.bin", len(data))
    progress = send_chunk(session["location"], data[:CHUNK]).json()["data"]["bytes_uploaded"]
    # a new connection later (the app was restarted) carries on from bytes_uploaded
    assert send_chunk(session["location"], data[progress : progress + CHUNK]).json()["success"] is True
    assert send_chunk(session["location"], data[progress + CHUNK :]).status_code == 201
    assert names_and_sizes(api, folder)["resumed.bin"] == len(data)


def test_no_file_part_tells_nothing_about_progress(portal):
    _server, api, folder = portal
    session = create_session(api, folder, "ask.bin", CHUNK * 2)
    for asked in (httpx.get(session["location"]), httpx.post(session["location"])):
        assert asked.status_code == 200 and asked.json() == {
            "success": False,
            "data": None,
            "message": "HttpRequest.Files is empty",
        }


def test_an_expired_or_aborted_session_takes_no_more_chunks(portal):
    server, api, folder = portal
    expiring = create_session(api, folder, "late.bin", CHUNK * 2)
    assert send_chunk(expiring["location"], b"x" * CHUNK).json()["success"] is True
    server.expire_upload_sessions()
    late = send_chunk(expiring["location"], b"x" * CHUNK).json()
    assert late["success"] is False and "expired" in late["message"]

    aborted = create_session(api, folder, "aborted.bin", CHUNK * 2)
    assert httpx.post(aborted["location"] + "&abort=true").json()["success"] is True
    assert send_chunk(aborted["location"], b"x" * CHUNK).json()["success"] is False
    assert not {"late.bin", "aborted.bin"} & set(names_and_sizes(api, folder))


def test_a_session_is_refused_for_bad_arguments_or_a_missing_folder(portal):
    _server, api, folder = portal
    bad = api.post(f"/api/2.0/files/{folder}/upload/create_session", json={"fileName": "x.bin"})
    assert bad.status_code == 400
    missing = api.post("/api/2.0/files/999999/upload/create_session", json={"fileName": "x", "fileSize": 5})
    assert missing.status_code == 404
