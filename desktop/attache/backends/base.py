"""The one protocol every service backend implements.

It is shaped by the hardest of the three services (see docs/architecture.md):
- lists arrive page by page, so a window can show the first page at once;
- attaching a file is a plan of resumable steps (`begin_attach` → `send_content` →
  `finish_attach`), with `UploadState` carrying the server ids gained so far, so the
  transfer engine can journal them and never repeat a step whose effect already exists;
- after a crash between asking the server to link an upload and hearing its answer,
  `find_attached` recognises the file instead of linking it twice (and a new version of a
  file, `begin_attach(replacing=…)`, is recognised among the file's versions).
A backend speaks its service's wire protocol and returns core types; it knows nothing
of queues or windows.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Protocol, runtime_checkable

from attache.core.capabilities import Capability
from attache.core.models import Entity, EntityKind, EntityRef, FileRecord, FileTemplate, Page

# Called with each chunk of bytes as it goes out (or comes in): the caller counts
# progress and feeds a hash in the same pass.
ChunkObserver = Callable[[bytes], None]

# JSON-serialisable server-side state of one upload (e.g. awork's uploadId and uploadURL).
UploadState = dict[str, str]


@runtime_checkable
class UploadObserver(Protocol):
    """What the transfer engine passes to `send_content` as `on_chunk`, beyond a plain observer.

    A backend that resumes an upload reports the bytes the server already holds through `held`
    (read from the file, in file order with the sent ones, so a hash still covers every byte;
    they are neither throttled nor counted as sent), and hands each state worth keeping (an
    offset the server confirmed) to `save_state`, which journals it before the next part goes.
    Use `report_held` and `save_upload_state`: they also accept a plain `ChunkObserver`.
    """

    def __call__(self, chunk: bytes) -> None: ...

    def held(self, chunk: bytes) -> None: ...

    def save_state(self, state: UploadState) -> None: ...


@runtime_checkable
class ParallelUploadObserver(UploadObserver, Protocol):
    """An `UploadObserver` that also follows parts sent side by side (awork's blocks in parallel).

    The backend reads the file in order and reports each chunk it will send through `read_ahead`
    (hashed, source checked; from the thread that called `send_content`; a view of a buffer that
    is reused once the part is answered, so not to be kept), then, from whichever thread sends it,
    reports its bytes as they go out through `sending` (throttled, counted, cancel checked: it
    raises to stop the request). While it waits for memory to read the next part into, it calls
    `check`, which raises when the upload is stopped. Held parts still go through `held`, in file
    order with the read ones. Use `UploadReporter`, which serves a plain observer too.
    """

    def read_ahead(self, chunk: memoryview) -> None: ...

    def sending(self, size: int) -> None: ...

    def check(self) -> None: ...


class UploadReporter:
    """How a backend that sends parts side by side reports to whatever observer it was given,
    decided once (a runtime protocol check per chunk would cost more than the chunk's own work):
    the engine's `ParallelUploadObserver` hears chunks as read and bytes as sent; a plain observer
    hears each chunk once (a copy it may keep), in file order, as it is read for sending (its
    progress leads the wire by the parts in flight); with none, nothing is reported."""

    def __init__(self, on_chunk: ChunkObserver | None) -> None:
        self.observer = on_chunk
        self.read_ahead: Callable[[memoryview], None] = _ignore
        self.sending: Callable[[int], None] = _ignore
        self.check: Callable[[], None] = _nothing
        if isinstance(on_chunk, ParallelUploadObserver):
            self.read_ahead, self.sending, self.check = on_chunk.read_ahead, on_chunk.sending, on_chunk.check
        elif on_chunk is not None:
            plain = on_chunk
            self.read_ahead = lambda chunk: plain(bytes(chunk))

    def held(self, chunk: bytes) -> None:
        report_held(self.observer, chunk)

    def save_state(self, state: UploadState) -> None:
        save_upload_state(self.observer, state)


def _ignore(_: object) -> None:
    pass


def _nothing() -> None:
    pass


def report_held(on_chunk: ChunkObserver | None, chunk: bytes) -> None:
    """`chunk` is already on the server: tell the engine so, or a plain observer as if sent."""
    if isinstance(on_chunk, UploadObserver):
        on_chunk.held(chunk)
    elif on_chunk is not None:
        on_chunk(chunk)


def save_upload_state(on_chunk: ChunkObserver | None, state: UploadState) -> None:
    """Keep `state` (the server's progress) in the journal now, where there is one."""
    if isinstance(on_chunk, UploadObserver):
        on_chunk.save_state(state)


@dataclass(frozen=True, slots=True)
class ImageRules:
    """What a service accepts for a profile image."""

    max_bytes: int
    mime_types: frozenset[str]


@runtime_checkable
class Backend(Protocol):
    service: str  # "awork", "onlyoffice", "superoffice"
    account: str  # the account's display name, used in messages

    def capabilities(self, kind: EntityKind) -> Capability: ...

    def image_rules(self, kind: EntityKind) -> ImageRules: ...

    # ---- browsing ----
    def workspace(self) -> Entity: ...

    def iter_pages(
        self, kind: EntityKind, *, parent: EntityRef | None = None, page_size: int = 200, search: str | None = None
    ) -> Iterator[Page[Entity]]:
        """The list page by page; `search` asks the service to keep only matching entities
        (a backend whose service cannot search on the server may ignore it)."""
        ...

    def get_entity(self, ref: EntityRef) -> Entity: ...

    # ---- profile images ----
    def get_image(
        self, ref: EntityRef, *, width: int | None = None, height: int | None = None, crop: bool = False
    ) -> bytes | None:
        """The image bytes, or None when the entity has no image."""
        ...

    def set_image(self, ref: EntityRef, source: Path, *, on_chunk: ChunkObserver | None = None) -> None: ...

    def delete_image(self, ref: EntityRef) -> None: ...

    # ---- files ----
    def list_files(self, ref: EntityRef) -> list[FileRecord]: ...

    def download_file(self, ref: EntityRef, file_id: str, dest: Path, *, on_chunk: ChunkObserver | None = None) -> Path:
        """Stream the file's latest version to `dest` (a file path, or a folder to put it in)."""
        ...

    def delete_file(self, ref: EntityRef, file_id: str) -> None: ...

    def file_thumbnail(self, ref: EntityRef, file_id: str, size: int) -> bytes | None:
        """A small preview of an image file, fitted in size × size pixels by the service; None when
        there is none to be had (not a picture, too large an answer).

        Only called when `capabilities(ref.kind)` has `Capability.FILE_THUMBNAILS`; a backend
        without it may raise `UnsupportedError`.
        """
        ...

    def file_templates(self) -> list[FileTemplate]:
        """The templates uploads can be filed under, the one in use marked; raises
        `FileTemplateGoneError` (carrying the live ones) when the account's choice was deleted.

        Only called where a kind has `Capability.FILE_TEMPLATES`; a backend without it raises
        `UnsupportedError`.
        """
        ...

    def use_file_template(self, template_id: str) -> None:
        """The next uploads are filed under this template ("" for the service's default); those
        already begun keep theirs. Raises `UnsupportedError` without `Capability.FILE_TEMPLATES`."""
        ...

    def begin_attach(self, ref: EntityRef, name: str, size: int, *, replacing: str | None = None) -> UploadState:
        """The first step of an upload. With `replacing` (a file id of `ref`), the upload becomes a
        new version of that file rather than a file of its own: its `send_content` makes the version
        and, called again after a lost answer, recognises the one it made instead of adding another;
        `finish_attach` then only reads the file back. Raises `UnsupportedError` (the capability
        table's sentence) where the kind has no `Capability.FILE_VERSIONS`."""
        ...

    def send_content(
        self, state: UploadState, source: Path, size: int, *, on_chunk: ChunkObserver | None = None
    ) -> UploadState:
        """Put the file's bytes where `state` says. Called again with the journaled `state` after a
        pause, a retry or a crash: a backend whose kinds have `Capability.RESUME_UPLOADS` asks the
        server what it holds and sends only the rest (reporting the rest through `report_held`);
        one without starts again from byte 0."""
        ...

    def finish_attach(self, ref: EntityRef, state: UploadState, name: str) -> FileRecord: ...

    def find_attached(self, ref: EntityRef, state: UploadState, name: str, size: int) -> FileRecord | None: ...

    def stop_retrying(self) -> None:
        """Give up the retry pauses of requests in flight: called as the account closes, before
        `close()` waits for them, so a server that is down does not hold the window for seconds."""
        ...

    def close(self) -> None: ...


# A service's secret as the keyring keeps it: {"type": "api_key", "api_key": …}, OAuth tokens, …
Secret = dict[str, Any]
SaveSecret = Callable[[Secret], None]


class Connector(Protocol):
    """What a service's backend module offers the app layer (the registry entry names the module)."""

    def open_backend(
        self,
        base_url: str,
        secret: Mapping[str, Any],
        *,
        account: str,
        save_secret: SaveSecret | None = None,
        quick: bool = False,
        options: Mapping[str, str] | None = None,
    ) -> Backend:
        """A backend signed in with `secret`; `save_secret` keeps rotated tokens; `quick` retries
        at most once (a person is waiting for a sign-in check); `options` are the account's
        remembered, non-secret settings (`Account.options`, e.g. a chosen document template)."""
        ...

    def secret_from_token(self, token: str) -> Secret:
        """The secret for a token given on the command line or in $ATTACHE_TOKEN."""
        ...

    def password_sign_in(
        self, base_url: str, *, user: str, password: str, code: str | None = None, remember_password: bool = False
    ) -> Secret:
        """Exchange a user name (or e-mail) and password for the service's secret; raises
        `SecondFactorRequired` when a one-time code is needed, then is called again with `code`.
        With `remember_password` the secret keeps the password, so an expired token is renewed
        without asking (only where the registry entry offers SignIn.PASSWORD)."""
        ...

    def browser_sign_in(
        self,
        base_url: str,
        *,
        open_url: Callable[[str], object],
        previous: Mapping[str, Any],
        timeout: float,
        cancelled: Callable[[], bool],
        options: Mapping[str, str] | None = None,
    ) -> Secret:
        """Sign in in the system browser; `previous` is the old secret (to reuse a registration);
        `options` the account's settings (a registered app's `client_id`) and, for this call only,
        a `client_secret` the user gave (it ends up in the secret, never in the account)."""
        ...


def attach_file(
    backend: Backend,
    ref: EntityRef,
    source: Path,
    *,
    name: str | None = None,
    on_chunk: ChunkObserver | None = None,
    replacing: str | None = None,
) -> FileRecord:
    """Run every step of an upload in one go, without a journal (the engine adds one)."""
    size = source.stat().st_size
    name = name or source.name
    state = backend.begin_attach(ref, name, size, replacing=replacing)
    state = backend.send_content(state, source, size, on_chunk=on_chunk)
    return backend.finish_attach(ref, state, name)
