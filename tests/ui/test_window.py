"""The window on the awork sandbox over real HTTP, uploads through the transfer engine: browse, search,
drops, pastes, errors, settings."""

from __future__ import annotations

import io
import time
from collections import Counter
from pathlib import Path

import httpx
import pytest
from PIL import Image
from PySide6.QtCore import QMimeData, QPointF, QUrl
from PySide6.QtGui import QGuiApplication
from ui_helpers import (
    accept_crop,
    drag_and_drop,
    drag_enter,
    drag_leave,
    drop,
    file_mime,
    image_requests,
    png_bytes,
    put_picture,
    row_centre,
    session_on,
    shown_window,
    store_count,
    stored_files,
    stored_picture,
)

from attache.core.models import EntityKind
from attache.sandbox import FaultPlan
from attache.ui.messagebar import ERROR

ACTIVE_USERS = "is_archived = 0"


@pytest.fixture
def server(awork_sandbox):
    """The session's sandbox, for tests that only read (refused drops change nothing either)."""
    return awork_sandbox


@pytest.fixture
def own_server(fresh_awork_sandbox):
    """A sandbox of its own, for a test that changes data."""
    return fresh_awork_sandbox


def _open(server, make_backend, make_window, qtbot):
    backend = make_backend(server)
    window = shown_window(make_window, backend)
    projects = store_count(server, "projects")
    qtbot.waitUntil(lambda: window.list_model.rowCount() == projects, timeout=5000)
    return window


@pytest.fixture
def window(server, make_backend, make_window, qtbot):
    return _open(server, make_backend, make_window, qtbot)


@pytest.fixture
def own_window(own_server, make_backend, make_window, qtbot):
    return _open(own_server, make_backend, make_window, qtbot)


def _choose(window, qtbot, kind: EntityKind, rows: int) -> None:
    window.show_kind(kind)
    qtbot.waitUntil(
        lambda: (
            window.list_model.kind is kind and window.list_model.rowCount() == rows and not window.list_model.loading
        ),
        timeout=5000,
    )


def _tasks(window, qtbot, server) -> None:
    _choose(window, qtbot, EntityKind.TASK, store_count(server, "tasks"))


def _users(window, qtbot, server) -> None:
    _choose(window, qtbot, EntityKind.USER, store_count(server, "users", ACTIVE_USERS))


def _select(window, qtbot, entity_id: str) -> None:
    assert window.select_entity(entity_id)
    qtbot.waitUntil(lambda: window.detail.entity is not None and window.detail.entity.id == entity_id, timeout=2000)


def _shown(window) -> list[str]:
    return [window.filter_model.index(r, 0).data() for r in range(window.filter_model.rowCount())]


def _colour(image) -> tuple[int, int, int]:
    colour = image.pixelColor(image.width() // 2, image.height() // 2)
    return colour.red(), colour.green(), colour.blue()


def _centre_colour(slot) -> tuple[int, int, int]:
    return _colour(slot.grab().toImage())


def _decoded(data: bytes) -> Image.Image:
    picture = Image.open(io.BytesIO(data))
    picture.load()
    return picture


def test_sidebar_lists_kinds_with_counts(window, qtbot, server):
    model = window.kinds_model
    labels = [model.index(r, 0).data() for r in range(model.rowCount())]
    assert labels == ["Projects", "Tasks", "Companies", "Users", "Project templates", "Workspace"]
    expected = {
        EntityKind.PROJECT: store_count(server, "projects"),
        EntityKind.TASK: store_count(server, "tasks"),
        EntityKind.COMPANY: store_count(server, "companies"),
        EntityKind.USER: store_count(server, "users", ACTIVE_USERS),
        EntityKind.PROJECT_TEMPLATE: store_count(server, "project_templates"),
        EntityKind.WORKSPACE: 1,
    }
    assert expected[EntityKind.TASK] > 100 and expected[EntityKind.USER] < store_count(server, "users")
    qtbot.waitUntil(lambda: {kind: model.count(kind) for kind in expected} == expected, timeout=5000)
    workspace = server.store.scalar("SELECT name FROM workspaces")
    assert window.windowTitle() == f"{workspace} — Attaché"


def test_search_filters_as_you_type(window, qtbot, server):
    _tasks(window, qtbot, server)
    total = window.filter_model.rowCount()
    qtbot.keyClicks(window.search, "colour PAL")  # every word, in any case, anywhere in the row
    expected = [
        row["name"]
        for row in server.store.read("SELECT name FROM tasks WHERE name LIKE '%colour%' AND name LIKE '%pal%'")
    ]
    visible = _shown(window)
    assert Counter(visible) == Counter(expected) and 0 < len(visible) < total
    assert all("colour" in name and "palette" in name for name in visible)
    assert "match" in window.list_count.text()
    window.search.clear()
    assert window.filter_model.rowCount() == total


def test_tasks_of_a_project(window, qtbot, server):
    project = window.list_model.entity(1)
    expected = {row["id"] for row in server.store.read("SELECT id FROM tasks WHERE project_id=?", (project.id,))}
    assert 0 < len(expected) < store_count(server, "tasks")
    window.show_kind(EntityKind.TASK, project)
    qtbot.waitUntil(lambda: window.list_model.rowCount() == len(expected) and window.list_model.exhausted, timeout=5000)
    assert {e.id for e in window.list_model.entities()} == expected
    assert all(e.parent_id(EntityKind.PROJECT) == project.id for e in window.list_model.entities())
    assert window.scope_row.isVisibleTo(window) and project.name in window.scope_chip.text()
    window.scope_clear.click()
    qtbot.waitUntil(lambda: window.list_model.rowCount() == store_count(server, "tasks"), timeout=5000)


def test_three_files_dropped_on_a_task_row_are_uploaded(own_window, own_server, qtbot, tmp_path: Path):
    window, server = own_window, own_server
    _tasks(window, qtbot, server)
    task = window.list_model.entity(2)
    before = stored_files(server, task.id)
    contents = {}
    paths = []
    for i in range(3):
        path = tmp_path / f"report-{i}.txt"
        path.write_bytes(b"hello " * (i + 1))
        contents[path.name] = path.read_bytes()
        paths.append(path)
    view = window.list_view
    accepted_enter, accepted_drop = drag_and_drop(view.viewport(), row_centre(view, 2), paths)
    assert accepted_enter and accepted_drop
    qtbot.waitUntil(lambda: stored_files(server, task.id) == {**before, **contents}, timeout=5000)
    assert len(window.queue.jobs()) == 3
    _select(window, qtbot, task.id)
    files = window.detail.files_model
    qtbot.waitUntil(lambda: not files.loading and files.rowCount() == len(before) + 3, timeout=5000)
    names = {files.file(r).name for r in range(files.rowCount())}
    assert names == set(before) | {"report-0.txt", "report-1.txt", "report-2.txt"}


def test_hovering_a_row_says_what_will_happen(window, qtbot, server, tmp_path: Path):
    _tasks(window, qtbot, server)
    task = window.list_model.entity(0)
    a, b = tmp_path / "a.txt", tmp_path / "b.txt"
    a.write_text("a")
    b.write_text("b")
    mime = file_mime([a, b])
    view = window.list_view
    event = drag_enter(view.viewport(), row_centre(view, 0), mime)
    assert event.isAccepted()
    assert window.list_model.drop_row == 0
    assert window.list_model.drop_hint == f"Attach 2 files to “{task.name}”"
    assert window.status.currentMessage() == f"Attach 2 files to “{task.name}”"
    drag_leave(view.viewport())
    assert window.list_model.drop_row == -1


def test_an_empty_folder_is_refused_with_a_message(window, qtbot, server, tmp_path: Path):
    _tasks(window, qtbot, server)
    folder = tmp_path / "photos"
    folder.mkdir()
    view = window.list_view
    assert drag_and_drop(view.viewport(), row_centre(view, 0), [folder]) == (True, True)
    qtbot.waitUntil(window.message_bar.isVisible, timeout=5000)  # the files are checked on a worker, on drop
    assert window.message_bar.level == ERROR
    assert window.message_bar.text() == "“photos” holds no files to attach"
    assert window.queue.jobs() == []


def test_a_folder_of_many_files_asks_first(window, qtbot, server, tmp_path: Path, monkeypatch):
    from attache.ui import plain
    from attache.ui.drop_actions import FOLDER_CONFIRM_ABOVE

    _tasks(window, qtbot, server)
    window.queue.engine.pause()  # nothing needs to reach the server: the rows say what was queued
    folder = tmp_path / "scans"
    (folder / "week 2").mkdir(parents=True)
    for n in range(FOLDER_CONFIRM_ABOVE + 1):
        (folder / ("week 2" if n % 2 else "") / f"scan-{n:02}.pdf").write_bytes(b"%PDF")
    asked: list[str] = []
    answers = [False, True]
    monkeypatch.setattr(plain, "question", lambda parent, title, text: asked.append(text) or answers.pop(0))
    view = window.list_view
    task = window.list_model.entity(0)
    drag_and_drop(view.viewport(), row_centre(view, 0), [folder])
    qtbot.waitUntil(lambda: len(asked) == 1, timeout=5000)
    assert asked[0].startswith(
        f"Attach all {FOLDER_CONFIRM_ABOVE + 1} files inside “scans” and its subfolders to Task “{task.name}”?"
    )
    assert window.queue.jobs() == []  # Cancel: nothing queued
    drag_and_drop(view.viewport(), row_centre(view, 0), [folder])
    qtbot.waitUntil(lambda: len(window.queue.jobs()) == FOLDER_CONFIRM_ABOVE + 1, timeout=10_000)
    assert {job.name for job in window.queue.jobs()} == {f"scan-{n:02}.pdf" for n in range(FOLDER_CONFIRM_ABOVE + 1)}


def test_a_non_image_on_the_image_slot_is_refused(window, qtbot, server, tmp_path: Path):
    _users(window, qtbot, server)
    _select(window, qtbot, window.list_model.entity(1).id)
    text = tmp_path / "notes.png"  # the name says PNG; the content does not
    text.write_text("not a picture")
    slot = window.detail.slot
    accepted_enter, _ = drag_and_drop(slot, QPointF(slot.rect().center()), [text])
    assert accepted_enter  # accepted, so the drop arrives and the refusal is explained
    qtbot.waitUntil(window.message_bar.isVisible, timeout=5000)
    assert window.message_bar.text() == "notes.png is not an image; drop a PNG, JPEG or GIF file here"
    assert window.queue.jobs() == []


def test_an_image_over_the_limit_is_refused(window, qtbot, server, tmp_path: Path):
    _users(window, qtbot, server)
    _select(window, qtbot, window.list_model.entity(1).id)
    big = tmp_path / "huge.png"
    with open(big, "wb") as out:  # a PNG header, then a hole up to 100.5 MB (sparse: nothing written)
        out.write(png_bytes((1, 2, 3)))
        out.truncate(100 * 1024 * 1024 + 512 * 1024)
    slot = window.detail.slot
    began = time.monotonic()
    drag_and_drop(slot, QPointF(slot.rect().center()), [big])
    qtbot.waitUntil(window.message_bar.isVisible, timeout=5000)
    assert window.message_bar.text() == "huge.png is 100.5 MB; awork accepts profile images up to 100 MB"
    assert window.queue.jobs() == []
    assert image_requests(server, "POST", since=began) == []


def test_several_images_on_one_slot_are_refused(window, qtbot, server, tmp_path: Path):
    _users(window, qtbot, server)
    user = window.list_model.entity(1)
    _select(window, qtbot, user.id)
    paths = []
    for i in range(2):
        path = tmp_path / f"p{i}.png"
        path.write_bytes(png_bytes((i, i, i)))
        paths.append(path)
    slot = window.detail.slot
    drag_and_drop(slot, QPointF(slot.rect().center()), paths)
    assert window.message_bar.text() == f"Drop one image at a time on “{user.name}”; you dropped 2 items"


def test_tasks_cannot_take_a_picture(window, qtbot, server):
    _tasks(window, qtbot, server)
    _select(window, qtbot, window.list_model.entity(0).id)
    detail = window.detail
    assert not detail.choose_button.isEnabled()
    assert detail.choose_button.toolTip() == "awork cannot set the picture of a task from a file."
    assert not detail.slot.editable


def test_an_image_dropped_on_a_user_changes_the_picture(own_window, own_server, qtbot, tmp_path: Path):
    window, server = own_window, own_server
    user_id = server.store.scalar("SELECT id FROM users WHERE is_archived=0 ORDER BY rowid LIMIT 1")
    put_picture(server, "users", user_id, (0, 128, 0))
    _users(window, qtbot, server)
    _select(window, qtbot, user_id)
    slot = window.detail.slot
    qtbot.waitUntil(lambda: slot.current_image() is not None, timeout=5000)
    assert _centre_colour(slot) == (0, 128, 0)
    image = tmp_path / "red.png"
    image.write_bytes(png_bytes((220, 20, 20), 256))
    drag_and_drop(slot, QPointF(slot.rect().center()), [image])
    accept_crop(window, qtbot)

    def red_now():
        red, green, _ = _centre_colour(slot)
        return red > 200 and green < 40

    qtbot.waitUntil(red_now, timeout=5000)
    uploaded = stored_picture(server, "users", user_id)
    assert uploaded[:3] == b"\xff\xd8\xff"  # the crop, as a JPEG of the square
    picture = _decoded(uploaded)
    assert picture.size == (256, 256)
    red, green, blue = picture.convert("RGB").getpixel((128, 128))
    assert red > 200 and green < 40 and blue < 40


def test_a_server_error_shows_in_the_message_bar(make_awork_sandbox, make_backend, make_window, qtbot):
    server = make_awork_sandbox(faults=FaultPlan(rate=1.0, kinds=("503",), match=r"^GET /api/v1/projects$"))
    backend = make_backend(server, retries=False)
    window = shown_window(make_window, backend)
    qtbot.waitUntil(lambda: window.message_bar.isVisible(), timeout=5000)
    assert window.message_bar.level == ERROR
    assert window.message_bar.text() == (
        f"awork is not available right now (127.0.0.1:{server.port} answered 503); try again later"
    )
    assert window.list_count.text() == "Could not load"
    assert any(r.path == "/api/v1/projects" and r.fault == "503" for r in server.requests)


class _ProjectsWithoutIds(httpx.HTTPTransport):
    """The network, except that the project list holds a project without an id: a reply the
    sandbox (like awork) never sends, so it is made up here, under the real backend."""

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        if request.method == "GET" and request.url.path == "/api/v1/projects":
            return httpx.Response(200, json=[{"name": "Website relaunch"}], headers={"aw-totalitems": "1"})
        return super().handle_request(request)


def test_a_project_without_an_id_is_an_answer_awork_never_sends(server, make_backend, make_window, qtbot):
    backend = make_backend(server, transport=_ProjectsWithoutIds())
    window = shown_window(make_window, backend)
    qtbot.waitUntil(lambda: window.message_bar.isVisible(), timeout=5000)
    assert window.message_bar.text().endswith("is not what awork sends")
    assert window.message_bar.level == ERROR
    assert window.list_count.text() == "Could not load"


def test_an_unexpected_exception_is_not_a_traceback(server, make_backend, make_window, qtbot, monkeypatch):
    from attache.backends import awork

    def broken(data):  # a bug of ours, not a server's answer
        raise RuntimeError("a bug")

    monkeypatch.setitem(awork._ENTITY_MAPPERS, EntityKind.PROJECT, broken)
    window = shown_window(make_window, make_backend(server))
    qtbot.waitUntil(lambda: window.message_bar.isVisible(), timeout=5000)
    text = window.message_bar.text()
    assert text.startswith("Something went wrong (RuntimeError") and "Traceback" not in text
    assert window.message_bar.level == ERROR
    assert window.list_count.text() == "Could not load"


def test_paste_files_onto_the_selected_task(own_window, own_server, qtbot, tmp_path: Path):
    window, server = own_window, own_server
    _tasks(window, qtbot, server)
    task = window.list_model.entity(5)
    _select(window, qtbot, task.id)
    files = window.detail.files_model
    qtbot.waitUntil(lambda: not files.loading, timeout=5000)
    before = stored_files(server, task.id)
    assert files.rowCount() == len(before)
    path = tmp_path / "pasted.txt"
    path.write_text("from the clipboard")
    mime = QMimeData()
    mime.setUrls([QUrl.fromLocalFile(str(path))])
    QGuiApplication.clipboard().setMimeData(mime)
    window.list_view.setFocus()
    window.paste_action.trigger()
    qtbot.waitUntil(
        lambda: stored_files(server, task.id) == {**before, "pasted.txt": b"from the clipboard"}, timeout=5000
    )
    qtbot.waitUntil(lambda: files.rowCount() == len(before) + 1, timeout=5000)


def test_paste_an_image_onto_a_user(own_window, own_server, qtbot):
    window, server = own_window, own_server
    from PySide6.QtGui import QColor, QImage

    _users(window, qtbot, server)
    user = window.list_model.entity(2)
    before = stored_picture(server, "users", user.id)
    _select(window, qtbot, user.id)
    image = QImage(40, 40, QImage.Format.Format_RGB32)
    image.fill(QColor("blue"))
    QGuiApplication.clipboard().setImage(image)
    window.paste_action.trigger()
    accept_crop(window, qtbot)
    qtbot.waitUntil(lambda: stored_picture(server, "users", user.id) not in (None, before), timeout=5000)
    from attache.images.crop import MIN_OUTPUT_SIZE

    picture = _decoded(stored_picture(server, "users", user.id))
    assert picture.format == "JPEG" and picture.size == (MIN_OUTPUT_SIZE, MIN_OUTPUT_SIZE)  # small ones grow
    red, green, blue = picture.convert("RGB").getpixel((MIN_OUTPUT_SIZE // 2, MIN_OUTPUT_SIZE // 2))
    assert blue > 200 and red < 40 and green < 40


def test_geometry_and_splitter_are_remembered(server, make_backend, make_window, qtbot):
    backend = make_backend(server)
    window = shown_window(make_window, backend)
    window.splitter.setSizes([250, 380, 570])
    sizes = window.splitter.sizes()
    window._save_settings()
    from attache.core.paths import app_dirs

    assert (app_dirs().config / "window.ini").exists()
    again_backend = make_backend(server)
    again = make_window(restore=True)
    again.show()
    again.show_session(session_on(again_backend))
    assert again.splitter.sizes() == sizes


def test_quitting_with_transfers_running_asks_first(window, qtbot, monkeypatch, tmp_path: Path):
    from PySide6.QtGui import QCloseEvent

    asked = []
    monkeypatch.setattr(window.queue, "active_count", lambda: 2)
    monkeypatch.setattr(window.transfer_actions, "confirm_stop", lambda verb: asked.append(verb) or False)
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


def test_keyboard_can_switch_kinds(window, qtbot, server):
    users = store_count(server, "users", ACTIVE_USERS)
    window.kind_actions[3].trigger()  # Ctrl+4: Users
    qtbot.waitUntil(
        lambda: window.list_model.kind is EntityKind.USER and window.list_model.rowCount() == users, timeout=5000
    )
    assert window.kinds_view.currentIndex().row() == 3


def test_a_broken_image_is_refused_after_decoding(window, qtbot, server, tmp_path: Path):
    _users(window, qtbot, server)
    user = window.list_model.entity(1)
    before = stored_picture(server, "users", user.id)
    _select(window, qtbot, user.id)
    broken = tmp_path / "broken.png"
    broken.write_bytes(png_bytes((9, 9, 9))[:60] + b"\0" * 400)  # a PNG header, then garbage
    slot = window.detail.slot
    began = time.monotonic()
    drag_and_drop(slot, QPointF(slot.rect().center()), [broken])
    qtbot.waitUntil(lambda: window.message_bar.isVisible(), timeout=5000)
    assert window.message_bar.level == ERROR
    assert window.message_bar.text().startswith("broken.png")
    assert window.queue.jobs() == []
    assert image_requests(server, "POST", since=began) == []  # the file never left the machine
    assert stored_picture(server, "users", user.id) == before


def test_filter_model_keeps_up_with_pages_and_selection(window, qtbot, server, qtmodeltester):
    _tasks(window, qtbot, server)
    task = window.list_model.entity(13)
    _select(window, qtbot, task.id)
    word = max(task.name.split(), key=len)
    qtbot.keyClicks(window.search, word)
    assert 0 < window.filter_model.rowCount() < window.list_model.rowCount()
    assert window.detail.entity.id == task.id  # the selection survives filtering
    assert window.list_view.currentIndex().data() == task.name
    qtmodeltester.check(window.filter_model)
    window.search.setText("")
    assert window.list_view.currentIndex().data() == task.name
    assert window.detail.entity.id == task.id


def test_an_image_dropped_on_a_user_row_sets_the_picture(own_window, own_server, qtbot, tmp_path: Path):
    window, server = own_window, own_server
    user_id = server.store.scalar("SELECT id FROM users WHERE is_archived=0 ORDER BY rowid LIMIT 1 OFFSET 2")
    server.store.delete_image("users", user_id, None)  # a person without a picture yet
    _users(window, qtbot, server)
    assert window.list_model.row_of(user_id) == 2
    user = window.list_model.entity(2)
    assert not user.has_image
    image = tmp_path / "face.png"
    image.write_bytes(png_bytes((10, 200, 10), 120))
    view = window.list_view
    mime = file_mime([image])
    enter = drag_enter(view.viewport(), row_centre(view, 2), mime)
    assert enter.isAccepted()
    assert window.list_model.drop_hint == f"Set face.png as the picture of “{user.name}”"
    drop(view.viewport(), row_centre(view, 2), mime)
    dialog = accept_crop(window, qtbot)
    assert dialog.title.text() == f"Picture of {user.name}"
    qtbot.waitUntil(lambda: stored_picture(server, "users", user_id) is not None, timeout=5000)
    qtbot.waitUntil(lambda: window.list_model.entity(2).has_image, timeout=5000)
    red, green, blue = _decoded(stored_picture(server, "users", user_id)).convert("RGB").getpixel((60, 60))
    assert green > 180 and red < 40 and blue < 40


def test_a_first_window_fits_a_small_screen_and_shows_its_buttons_whole(window, qtbot):
    from PySide6.QtCore import QSize

    from attache.ui.main_window import default_size

    assert default_size(QSize(2560, 1440)) == QSize(1280, 800)
    assert default_size(QSize(1066, 666)) == QSize(959, 599)  # 1600 × 1000 at 150 %
    assert default_size(QSize(1066, 666), QSize(990, 500)) == QSize(990, 599)  # the panes' minimum first
    assert default_size(QSize(800, 600), QSize(990, 500)) == QSize(800, 540)  # but never off the screen

    window.resize(default_size(QSize(1066, 666), window.minimumSizeHint()))
    assert window.select_entity(window.list_model.entity(0).id)  # a project: Choose…, Remove, Show tasks
    qtbot.waitUntil(lambda: window.detail.entity is not None, timeout=2000)
    qtbot.wait(50)
    for button in (window.detail.choose_button, window.detail.remove_button, window.detail.tasks_button):
        assert button.width() >= button.sizeHint().width(), button.text()  # whole, not clipped
    assert not window.list_view.horizontalScrollBar().isVisible()  # long names are elided instead


def test_quitting_while_the_sandbox_starts_leaves_nothing_behind(make_window, qtbot, monkeypatch, tmp_path: Path):
    """The sandbox comes up only after the window has closed: it is stopped at once, and its
    store and template are removed. The start is held until the window has given up on it."""
    import tempfile
    import threading

    from attache.sandbox import SandboxServer

    private_tmp = tmp_path / "tmp"
    private_tmp.mkdir()
    monkeypatch.setattr(tempfile, "tempdir", str(private_tmp))
    began, real_start = threading.Event(), SandboxServer.start

    stops: list[threading.Event] = []

    known = threading.Event()

    def held_start(server):
        began.set()
        assert known.wait(30) and stops[0].wait(30), "the window never gave up on the sandbox"
        return real_start(server)

    monkeypatch.setattr(SandboxServer, "start", held_start)
    window = make_window()
    window.show()
    window.open_sandbox()
    stops.append(window.opener.stop_event)
    known.set()
    assert began.wait(30) and window.opener.busy  # still starting
    window.quit_now()
    assert window.backend is None
    # the seeded template is the process's, shared by its sandboxes and removed when it exits
    # (tests/integration/test_cli.py checks that); the sandbox's own store and queue are gone now
    assert [p.name for p in private_tmp.iterdir() if not p.name.startswith("attache-awork-template-")] == []
