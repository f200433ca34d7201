"""The window from 800 × 500 up, the keyboard's ways in, the Help menu, remembered folders."""

from __future__ import annotations

from pathlib import Path

from PySide6.QtGui import QGuiApplication
from PySide6.QtWidgets import QAbstractButton, QFileDialog, QWidget
from ui_helpers import shown_window, store_count

from attache.core.models import EntityKind
from attache.ui import settings
from attache.ui.browse import KindDelegate, short_count
from attache.ui.help_menu import shortcut_rows


def _inside(widget: QWidget, outer: QWidget) -> bool:
    top_left = widget.mapTo(outer, widget.rect().topLeft())
    return outer.rect().contains(top_left) and outer.rect().contains(top_left + widget.rect().bottomRight())


def test_the_window_works_at_800_by_500(awork_sandbox, make_backend, make_window, qtbot):
    server = awork_sandbox
    window = shown_window(make_window, make_backend(server))
    window.resize(800, 500)
    assert window.minimumSizeHint().width() <= 800 and window.minimumSizeHint().height() <= 500
    task_id = server.store.scalar("SELECT task_id FROM files ORDER BY rowid LIMIT 1")
    window.show_kind(EntityKind.TASK)
    qtbot.waitUntil(lambda: window.list_model.rowCount() == store_count(server, "tasks"), timeout=10_000)
    assert window.select_entity(task_id)
    files = window.detail.files_model
    qtbot.waitUntil(lambda: files.rowCount() > 0, timeout=10_000)
    qtbot.waitUntil(lambda: window.size().width() == 800 and window.size().height() == 500, timeout=5000)

    detail = window.detail
    assert detail.compact and detail.width() >= 330
    for button in detail.findChildren(QAbstractButton):
        if button.isVisibleTo(detail):
            assert _inside(button, detail), button.accessibleName()
            assert button.toolTip() or button.text(), button.accessibleName()  # icon-only still says what it does
    # the files' columns gave way from the least important; the name is last to go and not cut short
    header = detail.files_view.header()
    assert not header.isSectionHidden(0) and header.sectionSize(0) >= 170
    assert header.isSectionHidden(2)  # "Added by" went first
    assert not detail.files_view.horizontalScrollBar().isVisible()
    assert window.list_view.width() >= 200

    # the sidebar shows every label and a count of a billion whole, without a sideways scroll
    kinds = window.kinds_model
    kinds.set_count(EntityKind.TASK, 1_000_000_000)
    view = window.kinds_view
    needed = KindDelegate.needed_width(view.font(), [kind.label for kind in kinds.kinds()])
    assert view.viewport().width() >= needed - 6
    assert not view.horizontalScrollBar().isVisible()
    assert short_count(1_000_000_000) == "1B" and short_count(9_999) == "9,999" and short_count(1_250_000) == "1.2M"

    # the transfers panel opens at a share of the window, and the list keeps room
    window.transfers_action.trigger()
    qtbot.waitUntil(window.transfers_dock.isVisible, timeout=5000)
    qtbot.waitUntil(lambda: window.transfers_dock.height() <= 200, timeout=5000)
    assert window.list_view.height() >= 120
    state = window.transfers.view.header()
    assert not state.isSectionHidden(5) and not state.isSectionHidden(0)


def test_tasks_have_no_picture_slot(awork_sandbox, make_backend, make_window, qtbot):
    window = shown_window(make_window, make_backend(awork_sandbox))
    window.show_kind(EntityKind.TASK)
    qtbot.waitUntil(lambda: window.list_model.rowCount() > 0, timeout=10_000)
    window.select_entity(window.list_model.entity(0).id)
    qtbot.waitUntil(lambda: window.detail.entity is not None, timeout=5000)
    assert not window.detail.slot.isVisible()
    window.show_kind(EntityKind.USER)
    qtbot.waitUntil(lambda: window.list_model.rowCount() > 0 and not window.list_model.loading, timeout=10_000)
    window.select_entity(window.list_model.entity(0).id)
    qtbot.waitUntil(lambda: window.detail.entity is not None, timeout=5000)
    assert window.detail.slot.isVisible()


def test_help_lists_shortcuts_and_a_report_carries_version_and_folders(make_window, qtbot):
    window = make_window()
    window.show()
    rows = dict((does, keys) for keys, does in shortcut_rows(window))
    assert rows["Add Files"] == "Ctrl+Shift+A" and rows["Find"] == "Ctrl+F" and "Keyboard Shortcuts" in rows
    window.help.shortcuts_action.trigger()
    dialog = window.help.shortcuts_dialog
    assert dialog.isVisible() and dialog.table.topLevelItemCount() == len(shortcut_rows(window))
    dialog.close()
    window.help.report_action.trigger()
    from attache import __version__
    from attache.core.paths import app_dirs

    report = QGuiApplication.clipboard().text()
    assert report.startswith(f"Attaché {__version__}\n") and f"Log: {app_dirs().log}" in report
    assert "Copied Attaché's version" in window.message_bar.text()


def test_add_files_starts_in_the_folder_last_used(
    awork_sandbox, make_backend, make_window, qtbot, monkeypatch, tmp_path: Path
):
    window = shown_window(make_window, make_backend(awork_sandbox))
    window.add_files_action.trigger()  # nothing selected: says what to do
    assert window.message_bar.text() == "Select a task to attach files to."
    window.show_kind(EntityKind.TASK)
    qtbot.waitUntil(lambda: window.list_model.rowCount() > 0, timeout=10_000)
    window.select_entity(window.list_model.entity(0).id)
    qtbot.waitUntil(lambda: window.detail.entity is not None, timeout=5000)
    started: list[str] = []
    chosen = tmp_path / "reports"
    chosen.mkdir()

    def choose(parent, title, start):
        started.append(start)
        return [], ""  # cancelled, after remembering nothing

    monkeypatch.setattr(QFileDialog, "getOpenFileNames", choose)
    window.add_files_action.trigger()
    assert started == [str(Path.home())]
    settings.set_last_folder(settings.ATTACH, str(chosen))
    window.add_files_action.trigger()
    assert started[-1] == str(chosen)
    chosen.rmdir()  # a folder that is gone is not offered
    window.add_files_action.trigger()
    assert started[-1] == str(Path.home())
