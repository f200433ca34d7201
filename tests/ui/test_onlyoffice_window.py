"""The window on the built-in ONLYOFFICE sandbox (`attache --sandbox --service onlyoffice`) over
real HTTP: its kinds with counts, avatars, task files through the transfer engine into the project's
folder, CRM photos (crop, conversion, the size limit), the greyed user photo slot, detaching."""

from __future__ import annotations

import io
import os
from pathlib import Path

import pytest
from PIL import Image
from PySide6.QtCore import QPointF
from ui_helpers import accept_crop, drag_and_drop, png_bytes, row_centre

from attache.core.models import EntityKind
from attache.transfers import JobState
from attache.ui import plain
from attache.ui.messagebar import ERROR
from attache.ui.models import EntityListModel

USER_PHOTO_REASON = "ONLYOFFICE sets a user's photo only from a web address"


@pytest.fixture
def window(make_window, qtbot):
    window = make_window()
    window.show()
    window.open_sandbox("onlyoffice")
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


def _select(window, qtbot, entity_id: str):
    assert window.select_entity(entity_id)
    qtbot.waitUntil(lambda: window.detail.entity is not None and window.detail.entity.id == entity_id, timeout=5000)
    return window.detail.entity


def _file_names(files) -> set[str]:
    return {files.file(r).name for r in range(files.rowCount())}


def _task_files(server, task_id: str) -> set[str]:
    rows = server.store.read(
        "SELECT f.title FROM files f JOIN task_files t ON t.file_id=f.id WHERE t.task_id=?", (int(task_id),)
    )
    return {row["title"] for row in rows}


def _folder_files(server, task_id: str) -> set[str]:
    rows = server.store.read(
        "SELECT f.title FROM files f JOIN projects p ON p.folder_id=f.folder_id"
        " JOIN tasks t ON t.project_id=p.id WHERE t.id=?",
        (int(task_id),),
    )
    return {row["title"] for row in rows}


def _contact_photo(server, contact_id: str) -> bytes | None:
    row = server.store.read_one("SELECT photo FROM contacts WHERE id=?", (int(contact_id),))
    return None if row is None or not row["photo"] else server.store.blob_path(row["photo"]).read_bytes()


def _writes(server) -> list:
    return [r for r in server.requests if r.method in ("POST", "PUT", "DELETE")]


def _centre_colour(slot) -> tuple[int, int, int]:
    picture = slot.grab().toImage()
    colour = picture.pixelColor(picture.width() // 2, picture.height() // 2)
    return colour.red(), colour.green(), colour.blue()


# ---------------------------------------------------------------------------- browsing


def test_the_sandbox_portal_opens_with_its_kinds_and_counts(window, qtbot, server, monkeypatch):
    model = window.kinds_model
    assert [model.index(r, 0).data() for r in range(model.rowCount())] == [
        "Projects",
        "Tasks",
        "Companies",
        "Users",
        "Contact persons",
    ]
    expected = {
        EntityKind.PROJECT: server.store.scalar("SELECT COUNT(*) FROM projects"),
        EntityKind.TASK: server.store.scalar("SELECT COUNT(*) FROM tasks"),
        EntityKind.COMPANY: server.store.scalar("SELECT COUNT(*) FROM contacts WHERE is_company=1"),
        EntityKind.USER: server.store.scalar("SELECT COUNT(*) FROM users"),
        EntityKind.CONTACT_PERSON: server.store.scalar("SELECT COUNT(*) FROM contacts WHERE is_company=0"),
    }
    qtbot.waitUntil(lambda: {kind: model.count(kind) for kind in expected} == expected, timeout=15_000)
    assert "Harbourlight Architects" in window.windowTitle()
    monkeypatch.setattr(EntityListModel, "PAGE_SIZE", 25)  # the demo's 60 tasks come in three pages
    server.clear_requests()
    window.show_kind(EntityKind.TASK)

    def scrolled_to_the_end() -> bool:
        window.list_view.scrollToBottom()
        return window.list_model.exhausted and window.list_model.rowCount() == expected[EntityKind.TASK]

    qtbot.waitUntil(scrolled_to_the_end, timeout=15_000)
    pages = [r.query for r in server.requests if r.path.endswith("/project/task/filter")]
    assert len(pages) == 3 and any("startIndex=50" in query for query in pages), pages
    names = {window.list_model.entity(r).name for r in range(window.list_model.rowCount())}
    assert "Site survey" in names


def test_people_show_their_photos_and_default_photos_as_initials(window, qtbot, server):
    _show(window, qtbot, EntityKind.USER)
    qtbot.waitUntil(lambda: window.list_model.exhausted, timeout=10_000)
    people = [window.list_model.entity(r) for r in range(window.list_model.rowCount())]
    with_photo = [p for p in people if p.has_image]
    without = [p for p in people if not p.has_image]
    stored_without = server.store.scalar("SELECT COUNT(*) FROM users WHERE photo IS NULL")
    assert len(without) == stored_without and with_photo
    person = with_photo[0]
    qtbot.waitUntil(lambda: window.avatars.lookup(person, 36)[1] is not None, timeout=15_000)
    # a real photo, not the initials' flat colour: the seeded portraits have many colours
    picture = window.avatars.lookup(person, 36)[1]
    colours = {picture.pixelColor(x, y).rgb() for x in range(8, 28, 4) for y in range(8, 28, 4)}
    assert len(colours) > 3
    _select(window, qtbot, without[0].id)
    assert window.detail.slot.current_image() is None  # painted as initials


# ---------------------------------------------------------------------------- task files


def _task_with_files(window, qtbot, server):
    task_id = str(server.store.scalar("SELECT task_id FROM task_files ORDER BY task_id LIMIT 1"))
    _show(window, qtbot, EntityKind.TASK)
    qtbot.waitUntil(lambda: window.list_model.row_of(task_id) is not None, timeout=10_000)
    task = _select(window, qtbot, task_id)
    files = window.detail.files_model
    qtbot.waitUntil(lambda: not files.loading and files.rowCount() > 0, timeout=10_000)
    return task, files


def _wait_done(window, qtbot, count: int) -> None:
    qtbot.waitUntil(
        lambda: len(window.queue.jobs()) == count and all(j.state == JobState.DONE for j in window.queue.jobs()),
        timeout=30_000,
    )


def test_files_dropped_on_a_task_go_into_the_projects_folder_and_are_attached(window, qtbot, server, tmp_path):
    task, files = _task_with_files(window, qtbot, server)
    before = _file_names(files)
    assert before == _task_files(server, task.id)
    row_paths = []
    for index in range(2):
        path = tmp_path / f"survey-notes-{index}.txt"
        path.write_bytes(f"levels {index}\n".encode() * (2000 * (index + 1)))
        row_paths.append(path)
    view = window.list_view
    row = window.filter_model.mapFromSource(window.list_model.index(window.list_model.row_of(task.id), 0)).row()
    assert drag_and_drop(view.viewport(), row_centre(view, row), row_paths) == (True, True)
    _wait_done(window, qtbot, 2)
    assert all(job.engine_id is not None for job in window.queue.jobs())  # journaled

    list_path = tmp_path / "section-drawing.pdf"
    list_path.write_bytes(b"%PDF-1.4\n" + b"1" * 40_000)
    target = window.detail.files_view.viewport()
    assert drag_and_drop(target, QPointF(target.rect().center()), [list_path]) == (True, True)
    _wait_done(window, qtbot, 3)

    names = {p.name for p in row_paths} | {list_path.name}
    qtbot.waitUntil(lambda: names <= _file_names(files), timeout=10_000)
    assert _file_names(files) == before | names
    assert _task_files(server, task.id) == before | names  # attached to the task…
    assert names <= _folder_files(server, task.id)  # …and kept in the project's Documents folder
    window.transfers.model.tick()
    assert window.transfers_dock.isVisible()
    assert {window.transfers.model.index(r, 5).data() for r in range(3)} == {"Done"}


def test_a_file_dropped_again_is_not_offered_as_a_new_version_on_onlyoffice(
    window, qtbot, server, tmp_path, monkeypatch
):
    from attache.ui import duplicates

    _task, files = _task_with_files(window, qtbot, server)
    existing = files.file(0).name
    asked = []

    def ask(parent, name, target, more, *, can_replace=False):
        asked.append((name, can_replace))
        return duplicates.Duplicate.SKIP, False

    monkeypatch.setattr(duplicates, "ask_duplicate", ask)
    again = tmp_path / existing
    again.write_bytes(b"a newer copy")
    target = window.detail.files_view.viewport()
    assert drag_and_drop(target, QPointF(target.rect().center()), [again]) == (True, True)
    qtbot.waitUntil(lambda: asked != [], timeout=10_000)
    assert asked == [(existing, False)]  # Keep both, Skip, Cancel drop: ONLYOFFICE keeps no versions here
    assert window.queue.jobs() == []


def test_detach_asks_first_and_the_file_stays_in_the_projects_folder(window, qtbot, server, monkeypatch):
    task, files = _task_with_files(window, qtbot, server)
    detail = window.detail
    assert not detail.choose_button.isVisible() and not detail.remove_button.isVisible()  # tasks have no picture
    assert detail.delete_button.text() == "Detach"
    record = files.file(0)
    detail.files_view.setCurrentIndex(files.index(0, 0))
    asked: list[str] = []

    def answer(parent, title, text, *args, **kwargs):
        asked.append(f"{title}\n{text}")
        return True

    monkeypatch.setattr(plain, "question", answer)
    count = files.rowCount()
    detail.delete_button.click()
    assert asked and record.name in asked[0] and "stays in the project's Documents folder" in asked[0]
    qtbot.waitUntil(lambda: files.rowCount() == count - 1, timeout=10_000)
    assert record.name not in _file_names(files)
    assert record.name not in _task_files(server, task.id)
    assert record.name in _folder_files(server, task.id)
    assert "stays in the project's Documents folder" in window.message_bar.text() + window.status.currentMessage()


# ---------------------------------------------------------------------------- pictures


def _company(window, qtbot, server):
    _show(window, qtbot, EntityKind.COMPANY)
    company = window.list_model.entity(0)
    return _select(window, qtbot, company.id)


def test_a_png_dropped_on_a_company_becomes_its_photo(window, qtbot, server, tmp_path):
    company = _company(window, qtbot, server)
    slot = window.detail.slot
    image = tmp_path / "logo.png"
    image.write_bytes(png_bytes((30, 160, 60), 300))
    assert drag_and_drop(slot, QPointF(slot.rect().center()), [image]) == (True, True)
    accept_crop(window, qtbot)

    def shows_green() -> bool:
        red, green, blue = _centre_colour(slot)
        return green > 130 and red < 70 and blue < 90

    qtbot.waitUntil(shows_green, timeout=20_000)  # read back from the portal
    stored = _contact_photo(server, company.id)
    assert stored is not None
    assert Image.open(io.BytesIO(stored)).format in ("PNG", "JPEG")
    assert window.detail.entity.has_image


def _gif(path: Path, colour: tuple[int, int, int]) -> Path:
    Image.new("RGB", (240, 240), colour).save(path, "GIF")
    return path


def test_a_gif_on_a_company_is_converted_to_png_when_the_user_agrees(window, qtbot, server, tmp_path, monkeypatch):
    from attache.ui.crop_dialog import CropDialog, set_crop_skipped

    company = _company(window, qtbot, server)
    asked: list[str] = []
    answers = [False, True]  # No, then Yes
    monkeypatch.setattr(plain, "question", lambda *args, **kwargs: asked.append(args[2]) or answers.pop(0))
    slot = window.detail.slot
    gif = _gif(tmp_path / "logo.gif", (200, 40, 40))
    server.clear_requests()
    set_crop_skipped(True)  # "Always upload without cropping": the picture goes up as it is
    drag_and_drop(slot, QPointF(slot.rect().center()), [gif])
    qtbot.waitUntil(lambda: len(asked) == 1, timeout=10_000)
    assert asked[0] == "ONLYOFFICE takes PNG or JPEG photos: convert to PNG and upload?"
    # declined: nothing is sent
    assert not window.queue.jobs() and _writes(server) == [] and _contact_photo(server, company.id) is None

    set_crop_skipped(False)
    drag_and_drop(slot, QPointF(slot.rect().center()), [gif])
    qtbot.waitUntil(lambda: any(d.isVisible() for d in window.findChildren(CropDialog)), timeout=10_000)
    [dialog] = [d for d in window.findChildren(CropDialog) if d.isVisible()]
    dialog.whole_button.click()  # "Use whole image": asked again, and this time the user agrees
    qtbot.waitUntil(lambda: _contact_photo(server, company.id) is not None, timeout=20_000)
    assert len(asked) == 2
    assert Image.open(io.BytesIO(_contact_photo(server, company.id))).format == "PNG"

    def shows_red() -> bool:
        red, green, blue = _centre_colour(slot)
        return red > 170 and green < 80 and blue < 80

    qtbot.waitUntil(shows_red, timeout=20_000)


def test_a_photo_over_5_mib_is_refused_before_anything_is_sent(window, qtbot, server, tmp_path):
    company = _company(window, qtbot, server)
    big = tmp_path / "poster.png"
    noise = Image.frombytes("RGB", (1800, 1200), os.urandom(1800 * 1200 * 3))
    noise.save(big, "PNG", compress_level=0)
    assert big.stat().st_size > 5 * 1024 * 1024
    server.clear_requests()
    slot = window.detail.slot
    drag_and_drop(slot, QPointF(slot.rect().center()), [big])
    qtbot.waitUntil(window.message_bar.isVisible, timeout=10_000)
    assert window.message_bar.level == ERROR
    assert window.message_bar.text().startswith("poster.png is ") and "up to 5 MB" in window.message_bar.text()
    assert not window.queue.jobs() and _writes(server) == [] and _contact_photo(server, company.id) is None


def test_a_users_photo_slot_is_greyed_with_the_reason(window, qtbot, server, tmp_path):
    _show(window, qtbot, EntityKind.USER)
    _select(window, qtbot, window.list_model.entity(1).id)
    detail = window.detail
    assert not detail.choose_button.isEnabled() and not detail.remove_button.isEnabled()
    assert detail.image_hint.isVisible() and detail.image_hint.text().startswith(USER_PHOTO_REASON)
    assert detail.slot.toolTip().startswith(USER_PHOTO_REASON)
    assert detail.choose_button.toolTip().startswith(USER_PHOTO_REASON)
    image = tmp_path / "portrait.png"
    image.write_bytes(png_bytes((230, 30, 40), 200))
    server.clear_requests()
    slot = detail.slot
    drag_and_drop(slot, QPointF(slot.rect().center()), [image])
    qtbot.waitUntil(window.message_bar.isVisible, timeout=5000)
    assert window.message_bar.text().startswith(USER_PHOTO_REASON)
    assert not window.queue.jobs() and _writes(server) == []
