"""The Help menu: the keyboard shortcuts, the log folder, and what a problem report needs."""

from __future__ import annotations

import platform
import sys

from PySide6.QtCore import QObject, Qt
from PySide6.QtGui import QAction, QGuiApplication, QKeySequence
from PySide6.QtWidgets import (
    QDialog,
    QDialogButtonBox,
    QHeaderView,
    QMainWindow,
    QTreeWidget,
    QTreeWidgetItem,
    QVBoxLayout,
)

from attache.core.paths import app_dirs
from attache.ui import reveal

# keys that belong to widgets rather than to menu actions
WIDGET_KEYS = (
    ("Enter", "Open the selected file"),
    ("Delete", "Delete the selected files (asks first)"),
    ("Esc", "Clear the search"),
    ("Tab / Shift+Tab", "Move between the kinds, the search, the list and the detail pane"),
    ("Enter or Space on the picture", "Choose a picture"),
)


def problem_report() -> str:
    """Version, platform and the folders a maintainer asks for; no account, no secret."""
    from PySide6 import __version__ as pyside_version

    from attache import __version__

    dirs = app_dirs()
    return "\n".join(
        (
            f"Attaché {__version__}",
            f"Python {platform.python_version()} on {platform.platform()}",
            f"PySide6 {pyside_version}, Qt platform {QGuiApplication.platformName()}",
            f"Config: {dirs.config}",
            f"Data: {dirs.data}",
            f"Cache: {dirs.cache}",
            f"Log: {dirs.log}",
            f"Executable: {sys.executable}",
        )
    )


class ShortcutsDialog(QDialog):
    """Every shortcut the window answers to, read from its actions (so the list cannot go stale)."""

    def __init__(self, window: QMainWindow) -> None:
        super().__init__(window)
        self.setWindowTitle("Keyboard Shortcuts")
        self.table = QTreeWidget(self)
        self.table.setRootIsDecorated(False)
        self.table.setHeaderLabels(["Keys", "Does"])
        self.table.setAccessibleName("Keyboard shortcuts")
        self.table.header().setSectionResizeMode(0, QHeaderView.ResizeMode.ResizeToContents)
        for keys, does in shortcut_rows(window):
            QTreeWidgetItem(self.table, [keys, does])
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Close, self)
        buttons.rejected.connect(self.close)
        layout = QVBoxLayout(self)
        layout.addWidget(self.table)
        layout.addWidget(buttons)
        self.resize(520, 460)


def shortcut_rows(window: QMainWindow) -> list[tuple[str, str]]:
    rows, seen = [], set()
    for action in window.actions():
        keys = ", ".join(
            key.toString(QKeySequence.SequenceFormat.NativeText) for key in action.shortcuts() if not key.isEmpty()
        )
        text = action.text().replace("&", "").rstrip("…").strip()
        if keys and text and (keys, text) not in seen:
            seen.add((keys, text))
            rows.append((keys, text))
    return rows + list(WIDGET_KEYS)


class HelpMenu(QObject):
    def __init__(self, window: QMainWindow, menu) -> None:
        super().__init__(window)
        self.window = window
        self.shortcuts_dialog: ShortcutsDialog | None = None
        self.shortcuts_action = self._add(menu, "&Keyboard Shortcuts", self.show_shortcuts, "Ctrl+/")
        self.log_action = self._add(menu, "Open &Log Folder", self.open_log_folder)
        self.report_action = self._add(menu, "&Report a Problem…", self.report_problem)
        self.report_action.setStatusTip("Copy Attaché's version and folders to the clipboard, for a problem report")
        menu.addSeparator()

    def _add(self, menu, text: str, slot, shortcut: str | None = None) -> QAction:
        action = QAction(text, self.window)
        if shortcut:
            action.setShortcut(QKeySequence(shortcut))
            action.setShortcutContext(Qt.ShortcutContext.WindowShortcut)
        action.triggered.connect(lambda checked=False: slot())
        menu.addAction(action)
        self.window.addAction(action)
        return action

    def show_shortcuts(self) -> None:
        if self.shortcuts_dialog is None:
            self.shortcuts_dialog = ShortcutsDialog(self.window)
        self.shortcuts_dialog.show()
        self.shortcuts_dialog.raise_()

    def open_log_folder(self) -> None:
        folder = app_dirs().log
        folder.mkdir(parents=True, exist_ok=True)
        if not reveal.open_folder(folder):
            self.window.show_message(f"Could not open a file manager. The log is in {folder}")

    def report_problem(self) -> None:
        QGuiApplication.clipboard().setText(problem_report())
        self.window.show_message(
            "Copied Attaché's version and folders to the clipboard: paste them into your report, with what you "
            f"did and what you saw. The log (Help › Open Log Folder) is in {app_dirs().log}.",
            timeout_ms=0,
        )
