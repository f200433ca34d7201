"""A file dropped again as a new version of the one there (awork keeps versions): uploaded, listed,
downloaded byte for byte, and made exactly once when the answer to the upload is lost."""

from __future__ import annotations

import pytest
from transfers_support import ACCOUNT, make_engine, open_backend, sha256_of, task_refs, write_files

from attache.backends.base import attach_file
from attache.core.capabilities import Capability
from attache.core.errors import UnsupportedError
from attache.core.models import EntityKind, EntityRef
from attache.core.services import service
from attache.sandbox import FaultPlan
from attache.transfers import JobState, Journal

VERSIONS_POST = r"^POST .*/files/[^/]+/versions$"


def test_a_new_version_is_listed_and_downloads_byte_for_byte(fresh_awork_sandbox, tmp_path):
    [task] = task_refs(fresh_awork_sandbox, 1)
    first, second = write_files(tmp_path / "src", [3_000, 5_000], prefix="report")
    backend = open_backend(fresh_awork_sandbox)
    try:
        before = len(backend.list_files(task))
        original = attach_file(backend, task, first, name="report.bin")
        replaced = attach_file(backend, task, second, name="report.bin", replacing=original.id)
        files = backend.list_files(task)
        saved = backend.download_file(task, original.id, tmp_path / "saved.bin")
    finally:
        backend.close()
    assert replaced.id == original.id
    assert len(files) == before + 1  # still one file on the task…
    [record] = [f for f in files if f.id == original.id]
    assert [v.number for v in record.versions] == [1, 2]  # …with two versions
    assert record.size == 5_000  # the latest one's
    assert sha256_of(saved) == sha256_of(second)


def test_a_lost_answer_to_the_version_upload_makes_exactly_one_version(make_awork_sandbox, tmp_path):
    server = make_awork_sandbox()
    [task] = task_refs(server, 1)
    first, second = write_files(tmp_path / "src", [2_000, 4_000], prefix="plan")
    backend = open_backend(server)
    try:
        original = attach_file(backend, task, first, name="plan.bin")
    finally:
        backend.close()
    # The server makes the version, then the connection drops before its answer arrives.
    server.set_faults(FaultPlan(1.0, kinds=("drop_after",), match=VERSIONS_POST, max_faults=1))
    with Journal(tmp_path / "journal.sqlite3") as journal:
        with make_engine(server, journal) as engine:
            [job_id] = engine.enqueue(ACCOUNT, task, [second], names=["plan.bin"], replaces=[original.id])
            assert engine.wait([job_id], timeout=30)
        job = journal.get(job_id)
    assert job.state is JobState.DONE, job.last_error
    assert (job.file_id, job.replaces, job.sha256) == (original.id, original.id, sha256_of(second))
    assert sum(1 for r in server.requests if r.fault == "drop_after") == 1
    assert server.store.scalar("SELECT COUNT(*) FROM file_versions WHERE file_id = ?", (original.id,)) == 2
    assert server.store.scalar("SELECT COUNT(*) FROM files WHERE task_id = ? AND name = 'plan.bin'", (task.id,)) == 1


@pytest.mark.parametrize("service_id", ["onlyoffice", "superoffice"])
def test_services_without_versions_refuse_a_new_version_with_the_tables_sentence(service_id):
    entry = service(service_id)
    connector = entry.connector()
    backend = connector.open_backend("http://127.0.0.1:9", connector.secret_from_token("t"), account="x")
    task = EntityRef(EntityKind.TASK, "1")
    try:
        with pytest.raises(UnsupportedError) as refused:
            backend.begin_attach(task, "a.txt", 3, replacing="7")
    finally:
        backend.close()
    assert Capability.FILE_VERSIONS not in entry.capabilities(EntityKind.TASK)
    assert str(refused.value) == entry.capabilities.why_not(EntityKind.TASK, Capability.FILE_VERSIONS)
