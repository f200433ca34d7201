"""awork's OAuth endpoints, faithfully enough for a desktop sign-in to run end to end.

- `POST /clientapplications/register`: dynamic client registration (RFC 7591), 201.
- `GET /accounts/authorize`: a consent page; `POST` of its form redirects to the client's
  loopback `redirect_uri` with `code` and `state` (or `error=access_denied`).
- `POST /accounts/token`: form-encoded `authorization_code` (PKCE S256 required) and
  `refresh_token` grants. Refresh tokens rotate: each use returns a new one and kills the old.
Errors use awork's `{code, description}` shape (awork.md §1.2), not RFC 6749's `error`.
Loopback redirect URIs match whatever the port (RFC 8252 §7.3): a desktop app binds a free one.
"""

from __future__ import annotations

import html
import secrets
import threading
import time
from dataclasses import dataclass, field
from urllib.parse import urlsplit

from starlette.requests import Request
from starlette.responses import HTMLResponse, JSONResponse, RedirectResponse, Response
from starlette.routing import Route

from attache.sandbox.common.oauth import (
    AuthorizationCodes,
    OAuthRefusal,
    TokenRotation,
    consent_form,
    html_page,
    redirect_allowed,
    with_query,
)

SCOPES = {"full_access", "offline_access"}


@dataclass
class OAuthProvider:
    """In-memory OAuth state for one sandbox run; thread-safe (uvicorn and tests share it)."""

    access_token_lifetime: float = 86_400.0
    clients: dict[str, dict] = field(default_factory=dict)
    _codes: AuthorizationCodes = field(default_factory=lambda: AuthorizationCodes(lifetime=300.0))
    _tokens: TokenRotation = field(init=False)
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def __post_init__(self) -> None:
        self._tokens = TokenRotation(self.access_token_lifetime)

    # ---- what the API's Bearer check and the tests use ----
    def is_valid_access_token(self, token: str) -> bool:
        return self._tokens.is_valid(token)

    def expire_access_tokens(self) -> None:
        """Make every issued access token stale at once (for 401-mid-queue tests)."""
        self._tokens.expire_all()

    def routes(self, prefix: str = "/api/v1") -> list[Route]:
        return [
            Route(f"{prefix}/clientapplications/register", self._register, methods=["POST"]),
            Route(f"{prefix}/accounts/authorize", self._authorize_page, methods=["GET"]),
            Route(f"{prefix}/accounts/authorize", self._authorize_decision, methods=["POST"]),
            Route(f"{prefix}/accounts/token", self._token, methods=["POST"]),
        ]

    # ---- registration ----
    async def _register(self, request: Request) -> Response:
        try:
            body = await request.json()
        except ValueError:
            return _error(400, "validation-failed", "The body must be JSON.")
        uris = body.get("redirect_uris") if isinstance(body, dict) else None
        if not uris or not all(isinstance(u, str) and urlsplit(u).scheme in ("http", "https") for u in uris):
            return _error(400, "validation-failed", "redirect_uris must list at least one http(s) URI.")
        client_id = secrets.token_hex(16)
        now = int(time.time())
        record = {
            "redirect_uris": uris,
            "client_name": body.get("client_name"),
            "token_endpoint_auth_method": body.get("token_endpoint_auth_method") or "none",
            "grant_types": body.get("grant_types") or ["authorization_code", "refresh_token"],
            "response_types": body.get("response_types") or ["code"],
            "scope": body.get("scope") or "full_access offline_access",
            "application_type": body.get("application_type") or "native",
            "software_id": body.get("software_id"),
            "software_version": body.get("software_version"),
            "client_id": client_id,
            "client_secret": None,
            "client_secret_expires_at": 0,
            "client_id_issued_at": now,
        }
        with self._lock:
            self.clients[client_id] = record
        return JSONResponse(record, status_code=201)

    # ---- authorization ----
    def _check_authorize(self, params) -> str | None:
        client = self.clients.get(params.get("client_id", ""))
        if client is None:
            return "Unknown client_id."
        if params.get("response_type") != "code":
            return "response_type must be 'code'."
        if not redirect_allowed(params.get("redirect_uri", ""), client["redirect_uris"]):
            return "redirect_uri is not registered for this client."
        if params.get("code_challenge_method") != "S256" or not params.get("code_challenge"):
            return "PKCE with code_challenge_method=S256 is required."
        if not set(params.get("scope", "").split()) <= SCOPES:
            return "Unknown scope."
        return None

    async def _authorize_page(self, request: Request) -> Response:
        params = dict(request.query_params)
        problem = self._check_authorize(params)
        if problem:
            return HTMLResponse(_page("Sign-in failed", f"<p>{html.escape(problem)}</p>"), status_code=400)
        client = self.clients[params["client_id"]]
        prompt = (
            f"<p><b>{html.escape(client.get('client_name') or 'An application')}</b> asks for access to your "
            f"awork sandbox workspace ({html.escape(params.get('scope', ''))}).</p>"
        )
        body = consent_form(params, prompt)
        return HTMLResponse(_page("Authorize access", body))

    async def _authorize_decision(self, request: Request) -> Response:
        params = dict(await request.form())
        decision = params.pop("decision", "deny")
        problem = self._check_authorize(params)
        if problem:
            return HTMLResponse(_page("Sign-in failed", f"<p>{html.escape(problem)}</p>"), status_code=400)
        redirect = params["redirect_uri"]
        state = {"state": params["state"]} if params.get("state") else {}
        if decision != "allow":
            return RedirectResponse(with_query(redirect, {"error": "access_denied", **state}), status_code=302)
        code = self._codes.issue(params["client_id"], redirect, params["code_challenge"], params.get("scope", ""))
        return RedirectResponse(with_query(redirect, {"code": code, **state}), status_code=302)

    # ---- tokens ----
    async def _token(self, request: Request) -> Response:
        if not request.headers.get("content-type", "").startswith("application/x-www-form-urlencoded"):
            return _error(400, "invalid_request", "The mandatory 'Content-Type' header must be specified.")
        form = dict(await request.form())
        grant_type = form.get("grant_type")
        if not grant_type:
            return _error(400, "invalid_request", "The mandatory 'grant_type' parameter is missing.")
        if grant_type == "authorization_code":
            return self._exchange_code(form)
        if grant_type == "refresh_token":
            return self._rotate_refresh(form)
        return _error(400, "unsupported_grant_type", f"The grant type '{grant_type}' is not supported.")

    def _exchange_code(self, form: dict) -> Response:
        try:
            grant = self._codes.redeem(form)
        except OAuthRefusal as refusal:
            return _error(400, refusal.error, refusal.description)
        return self._issue(grant.client_id)

    def _rotate_refresh(self, form: dict) -> Response:
        try:
            tokens, _subject = self._tokens.rotate(form)
        except OAuthRefusal as refusal:
            return _error(400, refusal.error, refusal.description)
        return self._answer(tokens.access_token, tokens.refresh_token)

    def _issue(self, client_id: str) -> Response:
        tokens = self._tokens.issue(client_id)
        return self._answer(tokens.access_token, tokens.refresh_token)

    def _answer(self, access: str, refresh: str) -> Response:
        return JSONResponse(
            {
                "access_token": access,
                "token_type": "Bearer",
                "resource": "awork.com",
                "expires_in": int(self.access_token_lifetime),
                "refresh_token": refresh,
            },
            headers={"Cache-Control": "no-store"},
        )


def _error(status: int, code: str, description: str) -> JSONResponse:
    return JSONResponse(
        {"code": code, "description": description, "link": "https://developers.awork.com/#response-types"},
        status_code=status,
    )


def _page(title: str, body: str) -> str:
    return html_page(title, body, site="awork sandbox")
