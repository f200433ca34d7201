"""The account switcher at the head of the sidebar: the workspace's tile, its name and account."""

from __future__ import annotations

from PySide6.QtCore import QRectF, QSize, Qt
from PySide6.QtGui import QColor, QFont, QFontMetrics, QPainter, QPainterPath, QPen
from PySide6.QtWidgets import QSizePolicy, QStyle, QStyleOptionToolButton, QToolButton

from attache.ui import theme
from attache.ui.plain import literal_tip

# Tiles in the switcher: one colour per workspace, picked from its name.
_TILE_COLOURS = ("#2f6fed", "#0f9d8a", "#8e44ad", "#d35400", "#c2185b", "#2e7d32", "#5d4037", "#00838f")


def _tile_colour(name: str) -> QColor:
    return QColor(_TILE_COLOURS[sum(map(ord, name)) % len(_TILE_COLOURS)])


class AccountSwitcher(QToolButton):
    """The sidebar header: the workspace and the account; a click opens the accounts menu."""

    def __init__(self, parent=None) -> None:
        super().__init__(parent)
        self.setObjectName("AccountSwitcher")
        self.setPopupMode(QToolButton.ToolButtonPopupMode.InstantPopup)
        self.setFocusPolicy(Qt.FocusPolicy.StrongFocus)
        self.setCursor(Qt.CursorShape.PointingHandCursor)
        self.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Fixed)
        self.setAttribute(Qt.WidgetAttribute.WA_Hover, True)
        self.title = "Attaché"
        self.subtitle = ""
        self.attention = False  # a sign-in is needed somewhere: a dot on the tile
        self.set_account("Attaché", "")

    def set_account(self, title: str, subtitle: str, *, attention: bool = False, note: str = "") -> None:
        self.title, self.subtitle, self.attention = title, subtitle, attention
        self.setAccessibleName(f"Account: {title}" + (f", {subtitle}" if subtitle else ""))
        self.setAccessibleDescription("Switch, add or sign out of accounts")
        lines = [
            title,
            subtitle,
            note,
            "A sign-in is needed: open this menu to sign in again" if attention else "",
            "Click to switch, add or sign out of accounts",
        ]
        self.setToolTip(literal_tip("\n".join(line for line in lines if line)))
        self.update()

    def sizeHint(self) -> QSize:
        metrics = QFontMetrics(self.font())
        return QSize(180, max(52, metrics.height() * 2 + 24))

    def minimumSizeHint(self) -> QSize:
        return QSize(120, self.sizeHint().height())

    def paintEvent(self, event) -> None:
        option = QStyleOptionToolButton()
        self.initStyleOption(option)
        painter = QPainter(self)
        painter.setRenderHint(QPainter.RenderHint.Antialiasing)
        area = QRectF(self.rect()).adjusted(6, 5, -6, -5)
        hovered = bool(option.state & QStyle.StateFlag.State_MouseOver)
        pressed = self.isDown() or bool(option.state & QStyle.StateFlag.State_Sunken)
        if pressed or hovered:
            painter.setPen(Qt.PenStyle.NoPen)
            painter.setBrush(theme.colour("pressed" if pressed else "hover"))
            painter.drawRoundedRect(area, 8, 8)
        if self.hasFocus() and option.state & QStyle.StateFlag.State_HasFocus:
            painter.setPen(QPen(theme.ACCENT, 1.5))
            painter.setBrush(Qt.BrushStyle.NoBrush)
            painter.drawRoundedRect(area.adjusted(0.75, 0.75, -0.75, -0.75), 8, 8)
        # the tile: the workspace's initial on its colour
        tile = QRectF(area.left() + 8, area.center().y() - 16, 32, 32)
        painter.setPen(Qt.PenStyle.NoPen)
        painter.setBrush(_tile_colour(self.title))
        painter.drawRoundedRect(tile, 8, 8)
        initial = (self.title.strip()[:1] or "A").upper()
        tile_font = QFont(self.font())
        tile_font.setBold(True)
        tile_font.setPointSizeF(self.font().pointSizeF() * 1.15)
        painter.setFont(tile_font)
        painter.setPen(QColor("#ffffff"))
        painter.drawText(tile, Qt.AlignmentFlag.AlignCenter, initial)
        if self.attention:
            painter.setPen(QPen(theme.colour("sidebar"), 2))
            painter.setBrush(QColor("#d97706"))
            painter.drawEllipse(QRectF(tile.right() - 8, tile.top() - 3, 11, 11))
        # the chevron
        chevron_x = area.right() - 14
        path = QPainterPath()
        path.moveTo(chevron_x - 4, area.center().y() - 2)
        path.lineTo(chevron_x, area.center().y() + 2)
        path.lineTo(chevron_x + 4, area.center().y() - 2)
        painter.setPen(
            QPen(theme.MUTED, 1.6, Qt.PenStyle.SolidLine, Qt.PenCapStyle.RoundCap, Qt.PenJoinStyle.RoundJoin)
        )
        painter.setBrush(Qt.BrushStyle.NoBrush)
        painter.drawPath(path)
        # two lines of text, elided
        left = tile.right() + 10
        width = max(10.0, chevron_x - 10 - left)
        bold = QFont(self.font())
        bold.setBold(True)
        small = QFont(self.font())
        small.setPointSizeF(self.font().pointSizeF() * 0.9)
        bold_metrics, small_metrics = QFontMetrics(bold), QFontMetrics(small)
        if self.subtitle:
            top = area.center().y() - (bold_metrics.height() + small_metrics.height() + 2) / 2
        else:
            top = area.center().y() - bold_metrics.height() / 2
        painter.setFont(bold)
        painter.setPen(theme.TEXT)
        painter.drawText(
            QRectF(left, top, width, bold_metrics.height()),
            Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignVCenter,
            bold_metrics.elidedText(self.title, Qt.TextElideMode.ElideRight, int(width)),
        )
        if self.subtitle:
            painter.setFont(small)
            painter.setPen(theme.MUTED)
            painter.drawText(
                QRectF(left, top + bold_metrics.height() + 2, width, small_metrics.height()),
                Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignVCenter,
                small_metrics.elidedText(self.subtitle, Qt.TextElideMode.ElideRight, int(width)),
            )
        painter.end()
