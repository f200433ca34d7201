"""Signing in to awork through the browser, and keeping the tokens fresh.

The flow awork's own CLI uses (awork.md §1.3): register a public client by dynamic client
registration, then authorization code + PKCE (S256) in the system browser with a loopback
redirect, and a public-client token exchange. Authlib does the OAuth; this module adds the
loopback receiver, awork's error shape, and rotation-safe storage: awork invalidates a refresh
token on use, so the new pair is saved to the secret store *before* the new access token is used,
and only one refresh runs at a time.
"""

from __future__ import annotations

import http.server
import json
import logging
import secrets
import threading
import time
import webbrowser
from collections.abc import Callable
from typing import Any
from urllib.parse import parse_qs, urlsplit

import httpx
from authlib.integrations.httpx_client import OAuth2Client
from authlib.integrations.base_client.errors import OAuthError

from attache import __version__
from attache.core.errors import AuthenticationError, CancelledError, NetworkError, ProtocolError

SCOPE = "full_access offline_access"
CALLBACK_PATH = "/oauth/callback"
PREFERRED_PORT = 8400  # the port awork's own CLI registers; any free one works on loopback
REFRESH_AHEAD = 120.0  # seconds before expiry that a token counts as stale
log = logging.getLogger(__name__)


class LoopbackReceiver:
    """A one-shot HTTP listener on 127.0.0.1 that catches the browser's redirect."""

    def __init__(self, port: int = PREFERRED_PORT) -> None:
        self.params: dict[str, str] | None = None
        self._arrived = threading.Event()
        receiver = self

        class Handler(http.server.BaseHTTPRequestHandler):
            def do_GET(self) -> None:  # noqa: N802 (http.server's naming)
                url = urlsplit(self.path)
                if url.path != CALLBACK_PATH:
                    self.send_error(404)
                    return
                receiver.params = {k: v[0] for k, v in parse_qs(url.query).items()}
                ok = "code" in receiver.params
                page = ("<h1>Signed in</h1><p>You can close this tab and return to Attaché.</p>" if ok else
                        "<h1>Sign-in was not completed</h1><p>Return to Attaché to try again.</p>")
                body = f"<!doctype html><meta charset='utf-8'><title>Attaché</title>{page}".encode()
                self.send_response(200)
                self.send_header("Content-Type", "text/html; charset=utf-8")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)
                receiver._arrived.set()

            def log_message(self, *args: Any) -> None:  # the query holds the code: never log it
                pass

        try:
            self._server = http.server.HTTPServer(("127.0.0.1", port), Handler)
        except OSError:
            self._server = http.server.HTTPServer(("127.0.0.1", 0), Handler)
        self._thread = threading.Thread(target=self._server.serve_forever, name="oauth-loopback", daemon=True)
        self._thread.start()

    @property
    def redirect_uri(self) -> str:
        return f"http://127.0.0.1:{self._server.server_port}{CALLBACK_PATH}"

    def wait(self, timeout: float, cancelled: Callable[[], bool] = lambda: False) -> dict[str, str]:
        deadline = time.monotonic() + timeout
        while not self._arrived.wait(0.2):
            if cancelled():
                raise CancelledError("Sign-in was cancelled")
            if time.monotonic() > deadline:
                raise AuthenticationError("Sign-in timed out: the browser did not come back to Attaché")
        return self.params or {}

    def close(self) -> None:
        self._server.shutdown()
        self._server.server_close()
        self._thread.join(5)


def register_client(base_url: str, redirect_uri: str, *, http: httpx.Client | None = None) -> str:
    """Register Attaché as a public native client; returns its client_id."""
    body = {
        "redirect_uris": [redirect_uri],
        "client_name": "Attaché",
        "token_endpoint_auth_method": "none",
        "grant_types": ["authorization_code", "refresh_token"],
        "response_types": ["code"],
        "scope": SCOPE,
        "application_type": "native",
        "software_id": "attache-desktop",
        "software_version": __version__,
    }
    client = http or httpx.Client(timeout=30)
    try:
        response = client.post(f"{base_url}/clientapplications/register", json=body)
    except httpx.HTTPError as error:
        raise NetworkError(f"Could not reach {urlsplit(base_url).netloc} to register Attaché",
                           detail=type(error).__name__) from None
    finally:
        if http is None:
            client.close()
    if response.status_code not in (200, 201):
        raise AuthenticationError(f"awork refused to register Attaché: {_description(response)}")
    try:
        return response.json()["client_id"]
    except (ValueError, KeyError):
        raise ProtocolError("awork's client registration answered without a client_id") from None


def sign_in_with_browser(
    base_url: str,
    *,
    open_url: Callable[[str], object] = webbrowser.open,
    client_id: str | None = None,
    redirect_uri: str | None = None,
    timeout: float = 300.0,
    cancelled: Callable[[], bool] = lambda: False,
) -> dict[str, Any]:
    """Run the whole browser sign-in; returns the secret to store (tokens and client id)."""
    preferred = urlsplit(redirect_uri).port if redirect_uri else PREFERRED_PORT
    receiver = LoopbackReceiver(preferred or PREFERRED_PORT)
    try:
        if client_id is None or receiver.redirect_uri != redirect_uri:
            client_id = register_client(base_url, receiver.redirect_uri)
        with _oauth_client(client_id, receiver.redirect_uri) as oauth:
            verifier = secrets.token_urlsafe(64)
            url, state = oauth.create_authorization_url(f"{base_url}/accounts/authorize", code_verifier=verifier,
                                                        grant_type="authorization_code")
            open_url(url)
            params = receiver.wait(timeout, cancelled)
            if params.get("state") != state:
                raise AuthenticationError("Sign-in failed: the browser's answer did not match this request")
            if "code" not in params:
                raise AuthenticationError(f"Sign-in was refused in the browser ({params.get('error', 'no code')})")
            token = _call_token_endpoint(lambda: oauth.fetch_token(
                f"{base_url}/accounts/token", grant_type="authorization_code", code=params["code"],
                code_verifier=verifier, redirect_uri=receiver.redirect_uri, client_id=client_id))
    finally:
        receiver.close()
    return _secret(token, client_id, receiver.redirect_uri)


class TokenManager:
    """Hands out a fresh access token; refreshes ahead of expiry or after a 401, once at a time."""

    def __init__(self, base_url: str, account: str, secret: dict[str, Any],
                 save: Callable[[dict[str, Any]], None]) -> None:
        self._base_url = base_url
        self._account = account
        self._secret = dict(secret)
        self._save = save
        self._lock = threading.Lock()

    def access_token(self) -> str:
        with self._lock:
            if self._secret.get("expires_at", 0) - REFRESH_AHEAD < time.time():
                self._refresh_locked()
            return self._secret["access_token"]

    def refresh_after_rejection(self, rejected_token: str) -> bool:
        """A request with `rejected_token` got 401: refresh once, unless another thread already did.

        This is the HTTP session's refresh hook; a failed refresh raises AuthenticationError.
        """
        with self._lock:
            if self._secret["access_token"] == rejected_token:
                self._refresh_locked()
            return True

    def _refresh_locked(self) -> None:
        refresh_token = self._secret.get("refresh_token")
        if not refresh_token:
            raise AuthenticationError(f"The sign-in for {self._account} has expired: sign in again",
                                      account=self._account)
        client_id = self._secret["client_id"]
        with _oauth_client(client_id, self._secret.get("redirect_uri")) as oauth:
            try:
                token = _call_token_endpoint(lambda: oauth.refresh_token(
                    f"{self._base_url}/accounts/token", refresh_token=refresh_token, client_id=client_id))
            except AuthenticationError:
                raise AuthenticationError(
                    f"awork ended the sign-in for {self._account}: sign in again", account=self._account) from None
        secret = _secret(token, client_id, self._secret.get("redirect_uri"))
        # The old refresh token is dead now: persist the new pair before anything uses it.
        self._save(secret)
        self._secret = secret


def _oauth_client(client_id: str, redirect_uri: str | None) -> OAuth2Client:
    client = OAuth2Client(client_id=client_id, token_endpoint_auth_method="none", scope=SCOPE,
                          redirect_uri=redirect_uri, code_challenge_method="S256", timeout=30,
                          headers={"User-Agent": f"Attache/{__version__}"})
    for hook in ("access_token_response", "refresh_token_response"):
        client.register_compliance_hook(hook, _awork_error_to_oauth)
    return client


def _awork_error_to_oauth(response: httpx.Response) -> httpx.Response:
    """awork answers token errors as {code, description}; Authlib expects {error, error_description}."""
    if response.status_code >= 400:
        try:
            body = response.json()
        except ValueError:
            return response
        if isinstance(body, dict) and "code" in body and "error" not in body:
            fixed = {"error": body["code"], "error_description": body.get("description", "")}
            return httpx.Response(response.status_code, json=fixed, request=response.request)
    return response


def _call_token_endpoint(call: Callable[[], dict]) -> dict:
    try:
        token = call()
    except OAuthError as error:
        raise AuthenticationError(f"awork refused the sign-in: {error.description or error.error}",
                                  code=str(error.error)) from None
    except httpx.HTTPError as error:
        raise NetworkError("Could not reach awork's sign-in service", detail=type(error).__name__) from None
    if not token.get("access_token"):
        raise ProtocolError("awork's token endpoint answered without an access token")
    return token


def _secret(token: dict, client_id: str, redirect_uri: str | None) -> dict[str, Any]:
    return {
        "type": "oauth",
        "client_id": client_id,
        "redirect_uri": redirect_uri,
        "access_token": token["access_token"],
        "refresh_token": token.get("refresh_token", ""),
        "expires_at": time.time() + float(token.get("expires_in") or 3600),
    }


def _description(response: httpx.Response) -> str:
    try:
        body = response.json()
        return str(body.get("description") or body.get("code") or response.status_code)
    except ValueError:
        return f"HTTP {response.status_code}"


def secret_summary(secret: dict[str, Any]) -> str:
    """What may be shown or logged about a secret: its type, never its values."""
    return json.dumps({"type": secret.get("type", "api_key")})
