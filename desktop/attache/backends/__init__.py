"""One module per service behind one protocol (`base.Backend`), on a shared toolkit.

The toolkit: `rest.RestClient` (clients, sending, JSON, errors, lists), `auth` (Bearer, raw token,
ticket + app token, Basic), `paging` (numbered, offset in an envelope, OData), `errors` (status and
code to `AttacheError`, per-service tables), `streams` (chunked reads, atomic writes), `oauth`
(PKCE, loopback redirect, token refresh) and `http` (timeouts, retries, redaction, file names).
"""
