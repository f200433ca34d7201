"""Where files opened with Attaché go: a dialog listing the account's tasks, projects, companies,
… with a search field; the choice is an entity, and whether the file becomes its picture.

The list is the window's own model (paged on a worker, searched on the service when it can), so
the picker shows what the sidebar would.
"""

from __future__ import annotations

import mimetypes
from pathlib import Path

from PySide6.QtCore import QModelIndex, QTimer, Signal
from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QDialog,
    QDialogButtonBox,
    QHBoxLayout,
    QLineEdit,
    QPushButton,
    QVBoxLayout,
)

from attache.core.capabilities import Capability
from attache.core.models import Entity, EntityKind
from attache.ui import theme
from attache.ui.browse import EntityListView
from attache.ui.models import EntityFilterModel, EntityListModel, EntityRole
from attache.ui.plain import literal_tip, plain_label

SEARCH_DELAY_MS = 300


def files_text(paths: list[Path]) -> str:
    names = ", ".join(path.name for path in paths[:3]) + (f" and {len(paths) - 3} more" if len(paths) > 3 else "")
    return f"{len(paths)} file{'s' if len(paths) != 1 else ''}: {names}"


def target_kinds(session) -> list[EntityKind]:
    """The kinds a file can go to: attached, or set as the picture."""
    return [
        kind
        for kind in session.service.kinds()
        if session.can(kind, Capability.ATTACH_FILE) or session.can(kind, Capability.SET_IMAGE)
    ]


class TargetPicker(QDialog):
    chosen = Signal(object, bool)  # the entity, and whether the file is its picture

    def __init__(self, session, avatars, paths: list[Path], parent=None) -> None:
        super().__init__(parent)
        self.setObjectName("TargetPicker")
        self.setWindowTitle("Attach with Attaché")
        self.session, self.paths = session, list(paths)
        self.resize(520, 560)
        layout = QVBoxLayout(self)
        title = plain_label("Where should these go?", self)
        title.setObjectName("CropTitle")
        layout.addWidget(title)
        self.files_label = plain_label(files_text(self.paths), self)
        self.files_label.setObjectName("Hint")
        self.files_label.setWordWrap(True)
        layout.addWidget(self.files_label)

        row = QHBoxLayout()
        self.kind_box = QComboBox(self)
        self.kind_box.setAccessibleName("Kind")
        self.kinds = target_kinds(session)  # by row: Qt would hand a str-valued enum back as a str
        for kind in self.kinds:
            self.kind_box.addItem(theme.kind_icon(kind), kind.label)
        self.search = QLineEdit(self)
        self.search.setObjectName("SearchField")
        self.search.setClearButtonEnabled(True)
        self.search.setAccessibleName("Search")
        self.search.addAction(theme.svg_icon("search", theme.MUTED, 16), QLineEdit.ActionPosition.LeadingPosition)
        row.addWidget(self.kind_box)
        row.addWidget(self.search, 1)
        layout.addLayout(row)

        self.list_model = EntityListModel(self)
        self.filter_model = EntityFilterModel(self)
        self.filter_model.setSourceModel(self.list_model)
        self.list_view = EntityListView(avatars, self)
        self.list_view.setModel(self.filter_model)
        self.list_view.setAcceptDrops(False)
        layout.addWidget(self.list_view, 1)
        self.count = plain_label("", self)
        self.count.setObjectName("Hint")
        layout.addWidget(self.count)

        self.as_picture = QCheckBox("Use it as the picture", self)
        layout.addWidget(self.as_picture)
        self.buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Cancel, self)
        self.ok_button = QPushButton("Attach", self)
        self.ok_button.setProperty("primary", True)  # before the style sheet first sees it
        self.buttons.addButton(self.ok_button, QDialogButtonBox.ButtonRole.AcceptRole)
        self.buttons.accepted.connect(self.accept)
        self.buttons.rejected.connect(self.reject)
        layout.addWidget(self.buttons)

        self.search_timer = QTimer(self)
        self.search_timer.setSingleShot(True)
        self.search_timer.setInterval(SEARCH_DELAY_MS)
        self.search_timer.timeout.connect(self._search_on_server)
        self.search.textChanged.connect(self._search_changed)
        self.kind_box.currentIndexChanged.connect(lambda _row: self._kind_changed())
        self.list_view.selectionModel().currentChanged.connect(lambda *_: self._update_buttons())
        self.list_view.doubleClicked.connect(lambda _index: self.ok_button.isEnabled() and self.accept())
        self.as_picture.toggled.connect(lambda _on: self._update_buttons())
        for signal in (self.filter_model.rowsInserted, self.filter_model.modelReset, self.filter_model.layoutChanged):
            signal.connect(self._rows_changed)
        self.list_model.loadingChanged.connect(lambda _loading: self._rows_changed())
        if EntityKind.TASK in self.kinds:
            self.kind_box.setCurrentIndex(self.kinds.index(EntityKind.TASK))
        self._kind_changed()
        self.search.setFocus()

    # ------------------------------------------------------------------ what is chosen

    @property
    def kind(self) -> EntityKind | None:
        row = self.kind_box.currentIndex()
        return self.kinds[row] if 0 <= row < len(self.kinds) else None

    def entity(self) -> Entity | None:
        index = self.list_view.currentIndex()
        return index.data(EntityRole) if index.isValid() else None

    def choose_kind(self, kind: EntityKind) -> None:
        self.kind_box.setCurrentIndex(self.kinds.index(kind))

    def select_row(self, row: int) -> None:
        self.list_view.setCurrentIndex(self.filter_model.index(row, 0))

    def accept(self) -> None:
        entity = self.entity()
        if entity is None:
            return
        super().accept()
        self.chosen.emit(entity, self._as_picture())

    # ------------------------------------------------------------------ keeping it current

    def _as_picture(self) -> bool:
        kind = self.kind
        if kind is None or not self.session.can(kind, Capability.SET_IMAGE):
            return False
        return self.as_picture.isChecked() or not self.session.can(kind, Capability.ATTACH_FILE)

    def _kind_changed(self) -> None:
        kind = self.kind
        self.search.blockSignals(True)
        self.search.clear()
        self.search.blockSignals(False)
        self.filter_model.set_query("")
        if kind is None:
            self.list_model.set_source(None, None)
            self._update_buttons()
            return
        self.search.setPlaceholderText(f"Search {kind.label.lower()}")
        one_image = len(self.paths) == 1 and (mimetypes.guess_type(self.paths[0].name)[0] or "").startswith("image/")
        can_picture = self.session.can(kind, Capability.SET_IMAGE)
        can_attach = self.session.can(kind, Capability.ATTACH_FILE)
        self.as_picture.setVisible(can_picture and can_attach)
        self.as_picture.setEnabled(one_image)
        self.as_picture.setChecked(False)
        self.list_model.set_source(self.session.backend, kind)
        self.list_model.fetchMore(QModelIndex())
        self._update_buttons()

    def _search_changed(self, text: str) -> None:
        self.filter_model.set_query(text)  # the rows already here, at once
        kind = self.kind
        if kind is not None and self.session.can(kind, Capability.SEARCH):
            self.search_timer.start()

    def _search_on_server(self) -> None:
        self.list_model.set_search(self.search.text())

    def _rows_changed(self, *args) -> None:
        shown = self.filter_model.rowCount()
        if self.list_model.loading and not shown:
            self.count.setText("Loading…")
        else:
            self.count.setText(f"{shown:,} shown" if shown else "Nothing matches")
        if not self.list_view.currentIndex().isValid() and shown:
            self.select_row(0)
        self._update_buttons()

    def _update_buttons(self) -> None:
        entity = self.entity()
        picture = self._as_picture()
        self.ok_button.setText("Set picture" if picture else "Attach")
        self.ok_button.setEnabled(entity is not None and (not picture or len(self.paths) == 1))
        verb = "Set the picture of" if picture else "Attach to"
        self.ok_button.setToolTip("" if entity is None else literal_tip(f"{verb} {entity.name}"))
