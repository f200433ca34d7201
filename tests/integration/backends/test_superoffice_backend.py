"""The SuperOffice backend against its sandbox over real HTTP: lists across pages, search,
pictures, documents on projects and tasks, and each failure a user can meet said specifically."""

from __future__ import annotations

import io
import json
import os
import signal
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
from PIL import Image

from attache.backends import superoffice as so
from attache.backends.base import attach_file
from attache.core.accounts import AccountRef
from attache.core.errors import (
    AttacheError,
    AuthenticationError,
    FileTemplateGoneError,
    InvalidInputError,
    NotFoundError,
    TooLargeError,
)
from attache.core.models import EntityKind, EntityRef
from attache.sandbox import SandboxServer
from attache.transfers import JobState, Journal, TransferEngine

SERVICE = "superoffice"
CRASH_WORKER = Path(__file__).parents[1] / "transfers" / "transfers_crash_worker.py"


@pytest.fixture(scope="module")
def server() -> Iterator[SandboxServer]:
    with SandboxServer(service=SERVICE) as running:
        yield running


def _open(server: SandboxServer, **options: str) -> so.SuperOfficeBackend:
    return so.open_backend(server.base_url, so.secret_from_token(server.token), account="acme", options=options)


@pytest.fixture
def backend(server: SandboxServer) -> Iterator[so.SuperOfficeBackend]:
    backend = _open(server)
    yield backend
    backend.close()


def _first(backend: so.SuperOfficeBackend, kind: EntityKind) -> EntityRef:
    return next(iter(backend.iter_pages(kind, page_size=1))).items[0].ref


def _demo_login(server: SandboxServer) -> str:
    return str(server.store.read("SELECT user_name FROM associates ORDER BY id LIMIT 1")[0]["user_name"])


# ---------------------------------------------------------------------- lists


def test_every_demo_person_is_listed_across_more_than_one_page(server: SandboxServer, backend) -> None:
    pages = list(backend.iter_pages(EntityKind.CONTACT_PERSON))  # 200 asked: the sandbox holds more
    ids = [entity.id for page in pages for entity in page.items]
    expected = {str(row["id"]) for row in server.store.read("SELECT id FROM persons")}
    assert len(pages) > 1 and len(ids) == len(set(ids)) and set(ids) == expected


def test_a_search_is_done_by_the_server_and_keeps_only_what_matches(server: SandboxServer, backend) -> None:
    last_name = str(server.store.read("SELECT last_name FROM persons ORDER BY id LIMIT 1")[0]["last_name"])
    found = [e for page in backend.iter_pages(EntityKind.CONTACT_PERSON, search=last_name.upper()) for e in page.items]
    expected = server.store.read(
        "SELECT id FROM persons WHERE lower(first_name || ' ' || last_name) LIKE ?", (f"%{last_name.lower()}%",)
    )
    assert found and {e.id for e in found} == {str(r["id"]) for r in expected}
    # A quote in the text is part of the search, not of the filter.
    assert [p.items for p in backend.iter_pages(EntityKind.PROJECT, search="nobody's project")] == [[]]


def test_tasks_are_checklist_appointments_and_belong_to_their_project(server: SandboxServer, backend) -> None:
    tasks = [e for page in backend.iter_pages(EntityKind.TASK) for e in page.items]
    expected = server.store.read("SELECT id FROM appointments WHERE record_type = 'inChecklist'")
    assert {t.id for t in tasks} == {str(r["id"]) for r in expected}
    project = next(t.parent_id(EntityKind.PROJECT) for t in tasks if t.parent_id(EntityKind.PROJECT))
    parent = EntityRef(EntityKind.PROJECT, str(project))
    of_project = [e for page in backend.iter_pages(EntityKind.TASK, parent=parent) for e in page.items]
    assert of_project and all(t.parent_id(EntityKind.PROJECT) == project for t in of_project)


# ---------------------------------------------------------------------- pictures


def _png(path: Path, colour: tuple[int, int, int]) -> Path:
    Image.new("RGB", (48, 48), colour).save(path)
    return path


@pytest.mark.parametrize("kind", [EntityKind.PROJECT, EntityKind.COMPANY, EntityKind.CONTACT_PERSON])
def test_a_picture_is_set_shown_and_removed(backend, tmp_path: Path, kind: EntityKind) -> None:
    ref = _first(backend, kind)
    blob_id = backend.put_image(ref, _png(tmp_path / "p.png", (10, 200, 30)))
    assert blob_id.isdigit()
    shown = backend.get_image(ref, width=24, height=24)
    assert shown is not None
    with Image.open(io.BytesIO(shown)) as image:
        middle = image.convert("RGB").getpixel((image.width // 2, image.height // 2))
    assert middle == pytest.approx((10, 200, 30), abs=12)
    assert backend.get_entity(ref).has_image
    backend.delete_image(ref)
    assert backend.get_image(ref) is None
    assert not backend.get_entity(ref).has_image


def test_a_user_shows_their_persons_picture(server: SandboxServer, backend, tmp_path: Path) -> None:
    user = next(iter(backend.iter_pages(EntityKind.USER, page_size=1))).items[0]
    person = EntityRef(EntityKind.CONTACT_PERSON, user.parent_id(EntityKind.CONTACT_PERSON) or "")
    backend.set_image(person, _png(tmp_path / "me.png", (250, 250, 0)))
    assert backend.get_image(user.ref) == backend.get_image(person)


def test_a_picture_superoffice_refuses_is_said_as_such(backend, tmp_path: Path) -> None:
    ref = _first(backend, EntityKind.PROJECT)
    webp = tmp_path / "logo.webp"
    Image.new("RGB", (8, 8)).save(webp, "WEBP")
    with pytest.raises(InvalidInputError, match="PNG, JPEG, GIF or TIFF"):
        backend.set_image(ref, webp)
    broken = tmp_path / "broken.png"
    broken.write_bytes(b"\x89PNG\r\n\x1a\n" + b"not really a picture" * 10)
    with pytest.raises(InvalidInputError, match=r"SuperOffice refused the picture broken\.png"):
        backend.set_image(ref, broken)


# ---------------------------------------------------------------------- documents


@pytest.mark.parametrize("kind", [EntityKind.PROJECT, EntityKind.TASK])
def test_a_file_attached_as_a_document_is_listed_and_downloaded_byte_for_byte(
    backend, tmp_path: Path, kind: EntityKind
) -> None:
    ref = _first(backend, kind)
    source = tmp_path / f"{kind.value} notes.bin"
    source.write_bytes(os.urandom(300_000))
    record = attach_file(backend, ref, source)
    assert record.size == source.stat().st_size
    assert record.id in {r.id for r in backend.list_files(ref)}
    saved = backend.download_file(ref, record.id, tmp_path / "out.bin")
    assert saved.read_bytes() == source.read_bytes()
    other = next(iter(backend.iter_pages(kind, page_size=2))).items[1].ref
    with pytest.raises(NotFoundError, match=f"has no document {record.id} on {other}"):
        backend.delete_file(other, record.id)  # a mistyped target deletes nothing
    backend.delete_file(ref, record.id)
    assert record.id not in {r.id for r in backend.list_files(ref)}


def test_the_name_superoffice_gives_the_file_is_the_one_kept(backend, tmp_path: Path) -> None:
    ref = _first(backend, EntityKind.COMPANY)
    source = tmp_path / "offer.txt"
    source.write_text("one")
    first = attach_file(backend, ref, source)
    second = attach_file(backend, ref, source)  # the same name again: the server amends it
    assert first.name == "offer.txt" and second.name != first.name and second.name.endswith(".txt")
    listed = {r.id: r.name for r in backend.list_files(ref)}
    assert listed[second.id] == second.name


def test_a_document_over_onlines_limit_is_refused_before_anything_is_sent(server, backend, tmp_path: Path) -> None:
    ref = _first(backend, EntityKind.PROJECT)
    big = tmp_path / "video.mp4"
    with open(big, "wb") as handle:
        handle.truncate(so.ONLINE_DOCUMENT_LIMIT + 1)  # sparse: costs no disk
    posts = sum(r.method == "POST" for r in server.requests)
    with pytest.raises(TooLargeError, match=r"94\.4 MB"):
        attach_file(backend, ref, big)
    assert sum(r.method == "POST" for r in server.requests) == posts


def test_a_deleted_project_is_named_when_a_file_is_attached(server: SandboxServer, backend, tmp_path: Path) -> None:
    project_id = int(server.store.read("SELECT max(id) AS id FROM projects")[0]["id"])
    with server.store.transaction() as db:  # deleted in SuperOffice meanwhile
        db.execute("DELETE FROM projects WHERE id = ?", (project_id,))
    source = tmp_path / "late.txt"
    source.write_text("too late")
    with pytest.raises(NotFoundError, match=f"SuperOffice has no project {project_id}"):
        attach_file(backend, EntityRef(EntityKind.PROJECT, str(project_id)), source)


def test_a_chosen_template_that_no_longer_exists_is_said_with_the_ones_there_are(
    server: SandboxServer, tmp_path: Path
) -> None:
    deleted = str(server.store.read("SELECT id FROM templates WHERE deleted = 1 LIMIT 1")[0]["id"])
    backend = _open(server, document_template=deleted)
    try:
        source = tmp_path / "a.txt"
        source.write_text("a")
        with pytest.raises(InvalidInputError, match=f"template {deleted} chosen for acme no longer exists") as raised:
            attach_file(backend, _first(backend, EntityKind.PROJECT), source)
        assert "or with --template ID (templates: 1 (Attachment), 2 (Letter)" in str(raised.value)
        assert isinstance(raised.value, FileTemplateGoneError) and raised.value.template == deleted
        assert ("2", "Letter") in [(t.id, t.name) for t in raised.value.templates]
        with pytest.raises(FileTemplateGoneError):  # the list says so too, with the ones there are
            backend.file_templates()
        backend.use_file_template("2")  # another: the next upload is filed under it
        assert [t.id for t in backend.file_templates() if t.in_use] == ["2"]
        record = attach_file(backend, _first(backend, EntityKind.PROJECT), source)
        assert server.store.read_one("SELECT template_id FROM documents WHERE id=?", (int(record.id),))[0] == 2
    finally:
        backend.close()


# ---------------------------------------------------------------------- sign-in and tenant


def test_onsite_user_and_password_are_checked_and_a_wrong_password_is_said(server: SandboxServer) -> None:
    login = _demo_login(server)
    secret = so.password_sign_in(server.base_url, user=login, password="demo-password")
    assert secret == {"type": "password", "user": login, "password": "demo-password"}
    backend = so.open_backend(server.base_url, secret, account="onsite")
    try:
        assert backend.workspace().name
    finally:
        backend.close()
    with pytest.raises(AuthenticationError, match=f"did not accept the user name “{login}”"):
        so.password_sign_in(server.base_url, user=login, password="wrong")


def test_a_tenant_this_server_does_not_serve_is_explained(server: SandboxServer) -> None:
    other = server.base_url.replace("/Cust", "/Cust9").replace("/cust", "/cust9")
    backend = so.open_backend(other, so.secret_from_token(server.token), account="acme")
    try:
        with pytest.raises(AttacheError, match=r"no longer serves tenant Cust912345 at .* \(421\)") as raised:
            backend.workspace()
        assert "does not know the tenant" in str(raised.value)
    finally:
        backend.close()


# ---------------------------------------------------------------------- a crash between the two steps


def test_a_crash_between_the_document_and_its_content_leaves_one_full_document(
    server: SandboxServer, tmp_path: Path
) -> None:
    backend = _open(server)
    try:
        ref = _first(backend, EntityKind.PROJECT)
    finally:
        backend.close()
    source = tmp_path / "crash-between.bin"
    source.write_bytes(os.urandom(200_000))
    journal_path = tmp_path / "journal.sqlite3"
    with Journal(journal_path) as journal:
        queueing = TransferEngine(journal, lambda account: pytest.fail("no backend needed to queue"))
        [job_id] = queueing.enqueue(AccountRef(SERVICE, "sandbox"), ref, [source])

    def run(crashpoint: str | None) -> subprocess.CompletedProcess[str]:
        env = {k: v for k, v in os.environ.items() if k != "ATTACHE_TEST_CRASHPOINT"}
        if crashpoint:
            env["ATTACHE_TEST_CRASHPOINT"] = crashpoint
        command = [sys.executable, str(CRASH_WORKER), str(journal_path), server.base_url, server.token, SERVICE]
        return subprocess.run(command, env=env, capture_output=True, text=True, timeout=120)

    killed = run("sending:1")  # the Document record exists, its content was cut off mid-way
    assert killed.returncode == -signal.SIGKILL, killed.stderr
    rows = server.store.read("SELECT id, blob FROM documents WHERE header = ?", (source.name,))
    assert len(rows) == 1 and rows[0]["blob"] is None
    finished = run(None)
    assert finished.returncode == 0 and set(json.loads(finished.stdout).values()) == {"done"}, finished.stderr
    with Journal(journal_path) as journal:
        job = journal.get(job_id)
    assert job is not None and job.state is JobState.DONE
    rows = server.store.read("SELECT id, blob FROM documents WHERE header = ?", (source.name,))
    assert [str(r["id"]) for r in rows] == [job.file_id] and rows[0]["blob"] is not None


def test_the_engine_keeps_the_name_superoffice_gave_the_document(server: SandboxServer, tmp_path: Path) -> None:
    backend = _open(server)
    try:
        ref = _first(backend, EntityKind.CONTACT_PERSON)
    finally:
        backend.close()
    source = tmp_path / "minutes.txt"  # queued twice at once: two uploads of one name
    source.write_text("taken name")
    with Journal(tmp_path / "journal.sqlite3") as journal:
        engine = TransferEngine(journal, lambda account: _open(server), poll_interval=0.1)
        with engine:
            ids = engine.enqueue(AccountRef(SERVICE, "sandbox"), ref, [source, source])
            assert engine.wait(ids, timeout=60)
        jobs = journal.jobs(ids=ids)
    assert [job.state for job in jobs] == [JobState.DONE, JobState.DONE]
    names = sorted(job.stored_name for job in jobs)  # two documents, the second renamed by SuperOffice
    assert len(set(names)) == 2 and all(n.startswith("minutes") and n.endswith(".txt") for n in names)
    assert len({job.file_id for job in jobs}) == 2
    stored = {str(r["id"]): r["name"] for r in server.store.read("SELECT id, name FROM documents")}
    assert sorted(stored[job.file_id or ""] for job in jobs) == names
