"""The ONLYOFFICE Workspace sandbox: an SQLite store, a deterministic demo portal and a Starlette
app that answers at the portal's root, with the API under /api/2.0, the way Community Server
does (see shared/contracts/onlyoffice.md). `PLUGIN` is what the common sandbox server runs."""

from attache.sandbox.onlyoffice.plugin import PLUGIN

__all__ = ["PLUGIN"]
