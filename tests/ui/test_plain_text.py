"""Server text is shown as it is, never as Qt rich text: a real window on the awork sandbox whose
project, task, company, user, file, workspace and account carry HTML in their names.

Every label that shows such text must be plain (or our own rich text with it escaped), every
tooltip must show it literally, the questions that quote it too, and no `<img src=…>` in a name may
make Qt load a file. A name with `<img src="/dev/zero">` would read until memory runs out; so that a
regression fails instead of exhausting the machine, the names point at a picture file of the test's
own, watched with inotify: Qt must never open it."""

from __future__ import annotations

import ctypes
import html
import os
import sys
import tempfile
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from PySide6.QtCore import QModelIndex, QPointF, Qt, QTimer
from PySide6.QtGui import Qt as GuiQt
from PySide6.QtGui import QTextDocument
from PySide6.QtWidgets import QAbstractItemView, QApplication, QFileDialog, QLabel, QMessageBox
from ui_helpers import drag_and_drop, png_bytes, put_picture

from attache.app.connections import token_connection
from attache.core.models import EntityKind

MARK = "BOLD"  # every hostile text has it
MARKUP = '<b>BOLD</b> <font size=7>RED</font> <a href="http://example.invalid/">link</a> <h1>H1</h1>'
PROBE = Path(tempfile.gettempdir()) / f"attache-plain-text-probe-{os.getpid()}.png"
MARKUP += f'<table><tr><td>cell</td></tr></table> <img src="{PROBE}">'
RAW = ("<b>", "<font", "<a href", "<h1>", "<table>", "<img")

PROJECT = f"{MARKUP} project"
TASK = f"{MARKUP} task"
COMPANY = f"{MARKUP} company"
USER = f"{MARKUP} user"
WORKSPACE = f"{MARKUP} workspace"
FILE = f"{MARKUP} file.txt"
ACCOUNT = f"{MARKUP} account"


def _rendered(rich: str) -> str:
    """What Qt shows for rich text (called only once no raw markup is in it: nothing to load)."""
    document = QTextDocument()
    document.setHtml(rich)
    return document.toPlainText()


def _check_literal_rich(text: str, where: str) -> None:
    assert not any(tag in text for tag in RAW), f"{where}: server markup in rich text: {text!r}"
    assert "<b>BOLD</b>" in _rendered(text), f"{where}: not shown literally: {text!r}"


def _check_tip(tip: str, where: str) -> None:
    if GuiQt.mightBeRichText(tip):  # Qt would show it as rich text: then it must be escaped
        _check_literal_rich(tip, where)


def check_widgets(seen: list[str] | None = None) -> None:
    """Every live widget: labels with server text plain (or escaped rich text), tooltips literal,
    item views' tooltips too. The texts of plain labels go into `seen`."""
    for widget in QApplication.allWidgets():
        where = f"{type(widget).__name__} {widget.objectName() or ''}".strip()
        if MARK in widget.toolTip():
            _check_tip(widget.toolTip(), f"tooltip of {where}")
        if isinstance(widget, QLabel) and MARK in widget.text():
            if widget.textFormat() is Qt.TextFormat.RichText:
                _check_literal_rich(widget.text(), where)
            else:
                assert widget.textFormat() is Qt.TextFormat.PlainText, f"{where} shows {widget.text()!r} as rich text"
                if seen is not None:
                    seen.append(widget.text())
        if isinstance(widget, QAbstractItemView) and widget.model() is not None:
            model = widget.model()
            try:
                columns = model.columnCount(QModelIndex())
            except TypeError:  # a list model, where Qt keeps columnCount private
                columns = 1
            for row in range(min(model.rowCount(QModelIndex()), 500)):
                for column in range(columns):
                    tip = model.index(row, column).data(Qt.ItemDataRole.ToolTipRole)
                    if isinstance(tip, str) and MARK in tip:
                        _check_tip(tip, f"tooltip of row {row} in {where}")


def answer_question(qtbot, click: Callable[[], None]) -> list[str]:
    """Click what asks a question, check the message box it opens, answer Cancel; returns its texts."""
    texts: list[str] = []
    failures: list[BaseException] = []

    def look() -> None:
        boxes = [w for w in QApplication.topLevelWidgets() if isinstance(w, QMessageBox) and w.isVisible()]
        if not boxes:
            return
        timer.stop()
        box = boxes[0]
        try:
            for label in box.findChildren(QLabel):
                if MARK in label.text():
                    assert label.textFormat() is Qt.TextFormat.PlainText, f"message box shows {label.text()!r}"
                    texts.append(label.text())
            check_widgets()
        except BaseException as error:
            failures.append(error)
        finally:
            box.reject()

    timer = QTimer()
    timer.setInterval(20)
    timer.timeout.connect(look)
    timer.start()
    click()
    timer.stop()
    if failures:
        raise failures[0]
    return texts


@pytest.fixture
def probe_opened() -> Iterator[Callable[[], bool]]:
    """The picture the names point at; the function tells whether anything opened it since."""
    if not sys.platform.startswith("linux"):
        pytest.skip("watches the picture file with inotify")
    PROBE.write_bytes(png_bytes((0, 0, 0), 4))
    libc = ctypes.CDLL(None, use_errno=True)
    fd = libc.inotify_init1(os.O_NONBLOCK)
    assert fd >= 0 and libc.inotify_add_watch(fd, str(PROBE).encode(), 0x20) >= 0  # IN_OPEN
    events: list[bytes] = []

    def opened() -> bool:
        try:
            events.append(os.read(fd, 4096))
        except BlockingIOError:
            pass
        return bool(events)

    yield opened
    os.close(fd)
    PROBE.unlink(missing_ok=True)


@pytest.fixture
def hostile(fresh_awork_sandbox, probe_opened):
    server = fresh_awork_sandbox
    store = server.store
    project_id, company_id = store.read_one(
        "SELECT id, company_id FROM projects WHERE company_id IS NOT NULL ORDER BY rowid LIMIT 1"
    )
    task_id = store.scalar("SELECT id FROM tasks WHERE project_id=? ORDER BY rowid LIMIT 1", (project_id,))
    user_id = store.scalar("SELECT id FROM users WHERE is_archived=0 ORDER BY rowid LIMIT 1")
    put_picture(server, "companies", company_id, (200, 30, 30))
    data = b"hello"
    with store.transaction() as db:
        store.touch(db, "projects", project_id, None, name=PROJECT)
        store.touch(db, "tasks", task_id, None, name=TASK)
        store.touch(db, "companies", company_id, None, name=COMPANY, industry=COMPANY)
        store.touch(db, "users", user_id, None, first_name=USER, position=USER)
        db.execute("UPDATE workspaces SET name=?", (WORKSPACE,))
        file_id = store.add_task_file(
            db,
            task_id,
            store.write_blob(data),
            name=FILE,
            file_name=FILE,
            description=None,
            mime_type="text/plain",
            size=len(data),
            width=None,
            height=None,
            user_id=user_id,
        )
    return (
        server,
        probe_opened,
        {"project": project_id, "task": task_id, "company": company_id, "user": user_id, "file": file_id},
    )


def _select(window, qtbot, kind: EntityKind, entity_id: str) -> None:
    if window.list_model.kind is not kind:
        window.show_kind(kind)
    qtbot.waitUntil(lambda: window.list_model.kind is kind and not window.list_model.loading, timeout=10_000)
    assert window.select_entity(entity_id)
    qtbot.waitUntil(lambda: window.detail.entity is not None and window.detail.entity.id == entity_id, timeout=5000)


def test_every_widget_shows_server_text_literally(hostile, make_window, qtbot, tmp_path: Path, monkeypatch):
    server, probe_opened, ids = hostile
    window = make_window()
    window.show()
    window.open_connection(token_connection("awork", server.base_url, server.token, label=ACCOUNT))
    qtbot.waitUntil(lambda: window.backend is not None and window.list_model.rowCount() > 0, timeout=15_000)
    seen: list[str] = []
    detail = window.detail

    # the workspace and the account, in the sidebar, the title and the status bar
    qtbot.waitUntil(lambda: WORKSPACE in window.browse.workspace_label.text(), timeout=5000)
    assert WORKSPACE in window.windowTitle()
    assert ACCOUNT in window.connection_label.text()
    check_widgets(seen)

    # a project: its name and its company in the detail pane, the row's tooltip
    _select(window, qtbot, EntityKind.PROJECT, ids["project"])
    assert detail.name_label.text() == PROJECT and COMPANY in detail.subtitle_label.text()
    check_widgets(seen)

    # its tasks: the scope chip names the project; a task, its file
    detail.tasks_button.click()
    qtbot.waitUntil(lambda: window.list_model.kind is EntityKind.TASK and not window.list_model.loading, timeout=10_000)
    assert PROJECT in window.browse.scope_chip.text()
    _select(window, qtbot, EntityKind.TASK, ids["task"])
    files = detail.files_model
    qtbot.waitUntil(lambda: not files.loading and files.rowCount() > 0, timeout=10_000)
    row = next(r for r in range(files.rowCount()) if files.file(r).id == ids["file"])
    detail.files_view.setCurrentIndex(files.index(row, 0))
    assert detail.name_label.text() == TASK
    check_widgets(seen)

    # deleting the file asks, quoting the file and the task
    asked = answer_question(qtbot, detail.delete_button.click)
    assert any(FILE in text and TASK in text for text in asked), asked

    # the file is gone from the server by the time it is downloaded: the message bar quotes its name
    server.store.delete_task_file(ids["task"], ids["file"], None)
    monkeypatch.setattr(QFileDialog, "getSaveFileName", lambda *a, **k: (str(tmp_path / "saved.txt"), ""))
    monkeypatch.setattr(QFileDialog, "getExistingDirectory", lambda *a, **k: str(tmp_path))
    detail.download_button.click()
    qtbot.waitUntil(lambda: FILE in window.message_bar.text(), timeout=15_000)
    check_widgets(seen)

    # a user
    _select(window, qtbot, EntityKind.USER, ids["user"])
    assert detail.name_label.text().startswith(USER) and detail.subtitle_label.text() == USER
    check_widgets(seen)

    # a company with a picture: removing it asks, quoting the company
    _select(window, qtbot, EntityKind.COMPANY, ids["company"])
    assert detail.name_label.text() == COMPANY and detail.remove_button.isEnabled()
    check_widgets(seen)
    asked = answer_question(qtbot, detail.remove_button.click)
    assert any(COMPANY in text for text in asked), asked

    # a picture dropped on it opens the crop dialog, titled with the company's name
    picture = tmp_path / "picture.png"
    picture.write_bytes(png_bytes((10, 120, 200), 96))
    slot = detail.slot
    assert drag_and_drop(slot, QPointF(slot.width() / 2, slot.height() / 2), [picture]) == (True, True)
    from attache.ui.crop_dialog import CropDialog

    def crop_dialog() -> CropDialog | None:
        return next((d for d in window.findChildren(CropDialog) if d.isVisible()), None)

    qtbot.waitUntil(lambda: crop_dialog() is not None, timeout=10_000)
    dialog = crop_dialog()
    assert dialog is not None and COMPANY in dialog.title.text()
    check_widgets(seen)
    dialog.reject()

    # every text was there literally, markup and all; painting it all loads nothing
    for text in (PROJECT, TASK, COMPANY, USER, WORKSPACE, ACCOUNT, FILE):
        assert any(text in shown for shown in seen), f"{text!r} was never shown"
    assert not window.grab().toImage().isNull()
    assert html.escape("<img") not in "".join(seen)  # shown as characters, not as entities
    assert not probe_opened(), "Qt loaded the picture a name's <img> points at"


@pytest.mark.parametrize(
    "text",
    ["<b>BOLD</b> name", "&lt;b&gt; BOLD", "<p>BOLD</p>\n  two  spaces", "<img src='x'>BOLD"],
)
def test_a_literal_tooltip_renders_as_the_text_itself(app, text: str) -> None:
    from attache.ui.plain import literal_tip

    tip = literal_tip(text)
    assert not any(tag in tip for tag in RAW)
    assert _rendered(tip) == text


def test_a_plain_tooltip_is_left_as_it_is(app) -> None:
    from attache.ui.plain import literal_tip

    assert literal_tip("Drop an image here\nor click") == "Drop an image here\nor click"
    assert literal_tip(None) == ""


def test_message_boxes_show_text_and_detail_as_plain_text(app) -> None:
    from attache.ui.plain import message_box

    box = message_box(QMessageBox.Icon.Question, "Title", "<b>BOLD</b>", None, detail="<i>BOLD</i>")
    labels = {label.text(): label.textFormat() for label in box.findChildren(QLabel) if label.text()}
    assert labels == {"<b>BOLD</b>": Qt.TextFormat.PlainText, "<i>BOLD</i>": Qt.TextFormat.PlainText}
    box.deleteLater()


@pytest.mark.parametrize("text", [MARKUP, 'Tom & Jerry\'s "<quoted>"', "&amp; already", "", 42])
def test_escape_gives_what_html_escape_gives_and_rich_text_shows_it_literally(text) -> None:
    from attache.ui.plain import escape

    escaped = escape(text)
    assert escaped == html.escape(str(text))
    document = QTextDocument()
    document.setHtml(escaped)
    assert document.toPlainText() == str(text)
