"""What the window's first paint waits for: not httpx, Pillow, the backends or the sandbox.

Each check runs the real entry (`attache.cli.main`) in a fresh interpreter, so what an earlier
test imported cannot hide an import the start-up does. Not timed: whether a module is loaded
by the first paint is the behaviour; how long that takes is benchmarks/bench_startup.py's.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys

# Loaded only by the worker that needs them (connecting, a sandbox, a picture), after the paint.
DEFERRED = (
    "httpx",
    "httpx_retries",
    "PIL",
    "attache.backends.http",
    "attache.backends.rest",
    "attache.backends.awork",
    "attache.sandbox",
    "attache.images.decode",
    "keyring",
    "attache.transfers.engine",  # the window paints with the transfer states only
    "attache.transfers.journal",
    "sqlite3",
    "uuid",  # it imports platform
    "html.entities",
    "secrets",
    "importlib.metadata",  # the version is attache.__version__
    "attache.ui.accounts_dialog",  # loaded when the dialog opens
)

FIRST_PAINT = """
import json, sys
from PySide6.QtCore import QEvent, QObject
from PySide6.QtWidgets import QApplication
import attache.ui.main_window as main_window
from attache.cli import main

DEFERRED = {deferred!r}
seen = {{}}

class FirstPaint(QObject):
    def __init__(self, window):
        super().__init__()
        self.window = window

    def eventFilter(self, obj, event):
        if obj is self.window and event.type() == QEvent.Type.Paint and not seen:
            seen["loaded"] = sorted(name for name in DEFERRED if name in sys.modules)
            seen["empty_page"] = self.window.pages.currentWidget() is self.window.empty
            self.window.quit_now()
            QApplication.instance().quit()
        return False

show = main_window.MainWindow.show

def watched_show(window):
    window._first_paint = FirstPaint(window)
    window.installEventFilter(window._first_paint)
    show(window)

main_window.MainWindow.show = watched_show
main([])
print(json.dumps(seen))
"""


def _run(code: str, home) -> subprocess.CompletedProcess[str]:
    env = dict(os.environ, QT_QPA_PLATFORM="offscreen", ATTACHE_HOME=str(home))
    env.pop("ATTACHE_TOKEN", None)
    return subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True, timeout=120)


def test_the_window_paints_before_loading_the_network_image_and_backend_modules(tmp_path):
    out = _run(FIRST_PAINT.format(deferred=DEFERRED), tmp_path)
    assert out.returncode == 0, out.stderr[-3000:]
    seen = json.loads(out.stdout.strip().splitlines()[-1])
    assert seen["empty_page"], "the window did not paint its empty skeleton first"
    assert seen["loaded"] == [], f"loaded before the first paint: {seen['loaded']}"


def test_the_command_line_parser_loads_neither_qt_nor_httpx(tmp_path):
    # `attache --help`, `--version` and the parser itself: a headless command loads only its own.
    code = (
        "import sys, json\n"
        "from attache.cli import build_parser\n"
        "build_parser()\n"
        f"print(json.dumps(sorted(n for n in ('PySide6', *{DEFERRED!r}) if n in sys.modules)))\n"
    )
    out = _run(code, tmp_path)
    assert out.returncode == 0, out.stderr[-3000:]
    assert json.loads(out.stdout.strip().splitlines()[-1]) == []
