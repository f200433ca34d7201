"""Help › About Attaché: the version, where the user's files live, and the licences of the
libraries that run it (read from their installed metadata, on a worker)."""

from __future__ import annotations

from PySide6.QtCore import QSize, Qt
from PySide6.QtGui import QAction
from PySide6.QtWidgets import (
    QDialog,
    QDialogButtonBox,
    QFormLayout,
    QHBoxLayout,
    QLabel,
    QMainWindow,
    QMenu,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
)

from attache.appid import APP_ID, version
from attache.core.paths import app_dirs
from attache.ui import tasks, theme
from attache.ui.plain import plain_label

SUMMARY = "Browse projects, tasks, companies and people; attach files and set pictures by drag and drop."


class AboutDialog(QDialog):
    def __init__(self, parent=None) -> None:
        super().__init__(parent)
        self.setObjectName("AboutDialog")
        self.setWindowTitle("About Attaché")
        self.resize(600, 600)
        layout = QVBoxLayout(self)
        head = QHBoxLayout()
        icon = QLabel(self)
        icon.setPixmap(theme.app_icon().pixmap(QSize(64, 64)))
        head.addWidget(icon, 0, Qt.AlignmentFlag.AlignTop)
        titles = QVBoxLayout()
        self.title = plain_label(f"Attaché {version()}", self)
        self.title.setObjectName("EmptyTitle")
        titles.addWidget(self.title)
        summary = plain_label(SUMMARY, self)
        summary.setWordWrap(True)
        titles.addWidget(summary)
        head.addLayout(titles, 1)
        layout.addLayout(head)

        layout.addWidget(self._section("Your files"))
        dirs = app_dirs()
        form = QFormLayout()
        self.paths: dict[str, str] = {}
        for label, path in (("Settings", dirs.config), ("Data", dirs.data), ("Cache", dirs.cache), ("Logs", dirs.log)):
            self.paths[label] = str(path)
            value = plain_label(str(path), self)
            value.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
            form.addRow(plain_label(label, self), value)
        form.addRow(plain_label("App id", self), plain_label(APP_ID, self))
        layout.addLayout(form)

        layout.addWidget(self._section("Libraries"))
        self.table = QTableWidget(0, 3, self)
        self.table.setObjectName("LicencesTable")
        self.table.setHorizontalHeaderLabels(["Library", "Version", "Licence"])
        self.table.verticalHeader().hide()
        self.table.setEditTriggers(QTableWidget.EditTrigger.NoEditTriggers)
        self.table.horizontalHeader().setStretchLastSection(True)
        self.table.horizontalHeader().setDefaultAlignment(Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignVCenter)
        self.table.verticalHeader().setDefaultSectionSize(self.fontMetrics().height() + 8)
        self.table.setShowGrid(False)
        self.table.setAlternatingRowColors(True)
        self.table.setSelectionMode(QTableWidget.SelectionMode.NoSelection)
        layout.addWidget(self.table, 1)
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Close, self)
        buttons.rejected.connect(self.reject)
        layout.addWidget(buttons)
        self.libraries: list = []
        from attache.licences import libraries

        tasks.run_task(libraries, self._show_libraries, lambda error: None, owner=self)

    def _section(self, text: str) -> QLabel:
        label = plain_label(text, self)
        label.setObjectName("SectionTitle")
        return label

    def _show_libraries(self, found: list) -> None:
        self.libraries = found
        self.table.setRowCount(len(found))
        for row, library in enumerate(found):
            for column, text in enumerate((library.name, library.version, library.licence)):
                self.table.setItem(row, column, QTableWidgetItem(text))  # items show plain text
        self.table.resizeColumnsToContents()


def show_about(window) -> AboutDialog:
    dialog = AboutDialog(window)
    dialog.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
    dialog.open()
    return dialog


def add_about_action(window: QMainWindow) -> QAction:
    """Help › About Attaché, in the menu bar's Help menu (made if there is none yet); an older
    About action there is replaced."""
    bar = window.menuBar()
    help_menu = next(
        (a.menu() for a in bar.actions() if a.menu() is not None and a.text().replace("&", "") == "Help"), None
    )
    if help_menu is None:
        help_menu = bar.addMenu("&Help")
    assert isinstance(help_menu, QMenu)
    for action in help_menu.actions():
        if action.text().replace("&", "").startswith("About Attaché"):
            help_menu.removeAction(action)
    action = QAction("&About Attaché", window)
    action.setMenuRole(QAction.MenuRole.AboutRole)
    action.triggered.connect(lambda checked=False: show_about(window))
    help_menu.addAction(action)
    return action
