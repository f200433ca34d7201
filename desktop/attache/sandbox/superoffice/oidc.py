"""SuperOffice Online's sign-in, on loopback (superoffice.md §1.2): OpenID Connect authorization
code flow with PKCE for a native app.

- `GET /login/.well-known/openid-configuration`: the discovery document, pointing here.
- `GET /login/common/oauth/authorize`: checks the request (registered `client_id`,
  `response_type=code`, `scope` with `openid`, a loopback http `redirect_uri`, PKCE S256,
  `acr_values=tenant:<ctx>` naming this tenant if given) and shows a consent page for the demo
  user with Allow and Deny. Its form POSTs back here; automation approves without a browser by
  POSTing the same parameters with `decision=allow` (what the button sends).
- The answer goes back as `response_mode` asks: `form_post` (what a desktop app uses) is an HTML
  page whose form POSTs `code` and `state` to the redirect URI by itself; otherwise a 302 with
  them in the query.
- `POST /login/common/oauth/tokens` (form-encoded): `authorization_code` (verifier checked) and
  `refresh_token`; each answer is `{token_type, access_token "8A:<ctx>.…", expires_in,
  refresh_token, id_token}`. Refresh tokens rotate: the old one is refused once used. A
  `client_secret` (the application token) is checked when sent and not required, since a
  desktop app cannot keep one. Errors are RFC 6749's `{error, error_description}`.
- The ID token is a JWT signed with HS256 keyed by the client secret (OIDC's rule for HS256; the
  real service signs RS256 with the keys at its JWKS, which here is empty). Its claims carry
  `http://schemes.superoffice.net/identity/ctx` and `…/webapi_url` (this sandbox's
  `…/<ctx>/api/`), among the others the notes list.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import html
import json
import time
from typing import Any

from starlette.requests import Request
from starlette.responses import HTMLResponse, JSONResponse, RedirectResponse, Response
from starlette.routing import Route

from attache.sandbox.common.oauth import (
    AuthorizationCodes,
    OAuthRefusal,
    TokenRotation,
    consent_form,
    html_page,
    is_loopback_redirect,
    with_query,
)
from attache.sandbox.common.web import root_url

CLAIM = "http://schemes.superoffice.net/identity/"
LOGIN = "/login"
AUTHORIZE = LOGIN + "/common/oauth/authorize"
TOKENS = LOGIN + "/common/oauth/tokens"
DEMO_ASSOCIATE = 1  # who signs in on the consent page


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


def hs256_jwt(claims: dict[str, Any], key: str) -> str:
    signing_input = _b64(b'{"alg":"HS256","typ":"JWT"}') + "." + _b64(json.dumps(claims).encode())
    signature = hmac.new(key.encode(), signing_input.encode(), hashlib.sha256).digest()
    return signing_input + "." + _b64(signature)


class OpenIdProvider:
    """Codes and tokens for one sandbox run; thread-safe (uvicorn and tests share it)."""

    def __init__(self, *, tenant: str, client_id: str, client_secret: str, access_lifetime: float = 3600.0) -> None:
        self.tenant = tenant
        self.client_id = client_id
        self.client_secret = client_secret
        self.codes = AuthorizationCodes(lifetime=600.0)  # "the code expires after 10 minutes"
        self.tokens = TokenRotation(access_lifetime, access_prefix=f"8A:{tenant}.")
        self.store: Any = None  # the tenant's store, once the app is built (for the ID token's claims)

    # ---- what the API's Bearer check and the tests use ----
    def associate_of(self, access_token: str) -> int | None:
        subject = self.tokens.subject_of(access_token)
        return None if subject is None else int(subject)

    def is_expired(self, access_token: str) -> bool:
        return self.tokens.is_expired(access_token)

    def expire_access_tokens(self) -> None:
        self.tokens.expire_all()

    def routes(self) -> list[Route]:
        return [
            Route(LOGIN + "/.well-known/openid-configuration", self._discovery, methods=["GET"]),
            Route(LOGIN + "/.well-known/jwks", self._jwks, methods=["GET"]),
            Route(AUTHORIZE, self._authorize_page, methods=["GET"]),
            Route(AUTHORIZE, self._authorize_decision, methods=["POST"]),
            Route(TOKENS, self._token, methods=["POST"]),
        ]

    # ---- discovery ----
    def _discovery(self, request: Request) -> Response:
        root = root_url(request)
        return JSONResponse(
            {
                "issuer": root + LOGIN,
                "authorization_endpoint": root + AUTHORIZE,
                "token_endpoint": root + TOKENS,
                "jwks_uri": root + LOGIN + "/.well-known/jwks",
                "response_types_supported": ["code", "id_token", "code id_token"],
                "response_modes_supported": ["form_post", "query"],
                "grant_types_supported": ["authorization_code", "refresh_token"],
                "scopes_supported": ["openid"],
                "subject_types_supported": ["public"],
                "id_token_signing_alg_values_supported": ["HS256"],
                "code_challenge_methods_supported": ["S256"],
                "token_endpoint_auth_methods_supported": ["client_secret_post", "none"],
            }
        )

    def _jwks(self, request: Request) -> Response:
        return JSONResponse({"keys": []})  # HS256: the key is the client secret, nothing to publish

    # ---- authorization ----
    def _problem(self, params: dict[str, str]) -> str | None:
        if params.get("client_id") != self.client_id:
            return "Unknown client_id: the application is not registered with this tenant."
        if not is_loopback_redirect(params.get("redirect_uri", "")):
            return "redirect_uri must be a loopback address: http://127.0.0.1:{port}/{path}."
        if params.get("response_type") != "code":
            return "response_type must be 'code'."
        if "openid" not in params.get("scope", "").split():
            return "scope must include 'openid'."
        if params.get("code_challenge_method") != "S256" or not params.get("code_challenge"):
            return "PKCE with code_challenge_method=S256 is required."
        acr = params.get("acr_values", "")
        if acr.startswith("tenant:") and acr.removeprefix("tenant:").lower() != self.tenant.lower():
            return f"This sign-in serves tenant {self.tenant} only."
        return None

    async def _authorize_page(self, request: Request) -> Response:
        params = dict(request.query_params)
        problem = self._problem(params)
        if problem:
            return HTMLResponse(_page("Sign-in failed", f"<p>{html.escape(problem)}</p>"), status_code=400)
        user = self._user(DEMO_ASSOCIATE)
        prompt = (
            f"<p>Signed in as <b>{html.escape(user['full_name'])}</b> ({html.escape(user['user_name'])}) on "
            f"tenant {html.escape(self.tenant)}.</p><p>Allow the application to use SuperOffice as you?</p>"
        )
        return HTMLResponse(_page("Allow access", consent_form(params, prompt)))

    async def _authorize_decision(self, request: Request) -> Response:
        params = {k: v for k, v in (await request.form()).items() if isinstance(v, str)}
        decision = params.pop("decision", "deny")
        problem = self._problem(params)
        if problem:
            return HTMLResponse(_page("Sign-in failed", f"<p>{html.escape(problem)}</p>"), status_code=400)
        state = {"state": params["state"]} if params.get("state") else {}
        if decision != "allow":
            answer = {"error": "access_denied", "error_description": "The user declined.", **state}
        else:
            code = self.codes.issue(
                params["client_id"],
                params["redirect_uri"],
                params["code_challenge"],
                params.get("scope", ""),
                nonce=params.get("nonce"),
                associate=DEMO_ASSOCIATE,
            )
            answer = {"code": code, **state}
        if params.get("response_mode") == "form_post":
            return HTMLResponse(_form_post(params["redirect_uri"], answer))
        return RedirectResponse(with_query(params["redirect_uri"], answer), status_code=302)

    # ---- tokens ----
    async def _token(self, request: Request) -> Response:
        if not request.headers.get("content-type", "").startswith("application/x-www-form-urlencoded"):
            return _error(400, "invalid_request", "The body must be application/x-www-form-urlencoded.")
        form = {k: v for k, v in (await request.form()).items() if isinstance(v, str)}
        if form.get("client_secret") and form["client_secret"] != self.client_secret:
            return _error(401, "invalid_client", "The client_secret (application token) is wrong.")
        grant_type = form.get("grant_type")
        try:
            if grant_type == "authorization_code":
                grant = self.codes.redeem(form)
                tokens = self.tokens.issue(grant.client_id, grant.extra["associate"])
                return self._answer(request, tokens, grant.extra["associate"], grant.extra.get("nonce"))
            if grant_type == "refresh_token":
                tokens, associate = self.tokens.rotate(form)
                return self._answer(request, tokens, associate, None)
        except OAuthRefusal as refusal:
            return _error(400, refusal.error, refusal.description)
        return _error(400, "unsupported_grant_type", f"The grant type {grant_type!r} is not supported.")

    def _answer(self, request: Request, tokens: Any, associate: int, nonce: str | None) -> Response:
        return JSONResponse(
            {
                "token_type": "Bearer",
                "access_token": tokens.access_token,
                "expires_in": tokens.expires_in,
                "refresh_token": tokens.refresh_token,
                "id_token": self.id_token(root_url(request), associate, nonce),
            },
            headers={"Cache-Control": "no-store", "Pragma": "no-cache"},
        )

    def _user(self, associate: int) -> dict[str, Any]:
        row = self.store.read_one(
            "SELECT a.*, p.first_name, p.last_name, p.email FROM associates a JOIN persons p ON p.id = a.person_id"
            " WHERE a.id=?",
            (associate,),
        )
        return {
            "user_name": row["user_name"],
            "full_name": f"{row['first_name']} {row['last_name']}",
            "initials": (row["first_name"][:1] + row["last_name"][:1]).upper(),
            "email": row["email"],
            "is_admin": bool(row["is_admin"]),
            "company": self.store.get_meta("own_company") or "",
        }

    def id_token(self, root: str, associate: int, nonce: str | None) -> str:
        user = self._user(associate)
        now = int(time.time())
        claims: dict[str, Any] = {
            "iss": root + LOGIN,
            "aud": self.client_id,
            "sub": user["email"],
            "iat": now,
            "nbf": now,
            "exp": now + int(self.tokens.access_lifetime),
            CLAIM + "ctx": self.tenant,
            CLAIM + "webapi_url": f"{root}/{self.tenant}/api/",
            CLAIM + "netserver_url": f"{root}/{self.tenant}/Remote/Services88/",
            CLAIM + "associateid": str(associate),
            CLAIM + "email": user["email"],
            CLAIM + "upn": user["email"],
            CLAIM + "is_administrator": str(user["is_admin"]),
            CLAIM + "serial": "1234567890",
            CLAIM + "system_token": f"Sandbox-{self.tenant}-system",
            CLAIM + "company_name": user["company"],
            CLAIM + "initials": user["initials"],
            CLAIM + "so_primary_email_address": user["email"],
            CLAIM + "identityprovider": "SuperOffice AS",
        }
        if nonce:
            claims["nonce"] = nonce
        return hs256_jwt(claims, self.client_secret)


def _form_post(redirect_uri: str, fields: dict[str, str]) -> str:
    hidden = "".join(
        f'<input type="hidden" name="{html.escape(k)}" value="{html.escape(v)}">' for k, v in fields.items()
    )
    return (
        "<!doctype html><html><head><meta charset='utf-8'><title>Signing in…</title></head>"
        '<body onload="document.forms[0].submit()">'
        f'<form method="post" action="{html.escape(redirect_uri)}">{hidden}'
        "<noscript><button>Continue</button></noscript></form></body></html>"
    )


def _error(status: int, error: str, description: str) -> JSONResponse:
    return JSONResponse({"error": error, "error_description": description}, status_code=status)


def _page(title: str, body: str) -> str:
    return html_page(title, body, site="SuperOffice sandbox")
