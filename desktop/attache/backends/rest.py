"""The base of every REST backend: its clients, one way to send, one way to read JSON, lists, errors.

A service's backend subclasses `RestClient`, sets `service_name` (for messages), its `errors`
table and a `paging` strategy, and builds its wire calls on `_send`, `_json`, `_stream` and
`_pages`. Every httpx failure comes out as an `AttacheError`; an HTML page where JSON was due (a
proxy, a login page, a wrong URL) is a `ProtocolError` that says so.

Clients made here (from `auth` and `retry`) are closed by `close()`; a client given to the
constructor belongs to the caller and is left open.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from typing import Any, Self

import httpx
from httpx_retries import Retry

from attache.backends.errors import (
    NO_RULES,
    ErrorTable,
    error_for_exception,
    error_for_response,
    expect_json,
    html_instead_of_json,
    looks_like_html,
)
from attache.backends.http import STREAMED, make_client
from attache.backends.paging import NumberedPaging, PageAnswer, PageQuery, Paging, QueryValue, RawPage
from attache.core.errors import AttacheError

OnError = Callable[[httpx.Response], AttacheError]


class RestClient:
    service_name: str = "the service"  # as messages name the service
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

    def __enter__(self) -> Self:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()

    # ------------------------------------------------------------------ sending

    def _url(self, path_or_url: str) -> str:
        if path_or_url.startswith(("http://", "https://")):
            return path_or_url
        return f"{self.base_url}/{path_or_url.lstrip('/')}"

    def _send(
        self,
        method: str,
        path: str,
        *,
        not_found: str | None = None,
        client: httpx.Client | None = None,
        on_error: OnError | None = None,
        **kwargs: Any,
    ) -> httpx.Response:
        """The answer to one request, read; an error answer or a failure raises an `AttacheError`.

        `not_found` is the message for a 404, `on_error` replaces the usual mapping altogether.
        """
        try:
            response = (client or self._client).request(method, self._url(path), **kwargs)
        except httpx.HTTPError as exc:
            raise error_for_exception(exc, service=self.service_name) from exc
        if response.is_error:
            raise on_error(response) if on_error else self._error(response, not_found=not_found)
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
        **kwargs: Any,
    ) -> Iterator[httpx.Response]:
        """A successful answer whose body is read by the caller, chunk by chunk (downloads).

        Failures while the caller reads the body become `AttacheError`s too.
        """
        try:
            with (client or self._client).stream(
                method, self._url(path), extensions={STREAMED: True}, **kwargs
            ) as response:
                if response.is_error:
                    response.read()
                    raise self._error(response, not_found=not_found)
                yield response
        except httpx.HTTPError as exc:
            raise error_for_exception(exc, service=self.service_name) from exc

    def _error(self, response: httpx.Response, *, not_found: str | None = None) -> AttacheError:
        return error_for_response(
            response, service=self.service_name, account=self.account, not_found=not_found, table=self.errors
        )

    # ------------------------------------------------------------------ lists

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
