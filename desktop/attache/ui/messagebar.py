"""A non-modal message bar over the content: errors, confirmations, hints. Never a dialog
for an error, never a traceback: the text is the core's own message.

The bar floats over the foot of its host (`float_over`) instead of taking a place in a layout,
so the list and the detail pane never jump when it comes and goes. A message about one item
carries it as its `context` and goes when another item is selected (`selection_changed`).
"""

from __future__ import annotations

import logging
from collections.abc import Callable

from PySide6.QtCore import QEvent, QObject, Qt, QTimer, Signal
from PySide6.QtWidgets import QFrame, QHBoxLayout, QLabel, QPushButton, QStyle, QToolButton

from attache.core.errors import AttacheError
from attache.ui.plain import literal_tip, plain_label

log = logging.getLogger(__name__)

INFO, SUCCESS, WARNING, ERROR = "info", "success", "warning", "error"

_ICONS = {
    INFO: QStyle.StandardPixmap.SP_MessageBoxInformation,
    SUCCESS: QStyle.StandardPixmap.SP_DialogApplyButton,
    WARNING: QStyle.StandardPixmap.SP_MessageBoxWarning,
    ERROR: QStyle.StandardPixmap.SP_MessageBoxCritical,
}


def error_text(error: BaseException) -> str:
    """What the user reads for an exception: the core's message, or a plain sentence."""
    if isinstance(error, AttacheError):
        return str(error)
    log.error("unexpected error", exc_info=error)
    name = type(error).__name__
    detail = str(error).splitlines()[0] if str(error) else ""
    return f"Something went wrong ({name}{': ' + detail if detail else ''}). The details are in the log."


class MessageBar(QFrame):
    closed = Signal()

    def __init__(self, parent=None) -> None:
        super().__init__(parent)
        self.setObjectName("MessageBar")
        self.setAccessibleName("Message bar")
        self.setFrameShape(QFrame.Shape.NoFrame)
        self.level = INFO
        self.context: object | None = None  # what the message is about (an EntityRef), or None
        self._host: QObject | None = None
        self._icon = QLabel(self)
        self._icon.setFixedSize(20, 20)
        self._text = plain_label("", self)  # errors quote the server: never markup
        self._text.setObjectName("MessageText")
        self._text.setWordWrap(True)
        self._text.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self._text.setAccessibleName("Message")
        self._action = QPushButton(self)
        self._action.setObjectName("MessageAction")
        self._action.hide()
        self._action.clicked.connect(self._run_action)
        self._close = QToolButton(self)
        self._close.setObjectName("MessageClose")
        self._close.setText("✕")
        self._close.setAutoRaise(True)
        self._close.setToolTip("Dismiss")
        self._close.setAccessibleName("Dismiss message")
        self._close.clicked.connect(self.dismiss)
        layout = QHBoxLayout(self)
        layout.setContentsMargins(12, 8, 8, 8)
        layout.setSpacing(10)
        layout.addWidget(self._icon, 0, Qt.AlignmentFlag.AlignTop)
        layout.addWidget(self._text, 1)
        layout.addWidget(self._action)
        layout.addWidget(self._close, 0, Qt.AlignmentFlag.AlignTop)
        self._callback: Callable[[], None] | None = None
        self._keep_on_action = False
        self._timer = QTimer(self)
        self._timer.setSingleShot(True)
        self._timer.timeout.connect(self.dismiss)
        self.hide()

    def text(self) -> str:
        return "" if self.isHidden() else self._text.text()

    def show_message(
        self,
        text: str,
        level: str = INFO,
        *,
        action: tuple[str, Callable[[], None]] | None = None,
        timeout_ms: int | None = None,
        context: object | None = None,
        keep_on_action: bool = False,
    ) -> None:
        """`keep_on_action`: the action does not dismiss the bar (copying a command, say)."""
        self.level = level
        self.context = context
        self._keep_on_action = keep_on_action
        self._text.setText(text)
        self._text.setToolTip(literal_tip(text))
        size = self.style().pixelMetric(QStyle.PixelMetric.PM_SmallIconSize)
        self._icon.setPixmap(self.style().standardIcon(_ICONS[level]).pixmap(size, size))
        if action is not None:
            self._action.setText(action[0])
            self._action.setAccessibleName(action[0])
            self._callback = action[1]
            self._action.show()
        else:
            self._callback = None
            self._action.hide()
        self.setProperty("level", level)
        self.style().unpolish(self)
        self.style().polish(self)
        self.show()
        self.raise_()
        self._place()
        if timeout_ms is None:
            timeout_ms = {INFO: 6000, SUCCESS: 5000}.get(level, 0)
        if timeout_ms:
            self._timer.start(timeout_ms)
        else:
            self._timer.stop()

    def show_error(
        self,
        error: BaseException | str,
        *,
        action: tuple[str, Callable[[], None]] | None = None,
        context: object | None = None,
    ) -> None:
        text = error if isinstance(error, str) else error_text(error)
        self.show_message(text, ERROR, action=action, context=context)

    def selection_changed(self, selected: object | None) -> None:
        """Another item is selected: a message about a different one has had its moment."""
        if self.context is not None and selected != self.context and not self.isHidden():
            self.dismiss()

    # ---- floating over the host

    def float_over(self, host) -> None:
        """Lie over the foot of `host` (the bar's parent) and follow its size."""
        self._host = host
        host.installEventFilter(self)

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:
        if watched is self._host and event.type() == QEvent.Type.Resize:
            self._place()
        return False

    def _place(self) -> None:
        host = self._host
        if host is None:
            return
        width = host.width()
        wrapped = self.heightForWidth(width) if self.hasHeightForWidth() else -1
        # a wrapped label's own size hint is for a narrow column: the height at this width is what counts
        height = max(self.minimumSizeHint().height(), wrapped if wrapped > 0 else self.sizeHint().height())
        self.setGeometry(0, host.height() - height, width, height)

    def dismiss(self) -> None:
        self._timer.stop()
        self.context = None
        self.hide()
        self.closed.emit()

    def _run_action(self) -> None:
        callback = self._callback
        if not self._keep_on_action:
            self.dismiss()
        if callback is not None:
            callback()
