"""The fields of a user-name-and-password sign-in, for services whose registry entry offers one:
the user name (or e-mail), the password, "remember my password", and the one-time code a
two-factor portal asks for after the password was right."""

from __future__ import annotations

from dataclasses import dataclass

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import QCheckBox, QFormLayout, QLabel, QLineEdit, QWidget


@dataclass(frozen=True, slots=True)
class PasswordInput:
    user: str
    password: str
    code: str | None  # None until the service asked for one
    remember: bool


class PasswordFields(QWidget):
    changed = Signal()  # something was typed: the dialog updates its buttons

    def __init__(self, parent: QWidget | None = None, *, user: str = "") -> None:
        super().__init__(parent)
        self.user = QLineEdit(user, self)
        self.user.setAccessibleName("User name or e-mail")
        self.user.setPlaceholderText("name@example.com")
        self.password = QLineEdit(self)
        self.password.setEchoMode(QLineEdit.EchoMode.Password)
        self.password.setAccessibleName("Password")
        self.remember = QCheckBox(self)
        self.remember.setToolTip(
            "The password is kept in your password manager with the token, never in a file. "
            "Without it, Attaché asks you to sign in again when the token expires."
        )
        self.code = QLineEdit(self)
        self.code.setAccessibleName("Two-factor code")
        self.code.setPlaceholderText("123456")
        self.code_hint = QLabel(self)
        self.code_hint.setObjectName("Hint")
        self.code_hint.setWordWrap(True)
        self.code_hint.setTextFormat(Qt.TextFormat.PlainText)  # it may quote the server (a masked phone)
        self.labels = [QLabel(text, self) for text in ("&User:", "&Password:", "&Code:")]
        form = QFormLayout(self)
        form.setContentsMargins(0, 0, 0, 0)
        form.setHorizontalSpacing(14)
        form.setVerticalSpacing(8)
        for label, field in zip(self.labels, (self.user, self.password, self.code), strict=True):
            label.setBuddy(field)
        form.addRow(self.labels[0], self.user)
        form.addRow(self.labels[1], self.password)
        form.addRow("", self.remember)
        form.addRow(self.labels[2], self.code)
        form.addRow("", self.code_hint)
        self._form = form
        self._show_code(False)
        for field in (self.user, self.password, self.code):
            field.textChanged.connect(self.changed)

    def set_remember_text(self, text: str) -> None:
        """The service's words for "remember my password"; "" where the password is the sign-in
        itself (always kept), so there is nothing to choose."""
        self.remember.setText(text)
        self._form.setRowVisible(self.remember, bool(text))
        if not text:
            self.remember.setChecked(False)

    def _show_code(self, shown: bool) -> None:
        for widget in (self.labels[2], self.code, self.code_hint):
            widget.setVisible(shown)

    def ask_code(self, prompt: str) -> None:
        """The password was right; the portal wants a one-time code now."""
        self._show_code(True)
        self.code_hint.setText(prompt)
        self.code.clear()
        self.code.setFocus()

    @property
    def asking_code(self) -> bool:
        return not self.code.isHidden()

    def complete(self) -> bool:
        """Everything the next step needs is typed."""
        filled = bool(self.user.text().strip()) and bool(self.password.text())
        return filled and (not self.asking_code or bool(self.code.text().strip()))

    def value(self) -> PasswordInput:
        code = self.code.text().strip() if self.asking_code else None
        return PasswordInput(self.user.text().strip(), self.password.text(), code or None, self.remember.isChecked())

    def set_enabled(self, enabled: bool) -> None:
        for field in (self.user, self.password, self.remember, self.code):
            field.setEnabled(enabled)
