"""The tenant as one ASGI app: the REST API at `/{tenant}/api/v1/…`, the version probe at
`/{tenant}/api`, the tenant status at `/api/state/{ctx}`, the OpenID Connect provider under
`/login/…` and the sandbox's own `/_sandbox/health`.

`TenantMiddleware` does what the front end does before any route:
- another tenant's path (`/Cust99999/api/…`) is 421 Misdirected Request (superoffice.md §1.4);
- paths match without regard to case (IIS), with or without a trailing slash: the spec itself
  spells `Imageinfo` and `ImageInfo`;
- every `/api/v1/…` call needs `Authorization`: `Basic` (a user and password, as Onsite takes
  them) or `Bearer` (the sandbox's token or one its OpenID provider issued), schemes without
  regard to case. Missing or wrong: 401 with the error body; a Bearer token the provider issued
  that has expired: 403 (the notes say frameworks refresh on 403; a client must treat both as
  "refresh and retry once"). `SO-AppToken` is accepted and not required: a desktop app using
  Bearer has no secret to send.
"""

from __future__ import annotations

import base64
import binascii
import re
from typing import Any

from starlette.applications import Starlette
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from attache.sandbox.common.imaging import RenderCache
from attache.sandbox.common.web import json_response
from attache.sandbox.superoffice import routes_documents, routes_entities, routes_images
from attache.sandbox.superoffice.errors import SoError, error_body, error_response
from attache.sandbox.superoffice.oidc import OpenIdProvider
from attache.sandbox.superoffice.store import Store
from attache.sandbox.superoffice.web import ASSOCIATE_KEY, ORIGINAL_PATH_KEY, TENANT_ROOT

_TENANT_PATH = re.compile(r"^/(?P<ctx>cust\d+)(?P<rest>/api(?:/.*)?)$", re.IGNORECASE)
_ANONYMOUS = ("/t/api", "/t/api/v1")  # the version probes


class TenantMiddleware:
    def __init__(self, app: Any, store: Store, *, tenant: str, token: str, oidc: OpenIdProvider) -> None:
        self.app, self.store, self.tenant, self.token, self.oidc = app, store, tenant, token, oidc

    async def __call__(self, scope: dict, receive: Any, send: Any) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        match = _TENANT_PATH.match(scope["path"])
        if match is None:
            await self.app(scope, receive, send)
            return
        if match["ctx"].lower() != self.tenant.lower():
            misdirected = SoError(421, "MisdirectedRequest", "Wrong subdomain used to access tenant")
            await error_response(misdirected)(scope, receive, send)
            return
        path = (TENANT_ROOT + match["rest"]).lower().rstrip("/")
        scope = {**scope, "path": path, "raw_path": path.encode(), ORIGINAL_PATH_KEY: scope["path"]}
        if path not in _ANONYMOUS:
            headers = dict(scope.get("headers", []))
            associate, refusal = self._sign_in(headers.get(b"authorization", b"").decode("latin-1"))
            if refusal is not None:
                await error_response(refusal)(scope, receive, send)
                return
            scope[ASSOCIATE_KEY] = associate
        await self.app(scope, receive, send)

    def _sign_in(self, header: str) -> tuple[int | None, SoError | None]:
        scheme, _, credentials = header.strip().partition(" ")
        scheme, credentials = scheme.lower(), credentials.strip()
        if scheme == "basic":
            associate = self._password(credentials)
            if associate is not None:
                return associate, None
        elif scheme == "bearer" and credentials:
            if credentials == self.token:
                return 1, None
            subject = self.oidc.associate_of(credentials)
            if subject is not None:
                return subject, None
            if self.oidc.is_expired(credentials):
                return None, SoError(403, "SoSessionExpiredException", "The access token has expired. Refresh it.")
        return None, _unauthorised(bool(header))

    def _password(self, credentials: str) -> int | None:
        try:
            user, _, password = base64.b64decode(credentials, validate=True).decode("utf-8").partition(":")
        except (binascii.Error, UnicodeDecodeError):
            return None
        row = self.store.read_one(
            "SELECT id FROM associates WHERE user_name=? COLLATE NOCASE AND password=? AND is_active=1",
            (user, password),
        )
        return None if row is None else int(row["id"])


def _unauthorised(sent: bool) -> SoError:
    message = (
        "The credentials were not accepted: unknown user, wrong password or an invalid token."
        if sent
        else "Authorization required: send Basic or Bearer credentials."
    )
    headers = {"WWW-Authenticate": 'Bearer realm="SuperOffice", Basic realm="SuperOffice"'}
    return SoError(401, "UnauthorizedAccessException", message, headers=headers)


async def _so_error(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, SoError)
    return error_response(exc)


async def _http_error(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, HTTPException)
    if exc.status_code == 404:
        message = f"No such endpoint: {request.scope.get(ORIGINAL_PATH_KEY, request.url.path)}"
        return json_response(error_body("SoNotFoundException", message), 404)
    if exc.status_code == 405:
        return json_response(error_body("MethodNotAllowed", f"{request.method} is not allowed here."), 405)
    return json_response(error_body("HttpException", str(exc.detail)), exc.status_code)


async def _server_error(request: Request, exc: Exception) -> Response:
    return json_response(error_body("Exception", "An internal error occurred."), 500)


def _health(request: Request) -> Response:
    return json_response({"status": "ok", "service": "superoffice"})


def create_app(store: Store, oidc: OpenIdProvider, *, token: str, options: dict[str, Any]) -> TenantMiddleware:
    app = Starlette(
        routes=[
            *routes_entities.ROUTES,
            *routes_images.ROUTES,
            *routes_documents.ROUTES,
            *oidc.routes(),
            Route("/_sandbox/health", _health, methods=["GET"]),
        ],
        exception_handlers={SoError: _so_error, HTTPException: _http_error, Exception: _server_error},
    )
    app.state.store = store
    app.state.options = options
    app.state.tenant = options["tenant"]
    app.state.render_cache = RenderCache()
    return TenantMiddleware(app, store, tenant=options["tenant"], token=token, oidc=oidc)
