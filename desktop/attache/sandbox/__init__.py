"""Local servers that answer exactly like the services' APIs, with a real store and demo data.

Used by the app's demo mode (`attache --sandbox`, `attache sandbox`) and by every test that
talks HTTP. Never imports Qt.
"""

from attache.sandbox.awork.blobs import AzuriteBlobs, OwnBlobs
from attache.sandbox.faults import FaultPlan, RequestRecord
from attache.sandbox.server import SandboxServer, serve_forever

__all__ = ["AzuriteBlobs", "FaultPlan", "OwnBlobs", "RequestRecord", "SandboxServer", "serve_forever"]
