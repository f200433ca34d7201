"""The window on an in-memory backend: browse, search, drops, pastes, errors, settings."""

from __future__ import annotations

from pathlib import Path

import pytest
from PySide6.QtCore import QMimeData, QPointF, QUrl
from PySide6.QtGui import QGuiApplication
from ui_fakes import FakeBackend, png_bytes
from ui_helpers import accept_crop, drag_and_drop, drag_enter, drag_leave, file_mime, row_centre

from attache.core.errors import ServerError
from attache.core.models import EntityKind, EntityRef
from attache.ui.messagebar import ERROR


@pytest.fixture
def backend():
    return FakeBackend(tasks=40, projects=4, users=4)


@pytest.fixture
def window(make_window, backend, qtbot):
    window = make_window()
    window.show()
    window.set_backend(backend, workspace=backend.workspace())
    qtbot.waitUntil(lambda: window.list_model.rowCount() == 4, timeout=5000)
    return window


def _choose(window, qtbot, kind: EntityKind, rows: int) -> None:
    window.show_kind(kind)
    qtbot.waitUntil(lambda: window.list_model.rowCount() == rows, timeout=5000)


def _select(window, qtbot, entity_id: str) -> None:
    assert window.select_entity(entity_id)
    qtbot.waitUntil(lambda: window.detail.entity is not None and window.detail.entity.id == entity_id, timeout=2000)


def test_sidebar_lists_kinds_with_counts(window, qtbot):
    model = window.kinds_model
    labels = [model.index(r, 0).data() for r in range(model.rowCount())]
    assert labels == ["Projects", "Tasks", "Companies", "Users", "Project templates", "Workspace"]
    qtbot.waitUntil(lambda: model.count(EntityKind.TASK) == 40, timeout=5000)
    assert model.count(EntityKind.USER) == 4
    assert window.windowTitle() == "Fake Workspace — Attaché"


def test_search_filters_as_you_type(window, qtbot):
    _choose(window, qtbot, EntityKind.TASK, 40)
    qtbot.keyClicks(window.search, "number 3")
    visible = {window.filter_model.index(r, 0).data() for r in range(window.filter_model.rowCount())}
    assert "Task number 3" in visible and "Task number 33" in visible
    assert "Task number 4" not in visible
    assert "match" in window.list_count.text()
    window.search.clear()
    assert window.filter_model.rowCount() == 40


def test_tasks_of_a_project(window, qtbot):
    project = window.list_model.entity(1)
    window.show_kind(EntityKind.TASK, project)
    qtbot.waitUntil(lambda: window.list_model.rowCount() == 10, timeout=5000)
    assert all(e.parent_id(EntityKind.PROJECT) == project.id for e in window.list_model.entities())
    assert window.scope_row.isVisibleTo(window) and project.name in window.scope_chip.text()
    window.scope_clear.click()
    qtbot.waitUntil(lambda: window.list_model.rowCount() == 40, timeout=5000)


def test_three_files_dropped_on_a_task_row_are_uploaded(window, qtbot, backend, tmp_path: Path):
    _choose(window, qtbot, EntityKind.TASK, 40)
    paths = []
    for i in range(3):
        path = tmp_path / f"report-{i}.txt"
        path.write_bytes(b"hello " * (i + 1))
        paths.append(path)
    view = window.list_view
    accepted_enter, accepted_drop = drag_and_drop(view.viewport(), row_centre(view, 2), paths)
    assert accepted_enter and accepted_drop
    ref = EntityRef(EntityKind.TASK, "t2")
    qtbot.waitUntil(lambda: len(backend.files.get(ref, [])) == 3, timeout=5000)
    assert len(window.queue.jobs()) == 3
    _select(window, qtbot, "t2")
    qtbot.waitUntil(lambda: window.detail.files_model.rowCount() == 3, timeout=5000)
    names = {window.detail.files_model.file(r).name for r in range(3)}
    assert names == {"report-0.txt", "report-1.txt", "report-2.txt"}


def test_hovering_a_row_says_what_will_happen(window, qtbot, tmp_path: Path):
    _choose(window, qtbot, EntityKind.TASK, 40)
    a, b = tmp_path / "a.txt", tmp_path / "b.txt"
    a.write_text("a")
    b.write_text("b")
    mime = file_mime([a, b])
    view = window.list_view
    event = drag_enter(view.viewport(), row_centre(view, 0), mime)
    assert event.isAccepted()
    assert window.list_model.drop_row == 0
    assert window.list_model.drop_hint == "Attach 2 files to “Task number 0”"
    assert window.status.currentMessage() == "Attach 2 files to “Task number 0”"
    drag_leave(view.viewport())
    assert window.list_model.drop_row == -1


def test_a_folder_is_refused_with_a_message(window, qtbot, tmp_path: Path):
    _choose(window, qtbot, EntityKind.TASK, 40)
    folder = tmp_path / "photos"
    folder.mkdir()
    view = window.list_view
    drag_and_drop(view.viewport(), row_centre(view, 0), [folder])
    assert window.message_bar.level == ERROR
    assert window.message_bar.text() == f"{folder} is a folder; choose the files inside it instead"
    assert window.queue.jobs() == []


def test_a_non_image_on_the_image_slot_is_refused(window, qtbot, tmp_path: Path):
    _choose(window, qtbot, EntityKind.USER, 4)
    _select(window, qtbot, "u1")
    text = tmp_path / "notes.png"  # the name says PNG; the content does not
    text.write_text("not a picture")
    slot = window.detail.slot
    accepted_enter, _ = drag_and_drop(slot, QPointF(slot.rect().center()), [text])
    assert accepted_enter  # accepted, so the drop arrives and the refusal is explained
    assert window.message_bar.text() == "notes.png is not an image; drop a PNG, JPEG or GIF file here"
    assert window.queue.jobs() == []


def test_an_image_over_the_limit_is_refused(window, qtbot, tmp_path: Path):
    _choose(window, qtbot, EntityKind.USER, 4)
    _select(window, qtbot, "u1")
    big = tmp_path / "huge.png"
    big.write_bytes(png_bytes((1, 2, 3)) + b"\0" * 1_200_000)
    slot = window.detail.slot
    drag_and_drop(slot, QPointF(slot.rect().center()), [big])
    assert window.message_bar.text() == "huge.png is 1.1 MB; awork accepts profile images up to 1 MB"


def test_several_images_on_one_slot_are_refused(window, qtbot, tmp_path: Path):
    _choose(window, qtbot, EntityKind.USER, 4)
    _select(window, qtbot, "u1")
    paths = []
    for i in range(2):
        path = tmp_path / f"p{i}.png"
        path.write_bytes(png_bytes((i, i, i)))
        paths.append(path)
    slot = window.detail.slot
    drag_and_drop(slot, QPointF(slot.rect().center()), paths)
    assert window.message_bar.text() == "Drop one image at a time on “Grace Hopper”; you dropped 2 items"


def test_tasks_cannot_take_a_picture(window, qtbot):
    _choose(window, qtbot, EntityKind.TASK, 40)
    _select(window, qtbot, "t0")
    detail = window.detail
    assert not detail.choose_button.isEnabled()
    assert detail.choose_button.toolTip() == "awork cannot give a task a picture"
    assert not detail.slot.editable


def _centre_colour(slot):
    image = slot.grab().toImage()
    return image.pixelColor(image.width() // 2, image.height() // 2)


def test_an_image_dropped_on_a_user_changes_the_picture(window, qtbot, backend, tmp_path: Path):
    _choose(window, qtbot, EntityKind.USER, 4)
    _select(window, qtbot, "u0")
    slot = window.detail.slot
    qtbot.waitUntil(lambda: slot.current_image() is not None, timeout=5000)
    before = _centre_colour(slot)
    assert (before.red(), before.green(), before.blue()) == (0, 128, 0)
    image = tmp_path / "red.png"
    image.write_bytes(png_bytes((220, 20, 20), 256))
    drag_and_drop(slot, QPointF(slot.rect().center()), [image])
    accept_crop(window, qtbot)

    def red_now():
        colour = _centre_colour(slot)
        return colour.red() > 200 and colour.green() < 40

    qtbot.waitUntil(red_now, timeout=5000)
    uploaded = backend.images[EntityRef(EntityKind.USER, "u0")]
    assert uploaded[:3] == b"\xff\xd8\xff"  # the crop, as a JPEG of the square
    from PIL import Image
    import io

    with Image.open(io.BytesIO(uploaded)) as picture:
        assert picture.size == (256, 256)


def test_a_server_error_shows_in_the_message_bar(make_window, qtbot):
    backend = FakeBackend(fail_lists=ServerError("awork refused the request: the workspace is locked (423)"))
    window = make_window()
    window.show()
    window.set_backend(backend, workspace=backend.workspace())
    qtbot.waitUntil(lambda: window.message_bar.isVisible(), timeout=5000)
    assert window.message_bar.level == ERROR
    assert window.message_bar.text() == "awork refused the request: the workspace is locked (423)"
    assert window.list_count.text() == "Could not load"


def test_an_unexpected_exception_is_not_a_traceback(make_window, qtbot):
    backend = FakeBackend(fail_lists=KeyError("projectId"))
    window = make_window()
    window.show()
    window.set_backend(backend, workspace=backend.workspace())
    qtbot.waitUntil(lambda: window.message_bar.isVisible(), timeout=5000)
    text = window.message_bar.text()
    assert text.startswith("Something went wrong (KeyError") and "Traceback" not in text


def test_paste_files_onto_the_selected_task(window, qtbot, backend, tmp_path: Path):
    _choose(window, qtbot, EntityKind.TASK, 40)
    _select(window, qtbot, "t5")
    path = tmp_path / "pasted.txt"
    path.write_text("from the clipboard")
    mime = QMimeData()
    mime.setUrls([QUrl.fromLocalFile(str(path))])
    QGuiApplication.clipboard().setMimeData(mime)
    window.list_view.setFocus()
    window.paste_action.trigger()
    ref = EntityRef(EntityKind.TASK, "t5")
    qtbot.waitUntil(lambda: len(backend.files.get(ref, [])) == 1, timeout=5000)
    qtbot.waitUntil(lambda: window.detail.files_model.rowCount() == 1, timeout=5000)


def test_paste_an_image_onto_a_user(window, qtbot, backend):
    from PySide6.QtGui import QColor, QImage

    _choose(window, qtbot, EntityKind.USER, 4)
    _select(window, qtbot, "u2")
    image = QImage(40, 40, QImage.Format.Format_RGB32)
    image.fill(QColor("blue"))
    QGuiApplication.clipboard().setImage(image)
    window.paste_action.trigger()
    accept_crop(window, qtbot)
    ref = EntityRef(EntityKind.USER, "u2")
    qtbot.waitUntil(lambda: ref in backend.images, timeout=5000)


def test_geometry_and_splitter_are_remembered(make_window, qtbot, backend):
    window = make_window()
    window.show()
    window.set_backend(backend, workspace=backend.workspace())
    window.splitter.setSizes([250, 380, 570])
    sizes = window.splitter.sizes()
    window._save_settings()
    from attache.core.paths import app_dirs

    assert (app_dirs().config / "window.ini").exists()
    again = make_window(restore=True)
    again.show()
    again.set_backend(backend, workspace=backend.workspace())
    assert again.splitter.sizes() == sizes


def test_quitting_with_transfers_running_asks_first(window, qtbot, monkeypatch, tmp_path: Path):
    from PySide6.QtGui import QCloseEvent

    asked = []
    monkeypatch.setattr(window.queue, "active_count", lambda: 2)
    monkeypatch.setattr(window, "_confirm_stop_transfers", lambda verb: asked.append(verb) or False)
    event = QCloseEvent()
    window.closeEvent(event)
    assert asked == ["Quit"] and not event.isAccepted()


def test_menus_and_shortcuts(window):
    bar = window.menuBar()
    titles = [action.text() for action in bar.actions()]
    assert titles == ["&File", "&Edit", "&View", "&Help"]
    file_items = [a.text() for a in bar.actions()[0].menu().actions() if a.text()]
    assert file_items == ["&Add account…", "&Sign out", "&Remove account…", "&Quit"]
    assert window.refresh_action.shortcut().toString() == "F5"
    assert window.transfers_action.text() == "&Transfers"
    assert window.search.accessibleName() == "Search"
    assert window.list_view.accessibleName() == "Items"


def test_empty_state_without_an_account(make_window, qtbot):
    window = make_window()
    window.show()
    assert window.pages.currentWidget() is window.empty
    assert "ATTACHE_TOKEN" in window.empty.text.text()
    assert not window.sign_out_action.isEnabled()


def test_keyboard_can_switch_kinds(window, qtbot):
    window.kind_actions[3].trigger()  # Ctrl+4: Users
    qtbot.waitUntil(lambda: window.list_model.kind is EntityKind.USER and window.list_model.rowCount() == 4,
                    timeout=5000)
    assert window.kinds_view.currentIndex().row() == 3


def test_a_broken_image_is_refused_after_decoding(window, qtbot, backend, tmp_path: Path):
    _choose(window, qtbot, EntityKind.USER, 4)
    _select(window, qtbot, "u1")
    broken = tmp_path / "broken.png"
    broken.write_bytes(png_bytes((9, 9, 9))[:60] + b"\0" * 400)  # a PNG header, then garbage
    slot = window.detail.slot
    drag_and_drop(slot, QPointF(slot.rect().center()), [broken])
    qtbot.waitUntil(lambda: window.message_bar.isVisible(), timeout=5000)
    assert window.message_bar.level == ERROR
    assert window.message_bar.text().startswith("broken.png")
    assert EntityRef(EntityKind.USER, "u1") not in backend.images
    assert window.queue.jobs() == []


def test_filter_model_keeps_up_with_pages_and_selection(window, qtbot, qtmodeltester):
    _choose(window, qtbot, EntityKind.TASK, 40)
    _select(window, qtbot, "t13")
    qtbot.keyClicks(window.search, "1")
    assert window.detail.entity.id == "t13"  # the selection survives filtering
    assert window.list_view.currentIndex().data() == "Task number 13"
    qtmodeltester.check(window.filter_model)
    window.search.setText("")
    assert window.list_view.currentIndex().data() == "Task number 13"


def test_an_image_dropped_on_a_user_row_sets_the_picture(window, qtbot, backend, tmp_path: Path):
    _choose(window, qtbot, EntityKind.USER, 4)
    image = tmp_path / "face.png"
    image.write_bytes(png_bytes((10, 200, 10), 120))
    view = window.list_view
    mime = file_mime([image])
    enter = drag_enter(view.viewport(), row_centre(view, 2), mime)
    assert enter.isAccepted()
    assert window.list_model.drop_hint == "Set face.png as the picture of “Alan Turing”"
    from ui_helpers import drop

    drop(view.viewport(), row_centre(view, 2), mime)
    dialog = accept_crop(window, qtbot)
    assert dialog.title.text() == "Picture of Alan Turing"
    ref = EntityRef(EntityKind.USER, "u2")
    qtbot.waitUntil(lambda: ref in backend.images, timeout=5000)
    qtbot.waitUntil(lambda: window.list_model.entity(2).has_image, timeout=5000)
