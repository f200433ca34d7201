"""The window against the awork sandbox over real HTTP, uploads through the transfer engine."""

from __future__ import annotations

from pathlib import Path

import pytest
from PySide6.QtCore import QPointF
from PySide6.QtWidgets import QFileDialog
from ui_helpers import accept_crop, drag_and_drop, png_bytes, row_centre

from attache.app.connections import token_connection
from attache.core.models import EntityKind
from attache.transfers import JobState
from attache.ui import plain
from attache.ui.messagebar import ERROR


def _open(make_window, qtbot, server, token=None):
    window = make_window()
    window.show()
    window.open_connection(token_connection("awork", server.base_url, token or server.token, label="awork · sandbox"))
    return window


@pytest.fixture
def window(make_window, qtbot, fresh_awork_sandbox):
    window = _open(make_window, qtbot, fresh_awork_sandbox)
    qtbot.waitUntil(lambda: window.backend is not None and window.list_model.rowCount() > 0, timeout=15_000)
    return window


def _show(window, qtbot, kind: EntityKind) -> None:
    window.show_kind(kind)
    qtbot.waitUntil(lambda: window.list_model.rowCount() > 0 and not window.list_model.loading, timeout=10_000)


def _select_row(window, qtbot, row: int):
    index = window.filter_model.index(row, 0)
    window.list_view.setCurrentIndex(index)
    entity = window.list_model.entity(window.filter_model.mapToSource(index).row())
    qtbot.waitUntil(lambda: window.detail.entity is not None and window.detail.entity.id == entity.id, timeout=2000)
    return entity


def test_three_files_dropped_on_a_task_row_upload_through_the_engine(window, qtbot, tmp_path: Path):
    assert window.engine is not None
    _show(window, qtbot, EntityKind.TASK)
    task = _select_row(window, qtbot, 3)
    files = window.detail.files_model
    qtbot.waitUntil(lambda: not files.loading, timeout=10_000)
    before = {files.file(r).name for r in range(files.rowCount())}
    paths = []
    for i in range(3):
        path = tmp_path / f"minutes-{i}.txt"
        path.write_bytes(f"meeting {i}\n".encode() * (1000 * (i + 1)))
        paths.append(path)
    view = window.list_view
    assert drag_and_drop(view.viewport(), row_centre(view, 3), paths) == (True, True)
    qtbot.waitUntil(lambda: len(window.queue.jobs()) == 3, timeout=10_000)
    assert all(job.engine_id is not None for job in window.queue.jobs())  # journaled
    qtbot.waitUntil(lambda: all(job.state == JobState.DONE for job in window.queue.jobs()), timeout=20_000)
    names = {p.name for p in paths}
    qtbot.waitUntil(lambda: names <= {files.file(r).name for r in range(files.rowCount())}, timeout=10_000)
    assert {files.file(r).name for r in range(files.rowCount())} == before | names
    assert window.detail.entity.id == task.id
    assert window.transfers_dock.isVisible()
    window.transfers.model.tick()
    assert window.transfers.model.index(0, 5).data() == "Done"


def test_an_image_dropped_on_a_user_changes_the_avatar(window, qtbot, tmp_path: Path):
    _show(window, qtbot, EntityKind.USER)
    user = _select_row(window, qtbot, 1)
    slot = window.detail.slot
    image = tmp_path / "portrait.png"
    image.write_bytes(png_bytes((230, 30, 40), 300))
    drag_and_drop(slot, QPointF(slot.rect().center()), [image])
    accept_crop(window, qtbot)

    def shows_red() -> bool:
        picture = slot.grab().toImage()
        colour = picture.pixelColor(picture.width() // 2, picture.height() // 2)
        return colour.red() > 200 and colour.green() < 70 and colour.blue() < 80

    qtbot.waitUntil(shows_red, timeout=20_000)
    # the list row shows the new picture too
    row = window.list_model.row_of(user.id)
    entity = window.list_model.entity(row)
    assert entity.has_image
    qtbot.waitUntil(lambda: window.avatars.lookup(entity, 36)[1] is not None or True, timeout=100)


def test_removing_a_picture_asks_first(window, qtbot, monkeypatch):
    _show(window, qtbot, EntityKind.COMPANY)
    row = next(r for r in range(window.list_model.rowCount()) if window.list_model.entity(r).has_image)
    _select_row(window, qtbot, row)
    assert window.detail.remove_button.isEnabled()
    asked = []
    monkeypatch.setattr(plain, "question", lambda *args, **kwargs: asked.append(args[2]) or True)
    window.detail.remove_button.click()
    assert asked and "Remove the picture" in asked[0]
    qtbot.waitUntil(lambda: not window.detail.entity.has_image, timeout=10_000)
    assert not window.detail.remove_button.isEnabled()


def test_download_and_delete_a_file(window, qtbot, tmp_path: Path, monkeypatch):
    _show(window, qtbot, EntityKind.TASK)
    files = window.detail.files_model
    for row in range(window.filter_model.rowCount()):
        _select_row(window, qtbot, row)
        qtbot.waitUntil(lambda: not files.loading, timeout=10_000)
        if files.rowCount():
            break
    assert files.rowCount(), "the demo workspace has tasks with files"
    record = files.file(0)
    window.detail.files_view.setCurrentIndex(files.index(0, 0))
    target = tmp_path / "saved.bin"
    monkeypatch.setattr(QFileDialog, "getSaveFileName", lambda *args, **kwargs: (str(target), ""))
    window.detail.download_button.click()
    qtbot.waitUntil(lambda: target.exists() and target.stat().st_size == (record.size or 0), timeout=10_000)
    monkeypatch.setattr(plain, "question", lambda *args, **kwargs: True)
    count = files.rowCount()
    window.detail.delete_button.click()
    qtbot.waitUntil(lambda: files.rowCount() == count - 1, timeout=10_000)
    assert record.id not in {files.file(r).id for r in range(files.rowCount())}


def test_search_filters_the_demo_projects(make_window, qtbot, awork_sandbox):
    window = _open(make_window, qtbot, awork_sandbox)
    qtbot.waitUntil(lambda: window.backend is not None and window.list_model.rowCount() > 0, timeout=15_000)
    qtbot.waitUntil(lambda: window.list_model.exhausted, timeout=10_000)
    total = window.filter_model.rowCount()
    first = window.list_model.entity(0).name
    qtbot.keyClicks(window.search, first[:8])
    shown = [window.filter_model.index(r, 0).data() for r in range(window.filter_model.rowCount())]
    assert first in shown and 0 < len(shown) < total


def test_a_wrong_token_shows_in_the_message_bar(make_window, qtbot, awork_sandbox):
    window = _open(make_window, qtbot, awork_sandbox, token="not-the-token")
    qtbot.waitUntil(lambda: window.message_bar.isVisible(), timeout=15_000)
    assert window.message_bar.level == ERROR
    text = window.message_bar.text()
    assert "token" in text.lower() or "sign in" in text.lower() or "api key" in text.lower(), text
    assert "Traceback" not in text
    assert window.pages.currentWidget() is window.empty


def test_the_queue_survives_a_restart(make_window, qtbot, fresh_awork_sandbox, tmp_path: Path):
    first = _open(make_window, qtbot, fresh_awork_sandbox)
    qtbot.waitUntil(lambda: first.backend is not None and first.list_model.rowCount() > 0, timeout=15_000)
    _show(first, qtbot, EntityKind.TASK)
    task = first.list_model.entity(0)
    path = tmp_path / "contract.pdf"
    path.write_bytes(b"%PDF-1.4\n" + b"0" * 50_000)
    first.queue.attach(task.ref, f"Task “{task.name}”", [path])
    qtbot.waitUntil(
        lambda: len(first.queue.jobs()) == 1 and first.queue.jobs()[0].state == JobState.DONE, timeout=15_000
    )
    first._quitting = True
    first.close()

    second = _open(make_window, qtbot, fresh_awork_sandbox)
    qtbot.waitUntil(lambda: second.backend is not None and second.transfers.model.rowCount() == 1, timeout=15_000)
    job = second.queue.jobs()[0]
    assert (job.name, job.state) == ("contract.pdf", JobState.DONE)
    qtbot.waitUntil(lambda: task.name in job.target, timeout=5000)  # the label is looked up again


def test_a_jpeg_cut_short_is_refused_for_a_picture_and_nothing_is_sent(
    window, qtbot, fresh_awork_sandbox, tmp_path: Path
):
    """A photo whose copy broke off at 60 % would show a grey band as an avatar: it is refused,
    with the reason, even when the user goes past the crop step with "Use whole image"."""
    import io

    from PIL import Image

    from attache.ui.crop_dialog import CropDialog

    _show(window, qtbot, EntityKind.USER)
    _select_row(window, qtbot, 1)
    buffer = io.BytesIO()
    Image.effect_mandelbrot((640, 480), (-2.0, -1.2, 1.0, 1.2), 64).convert("RGB").save(buffer, "JPEG", quality=92)
    photo = tmp_path / "portrait.jpg"
    photo.write_bytes(buffer.getvalue()[: int(len(buffer.getvalue()) * 0.6)])
    fresh_awork_sandbox.clear_requests()
    slot = window.detail.slot
    drag_and_drop(slot, QPointF(slot.rect().center()), [photo])

    def refused_or_cropping() -> bool:
        return window.message_bar.isVisible() or any(d.isVisible() for d in window.findChildren(CropDialog))

    qtbot.waitUntil(refused_or_cropping, timeout=10_000)
    for dialog in [d for d in window.findChildren(CropDialog) if d.isVisible()]:
        qtbot.waitUntil(lambda dialog=dialog: "truncated or corrupt" in dialog.canvas.message, timeout=10_000)
        dialog.whole_button.click()
    qtbot.waitUntil(lambda: window.message_bar.isVisible(), timeout=10_000)
    assert window.message_bar.level == ERROR
    assert "portrait.jpg is truncated or corrupt" in window.message_bar.text()
    assert not window.queue.jobs()
    assert not [r for r in fresh_awork_sandbox.requests if r.method in ("POST", "PUT")]
