"""Task files on the ONLYOFFICE sandbox: attach Documents files to a task, list them, detach
them (the file stays in its folder), and download through viewUrl with Range."""

from __future__ import annotations

import os

import httpx
import pytest


@pytest.fixture
def task_and_folder(fresh_oo_sandbox, oo_client):
    api = oo_client(fresh_oo_sandbox)
    task = api.get("/api/2.0/project/task/filter", params={"count": 1, "startIndex": 1}).json()["response"][0]
    project = api.get(f"/api/2.0/project/{task['projectOwner']['id']}").json()["response"]
    return fresh_oo_sandbox, api, task["id"], project["projectFolder"]


def upload(api: httpx.Client, folder: int, name: str, data: bytes) -> dict:
    return api.post(f"/api/2.0/files/{folder}/upload", files={"file": (name, data)}).json()["response"]


def test_attach_list_detach(task_and_folder):
    _server, api, task_id, folder = task_and_folder
    before = [f["id"] for f in api.get(f"/api/2.0/project/task/{task_id}/files").json()["response"]]
    file = upload(api, folder, "brief.txt", b"the brief")

    attached = api.post(f"/api/2.0/project/task/{task_id}/files", json={"files": [file["id"]]})
    assert attached.status_code == 201
    assert attached.json()["response"]["id"] == task_id and "files" not in attached.json()["response"]  # TaskWrapper
    again = api.post(f"/api/2.0/project/task/{task_id}/files", json={"files": [file["id"]]})
    assert again.status_code == 201  # attaching twice links once
    listed = api.get(f"/api/2.0/project/task/{task_id}/files").json()["response"]
    assert [f["id"] for f in listed] == [*before, file["id"]]
    assert [f["id"] for f in api.get(f"/api/2.0/project/task/{task_id}").json()["response"]["files"]][-1] == file["id"]

    detached = api.delete(f"/api/2.0/project/task/{task_id}/files", params={"fileid": file["id"]})
    assert detached.status_code == 200 and detached.json()["response"]["id"] == task_id
    assert file["id"] not in [f["id"] for f in api.get(f"/api/2.0/project/task/{task_id}/files").json()["response"]]
    contents = api.get(f"/api/2.0/files/{folder}").json()["response"]
    assert {"title": "brief.txt", "size": 9} in [
        {"title": f["title"], "size": f["pureContentLength"]} for f in contents["files"]
    ]  # the file stays in Documents


def test_attach_errors(task_and_folder):
    _server, api, task_id, _folder = task_and_folder
    assert api.post(f"/api/2.0/project/task/{task_id}/files", json={"files": [999999]}).status_code == 404
    assert api.post(f"/api/2.0/project/task/{task_id}/files", json={"files": []}).status_code == 400
    assert api.post("/api/2.0/project/task/999999/files", json={"files": [1]}).status_code == 404
    assert api.delete(f"/api/2.0/project/task/{task_id}/files").status_code == 400


def test_folder_contents_page_with_their_own_counts(task_and_folder):
    _server, api, _task, folder = task_and_folder
    whole = api.get(f"/api/2.0/files/{folder}").json()
    assert whole["count"] == 1  # one FolderContentWrapper
    content = whole["response"]
    assert content["current"]["id"] == folder and content["total"] == len(content["files"]) > 0
    page = api.get(f"/api/2.0/files/{folder}", params={"startIndex": 1, "count": 1}).json()["response"]
    assert (page["startIndex"], page["count"], page["files"][0]["id"]) == (1, 1, content["files"][1]["id"])


def test_download_with_auth_disposition_and_range(task_and_folder):
    server, api, _task, folder = task_and_folder
    data = os.urandom(5000)
    file = upload(api, folder, "Übersicht 1.bin", data)
    assert file["viewUrl"] == (
        f"{server.base_url}/Products/Files/HttpHandlers/filehandler.ashx?action=download&fileid={file['id']}"
    )
    whole = api.get(file["viewUrl"])
    assert whole.content == data and "filename*=UTF-8''%C3%9Cbersicht%201.bin" in whole.headers["content-disposition"]
    part = api.get(file["viewUrl"], headers={"Range": "bytes=1000-1999"})
    assert part.status_code == 206 and part.content == data[1000:2000]
    assert part.headers["content-range"] == "bytes 1000-1999/5000"
    assert httpx.get(file["viewUrl"]).status_code == 403  # not signed in
    missing = api.get(f"{server.base_url}/Products/Files/HttpHandlers/filehandler.ashx?action=download&fileid=999999")
    assert missing.status_code == 404
