"""awork uploads, downloads and errors, where a real server cannot easily misbehave on cue."""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator

import httpx
import pytest

from attache.backends.awork import CHUNK_SIZE, IMAGE_LIMIT_BYTES, AworkBackend
from attache.backends.http import default_retry, make_client
from attache.core.errors import (
    AuthenticationError,
    NetworkError,
    NotFoundError,
    PermissionDeniedError,
    SourceChangedError,
    TooLargeError,
    UnsupportedError,
    UploadExpiredError,
)
from attache.core.models import EntityKind, EntityRef

BASE = "https://awork.test/api/v1"
TOKEN = "awork-token-123456"
SIG = "SASsignature987654"
UPLOAD_URL = f"https://blob.test/uploads/u1?sv=2024&sig={SIG}"
TASK = EntityRef(EntityKind.TASK, "t1")


class Server:
    """A scripted awork: handler(request) → response, every request kept with its headers."""

    def __init__(self, handler: Callable[[httpx.Request], httpx.Response]) -> None:
        self.handler = handler
        self.requests: list[tuple[httpx.Request, bytes]] = []

    def __call__(self, request: httpx.Request) -> httpx.Response:
        body = request.read()
        self.requests.append((request, body))
        return self.handler(request)


@pytest.fixture
def backend_for():
    clients: list[httpx.Client] = []

    def build(api: Server, blob: Server | None = None) -> AworkBackend:
        retry = default_retry(sleeper=lambda seconds: None)
        client = make_client(BASE, token_provider=lambda: TOKEN, transport=httpx.MockTransport(api), retry=retry)
        blob_client = make_client(transport=httpx.MockTransport(blob or api), retry=retry)
        clients.extend([client, blob_client])
        return AworkBackend(BASE, token=TOKEN, account="Acme", client=client, blob_client=blob_client)

    yield build
    for client in clients:
        client.close()


def error(status: int, code: str, description: str) -> httpx.Response:
    return httpx.Response(
        status, json={"code": code, "description": description, "link": "https://developers.awork.com"}
    )


def file_info(file_id: str, name: str, size: int, created: str = "2025-01-01T00:00:00Z") -> dict:
    return {
        "id": file_id,
        "name": name,
        "fileName": name,
        "createdOn": created,
        "fileVersions": [{"id": f"v-{file_id}", "version": 1, "size": size}],
    }


# ---------------------------------------------------------------------------- errors


def test_unknown_task_is_not_found_with_a_plain_message(backend_for):
    backend = backend_for(Server(lambda r: error(404, "not-found", "The task was not found.")))
    with pytest.raises(NotFoundError) as caught:
        backend.list_files(TASK)
    assert str(caught.value) == "awork has no task t1"


def test_rejected_token_names_the_account(backend_for):
    backend = backend_for(Server(lambda r: error(401, "unauthorized", "The token is invalid.")))
    with pytest.raises(AuthenticationError) as caught:
        next(backend.iter_pages(EntityKind.PROJECT))
    assert str(caught.value) == "awork rejected the token for account 'Acme': sign in again"
    assert TOKEN not in str(caught.value) and TOKEN not in caught.value.detail


def test_subscription_error_code_becomes_permission_denied(backend_for):
    backend = backend_for(
        Server(lambda r: error(400, "insufficient-subscription-level", "Your plan does not include this."))
    )
    with pytest.raises(PermissionDeniedError, match=r"Your plan does not include this\."):
        backend.get_entity(EntityRef(EntityKind.PROJECT, "p1"))


def test_image_404_means_no_image(backend_for):
    backend = backend_for(Server(lambda r: error(404, "not-found", "No image.")))
    assert backend.get_image(EntityRef(EntityKind.USER, "u1"), width=64, height=64) is None


def test_image_request_sends_size_and_crop(backend_for):
    server = Server(lambda r: httpx.Response(200, content=b"\x89PNG", headers={"content-type": "image/png"}))
    backend_for(server).get_image(EntityRef(EntityKind.COMPANY, "c1"), width=64, height=32, crop=True)
    request = server.requests[0][0]
    assert request.url.path == "/api/v1/files/images/companies/c1"
    assert dict(request.url.params) == {"width": "64", "height": "32", "crop": "true"}


def test_tasks_have_no_images_and_projects_no_files_here(backend_for):
    backend = backend_for(Server(lambda r: httpx.Response(200)))
    with pytest.raises(UnsupportedError):
        backend.get_image(TASK)
    with pytest.raises(UnsupportedError):
        backend.list_files(EntityRef(EntityKind.PROJECT, "p1"))


def test_too_large_image_is_refused_before_any_request(backend_for, tmp_path):
    server = Server(lambda r: httpx.Response(200, json={}))
    big = tmp_path / "huge.png"
    with open(big, "wb") as f:
        f.truncate(101 * 1024 * 1024)  # sparse: costs no disk
    with pytest.raises(TooLargeError) as caught:
        backend_for(server).set_image(EntityRef(EntityKind.USER, "u1"), big)
    assert str(caught.value) == "huge.png is 101.0 MB; awork accepts profile images up to 100 MB"
    assert caught.value.limit == IMAGE_LIMIT_BYTES
    assert server.requests == []


def test_server_side_too_large_image_gets_the_same_message(backend_for, tmp_path):
    image = tmp_path / "a.png"
    image.write_bytes(b"x" * 10)
    backend = backend_for(
        Server(lambda r: error(400, "request-body-too-large", "The uploaded file exceeds the allowed size limit"))
    )
    with pytest.raises(TooLargeError, match=r"a\.png is 0\.0 MB; awork accepts profile images up to 100 MB"):
        backend.set_image(EntityRef(EntityKind.USER, "u1"), image)


def test_set_image_streams_a_multipart_file_part(backend_for, tmp_path):
    image = tmp_path / "logo.png"
    image.write_bytes(b"\x89PNG" + b"x" * 200_000)
    server = Server(lambda r: httpx.Response(200, json={"id": "f"}))
    seen: list[bytes] = []
    backend_for(server).set_image(EntityRef(EntityKind.PROJECT, "p1"), image, on_chunk=seen.append)
    request, body = server.requests[0]
    assert request.method == "POST" and request.url.path == "/api/v1/files/images/projects/p1"
    assert b'name="File"; filename="logo.png"' in body and b"Content-Type: image/png" in body
    assert int(request.headers["Content-Length"]) == len(body)
    assert b"".join(seen) == image.read_bytes()


# ---------------------------------------------------------------------------- three-step upload


def upload_server(existing: list[dict]) -> Server:
    def handler(request: httpx.Request) -> httpx.Response:
        path = request.url.path
        if path == "/api/v1/tasks/t1/files" and request.method == "GET":
            return httpx.Response(200, json=existing)
        if path == "/api/v1/files/generateuploadurl":
            return httpx.Response(200, json={"uploadId": "u1", "uploadURL": UPLOAD_URL})
        if path == "/api/v1/tasks/t1/files/byuploadid":
            sent = json.loads(request.content)
            return httpx.Response(200, json=file_info("new", sent["fileName"], 5))
        return httpx.Response(404)

    return Server(handler)


def test_begin_attach_records_upload_and_existing_same_name_files(backend_for):
    api = upload_server([file_info("old", "a.txt", 3), file_info("other", "b.txt", 3)])
    state = backend_for(api).begin_attach(TASK, "a.txt", 5)
    assert state["upload_id"] == "u1" and state["upload_url"] == UPLOAD_URL
    assert json.loads(state["existing_file_ids"]) == ["old"]
    assert all(isinstance(v, str) for v in state.values())
    assert api.requests[1][0].method == "POST"


def test_send_content_puts_the_blob_without_the_awork_token(backend_for, tmp_path):
    source = tmp_path / "notes.txt"
    content = b"0123456789" * (CHUNK_SIZE // 4)
    source.write_bytes(content)
    blob = Server(lambda r: httpx.Response(201))
    seen: list[bytes] = []
    backend = backend_for(upload_server([]), blob)
    state = backend.send_content(
        {"upload_id": "u1", "upload_url": UPLOAD_URL, "name": "notes.txt"}, source, len(content), on_chunk=seen.append
    )
    request, body = blob.requests[0]
    assert request.method == "PUT" and str(request.url) == UPLOAD_URL
    assert "Authorization" not in request.headers
    assert request.headers["x-ms-blob-type"] == "BlockBlob"
    assert request.headers["Content-Length"] == str(len(content))
    assert request.headers["Content-Type"] == "text/plain"
    assert body == content
    assert b"".join(seen) == content and len(seen) == 3  # 1 MiB chunks, never the whole file at once
    assert state["content_sent"] == "true"


def test_expired_upload_url_is_upload_expired_and_not_retried(backend_for, tmp_path):
    source = tmp_path / "a.bin"
    source.write_bytes(b"abc")
    blob = Server(lambda r: httpx.Response(403, text="<Error><Code>AuthenticationFailed</Code></Error>"))
    with pytest.raises(UploadExpiredError) as caught:
        backend_for(upload_server([]), blob).send_content({"upload_url": UPLOAD_URL, "name": "a.bin"}, source, 3)
    assert len(blob.requests) == 1
    assert SIG not in str(caught.value) and SIG not in caught.value.detail


def test_a_file_that_changed_size_is_refused(backend_for, tmp_path):
    source = tmp_path / "a.bin"
    source.write_bytes(b"abcdef")
    blob = Server(lambda r: httpx.Response(201))
    with pytest.raises(SourceChangedError):
        backend_for(upload_server([]), blob).send_content({"upload_url": UPLOAD_URL, "name": "a.bin"}, source, 3)
    assert blob.requests == []


def test_finish_attach_links_by_upload_id(backend_for):
    api = upload_server([])
    record = backend_for(api).finish_attach(TASK, {"upload_id": "u1"}, "a.txt")
    assert json.loads(api.requests[0][1]) == {"uploadId": "u1", "fileName": "a.txt"}
    assert (record.id, record.name, record.size) == ("new", "a.txt", 5)


def test_find_attached_recognises_only_a_new_file_of_the_same_name_and_size(backend_for):
    state = {"existing_file_ids": json.dumps(["old"])}
    files = [
        file_info("old", "a.txt", 5),  # was there before
        file_info("wrong-size", "a.txt", 4),
        file_info("other-name", "b.txt", 5),
        file_info("ours", "a.txt", 5, created="2025-02-01T00:00:00Z"),
    ]
    backend = backend_for(upload_server(files))
    assert backend.find_attached(TASK, state, "a.txt", 5).id == "ours"
    assert backend_for(upload_server(files[:3])).find_attached(TASK, state, "a.txt", 5) is None


# ---------------------------------------------------------------------------- downloads


class DroppingStream(httpx.SyncByteStream):
    """A body that breaks off half-way, as a dropped connection does."""

    def __iter__(self) -> Iterator[bytes]:
        yield b"x" * 1000
        raise httpx.ReadError("peer closed connection")


def downloads(answer: Callable[[httpx.Request], httpx.Response], size: int = 5) -> Server:
    """A server answering the file's metadata (size `size`) and its download with `answer`."""
    return Server(
        lambda r: (
            answer(r) if r.url.path.endswith("/download") else httpx.Response(200, json=file_info("f1", "f.txt", size))
        )
    )


def test_a_download_that_keeps_dropping_gives_up_and_leaves_no_file_behind(backend_for, tmp_path):
    from attache.backends.resume import DOWNLOAD_ATTEMPTS

    server = downloads(
        lambda r: httpx.Response(
            200, stream=DroppingStream(), headers={"content-disposition": 'attachment; filename="a.bin"'}
        ),
        size=5000,
    )
    with pytest.raises(NetworkError, match="dropped"):
        backend_for(server).download_file(TASK, "f1", tmp_path)
    assert list(tmp_path.iterdir()) == []
    asked = [request for request, *_ in server.requests if request.url.path.endswith("/download")]
    assert len(asked) == DOWNLOAD_ATTEMPTS  # tried again (no ETag to resume by: each from the start)
    assert all("range" not in request.headers for request in asked)


def test_download_into_a_folder_uses_the_servers_sanitised_name(backend_for, tmp_path):
    disposition = "attachment; filename=\"x.txt\"; filename*=UTF-8''..%2F%C3%BCber.txt"
    server = downloads(lambda r: httpx.Response(200, content=b"hello", headers={"content-disposition": disposition}))
    seen: list[bytes] = []
    target = backend_for(server).download_file(TASK, "f1", tmp_path, on_chunk=seen.append)
    assert target == tmp_path / "über.txt"
    assert target.read_bytes() == b"hello" and b"".join(seen) == b"hello"
    assert server.requests[-1][0].url.path == "/api/v1/tasks/t1/files/f1/download"


def test_download_to_a_file_path_keeps_the_file_there_unless_told_to_replace_it(backend_for, tmp_path):
    from attache.backends.streams import replacing_existing

    dest = tmp_path / "mine.txt"
    dest.write_bytes(b"old content that is longer")
    backend = backend_for(downloads(lambda r: httpx.Response(200, content=b"new"), size=3))
    kept = backend.download_file(TASK, "f1", dest)
    assert kept == tmp_path / "mine (2).txt" and kept.read_bytes() == b"new"
    assert dest.read_bytes() == b"old content that is longer"
    with replacing_existing():
        target = backend.download_file(TASK, "f1", dest)
    assert target == dest and dest.read_bytes() == b"new"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["mine (2).txt", "mine.txt"]


def test_a_file_that_shrinks_while_being_sent_is_source_changed(tmp_path):
    import io

    from attache.backends.streams import read_chunks

    with pytest.raises(SourceChangedError):
        list(read_chunks(io.BytesIO(b"abc"), 10, None, tmp_path / "a.bin"))


def test_an_image_answered_with_html_is_a_protocol_error(backend_for):
    from attache.core.errors import ProtocolError

    page = httpx.Response(200, text="<html>Sign in</html>", headers={"content-type": "text/html"})
    with pytest.raises(ProtocolError, match="HTML page instead of awork's JSON API"):
        backend_for(Server(lambda r: page)).get_image(EntityRef(EntityKind.USER, "u1"))


def test_linking_a_vanished_upload_is_upload_expired_but_a_vanished_task_is_not_found(backend_for):
    def handler(request: httpx.Request) -> httpx.Response:
        if request.url.path.endswith("/byuploadid"):
            return error(404, "not-found", "The upload was not found.")
        if request.url.path == "/api/v1/tasks/t1":
            return httpx.Response(200, json={"id": "t1", "name": "Task"})
        return error(404, "not-found", "The task was not found.")

    backend = backend_for(Server(handler))
    with pytest.raises(UploadExpiredError):
        backend.finish_attach(TASK, {"upload_id": "u1"}, "a.txt")
    with pytest.raises(NotFoundError, match=r"^awork has no task t2$"):
        backend.finish_attach(EntityRef(EntityKind.TASK, "t2"), {"upload_id": "u1"}, "a.txt")


def test_validation_messages_are_shown_instead_of_the_generic_description():
    from attache.backends.errors import error_for_response

    body = {
        "code": "validation-failed",
        "description": "The model sent in the request is invalid.",
        "link": "x",
        "validationErrors": [{"property": "File", "message": "The file is not an image."}],
    }
    response = httpx.Response(400, json=body, request=httpx.Request("POST", BASE + "/files/images/users/u"))
    assert str(error_for_response(response, service="awork")) == "awork refused the request: The file is not an image."
