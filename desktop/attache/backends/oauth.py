"""OAuth 2.0 for a desktop app, whatever the service: PKCE, the loopback redirect, fresh tokens.

- `make_pkce` makes a code verifier and its S256 challenge (RFC 7636).
- `LoopbackReceiver` listens once on 127.0.0.1 for the browser's redirect and takes the answer
  whose `state` is this sign-in's, from the query of a GET or from the form body of a POST
  (`response_mode=form_post`); a thread and a short timeout per connection.
- `authorize_in_browser` runs authorization code + PKCE in the system browser with Authlib and
  returns the token response; a service module adds its own endpoints, client and extra parameters.
- `TokenManager` hands out an access token, refreshing it ahead of expiry or after a rejection,
  one refresh at a time; services rotate refresh tokens on use, so the new pair is saved *before*
  the new access token is used.
Nothing here logs or raises a token, a code or a verifier.
"""

from __future__ import annotations

import base64
import hashlib
import http.server
import secrets
import threading
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any, Self
from urllib.parse import parse_qs, urlsplit

import httpx
from authlib.integrations.base_client.errors import OAuthError
from authlib.integrations.httpx_client import OAuth2Client

from attache import __version__
from attache.core.errors import AuthenticationError, CancelledError, NetworkError, ProtocolError

CALLBACK_PATH = "/oauth/callback"
REFRESH_AHEAD = 120.0  # seconds before expiry that a token counts as stale
MAX_FORM_BYTES = 64 * 1024  # a form_post answer is a code, a state and an id token or so
DEFAULT_LIFETIME = 3600.0  # when the token response does not say

TokenResponse = dict[str, Any]
SecretData = dict[str, Any]
# Given the current secret, return the next one (with a new access token); raise
# AuthenticationError when the service refuses the refresh.
Renew = Callable[[Mapping[str, Any]], SecretData]


# ---------------------------------------------------------------------------- PKCE


@dataclass(frozen=True, slots=True)
class Pkce:
    verifier: str
    challenge: str
    method: str = "S256"


def code_challenge(verifier: str) -> str:
    """The S256 challenge of a code verifier: base64url(sha256(verifier)) without padding."""
    digest = hashlib.sha256(verifier.encode("ascii")).digest()
    return base64.urlsafe_b64encode(digest).rstrip(b"=").decode("ascii")


def make_pkce() -> Pkce:
    """A fresh code verifier (86 characters) and its S256 challenge."""
    verifier = secrets.token_urlsafe(64)
    return Pkce(verifier, code_challenge(verifier))


# ---------------------------------------------------------------------------- loopback redirect


_SIGNED_IN = "<h1>Signed in</h1><p>You can close this tab and return to Attaché.</p>"
_NOT_SIGNED_IN = "<h1>Sign-in was not completed</h1><p>Return to Attaché to try again.</p>"
_NOT_THIS = "<h1>Not this sign-in</h1><p>This answer does not belong to the sign-in Attaché is waiting for.</p>"
CONNECTION_TIMEOUT = 5.0  # seconds a local connection may stay silent before it is dropped


def make_state() -> str:
    """A fresh, unguessable `state` for one authorization request."""
    return secrets.token_urlsafe(32)


class LoopbackReceiver:
    """A one-shot HTTP listener on 127.0.0.1 that catches the browser's redirect.

    The answer (`code`, `state`, or `error`) arrives in the query of a GET, or in the
    `application/x-www-form-urlencoded` body of a POST when the service uses form_post.
    Only the first answer whose `state` is this sign-in's counts; answers with another state
    get 400 and the receiver keeps waiting; other paths get 404. Each connection has its own
    thread and a short timeout, so a local client that connects and sends nothing holds neither
    the real callback nor `close()`.
    """

    def __init__(self, port: int = 0, *, state: str | None = None, path: str = CALLBACK_PATH) -> None:
        self.state = state or make_state()
        self.params: dict[str, str] | None = None
        self._path = path
        self._lock = threading.Lock()
        self._arrived = threading.Event()
        receiver = self

        class Handler(http.server.BaseHTTPRequestHandler):
            timeout = CONNECTION_TIMEOUT  # StreamRequestHandler applies it to the socket

            def do_GET(self) -> None:  # http.server's naming
                url = urlsplit(self.path)
                if url.path != receiver._path:
                    self.send_error(404)
                    return
                self._answer(url.query)

            def do_POST(self) -> None:
                if urlsplit(self.path).path != receiver._path:
                    self.send_error(404)
                    return
                kind = self.headers.get("Content-Type", "").split(";")[0].strip().lower()
                try:
                    length = int(self.headers.get("Content-Length", ""))
                except ValueError:
                    length = -1
                if kind != "application/x-www-form-urlencoded" or not 0 <= length <= MAX_FORM_BYTES:
                    self.send_error(400)
                    return
                self._answer(self.rfile.read(length).decode("utf-8", "replace"))

            def _answer(self, query: str) -> None:
                params = {k: v[0] for k, v in parse_qs(query).items()}
                if not secrets.compare_digest(params.get("state", "").encode(), receiver.state.encode()):
                    self._page(400, _NOT_THIS)
                    return
                with receiver._lock:
                    if receiver.params is None:
                        receiver.params = params
                self._page(200, _SIGNED_IN if "code" in params else _NOT_SIGNED_IN)
                receiver._arrived.set()

            def _page(self, status: int, page: str) -> None:
                body = f"<!doctype html><meta charset='utf-8'><title>Attaché</title>{page}".encode()
                self.send_response(status)
                self.send_header("Content-Type", "text/html; charset=utf-8")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, format: str, *args: Any) -> None:  # the query holds the code: never log it
                pass

        try:
            self._server = _Server(("127.0.0.1", port), Handler)
        except OSError:  # the preferred port is taken: any free one works on loopback
            self._server = _Server(("127.0.0.1", 0), Handler)
        self._thread = threading.Thread(target=self._server.serve_forever, name="oauth-loopback", daemon=True)
        self._thread.start()

    @property
    def redirect_uri(self) -> str:
        return f"http://127.0.0.1:{self._server.server_port}{self._path}"

    def wait(self, timeout: float, cancelled: Callable[[], bool] = lambda: False) -> dict[str, str]:
        deadline = time.monotonic() + timeout
        while not self._arrived.wait(0.2):
            if cancelled():
                raise CancelledError("Sign-in was cancelled")
            if time.monotonic() > deadline:
                raise AuthenticationError("Sign-in timed out: the browser did not come back to Attaché")
        return self.params or {}

    def close(self) -> None:
        # Connection threads are daemons and not joined: a stalled one ends at its own timeout.
        self._server.shutdown()
        self._server.server_close()
        self._thread.join(5)

    def __enter__(self) -> Self:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()


class _Server(http.server.ThreadingHTTPServer):
    daemon_threads = True
    block_on_close = False


# ---------------------------------------------------------------------------- the browser flow


ComplianceHook = Callable[[httpx.Response], httpx.Response]


def oauth_client(
    client_id: str,
    redirect_uri: str | None,
    *,
    scope: str,
    client_secret: str | None = None,
    token_error_hook: ComplianceHook | None = None,
) -> OAuth2Client:
    """An Authlib client for a native app: PKCE S256, our User-Agent, a public client unless a
    secret is given. `token_error_hook` rewrites a service's token errors into OAuth's shape."""
    client = OAuth2Client(
        client_id=client_id,
        client_secret=client_secret,
        token_endpoint_auth_method="client_secret_post" if client_secret else "none",
        scope=scope,
        redirect_uri=redirect_uri,
        code_challenge_method="S256",
        timeout=30,
        headers={"User-Agent": f"Attache/{__version__}"},
    )
    if token_error_hook is not None:
        for hook in ("access_token_response", "refresh_token_response"):
            client.register_compliance_hook(hook, token_error_hook)
    return client


def authorize_in_browser(
    oauth: OAuth2Client,
    receiver: LoopbackReceiver,
    *,
    authorize_url: str,
    token_url: str,
    service_name: str,
    open_url: Callable[[str], object],
    timeout: float,
    cancelled: Callable[[], bool] = lambda: False,
    extra: Mapping[str, str] | None = None,
) -> TokenResponse:
    """Send the user to `authorize_url`, catch the code on `receiver`, exchange it at `token_url`.

    `extra` adds authorization parameters (`response_mode=form_post`, a tenant hint…).
    """
    pkce = make_pkce()
    url, state = oauth.create_authorization_url(
        authorize_url,
        state=receiver.state,
        code_verifier=pkce.verifier,
        grant_type="authorization_code",
        **dict(extra or {}),
    )
    open_url(url)
    params = receiver.wait(timeout, cancelled)
    if params.get("state") != state:
        raise AuthenticationError("Sign-in failed: the browser's answer did not match this request")
    if "code" not in params:
        raise AuthenticationError(f"Sign-in was refused in the browser ({params.get('error', 'no code')})")
    return call_token_endpoint(
        lambda: oauth.fetch_token(
            token_url,
            grant_type="authorization_code",
            code=params["code"],
            code_verifier=pkce.verifier,
            redirect_uri=receiver.redirect_uri,
            client_id=oauth.client_id,
        ),
        service_name=service_name,
    )


def call_token_endpoint(call: Callable[[], Any], *, service_name: str) -> TokenResponse:
    """Run one token request; refusals, lost connections and answers without a token become errors."""
    try:
        token = call()
    except OAuthError as error:
        raise AuthenticationError(
            f"{service_name} refused the sign-in: {error.description or error.error}", code=str(error.error)
        ) from None
    except httpx.HTTPError as error:
        raise NetworkError(f"Could not reach {service_name}'s sign-in service", detail=type(error).__name__) from None
    if not isinstance(token, dict) or not token.get("access_token"):
        raise ProtocolError(f"{service_name}'s token endpoint answered without an access token")
    return dict(token)


def expires_at(token: Mapping[str, Any], *, now: float | None = None) -> float:
    """When a token from this response expires, as a Unix time."""
    try:
        lifetime = float(token.get("expires_in") or DEFAULT_LIFETIME)
    except (TypeError, ValueError):
        lifetime = DEFAULT_LIFETIME
    return (time.time() if now is None else now) + lifetime


# ---------------------------------------------------------------------------- fresh tokens


class TokenManager:
    """Hands out a fresh access token; refreshes ahead of expiry or after a rejection, once at a time.

    The secret holds at least `access_token`, `refresh_token` and `expires_at`; `renew` turns it into
    the next secret, which `save` stores before any request uses its access token.
    """

    def __init__(
        self,
        secret: Mapping[str, Any],
        *,
        service_name: str,
        account: str,
        renew: Renew,
        save: Callable[[SecretData], None],
    ) -> None:
        self._secret: SecretData = dict(secret)
        self._service_name = service_name
        self._account = account
        self._renew = renew
        self._save = save
        self._lock = threading.Lock()

    def access_token(self) -> str:
        with self._lock:
            if float(self._secret.get("expires_at") or 0) - REFRESH_AHEAD < time.time():
                self._refresh_locked()
            return str(self._secret["access_token"])

    def refresh_after_rejection(self, rejected_token: str) -> bool:
        """A request with `rejected_token` was refused: refresh once, unless another thread already did.

        This is the auth's refresh hook; a failed refresh raises AuthenticationError.
        """
        with self._lock:
            if self._secret.get("access_token") == rejected_token:
                self._refresh_locked()
            return True

    def _refresh_locked(self) -> None:
        if not self._secret.get("refresh_token"):
            raise AuthenticationError(
                f"The sign-in for {self._account} has expired: sign in again", account=self._account
            )
        try:
            secret = self._renew(self._secret)
        except AuthenticationError:
            raise AuthenticationError(
                f"{self._service_name} ended the sign-in for {self._account}: sign in again", account=self._account
            ) from None
        # The old refresh token may be dead now: persist the new pair before anything uses it.
        self._save(secret)
        self._secret = dict(secret)
