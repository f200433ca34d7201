"""Local servers that answer exactly like the services' APIs, with a real store and demo data.

Used by the app's demo mode (`attache --sandbox`, `attache sandbox`) and by every test that
talks HTTP. Never imports Qt. `common/` is the server every service shares; each service is a
plug-in beside it (the registry's `sandbox_module`), imported only when its sandbox starts.
"""

from __future__ import annotations

import importlib
from typing import Any

from attache.sandbox.common.faults import FaultPlan, RequestRecord
from attache.sandbox.common.server import SandboxServer, serve_forever

__all__ = ["AzuriteBlobs", "FaultPlan", "OwnBlobs", "RequestRecord", "SandboxServer", "serve_forever"]

# Upload targets of a service's sandbox, importable from here without importing that service's
# modules when the package is: `from attache.sandbox import AzuriteBlobs`.
_LAZY = {"AzuriteBlobs": "blobs", "OwnBlobs": "blobs"}


def __getattr__(name: str) -> Any:
    if name not in _LAZY:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    from attache.core.services import SERVICES

    for entry in SERVICES.values():
        module = importlib.import_module(f"{entry.sandbox_module}.{_LAZY[name]}")
        if hasattr(module, name):
            return getattr(module, name)
    raise AttributeError(name)
