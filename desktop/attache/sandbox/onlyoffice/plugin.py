"""The ONLYOFFICE sandbox as a plug-in of the common server (`attache.sandbox.common`).

Options (SandboxServer keywords): `seed`; `token_ttl` (seconds a signed-in token lives);
`max_upload_size` (the single-request limit, 100 MiB as shipped); `chunk_size` (a chunked
upload's chunk, 10 MiB as shipped; a multiple of 512); `max_chunked_size`; `session_ttl`
(seconds a chunked session lives after its last chunk). Test hooks: `server.tokens.expire_all()`
ends every signed-in session at once, `server.expire_upload_sessions()` every chunked one.
`server.owner_id`, `server.demo_login`, `server.tfa_login` and `server.password` name the demo users.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from attache.sandbox.common.plugin import Checkpoint
from attache.sandbox.onlyoffice import seed as seeding
from attache.sandbox.onlyoffice.app import create_app
from attache.sandbox.onlyoffice.auth import Tokens, default_ttl
from attache.sandbox.onlyoffice.faults import OnlyofficeFaultShapes
from attache.sandbox.onlyoffice.store import STORE_FILE, Store
from attache.sandbox.onlyoffice.tfa import TFA_SECRET

MiB = 1024 * 1024


@dataclass
class OnlyofficeState:
    tokens: Tokens
    store: Store | None = field(default=None)
    tfa_secret: str = TFA_SECRET
    password: str = seeding.DEMO_PASSWORD

    def _user(self, index: int) -> str:
        if self.store is None:
            raise RuntimeError("The sandbox is not running.")
        rows = self.store.read("SELECT user_name FROM users ORDER BY created")
        return str(rows[index]["user_name"])

    def expire_upload_sessions(self) -> None:
        """End every chunked session now (a test hook: the session's time ran out)."""
        if self.store is not None:
            with self.store.transaction() as db:
                db.execute("UPDATE upload_sessions SET expires=0")

    @property
    def owner_id(self) -> str:
        if self.store is None:
            raise RuntimeError("The sandbox is not running.")
        return self.store.get_meta("owner_id") or ""

    @property
    def demo_login(self) -> str:
        """The portal owner's user name: signs in with `password` alone."""
        return self._user(0)

    @property
    def tfa_login(self) -> str:
        """A user whose sign-in asks for an authenticator code (`tfa.totp(tfa_secret)`)."""
        return self._user(seeding.TFA_USER)


class OnlyofficeSandbox:
    service_id = "onlyoffice"
    name = "ONLYOFFICE"
    data_file = STORE_FILE
    fault_shapes = OnlyofficeFaultShapes()
    option_defaults: Mapping[str, Any] = {
        "seed": 1,
        "token_ttl": default_ttl(),
        "max_upload_size": 100 * MiB,
        "chunk_size": 10 * MiB,
        "max_chunked_size": 100 * 1024 * MiB,
        "session_ttl": 12 * 3600.0,
    }

    def check_options(self, options: Mapping[str, Any]) -> None:
        for name in ("token_ttl", "max_upload_size", "chunk_size", "max_chunked_size", "session_ttl"):
            if not options[name] or options[name] <= 0:
                raise ValueError(f"{name} must be positive")
        if options["chunk_size"] % 512:
            raise ValueError("chunk_size must be a multiple of 512 bytes")

    def api_prefix(self, options: Mapping[str, Any]) -> str:
        return ""  # the portal's root is the base: the API is under /api/2.0 of it

    def new_state(self, options: Mapping[str, Any]) -> OnlyofficeState:
        return OnlyofficeState(tokens=Tokens(options["token_ttl"]))

    def clone_seeded(self, data_dir: Path, options: Mapping[str, Any], checkpoint: Checkpoint) -> None:
        seeding.clone_seeded(data_dir, seed=options["seed"], checkpoint=checkpoint)

    def open_store(self, data_dir: Path) -> Store:
        return Store(data_dir)

    def build_app(self, store: Store, state: OnlyofficeState, *, token: str, options: Mapping[str, Any]) -> Any:
        state.store = store
        state.tokens.accept(token, state.owner_id)  # `--token T`: T signs in as the portal owner
        return create_app(store, state.tokens, dict(options))

    def announce(self, server: Any) -> list[str]:
        return [
            f"sign in: user {server.demo_login}, password {server.password}",
            f"two-factor demo: user {server.tfa_login}, same password, authenticator secret {server.tfa_secret}",
            f"token: {server.token}",
        ]


PLUGIN = OnlyofficeSandbox()
