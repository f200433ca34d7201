"""Opening a local file with the user's application, and showing it in the file manager.

`QDesktopServices.openUrl` only warns when nothing can open a file, so both of its ways of failing
are checked: the desktop's own list of default applications (asked on a worker, where it can be
asked) and openUrl's answer. Either way the user reads why, and can see the file in its folder.
"""

from __future__ import annotations

import logging
import mimetypes
import os
import shutil
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

from PySide6.QtCore import QUrl
from PySide6.QtGui import QDesktopServices

from attache.ui import tasks

log = logging.getLogger(__name__)

ASK_TIMEOUT_S = 5.0  # a desktop helper that hangs must not leave the user waiting


def default_application(path: Path) -> bool | None:
    """Worker: does the desktop name an application for this file's type? None: it cannot say."""
    if not sys.platform.startswith("linux") or shutil.which("gio") is None:
        return None
    mime = mimetypes.guess_type(path.name)[0] or "application/octet-stream"
    try:
        answer = subprocess.run(
            ["gio", "mime", mime],
            capture_output=True,
            text=True,
            timeout=ASK_TIMEOUT_S,
            env={**os.environ, "LC_ALL": "C"},
            check=False,
        )
    except (OSError, subprocess.SubprocessError) as error:
        log.info("could not ask for %s's default application: %s", mime, error)
        return None
    if answer.returncode != 0:
        return None
    return "Default application for" in answer.stdout


def open_with_application(path: Path, *, owner, on_failed: Callable[[Path], None]) -> None:
    """Open a downloaded file; `on_failed(path)` when no application will."""

    def asked(known: bool | None) -> None:
        if known is False or not QDesktopServices.openUrl(QUrl.fromLocalFile(str(path))):
            log.info("no application opens %s", path.name)
            on_failed(path)

    tasks.run_task(lambda: default_application(path), asked, lambda error: asked(None), owner=owner)


def file_manager_show(path: Path) -> bool:
    """Worker: ask the file manager to show the file selected (freedesktop's FileManager1 over
    D-Bus on Linux, Finder, Explorer). False when there is none to ask."""
    try:
        if sys.platform == "darwin":
            return subprocess.run(["open", "-R", str(path)], timeout=ASK_TIMEOUT_S, check=False).returncode == 0
        if sys.platform == "win32":
            subprocess.Popen(["explorer", f"/select,{path}"])
            return True
        if shutil.which("dbus-send") is None or not os.environ.get("DBUS_SESSION_BUS_ADDRESS"):
            return False
        command = [
            "dbus-send",
            "--session",
            "--print-reply",
            "--dest=org.freedesktop.FileManager1",
            "--type=method_call",
            "/org/freedesktop/FileManager1",
            "org.freedesktop.FileManager1.ShowItems",
            f"array:string:{path.as_uri()}",
            "string:",
        ]
        done = subprocess.run(command, capture_output=True, timeout=ASK_TIMEOUT_S, check=False)
        return done.returncode == 0
    except (OSError, subprocess.SubprocessError) as error:
        log.info("the file manager could not be asked: %s", error)
        return False


def open_folder(folder: Path) -> bool:
    """Open a folder in the file manager; False when nothing could."""
    return QDesktopServices.openUrl(QUrl.fromLocalFile(str(folder)))


def show_in_folder(path: Path, *, owner, on_failed: Callable[[Path], None]) -> None:
    """Show the file in the file manager, else open its folder; `on_failed(folder)` when neither works."""

    def asked(shown: bool) -> None:
        if shown:
            return
        if not open_folder(path.parent):
            on_failed(path.parent)

    tasks.run_task(lambda: file_manager_show(path), asked, lambda error: asked(False), owner=owner)
