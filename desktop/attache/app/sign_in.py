"""Signing in and out, for the window and the CLI alike. Qt-free: these run on workers.

A sign-in obtains the service's secret (an API key the user pasted, a token from the browser),
checks it by asking the service which workspace it opens, and only then saves the secret (the
keyring, or this run's memory) and the account. What each service accepts comes from its
registry entry and its connector.
"""

from __future__ import annotations

import logging
import os
from collections.abc import Callable, Mapping
from dataclasses import dataclass, replace
from typing import Any
from urllib.parse import urlsplit

from attache.app.secrets import AppSecrets
from attache.core import services as registry
from attache.core.accounts import Account, AccountStore
from attache.core.errors import (
    AttacheError,
    AuthenticationError,
    CancelledError,
    InvalidInputError,
    NetworkError,
    NotFoundError,
    ProtocolError,
    SecondFactorRequired,
)
from attache.core.models import Entity
from attache.core.services import SignIn, service
from attache.credentials import KeyringUnavailableError

log = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True)
class SignInResult:
    account: Account
    workspace: str
    where: str  # where the secret went, for the user: "your password manager (…)"
    session_only: bool


def check_secret(
    service_id: str,
    base_url: str,
    secret: Mapping[str, Any],
    account: str = "new account",
    *,
    options: Mapping[str, str] | None = None,
) -> Entity:
    """Ask the service which workspace this secret opens (before it is saved); retries once at
    most: the user waits."""
    backend = (
        service(service_id)
        .connector()
        .open_backend(base_url, secret, account=account, quick=True, options=options or {})
    )
    try:
        return backend.workspace()
    finally:
        backend.close()


def sign_in(
    secrets: AppSecrets,
    *,
    name: str,
    service: str,
    base_url: str,
    session_only: bool,
    on_sandbox: bool = False,
    api_key: str | None = None,
    user: str | None = None,
    password: str | None = None,
    code: str | None = None,
    remember_password: bool = False,
    browser: Callable[[str], object] | None = None,
    cancelled: Callable[[], bool] = lambda: False,
    existing: Account | None = None,
    store: AccountStore | None = None,
    timeout: float = 300.0,
    options: Mapping[str, str] | None = None,
    client_secret: str | None = None,
) -> SignInResult:
    """Worker: sign in with an API key, a user name and password (and, when the service asks, a
    one-time `code`: `SecondFactorRequired` says so) or through the browser; check it, then save
    the secret and the account. With `existing`, this is that account signing in again. `on_sandbox`: the URL is
    the window's built-in sandbox, so the secret stays in memory and the account is forgotten when
    the sandbox stops. `options` are the account's settings to remember (a registered app's
    `client_id`); `client_secret`, where a registered app has one, goes to the connector for this
    sign-in only and is kept in the secret, never in the account."""
    store = store or AccountStore()
    remembered = {**(existing.options if existing is not None else {}), **dict(options or {})}
    entry = registry.service(service)  # the parameter `service` hides the function here
    base_url = entry.normalise_url(base_url)
    name = name.strip()
    if existing is None and name and any(a.name == name for a in store.list()):
        raise InvalidInputError(f"There is already an account named “{name}”. Choose another name.")
    connector = entry.connector()
    if api_key is not None:
        api_key = api_key.strip()
        if not api_key:
            hint = (
                f", or {entry.texts.browser_button[0].lower()}{entry.texts.browser_button[1:]} in the browser"
                if SignIn.BROWSER in entry.sign_in
                else ""
            )
            raise InvalidInputError(f"Paste an {entry.texts.key_name}{hint}.")
        secret: dict[str, Any] = {"type": "api_key", "api_key": api_key}
        auth = SignIn.API_KEY
    elif password is not None:
        user = (user if user is not None else existing.user if existing is not None else "").strip()
        if not user or not password:
            raise InvalidInputError("Enter your user name (or e-mail) and your password.")
        if SignIn.PASSWORD not in entry.sign_in:
            raise InvalidInputError(f"{entry.name} does not sign in with a password.")
        secret = connector.password_sign_in(
            base_url,
            user=user,
            password=password,
            code=(code or "").strip() or None,
            remember_password=remember_password,
        )
        auth = SignIn.PASSWORD
    else:
        if SignIn.BROWSER not in entry.sign_in:
            raise InvalidInputError(f"{entry.name} has no sign-in in the browser.")
        previous = _previous_secret(secrets, existing.name) if existing is not None else {}
        given = {**remembered, **({"client_secret": client_secret} if client_secret else {})}
        secret = connector.browser_sign_in(
            base_url,
            open_url=browser or _open_in_browser,
            previous=previous,
            timeout=timeout,
            cancelled=cancelled,
            options=given,
        )
        auth = SignIn.BROWSER
    if cancelled():
        raise CancelledError("Sign-in was cancelled.")
    workspace = check_secret(entry.id, base_url, secret, name or "new account", options=remembered)
    if cancelled():
        raise CancelledError("Sign-in was cancelled.")
    if existing is None and not name:
        name = _unique_name(workspace.name or urlsplit(base_url).netloc or entry.name, store)
    on_sandbox = on_sandbox or (existing is not None and existing.on_sandbox)
    target = secrets.memory if on_sandbox else secrets.store_for_new(session_only)
    target.save(name, secret)
    if target is not secrets.memory:
        secrets.memory.delete(name)  # a keyring entry now: no stale session copy shadows it
    account = (
        replace(existing, auth=auth.value, workspace=workspace.name, user=user or existing.user, options=remembered)
        if existing is not None
        else Account(
            name,
            entry.id,
            base_url,
            auth=auth.value,
            workspace=workspace.name,
            sandbox_pid=os.getpid() if on_sandbox else 0,
            user=user or "",
            options=remembered,
        )
    )
    store.add(account)
    return SignInResult(account, workspace.name, target.description, not target.persistent)


def _previous_secret(secrets: AppSecrets, name: str) -> dict[str, Any]:
    """The old sign-in's client registration, to reuse; nothing when it cannot be read."""
    try:
        return secrets.store_for(name).load(name) or {}
    except AttacheError:
        return {}


def _open_in_browser(url: str) -> None:
    import webbrowser

    webbrowser.open(url)


def _unique_name(base: str, store: AccountStore) -> str:
    taken = {a.name for a in store.list()}
    base = base.strip() or "account"
    name, number = base, 2
    while name in taken:
        name, number = f"{base} {number}", number + 1
    return name


def sign_out(secrets: AppSecrets, name: str, *, remove: bool = False, store: AccountStore | None = None) -> None:
    """Worker: delete the account's secret; with `remove`, the account too."""
    secrets.delete(name)
    if remove:
        try:
            (store or AccountStore()).remove(name)
        except NotFoundError:
            pass


def plain_error(
    error: BaseException,
    *,
    service_id: str,
    with_key: bool = False,
    with_password: bool = False,
    with_code: bool = False,
    base_url: str = "",
) -> str:
    """A sentence for the sign-in dialog: what went wrong and what to do; never a traceback or a secret.
    `with_code`: the password was right before and a two-factor code went with it this time."""
    entry = service(service_id)
    host = urlsplit(base_url).netloc or base_url or "the server"
    if isinstance(error, CancelledError):
        return "Sign-in was cancelled."
    if isinstance(error, KeyringUnavailableError):
        return str(error)
    if isinstance(error, SecondFactorRequired):
        where = f" sent to {error.hint}" if error.hint else ""
        return (
            f"Enter the code{where} by text message."
            if error.method == "sms"
            else "Enter the code your authenticator app shows for this portal."
        )
    if isinstance(error, AuthenticationError):
        if with_key and entry.texts.key_rejected:
            return entry.texts.key_rejected
        if with_code:
            return (
                f"{entry.name} did not accept this two-factor code. Check it (a new one may be showing) and try again."
            )
        if with_password:
            return (
                f"{entry.name} did not accept this user name and password. Check both (the user name "
                "may also be your e-mail address) and try again."
            )
        text = str(error)
        if "refused in the browser" in text:
            return "Access was not allowed in the browser. Try again and choose Allow."
        return text
    if isinstance(error, NetworkError):
        return f"Cannot connect to {host}. Check the address and your internet connection. ({error})"
    if isinstance(error, (ProtocolError, NotFoundError)):
        return f"{host} did not answer like {entry.name}'s API. Check the address (for example {entry.url_example})."
    if isinstance(error, AttacheError):
        return str(error)
    log.error("sign-in failed unexpectedly", exc_info=error)
    return f"Something went wrong while signing in ({type(error).__name__}). The details are in the log."
