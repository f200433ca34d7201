"""“Filed as: <template> ▾” above an entity's files, where the service files uploads under a
template (`Capability.FILE_TEMPLATES`): which one the next drop takes, and a menu to choose another.

The templates are listed on a worker; a choice is applied and remembered on a worker too.
"""

from __future__ import annotations

import logging

from PySide6.QtCore import Qt, Signal
from PySide6.QtGui import QAction, QActionGroup
from PySide6.QtWidgets import QMenu, QToolButton

from attache.core.errors import FileTemplateGoneError
from attache.core.models import FileTemplate
from attache.ui import tasks
from attache.ui.plain import literal_tip

log = logging.getLogger(__name__)

NAME_CHARS = 32  # a longer template name is elided on the button (whole in the menu and tooltip)


def _menu_text(text: str) -> str:
    return text.replace("&", "&&")  # the server's name, not a shortcut


class FileTemplateButton(QToolButton):
    """The template uploads are filed under, and the menu that changes it (two clicks)."""

    failed = Signal(object)  # an AttacheError: the chosen template is gone, or a choice failed
    chosen = Signal(str)  # the name of the template the next uploads take

    def __init__(self, parent=None) -> None:
        super().__init__(parent)
        self.setObjectName("FileTemplateButton")
        self.setAccessibleName("Template of new files")
        self.setAutoRaise(True)
        self.setToolButtonStyle(Qt.ToolButtonStyle.ToolButtonTextOnly)
        self.setPopupMode(QToolButton.ToolButtonPopupMode.InstantPopup)
        self.setStyleSheet("QToolButton::menu-indicator { image: none; width: 0px; }")  # "▾" is in the text
        self.session = None
        self.templates: list[FileTemplate] = []
        self.gone = ""  # the chosen template's id, when the service no longer has it
        self._loaded_for = None  # the backend the list came from
        self._menu = QMenu(self)
        self.setMenu(self._menu)
        self._show("Filed as: …", "Looking up the templates new files are filed under…")

    def observe(self, session) -> None:
        self.session = session
        session.changed.connect(self._session_changed)

    def _session_changed(self) -> None:
        self.templates, self.gone, self._loaded_for = [], "", None
        self._menu.clear()
        self._show("Filed as: …", "Looking up the templates new files are filed under…")

    def in_use(self) -> FileTemplate | None:
        return next((template for template in self.templates if template.in_use), None)

    # ------------------------------------------------------------------ listing

    def ensure_loaded(self) -> None:
        """List the templates once per backend (the pane shows this button)."""
        backend = self.session.backend if self.session is not None else None
        if backend is not None and self._loaded_for is not backend:
            self.load()

    def load(self) -> None:
        backend = self.session.backend if self.session is not None else None
        if backend is None:
            return
        self._loaded_for = backend

        def listed(templates: list[FileTemplate]) -> None:
            if backend is self.session.backend:
                self._set_templates(templates, gone="")

        def refused(error: BaseException) -> None:
            if backend is not self.session.backend:
                return
            if isinstance(error, FileTemplateGoneError):
                self._set_templates(error.templates, gone=error.template)
                self.failed.emit(error)
            else:
                log.info("could not list the file templates: %s", error)
                self._loaded_for = None  # try again next time the pane shows
                self._show("Filed as: ? ▾", f"The templates could not be listed: {error}")

        tasks.run_task(backend.file_templates, listed, refused, owner=self)

    def _set_templates(self, templates: list[FileTemplate], *, gone: str) -> None:
        self.templates, self.gone = list(templates), gone
        self._menu.clear()
        group = QActionGroup(self._menu)
        group.setExclusive(True)
        for template in self.templates:
            action = QAction(_menu_text(template.name), self._menu)
            action.setCheckable(True)
            action.setChecked(template.in_use)
            action.triggered.connect(lambda _checked=False, t=template: self.choose(t.id, t.name))
            group.addAction(action)
            self._menu.addAction(action)
        if not self.templates:
            empty = self._menu.addAction("No templates to choose from")
            empty.setEnabled(False)
        self._menu.addSeparator()
        service = self.session.service_name if self.session is not None else "the service"
        self._menu.addAction(f"Use {_menu_text(service)}'s default", lambda: self.choose("", f"{service}'s default"))
        current = self.in_use()
        if gone:
            self._show(
                f"Filed as: template {gone} (deleted) ▾",
                "The template chosen for new files was deleted: choose another",
            )
        elif current is not None:
            name = current.name if len(current.name) <= NAME_CHARS else current.name[: NAME_CHARS - 1] + "…"
            self._show(
                f"Filed as: {name} ▾",
                f"New files are filed under the template “{current.name}”; click to choose another",
            )
        else:
            self._show("Filed as: — ▾", "No template to file new files under")

    def _show(self, text: str, tip: str) -> None:
        self.setText(_menu_text(text))
        self.setToolTip(literal_tip(tip))
        self.setAccessibleDescription(tip)

    # ------------------------------------------------------------------ choosing

    def choose(self, template_id: str, name: str) -> None:
        session = self.session
        backend = session.backend if session is not None else None
        if backend is None or session.connection is None:
            return
        from attache.app.file_templates import choose_file_template

        connection, engine = session.connection, session.engine

        def done(_) -> None:
            if backend is session.backend:
                self.load()
                self.chosen.emit(name)

        tasks.run_task(
            lambda: choose_file_template(connection, backend, engine, template_id), done, self.failed.emit, owner=self
        )
