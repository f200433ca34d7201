"""The window's remembered choices, each a typed function over one INI file.

One module owns the keys, so no widget spells a settings string of its own. The file lives in
the app's config folder (never the registry), and every write is synced at once: a crash or a
SIGTERM loses nothing the user chose.
"""

from __future__ import annotations

from PySide6.QtCore import QByteArray, QSettings

from attache.core.models import EntityKind
from attache.core.paths import app_dirs

_LAST_ACCOUNT = "account/last"
_GEOMETRY = "window/geometry"
_STATE = "window/state"
_SPLITTER = "window/splitter"
_FILES_HEADER = "window/files_header"
_TRANSFERS_HEADER = "window/transfers_header"
_BROWSE_KIND = "browse/kind"
_UPLOAD_LIMIT = "transfers/upload_limit"  # bytes per second; 0: no limit
_RESUME_ON_START = "transfers/resume_on_start"
_SKIP_CROP = "images/upload_without_cropping"


def store() -> QSettings:
    """The settings file itself (`window.ini` in the config folder)."""
    path = app_dirs().config / "window.ini"
    path.parent.mkdir(parents=True, exist_ok=True)
    return QSettings(str(path), QSettings.Format.IniFormat)


def _set(key: str, value: object) -> None:
    settings = store()
    settings.setValue(key, value)
    settings.sync()


def _bytes(key: str) -> QByteArray | None:
    value = store().value(key)
    return value if isinstance(value, QByteArray) and not value.isEmpty() else None


# ---------------------------------------------------------------------- accounts


def last_account() -> str | None:
    """The saved account the window showed last; the next start opens it."""
    value = store().value(_LAST_ACCOUNT)
    return value if isinstance(value, str) and value else None


def set_last_account(name: str) -> None:
    _set(_LAST_ACCOUNT, name)


# ---------------------------------------------------------------------- the window's layout


class Layout:
    """Geometry, dock state, the splitter and the two table headers, saved and restored together."""

    __slots__ = ("files_header", "geometry", "splitter", "state", "transfers_header")

    def __init__(
        self,
        geometry: QByteArray | None = None,
        state: QByteArray | None = None,
        splitter: QByteArray | None = None,
        files_header: QByteArray | None = None,
        transfers_header: QByteArray | None = None,
    ) -> None:
        self.geometry, self.state, self.splitter = geometry, state, splitter
        self.files_header, self.transfers_header = files_header, transfers_header


def window_layout() -> Layout:
    return Layout(
        _bytes(_GEOMETRY), _bytes(_STATE), _bytes(_SPLITTER), _bytes(_FILES_HEADER), _bytes(_TRANSFERS_HEADER)
    )


def save_window_layout(layout: Layout) -> None:
    settings = store()
    for key, value in (
        (_GEOMETRY, layout.geometry),
        (_STATE, layout.state),
        (_SPLITTER, layout.splitter),
        (_FILES_HEADER, layout.files_header),
        (_TRANSFERS_HEADER, layout.transfers_header),
    ):
        if value is not None:
            settings.setValue(key, value)
    settings.sync()


# ---------------------------------------------------------------------- browsing


def browse_kind() -> EntityKind | None:
    """The kind listed when the window last closed."""
    value = store().value(_BROWSE_KIND)
    try:
        return EntityKind(value) if isinstance(value, str) else None
    except ValueError:
        return None


def set_browse_kind(kind: EntityKind) -> None:
    _set(_BROWSE_KIND, kind.value)


# ---------------------------------------------------------------------- transfers


def upload_limit() -> float | None:
    """The upload speed limit the user chose, in bytes per second, or None."""
    value = store().value(_UPLOAD_LIMIT, 0, type=int)
    from attache.transfers.throttle import MIN_RATE  # here: the transfers package loads the engine and httpx

    return float(value) if value and value >= MIN_RATE else None


def set_upload_limit(rate: float | None) -> None:
    _set(_UPLOAD_LIMIT, int(rate or 0))


def resume_on_start() -> bool:
    """Whether interrupted uploads go on by themselves when the window opens (the default)."""
    return bool(store().value(_RESUME_ON_START, True, type=bool))


def set_resume_on_start(resume: bool) -> None:
    _set(_RESUME_ON_START, bool(resume))


# ---------------------------------------------------------------------- pictures


def crop_skipped() -> bool:
    """Whether pictures go up as they are, without the crop dialog."""
    return bool(store().value(_SKIP_CROP, False, type=bool))


def set_crop_skipped(skip: bool) -> None:
    _set(_SKIP_CROP, bool(skip))


# ---------------------------------------------------------------------- desktop

_KEEP_IN_TRAY = "desktop/keep_running_in_tray"
_BROWSE_SELECTION = "browse/selection"


def keep_in_tray() -> bool:
    """Whether closing the window leaves Attaché running in the system tray (opt-in)."""
    return bool(store().value(_KEEP_IN_TRAY, False, type=bool))


def set_keep_in_tray(keep: bool) -> None:
    _set(_KEEP_IN_TRAY, bool(keep))


def browse_selection() -> str | None:
    """The id of the item selected when the window last closed (in the kind `browse_kind` names)."""
    value = store().value(_BROWSE_SELECTION)
    return value if isinstance(value, str) and value else None


def set_browse_selection(entity_id: str | None) -> None:
    _set(_BROWSE_SELECTION, entity_id or "")


# ---- file dialogs: each purpose starts where it was last used

PICTURE, ATTACH, DOWNLOAD = "picture", "attach", "download"


def last_folder(purpose: str, default: str) -> str:
    """The folder the dialog for this purpose last left off in, while it exists; else `default`.
    (A stat of one folder, when the dialog opens: the dialog itself reads far more.)"""
    from pathlib import Path

    value = store().value(f"folders/{purpose}", "")
    return value if isinstance(value, str) and value and Path(value).is_dir() else default


def set_last_folder(purpose: str, folder: str) -> None:
    _set(f"folders/{purpose}", folder)
