"""Sign-in (onlyoffice.md §1): `POST /api/2.0/authentication[/{code}]`, the tokens it issues,
and which user a request's `Authorization` header (raw token, Bearer or Basic) stands for.

Tokens live as long as the server (`server.tokens`); each expires after `token_ttl` seconds,
and `server.tokens.expire_all()` ends every one at once (the sandbox's `--token` too), so a test
can meet an expired session without waiting for it.
"""

from __future__ import annotations

import base64
import binascii
import json
import secrets
import threading
import time
from datetime import UTC, datetime, timedelta
from typing import Any
from urllib.parse import parse_qsl

from starlette.requests import Request
from starlette.responses import Response

from attache.sandbox.onlyoffice import tfa
from attache.sandbox.onlyoffice.envelope import ApiError, answer
from attache.sandbox.onlyoffice.store import Store, api_date

AUTH_FAILED = "User authentication failed"


class Tokens:
    """The portal's sessions: token → (user id, expiry on the wall clock, or None for never)."""

    def __init__(self, ttl: float) -> None:
        self.ttl = ttl
        self._lock = threading.Lock()
        self._tokens: dict[str, tuple[str, float | None]] = {}

    def issue(self, user_id: str) -> tuple[str, datetime]:
        token = secrets.token_urlsafe(32)
        expires = time.time() + self.ttl
        with self._lock:
            self._tokens[token] = (user_id, expires)
        return token, datetime.fromtimestamp(expires, UTC)

    def accept(self, token: str, user_id: str) -> None:
        """Make a given token valid (the sandbox's `--token`), until `expire_all`."""
        with self._lock:
            self._tokens[token] = (user_id, None)

    def user_of(self, token: str) -> str | None:
        with self._lock:
            entry = self._tokens.get(token)
        if entry is None or (entry[1] is not None and entry[1] <= time.time()):
            return None
        return entry[0]

    def expire_all(self) -> None:
        with self._lock:
            self._tokens = {token: (user, 0.0) for token, (user, _) in self._tokens.items()}


def find_user(store: Store, login: str, password: str) -> Any:
    """The user with this user name or e-mail (any case) and password, or None."""
    row = store.read_one(
        "SELECT * FROM users WHERE lower(user_name)=lower(?) OR lower(email)=lower(?)", (login.strip(), login.strip())
    )
    if row is None or not secrets.compare_digest(row["password"].encode(), password.encode()):
        return None
    return row


def user_for_header(store: Store, tokens: Tokens, header: str) -> str | None:
    """The user an Authorization header signs in, by the three schemes the portal registers;
    text after a comma is ignored, as all three authorizers cut there."""
    value = header.split(",", 1)[0].strip()
    scheme, _, rest = value.partition(" ")
    if scheme.lower() == "basic" and rest:
        try:
            login, _, password = base64.b64decode(rest.strip(), validate=True).decode().partition(":")
        except (binascii.Error, UnicodeDecodeError):
            return None
        row = find_user(store, login, password)
        return None if row is None else str(row["id"])
    token = rest.strip() if scheme.lower() == "bearer" else value
    return tokens.user_of(token) if token else None


async def arguments(request: Request) -> dict[str, str]:
    """Query string merged with a JSON or form body, names without regard to case (ApiArgumentBuilder)."""
    merged = {k.lower(): v for k, v in request.query_params.items()}
    raw = await request.body()
    content_type = request.headers.get("content-type", "").lower()
    if raw and "json" in content_type:
        try:
            body = json.loads(raw)
        except (ValueError, UnicodeDecodeError):
            raise ApiError.invalid() from None
        if isinstance(body, dict):
            merged.update({str(k).lower(): "" if v is None else str(v) for k, v in body.items()})
    elif raw and "x-www-form-urlencoded" in content_type:
        merged.update({k.lower(): v for k, v in parse_qsl(raw.decode("utf-8", "replace"), keep_blank_values=True)})
    return merged


async def _credentials(request: Request) -> Any:
    args = await arguments(request)
    user = find_user(request.app.state.store, args.get("username", ""), args.get("password", ""))
    if not args.get("username") or not args.get("password") or user is None:
        raise ApiError(500, AUTH_FAILED)
    return user


def _token_data(request: Request, user: Any, **extra: Any) -> dict[str, Any]:
    token, expires = request.app.state.tokens.issue(str(user["id"]))
    return {"token": token, "expires": api_date(expires), **extra}


async def authenticate(request: Request) -> Response:
    user = await _credentials(request)
    if user["tfa"]:
        return answer(request, {"tfa": True})  # no token until the code arrives
    return answer(request, _token_data(request, user))


async def authenticate_with_code(request: Request) -> Response:
    user = await _credentials(request)
    if not user["tfa"] or not tfa.is_valid(request.path_params["code"]):
        raise ApiError(500, AUTH_FAILED)  # the code's own failures are re-thrown as this one
    return answer(request, _token_data(request, user, tfa=True))


def default_ttl() -> float:
    return timedelta(days=365).total_seconds()  # the portal's default cookie lifetime
