"""ONLYOFFICE accounts in the window, against the ONLYOFFICE sandbox over real HTTP: adding one
with the portal's address, a user name and a password (and the two-factor code when the portal
asks), what the keyring then holds, and uploads held by an expired token until the user signs in
again — or, with a remembered password, renewed without asking."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from PySide6.QtCore import Qt
from test_accounts import (  # noqa: F401 — fixtures: a new app run each test, a private Secret Service
    _new_app_run,
    open_add_dialog,
    secret_service,
    stored_secrets,
)

from attache.app.secrets import AppSecrets, reset_app_secrets
from attache.core.accounts import Account, AccountStore
from attache.core.models import EntityKind, EntityRef
from attache.credentials import KeyringStatus
from attache.sandbox import SandboxServer
from attache.sandbox.onlyoffice.tfa import is_valid, totp
from attache.transfers import JobState
from attache.ui.messagebar import WARNING

PORTAL = "Harbourlight Architects"


@pytest.fixture
def portal():
    """A demo portal of its own: these tests sign in, upload and expire tokens."""
    with SandboxServer(service="onlyoffice") as server:
        yield server


def _files_containing(needle: str) -> list[Path]:
    """Attaché's own files holding `needle`; not the demo portal's store, whose seeded copy is
    cached under the home (the server's data: it knows its demo user's password)."""
    home = Path(os.environ["ATTACHE_HOME"])
    templates = home / "cache" / "sandbox-templates"
    return [
        path
        for path in home.rglob("*")
        if path.is_file() and not path.is_relative_to(templates) and needle.encode() in path.read_bytes()
    ]


def _wait_for_portal(window, qtbot) -> None:
    qtbot.waitUntil(
        lambda: (
            window.backend is not None and window.accounts.switcher.title == PORTAL and window.list_model.rowCount() > 0
        ),
        timeout=20_000,
    )


def _fill(dialog, portal, *, user: str, password: str, name: str = "Office") -> None:
    dialog.service.setCurrentIndex(dialog.service.findData("onlyoffice"))
    fields = dialog.password_fields
    assert fields.isVisible() and not dialog.api_key.isVisible() and not dialog.browser_button.isVisible()
    dialog.name.setText(name)
    dialog.url.setText(portal.root_url)
    fields.user.setText(user)
    fields.password.setText(password)


def _sign_in(dialog, qtbot) -> None:
    qtbot.mouseClick(dialog.key_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: not dialog.busy, timeout=15_000)


# ---------------------------------------------------------------------------- adding


def test_a_password_sign_in_keeps_the_token_and_not_the_password(make_window, qtbot, portal, secret_service):  # noqa: F811
    window = make_window()
    window.show()
    dialog = open_add_dialog(window, qtbot)
    _fill(dialog, portal, user=portal.demo_login, password=portal.password)
    assert dialog.key_button.text() == "Add account" and not dialog.password_fields.remember.isChecked()
    qtbot.mouseClick(dialog.key_button, Qt.MouseButton.LeftButton)

    _wait_for_portal(window, qtbot)
    [account] = AccountStore().list()
    assert (account.name, account.service, account.auth, account.user, account.workspace) == (
        "Office",
        "onlyoffice",
        "password",
        portal.demo_login,
        PORTAL,
    )
    assert account.base_url.rstrip("/") == portal.root_url.rstrip("/")
    kept = stored_secrets(secret_service)
    assert '"token"' in kept and portal.password not in kept  # the token only
    assert _files_containing(portal.password) == [] and _files_containing('"token"') == []


def test_remember_my_password_keeps_it_in_the_keyring(make_window, qtbot, portal, secret_service):  # noqa: F811
    window = make_window()
    window.show()
    dialog = open_add_dialog(window, qtbot)
    _fill(dialog, portal, user=portal.demo_login, password=portal.password)
    dialog.password_fields.remember.setChecked(True)
    qtbot.mouseClick(dialog.key_button, Qt.MouseButton.LeftButton)
    _wait_for_portal(window, qtbot)
    kept = stored_secrets(secret_service)
    assert '"token"' in kept and portal.password in kept
    assert _files_containing(portal.password) == []  # in the keyring, never in a file


def test_a_wrong_password_is_said_in_the_dialog(make_window, qtbot, portal):
    reset_app_secrets(AppSecrets(probe=lambda timeout: KeyringStatus(True, "test", "ok")))
    window = make_window()
    window.show()
    dialog = open_add_dialog(window, qtbot)
    _fill(dialog, portal, user=portal.demo_login, password="not-the-password")
    _sign_in(dialog, qtbot)
    assert dialog.isVisible() and dialog.status.property("level") == "error"
    assert dialog.status_text().startswith("ONLYOFFICE did not accept this user name and password.")
    assert "not-the-password" not in dialog.status_text()
    assert AccountStore().list() == []


def test_the_two_factor_step_asks_for_the_code(make_window, qtbot, portal, secret_service):  # noqa: F811
    window = make_window()
    window.show()
    dialog = open_add_dialog(window, qtbot)
    fields = dialog.password_fields
    _fill(dialog, portal, user=portal.tfa_login, password=portal.password)
    assert not fields.code.isVisible()
    _sign_in(dialog, qtbot)
    assert fields.code.isVisible() and fields.asking_code
    assert dialog.status_text() == "The password is right. One more step: the two-factor code."
    assert "authenticator app" in fields.code_hint.text()
    assert not dialog.key_button.isEnabled()  # until a code is typed
    assert AccountStore().list() == []

    wrong = next(code for code in ("000000", "111111", "222222", "333333") if not is_valid(code, portal.tfa_secret))
    fields.code.setText(wrong)
    _sign_in(dialog, qtbot)
    assert dialog.isVisible() and dialog.status.property("level") == "error"
    assert dialog.status_text().startswith("ONLYOFFICE did not accept this two-factor code.")
    assert fields.code.isVisible()  # the password stays; only the code is typed again
    assert AccountStore().list() == []

    fields.code.setText(totp(portal.tfa_secret))
    qtbot.mouseClick(dialog.key_button, Qt.MouseButton.LeftButton)
    _wait_for_portal(window, qtbot)
    [account] = AccountStore().list()
    assert account.user == portal.tfa_login
    kept = stored_secrets(secret_service)
    assert '"token"' in kept and portal.password not in kept and portal.tfa_secret not in kept


# ---------------------------------------------------------------------------- an expired token


def _signed_in_account(portal, secrets: AppSecrets, *, remember: bool) -> Account:
    from attache.backends.onlyoffice import password_sign_in

    account = Account("work", "onlyoffice", portal.root_url, auth="password", workspace=PORTAL, user=portal.demo_login)
    AccountStore().add(account)
    secret = password_sign_in(
        portal.root_url, user=portal.demo_login, password=portal.password, remember_password=remember
    )
    secrets.memory.save("work", secret)
    return account


def _queue_while_paused(window, qtbot, portal, tmp_path: Path) -> tuple[str, list[Path]]:
    """Three uploads to a task wait in a paused queue; then every token of the portal expires."""
    task_id = str(portal.store.scalar("SELECT id FROM tasks ORDER BY id LIMIT 1"))
    sources = []
    for index in range(3):
        source = tmp_path / f"site-report-{index}.txt"
        source.write_bytes(b"levels and photos\n" * (400 * (index + 1)))
        sources.append(source)
    window.engine.pause()
    window.queue.attach(EntityRef(EntityKind.TASK, task_id), "Task “Site survey”", sources)
    qtbot.waitUntil(lambda: len(window.queue.jobs()) == 3, timeout=10_000)
    portal.tokens.expire_all()
    window.engine.resume()
    return task_id, sources


def _attached(portal, task_id: str) -> set[str]:
    rows = portal.store.read(
        "SELECT f.title FROM files f JOIN task_files t ON t.file_id=f.id WHERE t.task_id=?", (int(task_id),)
    )
    return {row["title"] for row in rows}


def _all_done(window) -> bool:
    jobs = window.queue.jobs()
    return len(jobs) == 3 and all(job.state == JobState.DONE for job in jobs)


def test_an_expired_token_holds_the_uploads_until_the_user_signs_in_again(make_window, qtbot, portal, tmp_path):
    secrets = AppSecrets(probe=lambda timeout: KeyringStatus(False, "fail", "No password manager was found."))
    reset_app_secrets(secrets)
    account = _signed_in_account(portal, secrets, remember=False)
    window = make_window()
    window.show()
    window.accounts.switch_to(account)
    _wait_for_portal(window, qtbot)
    task_id, sources = _queue_while_paused(window, qtbot, portal, tmp_path)

    bar = window.message_bar
    qtbot.waitUntil(lambda: "The sign-in for “work” has expired" in bar.text(), timeout=20_000)
    assert bar.level == WARNING and bar._action.text() == "Sign in again"
    assert not any(job.state in (JobState.FAILED, JobState.DONE) for job in window.queue.jobs())
    assert window.engine.waiting_for_sign_in()

    bar._action.click()
    dialog = window.accounts.dialog
    assert dialog is not None and dialog.account.name == "work"
    fields = dialog.password_fields
    assert fields.isVisible() and fields.user.text() == portal.demo_login and dialog.key_button.text() == "Sign in"
    fields.password.setText(portal.password)
    qtbot.mouseClick(dialog.key_button, Qt.MouseButton.LeftButton)

    qtbot.waitUntil(lambda: _all_done(window), timeout=30_000)
    assert window.engine.waiting_for_sign_in() == {}
    assert {source.name for source in sources} <= _attached(portal, task_id)
    assert "uploads continue" in bar.text()


def test_with_a_remembered_password_the_token_is_renewed_without_asking(make_window, qtbot, portal, tmp_path):
    secrets = AppSecrets(probe=lambda timeout: KeyringStatus(False, "fail", "No password manager was found."))
    reset_app_secrets(secrets)
    account = _signed_in_account(portal, secrets, remember=True)
    first_token = secrets.memory.load("work")["token"]
    window = make_window()
    window.show()
    window.accounts.switch_to(account)
    _wait_for_portal(window, qtbot)
    task_id, sources = _queue_while_paused(window, qtbot, portal, tmp_path)

    qtbot.waitUntil(lambda: _all_done(window), timeout=30_000)
    assert window.accounts.dialog is None and "Sign in again" not in window.message_bar.text()
    assert {source.name for source in sources} <= _attached(portal, task_id)
    renewed = secrets.memory.load("work")
    assert renewed["token"] != first_token and renewed["password"] == portal.password  # saved for next time
