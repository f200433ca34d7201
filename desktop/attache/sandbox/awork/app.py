"""The awork sandbox as one ASGI app: awork's API under /api/v1, the blob endpoint under /blob,
the OAuth sign-in endpoints (oauth.py), and the sandbox's own `/_sandbox/health`.

`ApiMiddleware` does what awork's gateway does before any route: paths are matched without
regard to case (the docs write `generateUploadURL` and `byUploadId`, the spec lower case), every
response carries a `trace-id`, and the Bearer token (the sandbox's API key, or an access token
its OAuth provider issued) is checked except where the spec marks an operation anonymous: the
profile image GET and the OAuth endpoints themselves.
"""

from __future__ import annotations

import re
import secrets
import uuid
from typing import Any

from starlette.applications import Starlette
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Mount, Route

from attache.sandbox.awork import routes_entities, routes_files, routes_images, routes_uploads
from attache.sandbox.awork.blob_endpoint import blob
from attache.sandbox.awork.blobs import BlobBackend
from attache.sandbox.awork.errors import TRACE_KEY, ApiError, error_body, error_response
from attache.sandbox.awork.imaging import RenderCache
from attache.sandbox.awork.oauth import OAuthProvider
from attache.sandbox.awork.store import Store
from attache.sandbox.awork.web import json_response

API_PREFIX = "/api/v1"
_ANONYMOUS_GET = re.compile(r"^/api/v1/(files/images/[a-z]+/[^/]+|accounts/authorize)/?$")
_ANONYMOUS_POST = re.compile(r"^/api/v1/(clientapplications/register|accounts/authorize|accounts/token)/?$")


class ApiMiddleware:
    def __init__(self, app: Any, token: str, oauth: OAuthProvider | None = None) -> None:
        self.app = app
        self.token = token
        self.oauth = oauth

    async def __call__(self, scope: dict, receive: Any, send: Any) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        trace_id = uuid.uuid4().hex
        scope = {**scope, TRACE_KEY: trace_id}
        if scope["path"].lower().startswith("/api/"):
            scope["path"] = scope["path"].lower()
            scope["raw_path"] = (scope.get("raw_path") or b"").lower()

        async def send_with_trace(message: dict) -> None:
            if message["type"] == "http.response.start":
                message = {**message, "headers": [*message.get("headers", []), (b"trace-id", trace_id.encode())]}
            await send(message)

        problem = self._auth_problem(scope)
        if problem is not None:
            await problem(scope, receive, send_with_trace)
            return
        await self.app(scope, receive, send_with_trace)

    def _auth_problem(self, scope: dict) -> Response | None:
        path = scope["path"]
        if not path.startswith(API_PREFIX + "/") and path != API_PREFIX:
            return None
        if scope["method"] in ("GET", "HEAD") and _ANONYMOUS_GET.match(path):
            return None
        if scope["method"] == "POST" and _ANONYMOUS_POST.match(path):
            return None
        header = dict(scope["headers"]).get(b"authorization", b"").decode("latin-1")
        scheme, _, token = header.partition(" ")
        token = token.strip()
        if not header:
            error = ApiError(401, "unauthorized", "No access token was provided. Send 'Authorization: Bearer …'.")
        elif scheme.lower() != "bearer" or not self._accepts(token):
            error = ApiError(
                401,
                "workspaceid-missing",
                "The workspace id is missing. Most likely, your token is invalid or expired.",
            )
        else:
            return None
        response = error_response(error, scope[TRACE_KEY])
        response.headers["WWW-Authenticate"] = 'Bearer error="invalid_token"'
        return response

    def _accepts(self, token: str) -> bool:
        if secrets.compare_digest(token.encode(), self.token.encode()):
            return True
        return self.oauth is not None and self.oauth.is_valid_access_token(token)


def _trace(request: Request) -> str | None:
    return request.scope.get(TRACE_KEY)


async def _api_error(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, ApiError)
    return error_response(exc, _trace(request))


async def _http_error(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, HTTPException)
    if exc.status_code == 404:
        error = ApiError.not_found()
    elif exc.status_code == 405:
        error = ApiError(405, "not-found", "There is no matching path for this URL and method.")
    else:
        error = ApiError(exc.status_code, "validation-failed", "The request is invalid.", details=[str(exc.detail)])
    return error_response(error, _trace(request))


async def _server_error(request: Request, exc: Exception) -> Response:
    body = error_body("server-error", "An unexpected error occurred on the server.", _trace(request))
    return json_response(body, 500)


def _health(request: Request) -> Response:
    return json_response({"status": "ok", "service": "awork"})


def create_app(store: Store, blobs: BlobBackend, *, token: str, oauth: OAuthProvider | None = None) -> ApiMiddleware:
    api_routes = routes_entities.ROUTES + routes_images.ROUTES + routes_uploads.ROUTES + routes_files.ROUTES
    oauth_routes = oauth.routes(API_PREFIX) if oauth is not None else []
    app = Starlette(
        routes=[
            *oauth_routes,
            Mount(API_PREFIX, routes=api_routes),
            Route("/blob/{container}/{upload_id}", blob, methods=["PUT", "GET"]),
            Route("/_sandbox/health", _health, methods=["GET"]),
        ],
        exception_handlers={ApiError: _api_error, HTTPException: _http_error, Exception: _server_error},
    )
    app.state.store = store
    app.state.blobs = blobs
    app.state.me_id = store.get_meta("me_user_id")
    app.state.render_cache = RenderCache()
    return ApiMiddleware(app, token, oauth)
