"""Paging strategies over scripted page sequences: what they ask for next, and when they stop."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from attache.backends.paging import NumberedPaging, ODataPaging, OffsetEnvelopePaging, PageAnswer, PageQuery
from attache.core.errors import ProtocolError

LIST_URL = "https://crm.test/api/v1/Project"


class Script:
    """Answers page requests from a list of bodies (or a function of the query), recording each query."""

    def __init__(self, answer: Callable[[PageQuery], Any] | list[Any], headers: dict[str, str] | None = None) -> None:
        self.answer = answer
        self.headers = headers or {}
        self.queries: list[PageQuery] = []

    def __call__(self, query: PageQuery) -> PageAnswer:
        self.queries.append(query)
        if callable(self.answer):
            body = self.answer(query)
        else:
            body = self.answer[len(self.queries) - 1]
        url = query.url or f"{LIST_URL}?" + "&".join(f"{k}={v}" for k, v in query.params.items())
        return PageAnswer(body, self.headers, url)


def rows(start: int, n: int) -> list[dict[str, int]]:
    return [{"id": i} for i in range(start, start + n)]


# ---------------------------------------------------------------------------- offset + envelope


def envelope_server(total: int, *, cap: int | None = None, with_total: bool = False) -> Callable[[PageQuery], Any]:
    """Like a portal: `startIndex`/`count` in; a wrong `nextIndex` (one too far) out, as the real one sends."""

    def answer(query: PageQuery) -> Any:
        start, count = int(query.params["startIndex"]), int(query.params["count"])
        count = min(count, cap) if cap else count
        items = rows(start, max(0, min(count, total - start)))
        body: dict[str, Any] = {
            "count": len(items),
            "startIndex": start,
            "status": 0,
            "statusCode": 200,
            "response": items,
            "nextIndex": start + count + 1,
        }
        if with_total:
            body["total"] = total
        return body

    return answer


def test_envelope_paging_counts_what_came_instead_of_trusting_next_index():
    script = Script(envelope_server(5))
    pages = list(OffsetEnvelopePaging().pages(script, 2, service="Portal"))
    assert [[r["id"] for r in p.items] for p in pages] == [[0, 1], [2, 3], [4]]
    assert [q.params["startIndex"] for q in script.queries] == [0, 2, 4]
    assert [p.is_last for p in pages] == [False, False, True] and [p.number for p in pages] == [1, 2, 3]


def test_envelope_paging_stops_at_the_total_without_an_extra_request():
    script = Script(envelope_server(4, with_total=True))
    pages = list(OffsetEnvelopePaging().pages(script, 2, service="Portal"))
    assert len(script.queries) == 2 and pages[-1].is_last and pages[-1].total == 4


def test_envelope_paging_without_a_response_key_is_an_empty_last_page():
    pages = list(OffsetEnvelopePaging().pages(Script([{"status": 0, "statusCode": 200}]), 50, service="Portal"))
    assert len(pages) == 1 and pages[0].items == [] and pages[0].is_last


def test_envelope_paging_clamps_to_the_given_cap():
    script = Script(envelope_server(3))
    list(OffsetEnvelopePaging(max_page_size=1000).pages(script, 5000, service="Portal"))
    assert script.queries[0].params["count"] == 1000


def test_envelope_whose_response_is_not_a_list_is_a_protocol_error():
    with pytest.raises(ProtocolError, match="Portal answered a list request with something that is not a list"):
        list(OffsetEnvelopePaging().pages(Script([{"response": {"id": 1}}]), 10, service="Portal"))


# ---------------------------------------------------------------------------- OData


def test_odata_advances_skip_after_a_full_page_and_stops_after_a_short_one():
    script = Script([{"value": rows(0, 3)}, {"value": rows(3, 3)}, {"value": rows(6, 1)}])
    pages = list(ODataPaging().pages(script, 3, service="CRM"))
    assert [q.params for q in script.queries] == [
        {"$top": 3, "$skip": 0},
        {"$top": 3, "$skip": 3},
        {"$top": 3, "$skip": 6},
    ]
    assert [len(p.items) for p in pages] == [3, 3, 1] and [p.is_last for p in pages] == [False, False, True]


def test_odata_ends_with_an_empty_page_after_an_exact_multiple():
    script = Script([{"value": rows(0, 2), "odata.nextLink": None}, {"value": []}])
    pages = list(ODataPaging().pages(script, 2, service="CRM"))
    assert len(script.queries) == 2 and pages[-1].items == [] and pages[-1].is_last


def test_odata_follows_next_link_even_after_a_short_page():
    # The server chose a smaller page than asked; its link says there is more.
    script = Script(
        [
            {"value": rows(0, 2), "odata.nextLink": "Project?$top=5&$skip=2"},
            {"value": rows(2, 2), "odata.nextLink": f"{LIST_URL}?$top=5&$skip=4"},
            {"value": rows(4, 1)},
        ]
    )
    pages = list(ODataPaging().pages(script, 5, service="CRM"))
    assert [q.url for q in script.queries] == [None, f"{LIST_URL}?$top=5&$skip=2", f"{LIST_URL}?$top=5&$skip=4"]
    assert sum(len(p.items) for p in pages) == 5 and pages[-1].is_last


def test_odata_assumes_no_page_size_cap():
    script = Script([{"value": rows(0, 5000)}, {"value": []}])
    list(ODataPaging().pages(script, 5000, service="CRM"))
    assert script.queries[0].params["$top"] == 5000 and script.queries[1].params["$skip"] == 5000


def test_odata_after_a_next_link_without_a_new_one_continues_by_skip_from_what_came():
    script = Script(
        [
            {"value": rows(0, 2), "odata.nextLink": "Project?$skiptoken=abc"},
            {"value": rows(2, 2)},  # full, no link
            {"value": []},
        ]
    )
    list(ODataPaging().pages(script, 2, service="CRM"))
    assert script.queries[2].params == {"$top": 2, "$skip": 4}


def test_odata_refuses_a_next_link_to_another_server():
    script = Script([{"value": rows(0, 1), "odata.nextLink": "https://elsewhere.test/api/v1/Project?$skip=1"}])
    with pytest.raises(ProtocolError, match="another server"):
        list(ODataPaging().pages(script, 1, service="CRM"))


def test_odata_refuses_a_next_link_to_the_same_page():
    same = f"{LIST_URL}?$top=1&$skip=0"
    with pytest.raises(ProtocolError, match="same page"):
        list(ODataPaging().pages(Script([{"value": rows(0, 1), "odata.nextLink": same}]), 1, service="CRM"))


def test_odata_pages_are_fetched_only_when_wanted():
    script = Script(lambda query: {"value": rows(0, 2)})
    pages = ODataPaging().pages(script, 2, service="CRM")
    next(pages)
    assert len(script.queries) == 1


# ---------------------------------------------------------------------------- numbered + headers


def test_numbered_paging_follows_the_servers_page_size_header():
    script = Script([rows(0, 2), rows(2, 2), rows(4, 1)], headers={"x-pagesize": "2"})
    pages = list(NumberedPaging(page_size_header="x-pagesize").pages(script, 10, service="Svc"))
    assert [q.params["page"] for q in script.queries] == [1, 2, 3] and pages[-1].is_last
