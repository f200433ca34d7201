"""The awork sandbox keeps its data in `data_dir` across restarts, and seeds deterministically."""

from __future__ import annotations

import io

import httpx
from PIL import Image

from attache.sandbox import SandboxServer

BLOCK = {"x-ms-blob-type": "BlockBlob"}


def png() -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (70, 40), (90, 160, 90)).save(out, "PNG")
    return out.getvalue()


def test_data_survives_a_restart(tmp_path, make_awork_sandbox, awork_client):
    first = make_awork_sandbox(data_dir=tmp_path / "data", token="demo-token")
    assert first.token == "demo-token"
    api = awork_client(first)
    task = api.get("/me/allavailabletasks", params={"pageSize": 1}).json()[0]
    user = next(u for u in api.get("/users", params={"pageSize": 100}).json() if not u["hasImage"])
    ticket = api.post("/files/generateuploadurl").json()
    assert httpx.put(ticket["uploadURL"], content=b"kept", headers=BLOCK).status_code == 201
    info = api.post(
        f"/tasks/{task['id']}/files/byuploadid", json={"uploadId": ticket["uploadId"], "fileName": "kept.txt"}
    ).json()
    assert api.post(f"/files/images/users/{user['id']}", files={"File": ("u.png", png())}).status_code == 200
    pending = api.post("/files/generateuploadurl").json()  # handed out before the restart
    workspace = first.workspace_id
    first.stop()

    second = make_awork_sandbox(data_dir=tmp_path / "data", token="demo-token")
    again = awork_client(second)
    assert second.workspace_id == workspace
    assert again.get(f"/files/{info['id']}/download").content == b"kept"
    assert again.get(f"/users/{user['id']}").json()["hasImage"]
    assert Image.open(io.BytesIO(again.get(f"/files/images/users/{user['id']}").content)).size == (70, 40)
    # An upload URL from before the restart is still signed correctly.
    assert (
        httpx.put(
            pending["uploadURL"].replace(str(first.port), str(second.port)), content=b"later", headers=BLOCK
        ).status_code
        == 201
    )
    linked = again.post(
        f"/tasks/{task['id']}/files/byuploadid", json={"uploadId": pending["uploadId"], "fileName": "later.txt"}
    )
    assert linked.status_code == 200
    reused = again.post(
        f"/tasks/{task['id']}/files/byuploadid", json={"uploadId": ticket["uploadId"], "fileName": "kept.txt"}
    )
    assert reused.status_code == 400  # consumed before the restart, still consumed


def test_seeds_are_deterministic(make_awork_sandbox, awork_client):
    def snapshot(server: SandboxServer) -> list:
        api = awork_client(server)
        projects = api.get("/projects", params={"pageSize": 100}).json()
        tasks = api.get("/me/allavailabletasks", params={"pageSize": 1000}).json()
        avatar = api.get(f"/files/images/users/{server.me_id}").content
        return [
            [(p["id"], p["name"], p["hasImage"]) for p in projects],
            [(t["id"], t["name"], t["taskStatus"]["name"]) for t in tasks],
            avatar,
        ]

    one, also_one = snapshot(make_awork_sandbox(seed=1)), snapshot(make_awork_sandbox(seed=1))
    two = snapshot(make_awork_sandbox(seed=2))
    assert one == also_one
    assert one[0] != two[0] and one[2] != two[2]
