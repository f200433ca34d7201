"""Task files on a portal: upload into the project folder (whole or in 10 MiB parts), attach, reconcile
after a crash, list, download, detach; and CRM photos checked before they are sent."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
import pytest
from onlyoffice_fakes import (
    PORTAL,
    backend_for,
    chunk_answer,
    envelope,
    error_envelope,
    file_wrapper,
    multipart_file,
)

from attache.backends.base import attach_file
from attache.backends.onlyoffice import UPLOAD_CHUNK_SIZE, OnlyofficeBackend
from attache.core.errors import (
    InvalidInputError,
    NetworkError,
    ServerError,
    TooLargeError,
    UnsupportedError,
    UploadExpiredError,
)
from attache.core.models import EntityKind, EntityRef

TASK = EntityRef(EntityKind.TASK, "31")
MiB = 1024 * 1024
LOCATION = f"{PORTAL}/ChunkedUploader.ashx"


class Portal:
    """One project (folder 7) with task 31, a Documents folder and chunked sessions, as the notes describe."""

    def __init__(self) -> None:
        self.folder: list[dict[str, Any]] = []
        self.attached: list[int] = []
        self.sessions: dict[str, dict[str, Any]] = {}
        self.requests: list[httpx.Request] = []
        self.parts: list[int] = []  # sizes of the chunks received
        self.streamed: list[bool] = []  # whether each upload body came as a stream
        # chunk request number (1-based) → "drop-after" (stored, answer lost) | "refuse" | "expired"
        self.failures: dict[int, str] = {}
        self.chunk_requests = 0
        self.quota: dict[str, Any] | None = None
        self.next_id = 100
        self.sessions_made = 0

    def add_file(self, title: str, content: bytes, *, version: int = 1) -> dict[str, Any]:
        self.next_id += 1
        wrapper = file_wrapper(self.next_id, title, len(content), version=version)
        wrapper["_content"] = content
        self.folder.append(wrapper)
        return wrapper

    def public(self, wrapper: dict[str, Any]) -> dict[str, Any]:
        return {k: v for k, v in wrapper.items() if not k.startswith("_")}

    def __call__(self, request: httpx.Request) -> httpx.Response:
        self.requests.append(request)
        path, method = request.url.path, request.method
        if path == "/api/2.0/project/task/31" and method == "GET":
            return envelope({"id": 31, "title": "Report", "projectOwner": {"id": 12, "title": "Apollo"}})
        if path == "/api/2.0/project/12":
            return envelope({"id": 12, "title": "Apollo", "projectFolder": 7})
        if path == "/api/2.0/settings/quota":
            return envelope(self.quota) if self.quota else error_envelope(403, "Access denied")
        if path == "/api/2.0/files/7" and method == "GET":
            found = [self.public(f) for f in self.folder if request.url.params.get("filterValue", "") in f["title"]]
            return envelope({"files": found, "folders": [], "total": len(found), "count": len(found)})
        if path == "/api/2.0/files/7/upload" and method == "POST":
            self.streamed.append(request.extensions["streamed"])
            name, content = multipart_file(request)
            return envelope(self.public(self.add_file(name, content)), status=201)
        if path == "/api/2.0/files/7/upload/create_session":
            body = json.loads(request.content)
            self.sessions_made += 1
            session_id = f"s{self.sessions_made}"
            self.sessions[session_id] = {"name": body["fileName"], "total": body["fileSize"], "data": b""}
            return envelope({"success": True, "data": self.session_json(session_id)}, status=201)
        if path == "/ChunkedUploader.ashx":
            return self.chunk(request)
        if path == "/api/2.0/project/task/31/files" and method == "POST":
            self.attached.extend(json.loads(request.content)["files"])
            return envelope({"id": 31, "title": "Report"}, status=201)
        if path == "/api/2.0/project/task/31/files" and method == "GET":
            return envelope([self.public(f) for f in self.folder if f["id"] in self.attached])
        if path == "/api/2.0/project/task/31/files" and method == "DELETE":
            self.attached.remove(int(request.url.params["fileid"]))
            return envelope({"id": 31})
        if path.startswith("/api/2.0/files/file/"):
            file_id = int(path.rsplit("/", 1)[1])
            return envelope(next(self.public(f) for f in self.folder if f["id"] == file_id))
        if path == "/Products/Files/HttpHandlers/filehandler.ashx":
            assert request.headers["Authorization"] == "tok"
            wrapper = next(f for f in self.folder if str(f["id"]) == request.url.params["fileid"])
            return httpx.Response(200, content=wrapper["_content"], headers={"Content-Type": "text/plain"})
        raise AssertionError(f"unexpected {method} {request.url}")

    def session_json(self, session_id: str) -> dict[str, Any]:
        session = self.sessions[session_id]
        return {
            "id": session_id,
            "path": [7],
            "created": "2025-01-10T09:00:00.0000000+01:00",
            "expired": (datetime.now(UTC) + timedelta(minutes=20)).isoformat(),
            "location": f"{LOCATION}?uid={session_id}",
            "bytes_uploaded": len(session["data"]),
            "bytes_total": session["total"],
        }

    def chunk(self, request: httpx.Request) -> httpx.Response:
        session_id = request.url.params["uid"]
        if request.url.params.get("abort") == "true":
            self.sessions.pop(session_id, None)
            return chunk_answer(None)
        self.streamed.append(request.extensions["streamed"])
        _, content = multipart_file(request)
        self.chunk_requests += 1
        failure = self.failures.get(self.chunk_requests)
        if failure == "expired" or session_id not in self.sessions:
            return chunk_answer(
                None,
                success=False,
                message="Can't authorize given initiate session request or session with specified upload id"
                " already expired",
            )
        if failure == "refuse":
            return chunk_answer(None, success=False, message="The file exceeds the maximum size")
        session = self.sessions[session_id]
        session["data"] += content
        self.parts.append(len(content))
        if failure == "drop-after":
            raise httpx.ReadError("connection reset after the chunk was stored")
        if len(session["data"]) == session["total"]:
            wrapper = self.add_file(session["name"], session["data"])
            del self.sessions[session_id]
            return chunk_answer(
                {"id": wrapper["id"], "folderId": 7, "version": 1, "title": session["name"], "uploaded": True},
                status=201,
            )
        return chunk_answer(self.session_json(session_id))


@pytest.fixture
def portal() -> Portal:
    return Portal()


def backend(portal: Portal, **kwargs: Any) -> OnlyofficeBackend:
    return backend_for(portal, **kwargs)


def a_file(tmp_path: Path, size: int, name: str = "report.bin") -> Path:
    path = tmp_path / name
    path.write_bytes(bytes(i % 251 for i in range(size)))
    return path


def test_a_small_file_is_uploaded_into_the_project_folder_streamed_then_attached(
    portal: Portal, tmp_path: Path
) -> None:
    source = a_file(tmp_path, 300_000, "report.pdf")
    seen: list[int] = []
    with backend(portal) as oo:
        record = attach_file(oo, TASK, source, on_chunk=lambda chunk: seen.append(len(chunk)))
    assert record.name == "report.pdf" and record.size == 300_000
    assert portal.folder[0]["_content"] == source.read_bytes()
    assert portal.attached == [int(record.id)]
    assert portal.streamed == [True]  # read from disk as it went out, never one bytes object
    assert sum(seen) == 300_000


def test_a_large_file_goes_in_10_mib_parts_in_order_the_last_shorter(portal: Portal, tmp_path: Path) -> None:
    source = a_file(tmp_path, 2 * UPLOAD_CHUNK_SIZE + 12345)
    seen: list[int] = []
    with backend(portal, single_upload_limit=MiB) as oo:
        record = attach_file(oo, TASK, source, on_chunk=lambda chunk: seen.append(len(chunk)))
    assert portal.parts == [UPLOAD_CHUNK_SIZE, UPLOAD_CHUNK_SIZE, 12345]
    assert all(portal.streamed)
    assert portal.folder[0]["_content"] == source.read_bytes()
    assert portal.attached == [int(record.id)]
    assert sum(seen) == source.stat().st_size


def test_a_file_over_the_portals_limit_is_refused_before_sending(portal: Portal, tmp_path: Path) -> None:
    portal.quota = {"maxFileSize": 2 * MiB, "storageSize": 10**12}
    with backend(portal) as oo:
        assert "session_id" not in oo.begin_attach(TASK, "big.bin", 2 * MiB)
        with pytest.raises(TooLargeError, match=r"accepts files up to 2\.0 MB"):
            oo.begin_attach(TASK, "huge.bin", 3 * MiB)
    assert not any(r.method == "POST" for r in portal.requests)


class Journaling:
    """What the transfer engine passes as on_chunk: counts sent and held bytes, keeps the last
    state the backend asked to journal."""

    def __init__(self, state: dict[str, str]) -> None:
        self.state = state
        self.sent = self.held_bytes = 0

    def __call__(self, chunk: bytes) -> None:
        self.sent += len(chunk)

    def held(self, chunk: bytes) -> None:
        self.held_bytes += len(chunk)

    def save_state(self, state: dict[str, str]) -> None:
        self.state = state


def test_a_part_whose_answer_was_lost_and_is_sent_again_is_caught_by_the_portals_count(
    portal: Portal, tmp_path: Path
) -> None:
    source = a_file(tmp_path, 3 * UPLOAD_CHUNK_SIZE + 10)
    size = source.stat().st_size
    with backend(portal, single_upload_limit=MiB) as oo:
        journal = Journaling(oo.begin_attach(TASK, source.name, size))
        portal.failures = {2: "drop-after"}
        with pytest.raises(NetworkError):
            oo.send_content(journal.state, source, size, on_chunk=journal)
        assert journal.state["confirmed"] == str(UPLOAD_CHUNK_SIZE)  # part 2 arrived, its answer did not
        # Sending part 2 again: the portal counts it twice, so the session is given up, never committed.
        with pytest.raises(UploadExpiredError, match="the upload starts again"):
            oo.send_content(journal.state, source, size, on_chunk=journal)
    assert portal.folder == []


def test_a_session_with_two_equal_parts_left_after_a_lost_answer_is_replaced(portal: Portal, tmp_path: Path) -> None:
    source = a_file(tmp_path, 2 * UPLOAD_CHUNK_SIZE)
    size = source.stat().st_size
    with backend(portal, single_upload_limit=MiB) as oo:
        journal = Journaling(oo.begin_attach(TASK, source.name, size))
        portal.failures = {1: "drop-after"}
        with pytest.raises(NetworkError):
            oo.send_content(journal.state, source, size, on_chunk=journal)
        # Part 1 sent again would complete the file as part 2 (two copies of part 1): a new session.
        state = oo.send_content(journal.state, source, size, on_chunk=journal)
    assert state["session_id"] == "s2"
    assert portal.folder[0]["_content"] == source.read_bytes()
    assert "s1" not in portal.sessions  # the doubtful one was aborted


def test_a_refused_part_resumes_from_what_the_portal_confirmed(portal: Portal, tmp_path: Path) -> None:
    source = a_file(tmp_path, 2 * UPLOAD_CHUNK_SIZE + 10)
    size = source.stat().st_size
    with backend(portal, single_upload_limit=MiB) as oo:
        journal = Journaling(oo.begin_attach(TASK, source.name, size))
        portal.failures = {2: "refuse"}
        with pytest.raises(ServerError, match=r"refused part 2 of report\.bin: The file exceeds"):
            oo.send_content(journal.state, source, size, on_chunk=journal)
        journal.sent = 0
        state = oo.send_content(journal.state, source, size, on_chunk=journal)
    assert state["session_id"] == "s1"  # the same session, resumed
    assert portal.parts == [UPLOAD_CHUNK_SIZE, UPLOAD_CHUNK_SIZE, 10]
    assert portal.folder[0]["_content"] == source.read_bytes()
    # The confirmed part is read again (for the hash) as held, not sent.
    assert (journal.held_bytes, journal.sent) == (UPLOAD_CHUNK_SIZE, UPLOAD_CHUNK_SIZE + 10)


def test_a_journaled_session_past_its_expiry_is_replaced_before_sending(portal: Portal, tmp_path: Path) -> None:
    source = a_file(tmp_path, 2 * UPLOAD_CHUNK_SIZE + 10)
    size = source.stat().st_size
    with backend(portal, single_upload_limit=MiB) as oo:
        journal = Journaling(oo.begin_attach(TASK, source.name, size))
        portal.failures = {2: "refuse"}
        with pytest.raises(ServerError):
            oo.send_content(journal.state, source, size, on_chunk=journal)
        expired = {**journal.state, "session_expires": str(int(datetime.now(UTC).timestamp()) - 1)}
        state = oo.send_content(expired, source, size, on_chunk=journal)
    assert state["session_id"] == "s2"
    assert portal.folder[0]["_content"] == source.read_bytes()


def test_an_expired_session_starts_the_upload_again(portal: Portal, tmp_path: Path) -> None:
    source = a_file(tmp_path, UPLOAD_CHUNK_SIZE + 10)
    with backend(portal, single_upload_limit=MiB) as oo:
        state = oo.begin_attach(TASK, source.name, source.stat().st_size)
        portal.failures = {1: "expired"}
        with pytest.raises(UploadExpiredError, match="expired; the upload starts again"):
            oo.send_content(state, source, source.stat().st_size)


def test_after_a_crash_a_file_already_in_the_folder_is_not_uploaded_again(portal: Portal, tmp_path: Path) -> None:
    source = a_file(tmp_path, 5000, "notes.txt")
    portal.add_file("notes.txt", b"an older file of that name")  # there before: not ours
    with backend(portal) as oo:
        state = oo.begin_attach(TASK, "notes.txt", 5000)
    portal.add_file("notes.txt", source.read_bytes())  # the upload got there; its answer did not
    uploads = len(portal.streamed)
    seen: list[int] = []
    with backend(portal) as fresh:  # a new process
        state = fresh.send_content(state, source, 5000, on_chunk=lambda chunk: seen.append(len(chunk)))
        record = fresh.finish_attach(TASK, state, "notes.txt")
    assert len(portal.streamed) == uploads  # nothing sent
    assert sum(seen) == 5000
    assert record.id == str(portal.folder[-1]["id"]) and portal.attached == [portal.folder[-1]["id"]]


def test_a_new_version_of_a_same_named_file_counts_as_ours(portal: Portal, tmp_path: Path) -> None:
    old = portal.add_file("notes.txt", b"x" * 5000)
    with backend(portal) as oo:
        state = oo.begin_attach(TASK, "notes.txt", 5000)
        assert oo.find_uploaded(state, 5000) is None
        old["version"] = 2  # the portal updated the file of that name
        assert oo.find_uploaded(state, 5000) is not None


def test_find_attached_recognises_our_file_after_a_lost_answer(portal: Portal, tmp_path: Path) -> None:
    source = a_file(tmp_path, 5000)
    with backend(portal) as oo:
        state = oo.send_content(oo.begin_attach(TASK, source.name, 5000), source, 5000)
        assert oo.find_attached(TASK, state, source.name, 5000) is None  # not attached: link it
        oo.finish_attach(TASK, state, source.name)
        found = oo.find_attached(TASK, state, source.name, 5000)
    assert found is not None and found.id == state["file_id"]


def test_list_download_and_detach(portal: Portal, tmp_path: Path) -> None:
    content = b"hello, documents"
    wrapper = portal.add_file('a:b/"c".txt', content)
    portal.attached.append(wrapper["id"])
    with backend(portal) as oo:
        (record,) = oo.list_files(TASK)
        target = oo.download_file(TASK, record.id, tmp_path)
        oo.delete_file(TASK, record.id)
        assert oo.list_files(TASK) == []
    assert target.parent == tmp_path and target.read_bytes() == content
    assert "/" not in target.name and ":" not in target.name
    assert [p.name for p in tmp_path.iterdir()] == [target.name]  # no .part left behind
    assert portal.folder  # detached, still in Documents


# ---------------------------------------------------------------------- photos


def test_a_photo_over_5_mib_or_not_png_or_jpeg_is_refused_before_sending(portal: Portal, tmp_path: Path) -> None:
    company = EntityRef(EntityKind.COMPANY, "5")
    big = tmp_path / "big.png"
    big.write_bytes(b"\x89PNG\r\n\x1a\n" + b"0" * (5 * MiB))
    gif = tmp_path / "logo.gif"
    gif.write_bytes(b"GIF89a" + b"0" * 100)
    with backend(portal) as oo:
        with pytest.raises(TooLargeError, match="up to 5 MB"):
            oo.set_image(company, big)
        with pytest.raises(InvalidInputError, match="not a PNG or JPEG"):
            oo.set_image(company, gif)
        assert oo.image_rules(EntityKind.COMPANY).max_bytes == 5 * MiB
    assert portal.requests == []


def test_a_company_photo_is_put_as_multipart_and_removed(tmp_path: Path) -> None:
    seen: list[tuple[str, str, bytes]] = []

    def handler(request: httpx.Request) -> httpx.Response:
        body = multipart_file(request)[1] if request.method == "PUT" else b""
        seen.append((request.method, request.url.path, body))
        return envelope("/storage/crm/photos/5_200.png")

    logo = tmp_path / "logo.jpg"
    logo.write_bytes(b"\xff\xd8\xff\xe0" + b"1" * 1000)
    with backend_for(handler) as oo:
        oo.set_image(EntityRef(EntityKind.COMPANY, "5"), logo)
        oo.delete_image(EntityRef(EntityKind.CONTACT_PERSON, "6"))
    assert seen == [
        ("PUT", "/api/2.0/crm/contact/5/changephoto", logo.read_bytes()),
        ("DELETE", "/api/2.0/crm/contact/6/avatar", b""),
    ]


def test_a_user_photo_from_a_file_is_refused_with_the_tables_reason(portal: Portal, tmp_path: Path) -> None:
    photo = tmp_path / "me.png"
    photo.write_bytes(b"\x89PNG\r\n\x1a\n")
    with backend(portal) as oo:
        with pytest.raises(UnsupportedError, match="only from a web address"):
            oo.set_image(EntityRef(EntityKind.USER, "u-1"), photo)
        with pytest.raises(UnsupportedError):
            oo.set_image(EntityRef(EntityKind.PROJECT, "12"), photo)
    assert portal.requests == []


def test_user_photos_come_from_their_urls_in_the_nearest_size_and_none_for_the_default() -> None:
    fetched: list[httpx.Request] = []
    photos = {
        "u-1": {
            "original": "/storage/userPhotos/root/u-1_orig_1280-1280.png",
            "retina": "/storage/userPhotos/root/u-1_size_360-360.png",
            "max": "/storage/userPhotos/root/u-1_size_200-200.png",
            "big": "/storage/userPhotos/root/u-1_size_82-82.png",
            "medium": "/storage/userPhotos/root/u-1_size_48-48.png",
            "small": "/storage/userPhotos/root/u-1_size_32-32.png",
        },
        "u-2": {
            key: f"/skins/default/images/default_user_photo_size_{n}-{n}.png"
            for key, n in (("max", 200), ("big", 82), ("medium", 48), ("small", 32))
        },
    }

    def handler(request: httpx.Request) -> httpx.Response:
        if request.url.path.startswith("/storage/"):
            fetched.append(request)
            return httpx.Response(200, content=b"\x89PNG...", headers={"Content-Type": "image/png"})
        user = request.url.path.split("/")[4]
        return envelope(photos[user])

    with backend_for(handler) as oo:
        assert oo.get_image(EntityRef(EntityKind.USER, "u-1"), width=64, height=64) == b"\x89PNG..."
        assert oo.get_image(EntityRef(EntityKind.USER, "u-2"), width=64) is None
    (request,) = fetched
    assert request.url.path.endswith("_size_82-82.png")
    assert request.headers["Authorization"] == "tok"


def test_a_session_journaled_without_its_offset_is_replaced(portal: Portal, tmp_path: Path) -> None:
    """A journal from before offsets were kept: the portal may hold parts nobody counted."""
    source = a_file(tmp_path, 2 * UPLOAD_CHUNK_SIZE)
    size = source.stat().st_size
    with backend(portal, single_upload_limit=MiB) as oo:
        state = oo.begin_attach(TASK, source.name, size)
        old = {key: value for key, value in state.items() if key not in ("confirmed", "session_expires")}
        state = oo.send_content(old, source, size)
    assert state["session_id"] == "s2"
    assert portal.folder[0]["_content"] == source.read_bytes()
