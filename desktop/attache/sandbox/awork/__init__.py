"""The awork sandbox: an SQLite store, a deterministic demo workspace and a Starlette app that
answers under /api/v1 the way api.awork.com does (see shared/contracts/awork.md). `PLUGIN` is
what the common sandbox server runs."""

from attache.sandbox.awork.plugin import PLUGIN

__all__ = ["PLUGIN"]
