"""The account the window shows, as one observed object.

Widgets that need the backend (the detail pane, avatars, thumbnails, the list, the transfer
queue, the accounts controller) connect to `changed` and read what they need, instead of the
window handing the backend to each of them.
"""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING

from PySide6.QtCore import QObject, Signal

from attache.core.capabilities import Capability
from attache.core.models import Entity, EntityKind
from attache.core.services import Service, service

if TYPE_CHECKING:
    from attache.app.connections import Connection
    from attache.app.engine import WindowBackends
    from attache.app.session import OpenSession
    from attache.backends.base import Backend
    from attache.images.cache import AvatarCache as DiskCache
    from attache.transfers import TransferEngine

log = logging.getLogger(__name__)


class Session(QObject):
    """Connection, backend, engine and workspace of the open account; all None when none is open."""

    changed = Signal()  # a new account, none, or a new backend for the same account (signed in again)

    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.connection: Connection | None = None
        self.backend: Backend | None = None
        self.engine: TransferEngine | None = None
        self.backends: WindowBackends | None = None  # how the engine opens each job's account
        self.workspace: Entity | None = None
        self.disk: DiskCache | None = None  # pictures kept across runs, shared by avatars and thumbnails

    @property
    def is_open(self) -> bool:
        return self.backend is not None

    @property
    def service(self) -> Service | None:
        """The service's registry entry: names, kinds, capability table with reasons."""
        if self.connection is not None:
            return self.connection.entry
        return service(self.backend.service) if self.backend is not None else None

    @property
    def service_name(self) -> str:
        entry = self.service
        return entry.name if entry is not None else "this service"

    def capabilities(self, kind: EntityKind) -> Capability:
        return self.backend.capabilities(kind) if self.backend is not None else Capability.NONE

    def can(self, kind: EntityKind, capability: Capability) -> bool:
        return bool(self.capabilities(kind) & capability)

    def why_not(self, kind: EntityKind, capability: Capability) -> str:
        """The tooltip of a control greyed out because the service cannot do this."""
        entry = self.service
        return entry.capabilities.why_not(kind, capability) if entry is not None else "Not connected"

    def image_rules(self, kind: EntityKind):
        """What the service accepts as a picture of this kind, or None when it does not say."""
        from attache.core.errors import AttacheError

        try:
            return self.backend.image_rules(kind) if self.backend is not None else None
        except AttacheError:
            return None

    # ------------------------------------------------------------------ changing

    def open(self, opened: OpenSession) -> None:
        self.connection, self.backend, self.engine = opened.connection, opened.backend, opened.engine
        self.backends = opened.backends
        self.workspace = opened.workspace
        self.disk = _disk_cache()
        self.changed.emit()

    def renew_backend(self, backend: Backend, workspace: Entity) -> Backend | None:
        """Same account, a new sign-in: returns the old backend, for the caller to close."""
        old, self.backend, self.workspace = self.backend, backend, workspace
        self.changed.emit()
        return old

    def set_workspace(self, workspace: Entity) -> None:
        """The workspace entity fetched again (its picture changed); nothing else moves."""
        self.workspace = workspace

    def running_engine(self) -> tuple[TransferEngine, WindowBackends] | None:
        """The engine on the user's own queue, for the next account on it to go on with."""
        if self.engine is None or self.backends is None or not self.backends.own_queue:
            return None
        return self.engine, self.backends

    def clear(self) -> tuple:
        """Show no account; returns (engine, connection, backend) for the caller to close."""
        parts = (self.engine, self.connection, self.backend)
        self.connection = self.backend = self.engine = self.workspace = None
        self.backends = None
        self.disk = None
        self.changed.emit()
        return parts


def _disk_cache() -> DiskCache | None:
    try:
        from attache.images.cache import AvatarCache as DiskCache
    except ImportError:  # pragma: no cover - images ship with the app
        return None
    return DiskCache()
