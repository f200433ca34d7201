"""Every focusable widget of the main window shows that it has the keyboard focus (issue 14): it
looks different focused than not, in the window's own style, on the awork sandbox. A text field is
judged by its edge alone: the text cursor inside it shows up either way."""

from __future__ import annotations

import pytest
from PySide6.QtCore import Qt
from PySide6.QtGui import QGuiApplication, QImage
from PySide6.QtWidgets import QAbstractSpinBox, QApplication, QLineEdit, QPlainTextEdit, QTextEdit, QWidget
from ui_helpers import shown_window

EDGE = 2  # pixels: where the theme's :focus borders are drawn


TEXT_FIELDS = (QLineEdit, QAbstractSpinBox, QTextEdit, QPlainTextEdit)


def picture(widget: QWidget) -> list[int]:
    """The widget's pixels as painted now; of a text field, only its outer ring (where the theme's
    :focus border is), because a text cursor inside is no focus indication of the theme's."""
    image = widget.grab().toImage().convertToFormat(QImage.Format.Format_RGB32)
    width, height = image.width(), image.height()
    if not isinstance(widget, TEXT_FIELDS):
        return [image.pixel(x, y) for y in range(height) for x in range(width)]
    return [
        image.pixel(x, y)
        for y in range(height)
        for x in range(width)
        if x < EDGE or y < EDGE or x >= width - EDGE or y >= height - EDGE
    ]


def focusable(window) -> list[QWidget]:
    """What Tab can reach: shown, enabled, taking focus from the keyboard."""
    return [
        widget
        for widget in window.findChildren(QWidget)
        if widget.isVisible()
        and widget.isEnabled()
        and widget.focusPolicy() & Qt.FocusPolicy.TabFocus == Qt.FocusPolicy.TabFocus
        and widget.width() > 2 * EDGE
        and widget.height() > 2 * EDGE
        and widget.focusProxy() is None
    ]


def describe(widget: QWidget) -> str:
    return f"{type(widget).__name__}({widget.objectName() or widget.accessibleName() or widget.toolTip()!r})"


@pytest.fixture
def steady_cursor():
    """A text cursor that does not blink: nothing changes between two pictures but the focus."""
    flash = QApplication.cursorFlashTime()
    QApplication.setCursorFlashTime(0)
    yield
    QApplication.setCursorFlashTime(flash)


def test_every_focusable_widget_of_the_window_shows_its_focus(
    make_window, qtbot, make_backend, awork_sandbox, steady_cursor
):
    window = shown_window(make_window, make_backend(awork_sandbox))
    qtbot.waitUntil(lambda: window.list_model.rowCount() > 0, timeout=20_000)
    window.list_view.setCurrentIndex(window.list_view.model().index(0, 0))  # the detail pane fills in
    qtbot.waitUntil(lambda: window.selected_entity() is not None, timeout=10_000)
    window.transfers_dock.show()  # its list and buttons too
    window.activateWindow()
    qtbot.waitUntil(lambda: QGuiApplication.focusWindow() is window.windowHandle(), timeout=10_000)
    widgets = focusable(window)
    names = {widget.objectName() for widget in widgets}
    assert {"SearchField", "EntityList", "KindsView", "TransfersView", "AccountSwitcher"} <= names
    unseen = []
    for widget in widgets:
        window.setFocus(Qt.FocusReason.OtherFocusReason)  # nothing of the widget's has the focus
        assert not widget.hasFocus()
        before = picture(widget)
        widget.setFocus(Qt.FocusReason.TabFocusReason)
        assert widget.hasFocus(), describe(widget)
        if picture(widget) == before:
            unseen.append(describe(widget))
    assert unseen == []
