"""Signing in to SuperOffice Online in the browser, keeping the token fresh, finding the tenant.

The flow SuperOffice prescribes for native apps (superoffice.md §1.2): authorization code + PKCE
with a loopback redirect, `response_mode=form_post`, `scope=openid`, and `acr_values=tenant:CustNNNNN`
so the user does not pick the tenant again. SuperOffice has no dynamic registration: the user
registers an app and gives its client id (Application ID) and, when the app has one, its
application token (the client secret, kept in the keyring with the tokens). The generic parts are
in `oauth`; this module adds SuperOffice's hosts, the ID token's claims and the tenant status API.

Hosts: `sod`, `qaonline` and `online` (…superoffice.com) serve sign-in and the tenant status API;
a tenant's REST API lives on a numbered host (`sod2`, `online3`) that the ID token's `webapi_url`
claim names, and that `/api/state/{ctx}` names again after a tenant moved (a 421 says so).
Anywhere else (an Onsite server, the sandbox) sign-in and status are on the server itself.
"""

from __future__ import annotations

import base64
import json
import re
import webbrowser
from collections.abc import Callable, Mapping
from typing import Any
from urllib.parse import urlsplit, urlunsplit

import httpx

from attache.backends import oauth
from attache.backends.http import USER_AGENT, tls_context
from attache.core.errors import (
    AttacheError,
    InvalidInputError,
    NetworkError,
    ProtocolError,
    ServiceUnavailableError,
)
from attache.core.services import SUPEROFFICE

SCOPE = "openid"
SERVICE_NAME = SUPEROFFICE.name
CLAIM_PREFIX = "http://schemes.superoffice.net/identity/"
ONLINE_DOMAIN = ".superoffice.com"
PREFERRED_PORT = 8401
MAX_ANSWER_BYTES = 64 * 1024  # a tenant status answer is a few hundred bytes


class TenantLookupError(AttacheError):
    """The tenant's current address could not be found."""


_TENANT = re.compile(r"^cust\d+$", re.IGNORECASE)
_LOOPBACK_HOSTS = ("127.0.0.1", "localhost", "::1")


# ---------------------------------------------------------------------------- hosts and tenants


def tenant_of(base_url: str) -> str:
    """The tenant (context identifier, `Cust12345`) in an API address `…/Cust12345/api`; "" for an
    Onsite server, whose path is its own."""
    for segment in urlsplit(base_url).path.split("/"):
        if _TENANT.match(segment):
            return segment
    return ""


def identity_root(base_url: str) -> str:
    """Where sign-in and the tenant status API are for this API address: SuperOffice's
    un-numbered host of the same environment (`sod2.superoffice.com` → `sod.superoffice.com`),
    or the server itself (Onsite, the sandbox)."""
    parts = urlsplit(base_url)
    host = (parts.hostname or "").lower()
    if host.endswith(ONLINE_DOMAIN):
        label = host[: -len(ONLINE_DOMAIN)].split(".")[-1]
        environment = label.rstrip("0123456789") or label
        return f"https://{environment}{ONLINE_DOMAIN}"
    return urlunsplit((parts.scheme, parts.netloc, "", "", ""))


def is_online(base_url: str) -> bool:
    return (urlsplit(base_url).hostname or "").lower().endswith(ONLINE_DOMAIN)


def api_base(url: str) -> str:
    """`…/Cust12345/api/` or `…/Cust12345/api/v1` or `…/Cust12345` (a tenant's endpoint) as the
    backend's base, `…/Cust12345/api`."""
    return SUPEROFFICE.normalise_url(url)


def checked_api_url(url: str, *, source: str) -> str:
    """An API address SuperOffice handed out (ID token, tenant status), refused unless it is
    https — or http on this machine, where the sandbox runs — so a token never goes out in clear."""
    parts = urlsplit(url.strip())
    loopback = (parts.hostname or "") in _LOOPBACK_HOSTS
    if not parts.netloc or not (parts.scheme == "https" or (parts.scheme == "http" and loopback)):
        raise ProtocolError(f"{SERVICE_NAME} named an API address that is not https in {source}", detail=url[:200])
    return api_base(url)


# ---------------------------------------------------------------------------- the ID token


def id_token_claims(id_token: str) -> dict[str, Any]:
    """The claims of an ID token, SuperOffice's prefix removed (`ctx`, `webapi_url`, …).

    The signature is not checked: the token came straight from the token endpoint over TLS, which
    OpenID Connect Core §3.1.3.7 accepts in place of it; nothing here grants access by itself.
    """
    try:
        payload = id_token.split(".")[1]
        data = json.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)))
    except (IndexError, ValueError, UnicodeDecodeError):
        raise ProtocolError(f"{SERVICE_NAME} sent an ID token that cannot be read") from None
    if not isinstance(data, dict):
        raise ProtocolError(f"{SERVICE_NAME} sent an ID token that cannot be read")
    return {(key[len(CLAIM_PREFIX) :] if key.startswith(CLAIM_PREFIX) else key): value for key, value in data.items()}


def secret_from_tokens(
    token: Mapping[str, Any], *, client_id: str, app_token: str, redirect_uri: str, previous: Mapping[str, Any]
) -> dict[str, Any]:
    """The keyring's secret for a token response: tokens, the app's credentials, and the tenant's
    API address from the ID token (a refresh without an ID token keeps the previous one)."""
    claims = id_token_claims(str(token["id_token"])) if token.get("id_token") else {}
    webapi_url = str(claims.get("webapi_url") or "")
    return {
        "type": "oauth",
        "client_id": client_id,
        "app_token": app_token,
        "redirect_uri": redirect_uri,
        "access_token": token["access_token"],
        # SuperOffice may or may not send a new refresh token: the old one stays valid then.
        "refresh_token": token.get("refresh_token") or previous.get("refresh_token", ""),
        "expires_at": oauth.expires_at(token),
        "webapi_url": checked_api_url(webapi_url, source="the ID token")
        if webapi_url
        else previous.get("webapi_url", ""),
        "tenant": str(claims.get("ctx") or previous.get("tenant") or ""),
    }


# ---------------------------------------------------------------------------- the browser flow


def sign_in_with_browser(
    base_url: str,
    *,
    client_id: str,
    app_token: str = "",
    open_url: Callable[[str], object] = webbrowser.open,
    timeout: float = 300.0,
    cancelled: Callable[[], bool] = lambda: False,
) -> dict[str, Any]:
    """The whole browser sign-in for the tenant of `base_url`; returns the secret to store."""
    if not client_id.strip():
        raise InvalidInputError(
            f"{SERVICE_NAME} Online signs in through an app you registered with SuperOffice: give its "
            "client id (Application ID; attache login NAME --browser --client-id ID)"
        )
    root = identity_root(base_url)
    tenant = tenant_of(base_url)
    extra = {"response_mode": "form_post"}
    if tenant:
        extra["acr_values"] = f"tenant:{tenant}"
    receiver = oauth.LoopbackReceiver(PREFERRED_PORT, state=oauth.make_state())
    with receiver, _oauth_client(client_id, app_token, receiver.redirect_uri) as client:
        token = oauth.authorize_in_browser(
            client,
            receiver,
            authorize_url=f"{root}/login/common/oauth/authorize",
            token_url=f"{root}/login/common/oauth/tokens",
            service_name=SERVICE_NAME,
            open_url=open_url,
            timeout=timeout,
            cancelled=cancelled,
            extra=extra,
        )
    if not token.get("id_token"):
        raise ProtocolError(f"{SERVICE_NAME} signed you in but sent no ID token naming your tenant's API address")
    return secret_from_tokens(
        token, client_id=client_id, app_token=app_token, redirect_uri=receiver.redirect_uri, previous={}
    )


class TokenManager(oauth.TokenManager):
    """One account's tokens, refreshed at SuperOffice's token endpoint and saved by `save`."""

    def __init__(
        self, base_url: str, account: str, secret: Mapping[str, Any], save: Callable[[dict[str, Any]], None]
    ) -> None:
        super().__init__(secret, service_name=SERVICE_NAME, account=account, renew=self._renew, save=save)
        self._token_url = f"{identity_root(base_url)}/login/common/oauth/tokens"

    def _renew(self, secret: Mapping[str, Any]) -> dict[str, Any]:
        client_id, app_token = str(secret.get("client_id") or ""), str(secret.get("app_token") or "")
        redirect_uri = str(secret.get("redirect_uri") or "")
        with _oauth_client(client_id, app_token, redirect_uri or None) as client:
            token = oauth.call_token_endpoint(
                lambda: client.refresh_token(
                    self._token_url, refresh_token=secret["refresh_token"], client_id=client_id
                ),
                service_name=SERVICE_NAME,
            )
        return secret_from_tokens(
            token, client_id=client_id, app_token=app_token, redirect_uri=redirect_uri, previous=secret
        )

    def update(self, **values: Any) -> None:
        """Change what the secret says besides the tokens (a moved tenant's address) and save it."""
        with self._lock:
            self._secret.update(values)
            self._save(dict(self._secret))


def _oauth_client(client_id: str, app_token: str, redirect_uri: str | None) -> Any:
    # The application token is the app's client secret (superoffice.md §1.2): sent where the app has one.
    return oauth.oauth_client(client_id, redirect_uri, scope=SCOPE, client_secret=app_token or None)


# ---------------------------------------------------------------------------- the tenant status API


def resolve_tenant(base_url: str, tenant: str, *, http: httpx.Client | None = None) -> str:
    """The tenant's API address now, from `GET /api/state/{ctx}` (after a 421: the tenant moved).

    Raises an `AttacheError` that says what happened when the status cannot be had or the tenant
    is not running (maintenance, migration).
    """
    here = urlsplit(base_url).netloc
    if not tenant:
        raise TenantLookupError(
            f"{SERVICE_NAME} at {here} refuses this address as another tenant's (421), and the address names "
            "no tenant to look up: check the account's address"
        )
    url = f"{identity_root(base_url)}/api/state/{tenant}"
    client = http or httpx.Client(timeout=20, headers={"User-Agent": USER_AGENT}, verify=tls_context())
    try:
        response = client.get(url, headers={"Accept": "application/json"})
        body = response.content[:MAX_ANSWER_BYTES]
    except httpx.HTTPError as error:
        raise NetworkError(
            f"{SERVICE_NAME} no longer serves tenant {tenant} at {here} (421), and its new address could not "
            f"be looked up ({type(error).__name__}): try again later",
        ) from None
    finally:
        if http is None:
            client.close()
    try:
        state = json.loads(body) if response.status_code == 200 else None
    except ValueError:
        state = None
    if not isinstance(state, dict):
        raise TenantLookupError(
            f"{SERVICE_NAME} no longer serves tenant {tenant} at {here} (421), and its tenant status at "
            f"{urlsplit(url).netloc} does not know the tenant (status {response.status_code}): check the "
            "account's address, or sign in again"
        )
    endpoint = str(state.get("Endpoint") or "")
    if state.get("IsRunning") is False or not endpoint:
        said = str(state.get("State") or "not running")
        raise ServiceUnavailableError(f"{SERVICE_NAME} tenant {tenant} is not available now ({said}); try again later")
    return checked_api_url(endpoint, source="the tenant status")
