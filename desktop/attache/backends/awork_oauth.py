"""Signing in to awork through the browser, and keeping the tokens fresh.

The flow awork's own CLI uses (awork.md §1.3): register a public client by dynamic client
registration, then authorization code + PKCE (S256) in the system browser with a loopback
redirect, and a public-client token exchange. The generic parts (PKCE, the loopback receiver,
the token manager) are in `oauth`; this module adds awork's endpoints, its client registration
and its error shape. awork invalidates a refresh token on use, which the token manager allows for.
"""

from __future__ import annotations

import json
import webbrowser
from collections.abc import Callable, Mapping
from typing import Any
from urllib.parse import urlsplit

import httpx

from attache import __version__
from attache.backends import oauth
from attache.backends.http import tls_context
from attache.core.errors import AuthenticationError, NetworkError, ProtocolError
from attache.core.services import AWORK

SCOPE = "full_access offline_access"
CALLBACK_PATH = oauth.CALLBACK_PATH
PREFERRED_PORT = 8400  # the port awork's own CLI registers; any free one works on loopback
SERVICE_NAME = AWORK.name


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
    client = http or httpx.Client(timeout=30, verify=tls_context())
    try:
        response = client.post(f"{base_url}/clientapplications/register", json=body)
    except httpx.HTTPError as error:
        raise NetworkError(
            f"Could not reach {urlsplit(base_url).netloc} to register Attaché", detail=type(error).__name__
        ) from None
    finally:
        if http is None:
            client.close()
    if response.status_code not in (200, 201):
        raise AuthenticationError(f"awork refused to register Attaché: {_description(response)}")
    try:
        client_id = response.json()["client_id"]
    except (ValueError, KeyError, TypeError):
        raise ProtocolError("awork's client registration answered without a client_id") from None
    if not isinstance(client_id, str) or not client_id:
        raise ProtocolError("awork's client registration answered without a client_id")
    return client_id


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
    with oauth.LoopbackReceiver(preferred or PREFERRED_PORT, state=oauth.make_state()) as receiver:
        if client_id is None or receiver.redirect_uri != redirect_uri:
            client_id = register_client(base_url, receiver.redirect_uri)
        with _oauth_client(client_id, receiver.redirect_uri) as client:
            token = oauth.authorize_in_browser(
                client,
                receiver,
                authorize_url=f"{base_url}/accounts/authorize",
                token_url=f"{base_url}/accounts/token",
                service_name=SERVICE_NAME,
                open_url=open_url,
                timeout=timeout,
                cancelled=cancelled,
            )
    return _secret(token, client_id, receiver.redirect_uri)


class TokenManager(oauth.TokenManager):
    """awork's tokens for one account: refreshed at awork's token endpoint, saved by `save`."""

    def __init__(
        self, base_url: str, account: str, secret: Mapping[str, Any], save: Callable[[dict[str, Any]], None]
    ) -> None:
        super().__init__(secret, service_name=SERVICE_NAME, account=account, renew=self._renew_at_awork, save=save)
        self._base_url = base_url

    def _renew_at_awork(self, secret: Mapping[str, Any]) -> dict[str, Any]:
        client_id = str(secret["client_id"])
        redirect_uri = secret.get("redirect_uri")
        with _oauth_client(client_id, redirect_uri) as client:
            token = oauth.call_token_endpoint(
                lambda: client.refresh_token(
                    f"{self._base_url}/accounts/token", refresh_token=secret["refresh_token"], client_id=client_id
                ),
                service_name=SERVICE_NAME,
            )
        return _secret(token, client_id, redirect_uri)


def _oauth_client(client_id: str, redirect_uri: str | None) -> Any:
    return oauth.oauth_client(client_id, redirect_uri, scope=SCOPE, token_error_hook=_awork_error_to_oauth)


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


def _secret(token: Mapping[str, Any], client_id: str, redirect_uri: str | None) -> dict[str, Any]:
    return {
        "type": "oauth",
        "client_id": client_id,
        "redirect_uri": redirect_uri,
        "access_token": token["access_token"],
        "refresh_token": token.get("refresh_token", ""),
        "expires_at": oauth.expires_at(token),
    }


def _description(response: httpx.Response) -> str:
    try:
        body = response.json()
        return str(body.get("description") or body.get("code") or response.status_code)
    except (ValueError, AttributeError):
        return f"HTTP {response.status_code}"


def secret_summary(secret: Mapping[str, Any]) -> str:
    """What may be shown or logged about a secret: its type, never its values."""
    return json.dumps({"type": secret.get("type", "api_key")})
