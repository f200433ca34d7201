"""ONLYOFFICE Workspace (Community Server) REST API 2.0 behind the `Backend` protocol.

Wire facts (see shared/contracts/onlyoffice.md, whose corrections to the spec are followed):
- the base URL is the portal's root, the API lives under `/api/2.0`; JSON is camelCase;
- every answer is an envelope `{count, startIndex, nextIndex, total, status, statusCode, response,
  error}`; `status: 1` is an error whatever the HTTP status; an unauthenticated call gets a
  plain-text `Unauthorized` 401; every successful POST answers 201;
- a token from `POST /api/2.0/authentication` is sent as `Authorization: <token>`;
- lists page with `startIndex`/`count` (≤ 1000); `nextIndex` is one too far, so the offset counts
  the items received;
- a task file is uploaded into the project's Documents folder (one multipart request, or a chunked
  session of 10 MiB parts whose handler answers `{success, data, message}`), then attached by id;
  the session's confirmed offset is journaled after each part, so an interrupted upload resumes
  while the session lives (the portal cannot be asked how far a session got).
"""

from __future__ import annotations

import json
import mimetypes
import threading
import time
from collections.abc import Callable, Iterator, Mapping
from contextlib import suppress
from datetime import UTC, datetime
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit, urlunsplit

import httpx
from httpx_retries import Retry

from attache.backends.auth import RawTokenAuth
from attache.backends.base import ChunkObserver, ImageRules, SaveSecret, Secret, UploadState, save_upload_state
from attache.backends.errors import ErrorRule, ErrorTable, decode_json, host_of, looks_like_html
from attache.backends.http import make_client, quick_retry
from attache.backends.paging import OffsetEnvelopePaging, QueryValue
from attache.backends.rest import RestClient, quoted_path
from attache.backends.streams import (
    FileSlice,
    ObservedReader,
    download_target,
    local_file_size,
    open_unchanged,
    plan_chunks,
    report_held_range,
)
from attache.backends.wire import parse_datetime
from attache.core.capabilities import Capability
from attache.core.errors import (
    AttacheError,
    AuthenticationError,
    InvalidInputError,
    NotFoundError,
    PermissionDeniedError,
    ProtocolError,
    SecondFactorRequired,
    ServerError,
    TooLargeError,
    TransientError,
    UnsupportedError,
    UploadExpiredError,
)
from attache.core.models import Entity, EntityKind, EntityRef, FileRecord, FileTemplate, FileVersion, Page
from attache.core.services import ONLYOFFICE

SERVICE = ONLYOFFICE.id
API = "api/2.0"

MAX_PAGE_SIZE = 1000  # the portal's maxPage (onlyoffice.md §2.2)
SINGLE_UPLOAD_LIMIT = 100 * 1024 * 1024  # web.available-file-size default (§3.2)
UPLOAD_CHUNK_SIZE = 10 * 1024 * 1024  # files.uploader.chunk-size; every part but the last exactly this (§3.3)
SESSION_MARGIN = 60.0  # seconds: a session this close to its expiry is not resumed (a part takes time)
PHOTO_LIMIT_BYTES = 5 * 1024 * 1024  # web.max-upload-size as shipped (§4.1)
PHOTO_MIME_TYPES = frozenset({"image/png", "image/jpeg"})

_K = EntityKind

# Status meanings the generic mapping does not give (§5): 402 is a portal not paid or suspended.
_ERRORS = ErrorTable(
    statuses={
        402: ErrorRule(
            PermissionDeniedError, "The {service} portal is suspended or not paid for: ask its administrator"
        ),
    }
)

_PAGING = OffsetEnvelopePaging(max_page_size=MAX_PAGE_SIZE)

# kind → (list path, fixed query)
_LISTS: dict[EntityKind, tuple[str, Mapping[str, QueryValue]]] = {
    _K.PROJECT: ("project/filter", {}),
    _K.TASK: ("project/task/filter", {}),
    _K.USER: ("people/filter", {}),
    _K.COMPANY: ("crm/contact/filter", {"contactListView": "company"}),
    _K.CONTACT_PERSON: ("crm/contact/filter", {"contactListView": "person"}),
}

# ThumbnailsDataWrapper keys by edge length in pixels (§4.1).
_USER_PHOTO_SIZES = (("small", 32), ("medium", 48), ("big", 82), ("max", 200), ("retina", 360), ("original", 1280))
# EmployeeWraperFull's own photo fields, when the thumbnails call is not there.
_USER_PHOTO_FIELDS = (("avatarSmall", 32), ("avatarMedium", 48), ("avatar", 82))
# Contact JSON photo fields (ContactPhotoManager sizes, §4.2).
_CONTACT_PHOTO_FIELDS = (("smallFotoUrl", 40), ("mediumFotoUrl", 82))


class PortalClient(RestClient):
    """What every call to a portal shares: the envelope, its errors, pages, the API's paths."""

    service_name = ONLYOFFICE.name
    capability_table = ONLYOFFICE.capabilities
    errors = _ERRORS
    paging = _PAGING

    def _url(self, path_or_url: str) -> str:
        """An API path (`people/@self`), a portal-relative URL (`/storage/…`) or a full one."""
        if path_or_url.startswith(("http://", "https://")):
            return path_or_url
        if path_or_url.startswith("/"):
            root, there = urlsplit(self.base_url), urlsplit(path_or_url)
            return urlunsplit((root.scheme, root.netloc, there.path, there.query, ""))
        return f"{self.base_url}/{API}/{quoted_path(path_or_url.lstrip('/'))}"

    def _json(self, method: str, path: str, *, not_found: str | None = None, **kwargs: Any) -> Any:
        response = self._send(method, path, not_found=not_found, **kwargs)
        return self._envelope(response, not_found=not_found).get("response")

    def _decode(self, response: httpx.Response) -> Any:
        return self._envelope(response).get("response")

    def _page_body(self, response: httpx.Response) -> Any:
        body = self._envelope(response)
        if not isinstance(body.get("response"), list) and not body.get("count"):
            body = {**body, "response": []}  # a null result comes as {} with count 0
        return body

    def _envelope(self, response: httpx.Response, *, not_found: str | None = None) -> dict[str, Any]:
        if looks_like_html(response):
            raise self._not_the_api(response)
        try:
            body = decode_json(response, service=self.service_name)
        except (ValueError, UnicodeDecodeError):
            raise self._not_the_api(response) from None
        if not isinstance(body, dict) or "status" not in body:
            raise self._not_the_api(response)
        if body.get("status") == 1:
            raise self._envelope_error(response, body, not_found=not_found)
        return body

    def _envelope_error(
        self, response: httpx.Response, body: Mapping[str, Any], *, not_found: str | None = None
    ) -> AttacheError:
        """An error envelope that came with a success status: mapped as if the status were its statusCode."""
        code = body.get("statusCode")
        status = code if isinstance(code, int) and 400 <= code < 600 else 500
        as_error = httpx.Response(status, headers=response.headers, content=response.content, request=response.request)
        return self._error(as_error, not_found=not_found)

    def _error(self, response: httpx.Response, *, not_found: str | None = None) -> AttacheError:
        if looks_like_html(response) and response.status_code in (400, 404, 405):
            return self._not_the_api(response)
        return super()._error(response, not_found=not_found)

    def _not_the_api(self, response: httpx.Response) -> ProtocolError:
        return ProtocolError(
            f"{host_of(response.request)} did not answer as an ONLYOFFICE portal: is {self.base_url} "
            "the address of your ONLYOFFICE Workspace?",
            detail=f"{response.request.method} {response.request.url.path} -> {response.status_code} "
            f"{response.headers.get('content-type', '')}: {response.text[:200]!r}",
            status=response.status_code,
        )


# ---------------------------------------------------------------------- sign-in


def password_sign_in(
    base_url: str, *, user: str, password: str, code: str | None = None, remember_password: bool = False
) -> Secret:
    """A token for `user` (a user name or e-mail); `SecondFactorRequired` when the portal wants a code,
    then called again with `code`. With `remember_password` the secret keeps the credentials so an
    expired token is renewed without asking."""
    with make_client(base_url.rstrip("/"), retry=quick_retry()) as client:  # no token yet
        data = _authenticate(PortalClient(base_url, account=user, client=client), user, password, code)
    secret: Secret = {"type": "token", "token": data["token"], "expires": str(data.get("expires") or "")}
    if remember_password:
        secret.update(user=user, password=password)
    return secret


def _authenticate(portal: PortalClient, user: str, password: str, code: str | None) -> dict[str, Any]:
    path = f"authentication/{code.strip()}" if code else "authentication"
    try:
        data = portal._json("POST", path, json={"userName": user, "password": password})
    except (ServerError, PermissionDeniedError, NotFoundError, AuthenticationError) as error:
        raise _sign_in_refused(error, user, bool(code)) from error
    if not isinstance(data, dict):
        raise ProtocolError("ONLYOFFICE answered the sign-in with something else than a token", detail=repr(data)[:200])
    if data.get("token"):
        return data
    if code:
        raise AuthenticationError("ONLYOFFICE did not accept the two-factor code: check it and try again", account=user)
    if data.get("sms") or data.get("tfa"):
        method = "sms" if data.get("sms") else "app"
        hint = str(data.get("phoneNoise") or "")
        where = f"a text message to {hint}" if method == "sms" and hint else "your authenticator app"
        raise SecondFactorRequired(
            f"ONLYOFFICE wants the one-time code from {where}", method=method, hint=hint, account=user
        )
    raise ProtocolError("ONLYOFFICE accepted the sign-in but sent no token", detail=f"keys: {sorted(data)}")


def _sign_in_refused(error: AttacheError, user: str, with_code: bool) -> AuthenticationError:
    said = error.detail.lower()
    if "too many" in said:
        message = "ONLYOFFICE has locked sign-in after too many attempts: wait a while, then try again"
    elif with_code:
        message = "ONLYOFFICE did not accept the two-factor code: check it and try again"
    elif "authentication failed" in said or isinstance(error, AuthenticationError):
        message = f"ONLYOFFICE did not accept the user name or e-mail “{user}” with this password"
    elif isinstance(error, PermissionDeniedError):
        message = f"ONLYOFFICE refused the sign-in from here: {error}"
    else:
        message = f"ONLYOFFICE refused the sign-in: {error}"
    return AuthenticationError(message, account=user, detail=error.detail, status=error.status)


class TokenKeeper:
    """The account's token; with a remembered password, a new one after a rejection (or expiry).

    A new secret is saved before it is used. Requests rejected with the same token share one
    new sign-in.
    """

    def __init__(self, base_url: str, account: str, secret: Mapping[str, Any], save: SaveSecret | None) -> None:
        self._base_url = base_url
        self._account = account
        self._secret = dict(secret)
        self._save = save
        self._lock = threading.Lock()

    def token(self) -> str:
        if self._expired() and self.can_renew:
            self.renew_after_rejection(str(self._secret.get("token") or ""))
        return str(self._secret.get("token") or "")

    @property
    def can_renew(self) -> bool:
        return bool(self._secret.get("user") and self._secret.get("password"))

    def _expired(self) -> bool:
        expires = parse_datetime(str(self._secret.get("expires") or ""))
        return expires is not None and expires <= datetime.now(UTC)

    def renew_after_rejection(self, rejected: str) -> bool:
        """Sign in again with the remembered password, once for every request refused `rejected`.
        False when there is no password or the portal no longer takes it."""
        with self._lock:
            if str(self._secret.get("token") or "") != rejected:
                return True  # another request renewed it meanwhile
            if not self.can_renew:
                return False
            user, password = str(self._secret["user"]), str(self._secret["password"])
            try:
                fresh = password_sign_in(self._base_url, user=user, password=password, remember_password=True)
            except AuthenticationError:  # password changed, two-factor now on…: the user must sign in
                return False
            if self._save is not None:
                self._save(fresh)  # kept before it is used
            self._secret = fresh
            return True


# ---------------------------------------------------------------------- the backend


class OnlyofficeBackend(PortalClient):
    service = SERVICE

    def __init__(
        self,
        base_url: str,
        *,
        token: str | TokenKeeper,
        account: str = "ONLYOFFICE",
        retry: Retry | None = None,
        transport: httpx.BaseTransport | None = None,
        single_upload_limit: int = SINGLE_UPLOAD_LIMIT,
    ) -> None:
        """`transport` replaces the network under the retry layer (tests)."""
        self._keeper = (
            token if isinstance(token, TokenKeeper) else TokenKeeper(base_url, account, {"token": token}, None)
        )
        auth = RawTokenAuth(self._keeper.token, refresh=self._keeper.renew_after_rejection)
        client = make_client(base_url.rstrip("/"), auth=auth, retry=retry, transport=transport)
        super().__init__(base_url, account=account, client=client)
        self._own(client)
        # Photos on another server (a storage bucket) get no token.
        self._plain = self._own(make_client(retry=retry, transport=transport))
        self._single_limit = single_upload_limit
        self._portal_limit: int | None = None

    # ------------------------------------------------------------------ capabilities

    def image_rules(self, kind: EntityKind) -> ImageRules:
        self._check(kind, Capability.SET_IMAGE)
        return ImageRules(PHOTO_LIMIT_BYTES, PHOTO_MIME_TYPES)

    # ------------------------------------------------------------------ browsing

    def workspace(self) -> Entity:
        """The portal; asking for the signed-in user first is also the sign-in's check."""
        me = self._json("GET", "people/@self")
        portal: Any = {}
        with suppress(NotFoundError, PermissionDeniedError, ServerError, ProtocolError):
            portal = self._json("GET", "portal")
        return portal_entity(
            portal if isinstance(portal, dict) else {}, me if isinstance(me, dict) else {}, self.base_url
        )

    def iter_pages(
        self, kind: EntityKind, *, parent: EntityRef | None = None, page_size: int = 200, search: str | None = None
    ) -> Iterator[Page[Entity]]:
        if kind is _K.WORKSPACE:
            yield Page([self.workspace()], number=1, total=1, is_last=True)
            return
        path, params, not_found = self._list_of(kind, parent)
        if search and search.strip():
            params = {**params, "filterValue": search.strip()}
        to_entity = _MAPPERS[kind]
        for page in self._pages(path, page_size, params=params, not_found=not_found):
            items = self._records(page.items, to_entity)
            yield Page(items, number=page.number, total=page.total, is_last=page.is_last)

    def _list_of(self, kind: EntityKind, parent: EntityRef | None) -> tuple[str, Mapping[str, QueryValue], str | None]:
        if kind not in _LISTS:
            raise self._unsupported(kind, Capability.LIST)
        path, params = _LISTS[kind]
        if parent is None:
            return path, params, None
        if kind is _K.TASK and parent.kind is _K.PROJECT:
            return path, {**params, "projectid": parent.id}, f"ONLYOFFICE has no project {parent.id}"
        if kind is _K.CONTACT_PERSON and parent.kind is _K.COMPANY:
            return f"crm/contact/company/{parent.id}/person", {}, f"ONLYOFFICE has no company {parent.id}"
        raise UnsupportedError(f"ONLYOFFICE cannot list {kind.label.lower()} of a {parent.kind.singular}")

    def get_entity(self, ref: EntityRef) -> Entity:
        if ref.kind is _K.WORKSPACE:
            return self.workspace()
        not_found = f"ONLYOFFICE has no {ref}"
        if ref.kind in (_K.COMPANY, _K.CONTACT_PERSON):
            data = self._contact(ref)
        elif ref.kind in _ENTITY_PATHS:
            data = self._json("GET", f"{_ENTITY_PATHS[ref.kind]}/{ref.id}", not_found=not_found)
        else:
            raise UnsupportedError(f"ONLYOFFICE cannot show a single {ref.kind.singular}")
        if not isinstance(data, dict):
            raise ProtocolError(f"ONLYOFFICE sent no {ref.kind.singular} for {ref}", detail=repr(data)[:200])
        return _MAPPERS[ref.kind](data)

    def _contact(self, ref: EntityRef) -> dict[str, Any]:
        """A CRM contact that is the kind asked for (companies and persons share their ids)."""
        not_found = f"ONLYOFFICE has no {ref}"
        data = self._json("GET", f"crm/contact/{ref.id}", not_found=not_found)
        if not isinstance(data, dict) or bool(data.get("isCompany")) != (ref.kind is _K.COMPANY):
            raise NotFoundError(not_found)
        return data

    # ------------------------------------------------------------------ profile images

    def get_image(
        self, ref: EntityRef, *, width: int | None = None, height: int | None = None, crop: bool = False
    ) -> bytes | None:
        self._check(ref.kind, Capability.GET_IMAGE)
        wanted = max(width or 0, height or 0) or 82
        if ref.kind is _K.USER:
            urls = self._user_photo_urls(ref)
        else:
            contact = self._contact(ref)
            urls = [(str(contact.get(key) or ""), edge) for key, edge in _CONTACT_PHOTO_FIELDS]
        url = nearest_photo(urls, wanted)
        if url is None:
            return None  # the default photo: no picture of its own
        try:  # a portal's photos are at most what it accepts (web.max-upload-size)
            response = self._send("GET", url, client=self._client_for(url), max_bytes=PHOTO_LIMIT_BYTES)
        except NotFoundError:
            return None
        return self._bytes(response)

    def _user_photo_urls(self, ref: EntityRef) -> list[tuple[str, int]]:
        not_found = f"ONLYOFFICE has no {ref}"
        try:
            sizes = self._json("GET", f"people/{ref.id}/photo", not_found=not_found)
        except NotFoundError:
            sizes = None
        if isinstance(sizes, dict) and any(sizes.get(key) for key, _ in _USER_PHOTO_SIZES):
            return [(str(sizes.get(key) or ""), edge) for key, edge in _USER_PHOTO_SIZES]
        person = self._json("GET", f"people/{ref.id}", not_found=not_found)
        person = person if isinstance(person, dict) else {}
        return [(str(person.get(key) or ""), edge) for key, edge in _USER_PHOTO_FIELDS]

    def _client_for(self, url: str) -> httpx.Client | None:
        """For a URL the portal handed out (a photo, a download, an upload session): the token
        goes only to the portal itself, a storage server elsewhere gets none."""
        here, there = urlsplit(self.base_url), urlsplit(url)
        if not there.netloc or (there.scheme, there.netloc) == (here.scheme, here.netloc):
            return None
        return self._plain

    def set_image(self, ref: EntityRef, source: Path, *, on_chunk: ChunkObserver | None = None) -> None:
        self._check(ref.kind, Capability.SET_IMAGE)
        mime_type = check_photo(source)
        with open(source, "rb") as stream:
            upload = ObservedReader(stream, on_chunk)
            self._send(
                "PUT",
                f"crm/contact/{ref.id}/changephoto",
                files={"photo": (source.name, upload, mime_type)},
                not_found=f"ONLYOFFICE has no {ref}",
            )

    def delete_image(self, ref: EntityRef) -> None:
        self._check(ref.kind, Capability.DELETE_IMAGE)
        with suppress(NotFoundError):  # no photo, or no contact: nothing left to remove
            self._send("DELETE", f"crm/contact/{ref.id}/avatar")

    # ------------------------------------------------------------------ task files

    def list_files(self, ref: EntityRef) -> list[FileRecord]:
        task_id = self._task_id(ref)
        data = self._json("GET", f"project/task/{task_id}/files", not_found=f"ONLYOFFICE has no task {task_id}")
        return self._records(data if isinstance(data, list) else [], file_record)

    def download_file(self, ref: EntityRef, file_id: str, dest: Path, *, on_chunk: ChunkObserver | None = None) -> Path:
        self._task_id(ref)
        info = self._json("GET", f"files/file/{file_id}", not_found=f"ONLYOFFICE has no file {file_id}")
        if not isinstance(info, dict) or not info.get("viewUrl"):
            raise ProtocolError(f"ONLYOFFICE gave no download address for file {file_id}", detail=repr(info)[:200])
        record = self._record(info, file_record)
        target = download_target(dest, record.name, fallback=f"file-{file_id}")
        url = str(info["viewUrl"])
        return self._download(  # every attempt at this viewUrl, with the client its host gets
            url,
            target,
            on_chunk,
            expected_size=record.size,
            name=record.name,
            client=self._client_for(url),
            not_found=f"ONLYOFFICE has no file {file_id}",
        )

    def delete_file(self, ref: EntityRef, file_id: str) -> None:
        """Detach: the file stays in the project's Documents folder."""
        task_id = self._task_id(ref)
        self._send(
            "DELETE",
            f"project/task/{task_id}/files",
            params={"fileid": file_id},
            not_found=f"ONLYOFFICE has no file {file_id} on task {task_id}",
        )

    def file_thumbnail(self, ref: EntityRef, file_id: str, size: int) -> bytes | None:
        raise self._unsupported(ref.kind, Capability.FILE_THUMBNAILS)

    def file_templates(self) -> list[FileTemplate]:
        raise self._unsupported(EntityKind.TASK, Capability.FILE_TEMPLATES)

    def use_file_template(self, template_id: str) -> None:
        raise self._unsupported(EntityKind.TASK, Capability.FILE_TEMPLATES)

    # Upload into the project's folder (begin: where, and what is there already; send: the bytes,
    # one request or a chunked session), then attach by file id (finish).

    def begin_attach(self, ref: EntityRef, name: str, size: int, *, replacing: str | None = None) -> UploadState:
        if replacing is not None:
            raise self._unsupported(ref.kind, Capability.FILE_VERSIONS)
        task_id = self._task_id(ref)
        task = self._json("GET", f"project/task/{task_id}", not_found=f"ONLYOFFICE has no task {task_id}")
        task = _dict(task)
        project = _dict(task.get("project"))
        project_id = _text(_dict(task.get("projectOwner")).get("id") or project.get("id"))
        folder_id = project.get("projectFolder")
        if not folder_id and project_id:
            full = self._json("GET", f"project/{project_id}", not_found=f"ONLYOFFICE has no project {project_id}")
            folder_id = full.get("projectFolder") if isinstance(full, dict) else None
        if not folder_id:
            raise ProtocolError(
                f"ONLYOFFICE did not say which Documents folder holds the files of task {task_id}",
                detail=f"task keys {sorted(task)}, project {project_id!r}",
            )
        self._check_size(name, size)
        state: UploadState = {
            "task_id": task_id,
            "project_id": project_id,
            "folder_id": str(folder_id),
            "name": name,
            "size": str(size),
            # Files of this name there before, with their versions: a new one, or a new version of
            # one (portals that update a file of the same name), is ours.
            "existing": json.dumps(self._same_named(str(folder_id), name)),
        }
        if size > self._single_limit:  # (a lower quota limit refuses the file altogether)
            state.update(self._new_session(state))
        return state

    def send_content(
        self, state: UploadState, source: Path, size: int, *, on_chunk: ChunkObserver | None = None
    ) -> UploadState:
        if state.get("file_id"):
            return state
        with open_unchanged(source, size) as stream:
            # A run before this one may have got the whole file there and lost the answer.
            done = self.find_uploaded(state, size)
            if done is not None:
                report_held_range(stream, 0, size, on_chunk, source)
                return {**state, "file_id": done.id}
            if "session_id" not in state:
                return {**state, "file_id": self._upload_whole(state, stream, source, size, on_chunk)}
            return self._upload_chunks(state, stream, source, size, on_chunk)

    def find_uploaded(self, state: UploadState, size: int) -> FileRecord | None:
        """The file an earlier `send_content` put into the folder, if it got there: its name and size,
        and an id or version that was not there when the upload began."""
        before: dict[str, int] = json.loads(state.get("existing") or "{}")
        name = state.get("name", "")
        for record in self._folder_files(state["folder_id"], name):
            if record.name != name or record.size != size:
                continue
            version = record.latest_version.number if record.latest_version else 0
            if record.id not in before or version > before[record.id]:
                return record
        return None

    def finish_attach(self, ref: EntityRef, state: UploadState, name: str) -> FileRecord:
        task_id = self._task_id(ref)
        file_id = state.get("file_id")
        if not file_id:
            raise UploadExpiredError(f"{name} is not in ONLYOFFICE yet; it will be uploaded again")
        try:
            self._json("POST", f"project/task/{task_id}/files", json={"files": [_wire_id(file_id)]})
        except NotFoundError as error:
            self.get_entity(ref)  # "ONLYOFFICE has no task …" when it is the task that is gone
            raise UploadExpiredError(
                f"{name} is no longer in the project's Documents folder; it will be uploaded again",
                detail=error.detail,
                status=error.status,
            ) from error
        return file_record(self._json("GET", f"files/file/{file_id}", not_found=f"ONLYOFFICE has no file {file_id}"))

    def find_attached(self, ref: EntityRef, state: UploadState, name: str, size: int) -> FileRecord | None:
        """The task's file that an interrupted `finish_attach` attached: our file id, or (without
        one) a file of that name and size."""
        files = self.list_files(ref)
        file_id = state.get("file_id")
        if file_id:
            return next((record for record in files if record.id == file_id), None)
        return next((record for record in files if record.name == name and record.size == size), None)

    def _task_id(self, ref: EntityRef) -> str:
        if ref.kind is not _K.TASK:
            raise self._unsupported(ref.kind, Capability.ATTACH_FILE)
        return ref.id

    # ---- upload parts

    def _max_file_size(self) -> int | None:
        if self._portal_limit is None:
            quota: Any = None
            with suppress(NotFoundError, PermissionDeniedError, ServerError, ProtocolError):
                quota = self._json("GET", "settings/quota")
            value = quota.get("maxFileSize") if isinstance(quota, dict) else None
            self._portal_limit = value if isinstance(value, int) and value > 0 else 0
        return self._portal_limit or None

    def _check_size(self, name: str, size: int) -> None:
        limit = self._max_file_size()
        if limit is not None and size > limit:
            raise TooLargeError(
                f"{name} is {_megabytes(size)}; this ONLYOFFICE portal accepts files up to {_megabytes(limit)}",
                limit=limit,
                size=size,
            )

    def _same_named(self, folder_id: str, name: str) -> dict[str, int]:
        return {
            record.id: record.latest_version.number if record.latest_version else 0
            for record in self._folder_files(folder_id, name)
            if record.name == name
        }

    def _folder_files(self, folder_id: str, name: str) -> Iterator[FileRecord]:
        """The files in a folder whose title contains `name` (searched by the portal), page by page."""
        start = 0
        while True:
            params = {"filterType": 1, "filterValue": name, "startIndex": start, "count": MAX_PAGE_SIZE}
            content = self._json(
                "GET", f"files/{folder_id}", params=params, not_found=f"ONLYOFFICE has no folder {folder_id}"
            )
            content = content if isinstance(content, dict) else {}
            files, folders = _list(content.get("files")), _list(content.get("folders"))
            yield from (file_record(item) for item in files)
            received = len(files) + len(folders)
            start += received
            total = content.get("total")
            if received < MAX_PAGE_SIZE or (isinstance(total, int) and start >= total):
                return

    def _upload_whole(
        self, state: UploadState, stream: Any, source: Path, size: int, on_chunk: ChunkObserver | None
    ) -> str:
        """One multipart request, the file streamed from disk."""
        name = state["name"]
        part = (name, ObservedReader(stream, on_chunk), _mime_type(name))
        data = self._sending(
            self._json,
            "POST",
            f"files/{state['folder_id']}/upload",
            files={"file": part},
            not_found=f"The Documents folder of this task's project is gone from ONLYOFFICE ({state['folder_id']})",
        )
        uploaded = data[0] if isinstance(data, list) and data else data
        if not isinstance(uploaded, dict) or uploaded.get("id") in (None, ""):
            raise ProtocolError(f"ONLYOFFICE did not say which file {name} became", detail=repr(data)[:200])
        return str(uploaded["id"])

    def _new_session(self, state: UploadState) -> UploadState:
        """A chunked session; its id, address, the bytes it holds and when it expires go into the
        upload state (journaled), so a later run, even after a crash, can resume it."""
        data = self._json(
            "POST",
            f"files/{state['folder_id']}/upload/create_session",
            json={"fileName": state["name"], "fileSize": int(state["size"])},
            not_found=f"The Documents folder of this task's project is gone from ONLYOFFICE ({state['folder_id']})",
        )
        session = _handler_data(data, "start a chunked upload")
        if not session.get("id") or not session.get("location"):
            raise ProtocolError("ONLYOFFICE started a chunked upload without an id or address", detail=repr(data)[:200])
        return {
            "session_id": str(session["id"]),
            "location": str(session["location"]),
            "confirmed": str(_int(session.get("bytes_uploaded")) or 0),
            "session_expires": _expiry(session),
            "session_started": "",
        }

    def _resumable_from(self, state: UploadState, size: int) -> int | None:
        """Where the journaled session can go on from, or None when a new one must start.

        The journal holds the offset the portal last confirmed. A later part may have arrived with
        its answer lost (a crash, a dropped connection); sending that part again is then caught by
        the portal's count in its answer (the upload starts over), except when it would be taken as
        the file's last part, so a session with exactly two equal parts left is not resumed.
        """
        if "confirmed" not in state:
            return None  # journaled by an Attaché that did not keep the offset: never guess
        confirmed = _int(state.get("confirmed")) or 0
        try:
            expires = float(state.get("session_expires") or 0)
        except ValueError:
            return None
        if expires and time.time() >= expires - SESSION_MARGIN:
            return None  # expired, or about to: its parts would be refused
        if state.get("session_started"):
            remaining = plan_chunks(size, UPLOAD_CHUNK_SIZE, start=confirmed)
            if len(remaining) == 2 and remaining[0][1] == remaining[1][1]:
                return None
        return confirmed

    def _upload_chunks(
        self, state: UploadState, stream: Any, source: Path, size: int, on_chunk: ChunkObserver | None
    ) -> UploadState:
        """The session's parts in order, from what the portal confirmed (journaled after each part)
        while the session lives; otherwise a new session from byte 0."""
        confirmed = self._resumable_from(state, size)
        if confirmed is None:
            self._abort(state)
            state = {**state, **self._new_session(state)}
            confirmed = 0
        report_held_range(stream, 0, confirmed, on_chunk, source)  # already there: not sent again
        if not state.get("session_started"):
            state = {**state, "session_started": "true"}
            save_upload_state(on_chunk, state)
        for number, (offset, length) in enumerate(plan_chunks(size, UPLOAD_CHUNK_SIZE, start=confirmed), 1):
            part = FileSlice(stream, offset, length, on_chunk)
            location = state["location"]
            answer = self._sending(
                self._send,
                "POST",
                location,
                client=self._client_for(location),
                files={"file": (state["name"], part, _mime_type(state["name"]))},
            )
            data = self._chunk_answer(answer, state, number)
            if data.get("uploaded") or answer.status_code == 201:
                if data.get("id") in (None, ""):
                    raise ProtocolError(
                        "ONLYOFFICE finished the chunked upload without a file id", detail=repr(data)[:200]
                    )
                return {**state, "file_id": str(data["id"])}
            got = _int(data.get("bytes_uploaded"))
            if got != offset + length:
                raise UploadExpiredError(
                    f"ONLYOFFICE counted {got} bytes of {state['name']} where {offset + length} were sent; "
                    "the upload starts again",
                )
            state = {**state, "confirmed": str(got), "session_expires": _expiry(data) or state["session_expires"]}
            save_upload_state(on_chunk, state)
        raise ProtocolError(f"ONLYOFFICE took every part of {state['name']} but did not finish the file")

    def _chunk_answer(self, response: httpx.Response, state: UploadState, number: int) -> dict[str, Any]:
        """The chunk handler's own JSON (not the envelope): errors come as 200 with success false."""
        try:
            body = decode_json(response, service=self.service_name)
        except (ValueError, UnicodeDecodeError):
            raise self._not_the_api(response) from None
        if not isinstance(body, dict) or "success" not in body:
            raise self._not_the_api(response)
        if body.get("success") is not True:
            said = str(body.get("message") or "no reason given")
            if "expired" in said.lower() or "authorize" in said.lower():
                raise UploadExpiredError(
                    f"ONLYOFFICE's upload session for {state['name']} expired; the upload starts again",
                    detail=said,
                )
            raise ServerError(f"ONLYOFFICE refused part {number} of {state['name']}: {said}", detail=said)
        data = body.get("data")
        return data if isinstance(data, dict) else {}

    def _abort(self, state: UploadState) -> None:
        """Best effort: a replaced session would otherwise linger until it expires."""
        with suppress(AttacheError):
            location = state["location"]
            self._send(
                "POST",
                location,
                client=self._client_for(location),
                params={"abort": "true", "uid": state["session_id"]},
            )

    def _sending(self, send: Callable[..., Any], *args: Any, **kwargs: Any) -> Any:
        """A streamed request, which cannot be replayed after a 401: with a remembered password the
        token is renewed here and the step tried again by the transfer engine."""
        used = self._keeper.token()
        try:
            return send(*args, **kwargs)
        except AuthenticationError as error:
            if self._keeper.renew_after_rejection(used):
                raise TransientError(
                    "ONLYOFFICE's sign-in had expired; signed in again, sending again", detail=error.detail
                ) from error
            raise


# ---------------------------------------------------------------------- ONLYOFFICE JSON → core types

_ENTITY_PATHS = {_K.PROJECT: "project", _K.TASK: "project/task", _K.USER: "people"}

_PROJECT_STATUS = {0: "", 1: "Closed", 2: "Paused"}
_TASK_STATUS = {1: "", 2: "Closed"}


def _text(value: Any) -> str:
    return " ".join(str(value).split()) if isinstance(value, (str, int, float)) and not isinstance(value, bool) else ""


def _dict(value: Any) -> dict[str, Any]:
    return value if isinstance(value, dict) else {}


def _list(value: Any) -> list[dict[str, Any]]:
    return [item for item in value if isinstance(item, dict)] if isinstance(value, list) else []


def _int(value: Any) -> int | None:
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return value
    try:
        return int(str(value))
    except ValueError:
        return None


def _joined(*parts: str) -> str:
    return " · ".join(p for p in parts if p)


def _version(data: Mapping[str, Any], *extra: str) -> str:
    return "#".join(p for p in (_text(data.get("updated")) or _text(data.get("created")), *extra) if p)


def _person_name(data: Mapping[str, Any]) -> str:
    full = " ".join(_text(data.get(k)) for k in ("firstName", "lastName")).strip()
    return _text(data.get("displayName")) or full or _text(data.get("userName"))


def is_default_photo(url: str) -> bool:
    """The portal's stand-in picture (`default_user_photo_size_…`, CRM's `empty_…_logo`), or none."""
    if not url.strip():
        return True
    file_name = urlsplit(url).path.rsplit("/", 1)[-1].lower()
    return file_name.startswith(("default", "empty")) or "default_" in file_name


def nearest_photo(urls: list[tuple[str, int]], wanted: int) -> str | None:
    """The smallest photo at least `wanted` pixels wide, else the largest; None when it is a default."""
    real = sorted((edge, url) for url, edge in urls if url and not is_default_photo(url))
    if not real:
        return None
    return next((url for edge, url in real if edge >= wanted), real[-1][1])


def portal_entity(portal: Mapping[str, Any], me: Mapping[str, Any], base_url: str) -> Entity:
    host = urlsplit(base_url).netloc or base_url
    name = _text(portal.get("name")) or _text(portal.get("tenantAlias")) or host
    return Entity(
        kind=_K.WORKSPACE,
        id=_text(portal.get("tenantId")) or host,
        name=name,
        subtitle=_joined(host, f"signed in as {_person_name(me)}" if _person_name(me) else ""),
        version=_text(portal.get("lastModified")),
    )


def project_entity(data: dict[str, Any]) -> Entity:
    responsible = _person_name(_dict(data.get("responsible")))
    return Entity(
        kind=_K.PROJECT,
        id=_text(data.get("id")),
        name=_text(data.get("title")) or "(unnamed project)",
        subtitle=_joined(responsible, _PROJECT_STATUS.get(_int(data.get("status")) or 0, "")),
        version=_version(data),
    )


def task_entity(data: dict[str, Any]) -> Entity:
    project = _dict(data.get("projectOwner")) or _dict(data.get("project"))
    project_id = _text(project.get("id"))
    return Entity(
        kind=_K.TASK,
        id=_text(data.get("id")),
        name=_text(data.get("title")) or "(unnamed task)",
        subtitle=_joined(_text(project.get("title")), _TASK_STATUS.get(_int(data.get("status")) or 1, "")),
        parents=((_K.PROJECT, project_id),) if project_id else (),
        version=_version(data),
    )


def user_entity(data: dict[str, Any]) -> Entity:
    photos = [_text(data.get(key)) for key, _ in _USER_PHOTO_FIELDS]
    photo = next((url for url in reversed(photos) if url), "")
    return Entity(
        kind=_K.USER,
        id=_text(data.get("id")),
        name=_person_name(data) or "(unnamed user)",
        subtitle=_text(data.get("title")) or _text(data.get("email")),
        has_image=any(url and not is_default_photo(url) for url in photos),
        version=_version(data, photo),
    )


def _contact_photo(data: Mapping[str, Any]) -> tuple[bool, str]:
    photos = [_text(data.get(key)) for key, _ in _CONTACT_PHOTO_FIELDS]
    return any(url and not is_default_photo(url) for url in photos), next((u for u in reversed(photos) if u), "")


def company_entity(data: dict[str, Any]) -> Entity:
    has_image, photo = _contact_photo(data)
    persons = _int(data.get("personsCount"))
    return Entity(
        kind=_K.COMPANY,
        id=_text(data.get("id")),
        name=_text(data.get("displayName")) or _text(data.get("companyName")) or "(unnamed company)",
        subtitle=_text(data.get("industry")) or (f"{persons} people" if persons else ""),
        has_image=has_image,
        version=_version(data, photo),
    )


def contact_person_entity(data: dict[str, Any]) -> Entity:
    has_image, photo = _contact_photo(data)
    company = _dict(data.get("company"))
    company_id = _text(company.get("id"))
    return Entity(
        kind=_K.CONTACT_PERSON,
        id=_text(data.get("id")),
        name=_person_name(data) or "(unnamed person)",
        subtitle=_joined(_text(data.get("title")), _text(company.get("displayName"))),
        has_image=has_image,
        parents=((_K.COMPANY, company_id),) if company_id and company_id != "0" else (),
        version=_version(data, photo),
    )


_MAPPERS: dict[EntityKind, Callable[[dict[str, Any]], Entity]] = {
    _K.PROJECT: project_entity,
    _K.TASK: task_entity,
    _K.USER: user_entity,
    _K.COMPANY: company_entity,
    _K.CONTACT_PERSON: contact_person_entity,
}


def file_record(data: Any) -> FileRecord:
    """A FileRecord from a FileWrapper (the notes' field list, §3.6); the size is `pureContentLength`."""
    if not isinstance(data, dict) or data.get("id") in (None, ""):
        raise ProtocolError("ONLYOFFICE described a file without an id", detail=repr(data)[:200])
    size = _int(data.get("pureContentLength"))
    number = _int(data.get("version")) or 1
    updated = parse_datetime(_text(data.get("updated")))
    file_id = _text(data["id"])
    title = _text(data.get("title"))
    return FileRecord(
        id=file_id,
        name=title,
        size=size,
        mime_type=_mime_type(title),
        created_on=parse_datetime(_text(data.get("created"))),
        created_by=_person_name(_dict(data.get("createdBy"))),
        versions=(FileVersion(id=file_id, number=number, size=size, created_on=updated),),
        file_name=title,
    )


def _mime_type(name: str) -> str:
    return mimetypes.guess_type(name)[0] or "application/octet-stream"


def _wire_id(file_id: str) -> int | str:
    """Native files have numeric ids, third-party ones strings (§3.6)."""
    return int(file_id) if file_id.isdigit() else file_id


def _handler_data(data: Any, doing: str) -> dict[str, Any]:
    """`data` of the uploader's `{success, data, message}` (inside the envelope for create_session)."""
    if not isinstance(data, dict):
        raise ProtocolError(f"ONLYOFFICE answered strangely when asked to {doing}", detail=repr(data)[:200])
    if data.get("success") is False:
        raise ServerError(f"ONLYOFFICE could not {doing}: {data.get('message') or 'no reason given'}")
    return _dict(data.get("data"))


def _megabytes(size: int) -> str:
    return f"{size / (1024 * 1024):.1f} MB"


def _expiry(session: Mapping[str, Any]) -> str:
    """When a chunked session expires (its `expired` date), as Unix seconds; "" when not said."""
    expires = parse_datetime(_text(session.get("expired")))
    return f"{expires.timestamp():.0f}" if expires else ""


# ---------------------------------------------------------------------- local photos

_SIGNATURES = ((b"\x89PNG\r\n\x1a\n", "image/png"), (b"\xff\xd8\xff", "image/jpeg"))


def check_photo(source: Path) -> str:
    """The MIME type of a photo ONLYOFFICE will take (PNG or JPEG, at most 5 MiB), checked before
    a byte goes out; otherwise a `TooLargeError` or `InvalidInputError` naming the limit."""
    size = local_file_size(source)
    if size > PHOTO_LIMIT_BYTES:
        raise TooLargeError(
            f"{source.name} is {_megabytes(size)}; ONLYOFFICE takes photos up to 5 MB",
            limit=PHOTO_LIMIT_BYTES,
            size=size,
        )
    with open(source, "rb") as stream:
        head = stream.read(8)
    for signature, mime_type in _SIGNATURES:
        if head.startswith(signature):
            return mime_type
    raise InvalidInputError(
        f"{source.name} is not a PNG or JPEG picture; ONLYOFFICE takes photos only in these formats"
    )


# ---------------------------------------------------------------------- the registry's connector


def open_backend(
    base_url: str,
    secret: Mapping[str, Any],
    *,
    account: str,
    save_secret: SaveSecret | None = None,
    quick: bool = False,
    options: Mapping[str, str] | None = None,  # no account settings here
) -> OnlyofficeBackend:
    """A backend sending the secret's token; with a remembered password, a refused or expired
    token is renewed once (saved through `save_secret` before it is used)."""
    if not secret.get("token"):
        raise AuthenticationError(f"The stored sign-in for {account} is incomplete: sign in again", account=account)
    keeper = TokenKeeper(base_url, account, secret, save_secret)
    return OnlyofficeBackend(base_url, token=keeper, account=account, retry=quick_retry() if quick else None)


def secret_from_token(token: str) -> Secret:
    return {"type": "token", "token": token, "expires": ""}


def browser_sign_in(
    base_url: str,
    *,
    open_url: Callable[[str], object],
    previous: Mapping[str, Any],
    timeout: float,
    cancelled: Callable[[], bool],
    options: Mapping[str, str] | None = None,
) -> Secret:
    raise UnsupportedError("ONLYOFFICE signs in with a user name and password, not in the browser")
