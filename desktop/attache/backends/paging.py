"""How a service's lists are cut into pages, as strategies a REST backend plugs in.

A strategy knows the query parameters and where the items, the total and any next link are in
an answer; it asks for each page through a `Fetch` callable only when the caller wants it, so a
window can show the first page at once. It never trusts the server to be consistent: a list ends
at an empty page, a next link that points elsewhere or nowhere new is refused, and a server that
keeps sending full pages is stopped (`MAX_LIST_PAGES`, `MAX_LIST_ITEMS`, and the pages its own
total needs) with a `ProtocolError` saying so.

- `NumberedPaging`: `page`/`pageSize` in, a bare JSON array and optional total/page-size headers out;
  ends at the total, else at the first page shorter than the (server's) page size.
- `OffsetEnvelopePaging`: `startIndex`/`count` in, the items in an envelope key out; the offset
  advances by the items actually received (a server's own "next index" is not trusted), and the
  list ends at a short page or at the envelope's total.
- `ODataPaging`: `$top`/`$skip` in, `value` and `odata.nextLink` out; follows the next link when
  there is one, else asks for the next `$skip` after a full page and stops after a short one. No
  page size cap is assumed: the size asked for is the size that counts as full.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field
from typing import Any, Protocol
from urllib.parse import urljoin, urlsplit

from attache.core.errors import ProtocolError

QueryValue = str | int


@dataclass(frozen=True, slots=True)
class PageQuery:
    """One page to ask for: query parameters for the list's own URL, or a next link used as is."""

    params: Mapping[str, QueryValue] = field(default_factory=dict)
    url: str | None = None


@dataclass(frozen=True, slots=True)
class PageAnswer:
    """What the server sent for one page: the decoded body, the headers and the URL that was fetched."""

    body: Any
    headers: Mapping[str, str] = field(default_factory=dict)
    url: str = ""


@dataclass(frozen=True, slots=True)
class RawPage:
    """One page of a service's items before they become core types."""

    items: list[Any]
    number: int  # 1 for the first page
    total: int | None  # all items of the list, when the server said
    is_last: bool


Fetch = Callable[[PageQuery], PageAnswer]


class Paging(Protocol):
    def pages(self, fetch: Fetch, page_size: int, *, service: str) -> Iterator[RawPage]:
        """Each page in turn, fetched only when the previous one has been consumed."""
        ...


def _not_a_list(service: str, answer: PageAnswer, found: object) -> ProtocolError:
    return ProtocolError(
        f"{service} answered a list request with something that is not a list",
        detail=f"GET {answer.url}: {type(found).__name__}",
    )


def _int(value: object) -> int | None:
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return value
    if isinstance(value, str):
        try:
            return int(value.strip())
        except ValueError:
            return None
    return None


def _clamped(page_size: int, cap: int | None) -> int:
    size = max(1, int(page_size))
    return min(size, cap) if cap is not None else size


def _items_in(body: Any, key: str, service: str, answer: PageAnswer) -> list[Any]:
    """The list under `key` of an object body; a missing or null list is an empty one."""
    if not isinstance(body, dict):
        raise _not_a_list(service, answer, body)
    items = body.get(key)
    if items is None:
        return []
    if not isinstance(items, list):
        raise _not_a_list(service, answer, items)
    return items


# What one answer means: its items, the list's total if known, and the next page to ask for (None: last).
Step = tuple[list[Any], int | None, PageQuery | None]


# A list ends here whatever the server says: no list any service holds for one account comes near
# (the largest the benchmarks seed is 100,000 tasks).
MAX_LIST_ITEMS = 250_000
MAX_LIST_PAGES = 5_000


def _walk(
    fetch: Fetch, first: PageQuery, step: Callable[[PageAnswer], Step], *, size: int, service: str
) -> Iterator[RawPage]:
    """Each page in turn, for at most the pages the declared total needs at the length pages come in
    (two more for a list that grew meanwhile), and never past `MAX_LIST_PAGES` pages or `MAX_LIST_ITEMS` items."""
    query: PageQuery | None = first
    number, seen, most_pages = 1, 0, MAX_LIST_PAGES
    while query is not None:
        if number > most_pages or seen >= MAX_LIST_ITEMS:
            raise ProtocolError(
                f"{service} kept sending pages ({number - 1:,} pages, {seen:,} items); the list stops here",
                detail=f"page limit {most_pages}, item limit {MAX_LIST_ITEMS}, page size {size}",
            )
        items, total, query = step(fetch(query))
        seen += len(items)
        if total is not None and total >= 0 and items:  # pages as long as this one (the server may clamp `size`)
            most_pages = min(most_pages, max(number, -(-total // len(items)) + 2))
        yield RawPage(items, number, total, query is None)
        number += 1


@dataclass(frozen=True)
class NumberedPaging:
    """Pages by number; a bare JSON array per page, the total and page size optionally in headers."""

    page_param: str = "page"
    size_param: str = "pageSize"
    total_header: str | None = None
    page_size_header: str | None = None  # the size the server actually used, when it clamps ours
    max_page_size: int | None = None

    def pages(self, fetch: Fetch, page_size: int, *, service: str) -> Iterator[RawPage]:
        size = _clamped(page_size, self.max_page_size)
        seen, number = 0, 1

        def step(answer: PageAnswer) -> Step:
            nonlocal seen, number
            items = answer.body
            if not isinstance(items, list):
                raise _not_a_list(service, answer, items)
            seen += len(items)
            number += 1
            total = _int(answer.headers.get(self.total_header)) if self.total_header else None
            used_size = (_int(answer.headers.get(self.page_size_header)) if self.page_size_header else None) or size
            is_last = (seen >= total or not items) if total is not None else len(items) < used_size
            return items, total, None if is_last else PageQuery({self.page_param: number, self.size_param: size})

        return _walk(fetch, PageQuery({self.page_param: 1, self.size_param: size}), step, size=size, service=service)


@dataclass(frozen=True)
class OffsetEnvelopePaging:
    """Pages by offset and count; the items and the total inside an object (an envelope) per page."""

    start_param: str = "startIndex"
    count_param: str = "count"
    items_key: str = "response"
    total_key: str = "total"
    max_page_size: int | None = None

    def pages(self, fetch: Fetch, page_size: int, *, service: str) -> Iterator[RawPage]:
        size = _clamped(page_size, self.max_page_size)
        start = 0

        def step(answer: PageAnswer) -> Step:
            nonlocal start
            items = _items_in(answer.body, self.items_key, service, answer)
            start += len(items)  # what came, not what the server says comes next
            total = _int(answer.body.get(self.total_key))
            is_last = not items or len(items) < size or (total is not None and start >= total)
            return items, total, None if is_last else PageQuery({self.start_param: start, self.count_param: size})

        first = PageQuery({self.start_param: 0, self.count_param: size})
        return _walk(fetch, first, step, size=size, service=service)


@dataclass(frozen=True)
class ODataPaging:
    """OData `$top`/`$skip` paging that follows `odata.nextLink` when the server sets one."""

    top_param: str = "$top"
    skip_param: str = "$skip"
    items_key: str = "value"
    next_link_key: str = "odata.nextLink"

    def pages(self, fetch: Fetch, page_size: int, *, service: str) -> Iterator[RawPage]:
        size = _clamped(page_size, None)
        seen = 0

        def step(answer: PageAnswer) -> Step:
            nonlocal seen
            items = _items_in(answer.body, self.items_key, service, answer)
            seen += len(items)
            link = answer.body.get(self.next_link_key)
            if isinstance(link, str) and link.strip() and items:
                return items, None, PageQuery(url=self._next_url(link.strip(), answer, service))
            if len(items) >= size:  # full, and no link: the next page may still hold items
                return items, None, PageQuery({self.top_param: size, self.skip_param: seen})
            return items, None, None

        return _walk(fetch, PageQuery({self.top_param: size, self.skip_param: 0}), step, size=size, service=service)

    @staticmethod
    def _next_url(link: str, answer: PageAnswer, service: str) -> str:
        """The link made absolute; refused when it leaves the server (our credentials would follow)
        or points at the page just fetched (the list would never end)."""
        url = urljoin(answer.url, link)
        here, there = urlsplit(answer.url), urlsplit(url)
        if (there.scheme, there.netloc) != (here.scheme, here.netloc):
            raise ProtocolError(
                f"{service} sent a link to the next page on another server; the list stops here",
                detail=f"next link to {there.scheme}://{there.netloc} from {here.scheme}://{here.netloc}",
            )
        if url == answer.url:
            raise ProtocolError(f"{service} sent the same page again as the next one", detail=f"GET {answer.url}")
        return url
