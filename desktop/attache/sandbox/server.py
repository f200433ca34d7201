"""Where `attache sandbox` (cli.py) finds the server: the common one (`sandbox/common/server.py`)."""

from attache.sandbox.common.server import SandboxServer, serve_forever

__all__ = ["SandboxServer", "serve_forever"]
