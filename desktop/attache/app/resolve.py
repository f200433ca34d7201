"""Which account a headless command means: `--account NAME`, the only saved account, or `--url`
with the token in $ATTACHE_TOKEN — for one service (`--service`, default the registry's first)."""

from __future__ import annotations

import os

from attache.app.connections import TOKEN_ENV, Connection, saved_account_connection, token_connection
from attache.core.accounts import Account, AccountStore
from attache.core.errors import AttacheError, InvalidInputError
from attache.core.services import DEFAULT_SERVICE, service


def resolve_connection(
    *, service_id: str | None, account: str | None, url: str | None, options: dict[str, str] | None = None
) -> Connection:
    """A saved account when one is named (or nothing else is given), else the URL with the token.
    `options` are account settings given for this command: a saved account remembers them."""
    token = os.environ.get(TOKEN_ENV, "").strip()
    if account or (not token and not url):
        chosen = choose_account(account, service_id)
        store = AccountStore()
        for key, value in (options or {}).items():
            chosen = store.set_option(chosen.name, key, value)
        return saved_account_connection(chosen)
    entry = service(service_id or DEFAULT_SERVICE)
    if not token:
        where = f" ({entry.texts.key_hint})" if entry.texts.key_hint else ""
        raise AttacheError(f"No {entry.name} token: set {TOKEN_ENV} to an {entry.texts.key_name}{where}")
    if not (url or entry.default_url):
        raise InvalidInputError(f"Give {entry.name}'s address with --url (for example {entry.url_example})")
    return token_connection(entry.id, url or entry.default_url, token, options=options)


def choose_account(name: str | None, service_id: str | None = None) -> Account:
    store = AccountStore()
    if name:
        account = store.get(name)
        if service_id and account.service != service_id:
            raise InvalidInputError(
                f"{name} is a {service(account.service).name} account, not {service(service_id).name}"
            )
        return account
    accounts = [a for a in store.list() if not service_id or a.service == service_id]
    if len(accounts) == 1:
        return accounts[0]
    if accounts:
        raise AttacheError(f"Choose an account with --account NAME ({', '.join(a.name for a in accounts)})")
    entry = service(service_id or DEFAULT_SERVICE)
    raise AttacheError(
        f"No account yet: run 'attache account add NAME' and 'attache login NAME', "
        f"or set {TOKEN_ENV} to an {entry.name} {entry.texts.key_name}"
    )
