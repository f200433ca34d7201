"""Local servers that answer exactly like the services' APIs, with a real store and demo data.

Used by the app's demo mode (`attache --sandbox`, `attache sandbox`) and by every test that
talks HTTP. Never imports Qt. `common/` is the server every service shares; each service is a
plug-in beside it (the registry's `sandbox_module`), imported only when its sandbox starts.
"""

from attache.sandbox.common.faults import FaultPlan, RequestRecord
from attache.sandbox.common.server import SandboxServer, serve_forever

__all__ = ["FaultPlan", "RequestRecord", "SandboxServer", "serve_forever"]
