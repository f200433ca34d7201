"""The desktop application's manners: files opened with Attaché reach the running window and
go where the user picks, the About dialog, the palette following light/dark, the icons as package
data, and the selection restored on the next start."""

from __future__ import annotations

import os
import socket
import uuid
from importlib import metadata
from pathlib import Path

from PySide6.QtCore import QDir, Qt
from PySide6.QtGui import QImage, QPalette

from attache.app.connections import token_connection
from attache.core.models import EntityKind
from attache.transfers import JobState
from attache.ui.models import EntityRole


def _open_on(make_window, qtbot, server, *, restore: bool = False):
    window = make_window(restore=restore)
    window.show()
    window.open_connection(token_connection("awork", server.base_url, server.token, label="awork · sandbox"))
    qtbot.waitUntil(lambda: window.backend is not None and window.list_model.rowCount() > 0, timeout=15_000)
    return window


def _unique_name() -> str:
    return f"attache-test-{uuid.uuid4().hex[:12]}"


# ------------------------------------------------------------------ single instance


def test_files_handed_over_by_a_second_start_are_staged_in_the_running_window(
    make_window, qtbot, awork_sandbox, tmp_path
):
    from attache.ui.single_instance import SingleInstance, hand_over

    window = _open_on(make_window, qtbot, awork_sandbox)
    name = _unique_name()
    running = SingleInstance(name)
    assert running.listen()
    running.filesReceived.connect(window.open_files.stage)
    report = tmp_path / "report.pdf"
    report.write_bytes(b"%PDF-1.4 demo\n")
    try:
        assert hand_over([report], name)  # what `attache report.pdf` does when a window runs
        qtbot.waitUntil(lambda: window.open_files.picker is not None, timeout=10_000)
        assert window.open_files.picker.paths == [report]
        assert window.open_files.picker.files_label.text() == "1 file: report.pdf"
    finally:
        running.close()
    assert not hand_over([report], name)  # nobody listens any more: the next start opens a window


def test_a_socket_left_by_a_crashed_instance_is_taken_over(app, tmp_path):
    from attache.ui.single_instance import SingleInstance, hand_over

    name = _unique_name()
    path = os.path.join(QDir.tempPath(), name)
    stale = socket.socket(socket.AF_UNIX)
    stale.bind(path)  # bound, never listening: what a killed instance leaves behind
    stale.close()
    try:
        assert not hand_over([tmp_path], name)
        instance = SingleInstance(name)
        assert instance.listen()
        assert hand_over([], name)
        instance.close()
    finally:
        if os.path.exists(path):
            os.unlink(path)


def test_the_socket_name_is_the_app_ids_and_the_users(monkeypatch, tmp_path):
    from attache.ui.single_instance import server_name

    monkeypatch.setenv("ATTACHE_HOME", str(tmp_path / "one"))
    one = server_name()
    monkeypatch.setenv("ATTACHE_HOME", str(tmp_path / "two"))
    assert one.startswith("io.github.attache.Attache-") and server_name() != one


# ------------------------------------------------------------------ the target picker


def test_choosing_a_task_in_the_picker_uploads_the_opened_files_to_it(
    make_window, qtbot, fresh_awork_sandbox, tmp_path
):
    window = _open_on(make_window, qtbot, fresh_awork_sandbox)
    paths = []
    for name in ("minutes.txt", "budget.csv"):
        path = tmp_path / name
        path.write_text(f"{name}\n" * 200)
        paths.append(path)
    window.open_files.stage(paths)
    picker = window.open_files.picker
    assert picker is not None and picker.kind is EntityKind.TASK
    qtbot.waitUntil(lambda: picker.filter_model.rowCount() > 3 and not picker.list_model.loading, timeout=10_000)
    wanted = picker.list_model.entity(3)
    everything = picker.filter_model.rowCount()
    qtbot.keyClicks(picker.search, wanted.name)  # the rows already loaded are filtered at once
    shown = [picker.filter_model.index(r, 0).data() for r in range(picker.filter_model.rowCount())]
    assert wanted.name in shown and len(shown) < everything
    row = shown.index(wanted.name)
    picker.select_row(row)
    assert picker.ok_button.text() == "Attach" and picker.ok_button.isEnabled()
    qtbot.mouseClick(picker.ok_button, Qt.MouseButton.LeftButton)
    assert window.open_files.staged == []
    qtbot.waitUntil(lambda: len(window.queue.jobs()) == 2, timeout=10_000)
    assert {job.target for job in window.queue.jobs()} == {f"Task “{wanted.name}”"}
    qtbot.waitUntil(lambda: all(job.state == JobState.DONE for job in window.queue.jobs()), timeout=20_000)
    assert {"minutes.txt", "budget.csv"} <= {f.name for f in window.backend.list_files(wanted.ref)}


def test_files_opened_before_an_account_wait_for_it(make_window, qtbot, awork_sandbox, tmp_path):
    window = make_window()
    window.show()
    path = tmp_path / "notes.txt"
    path.write_text("notes\n")
    window.open_files.stage([path])
    assert window.open_files.picker is None
    assert "notes.txt" in window.message_bar.text() and "waiting for an account" in window.message_bar.text()
    window.open_connection(token_connection("awork", awork_sandbox.base_url, awork_sandbox.token))
    qtbot.waitUntil(lambda: window.open_files.picker is not None, timeout=15_000)
    window.open_files.picker.reject()
    assert window.open_files.staged == [path]
    assert "not attached yet" in window.message_bar.text()  # with "Choose target…" to pick again


# ------------------------------------------------------------------ About


def test_the_about_dialog_shows_the_version_the_paths_and_the_licences(make_window, qtbot):
    from attache.core.paths import app_dirs
    from attache.ui.about_dialog import show_about

    window = make_window()
    about_actions = [
        a for m in window.menuBar().actions() if m.menu() for a in m.menu().actions() if "About" in a.text()
    ]
    assert len(about_actions) == 1  # Help › About Attaché, once
    dialog = show_about(window)
    assert dialog.title.text() == f"Attaché {metadata.version('attache')}"
    dirs = app_dirs()
    assert dialog.paths == {
        "Settings": str(dirs.config),
        "Data": str(dirs.data),
        "Cache": str(dirs.cache),
        "Logs": str(dirs.log),
    }
    qtbot.waitUntil(lambda: dialog.table.rowCount() > 5, timeout=10_000)
    shown = {
        dialog.table.item(r, 0).text().lower(): dialog.table.item(r, 2).text() for r in range(dialog.table.rowCount())
    }
    assert "lgpl-3.0-only" in shown["pyside6_essentials"].lower()
    assert shown["httpx"] == "BSD-3-Clause"
    assert {"keyring", "pillow", "starlette", "uvicorn"} <= set(shown)
    assert not {"pytest", "mypy", "ruff", "azure-storage-blob"} & set(shown)  # dev tools are not the app's
    dialog.close()


# ------------------------------------------------------------------ palette


def _lightness(role) -> int:
    from PySide6.QtWidgets import QApplication

    return QApplication.palette().color(role).lightness()


def test_the_palette_and_style_sheet_follow_dark_and_light(app, monkeypatch):
    from attache.ui import theme

    try:
        theme.apply(app, theme.DARK)
        assert _lightness(QPalette.ColorRole.Window) < 60 and _lightness(QPalette.ColorRole.Text) > 200
        assert theme.TEXT.lightness() > 200 and theme.colour("selected_fill").lightness() < 100
        assert f"#EntityList {{ border: none; outline: 0; background: {theme.BASE.name()}; }}" in app.styleSheet()
        monkeypatch.setenv(theme.PALETTE_ENV, "dark")
        assert theme.system_scheme() == theme.DARK
        monkeypatch.setenv(theme.PALETTE_ENV, "light")
        assert theme.system_scheme() == theme.LIGHT
    finally:
        theme.apply(app, theme.LIGHT)
    assert _lightness(QPalette.ColorRole.Window) > 230 and _lightness(QPalette.ColorRole.Text) < 60
    assert "background: #ffffff" in app.styleSheet()


def test_the_window_follows_the_system_switching_to_dark(app, monkeypatch):
    from PySide6.QtWidgets import QApplication

    from attache.ui import theme

    monkeypatch.delenv(theme.PALETTE_ENV, raising=False)
    theme.apply(app)  # following the system: connected to its colour scheme's changes
    try:
        # the offscreen platform has no desktop to switch: tell the theme what the desktop would
        monkeypatch.setattr(theme, "system_scheme", lambda: theme.DARK)
        QApplication.styleHints().colorSchemeChanged.emit(Qt.ColorScheme.Dark)
        assert theme.SCHEME == theme.DARK and _lightness(QPalette.ColorRole.Window) < 60
        monkeypatch.setattr(theme, "system_scheme", lambda: theme.LIGHT)
        QApplication.styleHints().colorSchemeChanged.emit(Qt.ColorScheme.Light)
        assert theme.SCHEME == theme.LIGHT and _lightness(QPalette.ColorRole.Window) > 230
    finally:
        theme.apply(app, theme.LIGHT)


# ------------------------------------------------------------------ icons


def _referenced_icons() -> set[str]:
    import re

    root = Path(__file__).resolve().parents[2] / "desktop" / "attache" / "ui"
    names = set()
    for source in root.glob("*.py"):
        names |= set(re.findall(r"svg_icon\(\s*\"([a-z_-]+)\"", source.read_text(encoding="utf-8")))
        names |= set(
            re.findall(r"\(\"(rotate-left|rotate-right|zoom-in|zoom-out)\"", source.read_text(encoding="utf-8"))
        )
    return names | {kind.value for kind in EntityKind}


def test_every_icon_the_window_uses_is_package_data_and_renders(app):
    from attache.ui import theme

    shipped = set(theme.icon_names())
    referenced = _referenced_icons()
    assert referenced <= shipped, referenced - shipped
    for name in sorted(shipped):
        image = theme.svg_icon(name, "#000000", 24).pixmap(24, 24).toImage()
        assert _inked(image) > 10, name
    image = theme.app_icon().pixmap(64, 64).toImage()
    assert image.width() == 64 and _inked(image) > 64 * 64 // 2  # the tile fills most of it


def _inked(image: QImage) -> int:
    image = image.convertToFormat(QImage.Format.Format_ARGB32)
    return sum(1 for y in range(image.height()) for x in range(image.width()) if image.pixelColor(x, y).alpha() > 0)


def test_the_icons_are_read_through_importlib_resources():
    from importlib import resources

    from attache.ui import theme

    package = resources.files("attache.resources")
    assert (package / "attache.svg").read_text(encoding="utf-8").lstrip().startswith("<svg")
    assert (package / "icons" / "task.svg").is_file()
    assert set(theme.icon_names()) == {p.name.removesuffix(".svg") for p in (package / "icons").iterdir()}


# ------------------------------------------------------------------ restored on the next start


def test_the_next_start_selects_what_was_selected(make_window, qtbot, awork_sandbox):
    first = _open_on(make_window, qtbot, awork_sandbox, restore=True)
    first.show_kind(EntityKind.COMPANY)
    qtbot.waitUntil(lambda: first.list_model.rowCount() > 4 and not first.list_model.loading, timeout=10_000)
    chosen = first.list_model.entity(4)
    assert first.select_entity(chosen.id)
    first._quitting = True
    first.close()
    second = _open_on(make_window, qtbot, awork_sandbox, restore=True)
    qtbot.waitUntil(lambda: second.detail.entity is not None and second.detail.entity.id == chosen.id, timeout=10_000)
    assert second.list_model.kind is EntityKind.COMPANY


def test_the_tray_tooltip_counts_transfers_and_their_progress():
    from attache.ui.transfer_rows import TransferRow
    from attache.ui.tray import progress_text

    def row(done: int, total: int, state=JobState.RUNNING) -> TransferRow:
        return TransferRow(
            id=str(uuid.uuid4()),
            kind="upload",
            name="a",
            target="t",
            ref=None,
            total_bytes=total,
            state=state,
            done_bytes=done,
        )

    assert progress_text([]) == "Attaché"
    assert progress_text([row(10, 10, JobState.DONE)]) == "Attaché"
    assert progress_text([row(25, 100), row(25, 100), row(10, 10, JobState.DONE)]) == "Attaché — 2 transfers, 25 %"


def test_with_keep_running_closing_the_window_hides_it_and_quit_still_quits(make_window, qtbot, monkeypatch):
    from PySide6.QtWidgets import QApplication, QSystemTrayIcon

    from attache.ui import settings
    from attache.ui.tray import Tray

    monkeypatch.setattr(Tray, "available", staticmethod(lambda: True))  # offscreen has no tray to dock in
    monkeypatch.setattr(Tray, "notify", lambda self, title, text: True)
    shown = []
    monkeypatch.setattr(QSystemTrayIcon, "setVisible", lambda self, visible: shown.append(visible))
    quits = []
    monkeypatch.setattr(QApplication, "quit", staticmethod(lambda: quits.append(True)))
    window = make_window()
    window.show()
    assert not window.tray.keep_action.isChecked()  # opt-in
    window.tray.keep_action.setChecked(True)
    assert settings.keep_in_tray() and shown[-1] is True  # the icon shows while Attaché may hide in it
    try:
        window.close()  # the title bar's close button
        assert not window.isVisible() and not window._quitting
        window.quit_action.trigger()  # File › Quit
        assert window._quitting and quits == [True]
    finally:
        window.tray.keep_action.setChecked(False)
    assert QApplication.quitOnLastWindowClosed()


def test_a_picture_opened_with_attache_can_become_a_users_picture(make_window, qtbot, fresh_awork_sandbox, tmp_path):
    from ui_helpers import accept_crop, png_bytes

    window = _open_on(make_window, qtbot, fresh_awork_sandbox)
    portrait = tmp_path / "portrait.png"
    portrait.write_bytes(png_bytes((230, 30, 40), 300))
    window.open_files.stage([portrait])
    picker = window.open_files.picker
    picker.choose_kind(EntityKind.USER)  # users take a picture, not files: the choice says so
    qtbot.waitUntil(lambda: picker.filter_model.rowCount() > 1 and not picker.list_model.loading, timeout=10_000)
    rows = range(picker.filter_model.rowCount())
    picker.select_row(next(r for r in rows if not picker.filter_model.index(r, 0).data(EntityRole).has_image))
    user = picker.entity()
    assert picker.ok_button.text() == "Set picture" and not picker.as_picture.isVisible()
    qtbot.mouseClick(picker.ok_button, Qt.MouseButton.LeftButton)
    accept_crop(window, qtbot)  # the same crop step a dropped picture gets
    qtbot.waitUntil(lambda: len(window.queue.jobs()) == 1, timeout=10_000)
    job = window.queue.jobs()[0]
    assert job.target == f"User “{user.name}”"
    qtbot.waitUntil(lambda: job.state == JobState.DONE, timeout=20_000)
    assert window.backend.get_entity(user.ref).has_image
