"""Where the bytes of a three-step upload go between `generateuploadurl` and `byuploadid`.

awork hands out an Azure Blob Storage SAS URL (awork.md §5.3). Two stand-ins:
- `OwnBlobs` (default): the sandbox's own Azure-like endpoint `/blob/{container}/{id}` (Put
  Blob, Put Block, Get Block List, Put Block List; see blob_endpoint.py), with an HMAC signature
  and an expiry in the query, like a SAS (read, create and write: a resumed upload lists blocks).
- `AzuriteBlobs`: a real Azure emulator; the link step streams the blob back into the store.

Both answer `fetch()` with a blob the store owns, or None when nothing complete was uploaded.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import secrets
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Protocol
from urllib.parse import quote

from attache.sandbox.awork.store import Store

SAS_VERSION = "2024-08-04"


@dataclass(frozen=True, slots=True)
class FetchedBlob:
    blob_id: str
    size: int
    content_type: str | None


class BlobBackend(Protocol):
    url_ttl: float

    def bind(self, store: Store) -> None: ...

    def upload_url(self, upload_id: str, root_url: str, expires: datetime) -> str: ...

    async def fetch(self, upload_id: str, upload_row) -> FetchedBlob | None: ...

    # Which upload states may be linked: own blobs must have been PUT completely first;
    # Azurite's uploads are never seen by the sandbox until the link fetches them.
    linkable_states: tuple[str, ...]


def expiry_text(expires: datetime) -> str:
    return expires.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


class OwnBlobs:
    container = "uploads"
    linkable_states: tuple[str, ...] = ("complete",)

    def __init__(self, *, url_ttl: float = 3600.0) -> None:
        self.url_ttl = url_ttl
        self._key = b""
        self.received = 0  # body bytes that reached Put Blob and Put Block (tests read it)

    def bind(self, store: Store) -> None:
        # The signing key lives in the store, so upload URLs survive a restart with the same data_dir.
        key = store.get_meta("blob_key")
        if key is None:
            key = secrets.token_urlsafe(32)
            with store.transaction() as db:
                store.set_meta(db, "blob_key", key)
        self._key = key.encode()

    def signature(self, container: str, upload_id: str, se: str, sp: str) -> str:
        message = f"{container}/{upload_id}\n{se}\n{sp}".encode()
        return base64.urlsafe_b64encode(hmac.new(self._key, message, hashlib.sha256).digest()).decode().rstrip("=")

    def upload_url(self, upload_id: str, root_url: str, expires: datetime) -> str:
        se = expiry_text(expires)
        # Read too: a resumed block upload lists the blocks that arrived (Get Block List).
        sig = self.signature(self.container, upload_id, se, "rcw")
        return (
            f"{root_url}/blob/{self.container}/{upload_id}"
            f"?sv={SAS_VERSION}&sr=b&sp=rcw&se={quote(se, safe='')}&sig={quote(sig, safe='')}"
        )

    def check(self, container: str, upload_id: str, query) -> str | None:
        """None if the SAS in `query` allows writing this blob now, else the reason."""
        se, sp, sig = query.get("se"), query.get("sp", ""), query.get("sig")
        if not se or not sig:
            return "The SAS token is missing se or sig."
        if not hmac.compare_digest(sig, self.signature(container, upload_id, se, sp)):
            return "Signature did not match."
        try:
            expires = datetime.strptime(se, "%Y-%m-%dT%H:%M:%SZ").replace(tzinfo=UTC)
        except ValueError:
            return "The expiry time is not valid."
        if datetime.now(UTC) >= expires:
            return "Signed expiry time has to be after signed start time and the current time."
        if "w" not in sp and "c" not in sp:
            return "The SAS does not allow writing."
        return None

    async def fetch(self, upload_id: str, upload_row) -> FetchedBlob | None:
        if upload_row["blob"] is None:
            return None
        return FetchedBlob(upload_row["blob"], upload_row["size"], upload_row["content_type"])


class AzuriteBlobs:
    """Azure Storage emulator (or real Azure) as the upload target; azure-storage-blob is a
    dev dependency, so it is imported only when this backend is used."""

    linkable_states: tuple[str, ...] = ("pending", "complete")

    def __init__(
        self,
        endpoint: str,
        account: str,
        key: str,
        *,
        container: str = "attache-uploads",
        url_ttl: float = 3600.0,
        delete_after_fetch: bool = True,
    ) -> None:
        self.endpoint = endpoint.rstrip("/")
        self.account, self.key, self.container = account, key, container
        self.url_ttl = url_ttl
        self.delete_after_fetch = delete_after_fetch
        self._store: Store | None = None

    def bind(self, store: Store) -> None:
        self._store = store
        from azure.core.exceptions import ResourceExistsError
        from azure.storage.blob import BlobServiceClient

        credential = {"account_name": self.account, "account_key": self.key}
        with BlobServiceClient(account_url=self.endpoint, credential=credential) as service:
            try:
                service.create_container(self.container)
            except ResourceExistsError:
                pass

    def _sas(self, upload_id: str, expires: datetime, **permissions: bool) -> str:
        from azure.storage.blob import BlobSasPermissions, generate_blob_sas

        return generate_blob_sas(
            account_name=self.account,
            container_name=self.container,
            blob_name=upload_id,
            account_key=self.key,
            permission=BlobSasPermissions(**permissions),
            expiry=expires,
        )

    def blob_url(self, upload_id: str) -> str:
        return f"{self.endpoint}/{self.container}/{upload_id}"

    def upload_url(self, upload_id: str, root_url: str, expires: datetime) -> str:
        return f"{self.blob_url(upload_id)}?{self._sas(upload_id, expires, read=True, create=True, write=True)}"

    async def fetch(self, upload_id: str, upload_row) -> FetchedBlob | None:
        import httpx

        assert self._store is not None, "bind() first"
        store = self._store
        expires = datetime.now(UTC) + timedelta(minutes=15)
        url = f"{self.blob_url(upload_id)}?{self._sas(upload_id, expires, read=True, delete=True)}"
        incoming: Path = store.incoming_path("azurite-")
        size = 0
        async with httpx.AsyncClient(timeout=httpx.Timeout(30.0, read=120.0)) as client:
            async with client.stream("GET", url) as response:
                if response.status_code == 404:
                    return None
                response.raise_for_status()
                content_type = response.headers.get("content-type")
                try:
                    with incoming.open("wb") as out:
                        async for chunk in response.aiter_bytes(1 << 20):
                            out.write(chunk)
                            size += len(chunk)
                except BaseException:
                    incoming.unlink(missing_ok=True)
                    raise
            blob_id = store.adopt_blob(incoming)
            if self.delete_after_fetch:
                await client.delete(url)
        return FetchedBlob(blob_id, size, content_type)
