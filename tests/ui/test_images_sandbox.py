"""Pictures against the awork sandbox over HTTP: a crop uploaded and fetched back, avatars from
the disk cache on a second launch before any image request, and file thumbnails fetched small."""

from __future__ import annotations

import io
from pathlib import Path

import pytest
from PIL import Image
from PySide6.QtCore import QPointF, Qt
from test_crop_dialog import corners, quadrants
from ui_helpers import accept_crop, drag_and_drop

from attache.app.connections import token_connection
from attache.core.models import EntityKind
from attache.sandbox import FaultPlan
from attache.transfers import JobState
from attache.ui.avatars import device_px
from attache.ui.browse import EntityDelegate


def _open(make_window, server):
    window = make_window()
    window.show()
    window.open_connection(token_connection("awork", server.base_url, server.token, label="awork · sandbox"))
    return window


def _show(window, qtbot, kind: EntityKind) -> None:
    qtbot.waitUntil(lambda: window.backend is not None, timeout=15_000)
    window.show_kind(kind)
    qtbot.waitUntil(
        lambda: window.list_model.kind is kind and window.list_model.rowCount() > 0 and not window.list_model.loading,
        timeout=10_000,
    )


def _visible_entities(window):
    view = window.list_view
    entities = []
    for row in range(window.filter_model.rowCount()):
        index = window.filter_model.index(row, 0)
        rect = view.visualRect(index)
        if view.viewport().rect().contains(rect):
            entities.append((index, window.list_model.entity(window.filter_model.mapToSource(index).row())))
    return entities


def _avatar_colour(window, index):
    """The colour at the centre of a row's avatar, as painted on screen."""
    view = window.list_view
    rect = view.visualRect(index)
    x = rect.left() + 16 + EntityDelegate.AVATAR // 2
    y = rect.center().y() + 1
    return view.viewport().grab().toImage().pixelColor(x, y)


def _image_requests(server):
    return [r for r in server.requests if r.method == "GET" and "/files/images/" in r.path]


def test_a_cropped_picture_is_uploaded_and_comes_back_turned(make_window, qtbot, fresh_awork_sandbox, tmp_path: Path):
    window = _open(make_window, fresh_awork_sandbox)
    _show(window, qtbot, EntityKind.USER)
    index, user = next((i, e) for i, e in _visible_entities(window) if e.id != fresh_awork_sandbox.me_id)
    window.list_view.setCurrentIndex(index)
    qtbot.waitUntil(lambda: window.detail.entity is not None and window.detail.entity.id == user.id, timeout=2000)
    slot = window.detail.slot
    picture = quadrants(tmp_path / "portrait.png", 900, 600)
    drag_and_drop(slot, QPointF(slot.rect().center()), [picture])
    accept_crop(window, qtbot, key=Qt.Key.Key_R)  # turn clockwise, then Enter
    qtbot.waitUntil(lambda: bool(window.queue.jobs()) and window.queue.jobs()[0].state == JobState.DONE, timeout=20_000)
    job = window.queue.jobs()[0]
    assert job.name == "portrait.jpg"
    data = window.backend.get_image(user.ref)  # the stored original, as uploaded
    with Image.open(io.BytesIO(data)) as uploaded:
        uploaded.load()
    assert uploaded.format == "JPEG" and uploaded.size == (512, 512)
    assert corners(uploaded) == ("blue", "red", "yellow", "green")

    # and the detail pane shows the new picture: blue up and to the left of its centre
    def slot_shows_blue() -> bool:
        image = slot.grab().toImage()
        colour = image.pixelColor(int(image.width() * 0.3), int(image.height() * 0.3))
        return colour.blue() > 180 and colour.red() < 90 and colour.green() < 110

    qtbot.waitUntil(slot_shows_blue, timeout=10_000)


def test_a_second_launch_paints_cached_avatars_before_any_image_request(make_window, qtbot, fresh_awork_sandbox):
    server = fresh_awork_sandbox
    first = _open(make_window, server)
    _show(first, qtbot, EntityKind.USER)
    pictured = [(i, e) for i, e in _visible_entities(first) if e.has_image]
    assert len(pictured) >= 5
    px = device_px(EntityDelegate.AVATAR, first.list_view.devicePixelRatioF())
    qtbot.waitUntil(lambda: all(first.avatars.lookup(e, px)[0] for _, e in pictured), timeout=15_000)
    painted = {e.id: _avatar_colour(first, i).name() for i, e in pictured}
    assert first.avatars.fetch_count >= len(pictured)
    first._quitting = True
    first.close()

    # Two people change their pictures' versions, and the service becomes very slow with images.
    changed = [e.id for _, e in pictured[:2]]
    with server.store.transaction() as db:
        for user_id in changed:
            server.store.touch(db, "users", user_id, None)
    server.set_faults(FaultPlan(rate=1.0, kinds=("slow",), match=r"^GET .*/files/images/", slow_range=(2.0, 2.0)))
    server.clear_requests()

    second = _open(make_window, server)
    _show(second, qtbot, EntityKind.USER)
    visible = {e.id: i for i, e in _visible_entities(second) if e.has_image}
    assert set(painted) <= set(visible)

    def all_painted() -> bool:
        return all(_avatar_colour(second, visible[user_id]).name() == colour for user_id, colour in painted.items())

    qtbot.waitUntil(all_painted, timeout=5000)
    assert all(r.end is None for r in _image_requests(server)), "painted before any image request was answered"

    def asked_for() -> set[str]:
        return {r.path.rsplit("/", 1)[-1] for r in _image_requests(server)}

    # The two changed pictures are asked for again (the detail pane's too); a cached picture that
    # did not change never is. (Rows the first window never showed may be fetched too, first.)
    qtbot.waitUntil(lambda: set(changed) <= asked_for(), timeout=15_000)
    assert not asked_for() & (set(painted) - set(changed))


@pytest.fixture
def task_with_pictures(fresh_awork_sandbox):
    """The first listed task gets 40 pictures of distinct colours and one text file."""
    server = fresh_awork_sandbox
    store = server.store
    task_id = store.read_one("SELECT id FROM tasks ORDER BY created_on DESC LIMIT 1")["id"]
    colours = [((40 + i * 53) % 256, (90 + i * 97) % 256, (140 + i * 151) % 256) for i in range(40)]
    with store.transaction() as db:
        db.execute("DELETE FROM files WHERE task_id=?", (task_id,))
        for n, colour in enumerate(colours):
            buffer = io.BytesIO()
            Image.new("RGB", (640, 400), colour).save(buffer, "PNG")
            data = buffer.getvalue()
            store.add_task_file(
                db,
                task_id,
                store.write_blob(data),
                name=f"Picture {n:02}.png",
                file_name=f"Picture {n:02}.png",
                description=None,
                mime_type="image/png",
                size=len(data),
                width=640,
                height=400,
                user_id=server.me_id,
                created_on=f"2026-01-01T00:00:{59 - n:02}.000Z",
            )
        text = b"notes\n" * 100
        store.add_task_file(
            db,
            task_id,
            store.write_blob(text),
            name="Notes.txt",
            file_name="Notes.txt",
            description=None,
            mime_type="text/plain",
            size=len(text),
            width=None,
            height=None,
            user_id=server.me_id,
            created_on="2026-01-02T00:00:00.000Z",
        )
    return task_id, colours


def test_picture_files_show_small_thumbnails_for_visible_rows(
    make_window, qtbot, fresh_awork_sandbox, task_with_pictures
):
    task_id, colours = task_with_pictures
    server = fresh_awork_sandbox
    window = _open(make_window, server)
    _show(window, qtbot, EntityKind.TASK)
    qtbot.waitUntil(lambda: window.select_entity(task_id), timeout=10_000)
    files = window.detail.files_model
    view = window.detail.files_view
    qtbot.waitUntil(lambda: files.rowCount() == 41, timeout=10_000)
    thumbnails = window.detail.thumbnails
    first_picture = files.file(1)
    assert files.file(0).name == "Notes.txt" and first_picture.name == "Picture 00.png"

    def shown_rows() -> list[int]:
        return [
            r for r in range(files.rowCount()) if view.visualRect(files.index(r, 0)).intersects(view.viewport().rect())
        ]

    rows = shown_rows()
    assert 3 <= len(rows) < 30
    wanted = {files.file(r).id for r in rows if r > 0}
    qtbot.waitUntil(lambda: wanted <= set(thumbnails.requested) and not thumbnails._in_flight, timeout=10_000)
    assert set(thumbnails.requested) <= {files.file(r).id for r in range(max(rows) + 2)}  # visible rows only
    assert files.file(0).id not in thumbnails.requested  # a text file is never asked for

    downloads = [r for r in server.requests if r.path.endswith("/download")]
    assert downloads and all("width=28" in r.query and "height=28" in r.query for r in downloads)

    def thumbnail_colour(row: int):
        icon = files.index(row, 0).data(Qt.ItemDataRole.DecorationRole)
        image = icon.pixmap(28, 28).toImage()
        return image.pixelColor(image.width() // 2, image.height() // 2)

    qtbot.waitUntil(lambda: thumbnail_colour(1).name() != thumbnail_colour(0).name(), timeout=5000)
    for row in (1, 2):
        colour = thumbnail_colour(row)
        expected = colours[row - 1]
        assert max(abs(a - b) for a, b in zip((colour.red(), colour.green(), colour.blue()), expected)) <= 2

    # scrolling to the end asks for the rows that come into view, and only those
    count = len(thumbnails.requested)
    view.scrollToBottom()
    last = files.file(40).id
    qtbot.waitUntil(lambda: last in thumbnails.requested and not thumbnails._in_flight, timeout=10_000)
    assert len(thumbnails.requested) - count < 30
    # the same task again: from memory, nothing asked
    asked = len(thumbnails.requested)
    window.detail.refresh_files()
    qtbot.waitUntil(lambda: not files.loading, timeout=5000)
    view.viewport().repaint()
    assert len(thumbnails.requested) == asked

    # the backend method on its own: small, and None is not returned for a picture
    data = window.backend.file_thumbnail(window.detail.entity.ref, first_picture.id, 64)
    with Image.open(io.BytesIO(data)) as small:
        assert max(small.size) == 64
