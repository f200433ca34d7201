"""The SuperOffice sandbox as a plug-in of the common server (`attache.sandbox.common`).

The base URL is the tenant's REST base, `http://HOST:PORT/Cust12345/api` (the registry's
`base_includes_api_path` with `api_path` "/api"); `…/api/v1/…` are the calls.

Options (SandboxServer keywords): `seed`; `tenant` (the context identifier, "Cust12345");
`client_id` and `client_secret` (the registered Online app: Application ID and application
token); `page_cap` (the most rows a list answers at once, 200); `max_document_size` (CRM
Online's 94.4 MB); `token_ttl` (seconds an issued access token lives, 3600).
`server.demo_user` / `server.demo_password` sign in with Basic; `server.token` is a Bearer
token for the same user; `server.oidc` is the OpenID provider (`expire_access_tokens()`).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from attache.sandbox.common.plugin import Checkpoint
from attache.sandbox.superoffice import seed as seeding
from attache.sandbox.superoffice.app import create_app
from attache.sandbox.superoffice.errors import SuperofficeFaultShapes
from attache.sandbox.superoffice.oidc import OpenIdProvider
from attache.sandbox.superoffice.store import STORE_FILE, Store

DEMO_CLIENT_ID = "attache-sandbox-client"
DEMO_CLIENT_SECRET = "attache-sandbox-app-token"


@dataclass
class SuperofficeState:
    oidc: OpenIdProvider
    demo_user: str = seeding.DEMO_USER
    demo_password: str = seeding.DEMO_PASSWORD

    @property
    def demo_login(self) -> str:
        """The demo user's user name (as ONLYOFFICE's plug-in names its own)."""
        return self.demo_user

    @property
    def password(self) -> str:
        return self.demo_password


class SuperofficeSandbox:
    service_id = "superoffice"
    name = "SuperOffice"
    data_file = STORE_FILE
    fault_shapes = SuperofficeFaultShapes()
    option_defaults: Mapping[str, Any] = {
        "seed": 1,
        "tenant": "Cust12345",
        "client_id": DEMO_CLIENT_ID,
        "client_secret": DEMO_CLIENT_SECRET,
        "page_cap": 200,
        "max_document_size": 94_400_000,
        "token_ttl": 3600.0,
    }

    def check_options(self, options: Mapping[str, Any]) -> None:
        for name in ("page_cap", "max_document_size", "token_ttl"):
            if not options[name] or options[name] <= 0:
                raise ValueError(f"{name} must be positive")
        tenant = str(options["tenant"])
        if not (tenant.lower().startswith("cust") and tenant[4:].isdigit()):
            raise ValueError("tenant must look like Cust12345")

    def api_prefix(self, options: Mapping[str, Any]) -> str:
        return f"/{options['tenant']}/api"

    def new_state(self, options: Mapping[str, Any]) -> SuperofficeState:
        provider = OpenIdProvider(
            tenant=options["tenant"],
            client_id=options["client_id"],
            client_secret=options["client_secret"],
            access_lifetime=options["token_ttl"],
        )
        return SuperofficeState(oidc=provider)

    def clone_seeded(self, data_dir: Path, options: Mapping[str, Any], checkpoint: Checkpoint) -> None:
        seeding.clone_seeded(data_dir, seed=options["seed"], checkpoint=checkpoint)

    def open_store(self, data_dir: Path) -> Store:
        return Store(data_dir)

    def build_app(self, store: Store, state: SuperofficeState, *, token: str, options: Mapping[str, Any]) -> Any:
        state.oidc.store = store
        return create_app(store, state.oidc, token=token, options=dict(options))

    def announce(self, server: Any) -> list[str]:
        return [
            f"sign in (Basic, as Onsite): user {server.demo_user}, password {server.demo_password}",
            f"token (Bearer, as the same user): {server.token}",
            f"Online sign-in: {server.root_url}/login/.well-known/openid-configuration"
            f" (client id {server.client_id}, application token {server.client_secret})",
        ]


PLUGIN = SuperofficeSandbox()
