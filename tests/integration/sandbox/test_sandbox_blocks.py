"""Block uploads at the sandbox's own blob endpoint answer as Azurite (a real Azure emulator) does:
Put Block, Get Block List, Put Block List, then byuploadid links the committed blob."""

from __future__ import annotations

import base64
import hashlib
from datetime import UTC, datetime, timedelta

import httpx
import pytest


@pytest.fixture(params=["own", "azurite"])
def blob_server(request, make_awork_sandbox):  # type: ignore[no-untyped-def]
    if request.param == "azurite":
        return make_awork_sandbox(blob_backend=request.getfixturevalue("azurite").blobs(container="block-contract"))
    return make_awork_sandbox()


def _id(text: str) -> str:
    return base64.b64encode(text.encode()).decode()


def _at(url: str, **params: str) -> str:
    return str(httpx.URL(url).copy_merge_params(params))


def _names(xml: str, section: str) -> list[str]:
    part = xml.split(f"<{section}>", 1)[1].split(f"</{section}>", 1)[0] if f"<{section}>" in xml else ""
    return [piece.split("</Name>", 1)[0] for piece in part.split("<Name>")[1:]]


def test_blocks_are_listed_committed_in_order_and_linked(blob_server, awork_client):
    api = awork_client(blob_server)
    task = api.get("/me/allavailabletasks", params={"pageSize": 1}).json()[0]
    ticket = api.post("/files/generateUploadURL").json()
    url = str(httpx.URL(blob_server.base_url + "/").join(ticket["uploadURL"]))
    first, second = _id("block-000001"), _id("block-000002")
    with httpx.Client(timeout=30) as blob:
        listed = blob.get(_at(url, comp="blocklist", blocklisttype="all"))
        assert listed.status_code == 404 and listed.headers["x-ms-error-code"] == "BlobNotFound"

        assert blob.put(_at(url, comp="block", blockid=second), content=b"world").status_code == 201
        assert blob.put(_at(url, comp="block", blockid=first), content=b"hello ").status_code == 201
        listed = blob.get(_at(url, comp="blocklist", blocklisttype="all"))
        assert listed.status_code == 200
        assert sorted(_names(listed.text, "UncommittedBlocks")) == sorted([first, second])
        assert "<Size>6</Size>" in listed.text and "<Size>5</Size>" in listed.text

        missing = f"<BlockList><Latest>{first}</Latest><Latest>{_id('block-000003')}</Latest></BlockList>"
        refused = blob.put(_at(url, comp="blocklist"), content=missing.encode())
        assert refused.status_code == 400 and refused.headers["x-ms-error-code"] == "InvalidBlockList"

        order = f"<BlockList><Latest>{first}</Latest><Latest>{second}</Latest></BlockList>"
        committed = blob.put(
            _at(url, comp="blocklist"), content=order.encode(), headers={"x-ms-blob-content-type": "text/plain"}
        )
        assert committed.status_code == 201, committed.text
        again = blob.put(_at(url, comp="blocklist"), content=order.encode())  # its answer was lost, say
        assert again.status_code == 201, again.text
        listed = blob.get(_at(url, comp="blocklist", blocklisttype="all"))
        assert _names(listed.text, "CommittedBlocks") == [first, second]
        assert _names(listed.text, "UncommittedBlocks") == []

    linked = api.post(f"/tasks/{task['id']}/files/byuploadid", json={"uploadId": ticket["uploadId"], "fileName": "hi"})
    assert linked.status_code == 200, linked.text
    assert api.get(f"/files/{linked.json()['id']}/download").content == b"hello world"


def test_a_block_is_checked_against_its_content_md5_and_otherwise_not_hashed(blob_server, awork_client):
    """Azure (2019-02-02 on) hashes a block with MD5 only to check a Content-MD5 sent with it, and
    answers without one otherwise: the sandbox costs a block sent without it no MD5."""
    api = awork_client(blob_server)
    ticket = api.post("/files/generateUploadURL").json()
    url = str(httpx.URL(blob_server.base_url + "/").join(ticket["uploadURL"]))
    body = b"a block of bytes"
    right = base64.b64encode(hashlib.md5(body).digest()).decode()
    wrong = base64.b64encode(hashlib.md5(b"other bytes").digest()).decode()
    with httpx.Client(timeout=30) as blob:
        plain = blob.put(_at(url, comp="block", blockid=_id("block-1")), content=body)
        assert plain.status_code == 201 and "content-md5" not in plain.headers
        checked = blob.put(_at(url, comp="block", blockid=_id("block-2")), content=body, headers={"Content-MD5": right})
        assert checked.status_code == 201, checked.text
        refused = blob.put(_at(url, comp="block", blockid=_id("block-3")), content=body, headers={"Content-MD5": wrong})
        assert refused.status_code == 400 and refused.headers["x-ms-error-code"] == "Md5Mismatch"
        listed = blob.get(_at(url, comp="blocklist", blocklisttype="uncommitted"))
    assert sorted(_names(listed.text, "UncommittedBlocks")) == sorted([_id("block-1"), _id("block-2")])


def test_an_expired_sas_may_not_list_or_send_blocks(blob_server, awork_client):
    api = awork_client(blob_server)
    ticket = api.post("/files/generateUploadURL").json()
    root = blob_server.root_url
    expired = blob_server.blobs.upload_url(ticket["uploadId"], root, datetime.now(UTC) - timedelta(minutes=5))
    with httpx.Client(timeout=30) as blob:
        for response in (
            blob.get(_at(expired, comp="blocklist", blocklisttype="all")),
            blob.put(_at(expired, comp="block", blockid=_id("block-000001")), content=b"x"),
        ):
            # Azure says AuthenticationFailed, Azurite AuthorizationFailure; never the "may not read"
            # of a SAS without read permission (the client then sends every block instead).
            assert response.status_code == 403
            assert response.headers["x-ms-error-code"] in ("AuthenticationFailed", "AuthorizationFailure")


def _png(width: int, height: int) -> bytes:
    import io

    from PIL import Image

    out = io.BytesIO()
    Image.effect_noise((width, height), 60).convert("RGB").save(out, "PNG", compress_level=0)
    return out.getvalue()


def test_a_commit_copies_no_bytes_and_the_file_is_joined_when_first_read(make_awork_sandbox, awork_client):
    """As in Azure, committing a block list moves no bytes (a 1 GiB upload's commit took the
    sandbox ~0.5 s of copying): the blocks become the blob's parts, the link reads only the head
    (an image keeps its size), and the first download joins them into one file."""
    server = make_awork_sandbox()
    api = awork_client(server)
    task = api.get("/me/allavailabletasks", params={"pageSize": 1}).json()[0]
    ticket = api.post("/files/generateUploadURL").json()
    url = str(httpx.URL(server.base_url + "/").join(ticket["uploadURL"]))
    picture = _png(300, 200)
    third = len(picture) // 3
    pieces = [picture[:third], picture[third : 2 * third], picture[2 * third :]]
    ids = [_id(f"block-{n:06d}") for n in range(3)]
    with httpx.Client(timeout=30) as blob:
        for block, piece in zip(ids, pieces, strict=True):
            assert blob.put(_at(url, comp="block", blockid=block), content=piece).status_code == 201
        order = "".join(f"<Latest>{block}</Latest>" for block in ids)
        committed = blob.put(_at(url, comp="blocklist"), content=f"<BlockList>{order}</BlockList>".encode())
        assert committed.status_code == 201, committed.text
    blob_id = server.store.get_upload(ticket["uploadId"])["blob"]
    joined = server.store.blob_dir / blob_id
    assert not joined.exists()  # not copied at the commit

    linked = api.post(
        f"/tasks/{task['id']}/files/byuploadid", json={"uploadId": ticket["uploadId"], "fileName": "p.png"}
    )
    assert linked.status_code == 200, linked.text
    [version] = linked.json()["fileVersions"]
    assert (version["width"], version["height"]) == (300, 200)
    assert not joined.exists()  # the link read the head only
    for _ in range(2):
        assert api.get(f"/files/{linked.json()['id']}/download").content == picture
    assert joined.is_file() and not (server.store.blob_dir / f"{blob_id}.parts").exists()


def test_a_block_named_twice_in_the_list_is_in_the_blob_twice(make_awork_sandbox, awork_client):
    server = make_awork_sandbox()
    api = awork_client(server)
    task = api.get("/me/allavailabletasks", params={"pageSize": 1}).json()[0]
    ticket = api.post("/files/generateUploadURL").json()
    url = str(httpx.URL(server.base_url + "/").join(ticket["uploadURL"]))
    hello, world = _id("block-000001"), _id("block-000002")
    with httpx.Client(timeout=30) as blob:
        assert blob.put(_at(url, comp="block", blockid=hello), content=b"hello ").status_code == 201
        assert blob.put(_at(url, comp="block", blockid=world), content=b"world").status_code == 201
        order = f"<BlockList><Latest>{hello}</Latest><Latest>{hello}</Latest><Latest>{world}</Latest></BlockList>"
        assert blob.put(_at(url, comp="blocklist"), content=order.encode()).status_code == 201
    linked = api.post(f"/tasks/{task['id']}/files/byuploadid", json={"uploadId": ticket["uploadId"], "fileName": "hi"})
    assert linked.status_code == 200, linked.text
    assert api.get(f"/files/{linked.json()['id']}/download").content == b"hello hello world"
