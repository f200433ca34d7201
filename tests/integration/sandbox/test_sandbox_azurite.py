"""The three-step upload through a real Azure emulator: generateuploadurl hands out an Azurite
SAS URL, the client PUTs there, and byuploadid streams the blob back into the sandbox."""

from __future__ import annotations

import hashlib
import os

import httpx


def test_50_mb_through_azurite_round_trips(azurite, make_awork_sandbox, awork_client, tmp_path):
    server = make_awork_sandbox(blob_backend=azurite.blobs())
    api = awork_client(server)
    task = api.get("/me/allavailabletasks", params={"pageSize": 1}).json()[0]
    source = tmp_path / "big.bin"
    source.write_bytes(os.urandom(1 << 20) * 50)
    size = source.stat().st_size
    digest = hashlib.sha256(source.read_bytes()).hexdigest()

    ticket = api.post("/files/generateUploadURL").json()
    assert ticket["uploadURL"].startswith(azurite.endpoint + "/") and "sig=" in ticket["uploadURL"]

    def chunks():
        with source.open("rb") as f:
            while chunk := f.read(1 << 20):
                yield chunk

    with httpx.Client(timeout=120) as blob_client:
        put = blob_client.put(
            ticket["uploadURL"],
            content=chunks(),
            headers={
                "x-ms-blob-type": "BlockBlob",
                "Content-Length": str(size),
                "Content-Type": "application/octet-stream",
            },
        )
    assert put.status_code == 201, put.text

    linked = api.post(
        f"/tasks/{task['id']}/files/byUploadId",
        json={"uploadId": ticket["uploadId"], "fileName": "big.bin"},
        timeout=120,
    )
    assert linked.status_code == 200, linked.text
    info = linked.json()
    assert info["fileVersions"][0]["size"] == size

    received = hashlib.sha256()
    with api.stream("GET", f"/files/{info['id']}/download", timeout=120) as download:
        assert download.headers["content-length"] == str(size)
        for chunk in download.iter_bytes():
            received.update(chunk)
    assert received.hexdigest() == digest

    again = api.post(f"/tasks/{task['id']}/files/byuploadid", json={"uploadId": ticket["uploadId"], "fileName": "x"})
    assert again.status_code == 400


def test_azurite_link_before_upload_is_not_found(azurite, make_awork_sandbox, awork_client):
    server = make_awork_sandbox(blob_backend=azurite.blobs())
    api = awork_client(server)
    task = api.get("/me/allavailabletasks", params={"pageSize": 1}).json()[0]
    ticket = api.post("/files/generateuploadurl").json()
    body = {"uploadId": ticket["uploadId"], "fileName": "nothing.txt"}
    assert api.post(f"/tasks/{task['id']}/files/byuploadid", json=body).status_code == 404
    put = httpx.put(ticket["uploadURL"], content=b"now it exists", headers={"x-ms-blob-type": "BlockBlob"})
    assert put.status_code == 201
    assert api.post(f"/tasks/{task['id']}/files/byuploadid", json=body).status_code == 200
