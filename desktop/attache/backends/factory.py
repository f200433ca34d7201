"""Open the backend for a saved account, with its secret from the store.

The one place that knows how an account's secret becomes a working session: an API key is
sent as is; OAuth tokens go through a TokenManager that refreshes ahead of expiry and after a
401, saving each rotated pair back to the store before it is used.
"""

from __future__ import annotations

from attache.backends.base import Backend
from attache.core.accounts import Account
from attache.core.errors import AuthenticationError, UnsupportedError
from attache.credentials import SecretStore


def open_backend(account: Account, secrets: SecretStore) -> Backend:
    if account.service != "awork":
        raise UnsupportedError(f"{account.service} accounts are not supported yet")
    from attache.backends.awork import AworkBackend

    secret = secrets.load(account.name)
    if not secret:
        raise AuthenticationError(f"No sign-in is stored for {account.name}: sign in again", account=account.name)
    if secret.get("type") == "oauth":
        from attache.backends.awork_oauth import TokenManager

        tokens = TokenManager(account.base_url, account.name, secret,
                              save=lambda fresh: secrets.save(account.name, fresh))
        return AworkBackend(account.base_url, token=tokens.access_token, refresh=tokens.refresh_after_rejection,
                            account=account.name)
    api_key = secret.get("api_key")
    if not api_key:
        raise AuthenticationError(f"The stored sign-in for {account.name} is incomplete: sign in again",
                                  account=account.name)
    return AworkBackend(account.base_url, token=api_key, account=account.name)
