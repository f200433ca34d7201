"""The base of every REST backend: its clients, one way to send, one way to read JSON, lists, errors.

A service's backend subclasses `RestClient`, sets `service_name` (for messages), its registry
`capability_table` (`capabilities()`, and `_check`/`_unsupported` refusing in the table's words), its
`errors` table and a `paging` strategy, and builds its wire calls on `_send`, `_json`, `_stream`,
`_download` and `_pages`. Every httpx failure comes out as an `AttacheError`; an HTML page where JSON was due (a
proxy, a login page, a wrong URL) is a `ProtocolError` that says so.

Clients made here (from `auth` and `retry`) are closed by `close()`; a client given to the
constructor belongs to the caller and is left open.
"""

from __future__ import annotations

from collections.abc import Callable, Collection, Iterable, Iterator, Mapping
from contextlib import contextmanager
from pathlib import Path
from typing import Any, Self, TypeVar
from urllib.parse import quote

import httpx
from httpx_retries import Retry

from attache.backends.base import ChunkObserver
from attache.backends.errors import (
    NO_RULES,
    ErrorTable,
    error_for_exception,
    error_for_response,
    expect_json,
    host_of,
    html_instead_of_json,
    invalid_url,
    looks_like_html,
    not_what_service_sends,
    redirected,
)
from attache.backends.http import (
    RETRY_EXTENSION,
    RateLimitAwareRetry,
    RetriesStopped,
    make_client,
    redact_url,
    retry_of,
    stop_retrying,
)
from attache.backends.limits import DECODED, MAX_BODY, STREAMED
from attache.backends.paging import NumberedPaging, PageAnswer, PageQuery, Paging, QueryValue, RawPage
from attache.backends.resume import DOWNLOAD_ATTEMPTS, Resume, Validator, decide, kept_download, range_headers
from attache.backends.streams import PartFile
from attache.core.capabilities import Capability, CapabilityTable
from attache.core.errors import AttacheError, InvalidInputError, ProtocolError, UnsupportedError
from attache.core.models import EntityKind
from attache.core.text import printable

OnError = Callable[[httpx.Response], AttacheError]
T = TypeVar("T")
_BODY_FRAMING = ("content-encoding", "content-length", "transfer-encoding")  # not true of a decoded excerpt
# Characters a path segment may hold as they are (RFC 3986 pchar); everything else is %-encoded.
_SEGMENT_SAFE = "!$&'()*+,;=:@~-._"


def quoted_path(path: str) -> str:
    """A relative API path with each segment %-encoded (an id with a space, `?`, `#`, `%` or a
    control character stays one segment of the path). A `.` or `..` segment (an id that would
    climb the path) is refused."""
    segments = path.split("/")
    if any(segment in (".", "..") for segment in segments):
        raise InvalidInputError(f"{printable(path)[:200]} is not an address of the API (a . or .. in it)")
    return "/".join(quote(segment, safe=_SEGMENT_SAFE) for segment in segments)


def _first(chunks: Iterable[bytes], limit: int) -> Iterator[bytes]:
    """Chunks up to about `limit` bytes (the start of an error body, never all of a large one)."""
    total = 0
    for chunk in chunks:
        yield chunk
        total += len(chunk)
        if total >= limit:
            return


def _size_or_none(size: object) -> int | None:
    """A declared size, or None when the list did not say (or said nonsense)."""
    if isinstance(size, bool) or not isinstance(size, int) or size < 0:
        return None
    return size


def _pause(policy: RateLimitAwareRetry, error: AttacheError) -> None:
    """Wait before the next attempt: the server's hint when it gave one, else the policy's back-off."""
    hint = getattr(error, "retry_after", None)
    if isinstance(hint, (int, float)) and hint > 0:
        seconds = min(float(hint), policy.max_backoff_wait)
    else:
        seconds = policy.seconds_before_retry(error)
    try:
        policy.pause(seconds)
    except RetriesStopped:  # the account is closing: the last failure is the answer
        raise error from None


def _length(response: httpx.Response) -> int | None:
    try:
        value = int(response.headers.get("content-length", ""))
    except ValueError:
        return None
    return value if value >= 0 and "content-encoding" not in response.headers else None


class RestClient:
    service_name: str = "the service"  # as messages name the service
    # The service's registry table: what each kind can do, and why not in its words.
    capability_table: CapabilityTable = CapabilityTable("the service", {})
    errors: ErrorTable = NO_RULES
    paging: Paging = NumberedPaging()

    def __init__(
        self,
        base_url: str,
        *,
        account: str,
        auth: httpx.Auth | None = None,
        client: httpx.Client | None = None,
        retry: Retry | None = None,
    ) -> None:
        """`client` is used as given (its own auth) and left open; otherwise one is made with
        `auth` and `retry` and closed by `close()`."""
        self.account = account
        self.base_url = base_url.rstrip("/")
        self._owned: list[httpx.Client] = []
        self._client = client or self._own(make_client(self.base_url, auth=auth, retry=retry))

    def _own(self, client: httpx.Client) -> httpx.Client:
        """Take `client` into this backend's care: `close()` closes it."""
        self._owned.append(client)
        return client

    def close(self) -> None:
        for client in self._owned:
            client.close()
        self._owned.clear()

    def stop_retrying(self) -> None:
        """Requests in flight give up at their next retry pause instead of waiting it out (the
        account is closing); a later request still gets its first attempt."""
        for client in self._owned:
            stop_retrying(client)

    def __enter__(self) -> Self:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()

    # ------------------------------------------------------------------ sending

    def _url(self, path_or_url: str) -> str:
        if path_or_url.startswith(("http://", "https://")):
            return path_or_url
        return f"{self.base_url}/{quoted_path(path_or_url.lstrip('/'))}"

    def _send(
        self,
        method: str,
        path: str,
        *,
        not_found: str | None = None,
        client: httpx.Client | None = None,
        on_error: OnError | None = None,
        max_bytes: int | None = None,
        **kwargs: Any,
    ) -> httpx.Response:
        """The answer to one request, read; an error answer or a failure raises an `AttacheError`.

        `not_found` is the message for a 404, `on_error` replaces the usual mapping altogether;
        `max_bytes` replaces the cap on the answer's size (`limits.MAX_ANSWER_BYTES`). A redirect
        is never followed (the token would go along): it is a `ProtocolError` saying where to.
        """
        if max_bytes is not None:
            kwargs["extensions"] = {**kwargs.get("extensions", {}), MAX_BODY: max_bytes}
        url = self._url(path)
        try:
            response = (client or self._client).request(method, url, **kwargs)
        except httpx.HTTPError as exc:
            raise error_for_exception(exc, service=self.service_name) from exc
        except httpx.InvalidURL as exc:
            raise invalid_url(exc, url, service=self.service_name) from None
        if response.is_error:
            raise on_error(response) if on_error else self._error(response, not_found=not_found)
        if response.is_redirect:
            raise redirected(response, self.service_name)
        return response

    def _json(self, method: str, path: str, *, not_found: str | None = None, **kwargs: Any) -> Any:
        """The decoded JSON answer (see `_decode`)."""
        return self._decode(self._send(method, path, not_found=not_found, **kwargs))

    def _decode(self, response: httpx.Response) -> Any:
        """The JSON of a successful answer. A service whose answers share a wrapper unwraps it here."""
        return expect_json(response, service=self.service_name)

    def _bytes(self, response: httpx.Response) -> bytes:
        """The body of a successful binary answer; an HTML page instead is a `ProtocolError`."""
        if looks_like_html(response):
            raise html_instead_of_json(response, self.service_name)
        return response.content

    @contextmanager
    def _stream(
        self,
        method: str,
        path: str,
        *,
        not_found: str | None = None,
        client: httpx.Client | None = None,
        passthrough: Collection[int] = (),
        **kwargs: Any,
    ) -> Iterator[httpx.Response]:
        """A successful answer whose body is read by the caller, chunk by chunk (downloads).

        Failures while the caller reads the body become `AttacheError`s too; a redirect (to blob
        storage or anywhere else) is a `ProtocolError`: nothing is followed, nothing saved. An
        error status in `passthrough` (a download's 416) is the caller's to read.
        """
        url = self._url(path)
        extensions = {**kwargs.pop("extensions", {}), STREAMED: True}
        try:
            with (client or self._client).stream(method, url, extensions=extensions, **kwargs) as response:
                if response.status_code not in passthrough and (response.is_error or response.is_redirect):
                    head = b"".join(_first(response.iter_bytes(), 64 * 1024))
                    headers = [(k, v) for k, v in response.headers.items() if k.lower() not in _BODY_FRAMING]
                    error = httpx.Response(
                        response.status_code, headers=headers, content=head, request=response.request
                    )
                    if response.is_redirect:
                        raise redirected(error, self.service_name, instead_of="the file")
                    raise self._error(error, not_found=not_found)
                yield response
        except httpx.HTTPError as exc:
            raise error_for_exception(exc, service=self.service_name) from exc
        except httpx.InvalidURL as exc:
            raise invalid_url(exc, url, service=self.service_name) from None

    def _download(
        self,
        path: str,
        target: Path | Callable[[httpx.Response], Path],
        on_chunk: ChunkObserver | None,
        *,
        expected_size: int | None,
        name: str = "",
        client: httpx.Client | None = None,
        not_found: str | None = None,
        headers: Mapping[str, str] | None = None,
        saved_otherwise: Callable[[httpx.Response, Path], Path | None] | None = None,
    ) -> Path:
        """GET the file at `path` into `target` (see `streams.PartFile`); the path it got.

        `target` may be a function of the first answer (a name from its Content-Disposition);
        `expected_size` is the size the file list declared, `name` the file's name in messages.
        `saved_otherwise(answer, target)` may save an answer itself (not the file's bytes as they
        are) and return where. A web page where a file was due is refused unless the file is
        one; more bytes than declared stop the download; nothing is saved from a failed one.

        A dropped, stalled or refused (429, 5xx) attempt is tried again at the same `path` (a
        URL the service handed out stays the one used), waiting as the client's retry policy
        waits (`http.retry_of`; the server's Retry-After first), `resume.DOWNLOAD_ATTEMPTS`
        times in all: one budget, the transport does not retry these requests on its own. Each
        retry asks only for the bytes the `.part` file lacks when the first answer's validator
        allows (`resume`); the last failure is raised as it was. Under `resume.keeping_part` the
        `.part` and its validator come from (and go back to) the caller's `KeptDownload`: the
        first request already asks for the rest only, and a failed call leaves the `.part`.
        """
        expected_size = _size_or_none(expected_size)
        client = client or self._client
        policy = retry_of(client)
        once = {RETRY_EXTENSION: policy.copy_with(total=0)}
        part: PartFile | None = None
        kept = kept_download()
        validator: Validator | None = kept.validator if kept is not None else None
        kept_bytes = kept.kept_bytes() if kept is not None else 0
        try:
            for attempt in range(1, DOWNLOAD_ATTEMPTS + 1):
                have = part.size if part is not None else kept_bytes
                asked = range_headers(validator, have)
                try:
                    with self._stream(
                        "GET",
                        path,
                        client=client,
                        not_found=not_found,
                        headers={**(headers or {}), **asked},
                        extensions=once,
                        passthrough=(416,) if asked else (),
                    ) as response:
                        if not isinstance(target, Path):
                            target = target(response)
                        if saved_otherwise is not None and (saved := saved_otherwise(response, target)) is not None:
                            return saved
                        decision = decide(validator, have if asked else 0, response.status_code, response.headers)
                        if decision is Resume.APPEND and response.extensions.get(DECODED):
                            decision = Resume.ASK_AGAIN  # a range of compressed bytes: no offset of ours
                        if decision is Resume.ASK_AGAIN:
                            if part is not None:
                                part.restart()
                            validator, kept_bytes = None, 0
                            if kept is not None:
                                kept.validator = None
                                kept.save(kept)
                            continue
                        self._check_file_answer(
                            response,
                            name or target.name,
                            expected_size,
                            kept=have if decision is Resume.APPEND else 0,
                        )
                        if part is None:
                            part = PartFile(
                                target, sender=self.service_name, path=kept.part if kept is not None else None
                            )
                        if decision is Resume.START_OVER:
                            part.restart()
                            validator = Validator.of(response.headers, _length(response) or expected_size)
                            if response.extensions.get(DECODED):
                                validator = None  # sent compressed: a retry asks for all of it again
                            if kept is not None:  # journaled before a byte of this version is kept
                                kept.part, kept.validator = part.path, validator
                                kept.save(kept)
                        bound = expected_size if expected_size is not None or validator is None else validator.size
                        # As the bytes arrive (not in CHUNK_SIZE pieces): a cut keeps all it got.
                        part.write(response.iter_bytes(), on_chunk, expected_size=bound)
                    part.check_complete(bound)
                    return part.finish()
                except AttacheError as error:
                    if not error.transient or attempt == DOWNLOAD_ATTEMPTS:
                        raise
                    policy = policy.copy_with(attempts_made=policy.attempts_made + 1)
                    _pause(policy, error)
        finally:
            if part is not None:
                if kept is not None:
                    part.close()  # what it holds is the caller's, to resume from
                else:
                    part.discard()
        raise ProtocolError(
            f"{self.service_name} kept sending parts of {name or 'the file'} that do not fit together; "
            "nothing was saved",
            detail=f"{DOWNLOAD_ATTEMPTS} answers of no use for GET {redact_url(self._url(path))}",
        )

    def _check_file_answer(self, response: httpx.Response, name: str, expected_size: int | None, *, kept: int) -> None:
        """Refuse a web page where a file was due (unless the file is one) and an answer that
        declares more bytes than the file list did (`kept`: bytes already in the `.part`)."""
        is_page = "html" in response.headers.get("content-type", "").lower()
        if is_page and not name.lower().endswith((".html", ".htm", ".xhtml")):
            raise ProtocolError(
                f"{host_of(response.request)} sent a web page instead of the file {name}; nothing was saved",
                detail=f"{response.request.method} {redact_url(response.request.url)} -> "
                f"{response.status_code} {response.headers.get('content-type', '')}",
            )
        declared = _length(response)
        if expected_size is not None and declared is not None and kept + declared > expected_size:
            raise ProtocolError(
                f"{self.service_name} sent more than the {expected_size:,} bytes it declared for {name}; "
                "nothing was saved",
                detail=f"Content-Length {declared} after {kept} bytes",
            )

    def capabilities(self, kind: EntityKind) -> Capability:
        return self.capability_table(kind)

    def _unsupported(self, kind: EntityKind, capability: Capability) -> UnsupportedError:
        """The refusal of `capability` for `kind`, in the registry table's sentence."""
        return UnsupportedError(self.capability_table.why_not(kind, capability))

    def _check(self, kind: EntityKind, capability: Capability) -> None:
        if capability not in self.capabilities(kind):
            raise self._unsupported(kind, capability)

    def _error(self, response: httpx.Response, *, not_found: str | None = None) -> AttacheError:
        return error_for_response(
            response, service=self.service_name, account=self.account, not_found=not_found, table=self.errors
        )

    # ------------------------------------------------------------------ lists

    # ------------------------------------------------------------------ records

    def _records(self, items: Iterable[Any], parse: Callable[[dict[str, Any]], T], where: str = "") -> list[T]:
        """Each item of a list answer through `parse`; an item that is not an object, or one
        `parse` cannot read (a number where a name is due), is a `ProtocolError`, not a crash."""
        return [self._record(item, parse, where) for item in items]

    def _record(self, item: Any, parse: Callable[[dict[str, Any]], T], where: str = "") -> T:
        if not isinstance(item, dict):
            raise not_what_service_sends(
                self.service_name, where or self._host(), f"{type(item).__name__} where an object was due"
            )
        try:
            return parse(item)
        except (AttributeError, TypeError, KeyError, ValueError, IndexError) as exc:
            raise not_what_service_sends(self.service_name, where or self._host(), f"{exc!r}") from None

    def _host(self) -> str:
        return host_of(self.base_url)

    def _pages(
        self,
        path: str,
        page_size: int,
        *,
        not_found: str | None = None,
        params: Mapping[str, QueryValue] | None = None,
        paging: Paging | None = None,
    ) -> Iterator[RawPage]:
        """The pages of the list at `path` (with `params` on every page asked for by parameters)."""

        def fetch(query: PageQuery) -> PageAnswer:
            if query.url is not None:
                response = self._send("GET", query.url, not_found=not_found)
            else:
                response = self._send("GET", path, params={**(params or {}), **query.params}, not_found=not_found)
            return PageAnswer(self._page_body(response), response.headers, str(response.url))

        return (paging or self.paging).pages(fetch, page_size, service=self.service_name)

    def _page_body(self, response: httpx.Response) -> Any:
        """What a paging strategy reads from one page's answer: the JSON as sent (envelope included)."""
        return expect_json(response, service=self.service_name)
