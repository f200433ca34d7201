"""What a service's sandbox plug-in provides to the common server.

A plug-in module (the registry's `sandbox_module`) exposes `PLUGIN`, an object with this shape.
The server owns everything generic: the socket, uvicorn, faults and the request log, the data
directory and its clean-up, the foreground command. The plug-in owns what the service is:
its store, its demo data, its Starlette app, how its errors and rate limits look.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any, Protocol

from attache.sandbox.common.faults import FaultShapes
from attache.sandbox.common.store import SqliteBlobStore

# Called by long start-up work (seeding) between steps with the step's name; raises
# `StartCancelled` once a stop was requested, so start-up ends at a point where it can clean up.
Checkpoint = Callable[[str], None]


class StartCancelled(Exception):
    """Start-up was stopped (stop(), SIGTERM, Ctrl-C) before the server was serving."""


class SandboxPlugin(Protocol):
    service_id: str
    name: str  # as the service writes its own name: the first line says "<name> sandbox at <URL>"
    data_file: str  # the store's file in the data directory: there means "seeded already"
    fault_shapes: FaultShapes
    # The options this service's sandbox takes beyond the common ones, with their defaults.
    option_defaults: Mapping[str, Any]

    def check_options(self, options: Mapping[str, Any]) -> None:
        """Raise ValueError for a value out of range (before anything is created)."""

    def api_prefix(self, options: Mapping[str, Any]) -> str:
        """What the API's base URL adds to the server's root, e.g. "/api/v1"."""

    def new_state(self, options: Mapping[str, Any]) -> Any:
        """Objects that live as long as the SandboxServer (a sign-in provider, an upload target);
        their attributes are reachable as the server's (`server.oauth`, `server.blobs`)."""

    def clone_seeded(self, data_dir: Path, options: Mapping[str, Any], checkpoint: Checkpoint) -> None:
        """Fill an empty data directory with the demo data (see `common.templates.clone_seeded`)."""

    def open_store(self, data_dir: Path) -> SqliteBlobStore: ...

    def build_app(self, store: Any, state: Any, *, token: str, options: Mapping[str, Any]) -> Any:
        """The ASGI app that answers like the service (under its API prefix, plus `/_sandbox/health`)."""

    def announce(self, server: Any) -> list[str]:
        """Lines `attache sandbox` prints after "<name> sandbox at <URL>": how to sign in."""
