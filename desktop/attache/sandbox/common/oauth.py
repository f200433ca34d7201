"""What every sandbox's OAuth sign-in shares: PKCE (S256), one-time authorization codes,
access tokens that can be made stale at once, refresh tokens that rotate on every use, loopback
redirect matching (RFC 8252 §7.3: any port) and the consent page's form.

A service's provider keeps its own routes, error bodies and token response fields; it turns an
`OAuthRefusal` into its own error shape. Everything here is thread-safe: uvicorn's loop and the
tests share it.
"""

from __future__ import annotations

import base64
import hashlib
import html
import secrets
import threading
import time
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlencode, urlsplit

LOOPBACK_HOSTS = ("127.0.0.1", "localhost", "::1")


class OAuthRefusal(Exception):
    """A grant the token endpoint refuses: `error` is RFC 6749's code, `description` says why."""

    def __init__(self, error: str, description: str) -> None:
        super().__init__(description)
        self.error = error
        self.description = description


def s256(verifier: str) -> str:
    digest = hashlib.sha256(verifier.encode("ascii", "replace")).digest()
    return base64.urlsafe_b64encode(digest).rstrip(b"=").decode("ascii")


def redirect_allowed(uri: str, registered: list[str] | tuple[str, ...]) -> bool:
    """`uri` is registered, or is a loopback http URI that differs from one only in its port."""
    asked = urlsplit(uri)
    loopback = asked.scheme == "http" and asked.hostname in LOOPBACK_HOSTS
    for candidate in registered:
        if uri == candidate:
            return True
        known = urlsplit(candidate)
        if loopback and (asked.scheme, asked.hostname, asked.path) == (known.scheme, known.hostname, known.path):
            return True
    return False


def is_loopback_redirect(uri: str) -> bool:
    parts = urlsplit(uri)
    return parts.scheme == "http" and parts.hostname in LOOPBACK_HOSTS


def with_query(url: str, params: Mapping[str, str]) -> str:
    return url + ("&" if "?" in url else "?") + urlencode(params)


def consent_form(params: Mapping[str, str], prompt_html: str) -> str:
    """The consent page's body: the prompt, then a form that posts the request's parameters back
    with `decision=allow` or `deny` (what a browser's button sends, and what a test posts)."""
    hidden = "".join(
        f'<input type="hidden" name="{html.escape(k)}" value="{html.escape(v)}">' for k, v in params.items()
    )
    return (
        f'{prompt_html}<form method="post">{hidden}'
        '<button name="decision" value="allow">Allow</button> '
        '<button name="decision" value="deny">Deny</button></form>'
    )


def html_page(title: str, body: str, *, site: str) -> str:
    return (
        f"<!doctype html><html><head><meta charset='utf-8'><title>{html.escape(title)} · {html.escape(site)}</title>"
        "<style>body{font:15px system-ui;margin:4em auto;max-width:32em;color:#223}"
        "button{font-size:15px;padding:.5em 1.5em;margin-right:.5em}</style></head>"
        f"<body><h1>{html.escape(title)}</h1>{body}</body></html>"
    )


@dataclass
class Grant:
    """What an authorization code stands for until it is redeemed."""

    client_id: str
    redirect_uri: str
    code_challenge: str
    scope: str
    expires_at: float  # time.monotonic()
    extra: dict[str, Any] = field(default_factory=dict)  # a service's own (nonce, tenant …)


class AuthorizationCodes:
    """One-time codes, each bound to a client, a redirect URI and a PKCE challenge."""

    def __init__(self, lifetime: float = 600.0) -> None:
        self.lifetime = lifetime
        self._codes: dict[str, Grant] = {}
        self._lock = threading.Lock()

    def issue(self, client_id: str, redirect_uri: str, code_challenge: str, scope: str = "", **extra: Any) -> str:
        code = secrets.token_urlsafe(24)
        grant = Grant(client_id, redirect_uri, code_challenge, scope, time.monotonic() + self.lifetime, extra)
        with self._lock:
            self._codes[code] = grant
        return code

    def redeem(self, form: Mapping[str, str]) -> Grant:
        """The grant behind `form["code"]` once its client, redirect URI and verifier match;
        the code is spent whatever the outcome (a code works once)."""
        with self._lock:
            grant = self._codes.pop(form.get("code", ""), None)
        if grant is None or grant.expires_at < time.monotonic():
            raise OAuthRefusal("invalid_grant", "The authorization code is invalid or has expired.")
        if form.get("client_id") != grant.client_id:
            raise OAuthRefusal("invalid_client", "The client_id does not match the authorization code.")
        if form.get("redirect_uri") != grant.redirect_uri:
            raise OAuthRefusal("invalid_grant", "The redirect_uri does not match the authorization request.")
        if s256(form.get("code_verifier", "")) != grant.code_challenge:
            raise OAuthRefusal("invalid_grant", "The code_verifier does not match the code_challenge.")
        return grant


@dataclass(frozen=True, slots=True)
class IssuedTokens:
    access_token: str
    refresh_token: str
    expires_in: int


class TokenRotation:
    """Access tokens with a lifetime, and refresh tokens that are spent by their use: each
    refresh returns a new pair and the old refresh token is refused from then on."""

    def __init__(self, access_lifetime: float, *, access_prefix: str = "") -> None:
        self.access_lifetime = access_lifetime
        self.access_prefix = access_prefix
        self._access: dict[str, tuple[float, Any]] = {}  # token → (expiry (monotonic), subject)
        self._refresh: dict[str, tuple[str, Any]] = {}  # token → (client id, subject)
        self._lock = threading.Lock()

    def issue(self, client_id: str, subject: Any = None) -> IssuedTokens:
        access = self.access_prefix + secrets.token_urlsafe(32)
        refresh = secrets.token_urlsafe(32)
        with self._lock:
            self._access[access] = (time.monotonic() + self.access_lifetime, subject)
            self._refresh[refresh] = (client_id, subject)
        return IssuedTokens(access, refresh, int(self.access_lifetime))

    def rotate(self, form: Mapping[str, str]) -> tuple[IssuedTokens, Any]:
        """New tokens for `form["refresh_token"]` (spent now) and the subject it was issued for."""
        with self._lock:
            held = self._refresh.pop(form.get("refresh_token", ""), None)
        if held is None:
            raise OAuthRefusal("invalid_grant", "The refresh token is invalid, expired or already used.")
        client_id, subject = held
        if form.get("client_id") != client_id:
            raise OAuthRefusal("invalid_client", "The client_id does not match the refresh token.")
        return self.issue(client_id, subject), subject

    def is_valid(self, access_token: str) -> bool:
        with self._lock:
            held = self._access.get(access_token)
        return held is not None and held[0] > time.monotonic()

    def subject_of(self, access_token: str) -> Any:
        """Whom a valid access token was issued for (None when it is unknown or expired)."""
        with self._lock:
            held = self._access.get(access_token)
        return held[1] if held is not None and held[0] > time.monotonic() else None

    def is_expired(self, access_token: str) -> bool:
        """Issued here once, no longer valid (a service may answer it differently from junk)."""
        with self._lock:
            held = self._access.get(access_token)
        return held is not None and held[0] <= time.monotonic()

    def expire_all(self) -> None:
        """Make every issued access token stale at once (tests of a 401 mid-queue)."""
        with self._lock:
            self._access = {token: (0.0, subject) for token, (_expiry, subject) in self._access.items()}
