"""The crop dialog: pan, zoom and turn a picture of four coloured quadrants, then check the pixels
of the file it hands over for upload."""

from __future__ import annotations

from pathlib import Path

import pytest
from PIL import Image
from PySide6.QtCore import QPoint, Qt
from PySide6.QtWidgets import QDialog, QWidget
from ui_helpers import shown_window

from attache.ui.crop_dialog import CropDialog, crop_before_upload, crop_skipped, set_crop_skipped

RED, GREEN, BLUE, YELLOW = (220, 30, 30), (30, 170, 60), (40, 70, 220), (240, 210, 40)
NAMES = {RED: "red", GREEN: "green", BLUE: "blue", YELLOW: "yellow"}


def quadrants(path: Path, width: int = 400, height: int = 300) -> Path:
    """Top left red, top right green, bottom left blue, bottom right yellow."""
    image = Image.new("RGB", (width, height))
    for box, colour in (
        ((0, 0, width // 2, height // 2), RED),
        ((width // 2, 0, width, height // 2), GREEN),
        ((0, height // 2, width // 2, height), BLUE),
        ((width // 2, height // 2, width, height), YELLOW),
    ):
        image.paste(colour, box)
    image.save(path, "PNG")
    return path


def colour_at(image: Image.Image, x: float, y: float) -> str:
    """The quadrant colour nearest to the pixel at (x, y) as fractions of the image."""
    pixel = image.convert("RGB").getpixel(
        (min(image.width - 1, int(x * image.width)), min(image.height - 1, int(y * image.height)))
    )
    nearest = min(NAMES, key=lambda c: sum((a - b) ** 2 for a, b in zip(c, pixel, strict=True)))
    assert sum((a - b) ** 2 for a, b in zip(nearest, pixel, strict=True)) < 40**2, pixel
    return NAMES[nearest]


def corners(image: Image.Image) -> tuple[str, str, str, str]:
    """(top left, top right, bottom left, bottom right), just inside the edges."""
    return (
        colour_at(image, 0.04, 0.04),
        colour_at(image, 0.96, 0.04),
        colour_at(image, 0.04, 0.96),
        colour_at(image, 0.96, 0.96),
    )


@pytest.fixture
def parent(app, qtbot):
    widget = QWidget()
    widget.resize(900, 700)
    qtbot.addWidget(widget)
    widget.show()
    return widget


@pytest.fixture
def picture(tmp_path: Path) -> Path:
    return quadrants(tmp_path / "portrait.png")


@pytest.fixture
def open_crop(parent, qtbot):
    """Open the dialog through the real flow; returns (dialog, results list, errors list)."""

    def open_it(path: Path, *, round_shape: bool = True):
        ready: list[Path] = []
        errors: list[BaseException] = []
        dialog = crop_before_upload(
            parent,
            path,
            name="Ada Lovelace",
            round_shape=round_shape,
            mime_types=frozenset({"image/png", "image/jpeg"}),
            on_ready=ready.append,
            on_error=errors.append,
        )
        if dialog is not None:
            qtbot.waitUntil(lambda: dialog.canvas.has_image() or not dialog.upload_button.isEnabled(), timeout=5000)
        return dialog, ready, errors

    return open_it


def _uploaded(qtbot, ready, errors) -> Image.Image:
    qtbot.waitUntil(lambda: bool(ready or errors), timeout=5000)
    assert not errors, errors
    path = ready[0]
    assert path.parent.parent.name == "crops" and path.name == "portrait.jpg"
    with Image.open(path) as image:
        image.load()
        return image


def test_enter_uploads_the_centred_square(open_crop, qtbot, picture):
    dialog, ready, errors = open_crop(picture)
    assert dialog.isVisible() and dialog.canvas.hasFocus()
    qtbot.keyClick(dialog.canvas, Qt.Key.Key_Return)
    image = _uploaded(qtbot, ready, errors)
    assert image.size == (300, 300)  # the shorter side, never enlarged past the source
    assert corners(image) == ("red", "green", "blue", "yellow")


def test_zoom_and_drag_select_one_quadrant(open_crop, qtbot, picture):
    dialog, ready, errors = open_crop(picture)
    dialog.slider.setValue(333)  # 8 ** (333 / 1000) ≈ 2×: a square half the height
    assert dialog.crop.zoom == pytest.approx(2.0, rel=0.01)
    canvas = dialog.canvas
    centre = canvas.rect().center()
    qtbot.mousePress(canvas, Qt.MouseButton.LeftButton, pos=centre)
    for step in range(1, 11):  # drag the picture right and down: its top left comes into the circle
        qtbot.mouseMove(canvas, centre + QPoint(40 * step, 40 * step))
    qtbot.mouseRelease(canvas, Qt.MouseButton.LeftButton, pos=centre + QPoint(400, 400))
    assert dialog.crop.centre[0] < 0.5 and dialog.crop.centre[1] < 0.5
    dialog.upload_button.click()
    image = _uploaded(qtbot, ready, errors)
    assert corners(image) == ("red",) * 4
    assert colour_at(image, 0.5, 0.5) == "red"


def test_r_turns_the_picture_clockwise(open_crop, qtbot, picture):
    dialog, ready, errors = open_crop(picture)
    qtbot.keyClick(dialog.canvas, Qt.Key.Key_R)
    assert dialog.crop.rotation == 90
    qtbot.keyClick(dialog.canvas, Qt.Key.Key_Return)
    image = _uploaded(qtbot, ready, errors)
    # turned clockwise, the left side (red over blue) is now on top, blue on the left
    assert corners(image) == ("blue", "red", "yellow", "green")


def test_keyboard_only_zoom_and_pan(open_crop, qtbot, picture):
    dialog, ready, errors = open_crop(picture)
    canvas = dialog.canvas
    for _ in range(4):
        qtbot.keyClick(canvas, Qt.Key.Key_Plus)
    assert dialog.crop.zoom == pytest.approx(1.25**4, rel=0.01)
    assert dialog.slider.value() == round(1000 * 4 * 0.10730936)  # log8(1.25⁴): the slider follows
    for _ in range(30):  # the picture moves left and up: its bottom right comes into view
        qtbot.keyClick(canvas, Qt.Key.Key_Left, Qt.KeyboardModifier.ShiftModifier)
        qtbot.keyClick(canvas, Qt.Key.Key_Up, Qt.KeyboardModifier.ShiftModifier)
    qtbot.keyClick(canvas, Qt.Key.Key_Minus)
    assert dialog.crop.zoom == pytest.approx(1.25**3, rel=0.01)
    qtbot.keyClick(canvas, Qt.Key.Key_Return)
    image = _uploaded(qtbot, ready, errors)
    assert corners(image) == ("yellow",) * 4


def test_turning_keeps_the_same_spot_under_the_circle(open_crop, qtbot, picture):
    dialog, *_ = open_crop(picture)
    dialog.canvas.zoom_to(2.0)
    dialog.canvas.pan_by(1000, 1000)  # top left quadrant
    for _ in range(4):
        dialog.canvas.rotate_by(90)
        assert dialog.crop.rotation in (90, 180, 270, 0)
        # the red quadrant stays in the circle whichever way up
        image = dialog.canvas.grab().toImage()
        centre = image.pixelColor(image.width() // 2, image.height() // 2)
        assert (centre.red(), centre.green(), centre.blue()) == RED
    dialog.reject()


def test_escape_cancels(open_crop, qtbot, picture):
    dialog, ready, errors = open_crop(picture)
    with qtbot.waitSignal(dialog.finished, timeout=2000) as finished:
        qtbot.keyClick(dialog.canvas, Qt.Key.Key_Escape)
    assert finished.args == [QDialog.DialogCode.Rejected.value]
    qtbot.wait(50)
    assert ready == [] and errors == []


def test_use_whole_image_and_always_skip(open_crop, qtbot, picture):
    assert not crop_skipped()
    dialog, ready, _errors = open_crop(picture)
    dialog.skip_box.setChecked(True)
    dialog.whole_button.click()
    assert ready == [picture]  # the file itself, untouched
    assert crop_skipped()
    again, ready, _errors = open_crop(picture)
    assert again is None and ready == [picture]  # drop and go: no dialog at all
    set_crop_skipped(False)
    third, *_ = open_crop(picture)
    assert isinstance(third, CropDialog)
    third.reject()


def test_a_broken_picture_says_why_and_can_still_go_whole(open_crop, qtbot, tmp_path: Path, picture):
    broken = tmp_path / "broken.png"
    broken.write_bytes(picture.read_bytes()[:300])
    dialog, _ready, _errors = open_crop(broken)
    qtbot.waitUntil(lambda: "truncated or corrupt" in dialog.canvas.message, timeout=5000)
    assert not dialog.upload_button.isEnabled() and dialog.whole_button.isEnabled()
    assert not dialog.slider.isEnabled()
    dialog.reject()


def test_animated_and_small_pictures_get_a_note(open_crop, qtbot, tmp_path: Path):
    path = tmp_path / "wave.gif"
    frames = [Image.new("RGB", (120, 100), colour) for colour in (RED, GREEN)]
    frames[0].save(path, save_all=True, append_images=frames[1:], duration=100, loop=0)
    dialog, *_ = open_crop(path)
    assert dialog.note.isVisibleTo(dialog)
    assert dialog.note.text().startswith("wave.gif, 120 × 100 pixels. It is small")
    assert "animated" in dialog.note.text()
    dialog.reject()


def test_companies_get_a_rounded_square(open_crop, qtbot, picture):
    dialog, *_ = open_crop(picture, round_shape=False)
    canvas = dialog.canvas
    image = canvas.grab().toImage()
    circle = canvas.circle_rect()
    # just inside the square's corner: bright under a square mask, dimmed under a circle
    x, y = int(circle.left() + circle.width() * 0.1), int(circle.top() + circle.height() * 0.1)
    colour = image.pixelColor(x, y)
    assert (colour.red(), colour.green(), colour.blue()) == RED
    dialog.reject()


@pytest.mark.qt_log_ignore("does not support grabbing the keyboard")  # a popup menu, offscreen
def test_the_pictures_context_menu_turns_cropping_back_on(awork_sandbox, make_backend, make_window, qtbot):
    from PySide6.QtCore import QPoint, QTimer
    from PySide6.QtGui import QContextMenuEvent
    from PySide6.QtWidgets import QApplication
    from ui_helpers import store_count

    from attache.core.models import EntityKind

    backend = make_backend(awork_sandbox)
    window = shown_window(make_window, backend)
    window.show_kind(EntityKind.USER)
    users = store_count(awork_sandbox, "users", "is_archived = 0")
    qtbot.waitUntil(lambda: window.list_model.rowCount() == users, timeout=5000)
    user = window.list_model.entity(1)
    assert window.select_entity(user.id)
    qtbot.waitUntil(lambda: window.detail.entity is not None and window.detail.entity.id == user.id, timeout=2000)
    slot = window.detail.slot
    assert slot.editable
    set_crop_skipped(True)
    seen = []

    def choose() -> None:
        menu = QApplication.activePopupWidget()
        action = next(a for a in menu.actions() if a.text() == "Crop pictures before uploading")
        seen.append(action.isChecked())
        action.trigger()
        menu.close()

    QTimer.singleShot(50, choose)
    QApplication.sendEvent(
        slot, QContextMenuEvent(QContextMenuEvent.Reason.Keyboard, QPoint(10, 10), slot.mapToGlobal(QPoint(10, 10)))
    )
    assert seen == [False] and not crop_skipped()


def test_tab_goes_through_the_controls_in_visual_order(open_crop, qtbot, picture):
    dialog, *_ = open_crop(picture)
    order = []
    widget = dialog.canvas
    for _ in range(10):
        order.append(widget)
        widget = widget.nextInFocusChain()
        while not (widget.focusPolicy() & Qt.FocusPolicy.TabFocus) or not widget.isEnabled():
            widget = widget.nextInFocusChain()
    assert not dialog.zoom_out.isEnabled()  # already as far out as it goes
    assert order[:9] == [
        dialog.canvas,
        dialog.rotate_left,
        dialog.rotate_right,
        dialog.slider,
        dialog.zoom_in,
        dialog.skip_box,
        dialog.whole_button,
        dialog.cancel_button,
        dialog.upload_button,
    ]
    dialog.reject()
