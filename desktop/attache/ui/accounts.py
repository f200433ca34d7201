"""The window's accounts: the switcher in the sidebar header, adding, signing out, removing, and
the "sign in again" prompt when the transfer engine holds an account's uploads.

All keyring and network work runs on workers (`tasks.run_task`); the account list is a small
local file read where it is shown.
"""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING

from PySide6.QtCore import QObject
from PySide6.QtGui import QAction
from PySide6.QtWidgets import QMenu, QMessageBox, QPushButton

from attache.app.secrets import AppSecrets, app_secrets
from attache.app.sign_in import SignInResult, sign_out
from attache.core.accounts import Account, AccountStore
from attache.core.errors import AttacheError, AuthenticationError
from attache.core.services import display_name
from attache.transfers import JobState
from attache.ui import settings, tasks
from attache.ui.accounts_switcher import AccountSwitcher
from attache.ui.messagebar import INFO, SUCCESS, WARNING
from attache.ui.plain import message_box
from attache.ui.transfer_rows import ACTIVE_STATES

if TYPE_CHECKING:
    from attache.ui.accounts_dialog import AccountDialog  # loaded when a dialog opens, not for the first paint

log = logging.getLogger(__name__)

WAITING_FOR_SIGN_IN = "Waiting for sign-in"


def _account_label(account: Account) -> str:
    if account.workspace and account.workspace != account.name:
        return f"{account.name} — {account.workspace}"
    return account.name


class AccountsController(QObject):
    """Everything about accounts in one window. Created by the window after its menus."""

    def __init__(self, window) -> None:
        super().__init__(window)
        self.window = window
        self.session = window.session
        self.dialog: AccountDialog | None = None
        self._prompted: set = set()  # AccountRefs whose "sign in again" bar was shown for this hold
        self._signed_out: set[str] = set()  # account names signed out in this run
        self._demo = None  # the built-in sandbox's own connection, while its sandbox runs

        # what the window places: the switcher heads its sidebar, the button sits in its empty state,
        # the action in its File menu beside Sign out
        self.menu = QMenu(window)
        self.menu.setObjectName("AccountsMenu")
        self.menu.aboutToShow.connect(self._fill_menu)
        self.switcher = AccountSwitcher(window)
        self.switcher.setMenu(self.menu)
        self.empty_button = QPushButton("Open an account", window.empty)
        self.empty_button.setAccessibleName("Open a saved account")
        self.empty_button.setMenu(self.menu)
        self.remove_action = QAction("&Remove account…", window)
        self.remove_action.setStatusTip("Forget this account and delete its sign-in")
        self.remove_action.triggered.connect(lambda checked=False: self.remove_account())

        window.connected.connect(self._connected)
        window.queue.jobChanged.connect(self._job_changed)
        window.list_model.failed.connect(self._browse_failed)  # after the window's own handler: this one wins
        self.update_actions()
        self.refresh_empty_state()

    # ------------------------------------------------------------------ state

    @property
    def secrets(self) -> AppSecrets:
        return app_secrets()

    def current_account(self) -> Account | None:
        connection = self.session.connection
        return getattr(connection, "saved_account", None) if connection is not None else None

    def accounts(self) -> list[Account]:
        try:
            return AccountStore().list()
        except AttacheError as error:
            log.warning("%s", error)
            return []

    def update_actions(self) -> None:
        self.remove_action.setEnabled(self.current_account() is not None)

    def refresh_empty_state(self) -> None:
        self.window.empty.set_extra_visible(bool(self.accounts()))

    def _held_accounts(self) -> dict:
        engine = self.session.engine
        return engine.waiting_for_sign_in() if engine is not None else {}

    def _update_switcher(self) -> None:
        connection = self.session.connection
        account = self.current_account()
        held = self._held_accounts()
        backend = self.session.backend
        if backend is None:
            self.switcher.set_account("Attaché", "Not signed in", attention=bool(held))
            return
        workspace = self.session.workspace.name if self.session.workspace is not None else ""
        if connection is None:
            self.switcher.set_account(workspace or backend.account, display_name(backend.service), attention=bool(held))
            return
        if account is not None:
            service = display_name(account.service)
            title = workspace or account.workspace or account.name
            subtitle = f"{account.name} · {service}" if account.name != title else service
            note = (
                "Signed in for this session only (no password manager)"
                if self.secrets.is_session_only(account.name)
                else account.base_url
            )
        else:
            title = workspace or connection.account
            subtitle = connection.label or connection.service
            note = ""
        self.switcher.set_account(title, subtitle, attention=bool(held), note=note)

    # ------------------------------------------------------------------ the menu

    def _fill_menu(self) -> None:
        menu = self.menu
        menu.clear()
        current = self.current_account()
        connection = self.session.connection
        held = {ref.account for ref in self._held_accounts()}
        accounts = self.accounts()
        if accounts or connection is not None:
            menu.addSection("Accounts")
        if connection is not None and current is None and self.session.backend is not None:
            action = menu.addAction(connection.label or connection.account)
            action.setCheckable(True)
            action.setChecked(True)
            action.setEnabled(False)
        demo = self._running_demo()
        if demo is not None and connection is not demo:
            action = menu.addAction(demo.label or demo.account)
            action.setCheckable(True)
            action.setStatusTip("The built-in demo workspace")
            action.triggered.connect(lambda checked=False: self.back_to_demo())
        for account in accounts:
            label = _account_label(account)
            if account.name in held or account.name in self._signed_out:
                label += "  — sign in again…"
            action = menu.addAction(label)
            action.setCheckable(True)
            action.setChecked(current is not None and current.name == account.name)
            action.setStatusTip(f"{display_name(account.service)} · {account.base_url}")
            action.triggered.connect(lambda checked=False, account=account: self._menu_chose(account))
        menu.addSeparator()
        menu.addAction("Add account…", self.add_account)
        if current is not None:
            menu.addAction(f"Sign out of “{current.name}”", self.sign_out)
            menu.addAction(f"Remove “{current.name}”…", self.remove_account)

    def _menu_chose(self, account: Account) -> None:
        current = self.current_account()
        needs_sign_in = account.name in self._signed_out or account.name in {
            ref.account for ref in self._held_accounts()
        }
        if current is not None and current.name == account.name:
            if needs_sign_in:
                self.sign_in_again(account.name)
            return
        if account.name in self._signed_out:  # its secret is gone: sign in, then open it
            self.sign_in_again(account.name, reopen=True)
            return
        self.switch_to(account)

    # ------------------------------------------------------------------ switching

    def switch_to(self, account: Account) -> None:
        """Open this account's backend on a worker and show its workspace (the window does the rest)."""
        from attache.app.connections import saved_account_connection

        connection = saved_account_connection(account)
        self._carry_sandbox(connection)
        self.window.open_connection(connection)

    def _running_demo(self):
        """The built-in sandbox's connection, while the sandbox runs (the open connection carries it)."""
        demo, current = self._demo, self.session.connection
        if demo is None or current is None or getattr(current, "sandbox", None) is not demo.sandbox:
            return None
        return demo

    def back_to_demo(self) -> None:
        """From an account on the built-in sandbox back to the sandbox's own demo sign-in."""
        from attache.app.connections import Connection

        demo = self._running_demo()
        if demo is None:
            return
        again = Connection(demo.service, demo.account, demo.make_backend, label=demo.label, sandbox=demo.sandbox)
        current = self.session.connection
        again.share_journal_with(current)
        again.closers, current.closers = current.closers, []
        self._demo = again
        self.window.open_connection(again)

    def _carry_sandbox(self, connection) -> None:
        """An account on the built-in sandbox keeps the sandbox running when the window switches to it."""
        current = self.session.connection
        sandbox = getattr(current, "sandbox", None)
        account = connection.saved_account
        if sandbox is None or account is None or account.base_url.rstrip("/") != sandbox.base_url.rstrip("/"):
            return
        connection.closers, current.closers = current.closers, []
        connection.sandbox = sandbox
        connection.share_journal_with(current)  # one queue for the sandbox: every account's uploads show

    def _connected(self) -> None:
        self._prompted.clear()
        connection = self.session.connection
        if connection is not None and connection.sandbox is not None and connection.saved_account is None:
            self._demo = connection
        account = self.current_account()
        if account is not None:
            self._signed_out.discard(account.name)
            settings.set_last_account(account.name)
        self._update_switcher()
        self.update_actions()
        self._check_held()

    def open_failed(self, connection, error: BaseException) -> None:
        """The window could not open a connection: for a saved account's sign-in, offer a new one."""
        account = getattr(connection, "saved_account", None)
        self.refresh_empty_state()
        if account is None or not isinstance(error, AuthenticationError):
            return
        self.window.show_message(
            f"Could not open “{account.name}”: {error}",
            WARNING,
            action=("Sign in again", lambda: self.sign_in_again(account.name, reopen=True)),
        )

    # ------------------------------------------------------------------ adding

    def add_account(self) -> None:
        if self._raise_dialog():
            return
        from attache.ui.accounts_dialog import AccountDialog

        sandbox_url = self._sandbox_url()
        connection = self.session.connection
        dialog = AccountDialog(
            self.secrets,
            self.window,
            url=sandbox_url or None,
            sandbox_url=sandbox_url,
            **({"service_id": connection.service} if sandbox_url and connection else {}),
        )
        dialog.finished.connect(lambda _code, dialog=dialog: self._added(dialog))
        self.dialog = dialog
        dialog.open()

    def _sandbox_url(self) -> str:
        """The built-in sandbox's URL while the window is on it (new accounts default to it)."""
        sandbox = getattr(self.session.connection, "sandbox", None)
        return sandbox.base_url if sandbox is not None else ""

    def _added(self, dialog: AccountDialog) -> None:
        result = dialog.result_value
        self._forget_dialog(dialog)
        if result is None:
            return
        self.refresh_empty_state()
        self.window.show_message(
            f"Added “{result.account.name}”: signed in to {result.workspace}. {_kept_in(result)}", SUCCESS
        )
        self.switch_to(result.account)

    def _raise_dialog(self) -> bool:
        if self.dialog is not None and self.dialog.isVisible():
            self.dialog.raise_()
            self.dialog.activateWindow()
            return True
        return False

    def _forget_dialog(self, dialog: AccountDialog) -> None:
        if self.dialog is dialog:
            self.dialog = None
        dialog.deleteLater()

    # ------------------------------------------------------------------ signing in again

    def sign_in_again(self, name: str, *, reopen: bool = False, reason: str = "") -> None:
        if self._raise_dialog():
            return
        try:
            account = AccountStore().get(name)
        except AttacheError as error:
            self.window.show_error(error)
            return
        from attache.ui.accounts_dialog import AccountDialog

        dialog = AccountDialog(self.secrets, self.window, account=account, reason=reason)
        dialog.finished.connect(lambda _code, dialog=dialog: self._signed_in_again(dialog, reopen))
        self.dialog = dialog
        dialog.open()

    def sign_in_current(self) -> None:
        """The status bar's Sign in: the open account's sign-in again, or a new account when the
        window runs on a token it was started with."""
        account = self.current_account()
        if account is not None:
            self.sign_in_again(account.name)
        else:
            self.add_account()

    def _signed_in_again(self, dialog: AccountDialog, reopen: bool) -> None:
        result = dialog.result_value
        self._forget_dialog(dialog)
        if result is None:
            return
        from attache.core.accounts import AccountRef

        account = result.account
        ref = AccountRef(account.service, account.name)
        self._signed_out.discard(account.name)
        self._prompted.discard(ref)
        engine = self.session.engine
        held = engine is not None and ref in engine.waiting_for_sign_in()
        if engine is not None:
            engine.signed_in(ref)  # its next requests use the new secret; held uploads go on
        current = self.current_account()
        if current is not None and current.name == account.name:
            self.session.connection.saved_account = account
            self._renew_browse_backend()
        elif reopen:
            self.switch_to(account)
        note = " Its uploads continue." if held else ""
        self.window.show_message(f"Signed in to {result.workspace} as “{account.name}” again.{note}", SUCCESS)
        self._update_switcher()

    def _renew_browse_backend(self) -> None:
        """The window's own backend still holds the old sign-in: open a new one, keep the view."""
        window = self.window
        connection = self.session.connection

        def open_new():
            backend = connection.make_backend()
            try:
                return backend, backend.workspace()
            except BaseException:
                backend.close()
                raise

        def opened(result) -> None:
            backend, workspace = result
            if self.session.connection is not connection:
                backend.close()
                return
            old = window.session.renew_backend(backend, workspace)
            window.refresh()
            self._update_switcher()
            if old is not None and old is not backend:
                tasks.close_later(old.close)  # once the requests it has in flight are done

        tasks.run_task(open_new, opened, window.show_error, owner=self)

    # ------------------------------------------------------------------ held uploads

    def _job_changed(self, job) -> None:
        if job.state is JobState.QUEUED and job.note.startswith(WAITING_FOR_SIGN_IN):
            self._check_held()

    def _check_held(self) -> None:
        held = self._held_accounts()
        self._update_switcher()
        connection = self.session.connection
        for ref, reason in held.items():
            if connection is not None and ref.account == connection.account:
                self.window.connection_status.failed(AuthenticationError(reason or "The sign-in was refused"))
            if ref in self._prompted:
                continue
            self._prompted.add(ref)
            self._prompt(ref, reason)

    def _prompt(self, ref, reason: str) -> None:
        name = ref.account
        known = any(account.name == name for account in self.accounts())
        connection = self.session.connection
        if not known and connection is not None and connection.saved_account is None and connection.account == name:
            self.window.show_message(
                f"{connection.label or name} refused the token Attaché was started with; its "
                "uploads are waiting. Restart Attaché with a valid ATTACHE_TOKEN, or add an "
                "account to sign in.",
                WARNING,
                action=("Add account…", self.add_account),
            )
            return
        if not known:
            self.window.show_message(
                f"Uploads for “{name}” are waiting for a sign-in, but there is no account of "
                f"that name. Add it under the same name to continue them.",
                WARNING,
                action=("Add account…", self.add_account),
            )
            return
        if name in self._signed_out:
            text = f"You signed out of “{name}”: its uploads wait until you sign in again."
        else:
            text = f"The sign-in for “{name}” has expired. Its uploads are waiting; nothing is lost."
        self.window.show_message(text, WARNING, action=("Sign in again", lambda: self.sign_in_again(name)))

    def _browse_failed(self, error: BaseException) -> None:
        account = self.current_account()
        if account is None or not isinstance(error, AuthenticationError):
            return
        self.window.show_message(
            f"The sign-in for “{account.name}” has expired.",
            WARNING,
            action=("Sign in again", lambda: self.sign_in_again(account.name)),
        )

    # ------------------------------------------------------------------ signing out and removing

    def _active_jobs(self, account: Account) -> list[int]:
        engine = self.session.engine
        if engine is None:
            return []
        try:
            jobs = engine.jobs(states=list(ACTIVE_STATES))
        except AttacheError:
            return []
        return [
            job.id for job in jobs if job.account.service == account.service and job.account.account == account.name
        ]

    def confirm(self, title: str, text: str, detail: str, verb: str) -> bool:
        """Ask before something that cannot be undone; tests replace this."""
        box = message_box(QMessageBox.Icon.Question, title, text, self.window, detail=detail)
        accept = box.addButton(verb, QMessageBox.ButtonRole.DestructiveRole)
        box.addButton(QMessageBox.StandardButton.Cancel)
        box.setDefaultButton(QMessageBox.StandardButton.Cancel)
        box.exec()
        return box.clickedButton() is accept

    def sign_out(self) -> None:
        window = self.window
        account = self.current_account()
        if account is None:  # the sandbox or ATTACHE_TOKEN: nothing is stored, just disconnect
            if self.session.backend is None:
                return
            if window.queue.active_count() and not window.transfer_actions.confirm_stop("Sign out"):
                return
            window.close_account()
            window.show_message("Signed out.", INFO)
            return
        active = self._active_jobs(account)
        where = "this session's memory" if self.secrets.is_session_only(account.name) else "your password manager"
        detail = f"Its sign-in is deleted from {where}. The account stays in the list: sign in again at any time."
        if active:
            detail = (
                f"{_uploads(len(active))} of this account {'is' if len(active) == 1 else 'are'} still queued "
                f"or running. {'It stops' if len(active) == 1 else 'They stop'} now and "
                f"continue{'s' if len(active) == 1 else ''} when you sign in again.\n\n" + detail
            )
        if not self.confirm("Sign out", f"Sign out of “{account.name}”?", detail, "Sign out"):
            return
        self._signed_out.add(account.name)
        window.close_account()
        self._update_switcher()
        self.update_actions()
        self.refresh_empty_state()
        secrets = self.secrets
        tasks.run_task(
            lambda: sign_out(secrets, account.name),
            lambda _: window.show_message(f"Signed out of “{account.name}”.", INFO),
            lambda error: window.show_error(
                f"Signed out of “{account.name}”, but its sign-in could not be deleted: {error}"
            ),
            owner=self,
        )

    def remove_account(self, account: Account | None = None) -> None:
        window = self.window
        account = account or self.current_account()
        if account is None:
            return
        active = self._active_jobs(account)
        detail = (
            "Its sign-in is deleted and it disappears from Attaché. Nothing changes in "
            f"{display_name(account.service)}."
        )
        if active:
            detail = (
                f"{_uploads(len(active))} of this account {'is' if len(active) == 1 else 'are'} still queued "
                f"or running and will be cancelled.\n\n" + detail
            )
        if not self.confirm("Remove account", f"Remove “{account.name}”?", detail, "Remove"):
            return
        if active and self.session.engine is not None:
            self.session.engine.cancel(active)
        current = self.current_account()
        if current is not None and current.name == account.name:
            window.close_account()
        self._signed_out.discard(account.name)
        secrets = self.secrets

        def removed(_) -> None:
            self.refresh_empty_state()
            self._update_switcher()
            self.update_actions()
            window.show_message(f"Removed “{account.name}” and deleted its sign-in.", INFO)

        tasks.run_task(
            lambda: sign_out(secrets, account.name, remove=True),
            removed,
            lambda error: window.show_error(f"Could not remove “{account.name}”: {error}"),
            owner=self,
        )


def _uploads(count: int) -> str:
    return f"{count} upload{'s' if count != 1 else ''}"


def _kept_in(result: SignInResult) -> str:
    if result.session_only:
        return "The sign-in is kept for this session only."
    return f"The sign-in is kept in {result.where}."
