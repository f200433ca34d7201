"""The app's window runs its built-in sandbox in a process of its own (`sandboxes_apart`): the
window shows the demo as before, and the sandbox ends with the window's account."""

from __future__ import annotations

from pathlib import Path

import pytest

from attache.app.sandbox_process import SandboxProcess


@pytest.fixture
def private_tmp(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    folder = tmp_path / "tmp"
    folder.mkdir()
    monkeypatch.setenv("TMPDIR", str(folder))  # the sandbox's process makes its store there
    return folder


def _connected(window, qtbot) -> SandboxProcess:
    qtbot.waitUntil(lambda: window.backend is not None and window.list_model.rowCount() > 0, timeout=60_000)
    sandbox = window.connection.sandbox
    assert isinstance(sandbox, SandboxProcess) and sandbox.running
    return sandbox


def test_the_window_shows_the_demo_from_the_sandbox_process_and_stops_it_on_quit(make_window, qtbot, private_tmp):
    window = make_window(sandboxes_apart=True)
    window.show()
    window.open_sandbox()
    sandbox = _connected(window, qtbot)
    assert window.windowTitle().endswith("— Attaché")
    # the demo note names the process's own address and token, for the command line
    assert f"API {sandbox.base_url} · token {sandbox.token}" in window.note_bar.text()
    assert any(private_tmp.iterdir())
    window.quit_now()
    qtbot.waitUntil(lambda: not sandbox.running, timeout=30_000)
    qtbot.waitUntil(lambda: not any(private_tmp.iterdir()), timeout=30_000)


def test_a_sandbox_started_before_the_window_is_the_one_it_opens(make_window, qtbot, private_tmp):
    from attache.ui.app import start_connecting

    early = SandboxProcess("awork")
    try:
        window = make_window(sandboxes_apart=True)
        window.show()
        start_connecting(window, sandbox=True, started=early)
        assert _connected(window, qtbot) is early
        window.close_account()  # the account's connection stops its sandbox
        qtbot.waitUntil(lambda: not early.running, timeout=30_000)
    finally:
        early.stop()


def test_a_sandbox_started_for_another_service_is_stopped_and_the_right_one_opened(make_window, qtbot, private_tmp):
    early = SandboxProcess("superoffice")
    try:
        window = make_window(sandboxes_apart=True)
        window.show()
        window.open_sandbox("awork", started=early)
        sandbox = _connected(window, qtbot)
        assert sandbox is not early and sandbox.service_id == "awork"
        assert not early.running
    finally:
        early.stop()
