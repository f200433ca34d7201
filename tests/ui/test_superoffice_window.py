"""The window on the built-in SuperOffice sandbox (`attache --sandbox --service superoffice`) over
real HTTP: its kinds with counts, files on tasks and companies as Document records, a project's
picture, and the document template new files are filed under (chosen, remembered, deleted)."""

from __future__ import annotations

from pathlib import Path

import pytest
from PySide6.QtCore import QPointF
from ui_helpers import accept_crop, drag_and_drop, png_bytes, row_centre

from attache.core.accounts import DOCUMENT_TEMPLATE_OPTION
from attache.core.models import EntityKind
from attache.transfers import JobState
from attache.ui import plain
from attache.ui.messagebar import ERROR


@pytest.fixture
def window(make_window, qtbot):
    window = make_window()
    window.show()
    window.open_sandbox("superoffice")
    qtbot.waitUntil(lambda: window.backend is not None and window.list_model.rowCount() > 0, timeout=30_000)
    return window


@pytest.fixture
def server(window):
    return window.connection.sandbox


def _show(window, qtbot, kind: EntityKind) -> None:
    window.show_kind(kind)
    qtbot.waitUntil(
        lambda: window.list_model.kind is kind and window.list_model.rowCount() > 0 and not window.list_model.loading,
        timeout=10_000,
    )


def _select(window, qtbot, kind: EntityKind, entity_id: str):
    _show(window, qtbot, kind)
    qtbot.waitUntil(lambda: window.list_model.row_of(entity_id) is not None, timeout=10_000)
    assert window.select_entity(entity_id)
    qtbot.waitUntil(lambda: window.detail.entity is not None and window.detail.entity.id == entity_id, timeout=5000)
    files = window.detail.files_model
    qtbot.waitUntil(lambda: not files.loading, timeout=10_000)
    return window.detail.entity


def _names(files) -> set[str]:
    return {files.file(r).name for r in range(files.rowCount())}


def _wait_done(window, qtbot, count: int) -> None:
    qtbot.waitUntil(
        lambda: len(window.queue.jobs()) == count and all(j.state == JobState.DONE for j in window.queue.jobs()),
        timeout=30_000,
    )


def _drop_on_files(window, path: Path) -> None:
    target = window.detail.files_view.viewport()
    assert drag_and_drop(target, QPointF(target.rect().center()), [path]) == (True, True)


def _document(server, where: str, params: tuple):
    return server.store.read_one(f"SELECT * FROM documents WHERE {where} ORDER BY id DESC LIMIT 1", params)


def _content(server, row) -> bytes:
    return server.store.blob_path(row["blob"]).read_bytes()


def _templates_listed(window, qtbot) -> None:
    button = window.detail.templates
    qtbot.waitUntil(lambda: button.isVisible() and bool(button.templates), timeout=10_000)


# ---------------------------------------------------------------------------- browsing


def test_the_tenant_opens_with_its_kinds_and_counts(window, qtbot):
    model = window.kinds_model
    names = [model.index(r, 0).data() for r in range(model.rowCount())]
    assert {"Projects", "Tasks", "Companies", "Contact persons", "Users"} <= set(names)
    backend = window.backend
    expected = {
        kind: sum(len(page.items) for page in backend.iter_pages(kind))
        for kind in (EntityKind.PROJECT, EntityKind.TASK, EntityKind.COMPANY, EntityKind.CONTACT_PERSON)
    }
    assert all(expected.values())
    for kind in expected:
        _show(window, qtbot, kind)
        if window.list_model.rowCount() < expected[kind]:  # no total from SuperOffice: more to come
            assert window.list_count.text() == f"{window.list_model.rowCount()}+ {kind.label.lower()}"

        def scrolled_to_the_end() -> bool:
            window.list_view.scrollToBottom()
            return window.list_model.exhausted and window.list_model.rowCount() == expected[kind]  # noqa: B023

        qtbot.waitUntil(scrolled_to_the_end, timeout=15_000)
        assert str(expected[kind]) in window.list_count.text()  # SuperOffice says no totals: counted as listed
        detail = window.detail
        window.select_entity(window.list_model.entity(0).id)
        qtbot.waitUntil(lambda: detail.entity is not None and detail.entity.kind is kind, timeout=5000)  # noqa: B023
        # every kind keeps files here, each filed under a template the pane names
        assert detail.files_section.isVisible() and detail.add_button.isEnabled()
        assert f"attach them to this {kind.singular}" in detail.files_view.empty_text
        _templates_listed(window, qtbot)
        assert detail.templates.text() == "Filed as: Attachment ▾"  # what Document/default proposes


# ---------------------------------------------------------------------------- files


def test_files_dropped_on_a_task_and_a_company_become_documents(window, qtbot, server, tmp_path):
    task_id = str(server.store.scalar("SELECT MIN(id) FROM appointments"))
    task = _select(window, qtbot, EntityKind.TASK, task_id)
    notes = tmp_path / "site notes.txt"
    notes.write_bytes(b"levels\n" * 3000)
    _drop_on_files(window, notes)
    _wait_done(window, qtbot, 1)
    row = _document(server, "appointment_id=?", (int(task.id),))
    assert row is not None and row["name"] == notes.name and _content(server, row) == notes.read_bytes()
    files = window.detail.files_model
    qtbot.waitUntil(lambda: notes.name in _names(files), timeout=10_000)

    # a company that has documents; a name another document has is amended by the server
    company_id = str(server.store.scalar("SELECT contact_id FROM documents WHERE person_id IS NULL LIMIT 1"))
    _select(window, qtbot, EntityKind.COMPANY, company_id)
    qtbot.waitUntil(lambda: files.rowCount() > 0, timeout=10_000)
    before = _names(files)

    def added_by_users() -> bool:  # the documents' associates, by their users' names
        names = {files.index(r, 2).data() for r in range(files.rowCount())}
        return all(name not in ("—", "") and not name.isdigit() for name in names)

    qtbot.waitUntil(added_by_users, timeout=10_000)
    taken = tmp_path / "company" / notes.name
    taken.parent.mkdir()
    taken.write_bytes(b"a second file of the same name\n" * 100)
    view = window.list_view  # on the company's row in the list this time
    row = window.filter_model.mapFromSource(window.list_model.index(window.list_model.row_of(company_id), 0)).row()
    assert drag_and_drop(view.viewport(), row_centre(view, row), [taken]) == (True, True)
    _wait_done(window, qtbot, 2)
    row = _document(server, "contact_id=? AND person_id IS NULL AND project_id IS NULL", (int(company_id),))
    assert row["name"] == "site notes (1).txt" and _content(server, row) == taken.read_bytes()
    qtbot.waitUntil(lambda: _names(files) == before | {"site notes (1).txt"}, timeout=10_000)
    assert window.detail.files_title.text() == f"Files ({len(before) + 1})"


def test_a_png_dropped_on_a_projects_picture_is_set_on_the_server(window, qtbot, server, tmp_path):
    project_id = str(server.store.scalar("SELECT MIN(id) FROM projects"))
    _select(window, qtbot, EntityKind.PROJECT, project_id)
    picture = tmp_path / "logo.png"
    picture.write_bytes(png_bytes((200, 40, 40), 96))
    slot = window.detail.slot
    assert drag_and_drop(slot, QPointF(slot.rect().center()), [picture]) == (True, True)
    accept_crop(window, qtbot)
    qtbot.waitUntil(lambda: server.store.image("project", int(project_id)) is not None, timeout=30_000)
    stored = server.store.image("project", int(project_id))
    assert stored["mime"] in ("image/png", "image/jpeg") and stored["size"] > 0
    qtbot.waitUntil(lambda: window.detail.entity.has_image, timeout=10_000)


# ---------------------------------------------------------------------------- the document template


def _choose(window, qtbot, name: str) -> None:
    """Open the “Filed as” menu and pick a template: two clicks."""
    button = window.detail.templates
    action = next(a for a in button.menu().actions() if a.text() == name)
    action.trigger()
    qtbot.waitUntil(lambda: button.text() == f"Filed as: {name} ▾", timeout=10_000)


def test_another_template_files_the_next_upload_under_it_and_is_remembered(window, qtbot, server, tmp_path):
    company_id = str(server.store.scalar("SELECT MIN(id) FROM contacts"))
    _select(window, qtbot, EntityKind.COMPANY, company_id)
    _templates_listed(window, qtbot)
    button = window.detail.templates
    menu = [a.text() for a in button.menu().actions() if a.text()]
    assert menu[:4] == ["Attachment", "Letter", "Offer", "Spreadsheet"]  # live ones only
    assert "Old offer (2019)" not in menu
    _choose(window, qtbot, "Offer")
    assert window.message_bar.text() == "New files are filed as “Offer”."
    assert window.connection.options[DOCUMENT_TEMPLATE_OPTION] == "3"  # the built-in sandbox's account, in memory

    quote = tmp_path / "quote.txt"
    quote.write_bytes(b"price\n" * 500)
    _drop_on_files(window, quote)
    _wait_done(window, qtbot, 1)
    row = _document(server, "name=?", (quote.name,))
    assert row["template_id"] == 3 and _content(server, row) == quote.read_bytes()

    # the built-in sandbox connection has no saved account; a saved one keeps the choice
    from attache.app.connections import saved_account_connection
    from attache.app.file_templates import choose_file_template
    from attache.core.accounts import Account, AccountStore

    store = AccountStore()
    store.add(Account("acme", "superoffice", server.base_url))
    connection = saved_account_connection(store.get("acme"))
    choose_file_template(connection, window.backend, None, "5")
    assert store.get("acme").options == {DOCUMENT_TEMPLATE_OPTION: "5"}
    assert connection.options == {DOCUMENT_TEMPLATE_OPTION: "5"}
    choose_file_template(connection, window.backend, None, "")
    assert store.get("acme").options == {}


def test_a_template_deleted_on_the_server_is_explained_where_the_files_are(window, qtbot, server, tmp_path):
    company_id = str(server.store.scalar("SELECT MIN(id) FROM contacts"))
    company = _select(window, qtbot, EntityKind.COMPANY, company_id)
    _templates_listed(window, qtbot)
    _choose(window, qtbot, "Spreadsheet")
    with server.store.transaction() as db:
        db.execute("UPDATE templates SET deleted=1 WHERE id=5")
    budget = tmp_path / "budget.csv"
    budget.write_text("a,b\n1,2\n")
    _drop_on_files(window, budget)
    qtbot.waitUntil(lambda: any(j.state == JobState.FAILED for j in window.queue.jobs()), timeout=30_000)
    assert _document(server, "name=?", (budget.name,)) is None
    button = window.detail.templates
    qtbot.waitUntil(lambda: button.text() == "Filed as: template 5 (deleted) ▾", timeout=10_000)
    qtbot.waitUntil(lambda: window.message_bar.level == ERROR, timeout=10_000)
    text = window.message_bar.text()
    assert "document template 5 chosen for sandbox no longer exists in SuperOffice" in text
    assert window.message_bar.context == company.ref
    assert "Spreadsheet" not in [a.text() for a in button.menu().actions()]
    _choose(window, qtbot, "Letter")  # choosing another files the next drop again
    _drop_on_files(window, budget)
    qtbot.waitUntil(lambda: _document(server, "name=?", (budget.name,)) is not None, timeout=30_000)
    assert _document(server, "name=?", (budget.name,))["template_id"] == 2


def test_a_projects_document_downloads_and_detaches_with_the_registrys_note(
    window, qtbot, server, tmp_path, monkeypatch
):
    stored = server.store.read_one("SELECT * FROM documents WHERE project_id IS NOT NULL ORDER BY id LIMIT 1")
    project = _select(window, qtbot, EntityKind.PROJECT, str(stored["project_id"]))
    detail, files = window.detail, window.detail.files_model
    qtbot.waitUntil(lambda: stored["name"] in _names(files), timeout=10_000)
    row = next(r for r in range(files.rowCount()) if files.file(r).name == stored["name"])
    detail.files_view.selectionModel().select(
        files.index(row, 0),
        detail.files_view.selectionModel().SelectionFlag.Rows
        | detail.files_view.selectionModel().SelectionFlag.ClearAndSelect,
    )
    assert detail.download_button.isEnabled() and detail.open_button.isEnabled()
    assert detail.delete_button.text() == "Detach" and detail.delete_button.isEnabled()

    dest = tmp_path / stored["name"]
    window.files.start_download(project, files.file(row), dest)
    _wait_done(window, qtbot, 1)
    assert dest.read_bytes() == _content(server, stored)

    asked: list[str] = []
    monkeypatch.setattr(plain, "question", lambda parent, title, text: asked.append(text) or True)
    detail.delete_button.click()
    assert asked and asked[0].endswith("The document is deleted from SuperOffice.")
    assert f"from “{project.name}”" in asked[0]
    qtbot.waitUntil(lambda: stored["name"] not in _names(files), timeout=10_000)
    assert server.store.document(stored["id"]) is None
    assert window.message_bar.text() == f"Detached “{stored['name']}”. The document is deleted from SuperOffice."
