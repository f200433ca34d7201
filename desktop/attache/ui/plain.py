"""Server text shown as it is: never read as Qt rich text.

Qt reads a label, a tooltip or a message box text as HTML when it looks like HTML
(`Qt.mightBeRichText`): a project named `<b>BOLD</b>` would render bold, `<a href=…>` become a
link and `<img src="/dev/zero">` make Qt read a local file until memory runs out. Every widget
that can show a name, a file name, a workspace or a server's error message takes it from here:

- `plain_label` and `make_plain` give labels the plain text format;
- `literal_tip` makes a tooltip (a widget's or a model's `ToolTipRole`) show its text literally;
- `question` and `message_box` are message boxes whose texts are plain;
- `escape` is for the rare rich text of our own that has server text inside.
"""

from __future__ import annotations

from typing import TypeVar

from PySide6.QtGui import Qt  # QtGui's Qt adds mightBeRichText
from PySide6.QtWidgets import QLabel, QMessageBox, QWidget

PLAIN = Qt.TextFormat.PlainText
Label = TypeVar("Label", bound=QLabel)
_ENTITIES = str.maketrans({"&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#x27;"})


def escape(text: object) -> str:
    """Text for inside our own rich text: every `<`, `>`, `&` and quote as an entity."""
    return str(text).translate(_ENTITIES)  # html.escape's five, without html.entities' import


def make_plain(label: Label) -> Label:
    label.setTextFormat(PLAIN)
    return label


def plain_label(text: str = "", parent: QWidget | None = None) -> QLabel:
    """A label that shows its text as it is, whatever the text looks like."""
    return make_plain(QLabel(text, parent))


def literal_tip(text: str | None) -> str:
    """A tooltip that shows `text` as it is. Qt shows a tooltip that looks like HTML as rich text,
    so such a text goes in escaped, with its line breaks and spaces kept as in plain text."""
    if not text or not Qt.mightBeRichText(text):
        return text or ""
    return f"<p style='white-space:pre'>{escape(text)}</p>"


def message_box(
    icon: QMessageBox.Icon, title: str, text: str, parent: QWidget | None, *, detail: str = ""
) -> QMessageBox:
    """A message box (buttons still to add) whose text and informative text are plain."""
    box = QMessageBox(icon, title, text, QMessageBox.StandardButton.NoButton, parent)
    box.setTextFormat(PLAIN)
    if detail:
        box.setInformativeText(detail)
        informative = box.findChild(QLabel, "qt_msgbox_informativelabel")
        if informative is not None:
            informative.setTextFormat(PLAIN)
    return box


def question(parent: QWidget | None, title: str, text: str) -> bool:
    """Ask Yes or Cancel (Cancel the default) with plain text; True for Yes."""
    box = message_box(QMessageBox.Icon.Question, title, text, parent)
    box.setStandardButtons(QMessageBox.StandardButton.Yes | QMessageBox.StandardButton.Cancel)
    box.setDefaultButton(QMessageBox.StandardButton.Cancel)
    return box.exec() == QMessageBox.StandardButton.Yes


def choose(
    parent: QWidget | None, title: str, text: str, options: list[str], *, for_all: str = ""
) -> tuple[str | None, bool]:
    """Ask for one of `options` (buttons, the last one the default) with plain text; the option
    chosen (None when the box was closed) and whether the `for_all` check box was ticked."""
    box = message_box(QMessageBox.Icon.Question, title, text, parent)
    buttons = {box.addButton(option, QMessageBox.ButtonRole.AcceptRole): option for option in options}
    box.setDefaultButton(list(buttons)[-1])
    check = None
    if for_all:
        from PySide6.QtWidgets import QCheckBox

        check = QCheckBox(for_all, box)
        box.setCheckBox(check)
    box.exec()
    return buttons.get(box.clickedButton()), bool(check is not None and check.isChecked())
