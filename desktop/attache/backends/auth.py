"""How a request proves who sends it: one `httpx.Auth` per scheme the services use.

- `BearerAuth`: `Authorization: Bearer <token>` (OAuth access tokens, API keys sent as Bearer);
- `RawTokenAuth`: `Authorization: <token>`, no scheme word (a session token from a login call);
- `TicketAuth`: `Authorization: SOTicket <ticket>` plus an optional `SO-AppToken` header;
- `BasicAuth`: `Authorization: Basic base64(user:password)`.
Bearer and Basic take fixed extra headers too (`app_token_headers`: an `SO-AppToken` where configured).

The token schemes ask their provider for the token on every request, so a refreshed token is
used at once. With a `refresh` hook, an answer in `refresh_on` (401 unless told otherwise) makes
the hook run once with the rejected token; if it says a new token is there, the request is sent
again with it. A request whose body cannot be replayed (a streamed upload) is not sent again: the
caller sees the rejection and the transfer engine retries the step.
"""

from __future__ import annotations

import base64
from collections.abc import Callable, Collection, Generator, Iterator, Mapping

import httpx

TokenProvider = Callable[[], str]
# Called once after a rejection with the token the server refused; returns True when a fresh token
# is available (OAuth refresh, a new login). Knowing the refused token lets concurrent requests that
# were all rejected share one refresh instead of rotating the refresh token once each.
RefreshHook = Callable[[str], bool]

AUTHORIZATION = "Authorization"
APP_TOKEN_HEADER = "SO-AppToken"


class ReplayableContent:
    """A request body given as `content=` that httpx sends in pieces and that can be sent again
    from its first byte (its bytes are kept in memory; awork's blocks): a retry may resend it."""

    def __iter__(self) -> Iterator[bytes]:
        raise NotImplementedError


def is_replayable(request: httpx.Request) -> bool:
    """Whether the body can be sent a second time: bytes can, and a `ReplayableContent`; a
    generator from disk cannot."""
    stream = request.stream
    # httpx wraps an iterable `content` in an IteratorByteStream that keeps it as `_stream`.
    return isinstance(stream, httpx.ByteStream) or isinstance(getattr(stream, "_stream", None), ReplayableContent)


def app_token_headers(app_token: str | None) -> dict[str, str]:
    """`SO-AppToken: <token>` when an app token is configured, else nothing."""
    return {APP_TOKEN_HEADER: app_token} if app_token else {}


def constant(token: str) -> TokenProvider:
    """A provider for a token that never changes (an API key)."""
    return lambda: token


class TokenAuth(httpx.Auth):
    """`Authorization: <scheme> <token>` (just `<token>` without a scheme) and fixed extra headers."""

    def __init__(
        self,
        token_provider: TokenProvider,
        *,
        scheme: str = "",
        refresh: RefreshHook | None = None,
        refresh_on: Collection[int] = (401,),
        headers: Mapping[str, str] | None = None,
    ) -> None:
        self._token_provider = token_provider
        self._scheme = scheme
        self._refresh = refresh
        self._refresh_on = frozenset(refresh_on)
        self._headers = dict(headers or {})

    def _sign(self, request: httpx.Request, token: str) -> None:
        request.headers[AUTHORIZATION] = f"{self._scheme} {token}" if self._scheme else token
        request.headers.update(self._headers)

    def auth_flow(self, request: httpx.Request) -> Generator[httpx.Request, httpx.Response, None]:
        token = self._token_provider()
        self._sign(request, token)
        response = yield request
        rejected = response.status_code in self._refresh_on and self._refresh is not None
        if rejected and is_replayable(request) and self._refresh is not None and self._refresh(token):
            self._sign(request, self._token_provider())
            yield request


class BearerAuth(TokenAuth):
    """`Authorization: Bearer <token>`, with fixed extra `headers` when given (an app token)."""

    def __init__(
        self,
        token_provider: TokenProvider,
        *,
        refresh: RefreshHook | None = None,
        refresh_on: Collection[int] = (401,),
        headers: Mapping[str, str] | None = None,
    ) -> None:
        super().__init__(token_provider, scheme="Bearer", refresh=refresh, refresh_on=refresh_on, headers=headers)


class RawTokenAuth(TokenAuth):
    """`Authorization: <token>` with no scheme word, the way a portal's own session token is sent."""

    def __init__(
        self, token_provider: TokenProvider, *, refresh: RefreshHook | None = None, refresh_on: Collection[int] = (401,)
    ) -> None:
        super().__init__(token_provider, refresh=refresh, refresh_on=refresh_on)


class TicketAuth(TokenAuth):
    """`Authorization: SOTicket <ticket>`, with `SO-AppToken: <app token>` when an app token is given.

    The ticket is sent as it is (it is already encoded); the app token names the calling app.
    """

    def __init__(
        self,
        ticket_provider: TokenProvider,
        *,
        app_token: str | None = None,
        refresh: RefreshHook | None = None,
        refresh_on: Collection[int] = (401,),
    ) -> None:
        super().__init__(
            ticket_provider,
            scheme="SOTicket",
            refresh=refresh,
            refresh_on=refresh_on,
            headers=app_token_headers(app_token),
        )


class BasicAuth(httpx.Auth):
    """`Authorization: Basic base64(user:password)`, the user name and password encoded as UTF-8,
    with fixed extra `headers` when given (an app token)."""

    def __init__(self, username: str, password: str, *, headers: Mapping[str, str] | None = None) -> None:
        credentials = f"{username}:{password}".encode()
        self._header = "Basic " + base64.b64encode(credentials).decode("ascii")
        self._headers = dict(headers or {})

    def auth_flow(self, request: httpx.Request) -> Generator[httpx.Request, httpx.Response, None]:
        request.headers[AUTHORIZATION] = self._header
        request.headers.update(self._headers)
        yield request
