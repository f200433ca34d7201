"""AworkBackend against the awork sandbox over loopback: real HTTP, real uploads, real errors."""

from __future__ import annotations

import hashlib
import io
import json
import socket

import pytest
from PIL import Image

from attache.backends.awork import AworkBackend
from attache.backends.base import Backend, attach_file
from attache.backends.http import default_retry
from attache.core.errors import (
    AuthenticationError,
    NetworkError,
    NotFoundError,
    TooLargeError,
    UnsupportedError,
    UploadExpiredError,
)
from attache.core.models import EntityKind, EntityRef
from attache.sandbox import FaultPlan

K = EntityKind
MISSING_ID = "00000000-0000-4000-8000-000000000000"


def no_wait(seconds: float) -> None:
    """Retries without the back-off pauses, to keep tests fast."""


def backend_for(sandbox, *, token: str | None = None, account: str = "Sandbox") -> AworkBackend:
    retry = default_retry(sleeper=no_wait)
    return AworkBackend(sandbox.base_url, token=token or sandbox.token, account=account, retry=retry)


@pytest.fixture(scope="module")
def shared(awork_sandbox):
    """A backend on the session's sandbox, for tests that only read."""
    with backend_for(awork_sandbox) as backend:
        yield backend


@pytest.fixture
def fresh(fresh_awork_sandbox):
    """A backend on a sandbox of its own, for tests that change data."""
    with backend_for(fresh_awork_sandbox) as backend:
        yield backend, fresh_awork_sandbox


def all_items(backend: AworkBackend, kind: EntityKind, **kwargs):
    return [entity for page in backend.iter_pages(kind, **kwargs) for entity in page.items]


def png_bytes(size=(320, 200), colour=(200, 40, 90)) -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", size, colour).save(buffer, "PNG")
    return buffer.getvalue()


def sha256(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


# ---------------------------------------------------------------------------- browsing


def test_the_backend_satisfies_the_protocol(shared):
    assert isinstance(shared, Backend)
    assert shared.service == "awork"


def test_lists_every_kind(shared):
    counts = {
        kind: len(all_items(shared, kind)) for kind in (K.PROJECT, K.COMPANY, K.USER, K.PROJECT_TEMPLATE, K.WORKSPACE)
    }
    assert counts[K.PROJECT] >= 12
    assert counts[K.COMPANY] >= 1 and counts[K.USER] >= 1 and counts[K.PROJECT_TEMPLATE] >= 1
    assert counts[K.WORKSPACE] == 1


def test_tasks_arrive_in_pages_without_gaps_or_repeats(shared):
    pages = list(shared.iter_pages(K.TASK, page_size=50))
    tasks = [task for page in pages for task in page.items]
    assert len(tasks) >= 150
    assert len(pages) >= 3 and pages[-1].is_last and not any(p.is_last for p in pages[:-1])
    assert len({task.id for task in tasks}) == len(tasks)
    assert pages[0].total == len(tasks)
    assert all(task.parent_id(K.PROJECT) for task in tasks)
    assert all(" · " in task.subtitle for task in tasks)  # "<project> · <status>"


def test_tasks_of_one_project(shared):
    project = next(p for p in all_items(shared, K.PROJECT))
    tasks = all_items(shared, K.TASK, parent=project.ref)
    assert tasks
    assert {task.parent_id(K.PROJECT) for task in tasks} == {project.id}
    assert all(task.subtitle.startswith(project.name) for task in tasks)


def test_entities_carry_subtitles_parents_and_versions(shared):
    projects = all_items(shared, K.PROJECT)
    assert any(p.parent_id(K.COMPANY) for p in projects)
    assert all(p.version for p in projects)
    assert any(p.subtitle for p in projects)
    assert any(u.subtitle for u in all_items(shared, K.USER))  # positions


def test_get_entity_matches_the_list(shared):
    for kind in (K.PROJECT, K.TASK, K.COMPANY, K.USER, K.PROJECT_TEMPLATE, K.WORKSPACE):
        listed = next(shared.iter_pages(kind)).items[0]
        fetched = shared.get_entity(listed.ref)
        assert (fetched.id, fetched.name, fetched.has_image) == (listed.id, listed.name, listed.has_image)


def test_contact_persons_have_no_list(shared):
    with pytest.raises(UnsupportedError):
        next(shared.iter_pages(K.CONTACT_PERSON))


def test_unknown_task_is_not_found(shared):
    with pytest.raises(NotFoundError, match=f"^awork has no task {MISSING_ID}$"):
        shared.list_files(EntityRef(K.TASK, MISSING_ID))
    with pytest.raises(NotFoundError, match=f"^awork has no task {MISSING_ID}$"):
        shared.get_entity(EntityRef(K.TASK, MISSING_ID))


# ---------------------------------------------------------------------------- failures


def test_wrong_token_is_an_authentication_error_naming_the_account(awork_sandbox):
    with (
        backend_for(awork_sandbox, token="not-the-token", account="Acme") as backend,
        pytest.raises(AuthenticationError) as caught,
    ):
        next(backend.iter_pages(K.PROJECT))
    assert str(caught.value) == "awork rejected the token for account 'Acme': sign in again"
    assert "not-the-token" not in str(caught.value) + caught.value.detail


def test_closed_port_is_a_network_error():
    with socket.socket() as probe:  # a port that was free a moment ago and has no listener now
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    url = f"http://127.0.0.1:{port}/api/v1"
    with (
        AworkBackend(url, token="t", retry=default_retry(sleeper=no_wait)) as backend,
        pytest.raises(NetworkError) as caught,
    ):
        next(backend.iter_pages(K.PROJECT))
    assert str(caught.value) == f"Could not connect to 127.0.0.1:{port}: connection refused"
    assert caught.value.transient


@pytest.mark.parametrize("kind", ["429", "503", "drop_before", "drop_after"])
def test_each_kind_of_fault_on_a_get_is_retried_away(make_awork_sandbox, kind):
    # The first three GETs fail this way; four retries are enough to get through.
    plan = FaultPlan(1.0, kinds=(kind,), retry_after=0.01, match=r"^GET ", max_faults=3)
    sandbox = make_awork_sandbox(faults=plan)
    with backend_for(sandbox) as backend:
        projects = all_items(backend, K.PROJECT)
    assert len(projects) >= 12
    assert [r.fault for r in sandbox.requests[:3]] == [kind] * 3


def test_a_mix_of_faults_still_lists_every_task(make_awork_sandbox):
    plan = FaultPlan(
        0.3, kinds=("429", "503", "drop", "slow"), retry_after=0.01, seed=7, match=r"^GET ", slow_range=(0.01, 0.05)
    )
    sandbox = make_awork_sandbox(faults=plan)
    with backend_for(sandbox) as backend:
        tasks = all_items(backend, K.TASK, page_size=10)
    assert len(tasks) >= 150 and len({t.id for t in tasks}) == len(tasks)
    assert any(r.fault for r in sandbox.requests)


# ---------------------------------------------------------------------------- images


def test_image_round_trip(fresh, tmp_path):
    backend, _sandbox = fresh
    user = next(u for u in all_items(backend, K.USER) if not u.has_image)
    assert backend.get_image(user.ref) is None

    source = tmp_path / "portrait.png"
    source.write_bytes(png_bytes((320, 200)))
    seen: list[bytes] = []
    backend.set_image(user.ref, source, on_chunk=seen.append)
    assert b"".join(seen) == source.read_bytes()

    updated = backend.get_entity(user.ref)
    assert updated.has_image and updated.version != user.version
    original = Image.open(io.BytesIO(backend.get_image(user.ref)))
    assert original.size == (320, 200)
    thumb = Image.open(io.BytesIO(backend.get_image(user.ref, width=64, height=64, crop=True)))
    assert thumb.size == (64, 64)
    assert max(Image.open(io.BytesIO(backend.get_image(user.ref, width=64))).size) <= 64

    backend.delete_image(user.ref)
    assert backend.get_image(user.ref) is None
    assert not backend.get_entity(user.ref).has_image
    backend.delete_image(user.ref)  # deleting again is fine


@pytest.mark.parametrize("kind", [K.PROJECT, K.COMPANY, K.PROJECT_TEMPLATE, K.WORKSPACE])
def test_every_image_kind_takes_an_image(fresh, tmp_path, kind):
    backend, _sandbox = fresh
    entity = next(backend.iter_pages(kind)).items[0]
    source = tmp_path / "logo.png"
    source.write_bytes(png_bytes((50, 50), (10, 120, 200)))
    backend.set_image(entity.ref, source)
    assert backend.get_entity(entity.ref).has_image
    assert Image.open(io.BytesIO(backend.get_image(entity.ref))).size == (50, 50)


def test_too_large_image_is_refused_before_a_byte_is_sent(fresh, tmp_path):
    backend, sandbox = fresh
    user = next(backend.iter_pages(K.USER)).items[0]
    big = tmp_path / "huge.png"
    with open(big, "wb") as f:
        f.truncate(101 * 1024 * 1024)  # sparse: no disk, no time
    sandbox.clear_requests()
    with pytest.raises(TooLargeError) as caught:
        backend.set_image(user.ref, big)
    assert str(caught.value) == "huge.png is 101.0 MB; awork accepts profile images up to 100 MB"
    assert [r for r in sandbox.requests if r.method == "POST"] == []


# ---------------------------------------------------------------------------- task files


def some_task(backend: AworkBackend):
    return next(backend.iter_pages(K.TASK)).items[0]


def test_attach_download_and_delete_a_file(fresh, tmp_path):
    backend, _sandbox = fresh
    task = some_task(backend)
    content = bytes(range(256)) * 12_000 + b"tail"  # ~3 MiB: several chunks
    source = tmp_path / "Quartalsbericht Ü.bin"
    source.write_bytes(content)

    seen: list[bytes] = []
    record = attach_file(backend, task.ref, source, on_chunk=seen.append)
    assert sum(len(chunk) for chunk in seen) == len(content)
    assert (record.name, record.size) == (source.name, len(content))

    listed = {f.id: f for f in backend.list_files(task.ref)}
    assert listed[record.id].size == len(content)

    downloads = tmp_path / "downloads"
    downloads.mkdir()
    received: list[bytes] = []
    target = backend.download_file(task.ref, record.id, downloads, on_chunk=received.append)
    assert target == downloads / source.name
    assert sha256(target.read_bytes()) == sha256(content)
    assert sum(len(c) for c in received) == len(content)
    assert [p.name for p in downloads.iterdir()] == [source.name]  # no .part left over

    backend.delete_file(task.ref, record.id)
    assert record.id not in {f.id for f in backend.list_files(task.ref)}
    with pytest.raises(NotFoundError):
        backend.delete_file(task.ref, record.id)


def test_upload_url_carries_no_awork_token_and_find_attached_recognises_the_link(fresh, tmp_path):
    backend, _sandbox = fresh
    task = some_task(backend)
    source = tmp_path / "notes.txt"
    source.write_bytes(b"meeting notes\n" * 100)
    size = source.stat().st_size

    # A same-named file that is already there must not be taken for ours.
    attach_file(backend, task.ref, source)

    state = backend.begin_attach(task.ref, source.name, size)
    assert len(json.loads(state["existing_file_ids"])) == 1
    state = backend.send_content(state, source, size)
    assert backend.find_attached(task.ref, state, source.name, size) is None  # not linked yet

    linked = backend.finish_attach(task.ref, state, source.name)
    # As after a crash between link and answer: the file is recognised, not linked twice.
    found = backend.find_attached(task.ref, state, source.name, size)
    assert found is not None and found.id == linked.id


def test_an_expired_upload_url_is_upload_expired(make_awork_sandbox, tmp_path):
    # Expired a minute before it is handed out: a SAS expiry is whole seconds, so a TTL of a few
    # milliseconds still held up to the next second (it failed about 1 run in 100).
    sandbox = make_awork_sandbox(upload_url_ttl=-60)
    source = tmp_path / "a.txt"
    source.write_bytes(b"hello")
    with backend_for(sandbox) as backend:
        task = some_task(backend)
        state = backend.begin_attach(task.ref, source.name, 5)
        with pytest.raises(UploadExpiredError) as caught:
            backend.send_content(state, source, 5)
    assert caught.value.transient and caught.value.status == 403
    signature = state["upload_url"].split("sig=")[1]
    assert signature not in str(caught.value) + caught.value.detail


def test_attach_through_azure_blob_storage(make_awork_sandbox, azurite, tmp_path):
    """The blob PUT against Azurite, Microsoft's emulator: real Azure rules for a SAS PUT."""
    sandbox = make_awork_sandbox(blob_backend=azurite.blobs(container="attache-backend-test"))
    content = b"\x00\x01binary\xff" * 200_000
    source = tmp_path / "archive.zip"
    source.write_bytes(content)
    with backend_for(sandbox) as backend:
        task = some_task(backend)
        record = attach_file(backend, task.ref, source)
        target = backend.download_file(task.ref, record.id, tmp_path / "copy.zip")
    assert sha256(target.read_bytes()) == sha256(content)


def test_files_on_an_unknown_task(fresh, tmp_path):
    backend, _sandbox = fresh
    with pytest.raises(NotFoundError, match="awork has no task"):
        backend.begin_attach(EntityRef(K.TASK, MISSING_ID), "a.txt", 1)
