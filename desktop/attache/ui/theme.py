"""The look: Fusion with a light palette, one accent colour, a small style sheet, and icons."""

from __future__ import annotations

import functools

from PySide6.QtCore import QByteArray, QRectF, QSize, Qt
from PySide6.QtGui import QColor, QFont, QIcon, QPainter, QPalette, QPixmap
from PySide6.QtWidgets import QApplication

ACCENT = QColor("#2f6fed")
ACCENT_SOFT = QColor("#e8f0fe")
TEXT = QColor("#1f2329")
MUTED = QColor("#6b7280")
BORDER = QColor("#e3e6ea")
WINDOW = QColor("#f6f7f9")
BASE = QColor("#ffffff")
DANGER = QColor("#c0392b")
OK_GREEN = QColor("#2e7d32")


def apply(app: QApplication) -> None:
    app.setStyle("Fusion")
    palette = QPalette()
    palette.setColor(QPalette.ColorRole.Window, WINDOW)
    palette.setColor(QPalette.ColorRole.WindowText, TEXT)
    palette.setColor(QPalette.ColorRole.Base, BASE)
    palette.setColor(QPalette.ColorRole.AlternateBase, QColor("#f9fafb"))
    palette.setColor(QPalette.ColorRole.Text, TEXT)
    palette.setColor(QPalette.ColorRole.Button, QColor("#ffffff"))
    palette.setColor(QPalette.ColorRole.ButtonText, TEXT)
    palette.setColor(QPalette.ColorRole.Highlight, ACCENT)
    palette.setColor(QPalette.ColorRole.HighlightedText, QColor("#ffffff"))
    palette.setColor(QPalette.ColorRole.ToolTipBase, QColor("#ffffff"))
    palette.setColor(QPalette.ColorRole.ToolTipText, TEXT)
    palette.setColor(QPalette.ColorRole.PlaceholderText, QColor("#9aa0a6"))
    palette.setColor(QPalette.ColorRole.Link, ACCENT)
    palette.setColor(QPalette.ColorRole.Mid, BORDER)
    palette.setColor(QPalette.ColorRole.Midlight, QColor("#eef0f3"))
    for role in (QPalette.ColorRole.WindowText, QPalette.ColorRole.Text, QPalette.ColorRole.ButtonText):
        palette.setColor(QPalette.ColorGroup.Disabled, role, QColor("#a0a6ad"))
    app.setPalette(palette)
    font = QFont(app.font())
    if font.pointSizeF() < 10:
        font.setPointSizeF(10)
    app.setFont(font)
    app.setStyleSheet(STYLE_SHEET)


STYLE_SHEET = """
QMainWindow::separator { background: #e3e6ea; width: 1px; height: 1px; }
QSplitter::handle { background: #e3e6ea; }
QSplitter::handle:horizontal { width: 1px; }
QSplitter::handle:vertical { height: 1px; }

#Sidebar { background: #eef1f5; border: none; }
#SidebarHeader { color: #1f2329; font-weight: 600; padding: 14px 14px 2px 14px; }
#SidebarAccount { color: #6b7280; padding: 0 14px 10px 14px; }
#KindsView { background: transparent; border: none; outline: 0; padding: 0 6px; }

#ListPane { background: #ffffff; }
#ListHeader { color: #1f2329; font-size: 15pt; font-weight: 600; }
#ListSubheader { color: #6b7280; }
#SearchField { border: 1px solid #d7dbe0; border-radius: 6px; padding: 5px 8px; background: #f6f7f9; }
#SearchField:focus { border: 1px solid #2f6fed; background: #ffffff; }
#EntityList { border: none; outline: 0; background: #ffffff; }
#ScopeChip { background: #e8f0fe; color: #1d4fc4; border-radius: 10px; padding: 2px 10px; }

#DetailPane { background: #f6f7f9; }
#DetailName { color: #1f2329; font-size: 16pt; font-weight: 600; }
#DetailSubtitle { color: #6b7280; }
#DetailKind { color: #2f6fed; font-weight: 600; }
#SectionTitle { color: #1f2329; font-weight: 600; font-size: 11pt; }
#Hint { color: #6b7280; }
#FilesView { border: 1px solid #e3e6ea; border-radius: 8px; background: #ffffff; }

#CropTitle { color: #1f2329; font-size: 13pt; font-weight: 600; }

#EmptyState { background: #ffffff; }
#EmptyTitle { color: #1f2329; font-size: 17pt; font-weight: 600; }
#EmptyText { color: #4b5563; }

#MessageBar { border-bottom: 1px solid #e3e6ea; background: #eef4ff; }
#MessageBar[level="error"] { background: #fdecea; border-bottom: 1px solid #f5c2bd; }
#MessageBar[level="warning"] { background: #fff6e0; border-bottom: 1px solid #f3dfa8; }
#MessageBar[level="success"] { background: #e9f6ec; border-bottom: 1px solid #bfe3c7; }
#NoteBar { border-bottom: 1px solid #e3e6ea; background: #eef4ff; }
#ConnectionLabel[phase="offline"] { color: #a15c00; }
#ConnectionLabel[phase="signed out"] { color: #c0392b; }
#MessageText { color: #1f2329; }
#MessageClose { border: none; color: #6b7280; }

QPushButton { padding: 5px 14px; border: 1px solid #cfd4da; border-radius: 6px; background: #ffffff; }
QPushButton:hover { background: #f1f4f8; }
QPushButton:pressed { background: #e6eaf0; }
QPushButton:disabled { color: #a0a6ad; background: #f6f7f9; border-color: #e3e6ea; }
QPushButton[primary="true"] { background: #2f6fed; color: white; border: 1px solid #2a62d4; }
QPushButton[primary="true"]:hover { background: #2a62d4; }
QPushButton[danger="true"] { color: #c0392b; }
QPushButton[danger="true"]:disabled { color: #a0a6ad; }
QPushButton[primary="true"]:disabled { background: #a9c1f5; color: #ffffff; border-color: #a9c1f5; }
QPushButton[primary="true"]:focus { border: 2px solid #0f3a9e; padding: 4px 13px; }
QPushButton:focus { border: 2px solid #2f6fed; padding: 4px 13px; }
QPushButton[iconOnly="true"] { padding: 5px 7px; }
QPushButton[iconOnly="true"]:focus { padding: 4px 6px; }

/* every control that takes the keyboard shows that it has it */
QToolButton:focus { border: 1px solid #2f6fed; border-radius: 4px; }
QCheckBox:focus, QRadioButton:focus { outline: 1px solid #2f6fed; }
QComboBox:focus, QLineEdit:focus, QDoubleSpinBox:focus, QSpinBox:focus { border: 1px solid #2f6fed; }
#FilesView:focus { border: 1px solid #2f6fed; }
#TransfersView { border: 1px solid transparent; }
#TransfersView:focus { border: 1px solid #2f6fed; }

QScrollBar:vertical { background: transparent; width: 10px; margin: 2px; }
QScrollBar::handle:vertical { background: #cfd4da; border-radius: 3px; min-height: 32px; }
QScrollBar::handle:vertical:hover { background: #aeb5bd; }
QScrollBar:horizontal { background: transparent; height: 10px; margin: 2px; }
QScrollBar::handle:horizontal { background: #cfd4da; border-radius: 3px; min-width: 32px; }
QScrollBar::handle:horizontal:hover { background: #aeb5bd; }
QScrollBar::add-line, QScrollBar::sub-line { width: 0; height: 0; }
QScrollBar::add-page, QScrollBar::sub-page { background: transparent; }

QHeaderView::section { background: #f6f7f9; color: #4b5563; border: none; border-bottom: 1px solid #e3e6ea; padding: 4px 8px; }
QDockWidget { font-weight: 600; }
QDockWidget::title { background: #eef1f5; padding: 6px 10px; border-top: 1px solid #e3e6ea; }
#TransfersView::item { padding: 0 6px; }
#TransfersSummary { color: #4b5563; }
QStatusBar { background: #f6f7f9; color: #6b7280; border-top: 1px solid #e3e6ea; }
QToolTip { border: 1px solid #d7dbe0; padding: 4px; }
"""


# --------------------------------------------------------------------------- icons

# Small line icons (24×24, stroke in currentColor) for the sidebar's kinds.
_SVG = {
    "project": '<path d="M3 7a2 2 0 0 1 2-2h4l2 2h8a2 2 0 0 1 2 2v8a2 2 0 0 1-2 2H5a2 2 0 0 1-2-2z"/>',
    "task": '<rect x="4" y="4" width="16" height="16" rx="3"/><path d="M8.5 12.5l2.5 2.5 4.5-5"/>',
    "company": '<path d="M4 20V6a1 1 0 0 1 1-1h8a1 1 0 0 1 1 1v14M14 10h5a1 1 0 0 1 1 1v9M3 20h18"/>'
    '<path d="M7.5 9h3M7.5 12.5h3M7.5 16h3"/>',
    "user": '<circle cx="12" cy="8.5" r="3.5"/><path d="M5 20c.8-3.6 3.6-5.5 7-5.5s6.2 1.9 7 5.5"/>',
    "project_template": '<rect x="4" y="3.5" width="16" height="17" rx="2"/><path d="M8 8h8M8 12h8M8 16h5"/>',
    "workspace": '<rect x="3" y="4" width="18" height="13" rx="2"/><path d="M8 21h8M12 17v4"/>',
    "contact_person": '<circle cx="12" cy="9" r="3"/><rect x="4" y="3.5" width="16" height="17" rx="2"/>'
    '<path d="M7.5 18c.8-2.2 2.4-3.3 4.5-3.3s3.7 1.1 4.5 3.3"/>',
    "upload": '<path d="M12 16V4M7 9l5-5 5 5M4 16v3a1 1 0 0 0 1 1h14a1 1 0 0 0 1-1v-3"/>',
    "image": '<rect x="3.5" y="4.5" width="17" height="15" rx="2"/><circle cx="9" cy="10" r="1.8"/>'
    '<path d="M4 18l5-5 4 4 3-3 4 4"/>',
    "file": '<path d="M14 3.5H7a2 2 0 0 0-2 2v13a2 2 0 0 0 2 2h10a2 2 0 0 0 2-2V8.5z"/><path d="M14 3.5v5h5"/>',
    "search": '<circle cx="10.5" cy="10.5" r="6"/><path d="M15 15l5 5"/>',
    "rotate-left": '<path d="M4.5 13a7.5 7.5 0 1 0 2.2-5.3L4 10.4"/><path d="M4 5.5v4.9h4.9"/>',
    "rotate-right": '<path d="M19.5 13a7.5 7.5 0 1 1-2.2-5.3l2.7 2.7"/><path d="M20 5.5v4.9h-4.9"/>',
    "zoom-in": '<circle cx="10.5" cy="10.5" r="6"/><path d="M15 15l5 5M8 10.5h5M10.5 8v5"/>',
    "zoom-out": '<circle cx="10.5" cy="10.5" r="6"/><path d="M15 15l5 5M8 10.5h5"/>',
    "app": '<path d="M7 7V5.5A1.5 1.5 0 0 1 8.5 4h7A1.5 1.5 0 0 1 17 5.5V7"/><rect x="3" y="7" width="18" height="13" rx="2.5"/>'
    '<path d="M3 12.5h18"/>',
}


def svg_icon(name: str, colour: QColor | str = MUTED, size: int = 24) -> QIcon:
    """A crisp icon at every device pixel ratio from one of the built-in line drawings."""
    return _svg_icon(name, QColor(colour).name(), size)


@functools.lru_cache(maxsize=128)
def _svg_icon(name: str, colour_name: str, size: int) -> QIcon:
    from PySide6.QtSvg import QSvgRenderer

    colour = QColor(colour_name)
    body = _SVG.get(name, _SVG["file"])
    svg = (
        f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 24 24" fill="none" stroke="{colour.name()}" '
        f'stroke-width="1.7" stroke-linecap="round" stroke-linejoin="round">{body}</svg>'
    )
    renderer = QSvgRenderer(QByteArray(svg.encode()))
    icon = QIcon()
    for scale in (1, 2, 3):
        pixmap = QPixmap(QSize(size * scale, size * scale))
        pixmap.fill(Qt.GlobalColor.transparent)
        painter = QPainter(pixmap)
        renderer.render(painter, QRectF(0, 0, size * scale, size * scale))
        painter.end()
        pixmap.setDevicePixelRatio(scale)
        icon.addPixmap(pixmap)
    return icon


def kind_icon(kind, colour: QColor | str = MUTED, size: int = 24) -> QIcon:
    try:
        return svg_icon(str(kind.value), colour, size)
    except Exception:  # noqa: BLE001 — no QtSvg: no icon rather than no window
        return QIcon()


def app_icon() -> QIcon:
    """The window icon: a briefcase in the accent colour on a rounded tile."""
    icon = QIcon()
    for size in (16, 24, 32, 48, 64, 128, 256):
        pixmap = QPixmap(size, size)
        pixmap.fill(Qt.GlobalColor.transparent)
        painter = QPainter(pixmap)
        painter.setRenderHint(QPainter.RenderHint.Antialiasing)
        painter.setPen(Qt.PenStyle.NoPen)
        painter.setBrush(ACCENT)
        radius = size * 0.22
        painter.drawRoundedRect(QRectF(0, 0, size, size), radius, radius)
        try:
            from PySide6.QtSvg import QSvgRenderer

            svg = (
                '<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 24 24" fill="none" stroke="#ffffff" '
                f'stroke-width="1.9" stroke-linecap="round" stroke-linejoin="round">{_SVG["app"]}</svg>'
            )
            QSvgRenderer(QByteArray(svg.encode())).render(
                painter, QRectF(size * 0.17, size * 0.15, size * 0.66, size * 0.66)
            )
        except Exception:  # noqa: BLE001, S110 - no font for the glyph: the plain disc is the icon
            pass
        painter.end()
        icon.addPixmap(pixmap)
    return icon
