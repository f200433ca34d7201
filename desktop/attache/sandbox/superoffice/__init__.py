"""The SuperOffice CRM sandbox: one tenant (`/Cust12345/api/v1/…`) with an SQLite store, a
deterministic demo database, OData-style archive lists, images, documents and a loopback
OpenID Connect provider for Online sign-in (see shared/contracts/superoffice.md). `PLUGIN` is
what the common sandbox server runs."""

from attache.sandbox.superoffice.plugin import PLUGIN

__all__ = ["PLUGIN"]
