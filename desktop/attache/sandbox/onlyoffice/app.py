"""The portal as one ASGI app: the API under /api/2.0, the portal's handlers (file download,
chunk upload, photo storage, static default pictures), a small sign-in page at the root, and
the sandbox's own `/_sandbox/health`.

`PortalMiddleware` does what the portal does before any route: paths match without regard to
case and with or without a `.json` suffix or a trailing slash; the user is found from the
`Authorization` header (raw token, Bearer or Basic) or the `asc_auth_key` cookie; an API call
without one gets 401 with the plain-text body `Unauthorized` (not the envelope), a portal
handler 403. Sign-in, capabilities, chunk uploads (authorised by their session id) and the
static pictures need none.
"""

from __future__ import annotations

import re
from typing import Any

from starlette.applications import Starlette
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import HTMLResponse, Response
from starlette.routing import Mount, Route

from attache.sandbox.common.imaging import RenderCache
from attache.sandbox.common.web import json_response
from attache.sandbox.onlyoffice import auth, chunked, routes_files, routes_lists, routes_photos
from attache.sandbox.onlyoffice.auth import Tokens, user_for_header
from attache.sandbox.onlyoffice.envelope import ApiError, error_body, error_response
from attache.sandbox.onlyoffice.store import Store
from attache.sandbox.onlyoffice.web import USER_KEY

API_PREFIX = "/api/2.0"
_ANONYMOUS = re.compile(
    r"^(/api/2\.0/(authentication(/[^/]+)?|capabilities)|/chunkeduploader\.ashx|/skins/.*|/|/_sandbox/.*)$"
)
_PORTAL_PAGE = """<!DOCTYPE html><html><head><title>{name}</title></head>
<body><h1>{name}</h1><p>ONLYOFFICE Workspace (Attaché sandbox). The API is under /api/2.0.</p></body></html>"""


def _normalise(path: str) -> str:
    path = path.lower()
    if path.startswith(API_PREFIX) and path.endswith(".json"):
        path = path[: -len(".json")]
    return path.rstrip("/") or "/"


class PortalMiddleware:
    def __init__(self, app: Any, store: Store, tokens: Tokens) -> None:
        self.app, self.store, self.tokens = app, store, tokens

    async def __call__(self, scope: dict, receive: Any, send: Any) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        path = _normalise(scope["path"])
        scope = {**scope, "path": path, "raw_path": path.encode()}
        headers = dict(scope.get("headers", []))
        header = headers.get(b"authorization", b"").decode("latin-1")
        user = user_for_header(self.store, self.tokens, header) if header else None
        if user is None:
            cookie = Request(scope).cookies.get("asc_auth_key")
            user = self.tokens.user_of(cookie) if cookie else None
        if user is None and not _ANONYMOUS.match(path):
            await self._refuse(scope, header, headers)(scope, receive, send)
            return
        scope[USER_KEY] = user
        await self.app(scope, receive, send)

    @staticmethod
    def _refuse(scope: dict, header: str, headers: dict) -> Response:
        if not scope["path"].startswith(API_PREFIX + "/"):
            return Response("Access denied", 403, media_type="text/plain")
        response = Response("Unauthorized", 401, media_type="text/plain")
        if header:
            host = headers.get(b"host", b"").decode("latin-1")
            response.headers["WWW-Authenticate"] = f'Basic Realm="{host}"'
        return response


async def _api_error(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, ApiError)
    return error_response(exc)


async def _http_error(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, HTTPException)
    if not request.url.path.startswith(API_PREFIX):
        return Response(exc.detail or "Not found", exc.status_code, media_type="text/plain")
    status = 404 if exc.status_code in (404, 405) else exc.status_code  # no method on a route is 404 too
    return json_response(error_body(status, "Method not found" if status == 404 else str(exc.detail)), status)


async def _server_error(request: Request, exc: Exception) -> Response:
    return json_response(error_body(500, "Server error"), 500)


def _home(request: Request) -> Response:
    return HTMLResponse(_PORTAL_PAGE.format(name=request.app.state.store.get_meta("portal_name") or "Portal"))


def _health(request: Request) -> Response:
    return json_response({"status": "ok", "service": "onlyoffice"})


def create_app(store: Store, tokens: Tokens, options: dict[str, Any]) -> PortalMiddleware:
    api_routes = [
        Route("/authentication", auth.authenticate, methods=["POST"]),
        Route("/authentication/{code}", auth.authenticate_with_code, methods=["POST"]),
        *chunked.API_ROUTES,
        *routes_files.API_ROUTES,
        *routes_photos.API_ROUTES,
        *routes_lists.ROUTES,
    ]
    app = Starlette(
        routes=[
            Mount(API_PREFIX, routes=api_routes),
            *routes_files.PORTAL_ROUTES,
            *chunked.PORTAL_ROUTES,
            *routes_photos.PORTAL_ROUTES,
            Route("/", _home, methods=["GET"]),
            Route("/_sandbox/health", _health, methods=["GET"]),
        ],
        exception_handlers={ApiError: _api_error, HTTPException: _http_error, Exception: _server_error},
    )
    app.state.store = store
    app.state.tokens = tokens
    app.state.options = options
    app.state.render_cache = RenderCache()
    return PortalMiddleware(app, store, tokens)
