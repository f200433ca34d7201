"""The window's page when no account is open: how to connect, and a way to try the sandbox."""

from __future__ import annotations

from PySide6.QtCore import QSize, Qt, Signal
from PySide6.QtWidgets import QHBoxLayout, QLabel, QPushButton, QSizePolicy, QVBoxLayout, QWidget

from attache.core.services import DEFAULT_SERVICE, SERVICES, display_name
from attache.ui import theme
from attache.ui.plain import escape, plain_label


class EmptyState(QWidget):
    """Shown when there is no account: how to connect, and a way to try the sandbox."""

    addAccount = Signal()
    openSandbox = Signal()

    def __init__(self, parent=None) -> None:
        super().__init__(parent)
        self.setObjectName("EmptyState")
        self.setAttribute(Qt.WidgetAttribute.WA_StyledBackground, True)
        icon = QLabel(self)
        icon.setPixmap(theme.app_icon().pixmap(QSize(72, 72)))
        icon.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.title = plain_label("", self)
        self.title.setObjectName("EmptyTitle")
        self.title.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.title.setWordWrap(True)  # three services' names do not fit one line of a small window
        self.text = QLabel(self)
        self.text.setObjectName("EmptyText")
        self.text.setWordWrap(True)
        self.text.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.text.setTextFormat(Qt.TextFormat.RichText)  # our own <br> and <code>: anything else goes in escaped
        self.text.setMaximumWidth(540)  # a line of reading length, narrower in a small window
        self.text.setMinimumWidth(300)
        self.text.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Preferred)
        self.set_idle()
        self.add_button = QPushButton("Add account…", self)
        self.add_button.setProperty("primary", True)
        self.add_button.setAccessibleName("Add account")
        self.add_button.clicked.connect(self.addAccount)
        self.sandbox_button = QPushButton("Try the sandbox", self)
        self.sandbox_button.setAccessibleName("Open the built-in sandbox")
        self.sandbox_button.setToolTip(
            f"A local {display_name(DEFAULT_SERVICE)} look-alike with demo projects, tasks and people"
        )
        self.sandbox_button.clicked.connect(self.openSandbox)
        buttons = QHBoxLayout()
        buttons.addStretch(1)
        buttons.addWidget(self.add_button)
        buttons.addWidget(self.sandbox_button)
        buttons.addStretch(1)
        self._buttons = buttons
        self._extra: list[QPushButton] = []
        self._extra_visible = False
        layout = QVBoxLayout(self)
        layout.addStretch(2)
        layout.addWidget(icon)
        layout.addSpacing(8)
        layout.addWidget(self.title)
        layout.addSpacing(6)
        centred = QHBoxLayout()  # not addWidget(…, AlignHCenter): that loses height-for-width
        centred.addStretch(1)
        centred.addWidget(self.text)
        centred.addStretch(1)
        layout.addLayout(centred)
        layout.addSpacing(14)
        layout.addLayout(buttons)
        layout.addStretch(3)

    def set_idle(self) -> None:
        names = [entry.name for entry in SERVICES.values()]
        self.title.setText(
            f"Connect Attaché to {' or '.join(names)}"
            if len(names) < 3
            else f"Connect Attaché to {', '.join(names[:-1])} or {names[-1]}"
        )
        self.text.setText(
            "Attaché shows your projects, tasks, companies and people with their pictures and files, "
            "and uploads what you drop on them.<br><br>"
            "Add an account: sign in in your browser, or paste an API key. You can also start Attaché with "
            "<code>ATTACHE_URL</code> and <code>ATTACHE_TOKEN</code> set. "
            "To look around first, try the built-in sandbox."
        )
        for button in (getattr(self, "add_button", None), getattr(self, "sandbox_button", None)):
            if button is not None:
                button.setVisible(True)
        for button in getattr(self, "_extra", ()):
            button.setVisible(self._extra_visible)

    def add_extra_button(self, button: QPushButton) -> None:
        """Another way out of the empty state (the accounts controller's "Open an account")."""
        self._extra.append(button)
        self._buttons.insertWidget(self._buttons.count() - 1, button)
        button.setVisible(self._extra_visible and self.add_button.isVisibleTo(self))

    def set_extra_visible(self, visible: bool) -> None:
        self._extra_visible = visible
        for button in self._extra:
            button.setVisible(visible and self.add_button.isVisibleTo(self))

    def set_busy(self, title: str, text: str = "") -> None:
        """`text` is plain (it may name an account or a workspace)."""
        self.title.setText(title)
        self.text.setText(escape(text))
        self.add_button.setVisible(False)
        self.sandbox_button.setVisible(False)
        for button in self._extra:
            button.setVisible(False)
