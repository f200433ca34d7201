"""Every model passes qtmodeltester; the list pages lazily; the search filters."""

from __future__ import annotations

from pathlib import Path

import pytest
from PySide6.QtCore import QModelIndex

from attache.core.models import EntityKind, EntityRef
from attache.ui.models import EntityFilterModel, EntityListModel, FilesModel, KindsModel
from attache.ui.transfers import TransferQueue
from attache.ui.transfers_view import TransfersModel

from ui_fakes import FakeBackend


def test_kinds_model(qtmodeltester, app):
    model = KindsModel()
    model.set_kinds([EntityKind.PROJECT, EntityKind.TASK, EntityKind.USER])
    model.set_count(EntityKind.TASK, 1234)
    qtmodeltester.check(model)
    assert model.data(model.index(1, 0)) == "Tasks"


def test_entity_model_pages_lazily(qtmodeltester, app, synchronous):
    backend = FakeBackend(tasks=450)
    model = EntityListModel()
    model.PAGE_SIZE = 200
    model.set_source(backend, EntityKind.TASK)
    assert model.rowCount() == 0 and model.canFetchMore(QModelIndex())
    model.fetchMore(QModelIndex())
    assert model.rowCount() == 200
    assert model.total == 450
    qtmodeltester.check(model)  # fetches the rest through canFetchMore/fetchMore
    while model.canFetchMore(QModelIndex()):
        model.fetchMore(QModelIndex())
    assert model.rowCount() == 450
    assert not model.canFetchMore(QModelIndex())


def test_entity_model_async_does_not_block(qtbot, app):
    backend = FakeBackend(tasks=50)
    model = EntityListModel()
    model.set_source(backend, EntityKind.TASK)
    model.fetchMore(QModelIndex())
    assert model.loading
    qtbot.waitUntil(lambda: model.rowCount() == 50, timeout=5000)
    assert not model.loading


def test_filter_model_and_search(qtmodeltester, app, synchronous):
    backend = FakeBackend(tasks=30)
    model = EntityListModel()
    model.set_source(backend, EntityKind.TASK)
    model.fetchMore(QModelIndex())
    proxy = EntityFilterModel()
    proxy.setSourceModel(model)
    proxy.set_query("TASK number 17")
    assert [proxy.index(r, 0).data() for r in range(proxy.rowCount())] == ["Task number 17"]
    proxy.set_query("open")  # the subtitle counts too
    assert proxy.rowCount() == 30
    proxy.set_query("project 3 NUMBER 23")
    assert [proxy.index(r, 0).data() for r in range(proxy.rowCount())] == ["Task number 23"]
    proxy.set_query("")
    assert proxy.rowCount() == 30
    qtmodeltester.check(proxy)


def test_files_model(qtmodeltester, app, synchronous, tmp_path: Path):
    backend = FakeBackend()
    ref = EntityRef(EntityKind.TASK, "t1")
    from attache.backends.base import attach_file

    for name in ("a.txt", "b.pdf"):
        (tmp_path / name).write_bytes(b"x" * 1500)
        attach_file(backend, ref, tmp_path / name)
    model = FilesModel()
    model.set_target(backend, ref)
    assert model.rowCount() == 2
    from attache.core.sources import human_size

    assert model.index(0, 1).data() == human_size(1500)
    assert model.index(0, 2).data() == "Tester"
    qtmodeltester.check(model)


def test_transfers_model(qtmodeltester, app, synchronous, tmp_path: Path):
    backend = FakeBackend()
    queue = TransferQueue()
    model = TransfersModel(queue)
    paths = []
    for i in range(3):
        path = tmp_path / f"f{i}.bin"
        path.write_bytes(b"y" * 100_000)
        paths.append(path)
    queue.attach(backend, EntityRef(EntityKind.TASK, "t0"), "Task “Task number 0”", paths)
    assert model.rowCount() == 3
    model.tick()
    assert [model.index(r, TransfersModel.STATE).data() for r in range(3)] == ["Done"] * 3
    qtmodeltester.check(model)
    queue.clear_finished()
    assert model.rowCount() == 0


@pytest.mark.parametrize("name, expected", [("Ada Lovelace", "AL"), ("acme", "AC"), ("", "?"), ("Q3 review", "QR")])
def test_initials(name, expected):
    from attache.ui.avatars import initials

    assert initials(name) == expected
