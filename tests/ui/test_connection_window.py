"""The status bar tells the truth about the connection, and a failed refresh keeps what was shown."""

from __future__ import annotations

from PySide6.QtCore import Qt
from ui_helpers import shown_window, store_count

from attache.app import connection_state
from attache.app.connection_state import Phase
from attache.sandbox import FaultPlan

DOWN = FaultPlan(rate=1.0, kinds=("503",))


def test_offline_counts_down_then_reconnects_and_reloads_the_same_view(
    make_awork_sandbox, make_backend, make_window, qtbot, monkeypatch
):
    monkeypatch.setattr(connection_state, "RETRY_DELAYS_S", (1, 30))
    server = make_awork_sandbox(scale=300)
    window = shown_window(make_window, make_backend(server, retries=False))
    status = window.connection_status
    total = store_count(server, "tasks")
    window.show_kind(window.list_model.kind.TASK)
    qtbot.waitUntil(lambda: window.list_model.rowCount() == 200, timeout=10_000)
    assert status.text().startswith("Connected to ") and status.phase is Phase.CONNECTED
    assert window.list_count.text() == f"200 of {total:,}"
    window.search.setText("a")
    window.browse.search_on_server()
    qtbot.waitUntil(lambda: not window.list_model.searching and not window.list_model.loading, timeout=10_000)
    searched = window.list_model.rowCount()
    count = window.list_count.text()
    assert searched > 0 and count.endswith("match")

    server.set_faults(DOWN)
    window.refresh()
    qtbot.waitUntil(lambda: status.phase is Phase.OFFLINE and window.list_model.error is not None, timeout=10_000)
    assert "is offline — retrying in" in status.text()
    assert status.button.isVisible() and status.button.text() == "Retry now"
    assert window.message_bar.isVisible() and "not available" in window.message_bar.text()
    # the rows and their count stay as they were: a failed refresh is not an empty workspace
    assert window.list_model.rowCount() == searched and window.list_count.text() == count
    assert window.search.text() == "a"

    # the countdown's end asks again; still down, so the next pause is longer
    qtbot.waitUntil(lambda: status.state.status.failures == 2, timeout=10_000)
    assert status.phase is Phase.OFFLINE and "retrying in" in status.text()

    server.set_faults(None)
    server.clear_requests()
    qtbot.mouseClick(status.button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: status.phase is Phase.CONNECTED, timeout=10_000)
    qtbot.waitUntil(lambda: not window.list_model.loading and not window.list_model.searching, timeout=10_000)
    assert status.text().startswith("Connected to ") and not status.button.isVisible()
    assert not window.message_bar.isVisible()
    assert window.list_model.rowCount() == searched and window.list_count.text() == count
    listed = [r.query for r in server.requests if r.path.endswith("tasks") and "pageSize=200" in r.query]
    assert listed and all("%27a%27" in query for query in listed)  # the same search, not the whole list


def test_the_countdown_reconnects_by_itself(make_awork_sandbox, make_backend, make_window, qtbot, monkeypatch):
    monkeypatch.setattr(connection_state, "RETRY_DELAYS_S", (1,))
    server = make_awork_sandbox()
    window = shown_window(make_window, make_backend(server, retries=False))
    status = window.connection_status
    qtbot.waitUntil(lambda: window.list_model.rowCount() > 0, timeout=10_000)
    rows = window.list_model.rowCount()
    server.set_faults(DOWN)
    window.refresh()
    qtbot.waitUntil(lambda: status.phase is Phase.OFFLINE and window.list_model.error is not None, timeout=10_000)
    assert window.list_model.rowCount() == rows
    server.set_faults(None)
    qtbot.waitUntil(lambda: status.phase is Phase.CONNECTED, timeout=10_000)
    qtbot.waitUntil(lambda: not window.message_bar.isVisible(), timeout=10_000)
    assert window.list_model.rowCount() == rows and window.list_model.error is None


def _saved_account(server, key: str):
    from attache.app.secrets import AppSecrets, reset_app_secrets
    from attache.core.accounts import Account, AccountStore
    from attache.credentials import KeyringStatus

    secrets = AppSecrets(probe=lambda timeout: KeyringStatus(False, "fail", "No password manager."))
    reset_app_secrets(secrets)
    AccountStore().add(Account("work", "awork", server.base_url, workspace="Northwind Studio"))
    secrets.memory.save("work", {"type": "api_key", "api_key": key})
    return AccountStore().get("work")


def test_an_account_that_cannot_open_yet_retries_until_it_opens(make_awork_sandbox, make_window, qtbot, monkeypatch):
    from attache.backends import http

    monkeypatch.setattr(connection_state, "RETRY_DELAYS_S", (1,))
    quick = http.default_retry
    monkeypatch.setattr(http, "default_retry", lambda: quick(sleeper=lambda seconds: None))  # no back-off pauses
    server = make_awork_sandbox(faults=FaultPlan(rate=1.0, kinds=("503",), retry_after=0.0))
    account = _saved_account(server, server.token)
    window = make_window()
    window.show()
    status = window.connection_status
    window.accounts.switch_to(account)
    qtbot.waitUntil(lambda: status.phase is Phase.OFFLINE, timeout=15_000)
    assert status.text().startswith("awork · Northwind Studio (work) is offline — retrying in")
    assert window.backend is None
    server.set_faults(None)
    qtbot.waitUntil(lambda: window.backend is not None and window.list_model.rowCount() > 0, timeout=15_000)
    assert status.phase is Phase.CONNECTED and status.text().startswith("Connected to ")


def test_a_refused_key_says_signed_out_with_a_sign_in_button(fresh_awork_sandbox, make_window, qtbot):
    account = _saved_account(fresh_awork_sandbox, "revoked-key")
    window = make_window()
    window.show()
    status = window.connection_status
    window.accounts.switch_to(account)
    qtbot.waitUntil(lambda: status.phase is Phase.SIGNED_OUT, timeout=15_000)
    assert status.text() == "Signed out of awork · Northwind Studio (work)"
    assert status.button.isVisible() and status.button.text() == "Sign in"
    qtbot.mouseClick(status.button, Qt.MouseButton.LeftButton)
    dialog = window.accounts.dialog
    assert dialog is not None and dialog.isVisible()
    dialog.api_key.setText(fresh_awork_sandbox.token)
    qtbot.mouseClick(dialog.key_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: status.phase is Phase.CONNECTED and window.list_model.rowCount() > 0, timeout=15_000)


def test_an_idle_window_notices_the_service_is_gone(make_awork_sandbox, make_backend, make_window, qtbot, monkeypatch):
    from attache.ui import main_window

    monkeypatch.setattr(main_window, "HEARTBEAT_S", 0.2)
    server = make_awork_sandbox()
    window = shown_window(make_window, make_backend(server, retries=False))
    status = window.connection_status
    qtbot.waitUntil(lambda: window.list_model.rowCount() > 0 and status.phase is Phase.CONNECTED, timeout=10_000)
    server.set_faults(DOWN)  # nobody clicks anything
    qtbot.waitUntil(lambda: status.phase is Phase.OFFLINE, timeout=10_000)
    assert "is offline — retrying in" in status.text()
