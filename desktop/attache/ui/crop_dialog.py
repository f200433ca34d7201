"""The crop step before a picture goes to an image slot: move, zoom and turn it inside a circle.

awork shows profile images round, so the dialog shows the picture under a circular window (a
rounded square for companies, projects and workspaces, as the detail pane shows them) and
uploads the square around it, as the web app's avatar editor does.

- The preview is decoded on a worker (`decode_preview`, at the screen's size × its pixel ratio);
  Enter works before it has arrived: the default crop needs no pixels.
- The upload is rendered on a worker from the full picture (`crop_for_upload`: upright, sRGB,
  at most 512 px) into a file under the cache folder, which then goes through the image slot's
  queue like any dropped file.
- Users who just drop and go tick "Always upload without cropping" (remembered; the picture's
  context menu turns cropping back on) or press "Use whole image" for this one picture.

Keyboard: arrows move the picture (Shift: further), + and − zoom, R turns it clockwise (Shift+R
anticlockwise), 0 resets, Enter uploads, Esc cancels.
"""

from __future__ import annotations

import math
import os
import shutil
import time
import uuid
from collections.abc import Callable
from dataclasses import replace
from itertools import pairwise
from pathlib import Path

from PySide6.QtCore import QPointF, QRectF, QSize, Qt, Signal
from PySide6.QtGui import QColor, QGuiApplication, QImage, QPainter, QPainterPath, QPen
from PySide6.QtWidgets import (
    QCheckBox,
    QDialog,
    QHBoxLayout,
    QLabel,
    QPushButton,
    QSlider,
    QToolButton,
    QVBoxLayout,
    QWidget,
)

from attache.images.crop import (
    MAX_ZOOM,
    WORKING_SIZE,
    Crop,
    clamp_crop,
    cos_sin,
    crop_square,
    default_crop,
    rotated_size,
)
from attache.ui import tasks, theme
from attache.ui.plain import plain_label
from attache.ui.settings import crop_skipped, set_crop_skipped

ZOOM_STEP = 1.25  # one + or − key press
WHEEL_STEP = 1.12  # one notch of a mouse wheel
PAN_STEP = 10  # screen pixels per arrow key press; Shift: five times as far
SLIDER_STEPS = 1000
SMALL_SIDE = 256  # a picture smaller than this is said to be small before it is uploaded
CROP_FOLDER = "crops"
KEEP_CROPS_SECONDS = 14 * 24 * 3600  # long enough for a queued upload to wait for a connection


# ---------------------------------------------------------------------- the canvas


class CropCanvas(QWidget):
    """The picture under a fixed circle; dragging moves the picture, the wheel zooms it."""

    cropChanged = Signal()

    MARGIN = 26

    def __init__(self, parent=None, *, round_shape: bool = True) -> None:
        super().__init__(parent)
        self.setObjectName("CropCanvas")
        self.setAccessibleName("Crop area")
        self.setAccessibleDescription("Arrow keys move the picture, plus and minus zoom, R turns it")
        self.setFocusPolicy(Qt.FocusPolicy.StrongFocus)
        self.setMinimumSize(320, 320)
        self.setCursor(Qt.CursorShape.OpenHandCursor)
        self.round_shape = round_shape
        self.message = "Loading the picture…"
        self._image: QImage | None = None
        self._levels: dict[int, QImage] = {}  # the picture halved k times, for smooth small views
        self._crop = default_crop()
        self._drag: QPointF | None = None

    def sizeHint(self) -> QSize:
        return QSize(460, 460)

    # ---- state

    def set_image(self, image: QImage) -> None:
        self._image = image
        self._levels = {}
        self.message = ""
        self.set_crop(self._crop)

    def set_message(self, text: str) -> None:
        self._image = None
        self._levels = {}
        self.message = text
        self.update()

    def has_image(self) -> bool:
        return self._image is not None

    @property
    def crop(self) -> Crop:
        return self._crop

    def set_crop(self, crop: Crop) -> None:
        if self._image is not None:
            crop = clamp_crop(crop, self._image.width(), self._image.height())
        else:
            crop = replace(crop, zoom=min(max(crop.zoom, 1.0), MAX_ZOOM), rotation=crop.rotation % 360)
        self._crop = crop
        self.update()
        self.cropChanged.emit()

    def circle_rect(self) -> QRectF:
        side = max(40.0, min(self.width(), self.height()) - 2.0 * self.MARGIN)
        return QRectF((self.width() - side) / 2, (self.height() - side) / 2, side, side)

    def _scale(self) -> float:
        """Screen pixels per preview pixel."""
        _, _, side = crop_square(self._crop, self._image.width(), self._image.height())
        return self.circle_rect().width() / side

    # ---- moves

    def pan_by(self, dx: float, dy: float) -> None:
        """Move the picture by (dx, dy) screen pixels, as a drag does."""
        if self._image is None:
            return
        crop, scale = self._crop, self._scale()
        view_width, view_height = rotated_size(self._image.width(), self._image.height(), crop.rotation)
        x = crop.centre[0] * view_width - dx / scale
        y = crop.centre[1] * view_height - dy / scale
        self.set_crop(Crop((x / view_width, y / view_height), crop.zoom, crop.rotation))

    def zoom_to(self, zoom: float) -> None:
        self.set_crop(replace(self._crop, zoom=min(max(zoom, 1.0), MAX_ZOOM)))

    def zoom_by(self, factor: float) -> None:
        self.zoom_to(self._crop.zoom * factor)

    def rotate_by(self, degrees: float) -> None:
        """Turn the picture; the part under the circle's centre stays there."""
        crop = self._crop
        if self._image is None:
            self.set_crop(crop.rotated(degrees))
            return
        width, height = self._image.width(), self._image.height()
        view_width, view_height = rotated_size(width, height, crop.rotation)
        dx, dy = crop.centre[0] * view_width - view_width / 2, crop.centre[1] * view_height - view_height / 2
        cos, sin = cos_sin(crop.rotation)
        u, v = cos * dx + sin * dy, -sin * dx + cos * dy  # from the picture's centre, in its own axes
        rotation = (crop.rotation + degrees) % 360
        cos, sin = cos_sin(rotation)
        dx, dy = cos * u - sin * v, sin * u + cos * v
        view_width, view_height = rotated_size(width, height, rotation)
        self.set_crop(
            Crop(((view_width / 2 + dx) / view_width, (view_height / 2 + dy) / view_height), crop.zoom, rotation)
        )

    def reset(self) -> None:
        self.set_crop(default_crop())

    # ---- painting

    def _level(self, device_scale: float) -> QImage:
        """The picture pre-shrunk by halves while it is shown at less than half size: bilinear
        sampling of a large picture at a small scale would shimmer and alias."""
        k = 1
        while device_scale * k * 2 <= 1.0 and k < 64:
            k *= 2
        if k == 1:
            return self._image
        image = self._levels.get(k)
        if image is None:
            source = self._image
            image = source.scaled(
                max(1, source.width() // k),
                max(1, source.height() // k),
                Qt.AspectRatioMode.IgnoreAspectRatio,
                Qt.TransformationMode.SmoothTransformation,
            )
            self._levels[k] = image
        return image

    def mask_path(self, rect: QRectF) -> QPainterPath:
        path = QPainterPath()
        if self.round_shape:
            path.addEllipse(rect)
        else:
            radius = rect.width() * 18 / 128  # as the detail pane's picture
            path.addRoundedRect(rect, radius, radius)
        return path

    def paintEvent(self, event) -> None:
        painter = QPainter(self)
        painter.setRenderHint(QPainter.RenderHint.Antialiasing)
        painter.setRenderHint(QPainter.RenderHint.SmoothPixmapTransform)
        painter.fillRect(self.rect(), QColor("#24272d"))
        circle = self.circle_rect()
        mask = self.mask_path(circle)
        if self._image is not None:
            width, height = self._image.width(), self._image.height()
            crop = self._crop
            left, top, side = crop_square(crop, width, height)
            scale = circle.width() / side
            view_width, view_height = rotated_size(width, height, crop.rotation)
            painter.save()
            painter.translate(circle.center())
            painter.scale(scale, scale)
            painter.translate(-(left + side / 2), -(top + side / 2))
            painter.translate(view_width / 2, view_height / 2)
            painter.rotate(crop.rotation)
            image = self._level(scale * self.devicePixelRatioF())
            painter.drawImage(QRectF(-width / 2, -height / 2, width, height), image, QRectF(image.rect()))
            painter.restore()
            outside = QPainterPath()
            outside.addRect(QRectF(self.rect()))
            painter.fillPath(outside.subtracted(mask), QColor(18, 20, 24, 175))
            painter.setPen(QPen(QColor(255, 255, 255, 235), 2))
            painter.setBrush(Qt.BrushStyle.NoBrush)
            painter.drawPath(mask)
        else:
            painter.setPen(QPen(QColor(255, 255, 255, 90), 1.5, Qt.PenStyle.DashLine))
            painter.setBrush(Qt.BrushStyle.NoBrush)
            painter.drawPath(mask)
            painter.setPen(QColor("#d5d9df"))
            painter.drawText(
                circle.adjusted(30, 0, -30, 0), Qt.AlignmentFlag.AlignCenter | Qt.TextFlag.TextWordWrap, self.message
            )
        if self.hasFocus():
            painter.setPen(QPen(theme.ACCENT, 2))
            painter.setBrush(Qt.BrushStyle.NoBrush)
            painter.drawRect(QRectF(self.rect()).adjusted(1, 1, -1, -1))
        painter.end()

    # ---- input

    def mousePressEvent(self, event) -> None:
        if event.button() == Qt.MouseButton.LeftButton and self._image is not None:
            self._drag = event.position()
            self.setCursor(Qt.CursorShape.ClosedHandCursor)
            event.accept()
            return
        super().mousePressEvent(event)

    def mouseMoveEvent(self, event) -> None:
        if self._drag is not None:
            delta = event.position() - self._drag
            self._drag = event.position()
            self.pan_by(delta.x(), delta.y())
            event.accept()
            return
        super().mouseMoveEvent(event)

    def mouseReleaseEvent(self, event) -> None:
        if self._drag is not None and event.button() == Qt.MouseButton.LeftButton:
            self._drag = None
            self.setCursor(Qt.CursorShape.OpenHandCursor)
            event.accept()
            return
        super().mouseReleaseEvent(event)

    def mouseDoubleClickEvent(self, event) -> None:
        if event.button() == Qt.MouseButton.LeftButton:
            self.reset()
            event.accept()
            return
        super().mouseDoubleClickEvent(event)

    def wheelEvent(self, event) -> None:
        notches = event.angleDelta().y() / 120
        if notches and self._image is not None:
            self.zoom_by(WHEEL_STEP**notches)
            event.accept()
            return
        super().wheelEvent(event)

    def keyPressEvent(self, event) -> None:
        step = PAN_STEP * (5 if event.modifiers() & Qt.KeyboardModifier.ShiftModifier else 1)
        moves = {
            Qt.Key.Key_Left: (-step, 0),
            Qt.Key.Key_Right: (step, 0),
            Qt.Key.Key_Up: (0, -step),
            Qt.Key.Key_Down: (0, step),
        }
        move = moves.get(Qt.Key(event.key()))
        if move is not None:
            self.pan_by(*move)
            event.accept()
            return
        event.ignore()  # +, −, R, Enter and Esc are the dialog's


# ---------------------------------------------------------------------- the dialog


class CropDialog(QDialog):
    """Shows `path` for cropping. After `accepted`, `choice` is "crop" (use `crop`) or "whole"."""

    def __init__(self, path: Path, *, name: str, round_shape: bool = True, parent=None) -> None:
        super().__init__(parent)
        self.setObjectName("CropDialog")
        self.setWindowTitle("Crop picture")
        self.path = path
        self.choice = "crop"
        self.preview = None  # attache.images Preview, once decoded

        self.title = plain_label(f"Picture of {name}", self)
        self.title.setObjectName("CropTitle")
        self.title.setWordWrap(True)
        self.hint = QLabel(
            "Drag to move the picture; scroll or press + and − to zoom; R turns it. "
            "What is inside the circle is what people see."
            if round_shape
            else "Drag to move the picture; scroll or press + and − to zoom; R turns it.",
            self,
        )
        self.hint.setObjectName("Hint")
        self.hint.setWordWrap(True)
        self.canvas = CropCanvas(self, round_shape=round_shape)

        self.rotate_left = self._tool("rotate-left", "Turn anticlockwise (Shift+R)", "Turn anticlockwise")
        self.rotate_left.clicked.connect(lambda: self.canvas.rotate_by(-90))
        self.rotate_right = self._tool("rotate-right", "Turn clockwise (R)", "Turn clockwise")
        self.rotate_right.clicked.connect(lambda: self.canvas.rotate_by(90))
        self.zoom_out = self._tool("zoom-out", "Zoom out (−)", "Zoom out")
        self.zoom_out.clicked.connect(lambda: self.canvas.zoom_by(1 / ZOOM_STEP))
        self.zoom_in = self._tool("zoom-in", "Zoom in (+)", "Zoom in")
        self.zoom_in.clicked.connect(lambda: self.canvas.zoom_by(ZOOM_STEP))
        self.slider = QSlider(Qt.Orientation.Horizontal, self)
        self.slider.setObjectName("ZoomSlider")
        self.slider.setAccessibleName("Zoom")
        self.slider.setRange(0, SLIDER_STEPS)
        self.slider.setPageStep(SLIDER_STEPS // 10)
        self.slider.setSingleStep(SLIDER_STEPS // 50)
        self.slider.valueChanged.connect(self._slider_moved)
        controls = QHBoxLayout()
        controls.setSpacing(6)
        controls.addWidget(self.rotate_left)
        controls.addWidget(self.rotate_right)
        controls.addSpacing(18)
        controls.addWidget(self.zoom_out)
        controls.addWidget(self.slider, 1)
        controls.addWidget(self.zoom_in)

        self.note = plain_label(path.name, self)  # the size joins it once decoded (no jump in the layout)
        self.note.setObjectName("Hint")
        self.note.setWordWrap(True)
        self.skip_box = QCheckBox("Always upload without cropping", self)
        self.skip_box.setToolTip(
            "Pictures you drop or choose go up as they are, without this step. Right-click a picture to crop again."
        )
        self.skip_box.setChecked(crop_skipped())

        self.whole_button = QPushButton("Use whole image", self)
        self.whole_button.setToolTip("Upload the file as it is, without cropping")
        self.whole_button.setAutoDefault(False)
        self.whole_button.clicked.connect(self._use_whole)
        self.cancel_button = QPushButton("Cancel", self)
        self.cancel_button.setAutoDefault(False)
        self.cancel_button.clicked.connect(self.reject)
        self.upload_button = QPushButton("Upload", self)
        self.upload_button.setProperty("primary", True)
        self.upload_button.setDefault(True)
        self.upload_button.setToolTip("Upload the square around the circle (Enter)")
        self.upload_button.clicked.connect(self._upload)
        buttons = QHBoxLayout()
        buttons.addWidget(self.whole_button)
        buttons.addStretch(1)
        buttons.addWidget(self.cancel_button)
        buttons.addWidget(self.upload_button)

        layout = QVBoxLayout(self)
        layout.setContentsMargins(20, 18, 20, 16)
        layout.setSpacing(10)
        layout.addWidget(self.title)
        layout.addWidget(self.hint)
        layout.addWidget(self.canvas, 1)
        layout.addLayout(controls)
        layout.addWidget(self.note)
        layout.addWidget(self.skip_box)
        layout.addSpacing(4)
        layout.addLayout(buttons)

        chain = (
            self.canvas,
            self.rotate_left,
            self.rotate_right,
            self.zoom_out,
            self.slider,
            self.zoom_in,
            self.skip_box,
            self.whole_button,
            self.cancel_button,
            self.upload_button,
        )
        for before, after in pairwise(chain):
            QWidget.setTabOrder(before, after)
        self.canvas.cropChanged.connect(self._crop_changed)
        self._set_controls_enabled(False)
        self.canvas.setFocus(Qt.FocusReason.OtherFocusReason)
        self.resize(520, 660)
        self._load()

    def _tool(self, icon: str, tip: str, accessible: str) -> QToolButton:
        button = QToolButton(self)
        button.setIcon(theme.svg_icon(icon, theme.TEXT, 20))
        button.setIconSize(QSize(20, 20))
        button.setToolTip(tip)
        button.setAccessibleName(accessible)
        button.setAutoRaise(True)
        return button

    # ---- loading

    def _load(self) -> None:
        parent = self.parentWidget()
        screen = parent.screen() if parent is not None else QGuiApplication.primaryScreen()
        size = screen.size() if screen is not None else QSize(1920, 1080)
        ratio = screen.devicePixelRatio() if screen is not None else 1.0
        max_size = max(256, min(max(size.width(), size.height()), int(WORKING_SIZE / ratio)))
        path = self.path

        def decode():
            from attache.images.decode import decode_preview
            from attache.ui.imaging import preview_to_qimage

            preview = decode_preview(path, max_size=max_size, device_pixel_ratio=ratio)
            return preview, preview_to_qimage(preview)

        tasks.run_task(decode, self._loaded, self._failed, owner=self, pool="images")

    def _loaded(self, result) -> None:
        preview, image = result
        self.preview = preview
        self.canvas.set_image(image)
        self._set_controls_enabled(True)
        self._crop_changed()  # zoom out is off at the smallest zoom
        width, height = preview.original_width, preview.original_height
        notes = [f"{self.path.name}, {width:,} × {height:,} pixels."]
        if min(width, height) < SMALL_SIDE:
            notes.append("It is small and may look soft when shown large.")
        if preview.animated:
            notes.append("It is animated: cropping keeps its first frame; “Use whole image” keeps it moving.")
        self.note.setText(" ".join(notes))

    def _failed(self, error: BaseException) -> None:
        from attache.ui.messagebar import error_text

        self.canvas.set_message(error_text(error))
        self._set_controls_enabled(False)
        self.upload_button.setEnabled(False)
        self.whole_button.setDefault(True)

    def _set_controls_enabled(self, enabled: bool) -> None:
        for widget in (self.rotate_left, self.rotate_right, self.zoom_out, self.zoom_in, self.slider):
            widget.setEnabled(enabled)

    # ---- zoom slider ↔ crop

    def _crop_changed(self) -> None:
        zoom = self.canvas.crop.zoom
        value = round(math.log(zoom) / math.log(MAX_ZOOM) * SLIDER_STEPS)
        self.slider.blockSignals(True)
        self.slider.setValue(value)
        self.slider.blockSignals(False)
        self.zoom_out.setEnabled(self.canvas.has_image() and zoom > 1.0 + 1e-6)
        self.zoom_in.setEnabled(self.canvas.has_image() and zoom < MAX_ZOOM - 1e-6)

    def _slider_moved(self, value: int) -> None:
        self.canvas.zoom_to(MAX_ZOOM ** (value / SLIDER_STEPS))

    # ---- keys and results

    def keyPressEvent(self, event) -> None:
        key = event.key()
        shift = bool(event.modifiers() & Qt.KeyboardModifier.ShiftModifier)
        if self.canvas.has_image():
            if key in (Qt.Key.Key_Plus, Qt.Key.Key_Equal):
                self.canvas.zoom_by(ZOOM_STEP)
                return
            if key in (Qt.Key.Key_Minus, Qt.Key.Key_Underscore):
                self.canvas.zoom_by(1 / ZOOM_STEP)
                return
            if key == Qt.Key.Key_R:
                self.canvas.rotate_by(-90 if shift else 90)
                return
            if key == Qt.Key.Key_0:
                self.canvas.reset()
                return
            if key in (Qt.Key.Key_Left, Qt.Key.Key_Right, Qt.Key.Key_Up, Qt.Key.Key_Down):
                self.canvas.keyPressEvent(event)
                return
        super().keyPressEvent(event)

    @property
    def crop(self) -> Crop:
        return self.canvas.crop

    def _remember(self) -> None:
        if self.skip_box.isChecked() != crop_skipped():
            set_crop_skipped(self.skip_box.isChecked())

    def _upload(self) -> None:
        self.choice = "crop"
        self._remember()
        self.accept()

    def _use_whole(self) -> None:
        self.choice = "whole"
        self._remember()
        self.accept()


# ---------------------------------------------------------------------- the flow


def crop_before_upload(
    parent: QWidget,
    path: Path,
    *,
    name: str,
    round_shape: bool,
    mime_types: frozenset[str] | None,
    on_ready: Callable[[Path], None],
    on_error: Callable[[BaseException], None],
) -> CropDialog | None:
    """Ask how to crop `path` (unless the user said never), then call `on_ready(file to upload)`.

    Returns the dialog (window-modal, already open), or None when the picture goes up as is.
    """
    if crop_skipped():
        on_ready(path)
        return None
    dialog = CropDialog(path, name=name, round_shape=round_shape, parent=parent)
    dialog.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)

    def finished(result: int) -> None:
        if result != QDialog.DialogCode.Accepted:
            return
        if dialog.choice == "whole":
            on_ready(path)
            return
        crop = dialog.crop
        tasks.run_task(lambda: write_crop(path, crop, mime_types), on_ready, on_error, owner=parent, pool="images")

    dialog.finished.connect(finished)
    dialog.open()
    return dialog


def write_crop(path: Path, crop: Crop, mime_types: frozenset[str] | None = None, *, folder: Path | None = None) -> Path:
    """Worker: render the crop from the full picture and write it where the upload can read it
    until it is done (a folder of its own, so the file keeps the picture's name)."""
    from attache.images.crop import crop_for_upload

    encoded = crop_for_upload(path, crop, name=path.name, mime_types=mime_types)
    return keep_for_upload(path, encoded.data, encoded.extension, folder=folder)


def keep_for_upload(path: Path, data: bytes, extension: str, *, folder: Path | None = None) -> Path:
    """Worker: write a picture made from `path` (a crop, a conversion) where its upload can read it
    until it is done (a folder of its own, so the file keeps the picture's name)."""
    from attache.core.paths import app_dirs

    folder = folder if folder is not None else app_dirs().cache / CROP_FOLDER
    _sweep(folder)
    target_dir = folder / uuid.uuid4().hex[:16]
    target_dir.mkdir(parents=True, exist_ok=True)
    stem = path.stem.strip() or "picture"
    target = target_dir / f"{stem}{extension}"
    temp = target_dir / f".{uuid.uuid4().hex}.tmp"
    temp.write_bytes(data)
    os.replace(temp, target)
    return target


def _sweep(folder: Path) -> None:
    """Crops from long ago: their uploads finished or were given up."""
    try:
        entries = list(os.scandir(folder))
    except OSError:
        return
    cutoff = time.time() - KEEP_CROPS_SECONDS
    for entry in entries:
        try:
            if entry.is_dir(follow_symlinks=False) and entry.stat().st_mtime < cutoff:
                shutil.rmtree(entry.path, ignore_errors=True)
        except OSError:
            pass


__all__ = [
    "CropCanvas",
    "CropDialog",
    "crop_before_upload",
    "crop_skipped",
    "keep_for_upload",
    "set_crop_skipped",
    "write_crop",
]
