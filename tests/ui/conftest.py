"""pytest-qt fixtures for the window: offscreen Qt, a private ATTACHE_HOME, a window that closes
cleanly (no quit prompt) and waits for its workers."""

from __future__ import annotations

import os

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

import pytest  # noqa: E402


@pytest.fixture(autouse=True)
def _private_home(tmp_path, monkeypatch):
    monkeypatch.setenv("ATTACHE_HOME", str(tmp_path / "home"))
    monkeypatch.delenv("ATTACHE_TOKEN", raising=False)
    monkeypatch.delenv("ATTACHE_URL", raising=False)


@pytest.fixture
def app(qapp):
    from attache.ui.app import configure_application

    configure_application(qapp)
    return qapp


@pytest.fixture
def synchronous():
    """Run `run_task` work at once (deterministic model tests)."""
    from attache.ui import tasks

    tasks.set_synchronous(True)
    yield
    tasks.set_synchronous(False)


@pytest.fixture
def make_window(app, qtbot):
    """Build MainWindows; each is closed without prompts, and its workers finish, at teardown."""
    from attache.ui import tasks
    from attache.ui.main_window import MainWindow

    windows = []

    def make(**kwargs):
        window = MainWindow(restore=kwargs.pop("restore", False), **kwargs)
        window.resize(1200, 760)
        windows.append(window)
        return window

    yield make
    for window in windows:
        window._quitting = True
        window.close()
    tasks.runner().wait(15_000)
    qtbot.wait(10)  # deliver what the workers posted, while the windows still exist
    for window in windows:
        window.deleteLater()
    qtbot.wait(10)
