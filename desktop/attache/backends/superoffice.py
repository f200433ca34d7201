"""SuperOffice CRM's REST WebAPI (v1) behind the `Backend` protocol.

Wire facts (see shared/contracts/superoffice.md):
- the base URL is the tenant's `…/Cust12345/api` (Online) or the server's `…/api` (Onsite); calls go
  to `v1/…`; JSON is PascalCase; errors are `{Error, ErrorType, ErrorMessage, ErrorSource}`;
- Onsite signs in with Basic, Online with a Bearer access token from OpenID Connect
  (`superoffice_oauth`); `SO-AppToken` goes with every request where the account has one;
- a 421 means the tenant is served from another host now: `/api/state/{ctx}` says which (§1.4);
- lists are OData over archive providers: `$select` of documented columns, `$filter`, `$top`/`$skip`,
  rows keyed by lower-camel column names with display strings (Slim mode), `PrimaryKey` the id;
- pictures of projects, companies and persons by raw `PUT …/{id}/Image` (PNG, JPEG, GIF, TIFF);
  a user shows their person's picture;
- a file is a Document record linked to its target (`POST /Document`, with a document template),
  whose content is then `PUT /Document/{id}/Content`; the server may amend the file name. The
  record carries the upload's journaled token as its `ExternalRef`, so an earlier try's record is
  found again (a server that dropped the field would only cost a second record after a lost answer).
"""

from __future__ import annotations

import secrets
import threading
from collections.abc import Callable, Iterator, Mapping
from contextlib import suppress
from dataclasses import replace
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import httpx
from httpx_retries import Retry

from attache.backends.auth import BasicAuth, BearerAuth, app_token_headers, constant
from attache.backends.base import ChunkObserver, ImageRules, SaveSecret, Secret, UploadState
from attache.backends.errors import ErrorRule, ErrorTable
from attache.backends.http import make_client, quick_retry
from attache.backends.paging import ODataPaging, QueryValue
from attache.backends.rest import RestClient
from attache.backends.streams import download_target, open_unchanged, read_chunks, write_atomically
from attache.backends.superoffice_oauth import TokenManager, resolve_tenant, tenant_of
from attache.backends.superoffice_wire import (
    ARCHIVES,
    ATTACHABLE,
    DOCUMENT_COLUMNS,
    DOCUMENT_FILTER_COLUMNS,
    DOCUMENT_LINKS,
    IMAGE_ENTITIES,
    IMAGE_LIMIT_BYTES,
    IMAGE_MIME_TYPES,
    MAPPERS,
    PARENT_COLUMNS,
    TASK_FILTER,
    all_of,
    as_dict,
    as_int,
    base64_content,
    check_picture,
    document_record,
    document_row_record,
    is_linked_to,
    mime_type_of,
    numeric_id,
    odata_query,
    quoted,
    replayable,
    rows_of,
    search_filter,
    server_said,
    text_of,
    with_size,
    workspace_entity,
)
from attache.core.accounts import CLIENT_ID_OPTION, DOCUMENT_TEMPLATE_OPTION
from attache.core.capabilities import Capability
from attache.core.errors import (
    AttacheError,
    AuthenticationError,
    FileTemplateGoneError,
    InvalidInputError,
    NotFoundError,
    PermissionDeniedError,
    ProtocolError,
    ServerError,
    TooLargeError,
    TransientError,
    UnsupportedError,
    UploadExpiredError,
)
from attache.core.models import Entity, EntityKind, EntityRef, FileRecord, FileTemplate, Page
from attache.core.services import SUPEROFFICE

SERVICE = SUPEROFFICE.id
NAME = SUPEROFFICE.name
API = "v1"

# CRM Online: "document file size max 94.4 MB" (§4.3). Read as decimal megabytes, the smaller of
# the two readings, so a file we let through is never one Online refuses.
ONLINE_DOCUMENT_LIMIT = 94_400_000
# An explicit binary Accept for document content: the spec lists application/octet-stream, the
# reference sample sends binary/octet-stream (§4.3); either gets the raw bytes.
BINARY_ACCEPT = "application/octet-stream, binary/octet-stream;q=0.9"

_K = EntityKind


class TenantMovedError(AttacheError):
    """421 Misdirected Request: this host no longer serves the tenant."""


_ERRORS = ErrorTable(
    codes={
        "SoAccessDeniedException": ErrorRule(
            PermissionDeniedError, "{service} does not allow account '{account}' to do this: {description}"
        ),
    },
    statuses={
        409: ErrorRule(
            ServerError,
            "{service} refused the change because the record changed meanwhile (409): reload it and try again",
        ),
        412: ErrorRule(
            ServerError,
            "{service} refused the change because someone changed the record since it was read (412): "
            "reload it and try again",
        ),
        421: ErrorRule(TenantMovedError, "{service} serves this tenant from another address now (421)"),
    },
)


# ---------------------------------------------------------------------- the backend


class SuperOfficeBackend(RestClient):
    service = SERVICE
    service_name = NAME
    capability_table = SUPEROFFICE.capabilities
    errors = _ERRORS
    paging = ODataPaging()

    def __init__(
        self,
        base_url: str,
        *,
        auth: httpx.Auth,
        account: str = NAME,
        retry: Retry | None = None,
        transport: httpx.BaseTransport | None = None,
        document_template: str = "",
        document_limit: int | None = None,
        on_moved: Callable[[str], None] | None = None,
        tokens: TokenManager | None = None,
    ) -> None:
        """`document_template`: the account's chosen template ("" for SuperOffice's default);
        `document_limit`: the largest document to send (Online's), None for no limit (Onsite);
        `on_moved` keeps a moved tenant's new address; `tokens` renews a refused OAuth token for a
        streamed upload, which cannot be replayed by the auth; `transport` replaces the network (tests)."""
        client = make_client(base_url.rstrip("/"), auth=auth, retry=retry, transport=transport)
        super().__init__(base_url, account=account, client=client)
        self._own(client)
        self._document_template = document_template.strip()
        self._document_limit = document_limit
        self._on_moved = on_moved
        self._tokens = tokens
        self._moved_lock = threading.Lock()
        self._anonymous = self._own(make_client(retry=retry, transport=transport))  # the tenant status API
        self._template = ""
        self._template_lock = threading.Lock()
        self._persons_of_users: dict[str, str] = {}
        self._renewed_after_403: set[str] = set()  # tokens a 403 made us renew: a 403 to one is a refusal

    # ------------------------------------------------------------------ sending

    def _url(self, path_or_url: str) -> str:
        if path_or_url.startswith(("http://", "https://")):
            return path_or_url
        return f"{self.base_url}/{API}/{path_or_url.lstrip('/')}"

    def _send(self, method: str, path: str, **kwargs: Any) -> httpx.Response:
        """As RestClient's, and after a 421 the tenant's new address is looked up and the request
        sent there once (a streamed body cannot be sent again: the transfer engine repeats the step)."""
        base = self.base_url
        try:
            return super()._send(method, path, **kwargs)
        except TenantMovedError as error:
            self._follow_tenant(base, error)
            if not replayable(kwargs):
                raise TransientError(
                    f"{NAME} moved this tenant to {self.base_url}; sending again", detail=error.detail
                ) from error
            return super()._send(method, self._rebased(path, base), **kwargs)

    def _rebased(self, path: str, old_base: str) -> str:
        if path.startswith(old_base + "/"):
            return self.base_url + path[len(old_base) :]
        return path

    def _follow_tenant(self, seen_base: str, error: AttacheError) -> None:
        """The tenant's address now (once for every request that met the old one)."""
        with self._moved_lock:
            if self.base_url != seen_base:
                return  # another request followed it already
            new_base = resolve_tenant(self.base_url, tenant_of(self.base_url), http=self._anonymous)
            if new_base.rstrip("/") == self.base_url:
                raise TenantMovedError(
                    f"{NAME} refuses this tenant at {urlsplit(self.base_url).netloc} (421) although it "
                    "says the tenant is there: sign in again",
                    detail=error.detail,
                )
            self.base_url = new_base.rstrip("/")
            if self._on_moved is not None:
                self._on_moved(self.base_url)

    def _streamed_request(self, method: str, path: str, **kwargs: Any) -> httpx.Response:
        """A request with a body streamed from disk. After a refused token it is not replayed: with
        OAuth the token is renewed here and the engine repeats the step."""
        used = self._tokens.access_token() if self._tokens is not None else ""
        try:
            return self._send(method, path, **kwargs)
        except (AuthenticationError, PermissionDeniedError) as error:
            # An expired token may get 401 or 403 (§1.2); a 403 to a token just renewed is a refusal.
            if self._tokens is None or (isinstance(error, PermissionDeniedError) and used in self._renewed_after_403):
                raise
            self._tokens.refresh_after_rejection(used)
            if isinstance(error, PermissionDeniedError):
                self._renewed_after_403.add(self._tokens.access_token())
            raise TransientError(
                f"{NAME}'s sign-in had expired; renewed, sending again", detail=error.detail
            ) from error

    # ------------------------------------------------------------------ capabilities

    def image_rules(self, kind: EntityKind) -> ImageRules:
        self._check(kind, Capability.SET_IMAGE)
        return ImageRules(IMAGE_LIMIT_BYTES, IMAGE_MIME_TYPES)

    # ------------------------------------------------------------------ browsing

    def workspace(self) -> Entity:
        """The tenant (or Onsite server); asking who is signed in is also the sign-in's check."""
        me = self._json("GET", "User/currentPrincipal")
        me = me if isinstance(me, dict) else {}
        return workspace_entity(me, self.base_url, company=self._own_company_name(me))

    def _own_company_name(self, me: Mapping[str, Any]) -> str:
        """The signed-in user's company (the tenant's own, in SuperOffice's model): a name people
        recognise, where the tenant id is only a code. "" when it cannot be read."""
        company_id = text_of(me.get("ContactId"))
        if not company_id.isdigit() or company_id == "0":
            return ""
        try:
            data = self._json("GET", f"Contact/{company_id}")
        except (NotFoundError, ServerError, ProtocolError, PermissionDeniedError):
            return ""
        return text_of(data.get("Name")) if isinstance(data, dict) else ""

    def iter_pages(
        self, kind: EntityKind, *, parent: EntityRef | None = None, page_size: int = 200, search: str | None = None
    ) -> Iterator[Page[Entity]]:
        if kind is _K.WORKSPACE:
            yield Page([self.workspace()], number=1, total=1, is_last=True)
            return
        if kind not in ARCHIVES:
            raise self._unsupported(kind, Capability.LIST)
        path, _id_column, columns, search_columns = ARCHIVES[kind]
        scope = ""
        if parent is not None:
            column = PARENT_COLUMNS.get((kind, parent.kind))
            if column is None:
                raise UnsupportedError(f"{NAME} cannot list {kind.label.lower()} of a {parent.kind.singular}")
            scope = f"{column} eq {numeric_id(parent.id, parent.kind.singular)}"
        expression = all_of(TASK_FILTER if kind is _K.TASK else "", scope, search_filter(search_columns, search))
        to_entity = MAPPERS[kind]
        for page in self._pages(path, page_size, params=odata_query(columns, expression)):
            items = [item for item in self._records(page.items, to_entity) if item.id]
            if kind is _K.USER:  # their pictures are their persons': known without asking again
                self._persons_of_users.update({u.id: u.parent_id(_K.CONTACT_PERSON) or "" for u in items})
            yield Page(items, number=page.number, total=page.total, is_last=page.is_last)

    def get_entity(self, ref: EntityRef) -> Entity:
        """From the same archive as the list, so an entity looks the same fetched or listed; a
        company's picture is known from its ImageInfo (SimpleContact has no picture column)."""
        if ref.kind is _K.WORKSPACE:
            return self.workspace()
        entity = MAPPERS[ref.kind](self._row(ref))
        if ref.kind is _K.COMPANY:
            with suppress(NotFoundError, ServerError, ProtocolError):
                info = as_dict(self._json("GET", f"Contact/{entity.id}/Imageinfo"))
                blob = text_of(info.get("BlobId"))
                if blob.isdigit() and blob != "0":
                    entity = replace(entity, has_image=True, version=text_of(info.get("UpdatedDate")) or blob)
        return entity

    def _row(self, ref: EntityRef) -> dict[str, Any]:
        if ref.kind not in ARCHIVES:
            raise UnsupportedError(f"{NAME} cannot show a single {ref.kind.singular}")
        path, id_column, columns, _ = ARCHIVES[ref.kind]
        expression = all_of(
            TASK_FILTER if ref.kind is _K.TASK else "", f"{id_column} eq {numeric_id(ref.id, ref.kind.singular)}"
        )
        params = {**odata_query(columns, expression), "$top": 1}
        rows = rows_of(self._json("GET", path, params=params), NAME)
        if not rows:
            raise NotFoundError(f"{NAME} has no {ref}")
        return rows[0]

    # ------------------------------------------------------------------ pictures

    def _image_path(self, ref: EntityRef, capability: Capability) -> str:
        self._check(ref.kind, capability)
        if ref.kind is _K.USER:  # a user shows their person's picture
            person = self._persons_of_users.get(ref.id)
            if person is None:
                person = text_of(self._row(ref).get("personId"))
            if not person.isdigit() or person == "0":
                raise NotFoundError(f"{NAME} user {ref.id} has no person record to take a picture from")
            return f"Person/{person}/Image"
        return f"{IMAGE_ENTITIES[ref.kind]}/{numeric_id(ref.id, ref.kind.singular)}/Image"

    def get_image(
        self, ref: EntityRef, *, width: int | None = None, height: int | None = None, crop: bool = False
    ) -> bytes | None:
        """SuperOffice scales to `w`×`h` itself (it does not crop); 404 is no picture (§3.1)."""
        try:
            path = self._image_path(ref, Capability.GET_IMAGE)
        except NotFoundError:
            if ref.kind is _K.USER:
                return None
            raise
        params: dict[str, QueryValue] = {}
        if width:
            params["w"] = int(width)
        if height:
            params["h"] = int(height)
        try:
            response = self._send("GET", path, params=params, headers={"Accept": "image/*"})
        except NotFoundError:
            return None
        data = self._bytes(response)
        return data or None

    def set_image(self, ref: EntityRef, source: Path, *, on_chunk: ChunkObserver | None = None) -> None:
        self.put_image(ref, source, on_chunk=on_chunk)

    def put_image(self, ref: EntityRef, source: Path, *, on_chunk: ChunkObserver | None = None) -> str:
        """The picture as a raw body of its own type; returns the blob id SuperOffice stored it as."""
        path = self._image_path(ref, Capability.SET_IMAGE)
        mime_type, size = check_picture(source)
        headers = {"Content-Type": mime_type, "Content-Length": str(size), "Accept": "application/json"}
        with open_unchanged(source, size) as stream:
            try:
                response = self._streamed_request(
                    "PUT",
                    path,
                    content=read_chunks(stream, size, on_chunk, source),
                    headers=headers,
                    not_found=f"{NAME} has no {ref}",
                )
            except ServerError as error:
                if error.status == 400:
                    raise InvalidInputError(
                        f"{NAME} refused the picture {source.name}: {server_said(error)}",
                        detail=error.detail,
                        status=400,
                    ) from error
                raise
        blob = self._decode(response)
        return text_of(blob)

    def delete_image(self, ref: EntityRef) -> None:
        path = self._image_path(ref, Capability.DELETE_IMAGE)
        with suppress(NotFoundError):  # no picture: already what the user wants
            self._send("DELETE", path)

    # ------------------------------------------------------------------ documents

    def list_files(self, ref: EntityRef) -> list[FileRecord]:
        self._attachable(ref)
        self.get_entity(ref)  # "SuperOffice has no project 5" rather than an empty list
        records = self._records(self._document_rows(ref), document_row_record)
        return [record for record in records if record.id]

    def _document_rows(self, ref: EntityRef, name: str | None = None) -> Iterator[dict[str, Any]]:
        """FindDocument rows of the documents linked to `ref`; with `name`, only those whose file
        name or header is `name` (searched on the server)."""
        column = DOCUMENT_FILTER_COLUMNS[ref.kind]
        expression = f"{column} eq {numeric_id(ref.id, ref.kind.singular)}"
        if name is not None:
            expression = all_of(expression, f"name eq {quoted(name)} or subject eq {quoted(name)}")
        for page in self._pages("Document", 200, params=odata_query(DOCUMENT_COLUMNS, expression)):
            yield from (row for row in page.items if isinstance(row, dict))

    def _document(self, document_id: str) -> FileRecord:
        data = self._json(
            "GET", f"Document/{numeric_id(document_id, 'document')}", not_found=f"{NAME} has no document {document_id}"
        )
        return document_record(data)

    def _document_length(self, document_id: str) -> int | None:
        """The stored content's size in bytes; None when the server does not say."""
        try:
            value = self._json("GET", f"Document/{document_id}/Length")
        except (NotFoundError, ServerError, ProtocolError):
            return None
        return as_int(value)

    def download_file(self, ref: EntityRef, file_id: str, dest: Path, *, on_chunk: ChunkObserver | None = None) -> Path:
        self._attachable(ref)
        record = self._document(file_id)
        if record.size is None:  # the record does not say; its Length does, bounding the body
            record = replace(record, size=self._document_length(record.id))
        target = download_target(dest, record.file_name or record.name, fallback=f"document-{file_id}")
        for attempt in (1, 2):
            base = self.base_url
            try:
                return self._download_content(record, target, on_chunk)
            except TenantMovedError as error:
                if attempt == 2:
                    raise
                self._follow_tenant(base, error)
        return target  # pragma: no cover

    def _download_content(self, record: FileRecord, target: Path, on_chunk: ChunkObserver | None) -> Path:
        def base64_answer(response: httpx.Response, target: Path) -> Path | None:
            if "json" not in response.headers.get("content-type", "").lower():
                return None
            # Asked for bytes, got JSON: the content as a base64 string (§4.3, inferred); the
            # toolkit's answer cap bounds what read() takes in.
            return write_atomically(target, [base64_content(response.read(), record.id)], on_chunk)

        return self._download(
            f"Document/{record.id}/Content",
            target,
            on_chunk,
            expected_size=record.size,
            name=record.name,
            headers={"Accept": BINARY_ACCEPT},
            not_found=f"{NAME} has no content for document {record.id}",
            saved_otherwise=base64_answer,
        )

    def delete_file(self, ref: EntityRef, file_id: str) -> None:
        """Deletes the document, once it is known to be one of `ref`'s (a mistyped target must not
        delete another's)."""
        self._attachable(ref)
        document_id = numeric_id(file_id, "document")
        not_found = f"{NAME} has no document {file_id} on {ref}"
        data = self._json("GET", f"Document/{document_id}", not_found=not_found)
        if not is_linked_to(data, ref):
            raise NotFoundError(not_found)
        self._send("DELETE", f"Document/{document_id}", not_found=not_found)

    def file_thumbnail(self, ref: EntityRef, file_id: str, size: int) -> bytes | None:
        raise self._unsupported(ref.kind, Capability.FILE_THUMBNAILS)

    def _attachable(self, ref: EntityRef) -> None:
        if ref.kind not in ATTACHABLE:
            raise self._unsupported(ref.kind, Capability.ATTACH_FILE)

    # An upload: begin chooses the template and a token that names this upload; send makes the
    # Document record (carrying the token as its ExternalRef) unless the token finds the one an
    # earlier try made, and PUTs the content; finish is what the PUT answered (with the name
    # SuperOffice may have amended). The token is journaled before the record exists, so a lost
    # answer or a crash between the two requests never leaves an empty record beside a second one,
    # and two uploads of the same name never take each other's record.

    def begin_attach(self, ref: EntityRef, name: str, size: int, *, replacing: str | None = None) -> UploadState:
        if replacing is not None:
            raise self._unsupported(ref.kind, Capability.FILE_VERSIONS)
        self._attachable(ref)
        numeric_id(ref.id, ref.kind.singular)
        self._check_size(name, size)
        template = self._template_id()
        return {
            "target": f"{ref.kind.value}:{ref.id}",
            "token": secrets.token_urlsafe(16),
            "template": template,
            "asked_name": name,
            "name": name,
            "size": str(size),
        }

    def _document_for(self, state: UploadState) -> UploadState:
        """The state with this upload's Document record: the one its token names, or a new one."""
        if state.get("document_id"):
            return state
        ref = _target_of(state)
        record = self._document_with_token(ref, state) or self._create_document(ref, state)
        return {**state, "document_id": record.id, "name": record.name or state["asked_name"]}

    def _document_with_token(self, ref: EntityRef, state: UploadState) -> FileRecord | None:
        """The record an earlier try of this upload made (its answer lost, or the process gone)."""
        marker = _marker(state)
        for row in self._document_rows(ref, state["asked_name"]):
            candidate = document_row_record(row)
            if not candidate.id:
                continue
            with suppress(NotFoundError):
                data = self._json("GET", f"Document/{candidate.id}")
                if text_of(as_dict(data).get("ExternalRef")) == marker:
                    return document_record(data)
        return None

    def _create_document(self, ref: EntityRef, state: UploadState) -> FileRecord:
        name, template = state["asked_name"], state["template"]
        body: dict[str, Any] = {
            "Header": name,
            "Name": name,
            "DocumentTemplate": {"DocumentTemplateId": int(template)},
            "ExternalRef": _marker(state),
        }
        target_id = numeric_id(ref.id, ref.kind.singular)
        if ref.kind is _K.TASK:
            body["Links"] = [{"EntityName": "appointment", "Id": target_id}]
        else:
            field, key = DOCUMENT_LINKS[ref.kind]
            body[field] = {key: target_id}
        try:
            data = self._json("POST", "Document", json=body, not_found=f"{NAME} has no {ref}")
        except (ServerError, NotFoundError, InvalidInputError) as error:
            if "template" in error.detail.lower():
                self._template = ""  # worked out again next time
                raise self._template_gone(template, error) from error
            if isinstance(error, NotFoundError) or error.code == "SoNotFoundException":
                # "Project id 5 does not exist." (a 400): the target was deleted meanwhile.
                raise NotFoundError(f"{NAME} has no {ref}", detail=error.detail, status=error.status) from error
            raise
        return document_record(data)

    def send_content(
        self, state: UploadState, source: Path, size: int, *, on_chunk: ChunkObserver | None = None
    ) -> UploadState:
        with open_unchanged(source, size):  # a file that changed is refused before a record is made
            pass
        state = self._document_for(state)
        document_id = state["document_id"]
        headers = {"Content-Type": mime_type_of(state.get("name") or source.name), "Content-Length": str(size)}
        with open_unchanged(source, size) as stream:
            try:
                response = self._streamed_request(
                    "PUT",
                    f"Document/{document_id}/Content",
                    content=read_chunks(stream, size, on_chunk, source),
                    headers={**headers, "Accept": "application/json"},
                )
            except NotFoundError as error:
                raise UploadExpiredError(
                    f"The document for {state.get('name')} is gone from {NAME}; it will be created again",
                    detail=error.detail,
                    status=error.status,
                ) from error
            except TransientError:
                raise  # the same document gets the content on the next try
            except AttacheError:
                self._discard(document_id)  # a refusal, a cancel or a pause: no empty document stays behind
                raise
        data = self._decode(response)
        amended = text_of(data.get("Name")) if isinstance(data, dict) else ""
        return {**state, "name": amended or state.get("name", ""), "content_sent": "true"}

    def finish_attach(self, ref: EntityRef, state: UploadState, name: str) -> FileRecord:
        """The document as SuperOffice answered the content's PUT (journaled with the step): the
        record was linked to its target when it was made, so nothing is left to ask."""
        document_id = state.get("document_id", "")
        if not document_id or state.get("content_sent") != "true":
            raise UploadExpiredError(f"{name} is not in {NAME} yet; it will be uploaded again")
        stored = state.get("name") or name
        record = FileRecord(id=document_id, name=stored, size=None, mime_type=mime_type_of(stored), file_name=stored)
        return with_size(record, as_int(state.get("size")))

    def find_attached(self, ref: EntityRef, state: UploadState, name: str, size: int) -> FileRecord | None:
        """Our document, when its content is all there: by the journaled id, or by the token."""
        record: FileRecord | None = None
        if state.get("document_id"):
            with suppress(NotFoundError):
                record = self._document(state["document_id"])
        elif state.get("token"):
            record = self._document_with_token(ref, state)
        if record is None or self._document_length(record.id) != size:
            return None
        return with_size(record, size)

    def _discard(self, document_id: str) -> None:
        with suppress(AttacheError):
            self._send("DELETE", f"Document/{document_id}")

    def _check_size(self, name: str, size: int) -> None:
        limit = self._document_limit
        if limit is not None and size > limit:
            raise TooLargeError(
                f"{name} is {size / 1_000_000:.1f} MB; {NAME} Online stores documents up to {limit / 1_000_000:.1f} MB",
                limit=limit,
                size=size,
            )

    # ---- document templates (Capability.FILE_TEMPLATES)

    def file_templates(self) -> list[FileTemplate]:
        """The live document templates in SuperOffice's order, the one the next upload takes
        marked; `FileTemplateGoneError` when the account's chosen one was deleted."""
        live = self._document_templates()
        with self._template_lock:
            self._template = ""  # checked again against what the tenant has now
        in_use = self._template_id(live)
        return [FileTemplate(template_id, name, in_use=template_id == in_use) for template_id, name in live]

    def use_file_template(self, template_id: str) -> None:
        """Uploads begun from now on are filed under this template ("" for SuperOffice's default)."""
        with self._template_lock:
            self._document_template = template_id.strip()
            self._template = ""  # worked out again at the next upload

    def _document_templates(self) -> list[tuple[str, str]]:
        """The live document templates as (id, name), in SuperOffice's order."""
        data = self._json("GET", "List/DocumentTemplate/Items")
        templates = []
        for item in data if isinstance(data, list) else []:
            if not isinstance(item, dict) or item.get("Deleted") not in (None, False, 0, "0", "false", "False"):
                continue
            template_id = text_of(item.get("DocumentTemplateId") or item.get("Id"))
            if template_id.isdigit() and template_id != "0":
                templates.append((template_id, text_of(item.get("Name")) or f"template {template_id}"))
        return templates

    def _template_id(self, live: list[tuple[str, str]] | None = None) -> str:
        """The account's chosen template if it is still there; else what `Document/default`
        proposes, else the first live template. Worked out once per choice (an upload's
        journaled state keeps the one it used); `live`: the templates, when just listed."""
        with self._template_lock:
            if not self._template:
                self._template = self._find_template(live)
            return self._template

    def _find_template(self, live: list[tuple[str, str]] | None) -> str:
        live = live if live is not None else self._document_templates()
        ids = [template_id for template_id, _ in live]
        if self._document_template:
            if self._document_template not in ids:
                raise self._template_gone(self._document_template, None, live)
            return self._document_template
        default = self._json("GET", "Document/default")
        proposed = text_of(as_dict(as_dict(default).get("DocumentTemplate")).get("DocumentTemplateId"))
        if proposed in ids:
            return proposed
        if not ids:
            raise InvalidInputError(
                f"{NAME} has no document template to file documents under: ask an administrator to add one"
            )
        return ids[0]

    def _template_gone(
        self, template: str, error: AttacheError | None, live: list[tuple[str, str]] | None = None
    ) -> FileTemplateGoneError:
        with suppress(AttacheError):
            live = live if live is not None else self._document_templates()
        choices = ", ".join(f"{tid} ({name})" for tid, name in (live or [])[:8]) or "none"
        return FileTemplateGoneError(
            f"The document template {template} chosen for {self.account} no longer exists in {NAME}; "
            f"choose another under “Filed as” in the window or with --template ID (templates: {choices})",
            template=template,
            templates=[FileTemplate(tid, name) for tid, name in (live or [])],
            detail=error.detail if error is not None else "",
        )


def _target_of(state: UploadState) -> EntityRef:
    kind, _, entity_id = state.get("target", "").partition(":")
    return EntityRef(EntityKind(kind), entity_id)


def _marker(state: UploadState) -> str:
    """What a Document record made by Attaché for this upload carries as its ExternalRef."""
    return f"attache:{state['token']}"


# ---------------------------------------------------------------------- the registry's connector


def open_backend(
    base_url: str,
    secret: Mapping[str, Any],
    *,
    account: str,
    save_secret: SaveSecret | None = None,
    quick: bool = False,
    options: Mapping[str, str] | None = None,
) -> SuperOfficeBackend:
    """Basic for a user and password (Onsite), Bearer for OAuth tokens (refreshed, the rotated
    pair saved before use) or a bare access token (Online). The API address an OAuth sign-in
    learnt from the ID token (or a moved tenant's) wins over the typed one."""
    retry = quick_retry() if quick else None
    options = options or {}
    template = str(options.get(DOCUMENT_TEMPLATE_OPTION) or "")
    kind = secret.get("type")
    app_token = str(secret.get("app_token") or "")
    headers = app_token_headers(app_token)
    incomplete = AuthenticationError(f"The stored sign-in for {account} is incomplete: sign in again", account=account)
    if kind == "password":
        if not secret.get("user") or secret.get("password") is None:
            raise incomplete
        auth: httpx.Auth = BasicAuth(str(secret["user"]), str(secret["password"]), headers=headers)
        return SuperOfficeBackend(base_url, auth=auth, account=account, retry=retry, document_template=template)
    if kind == "oauth":
        if not secret.get("access_token"):
            raise incomplete
        save = save_secret or (lambda fresh: None)
        tokens = TokenManager(base_url, account, dict(secret), save=save)
        auth = BearerAuth(
            tokens.access_token, refresh=tokens.refresh_after_rejection, refresh_on=(401, 403), headers=headers
        )
        return SuperOfficeBackend(
            str(secret.get("webapi_url") or base_url),
            auth=auth,
            account=account,
            retry=retry,
            document_template=template,
            document_limit=ONLINE_DOCUMENT_LIMIT,
            on_moved=lambda url: tokens.update(webapi_url=url),
            tokens=tokens,
        )
    token = str(secret.get("api_key") or secret.get("access_token") or "")
    if not token:
        raise incomplete
    # A bare Bearer access token only works Online, so Online's document limit applies.
    return SuperOfficeBackend(
        base_url,
        auth=BearerAuth(constant(token), headers=headers),
        account=account,
        retry=retry,
        document_template=template,
        document_limit=ONLINE_DOCUMENT_LIMIT,
    )


def secret_from_token(token: str) -> Secret:
    """$ATTACHE_TOKEN for SuperOffice is a Bearer access token."""
    return {"type": "api_key", "api_key": token}


def password_sign_in(
    base_url: str, *, user: str, password: str, code: str | None = None, remember_password: bool = False
) -> Secret:
    """Onsite: the user name and password are the secret (sent as Basic on every request), kept
    once the server accepted them for `User/currentPrincipal`."""
    secret: Secret = {"type": "password", "user": user, "password": password}
    backend = open_backend(base_url, secret, account=user, quick=True)
    try:
        backend.workspace()
    except AuthenticationError as error:
        raise AuthenticationError(
            f"{NAME} did not accept the user name “{user}” with this password", account=user, detail=error.detail
        ) from None
    finally:
        backend.close()
    return secret


def browser_sign_in(
    base_url: str,
    *,
    open_url: Callable[[str], object],
    previous: Mapping[str, Any],
    timeout: float,
    cancelled: Callable[[], bool],
    options: Mapping[str, str] | None = None,
) -> Secret:
    """Online: OpenID Connect for the app registered under the account's client id (`options`,
    or the previous sign-in's); its application token (the app's client secret) from `options`
    or the previous secret."""
    from attache.backends.superoffice_oauth import sign_in_with_browser

    options = options or {}
    client_id = str(options.get(CLIENT_ID_OPTION) or previous.get("client_id") or "")
    app_token = str(options.get("client_secret") or previous.get("app_token") or "")
    return sign_in_with_browser(
        base_url, client_id=client_id, app_token=app_token, open_url=open_url, timeout=timeout, cancelled=cancelled
    )
