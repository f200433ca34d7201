"""Accounts in the window: the Add account dialog (API key, browser sign-in), the keyring (a real
Secret Service, or none), signing out, removing, and the "sign in again" prompt for held uploads —
against the awork sandbox over real HTTP."""

from __future__ import annotations

import os
import subprocess
import sys
import threading
from pathlib import Path
from urllib.parse import parse_qsl, urlsplit

import httpx
import pytest
from PySide6.QtCore import Qt
from PySide6.QtGui import QGuiApplication

from attache.app.secrets import AppSecrets, app_secrets, reset_app_secrets
from attache.core.accounts import Account, AccountStore
from attache.core.models import EntityKind, EntityRef
from attache.core.services import SERVICES
from attache.credentials import KeyringStatus
from attache.transfers import JobState
from attache.ui import accounts_dialog
from attache.ui.messagebar import WARNING
from support.secret_service import missing_programs, private_secret_service
from support.tools import tool_missing

SECRET_SERVICE_ENV = (
    "HOME",
    "XDG_RUNTIME_DIR",
    "XDG_DATA_HOME",
    "XDG_CONFIG_HOME",
    "XDG_CACHE_HOME",
    "DBUS_SESSION_BUS_ADDRESS",
)


@pytest.fixture(autouse=True)
def _new_app_run():
    """Each test is a new app run as far as the keyring goes: probed again, memory empty."""
    reset_app_secrets(None)
    yield
    reset_app_secrets(None)


@pytest.fixture
def secret_service(tmp_path, monkeypatch):
    """A real gnome-keyring on a private D-Bus, used by this process's keyring for the test."""
    import keyring
    from keyring.backends import SecretService

    missing = missing_programs()
    if missing:
        tool_missing(
            f"No Secret Service to test against: {', '.join(missing)} not installed "
            "(apt-get install dbus gnome-keyring)"
        )
    previous = keyring.get_keyring()
    with private_secret_service(tmp_path / "keyring-home") as env:
        for name in SECRET_SERVICE_ENV:
            monkeypatch.setenv(name, env[name])
        keyring.set_keyring(SecretService.Keyring())
        try:
            yield env
        finally:
            keyring.set_keyring(previous)


@pytest.fixture
def no_keyring(monkeypatch):
    import keyring
    from keyring.backends import fail

    monkeypatch.setattr(keyring, "get_keyring", lambda: fail.Keyring())


def stored_secrets(env: dict[str, str]) -> str:
    """What the keyring holds for Attaché, read from outside the app."""
    found = subprocess.run(
        ["secret-tool", "search", "--all", "--unlock", "service", "attache"],
        env=env,
        capture_output=True,
        text=True,
        timeout=20,
    )
    return found.stdout + found.stderr


def files_containing(root: Path, needle: str) -> list[Path]:
    return [path for path in root.rglob("*") if path.is_file() and needle.encode() in path.read_bytes()]


class Browser:
    """The user's browser: opens the authorize URL, reads the consent page and clicks Allow."""

    def __init__(self) -> None:
        self.pages: list[str] = []
        self.threads: list[threading.Thread] = []

    def __call__(self, url: str) -> bool:
        thread = threading.Thread(target=self._visit, args=(url,), daemon=True)
        thread.start()
        self.threads.append(thread)
        return True

    def _visit(self, url: str) -> None:
        with httpx.Client(timeout=10) as client:
            self.pages.append(client.get(url).text)
            form = dict(parse_qsl(urlsplit(url).query), decision="allow")
            consent = client.post(url.split("?")[0], data=form)
            client.get(consent.headers["location"])  # lands on Attaché's loopback listener

    def join(self) -> None:
        for thread in self.threads:
            thread.join(10)


def open_add_dialog(window, qtbot):
    window.add_account_action.trigger()
    dialog = window.accounts.dialog
    assert dialog is not None and dialog.isVisible()
    qtbot.waitUntil(lambda: dialog.keyring_usable is not None, timeout=10_000)
    return dialog


def wait_for_workspace(window, qtbot, name: str = "Northwind Studio") -> None:
    qtbot.waitUntil(
        lambda: (
            window.backend is not None and window.accounts.switcher.title == name and window.list_model.rowCount() > 0
        ),
        timeout=20_000,
    )


# ---------------------------------------------------------------------------- adding


def test_an_api_key_is_checked_then_kept_in_the_keyring_and_the_workspace_shown(
    make_window, qtbot, fresh_awork_sandbox, secret_service
):
    sandbox = fresh_awork_sandbox
    window = make_window()
    window.show()
    dialog = open_add_dialog(window, qtbot)
    assert dialog.keyring_usable and dialog.keyring_notice.isHidden()
    assert dialog.service.currentData() == "awork"
    # only the services that work are offered, by the names the registry gives them
    assert [dialog.service.itemData(i) for i in range(dialog.service.count())] == list(SERVICES)
    dialog.name.setText("Work")
    dialog.url.setText(sandbox.base_url)
    dialog.api_key.setText(sandbox.token)
    qtbot.mouseClick(dialog.key_button, Qt.MouseButton.LeftButton)

    wait_for_workspace(window, qtbot)
    assert window.accounts.switcher.subtitle == "Work · awork"
    assert "Northwind Studio" in window.message_bar.text() and "password manager" in window.message_bar.text()
    [account] = AccountStore().list()
    assert (account.name, account.auth, account.workspace) == ("Work", "api_key", "Northwind Studio")
    assert sandbox.token in stored_secrets(secret_service)
    home = Path(os.environ["ATTACHE_HOME"])
    assert files_containing(home, sandbox.token) == []
    assert files_containing(home, "Northwind Studio")  # accounts.json, without the key
    from attache.ui import settings

    assert settings.last_account() == "Work"
    assert window.engine is not None and window.engine._hold_on_sign_in


def test_signing_in_with_the_browser_from_the_dialog(
    make_window, qtbot, fresh_awork_sandbox, secret_service, monkeypatch
):
    sandbox = fresh_awork_sandbox
    browser = Browser()
    monkeypatch.setattr(accounts_dialog, "open_in_browser", browser)
    window = make_window()
    window.show()
    dialog = open_add_dialog(window, qtbot)
    dialog.url.setText(sandbox.base_url)
    qtbot.mouseClick(dialog.browser_button, Qt.MouseButton.LeftButton)
    assert dialog.busy and dialog.cancel_button.text() == "Cancel sign-in"

    wait_for_workspace(window, qtbot)
    browser.join()
    assert "Allow" in browser.pages[0]
    [account] = AccountStore().list()
    assert (account.name, account.auth) == ("Northwind Studio", "oauth")  # named after its workspace
    kept = stored_secrets(secret_service)
    assert '"type":"oauth"' in kept and "refresh_token" in kept
    assert files_containing(Path(os.environ["ATTACHE_HOME"]), "refresh_token") == []


def test_cancel_stops_a_browser_sign_in(make_window, qtbot, fresh_awork_sandbox, monkeypatch):
    reset_app_secrets(AppSecrets(probe=lambda timeout: KeyringStatus(True, "test", "ok")))
    opened: list[str] = []
    monkeypatch.setattr(accounts_dialog, "open_in_browser", lambda url: opened.append(url) or True)
    window = make_window()
    window.show()
    dialog = open_add_dialog(window, qtbot)
    dialog.url.setText(fresh_awork_sandbox.base_url)
    qtbot.mouseClick(dialog.browser_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: bool(opened) and "allow access" in dialog.status_text(), timeout=10_000)
    assert "/accounts/authorize" in opened[0] and dialog.copy_link.isVisible()
    qtbot.mouseClick(dialog.cancel_button, Qt.MouseButton.LeftButton)  # stops the sign-in, keeps the dialog
    assert not dialog.busy and dialog.isVisible() and dialog.status_text() == "Sign-in was cancelled."
    assert dialog.browser_button.isEnabled()
    qtbot.mouseClick(dialog.cancel_button, Qt.MouseButton.LeftButton)  # now closes it
    qtbot.waitUntil(lambda: window.accounts.dialog is None, timeout=2000)
    assert AccountStore().list() == []


def test_without_a_keyring_the_sign_in_is_kept_for_this_session_only(
    make_window, qtbot, fresh_awork_sandbox, no_keyring
):
    sandbox = fresh_awork_sandbox
    window = make_window()
    window.show()
    dialog = open_add_dialog(window, qtbot)
    assert dialog.keyring_notice.isVisible()
    assert "No password manager" in dialog.keyring_text.text()
    assert not dialog.browser_button.isEnabled()  # nothing happens before the user chooses
    dialog.name.setText("Work")
    dialog.url.setText(sandbox.base_url)
    dialog.api_key.setText(sandbox.token)
    assert not dialog.key_button.isEnabled()
    # both ways in are greyed by the same rule, and say why: in a line of text and in their tooltips
    reason = dialog.disabled_reason
    assert reason.isVisible() and "Keep for this session only" in reason.text()
    assert dialog.browser_button.toolTip() == dialog.key_button.toolTip() == reason.text()
    qtbot.mouseClick(dialog.session_button, Qt.MouseButton.LeftButton)
    assert "this session only" in dialog.keyring_text.text()
    assert dialog.browser_button.isEnabled() and dialog.key_button.isEnabled()
    assert reason.isHidden() and dialog.browser_button.toolTip() == ""
    qtbot.mouseClick(dialog.key_button, Qt.MouseButton.LeftButton)

    wait_for_workspace(window, qtbot)
    assert app_secrets().memory.load("Work") == {"type": "api_key", "api_key": sandbox.token}
    assert "this session only" in window.message_bar.text()
    assert files_containing(Path(os.environ["ATTACHE_HOME"]), sandbox.token) == []
    assert AccountStore().get("Work").workspace == "Northwind Studio"


def test_a_wrong_key_or_an_unreachable_server_is_said_in_the_dialog(make_window, qtbot, fresh_awork_sandbox):
    reset_app_secrets(AppSecrets(probe=lambda timeout: KeyringStatus(True, "test", "ok")))
    window = make_window()
    window.show()
    dialog = open_add_dialog(window, qtbot)
    dialog.url.setText(fresh_awork_sandbox.base_url)
    dialog.api_key.setText("not-the-key")
    qtbot.mouseClick(dialog.key_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: not dialog.busy, timeout=10_000)
    assert dialog.isVisible()
    assert dialog.status_text().startswith("awork did not accept this API key")
    assert dialog.status.property("level") == "error"
    assert "not-the-key" not in dialog.status_text() and "Traceback" not in dialog.status_text()
    assert AccountStore().list() == []

    closed = fresh_awork_sandbox.base_url.replace(f":{fresh_awork_sandbox.port}", ":9")
    dialog.url.setText(closed)
    qtbot.mouseClick(dialog.key_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: not dialog.busy, timeout=15_000)
    assert dialog.status_text().startswith("Cannot connect to 127.0.0.1:9")

    dialog.url.setText("api.awork.com")
    qtbot.mouseClick(dialog.key_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: not dialog.busy, timeout=5000)
    assert dialog.status_text().startswith("Enter the address of awork, starting with https://")
    assert AccountStore().list() == []


# ---------------------------------------------------------------------------- signing out


def test_sign_out_deletes_the_secret_and_remove_forgets_the_account(
    make_window, qtbot, fresh_awork_sandbox, secret_service, monkeypatch
):
    sandbox = fresh_awork_sandbox
    store = AccountStore()
    for name in ("Work", "Other"):
        store.add(Account(name, "awork", sandbox.base_url, workspace="Northwind Studio"))
        app_secrets().keyring().save(name, {"type": "api_key", "api_key": f"{sandbox.token}"})
    assert stored_secrets(secret_service).count(sandbox.token) == 2
    window = make_window()
    window.show()
    asked: list[tuple] = []
    monkeypatch.setattr(window.accounts, "confirm", lambda *args: asked.append(args) or True)

    window.accounts.switch_to(store.get("Work"))
    wait_for_workspace(window, qtbot)
    window.sign_out_action.trigger()
    assert asked[-1][1] == "Sign out of “Work”?" and "password manager" in asked[-1][2]
    qtbot.waitUntil(lambda: "Signed out of “Work”" in window.message_bar.text(), timeout=10_000)
    assert window.backend is None and window.pages.currentWidget() is window.empty
    assert stored_secrets(secret_service).count(sandbox.token) == 1  # Other's is still there
    assert [a.name for a in store.list()] == ["Work", "Other"]  # signed out, not forgotten
    assert window.accounts.empty_button.isVisible()

    window.accounts.switch_to(store.get("Other"))
    wait_for_workspace(window, qtbot)
    from attache.ui import settings

    assert settings.last_account() == "Other"  # the next start opens it
    assert window.accounts.remove_action.isEnabled()
    window.accounts.remove_action.trigger()
    assert asked[-1][1] == "Remove “Other”?"
    qtbot.waitUntil(lambda: "Removed “Other”" in window.message_bar.text(), timeout=10_000)
    assert sandbox.token not in stored_secrets(secret_service)
    assert [a.name for a in store.list()] == ["Work"]


# ---------------------------------------------------------------------------- held uploads


def test_held_uploads_prompt_a_new_sign_in_and_then_finish(make_window, qtbot, fresh_awork_sandbox, tmp_path):
    from attache.backends.awork import AworkBackend
    from attache.core.accounts import AccountRef
    from attache.transfers import Journal, Slot
    from attache.transfers.journal import NewJob

    sandbox = fresh_awork_sandbox
    secrets = AppSecrets(probe=lambda timeout: KeyringStatus(False, "fail", "No password manager was found."))
    reset_app_secrets(secrets)
    store = AccountStore()
    store.add(Account("reader", "awork", sandbox.base_url, workspace="Northwind Studio"))
    store.add(Account("work", "awork", sandbox.base_url, workspace="Northwind Studio"))
    secrets.memory.save("reader", {"type": "api_key", "api_key": sandbox.token})
    secrets.memory.save("work", {"type": "api_key", "api_key": "revoked-key"})  # awork no longer takes it
    with AworkBackend(sandbox.base_url, token=sandbox.token) as backend:
        task = next(iter(backend.iter_pages(EntityKind.TASK))).items[0]
    sources = []
    for index in range(3):
        source = tmp_path / f"report-{index}.txt"
        source.write_bytes(b"quarterly numbers\n" * 500)
        sources.append(source)
    with Journal() as journal:  # queued by an earlier session (or the CLI) for "work"
        journal.add(
            [
                NewJob(
                    AccountRef("awork", "work"),
                    EntityRef(EntityKind.TASK, task.id),
                    Slot.FILES,
                    path,
                    path.name,
                    path.stat().st_size,
                    path.stat().st_mtime_ns,
                )
                for path in sources
            ]
        )

    window = make_window()
    window.show()
    window.accounts.switch_to(store.get("reader"))
    bar = window.message_bar
    qtbot.waitUntil(lambda: "The sign-in for “work” has expired" in bar.text(), timeout=20_000)
    assert bar.level == WARNING and bar._action.text() == "Sign in again"
    jobs = window.queue.jobs()
    assert len(jobs) == 3 and not any(job.state == JobState.FAILED for job in jobs)
    assert window.accounts.switcher.attention

    bar._action.click()
    dialog = window.accounts.dialog
    assert dialog is not None and dialog.account.name == "work"
    assert dialog.session_only and dialog.key_button.text() == "Sign in with API key"
    dialog.api_key.setText(sandbox.token)  # a new key for the same account
    qtbot.mouseClick(dialog.key_button, Qt.MouseButton.LeftButton)

    qtbot.waitUntil(
        lambda: len(window.queue.jobs()) == 3 and all(j.state == JobState.DONE for j in window.queue.jobs()),
        timeout=20_000,
    )
    assert window.engine.waiting_for_sign_in() == {}
    assert secrets.memory.load("work")["api_key"] == sandbox.token
    assert "again" in bar.text() and "uploads continue" in bar.text()
    with AworkBackend(sandbox.base_url, token=sandbox.token) as backend:
        names = {record.name for record in backend.list_files(EntityRef(EntityKind.TASK, task.id))}
    assert {source.name for source in sources} <= names


def add_dialog_on_the_sandbox(make_window, qtbot):
    """A window on the built-in sandbox, with Add account open: (window, sandbox server, dialog)."""
    window = make_window()
    window.show()
    window.open_sandbox()
    qtbot.waitUntil(lambda: window.backend is not None, timeout=20_000)
    return window, window.connection.sandbox, open_add_dialog(window, qtbot)


def test_in_the_sandbox_an_account_defaults_to_the_sandbox_and_keeps_it_running(make_window, qtbot, capsys):
    reset_app_secrets(AppSecrets(probe=lambda timeout: KeyringStatus(False, "fail", "No password manager.")))
    window, server, dialog = add_dialog_on_the_sandbox(make_window, qtbot)
    # the window and stderr say it is a demo, and how to reach it from the command line
    note = window.note_bar.text()
    assert note == (
        f"A local awork demo with made-up data, gone when you quit · API {server.base_url} · token {server.token}"
    )
    command = f"ATTACHE_TOKEN={server.token} attache ls projects --service awork --url {server.base_url}"
    window.note_bar._action.click()  # Copy CLI command; the line stays
    assert QGuiApplication.clipboard().text() == command and window.note_bar.isVisible()
    said = capsys.readouterr().err
    assert "This is a local awork demo with made-up data; it is gone when you quit." in said and command in said
    assert dialog.url.text() == server.base_url
    # its sign-ins stay in memory anyway: no word about the missing keyring, nothing to choose
    qtbot.waitUntil(lambda: dialog.keyring_usable is False, timeout=5000)
    assert dialog.keyring_notice.isHidden()
    dialog.url.setText("https://api.example.com/api/v1")  # elsewhere, the keyring matters again
    assert not dialog.keyring_notice.isHidden() and "No password manager" in dialog.keyring_text.text()
    dialog.url.setText(server.base_url)
    assert dialog.keyring_notice.isHidden()
    dialog.name.setText("Demo")
    dialog.api_key.setText(server.token)
    qtbot.mouseClick(dialog.key_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(
        lambda: (
            window.connection is not None
            and window.accounts.current_account() is not None
            and window.backend is not None
            and window.list_model.rowCount() > 0
        ),
        timeout=20_000,
    )
    assert window.accounts.current_account().name == "Demo"
    assert window.connection.sandbox is server  # switching to it did not stop the sandbox
    assert httpx.get(f"{server.base_url}/me", headers={"Authorization": f"Bearer {server.token}"}).status_code == 200

    # the sandbox's own demo sign-in stays in the switcher beside the new account, and opens again
    window.accounts._fill_menu()
    labels = [action.text() for action in window.accounts.menu.actions()]
    assert "awork · sandbox" in labels and any(label.startswith("Demo") for label in labels)
    [demo] = [action for action in window.accounts.menu.actions() if action.text() == "awork · sandbox"]
    demo.trigger()
    qtbot.waitUntil(
        lambda: (
            window.connection is not None
            and window.connection.saved_account is None
            and window.backend is not None
            and window.list_model.rowCount() > 0
        ),
        timeout=20_000,
    )
    assert window.connection.sandbox is server and window.accounts.current_account() is None
    window.accounts._fill_menu()
    labels = [action.text() for action in window.accounts.menu.actions()]
    assert any(label.startswith("Demo") for label in labels)  # and the account is still there to go back to


def test_an_account_on_the_sandbox_lasts_as_long_as_the_sandbox(make_window, qtbot, secret_service):
    """Even with a working password manager, an account added on the built-in sandbox keeps its
    key in memory only, and is forgotten when the sandbox stops: next time its URL would be dead."""
    window, server, dialog = add_dialog_on_the_sandbox(make_window, qtbot)
    assert "built-in sandbox lasts until you quit" in dialog.subtitle.text()
    dialog.name.setText("Demo")
    dialog.api_key.setText(server.token)
    qtbot.mouseClick(dialog.key_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(
        lambda: (
            window.accounts.current_account() is not None
            and window.backend is not None
            and window.list_model.rowCount() > 0
        ),
        timeout=20_000,
    )
    [account] = AccountStore().list()
    assert account.name == "Demo" and account.sandbox_pid == os.getpid()
    assert server.token not in stored_secrets(secret_service)  # not in the keyring
    assert app_secrets().memory.load("Demo") == {"type": "api_key", "api_key": server.token}

    window._quitting = True
    window.close()  # the sandbox stops, and its accounts go
    qtbot.waitUntil(lambda: AccountStore().list() == [], timeout=15_000)


def test_a_crashed_sandboxs_accounts_are_forgotten(tmp_path):
    """The process that ran the sandbox died without cleaning up: its accounts are not listed and
    the next window start removes them; accounts of a live sandbox (another window) stay."""
    dead = subprocess.Popen([sys.executable, "-c", "pass"])
    dead.wait()
    store = AccountStore()
    store.add(Account("Real", "awork", "https://api.awork.com/api/v1"))
    store.add(Account("Ghost", "awork", "http://127.0.0.1:41234/api/v1", sandbox_pid=dead.pid))
    store.add(Account("Alive", "awork", "http://127.0.0.1:41235/api/v1", sandbox_pid=os.getpid()))
    assert [a.name for a in store.list()] == ["Real", "Alive"]
    assert [a.name for a in store.forget_sandbox_accounts()] == ["Ghost"]
    assert [a.name for a in store.forget_sandbox_accounts(os.getpid())] == ["Alive"]
    assert "Ghost" not in store.path.read_text() and [a.name for a in store.list()] == ["Real"]


def test_an_account_that_cannot_open_offers_to_sign_in_again(make_window, qtbot, fresh_awork_sandbox):
    sandbox = fresh_awork_sandbox
    secrets = AppSecrets(probe=lambda timeout: KeyringStatus(False, "fail", "No password manager."))
    reset_app_secrets(secrets)
    AccountStore().add(Account("work", "awork", sandbox.base_url, workspace="Northwind Studio"))
    secrets.memory.save("work", {"type": "api_key", "api_key": "revoked-key"})
    window = make_window()
    window.show()
    window.accounts.switch_to(AccountStore().get("work"))
    bar = window.message_bar
    qtbot.waitUntil(lambda: bar.text().startswith("Could not open “work”"), timeout=15_000)
    assert bar._action.text() == "Sign in again" and window.backend is None
    bar._action.click()
    dialog = window.accounts.dialog
    dialog.api_key.setText(sandbox.token)
    qtbot.mouseClick(dialog.key_button, Qt.MouseButton.LeftButton)
    wait_for_workspace(window, qtbot)

    # signing the open account in again swaps the window's backend and keeps the view
    before = window.backend
    window.accounts.sign_in_again("work")
    dialog = window.accounts.dialog
    dialog.api_key.setText(sandbox.token)
    qtbot.mouseClick(dialog.key_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: window.backend is not before and window.list_model.rowCount() > 0, timeout=15_000)
    assert window.pages.currentWidget() is window.splitter
    assert "again" in bar.text()


def test_accounts_on_the_sandbox_share_its_transfers_with_an_account_column(make_window, qtbot, tmp_path):
    from ui_helpers import task_without_files

    from attache.ui.transfers_view import TransfersModel

    reset_app_secrets(AppSecrets(probe=lambda timeout: KeyringStatus(False, "fail", "No password manager.")))
    window = make_window()
    window.show()
    window.open_sandbox()
    qtbot.waitUntil(lambda: window.backend is not None, timeout=20_000)
    server = window.connection.sandbox
    task = EntityRef(EntityKind.TASK, task_without_files(server))
    first = tmp_path / "first.txt"
    first.write_text("from the demo sign-in")
    window.queue.attach(task, "Task “One”", [first])
    qtbot.waitUntil(lambda: [j.state for j in window.queue.jobs()] == [JobState.DONE], timeout=20_000)
    panel = window.transfers
    header = panel.view.header()
    assert header.isSectionHidden(TransfersModel.ACCOUNT)  # one account: no column for it

    dialog = open_add_dialog(window, qtbot)
    dialog.name.setText("Demo")
    dialog.api_key.setText(server.token)
    qtbot.mouseClick(dialog.key_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(
        lambda: window.accounts.current_account() is not None and window.queue.engine is not None, timeout=20_000
    )
    qtbot.waitUntil(lambda: len(window.queue.jobs()) == 1, timeout=10_000)  # the demo sign-in's upload is still listed
    second = tmp_path / "second.txt"
    second.write_text("from the added account")
    window.queue.attach(task, "Task “One”", [second])
    qtbot.waitUntil(lambda: [j.state for j in window.queue.jobs()] == [JobState.DONE, JobState.DONE], timeout=20_000)
    assert not header.isSectionHidden(TransfersModel.ACCOUNT)
    model = panel.model
    accounts = {model.index(row, TransfersModel.ACCOUNT).data() for row in range(model.rowCount())}
    assert accounts == {"sandbox", "Demo"}
