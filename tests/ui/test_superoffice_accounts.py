"""SuperOffice accounts in the window's account dialog, against the SuperOffice sandbox over real
HTTP: Onsite's server address, user name and password (sent as Basic, kept in the keyring);
Online's browser sign-in for a registered app, whose client id the account remembers and whose
app token goes to the keyring only; and a "Sign in again" that starts from the remembered client id."""

from __future__ import annotations

import json
import os
import re
import threading
from html import unescape
from pathlib import Path
from urllib.parse import parse_qsl, urlsplit

import httpx
import pytest
from PySide6.QtCore import Qt
from test_accounts import (  # noqa: F401 — fixtures: a new app run each test, a private Secret Service
    _new_app_run,
    open_add_dialog,
    secret_service,
    stored_secrets,
)

from attache.app.secrets import AppSecrets, app_secrets, reset_app_secrets
from attache.core.accounts import CLIENT_ID_OPTION, Account, AccountStore
from attache.core.models import EntityKind
from attache.credentials import KeyringStatus
from attache.sandbox.common.templates import saved_templates
from attache.ui import accounts_dialog

TENANT = "Cust12345"  # the sandbox's tenant
WORKSPACE = "Fjordlight Consulting AS"  # the tenant's own company: the workspace an account opens


class FormPostBrowser:
    """The user's browser on SuperOffice's sign-in: clicks Allow, then submits the page's
    self-posting form to Attaché's loopback listener, as the page's onload script does."""

    def __init__(self) -> None:
        self.opened: list[str] = []
        self.threads: list[threading.Thread] = []

    def __call__(self, url: str) -> bool:
        self.opened.append(url)
        thread = threading.Thread(target=self._visit, args=(url,), daemon=True)
        thread.start()
        self.threads.append(thread)
        return True

    def _visit(self, url: str) -> None:
        with httpx.Client(timeout=10) as client:
            form = dict(parse_qsl(urlsplit(url).query), decision="allow")
            page = client.post(url.split("?")[0], data=form).text
            action = unescape(re.search(r'action="([^"]+)"', page).group(1))  # type: ignore[union-attr]
            fields = {unescape(k): unescape(v) for k, v in re.findall(r'name="([^"]+)" value="([^"]*)"', page)}
            client.post(action, data=fields)

    def join(self) -> None:
        for thread in self.threads:
            thread.join(10)


@pytest.fixture
def server(make_awork_sandbox):
    return make_awork_sandbox(service="superoffice")


def _home_files_containing(needle: str) -> list[Path]:
    """The app's files that hold `needle`; not the sandbox's own seeded data, which a sandbox that
    seeded first in this process saved in the cache folder (the server's side: it holds its demo
    user's password, as a server does)."""
    home = Path(os.environ["ATTACHE_HOME"])
    server_side = saved_templates()
    return [
        path
        for path in home.rglob("*")
        if path.is_file() and not path.is_relative_to(server_side) and needle.encode() in path.read_bytes()
    ]


def _choose_superoffice(dialog) -> None:
    dialog.service.setCurrentIndex(dialog.service.findData("superoffice"))
    assert dialog.password_fields.isVisible() and dialog.browser_button.isVisible()
    assert not dialog.api_key.isVisible()  # a pasted token is the CLI's ($ATTACHE_TOKEN), not the window's
    assert not dialog.password_fields.remember.isVisible()  # Onsite's password is the sign-in: always kept
    assert "Cust12345/api" in dialog.url_hint.text() and dialog.url_hint.isVisible()


def _wait_for_companies(window, qtbot) -> None:
    qtbot.waitUntil(lambda: window.backend is not None and window.accounts.switcher.title == WORKSPACE, timeout=20_000)
    window.show_kind(EntityKind.COMPANY)
    model = window.list_model
    qtbot.waitUntil(
        lambda: model.kind is EntityKind.COMPANY and model.rowCount() > 0 and not model.loading, timeout=15_000
    )
    names = [model.entity(row).name for row in range(model.rowCount())]
    assert "Fjordlight Consulting AS" in names  # the sandbox's own company, listed from the tenant


# ---------------------------------------------------------------------------- Onsite


def test_onsite_a_user_name_and_password_add_the_account_and_the_window_lists_companies(
    make_window,
    qtbot,
    server,
    secret_service,  # noqa: F811
):
    window = make_window()
    window.show()
    dialog = open_add_dialog(window, qtbot)
    _choose_superoffice(dialog)
    fields = dialog.password_fields
    dialog.name.setText("Onsite")
    dialog.url.setText(server.base_url + "/v1/")  # …/api/v1 as SuperOffice's own docs write it
    fields.user.setText(server.demo_user)
    assert not dialog.key_button.isEnabled() and "password first" in dialog.key_button.toolTip()
    fields.password.setText(server.demo_password)
    # the password's own button, beside its fields: the dialog's box keeps Cancel only
    assert dialog.key_button.text() == "Add account" and dialog.key_button.isEnabled()
    assert dialog.key_button.parent() is dialog.password_row and dialog.buttons.buttons() == [dialog.cancel_button]
    qtbot.mouseClick(dialog.key_button, Qt.MouseButton.LeftButton)

    _wait_for_companies(window, qtbot)
    [account] = AccountStore().list()
    assert (account.name, account.service, account.auth, account.user) == (
        "Onsite",
        "superoffice",
        "password",
        server.demo_user,
    )
    assert account.base_url == server.base_url  # …/api/v1 became the tenant's …/api
    assert server.demo_password in stored_secrets(secret_service)
    assert _home_files_containing(server.demo_password) == []


def test_onsite_a_wrong_password_is_said_and_nothing_saved(make_window, qtbot, server):
    reset_app_secrets(AppSecrets(probe=lambda timeout: KeyringStatus(True, "test", "ok")))
    window = make_window()
    window.show()
    dialog = open_add_dialog(window, qtbot)
    _choose_superoffice(dialog)
    dialog.url.setText(server.base_url)
    dialog.password_fields.user.setText(server.demo_user)
    dialog.password_fields.password.setText("not-the-password")
    qtbot.mouseClick(dialog.key_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: not dialog.busy, timeout=15_000)
    assert dialog.isVisible() and dialog.status.property("level") == "error"
    assert dialog.status_text().startswith("SuperOffice did not accept this user name and password.")
    assert "not-the-password" not in dialog.status_text()
    assert AccountStore().list() == [] and app_secrets().memory.load("new account") is None
    # another service's dialog is as it was: awork's key way, its button back in the box
    dialog.service.setCurrentIndex(dialog.service.findData("awork"))
    assert dialog.api_key.isVisible() and dialog.or_key.isVisible() and not dialog.or_browser.isVisible()
    assert not dialog.client_id.isVisible() and not dialog.password_fields.isVisible()
    assert dialog.key_button in dialog.buttons.buttons() and dialog.key_button.text() == "Add with API key"


# ---------------------------------------------------------------------------- Online


def test_online_the_browser_way_needs_the_apps_client_id_which_the_account_remembers(
    make_window,
    qtbot,
    server,
    secret_service,  # noqa: F811
    monkeypatch,
):
    browser = FormPostBrowser()
    monkeypatch.setattr(accounts_dialog, "open_in_browser", browser)
    window = make_window()
    window.show()
    dialog = open_add_dialog(window, qtbot)
    _choose_superoffice(dialog)
    dialog.url.setText(server.base_url)
    assert dialog.client_id.isVisible() and dialog.app_token.isVisible()
    assert dialog.app_token.echoMode() == dialog.app_token.EchoMode.Password
    # greyed until the client id is typed, and it says so where the user looks
    assert not dialog.browser_button.isEnabled()
    reason = "Enter the Client ID of your app above first."
    assert dialog.browser_button.toolTip() == reason and dialog.browser_hint.text() == reason
    assert dialog.browser_hint.isVisible() and dialog.disabled_reason.isHidden()  # the keyring is fine
    qtbot.mouseClick(dialog.browser_button, Qt.MouseButton.LeftButton)
    assert not dialog.busy and browser.opened == []
    qtbot.keyClicks(dialog.client_id, server.client_id)
    assert dialog.browser_button.isEnabled() and dialog.browser_button.toolTip() == ""
    assert "Allow access there" in dialog.browser_hint.text()
    dialog.app_token.setText(server.client_secret)
    qtbot.mouseClick(dialog.browser_button, Qt.MouseButton.LeftButton)

    _wait_for_companies(window, qtbot)
    browser.join()
    query = dict(parse_qsl(urlsplit(browser.opened[0]).query))
    assert query["client_id"] == server.client_id and query["acr_values"] == f"tenant:{TENANT}"
    [account] = AccountStore().list()
    assert (account.name, account.auth, account.options) == (WORKSPACE, "oauth", {CLIENT_ID_OPTION: server.client_id})
    saved = AccountStore().path.read_text("utf-8")
    assert json.loads(saved)["accounts"][0]["options"] == {CLIENT_ID_OPTION: server.client_id}
    assert server.client_secret not in saved and _home_files_containing(server.client_secret) == []
    kept = stored_secrets(secret_service)
    assert server.client_secret in kept and "refresh_token" in kept  # the app token: in the keyring only


def test_signing_in_again_starts_from_the_remembered_client_id_and_keeps_the_app_token(
    make_window,
    qtbot,
    server,
    secret_service,  # noqa: F811
    monkeypatch,
):
    browser = FormPostBrowser()
    monkeypatch.setattr(accounts_dialog, "open_in_browser", browser)
    AccountStore().add(
        Account(
            "online", "superoffice", server.base_url, auth="oauth", workspace=WORKSPACE,
            options={CLIENT_ID_OPTION: server.client_id},
        )
    )  # fmt: skip
    secrets = app_secrets()
    old = {"type": "oauth", "client_id": server.client_id, "app_token": server.client_secret}
    secrets.store_for_new(False).save("online", {**old, "access_token": "revoked", "refresh_token": "revoked"})
    window = make_window()
    window.show()
    window.accounts.sign_in_again("online", reopen=True)
    dialog = window.accounts.dialog
    qtbot.waitUntil(lambda: dialog.keyring_usable is not None, timeout=10_000)
    assert dialog.client_id.text() == server.client_id and dialog.app_token.text() == ""
    assert "last sign-in" in dialog.app_token.placeholderText()
    assert dialog.browser_button.isEnabled()
    qtbot.mouseClick(dialog.browser_button, Qt.MouseButton.LeftButton)

    _wait_for_companies(window, qtbot)
    browser.join()
    renewed = secrets.store_for("online").load("online")
    assert renewed is not None and renewed["access_token"] != "revoked"
    assert renewed["app_token"] == server.client_secret  # the previous secret's, reused
    assert AccountStore().get("online").options == {CLIENT_ID_OPTION: server.client_id}
