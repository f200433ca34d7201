"""The look: Fusion, a light or dark palette that follows the system, one accent colour, a small
style sheet and the icons.

Every colour the window paints is derived from four seeds of the palette in use (window, base,
text, accent) by mixing, so the dark palette needs no second style sheet. The module-level colour
names (`theme.TEXT`, `theme.MUTED`, …) are rebound by `apply`: read them as `theme.NAME` at paint
time, never import them by name. Icons are SVG files in `attache/resources`, read through
importlib.resources (so they work from a wheel and from the PyInstaller bundle alike).
"""

from __future__ import annotations

import functools
import os
from importlib import resources
from string import Template

from PySide6.QtCore import QByteArray, QRectF, QSize, Qt
from PySide6.QtGui import QColor, QFont, QGuiApplication, QIcon, QPainter, QPalette, QPixmap
from PySide6.QtWidgets import QApplication

LIGHT, DARK = "light", "dark"
PALETTE_ENV = "ATTACHE_PALETTE"  # light or dark: overrides the system's choice (`attache --palette`)

# The seeds of each scheme: everything else is mixed from them.
_SEEDS = {
    LIGHT: {
        "window": "#f6f7f9",
        "base": "#ffffff",
        "text": "#1f2329",
        "accent": "#2f6fed",
        "danger": "#c0392b",
        "ok": "#2e7d32",
        "warning": "#e0a100",
        "on_accent": "#ffffff",
    },
    DARK: {
        "window": "#1f2227",
        "base": "#272a30",
        "text": "#e6e8eb",
        "accent": "#5b8def",
        "danger": "#ef6f61",
        "ok": "#5cb85f",
        "warning": "#e0b040",
        "on_accent": "#ffffff",
    },
}


def mix(a: QColor | str, b: QColor | str, amount: float) -> QColor:
    """`amount` of colour a over colour b (0: b, 1: a)."""
    a, b = QColor(a), QColor(b)
    return QColor(
        round(a.red() * amount + b.red() * (1 - amount)),
        round(a.green() * amount + b.green() * (1 - amount)),
        round(a.blue() * amount + b.blue() * (1 - amount)),
    )


def colours(scheme: str) -> dict[str, QColor]:
    """Every named colour of a scheme, derived from its seeds."""
    seed = {name: QColor(value) for name, value in _SEEDS[scheme].items()}
    window, base, text, accent, danger = seed["window"], seed["base"], seed["text"], seed["accent"], seed["danger"]
    dark = scheme == DARK
    return {
        **seed,
        "muted": mix(text, base, 0.55),
        "secondary": mix(text, base, 0.75),
        "disabled": mix(text, base, 0.38),
        "placeholder": mix(text, base, 0.45),
        "border": mix(text, window, 0.16 if dark else 0.09),
        "field_border": mix(text, window, 0.22 if dark else 0.13),
        "control_border": mix(text, base, 0.26 if dark else 0.17),
        "scroll_hover": mix(text, base, 0.4 if dark else 0.29),
        "sidebar": mix(text, window, 0.05 if dark else 0.035),
        "alternate": mix(text, base, 0.03),
        "hover": mix(text, base, 0.07 if dark else 0.045),
        "pressed": mix(text, base, 0.13 if dark else 0.09),
        "placeholder_fill": mix(text, base, 0.12 if dark else 0.08),
        "subtle_fill": mix(text, base, 0.03 if dark else 0.012),
        "pill": mix(text, window, 0.14 if dark else 0.1),
        "accent_soft": mix(accent, base, 0.2 if dark else 0.1),
        "accent_text": accent.lighter(125) if dark else accent.darker(125),
        "accent_strong": accent.darker(110),
        "accent_disabled": mix(accent, base, 0.4),
        "selected_fill": mix(accent, base, 0.28 if dark else 0.14),
        "kind_selected_fill": mix(accent, window, 0.3 if dark else 0.15),
        "drop_ok_fill": mix(accent, base, 0.2 if dark else 0.1),
        "drop_refused_fill": mix(danger, base, 0.2 if dark else 0.1),
        "info_back": mix(accent, base, 0.16 if dark else 0.08),
        "error_back": mix(danger, base, 0.2 if dark else 0.1),
        "error_border": mix(danger, base, 0.45 if dark else 0.3),
        "warning_back": mix(seed["warning"], base, 0.18 if dark else 0.12),
        "warning_border": mix(seed["warning"], base, 0.45 if dark else 0.35),
        "warning_text": mix(seed["warning"], text, 0.8 if dark else 0.6),
        "success_back": mix(seed["ok"], base, 0.18 if dark else 0.1),
        "success_border": mix(seed["ok"], base, 0.45 if dark else 0.3),
    }


# The current scheme's colours, rebound by `apply` (light until then).
SCHEME = LIGHT
_COLOURS = colours(LIGHT)
ACCENT = _COLOURS["accent"]
ACCENT_SOFT = _COLOURS["accent_soft"]
TEXT = _COLOURS["text"]
MUTED = _COLOURS["muted"]
BORDER = _COLOURS["border"]
WINDOW = _COLOURS["window"]
BASE = _COLOURS["base"]
DANGER = _COLOURS["danger"]
OK_GREEN = _COLOURS["ok"]


def colour(name: str) -> QColor:
    """A named colour of the scheme in use (see `colours`)."""
    return QColor(_COLOURS[name])


def style_sheet(template: str) -> str:
    """A widget's own style sheet with `$name` colours of the scheme in use."""
    return Template(template).substitute({name: value.name() for name, value in _COLOURS.items()})


def system_scheme() -> str:
    """$ATTACHE_PALETTE, else what the system asks for (Qt 6.5+ colorScheme), else light."""
    forced = os.environ.get(PALETTE_ENV, "").strip().lower()
    if forced in (LIGHT, DARK):
        return forced
    hints = QGuiApplication.styleHints()
    scheme = hints.colorScheme() if hints is not None else Qt.ColorScheme.Unknown
    return DARK if scheme == Qt.ColorScheme.Dark else LIGHT


_FOLLOWING = False  # connected to the system's light/dark switch once


def apply(app: QApplication, scheme: str | None = None) -> None:
    """Style, palette, font and style sheet; then again whenever the system switches light/dark."""
    app.setStyle("Fusion")
    _apply_scheme(app, scheme or system_scheme())
    font = QFont(app.font())
    if font.pointSizeF() < 10:
        font.setPointSizeF(10)
    app.setFont(font)
    hints = app.styleHints()
    global _FOLLOWING
    if scheme is None and hints is not None and not _FOLLOWING:
        _FOLLOWING = True
        hints.colorSchemeChanged.connect(lambda *_: _apply_scheme(app, system_scheme()))


def _apply_scheme(app: QApplication, scheme: str) -> None:
    global SCHEME, _COLOURS, ACCENT, ACCENT_SOFT, TEXT, MUTED, BORDER, WINDOW, BASE, DANGER, OK_GREEN
    c = colours(scheme)
    SCHEME, _COLOURS = scheme, c
    ACCENT, ACCENT_SOFT, TEXT, MUTED = c["accent"], c["accent_soft"], c["text"], c["muted"]
    BORDER, WINDOW, BASE, DANGER, OK_GREEN = c["border"], c["window"], c["base"], c["danger"], c["ok"]
    _svg_icon.cache_clear()
    app.setPalette(palette(c))
    app.setStyleSheet(STYLE_SHEET.substitute({name: value.name() for name, value in c.items()}))


def palette(c: dict[str, QColor]) -> QPalette:
    role = QPalette.ColorRole
    result = QPalette()
    for name, roles in (
        ("window", (role.Window, role.Light)),
        ("text", (role.WindowText, role.Text, role.ButtonText, role.ToolTipText, role.BrightText)),
        ("base", (role.Base, role.Button, role.ToolTipBase)),
        ("alternate", (role.AlternateBase,)),
        ("accent", (role.Highlight, role.Link, role.Accent)),
        ("on_accent", (role.HighlightedText,)),
        ("placeholder", (role.PlaceholderText,)),
        ("border", (role.Mid,)),
        ("hover", (role.Midlight,)),
        ("control_border", (role.Dark, role.Shadow)),
    ):
        for r in roles:
            result.setColor(r, c[name])
    for r in (role.WindowText, role.Text, role.ButtonText):
        result.setColor(QPalette.ColorGroup.Disabled, r, c["disabled"])
    return result


STYLE_SHEET = Template("""
QMainWindow::separator { background: $border; width: 1px; height: 1px; }
QSplitter::handle { background: $border; }
QSplitter::handle:horizontal { width: 1px; }
QSplitter::handle:vertical { height: 1px; }

#Sidebar { background: $sidebar; border: none; }
#SidebarHeader { color: $text; font-weight: 600; padding: 14px 14px 2px 14px; }
#SidebarAccount { color: $muted; padding: 0 14px 10px 14px; }
#KindsView { background: transparent; border: none; outline: 0; padding: 0 6px; }

#ListPane { background: $base; }
#ListHeader { color: $text; font-size: 15pt; font-weight: 600; }
#ListSubheader { color: $muted; }
#SearchField { border: 1px solid $field_border; border-radius: 6px; padding: 5px 8px; background: $window; }
#SearchField:focus { border: 1px solid $accent; background: $base; }
#EntityList { border: none; outline: 0; background: $base; }
#ScopeChip { background: $accent_soft; color: $accent_text; border-radius: 10px; padding: 2px 10px; }

#DetailPane { background: $window; }
#DetailName { color: $text; font-size: 16pt; font-weight: 600; }
#DetailSubtitle { color: $muted; }
#DetailKind { color: $accent; font-weight: 600; }
#SectionTitle { color: $text; font-weight: 600; font-size: 11pt; }
#Hint { color: $muted; }
#FilesView { border: 1px solid $border; border-radius: 8px; background: $base; }

#CropTitle { color: $text; font-size: 13pt; font-weight: 600; }

#EmptyState { background: $base; }
#EmptyTitle { color: $text; font-size: 17pt; font-weight: 600; }
#EmptyText { color: $secondary; }

#MessageBar { border-bottom: 1px solid $border; background: $info_back; }
#MessageBar[level="error"] { background: $error_back; border-bottom: 1px solid $error_border; }
#MessageBar[level="warning"] { background: $warning_back; border-bottom: 1px solid $warning_border; }
#MessageBar[level="success"] { background: $success_back; border-bottom: 1px solid $success_border; }
#NoteBar { border-bottom: 1px solid $border; background: $info_back; }
#ConnectionLabel[phase="offline"] { color: $warning_text; }
#ConnectionLabel[phase="signed out"] { color: $danger; }
#MessageText { color: $text; }
#MessageClose { border: none; color: $muted; }

QPushButton { padding: 5px 14px; border: 1px solid $control_border; border-radius: 6px; background: $base; }
QPushButton:hover { background: $hover; }
QPushButton:pressed { background: $pressed; }
QPushButton:disabled { color: $disabled; background: $window; border-color: $border; }
QPushButton[primary="true"] { background: $accent; color: $on_accent; border: 1px solid $accent_strong; }
QPushButton[primary="true"]:hover { background: $accent_strong; }
QPushButton[danger="true"] { color: $danger; }
QPushButton[danger="true"]:disabled { color: $disabled; }
QPushButton[primary="true"]:disabled { background: $accent_disabled; color: $on_accent; border-color: $accent_disabled; }
QPushButton[primary="true"]:focus { border: 2px solid $accent_text; padding: 4px 13px; }
QPushButton:focus { border: 2px solid $accent; padding: 4px 13px; }
QPushButton[iconOnly="true"] { padding: 5px 7px; }
QPushButton[iconOnly="true"]:focus { padding: 4px 6px; }

/* every control that takes the keyboard shows that it has it */
QToolButton:focus { border: 1px solid $accent; border-radius: 4px; }
QCheckBox:focus, QRadioButton:focus { outline: 1px solid $accent; }
QComboBox:focus, QLineEdit:focus, QDoubleSpinBox:focus, QSpinBox:focus { border: 1px solid $accent; }
#FilesView:focus { border: 1px solid $accent; }
#TransfersView { border: 1px solid transparent; }
#TransfersView:focus { border: 1px solid $accent; }

QScrollBar:vertical { background: transparent; width: 10px; margin: 2px; }
QScrollBar::handle:vertical { background: $control_border; border-radius: 3px; min-height: 32px; }
QScrollBar::handle:vertical:hover { background: $scroll_hover; }
QScrollBar:horizontal { background: transparent; height: 10px; margin: 2px; }
QScrollBar::handle:horizontal { background: $control_border; border-radius: 3px; min-width: 32px; }
QScrollBar::handle:horizontal:hover { background: $scroll_hover; }
QScrollBar::add-line, QScrollBar::sub-line { width: 0; height: 0; }
QScrollBar::add-page, QScrollBar::sub-page { background: transparent; }

QHeaderView::section { background: $window; color: $secondary; border: none; border-bottom: 1px solid $border; padding: 4px 8px; }
QDockWidget { font-weight: 600; }
QDockWidget::title { background: $sidebar; padding: 6px 10px; border-top: 1px solid $border; }
#TransfersView::item { padding: 0 6px; }
#TransfersSummary { color: $secondary; }
QStatusBar { background: $window; color: $muted; border-top: 1px solid $border; }
QToolTip { border: 1px solid $field_border; padding: 4px; }
""")


# --------------------------------------------------------------------------- icons

ICONS = resources.files("attache.resources") / "icons"
APP_ICON = resources.files("attache.resources") / "attache.svg"


def icon_names() -> list[str]:
    """The line icons shipped in attache/resources/icons (24×24, stroke in currentColor)."""
    return sorted(entry.name.removesuffix(".svg") for entry in ICONS.iterdir() if entry.name.endswith(".svg"))


@functools.lru_cache(maxsize=64)
def _svg_source(name: str) -> str:
    entry = ICONS / f"{name}.svg"
    if not entry.is_file():
        entry = ICONS / "file.svg"
    return entry.read_text(encoding="utf-8")


def svg_icon(name: str, colour: QColor | str | None = None, size: int = 24) -> QIcon:
    """A crisp icon at every device pixel ratio from one of the shipped line drawings."""
    return _svg_icon(name, QColor(colour if colour is not None else MUTED).name(), size)


@functools.lru_cache(maxsize=128)
def _svg_icon(name: str, colour_name: str, size: int) -> QIcon:
    svg = _svg_source(name).replace("currentColor", colour_name)
    return _render_icon(svg.encode(), size, (1, 2, 3))


def _render_icon(svg: bytes, size: int, scales) -> QIcon:
    from PySide6.QtSvg import QSvgRenderer

    renderer = QSvgRenderer(QByteArray(svg))
    icon = QIcon()
    for scale in scales:
        pixmap = QPixmap(QSize(size * scale, size * scale))
        pixmap.fill(Qt.GlobalColor.transparent)
        painter = QPainter(pixmap)
        renderer.render(painter, QRectF(0, 0, size * scale, size * scale))
        painter.end()
        pixmap.setDevicePixelRatio(scale)
        icon.addPixmap(pixmap)
    return icon


def kind_icon(kind, colour: QColor | str | None = None, size: int = 24) -> QIcon:
    try:
        return svg_icon(str(kind.value), colour, size)
    except Exception:  # noqa: BLE001 — no QtSvg: no icon rather than no window
        return QIcon()


@functools.lru_cache(maxsize=1)
def app_icon() -> QIcon:
    """The window icon: attache/resources/attache.svg (the desktop's icon is rendered from it too)."""
    try:
        from PySide6.QtSvg import QSvgRenderer

        renderer = QSvgRenderer(QByteArray(APP_ICON.read_bytes()))
    except Exception:  # noqa: BLE001 — no QtSvg: no icon rather than no window
        return QIcon()
    icon = QIcon()
    for size in (16, 24, 32, 48, 64, 128, 256):
        pixmap = QPixmap(size, size)
        pixmap.fill(Qt.GlobalColor.transparent)
        painter = QPainter(pixmap)
        painter.setRenderHint(QPainter.RenderHint.Antialiasing)
        renderer.render(painter, QRectF(0, 0, size, size))
        painter.end()
        icon.addPixmap(pixmap)
    return icon
