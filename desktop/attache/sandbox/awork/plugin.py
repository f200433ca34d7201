"""The awork sandbox as a plug-in of the common server (`attache.sandbox.common`)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from attache.sandbox.awork import seed as seeding
from attache.sandbox.awork.app import API_PREFIX, create_app
from attache.sandbox.awork.blobs import BlobBackend, OwnBlobs
from attache.sandbox.awork.faults import AworkFaultShapes
from attache.sandbox.awork.oauth import OAuthProvider
from attache.sandbox.awork.store import STORE_FILE, Store
from attache.sandbox.common.plugin import Checkpoint


@dataclass
class AworkState:
    """What lives as long as the server: `server.oauth`, `server.blobs`, and the demo's ids."""

    oauth: OAuthProvider = field(default_factory=OAuthProvider)  # its access tokens work like the API key
    blobs: BlobBackend = field(default_factory=OwnBlobs)
    store: Store | None = None

    def _meta(self, key: str) -> str:
        if self.store is None:
            raise RuntimeError("The sandbox is not running.")
        return self.store.get_meta(key) or ""

    @property
    def workspace_id(self) -> str:
        return self._meta("workspace_id")

    @property
    def me_id(self) -> str:
        return self._meta("me_user_id")


class AworkSandbox:
    service_id = "awork"
    name = "awork"
    data_file = STORE_FILE
    fault_shapes = AworkFaultShapes()
    option_defaults: Mapping[str, Any] = {
        "scale": None,  # N generated tasks instead of the demo's
        "people": 0,  # N more colleagues, each with a picture
        "seed": 1,
        "blob_backend": None,  # where three-step uploads go (default: the sandbox's own endpoint)
        "upload_url_ttl": 3600.0,
    }

    def check_options(self, options: Mapping[str, Any]) -> None:
        seeding.check_sizes(options["scale"], options["people"])

    def api_prefix(self, options: Mapping[str, Any]) -> str:
        return API_PREFIX

    def new_state(self, options: Mapping[str, Any]) -> AworkState:
        return AworkState(blobs=options["blob_backend"] or OwnBlobs(url_ttl=options["upload_url_ttl"]))

    def clone_seeded(self, data_dir: Path, options: Mapping[str, Any], checkpoint: Checkpoint) -> None:
        seeding.clone_seeded(
            data_dir, seed=options["seed"], scale=options["scale"], people=options["people"], checkpoint=checkpoint
        )

    def open_store(self, data_dir: Path) -> Store:
        return Store(data_dir)

    def build_app(self, store: Store, state: AworkState, *, token: str, options: Mapping[str, Any]) -> Any:
        state.store = store
        state.blobs.bind(store)
        return create_app(store, state.blobs, token=token, oauth=state.oauth)

    def announce(self, server: Any) -> list[str]:
        return [f"token: {server.token}"]


PLUGIN = AworkSandbox()
