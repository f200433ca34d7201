"""The status bar's connection indicator: the `ConnectionState` in words, a countdown while
offline, and the one action that helps (Retry now, or Sign in)."""

from __future__ import annotations

from collections.abc import Callable

from PySide6.QtCore import Qt, QTimer, Signal
from PySide6.QtWidgets import QHBoxLayout, QToolButton, QWidget

from attache.app.connection_state import ConnectionState, Phase
from attache.ui.plain import literal_tip, plain_label


class ConnectionIndicator(QWidget):
    """`retry` is called when the countdown ends (or Retry now is pressed); `sign_in` for Sign in."""

    changed = Signal()

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("ConnectionIndicator")
        self.state = ConnectionState()
        self.name = ""
        self._retry: Callable[[], None] | None = None
        self._sign_in: Callable[[], None] | None = None
        self.label = plain_label("", self)
        self.label.setObjectName("ConnectionLabel")
        self.label.setAccessibleName("Connection")
        self.button = QToolButton(self)
        self.button.setObjectName("ConnectionAction")
        self.button.setAutoRaise(True)
        self.button.hide()
        self.button.clicked.connect(self._act)
        layout = QHBoxLayout(self)
        layout.setContentsMargins(0, 0, 6, 0)
        layout.setSpacing(4)
        layout.addWidget(self.label)
        layout.addWidget(self.button)
        self._tick = QTimer(self)
        self._tick.setInterval(1000)
        self._tick.timeout.connect(self._ticked)

    def text(self) -> str:
        return self.label.text()

    @property
    def phase(self) -> Phase:
        return self.state.phase

    def set_actions(self, *, retry: Callable[[], None] | None, sign_in: Callable[[], None] | None = None) -> None:
        self._retry, self._sign_in = retry, sign_in

    def idle(self) -> None:
        self.state.idle()
        self._retry = self._sign_in = None
        self._show()

    def connecting(self, name: str) -> None:
        self.name = name
        self.state.connecting()
        self._show()

    def connected(self, name: str | None = None) -> None:
        if name is not None:
            self.name = name
        if self.state.phase is not Phase.CONNECTED:
            self.state.connected()
            self._show()

    def failed(self, error: BaseException) -> None:
        if self.state.failed(error):
            self._show()

    def retry_now(self) -> None:
        if self._retry is not None and self.state.phase in (Phase.OFFLINE, Phase.CONNECTING):
            self.state.connecting()
            self._show()
            self._retry()

    def _act(self) -> None:
        if self.state.phase is Phase.SIGNED_OUT:
            if self._sign_in is not None:
                self._sign_in()
        else:
            self.retry_now()

    def _ticked(self) -> None:
        if self.state.retry_due():
            self.retry_now()
        else:
            self._show()

    def _show(self) -> None:
        state, phase = self.state, self.state.phase
        self.label.setText(state.describe(self.name))
        self.label.setToolTip(literal_tip(state.status.reason))
        self.label.setProperty("phase", phase.value)
        self.label.style().unpolish(self.label)
        self.label.style().polish(self.label)
        action = {Phase.OFFLINE: "Retry now", Phase.SIGNED_OUT: "Sign in"}.get(phase)
        if phase is Phase.SIGNED_OUT and self._sign_in is None:
            action = None
        self.button.setVisible(action is not None)
        if action is not None:
            self.button.setText(action)
            self.button.setAccessibleName(action)
        if phase is Phase.OFFLINE:
            if not self._tick.isActive():
                self._tick.start()
        else:
            self._tick.stop()
        self.label.setAlignment(Qt.AlignmentFlag.AlignVCenter)
        self.changed.emit()
