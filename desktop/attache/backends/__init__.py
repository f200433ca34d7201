"""One module per service behind one protocol (`base.Backend`), on a shared toolkit.

The toolkit: `rest.RestClient` (clients, sending, JSON, errors, lists), `auth` (Bearer, raw token,
ticket + app token, Basic), `paging` (numbered, offset in an envelope, OData), `errors` (status and
code to `AttacheError`, per-service tables), `streams` (chunked reads, atomic writes), `oauth`
(PKCE, loopback redirect, token refresh) and `http` (timeouts, retries, redaction, file names).
"""

import sys

# httpx's __init__ imports its own command-line tool (`httpx._main`: click, pygments, rich) when
# those happen to be installed: about 40% of `import httpx` (60 ms of 140 here), for a tool this
# app never runs. A None entry makes that import fail as if they were absent, which httpx
# expects (its `main` then says how to install the CLI). Every module importing httpx is in
# this package, so this runs first.
sys.modules.setdefault("httpx._main", None)  # type: ignore[arg-type]
