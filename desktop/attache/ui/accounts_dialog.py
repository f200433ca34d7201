"""The "Add account" dialog, which is also the "Sign in again" dialog of a saved account.

The ways in are the chosen service's (its registry entry says which, and in what words): a user
name and password, sign in in the system browser (OAuth, on a worker that a Cancel stops; with a
registered app's client id where the service asks for one) or paste an API key, checked with the
service before anything is saved. Where a password is offered the window shows no API key field
(the CLI's $ATTACHE_TOKEN covers tokens). The keyring is probed once per app
run on a worker; when it cannot be used the dialog says so and offers to keep the sign-in for
this session only (in memory), never in a file. Errors are sentences in the dialog.
"""

from __future__ import annotations

import logging
import threading

from PySide6.QtCore import QSize, Qt, QUrl, Signal
from PySide6.QtGui import QDesktopServices, QGuiApplication
from PySide6.QtWidgets import (
    QComboBox,
    QDialog,
    QDialogButtonBox,
    QFormLayout,
    QFrame,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QProgressBar,
    QPushButton,
    QSizePolicy,
    QStyle,
    QVBoxLayout,
    QWidget,
)

from attache.app.secrets import AppSecrets
from attache.app.sign_in import SignInResult, plain_error, sign_in
from attache.core.accounts import CLIENT_ID_OPTION, Account
from attache.core.errors import SecondFactorRequired
from attache.core.services import DEFAULT_SERVICE, SERVICES, Service, SignIn, service
from attache.credentials import KeyringUnavailableError
from attache.ui import tasks, theme
from attache.ui.password_sign_in import PasswordFields
from attache.ui.plain import plain_label

log = logging.getLogger(__name__)

BROWSER_TIMEOUT = 300.0  # seconds the browser has to come back

# On the palette's colours (ui/theme.py), so the dialog follows light and dark like the window.
STYLE = """
#DialogTitle { color: $text; font-size: 14pt; font-weight: 600; }
#DialogSubtitle { color: $muted; }
#Hint { color: $muted; }
#KeyringNotice { background: $warning_back; border: 1px solid $warning_border; border-radius: 8px; }
#KeyringNotice[chosen="true"] { background: $info_back; border: 1px solid $accent_disabled; }
#KeyringText { color: $text; }
#OrLine { color: $muted; }
#Rule { background: $border; max-height: 1px; min-height: 1px; border: none; }
#SignInStatus[level="error"] { color: $danger; }
#SignInStatus[level="busy"] { color: $secondary; }
#SignInStatus[level="info"] { color: $secondary; }
#BrowserButton { padding: 8px 14px; font-weight: 600; }
#BusyBar { border: none; background: $border; border-radius: 2px; }
#BusyBar::chunk { background: $accent; border-radius: 2px; }
"""


def open_in_browser(url: str) -> bool:
    """The system browser (GUI thread). Tests replace this with a fake browser."""
    return QDesktopServices.openUrl(QUrl(url))


class AccountDialog(QDialog):
    """Add an account (`account=None`) or sign a saved account in again.

    When it closes with Accepted, `result_value` holds the SignInResult: the secret and the
    account are saved already.
    """

    _openRequested = Signal(str)  # a worker asks the GUI thread to open the browser

    def __init__(
        self,
        secrets: AppSecrets,
        parent: QWidget | None = None,
        *,
        account: Account | None = None,
        url: str | None = None,
        reason: str = "",
        sandbox_url: str = "",
        service_id: str = DEFAULT_SERVICE,
    ) -> None:
        super().__init__(parent)
        self.secrets = secrets
        self.account = account
        self.sandbox_url = sandbox_url.strip().rstrip("/")  # the window's built-in sandbox, if running
        self.result_value: SignInResult | None = None
        self.entry: Service = service(account.service if account else service_id)
        self.session_only = bool(account is not None and secrets.is_session_only(account.name))
        self.keyring_usable: bool | None = None
        self._busy: str | None = None  # "browser" or "key" while a sign-in runs
        self._cancel = threading.Event()
        # Set when the dialog goes away in any way (even destroyed with its window, say at quit):
        # a browser sign-in waiting on a worker stops within a fraction of a second.
        self._gone = threading.Event()
        self.destroyed.connect(self._gone.set)
        self._task = None
        self._browser_url = ""
        self._openRequested.connect(self._open_browser)
        self.setObjectName("AccountDialog")
        self.setStyleSheet(theme.style_sheet(STYLE))
        self.setWindowTitle("Sign in again" if account else "Add account")
        self.setModal(True)
        self._build(url or self.entry.default_url, reason)
        self._probe()

    # ------------------------------------------------------------------ building

    def _build(self, url: str, reason: str) -> None:
        account = self.account
        title = plain_label(f"Sign in to “{account.name}” again" if account else "Add an account", self)
        title.setObjectName("DialogTitle")
        if account:
            where = " · ".join(x for x in (self.entry.name, account.workspace) if x)
            subtitle_text = f"{where} — {account.base_url}"
            if reason:
                subtitle_text = f"{reason}\n{subtitle_text}"
        elif self._on_sandbox(url):
            subtitle_text = (
                "An account on the built-in sandbox lasts until you quit Attaché: its sign-in stays in memory."
            )
        else:
            subtitle_text = "Attaché keeps the sign-in in your password manager, never in a file."
        subtitle = self.subtitle = plain_label(subtitle_text, self)  # may name the workspace
        subtitle.setObjectName("DialogSubtitle")
        subtitle.setWordWrap(True)

        # ---- which account (adding only)
        self.service = QComboBox(self)
        self.service.setAccessibleName("Service")
        for entry in SERVICES.values():
            self.service.addItem(entry.name, entry.id)
        self.service.setCurrentIndex(max(0, self.service.findData(self.entry.id)))
        self.service.currentIndexChanged.connect(self._service_chosen)
        self.name = QLineEdit(self)
        self.name.setAccessibleName("Account name")
        self.name.setPlaceholderText("Optional — the workspace's name if left empty")
        self.name.setToolTip("How this account is called in Attaché and on the command line (--account NAME)")
        self.url = QLineEdit(url, self)
        self.url.setAccessibleName("API URL")
        self.url_hint = plain_label("", self)
        self.url_hint.setObjectName("Hint")  # lines of its own: a wrapped label in a form gets too tall
        labels = [QLabel(text, self) for text in ("&Service:", "&Name:", "API &URL:", "API &key:")]
        form = QFormLayout()
        form.setLabelAlignment(Qt.AlignmentFlag.AlignLeft)
        form.setHorizontalSpacing(14)
        form.setVerticalSpacing(8)
        for label, field in zip(labels, (self.service, self.name, self.url), strict=False):
            label.setBuddy(field)
            form.addRow(label, field)
        form.addRow("", self.url_hint)
        self._url_form = form
        self.form = QWidget(self)
        self.form.setLayout(form)
        form.setContentsMargins(0, 0, 0, 0)
        self.form.setVisible(account is None)

        # ---- the keyring's state
        self.keyring_notice = QFrame(self)
        self.keyring_notice.setObjectName("KeyringNotice")
        self.keyring_notice.setAttribute(Qt.WidgetAttribute.WA_StyledBackground, True)
        notice_icon = QLabel(self.keyring_notice)
        size = self.style().pixelMetric(QStyle.PixelMetric.PM_SmallIconSize)
        notice_icon.setPixmap(self.style().standardIcon(QStyle.StandardPixmap.SP_MessageBoxWarning).pixmap(size, size))
        notice_icon.setFixedWidth(size + 2)
        self._notice_icon = notice_icon
        self.keyring_text = plain_label("", self.keyring_notice)
        self.keyring_text.setObjectName("KeyringText")
        self.keyring_text.setWordWrap(True)
        self.keyring_text.setAccessibleName("Password manager")
        self.session_button = QPushButton("Keep for this session only", self.keyring_notice)
        self.session_button.setAccessibleName("Keep the sign-in for this session only")
        self.session_button.setToolTip(
            "The sign-in stays in memory until you quit Attaché; nothing is written to disk."
        )
        self.session_button.clicked.connect(self.choose_session_only)
        notice = QHBoxLayout(self.keyring_notice)
        notice.setContentsMargins(12, 10, 12, 10)
        notice.setSpacing(10)
        notice.addWidget(notice_icon, 0, Qt.AlignmentFlag.AlignTop)
        text_column = QVBoxLayout()
        text_column.setSpacing(8)
        text_column.addWidget(self.keyring_text)
        button_row = QHBoxLayout()
        button_row.addStretch(1)
        button_row.addWidget(self.session_button)
        text_column.addLayout(button_row)
        notice.addLayout(text_column, 1)
        self.keyring_notice.hide()

        # ---- way 1: the browser, with the registered app's client id where the service asks for one
        self.client_id = QLineEdit(account.options.get(CLIENT_ID_OPTION, "") if account else "", self)
        self.client_id.textChanged.connect(self._update_buttons)
        self.app_token = QLineEdit(self)
        self.app_token.setEchoMode(QLineEdit.EchoMode.Password)
        self.client_id_hint = plain_label("", self)
        self.client_id_hint.setObjectName("Hint")  # lines of its own, as the URL's hint
        self._client_labels = (QLabel(self), QLabel(self))
        client_form = self._client_form = QFormLayout()
        client_form.setContentsMargins(0, 0, 0, 12)
        client_form.setHorizontalSpacing(14)
        client_form.setVerticalSpacing(8)
        for label, field in zip(self._client_labels, (self.client_id, self.app_token), strict=True):
            label.setBuddy(field)
            client_form.addRow(label, field)
        client_form.addRow("", self.client_id_hint)
        self.client_fields = QWidget(self)
        self.client_fields.setLayout(client_form)
        self.browser_button = QPushButton(self)
        self.browser_button.setObjectName("BrowserButton")
        self.browser_button.setProperty("primary", True)
        self.browser_button.setAutoDefault(False)
        self.browser_button.clicked.connect(self.start_browser_sign_in)
        browser_hint = self.browser_hint = plain_label("", self)
        browser_hint.setObjectName("Hint")
        browser_hint.setWordWrap(True)

        # ---- way 3: a user name and password (the services that offer it)
        self.password_fields = PasswordFields(self, user=self.account.user if self.account else "")
        self.password_fields.changed.connect(self._update_buttons)

        # ---- way 2: an API key
        self.api_key = QLineEdit(self)
        self.api_key.setEchoMode(QLineEdit.EchoMode.Password)
        self.api_key.setAccessibleName("API key")
        self.api_key.textChanged.connect(self._update_buttons)
        self.url.textChanged.connect(self._url_changed)
        key_hint = self.key_hint = plain_label("", self)
        key_hint.setObjectName("Hint")
        key_hint.setWordWrap(True)
        self.or_browser = self._or_row("or sign in through the browser", top=14, bottom=14)
        self.or_key = self._or_row("or use an API key", top=0, bottom=0)

        # ---- what is happening
        self.status = plain_label("", self)  # errors quote the server
        self.status.setObjectName("SignInStatus")
        self.status.setWordWrap(True)
        self.status.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.status.setAccessibleName("Sign-in status")
        self.status.setSizePolicy(QSizePolicy.Policy.Preferred, QSizePolicy.Policy.Minimum)
        self.copy_link = QPushButton("Copy link", self)
        self.copy_link.setToolTip("Copy the sign-in page's address, to open it in another browser")
        self.copy_link.setAutoDefault(False)
        self.copy_link.clicked.connect(self._copy_link)
        self.copy_link.hide()
        self.status.hide()
        self.busy_bar = QProgressBar(self)
        self.busy_bar.setObjectName("BusyBar")
        self.busy_bar.setRange(0, 0)  # busy, no percentage
        self.busy_bar.setTextVisible(False)
        self.busy_bar.setFixedHeight(4)
        self.busy_bar.setAccessibleName("Signing in")
        self.busy_bar.hide()
        status_row = QHBoxLayout()
        status_row.addWidget(self.status, 1)
        status_row.addWidget(self.copy_link, 0, Qt.AlignmentFlag.AlignVCenter)

        self.disabled_reason = plain_label("", self)  # why a sign-in button is greyed, in words
        self.disabled_reason.setObjectName("DisabledReason")
        self.disabled_reason.setWordWrap(True)
        self.disabled_reason.setAccessibleName("Why signing in is not possible yet")
        self.disabled_reason.hide()
        self.buttons = QDialogButtonBox(self)
        self.cancel_button = self.buttons.addButton(QDialogButtonBox.StandardButton.Cancel)
        self.key_button = self.buttons.addButton(
            "Sign in with API key" if self.account else "Add with API key", QDialogButtonBox.ButtonRole.AcceptRole
        )
        self.key_button.setAccessibleName("Check the API key and save it")
        self.key_button.setDefault(True)
        self.key_button.clicked.connect(self.start_key_sign_in)  # in the box, or beside the password fields
        self.buttons.rejected.connect(self.reject)
        # With a browser way too, the password's button sits under its fields, not in the box.
        self.password_row = QWidget(self)
        self._password_row = QHBoxLayout(self.password_row)
        self._password_row.setContentsMargins(0, 8, 0, 0)
        self._password_row.addStretch(1)
        self.password_row.hide()

        layout = QVBoxLayout(self)
        layout.setContentsMargins(22, 20, 22, 16)
        layout.setSpacing(0)
        layout.addWidget(title)
        layout.addSpacing(4)
        layout.addWidget(subtitle)
        layout.addSpacing(16)
        if account is None:
            layout.addWidget(self.form)
            layout.addSpacing(16)
        layout.addWidget(self.keyring_notice)
        self._notice_gap = layout.count()
        layout.addSpacing(0)
        layout.addWidget(self.password_fields)
        layout.addWidget(self.password_row)
        layout.addWidget(self.or_browser)
        layout.addWidget(self.client_fields)
        layout.addWidget(self.browser_button)
        layout.addSpacing(6)
        layout.addWidget(browser_hint)
        layout.addSpacing(14)
        layout.addWidget(self.or_key)
        layout.addSpacing(10)
        key_form = QFormLayout()
        key_form.setContentsMargins(0, 0, 0, 0)
        key_form.setHorizontalSpacing(14)
        labels[3].setBuddy(self.api_key)
        key_form.addRow(labels[3], self.api_key)
        self._key_label = labels[3]
        self._every_label = [*labels, *self.password_fields.labels, *self._client_labels]
        layout.addLayout(key_form)
        layout.addSpacing(6)
        layout.addWidget(key_hint)
        layout.addSpacing(14)
        layout.addLayout(status_row)
        layout.addSpacing(6)
        layout.addWidget(self.busy_bar)
        layout.addSpacing(10)
        layout.addStretch(1)
        layout.addWidget(self.disabled_reason)
        layout.addSpacing(6)
        layout.addWidget(self.buttons)
        self._layout = layout
        if account is not None and account.auth == SignIn.API_KEY.value:
            self.api_key.setFocus()
        elif account is not None and account.auth == SignIn.PASSWORD.value:
            self.password_fields.password.setFocus()
        elif account is not None and account.auth == SignIn.BROWSER.value and not self.client_id.text():
            self.client_id.setFocus()
        self.setMinimumWidth(480)
        self.resize(540, 10)
        self._apply_service()
        self._update_buttons()

    def _service_chosen(self) -> None:
        chosen = service(self.service.currentData() or DEFAULT_SERVICE)
        if chosen is self.entry:
            return
        if self.url.text().strip() in ("", self.entry.default_url):
            self.url.setText(chosen.default_url)
        self.entry = chosen
        self._apply_service()
        self._update_buttons()

    def _apply_service(self) -> None:
        """The chosen service's ways in and its own words for them."""
        entry, texts = self.entry, self.entry.texts
        self.url.setToolTip(texts.url_hint or f"The address of {entry.name}'s API, for example {entry.url_example}.")
        self.url.setPlaceholderText(entry.url_example)
        self.url_hint.setText(texts.url_hint)
        self._url_form.setRowVisible(self.url_hint, bool(texts.url_hint))
        self.browser_button.setAccessibleName(f"{texts.browser_button} in the browser")
        self.browser_hint.setText(texts.browser_hint)
        self.api_key.setPlaceholderText(texts.key_placeholder)
        self.key_hint.setText(texts.key_hint)
        browser = SignIn.BROWSER in entry.sign_in
        key = SignIn.API_KEY in entry.sign_in and not self._by_password  # a token is the CLI's, then
        self.password_fields.setVisible(self._by_password)
        for widget in (self.browser_button, self.browser_hint):
            widget.setVisible(browser)
        self.or_browser.setVisible(browser and self._by_password)
        self.or_key.setVisible(browser and key)
        for widget in (self._key_label, self.api_key, self.key_hint):
            widget.setVisible(key)
        self._place_key_button(beside_password=browser and self._by_password)
        self.client_fields.setVisible(self._asks_client_id)
        self._client_labels[0].setText(f"{texts.client_id_label}:")
        self._client_labels[1].setText(f"{texts.app_token_label}:")
        self.client_id.setAccessibleName(texts.client_id_label)
        self.client_id.setPlaceholderText(texts.client_id_placeholder)
        self.app_token.setAccessibleName(texts.app_token_label)
        kept = self.account is not None and self.account.auth == SignIn.BROWSER.value
        self.app_token.setPlaceholderText(
            "Left empty: the one of the last sign-in" if kept else texts.app_token_placeholder
        )
        self._client_form.setRowVisible(self.app_token, bool(texts.app_token_label))
        self.client_id_hint.setText(texts.client_id_hint)
        self._client_form.setRowVisible(self.client_id_hint, bool(texts.client_id_hint))
        self.password_fields.set_remember_text(texts.remember_password)
        # all forms' fields start at the same x, whatever this service's labels say
        label_width = max(label.sizeHint().width() for label in self._every_label)
        for label in self._every_label:
            label.setMinimumWidth(label_width)
        again = self.account is not None
        if self._by_password:
            self.key_button.setText("Sign in" if again else "Add account")
            self.key_button.setAccessibleName(f"Sign in to {entry.name} with this user name and password")
        else:
            self.key_button.setText("Sign in with API key" if again else "Add with API key")
            self.key_button.setAccessibleName(f"Check the {texts.key_name} and save it")
        self.key_button.setVisible(key or self._by_password)

    @property
    def _by_password(self) -> bool:
        return SignIn.PASSWORD in self.entry.sign_in

    @property
    def _asks_client_id(self) -> bool:
        return SignIn.BROWSER in self.entry.sign_in and bool(self.entry.texts.client_id_label)

    def _place_key_button(self, *, beside_password: bool) -> None:
        in_box = self.buttons.buttonRole(self.key_button) != QDialogButtonBox.ButtonRole.InvalidRole
        if beside_password and in_box:
            self.buttons.removeButton(self.key_button)
            self._password_row.addWidget(self.key_button)
        elif not beside_password and not in_box:
            self._password_row.removeWidget(self.key_button)
            self.buttons.addButton(self.key_button, QDialogButtonBox.ButtonRole.AcceptRole)
        self.password_row.setVisible(beside_password)

    def _or_row(self, text: str, *, top: int, bottom: int) -> QWidget:
        row = QWidget(self)
        line = QHBoxLayout(row)
        line.setContentsMargins(0, top, 0, bottom)
        line.setSpacing(10)
        label = QLabel(text, row)
        label.setObjectName("OrLine")
        line.addWidget(self._rule(), 1)
        line.addWidget(label, 0)
        line.addWidget(self._rule(), 1)
        return row

    def _rule(self) -> QFrame:
        rule = QFrame(self)
        rule.setObjectName("Rule")
        rule.setFrameShape(QFrame.Shape.NoFrame)
        rule.setAttribute(Qt.WidgetAttribute.WA_StyledBackground, True)
        rule.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Fixed)
        return rule

    def sizeHint(self) -> QSize:
        hint = super().sizeHint()
        return QSize(max(hint.width(), 540), hint.height())

    def _fit(self) -> None:
        """As tall as the content at the current width: no empty band, nothing cut off."""
        layout = self.layout()
        layout.activate()
        width = max(self.width(), self.minimumWidth())
        height = layout.totalHeightForWidth(width) if layout.hasHeightForWidth() else layout.sizeHint().height()
        self.resize(width, max(height, layout.totalMinimumSize().height()))

    def showEvent(self, event) -> None:
        super().showEvent(event)
        self._fit()

    # ------------------------------------------------------------------ the keyring

    def _probe(self) -> None:
        status = self.secrets.known_status()
        if status is not None:
            self._keyring_known(status)
            return
        self._set_status("Checking your password manager…", "busy")
        tasks.run_task(self.secrets.status, self._keyring_known, self._probe_failed, owner=self)

    def _probe_failed(self, error: BaseException) -> None:
        from attache.credentials import KeyringStatus

        self._keyring_known(KeyringStatus(False, type(error).__name__, plain_error(error, service_id=self.entry.id)))

    def _keyring_known(self, status) -> None:
        self.keyring_usable = status.usable
        if self._busy is None and self.status.property("level") == "busy":
            self._set_status("", "info")
        if status.usable:
            self.session_only = False
            self.keyring_notice.hide()
        elif self._on_sandbox(self.url.text()):
            pass  # the built-in sandbox's sign-ins stay in memory anyway: the keyring does not matter
        else:
            if self.account is None:
                self.subtitle.setText("Sign-ins are never written to a file.")
            self._show_keyring_problem(status.message)
        self._update_buttons()

    def _url_changed(self) -> None:
        """Off the built-in sandbox the keyring matters again (and back on it, no longer)."""
        status = self.secrets.known_status()
        if status is not None and not status.usable and not self.session_only:
            if self._on_sandbox(self.url.text()):
                self.keyring_notice.hide()
            else:
                self._show_keyring_problem(status.message)
        self._update_buttons()

    def _show_keyring_problem(self, message: str) -> None:
        self.keyring_usable = False
        if self.session_only:
            self._show_session_note()
            return
        self.keyring_notice.setProperty("chosen", False)
        self._repolish(self.keyring_notice)
        self._notice_icon.show()
        self.keyring_text.setText(f"{message} You can keep the sign-in in memory until you quit Attaché, or cancel.")
        self.session_button.show()
        self._show_notice()

    def _show_session_note(self) -> None:
        self.keyring_notice.setProperty("chosen", True)
        self._repolish(self.keyring_notice)
        self._notice_icon.hide()
        self.keyring_text.setText(
            "The sign-in will be kept in memory for this session only: you will sign in "
            "again after you quit Attaché. Nothing is written to disk."
        )
        self.session_button.hide()
        self._show_notice()

    def _show_notice(self) -> None:
        if self.keyring_notice.isHidden():
            self.keyring_notice.show()
            spacer = self._layout.itemAt(self._notice_gap).spacerItem()
            if spacer is not None:
                spacer.changeSize(0, 16)
                self._layout.invalidate()
        self._fit()

    def choose_session_only(self) -> None:
        self.session_only = True
        self._show_session_note()
        if self.status.property("level") == "error":
            self._set_status("", "info")
        self._update_buttons()

    # ------------------------------------------------------------------ signing in

    def _on_sandbox(self, url: str | None) -> bool:
        if self.account is not None:
            return self.account.on_sandbox
        return bool(self.sandbox_url) and (url or "").strip().rstrip("/") == self.sandbox_url

    def _ready(self) -> bool:
        """Signing in is possible: the keyring works, the user chose this session only, or the
        account is on the built-in sandbox (its sign-in is kept in memory anyway)."""
        return self._busy is None and (
            self.keyring_usable is True or self.session_only or self._on_sandbox(self.url.text())
        )

    def not_ready_reason(self) -> str:
        """Why no sign-in can start yet ("" when one can, or while one runs)."""
        if self._ready() or self._busy is not None:
            return ""
        if self.keyring_usable is None:
            return "Checking for a password manager to keep the sign-in in…"
        return (
            "There is no password manager to keep the sign-in in: choose “Keep for this session only” "
            "above to sign in, or cancel."
        )

    def _update_buttons(self) -> None:
        busy = self._busy is not None
        self.busy_bar.setVisible(busy)
        self.cancel_button.setText("Cancel sign-in" if busy else "Cancel")
        self.browser_button.setText(
            "Waiting for the browser…" if self._busy == "browser" else self.entry.texts.browser_button
        )
        ready = self._ready()
        texts = self.entry.texts
        no_client_id = self._asks_client_id and not self.client_id.text().strip()
        self.browser_button.setEnabled(ready and not no_client_id)
        typed = self.password_fields.complete() if self._by_password else bool(self.api_key.text().strip())
        self.key_button.setEnabled(ready and typed)
        # one rule for every way of signing in, and a greyed button always says why: the dialog's
        # reason in a line above the buttons, what a way still needs in its tooltip (and, for the
        # browser, in its hint line, since the button gives no other sign)
        why = self.not_ready_reason()
        browser_missing = ""
        if ready and no_client_id:
            browser_missing = f"Enter the {texts.client_id_label} of your app above first."
        self.browser_button.setToolTip(why or browser_missing)
        self.browser_hint.setText(browser_missing or texts.browser_hint)
        missing = ""
        if ready and not typed:
            missing = (
                "Enter your user name (or e-mail) and your password first."
                if self._by_password
                else f"Paste an {self.entry.texts.key_name} first."
            )
        self.key_button.setToolTip(why or missing)
        self.disabled_reason.setText(why)
        self.disabled_reason.setVisible(bool(why))
        for field in (self.service, self.name, self.url, self.api_key, self.client_id, self.app_token):
            field.setEnabled(self._busy is None)
        self.password_fields.set_enabled(self._busy is None)
        self.session_button.setEnabled(self._busy is None)

    def start_key_sign_in(self) -> None:
        if not self._ready():
            return
        if self._by_password:
            if not self.password_fields.complete():
                self._set_status("Enter your user name (or e-mail) and your password.", "error")
                return
            self._start("password")
            return
        key = self.api_key.text().strip()
        if not key:
            way = (
                f", or {self.entry.texts.browser_button.lower()} in the browser"
                if SignIn.BROWSER in self.entry.sign_in
                else ""
            )
            self._set_status(f"Paste an {self.entry.texts.key_name}{way}.", "error")
            return
        self._start("key", api_key=key)

    def start_browser_sign_in(self) -> None:
        if self._ready() and self.browser_button.isEnabled():
            self._start("browser")

    def _start(self, mode: str, *, api_key: str | None = None) -> None:
        account = self.account
        name = account.name if account else self.name.text()
        service_id = self.entry.id
        base_url = account.base_url if account else self.url.text()
        self._busy = mode
        self._cancel = cancel = threading.Event()
        self._browser_url = ""
        self.copy_link.hide()
        busy_text = {
            "key": f"Checking the {self.entry.texts.key_name} with {self.entry.name}…",
            "password": f"Signing in to {self.entry.name}…",
        }
        self._set_status(busy_text.get(mode, f"Opening {self.entry.name} in your browser…"), "busy")
        typed = self.password_fields.value() if mode == "password" else None
        self._update_buttons()
        secrets, session_only, gone = self.secrets, self.session_only, self._gone
        on_sandbox = self._on_sandbox(base_url)
        browser = self._request_browser if mode == "browser" else None
        client_id = self.client_id.text().strip() if mode == "browser" and self._asks_client_id else ""
        options = {CLIENT_ID_OPTION: client_id} if client_id else None
        app_token = self.app_token.text().strip() if client_id and self.entry.texts.app_token_label else ""

        def cancelled() -> bool:
            return cancel.is_set() or gone.is_set()

        def work():
            return sign_in(
                secrets,
                name=name,
                service=service_id,
                base_url=base_url,
                session_only=session_only,
                on_sandbox=on_sandbox,
                api_key=api_key,
                user=typed.user if typed else None,
                password=typed.password if typed else None,
                code=typed.code if typed else None,
                remember_password=typed.remember if typed else False,
                browser=browser,
                cancelled=cancelled,
                existing=account,
                timeout=BROWSER_TIMEOUT,
                options=options,
                client_secret=app_token or None,  # into the secret, never the account
            )

        self._task = tasks.run_task(
            work, self._succeeded, lambda error: self._failed(error, mode, base_url), owner=self
        )

    def _request_browser(self, url: str) -> None:  # worker thread
        if self._cancel.is_set() or self._gone.is_set():
            return
        try:
            self._openRequested.emit(url)
        except RuntimeError:  # the dialog is gone
            pass

    def _open_browser(self, url: str) -> None:
        if self._busy != "browser":
            return
        self._browser_url = url
        self.copy_link.show()
        if open_in_browser(url):
            self._set_status("Waiting for you to allow access in your browser…", "busy")
        else:
            self._set_status("Your browser could not be opened. Copy the link and open it in a browser.", "error")

    def _copy_link(self) -> None:
        if self._browser_url:
            QGuiApplication.clipboard().setText(self._browser_url)
            self._set_status("Link copied. Open it in your browser and allow access.", "busy")

    def _succeeded(self, result: SignInResult) -> None:
        self._busy = None
        self._task = None
        self.result_value = result
        self._set_status(f"Signed in to {result.workspace}.", "info")
        self.accept()

    def _failed(self, error: BaseException, mode: str, base_url: str) -> None:
        self._busy = None
        self._task = None
        self.copy_link.hide()
        if isinstance(error, KeyringUnavailableError):
            self.session_only = False
            self._show_keyring_problem(str(error))
            self._set_status("The sign-in worked, but it could not be saved.", "error")
        elif isinstance(error, SecondFactorRequired):
            self.password_fields.ask_code(plain_error(error, service_id=self.entry.id))
            self._set_status("The password is right. One more step: the two-factor code.", "info")
            self._update_buttons()
            return
        else:
            from attache.core.errors import AuthenticationError, CancelledError

            with_code = mode == "password" and self.password_fields.asking_code
            with_code = with_code and isinstance(error, AuthenticationError)
            self._set_status(
                plain_error(
                    error,
                    service_id=self.entry.id,
                    with_key=mode == "key",
                    with_password=mode == "password",
                    with_code=with_code,
                    base_url=base_url,
                ),
                "info" if isinstance(error, CancelledError) else "error",
            )
        self._update_buttons()
        if mode == "key" and not isinstance(error, KeyringUnavailableError):
            self.api_key.setFocus()
            self.api_key.selectAll()
        elif mode == "password" and self.password_fields.asking_code:
            self.password_fields.code.setFocus()
            self.password_fields.code.selectAll()

    def cancel_sign_in(self) -> None:
        """Stop the running sign-in: the browser wait ends, a key check's answer is ignored."""
        if self._busy is None:
            return
        self._cancel.set()
        if self._task is not None:
            self._task.cancel()
        mode = self._busy
        self._busy = None
        self._task = None
        self.copy_link.hide()
        self._set_status("Sign-in was cancelled." if mode == "browser" else "", "info")
        self._update_buttons()

    @property
    def busy(self) -> bool:
        return self._busy is not None

    # ------------------------------------------------------------------ closing

    def reject(self) -> None:
        if self._busy is not None:  # Cancel (or Esc) while signing in stops the sign-in first
            self.cancel_sign_in()
            return
        super().reject()

    def done(self, code: int) -> None:
        self._cancel.set()
        self._gone.set()
        if self._task is not None:
            self._task.cancel()
        super().done(code)

    def closeEvent(self, event) -> None:
        self.cancel_sign_in()
        super().closeEvent(event)

    # ------------------------------------------------------------------ helpers

    def status_text(self) -> str:
        return self.status.text()

    def _set_status(self, text: str, level: str) -> None:
        shown = not self.status.isHidden()
        self.status.setText(text)
        self.status.setVisible(bool(text))
        self.status.setProperty("level", level)
        self._repolish(self.status)
        if bool(text) != shown and self.isVisible():
            self._fit()

    def _repolish(self, widget: QWidget) -> None:
        widget.style().unpolish(widget)
        widget.style().polish(widget)
