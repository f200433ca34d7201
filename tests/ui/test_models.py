"""Every model passes qtmodeltester; the list pages lazily; the search filters — on the awork
sandbox over real HTTP."""

from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import QModelIndex
from ui_helpers import store_count, stored_files, task_without_files

from attache.core.models import EntityKind, EntityRef
from attache.ui.models import EntityFilterModel, EntityListModel, FilesModel, KindsModel
from attache.ui.transfers_view import TransfersModel

TASK_LIST = "/api/v1/me/allavailabletasks"


def test_kinds_model(qtmodeltester, app):
    model = KindsModel()
    model.set_kinds([EntityKind.PROJECT, EntityKind.TASK, EntityKind.USER])
    model.set_count(EntityKind.TASK, 1234)
    qtmodeltester.check(model)
    assert model.data(model.index(1, 0)) == "Tasks"


def test_entity_model_pages_lazily(qtmodeltester, app, synchronous, make_awork_sandbox, make_backend):
    server = make_awork_sandbox(scale=450)
    model = EntityListModel()
    model.PAGE_SIZE = 200
    model.set_source(make_backend(server), EntityKind.TASK)
    assert model.rowCount() == 0 and model.canFetchMore(QModelIndex())
    assert [r for r in server.requests if r.path == TASK_LIST] == []  # nothing asked before the view wants rows
    model.fetchMore(QModelIndex())
    assert model.rowCount() == 200
    assert model.total == 450
    qtmodeltester.check(model)  # fetches the rest through canFetchMore/fetchMore
    while model.canFetchMore(QModelIndex()):
        model.fetchMore(QModelIndex())
    assert model.rowCount() == 450
    assert not model.canFetchMore(QModelIndex())
    pages = [r.query for r in server.requests if r.path == TASK_LIST]
    assert pages == [f"page={n}&pageSize=200" for n in (1, 2, 3)]  # one request per page, each once
    ids = [row["id"] for row in server.store.read("SELECT id FROM tasks ORDER BY rowid")]
    assert [e.id for e in model.entities()] == ids


def test_entity_model_async_does_not_block(qtbot, app, awork_sandbox, make_backend):
    model = EntityListModel()
    model.set_source(make_backend(awork_sandbox), EntityKind.TASK)
    model.fetchMore(QModelIndex())
    assert model.loading and model.rowCount() == 0
    tasks = store_count(awork_sandbox, "tasks")
    qtbot.waitUntil(lambda: model.rowCount() == tasks, timeout=5000)
    assert not model.loading


def _matching(server, query: str) -> list[str]:
    """Task names whose "name subtitle" (project · status) holds every word of `query`, in any case."""
    words = query.split()
    haystack = "(t.name || ' ' || COALESCE(p.name, '') || ' · ' || s.name)"
    where = " AND ".join(f"{haystack} LIKE ?" for _ in words)
    return [
        row["name"]
        for row in server.store.read(
            "SELECT t.name FROM tasks t LEFT JOIN projects p ON p.id = t.project_id "
            f"JOIN task_statuses s ON s.id = t.status_id WHERE {where} ORDER BY t.rowid",
            [f"%{word}%" for word in words],
        )
    ]


def test_filter_model_and_search(qtmodeltester, app, synchronous, awork_sandbox, make_backend):
    server = awork_sandbox
    model = EntityListModel()
    model.set_source(make_backend(server), EntityKind.TASK)
    model.fetchMore(QModelIndex())
    tasks = store_count(server, "tasks")
    assert model.rowCount() == tasks
    proxy = EntityFilterModel()
    proxy.setSourceModel(model)

    def shown() -> list[str]:
        return [proxy.index(r, 0).data() for r in range(proxy.rowCount())]

    # one task by its name, in another case
    name = next(
        row["name"]
        for row in server.store.read("SELECT name FROM tasks ORDER BY rowid")
        if _matching(server, row["name"]) == [row["name"]]
    )
    proxy.set_query(name.upper())
    assert shown() == [name]
    # the subtitle counts too: a project's name finds its tasks
    project_id, project = server.store.read_one("SELECT id, name FROM projects ORDER BY rowid LIMIT 1")
    proxy.set_query(project.lower())
    assert len(shown()) == store_count(server, "tasks", "project_id = ?", (project_id,)) > 0
    # every word, each in the name or the subtitle
    word = model.entities()[0].name.split()[0]  # the first task's first word, its action
    query = f"{project.split()[-1]} {word.upper()}"
    proxy.set_query(query)
    assert shown() == _matching(server, query) and 0 < len(shown()) < tasks
    assert all(word.casefold() in f"{e}".casefold() for e in shown())
    proxy.set_query("")
    assert proxy.rowCount() == tasks
    qtmodeltester.check(proxy)


def test_a_filtered_row_paints_its_own_entity_drop_hint_and_uploads(app, synchronous, awork_sandbox, make_backend):
    """The list's delegate takes a row's entity, drop hint and upload count in one call
    (`row_paint`): through the filter, each shown row gives its own, as its roles say."""
    from attache.ui.models import DropHintRole, EntityRole, UploadsRole

    model = EntityListModel()
    model.set_source(make_backend(awork_sandbox), EntityKind.TASK)
    model.fetchMore(QModelIndex())
    proxy = EntityFilterModel()
    proxy.setSourceModel(model)
    proxy.set_query(model.entities()[3].name.split()[-1])  # some tasks, not from row 0 on
    assert 0 < proxy.rowCount() < model.rowCount()
    hovered = proxy.rowCount() - 1
    hovered_entity = proxy.index(hovered, 0).data(EntityRole)
    model.set_drop_target(model.row_of(hovered_entity.id), "Attach 2 files", True)
    model.set_uploads({hovered_entity.id: 2})
    for row in range(proxy.rowCount()):
        index = proxy.index(row, 0)
        expected = (index.data(EntityRole), index.data(DropHintRole), index.data(UploadsRole))
        assert proxy.row_paint(row) == expected
    assert proxy.row_paint(hovered) == (hovered_entity, ("Attach 2 files", True), 2)
    assert proxy.row_paint(proxy.rowCount()) is None
    assert proxy.flags(proxy.index(0, 0)) == model.flags(model.index(0, 0))


def test_files_model(qtmodeltester, app, synchronous, fresh_awork_sandbox, make_backend, tmp_path: Path):
    from attache.backends.base import attach_file
    from attache.core.sources import human_size

    server = fresh_awork_sandbox
    backend = make_backend(server)
    ref = EntityRef(EntityKind.TASK, task_without_files(server))
    for name in ("a.txt", "b.pdf"):
        (tmp_path / name).write_bytes(b"x" * 1500)
        attach_file(backend, ref, tmp_path / name)
    assert stored_files(server, ref.id) == {"a.txt": b"x" * 1500, "b.pdf": b"x" * 1500}
    model = FilesModel()
    model.set_target(backend, ref)
    assert model.rowCount() == 2
    assert {model.file(r).name for r in range(2)} == {"a.txt", "b.pdf"}
    assert model.index(0, 1).data() == human_size(1500)
    people = {user.id: user.name for page in backend.iter_pages(EntityKind.USER) for user in page.items}
    model.set_people(people)
    me = server.store.read_one("SELECT first_name || ' ' || last_name AS name FROM users WHERE id=?", (server.me_id,))[
        "name"
    ]
    assert model.index(0, 2).data() == me  # the token's owner added them
    qtmodeltester.check(model)


def test_transfers_model(qtmodeltester, app, qtbot, fresh_awork_sandbox, make_backend, make_queue, tmp_path: Path):
    server = fresh_awork_sandbox
    task_id = task_without_files(server)
    queue = make_queue(make_backend(server))
    model = TransfersModel(queue)
    paths = []
    for i in range(3):
        path = tmp_path / f"f{i}.bin"
        path.write_bytes(b"y" * 100_000)
        paths.append(path)
    queue.attach(EntityRef(EntityKind.TASK, task_id), "Task “First”", paths)
    qtbot.waitUntil(lambda: model.rowCount() == 3 and all(j.finished_state for j in queue.jobs()), timeout=10_000)
    model.tick()
    assert [model.index(r, TransfersModel.STATE).data() for r in range(3)] == ["Done"] * 3
    assert stored_files(server, task_id) == {path.name: b"y" * 100_000 for path in paths}
    qtmodeltester.check(model)
    queue.clear_finished()
    assert model.rowCount() == 0
