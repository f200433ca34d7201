"""The SuperOffice sandbox's archive query: what a filter matches, how pages and nextLink come out."""

from __future__ import annotations

from urllib.parse import parse_qs, urlsplit

import pytest

from attache.sandbox.superoffice.errors import SoError
from attache.sandbox.superoffice.odata import Archive, answer, parse_filter

COLUMNS = ("id", "name", "count", "done", "date")
ROWS = [
    {"id": 1, "name": "O'Brien Consulting", "count": 5, "done": True, "date": "2025-01-10T08:00:00"},
    {"id": 2, "name": "Nordic Energy", "count": 12, "done": False, "date": "2025-03-01T08:00:00"},
    {"id": 3, "name": "nordic software", "count": None, "done": False, "date": "2024-12-24T08:00:00"},
]
ARCHIVE = Archive("thing", "id", COLUMNS, ("id", "name"))


def matching(text: str) -> list[int]:
    predicate = parse_filter(text, COLUMNS)
    return [row["id"] for row in ROWS if predicate(row)]


@pytest.mark.parametrize(
    ("text", "ids"),
    [
        ("name contains 'NORDIC'", [2, 3]),
        ("name begins 'nordic s'", [3]),
        ("name notContains 'nordic'", [1]),
        ("name eq 'o''brien consulting'", [1]),  # '' is a quote inside a string
        ("count gt 4 and count lt 12", [1]),
        ("count ge 12 or name is 'nordic software'", [2, 3]),
        ("id oneOf (1, 3)", [1, 3]),
        ("not (id = 2)", [1, 3]),
        ("done eq true", [1]),
        ("done eq 0", [2, 3]),
        ("date before '2025-01-01'", [3]),
        ("substringof('energy', name)", [2]),
        ("startswith(name, 'o''b') or endswith(name, 'WARE')", [1, 3]),
        ("ID EQ 2", [2]),  # columns and operators without regard to case
    ],
)
def test_filters_match_as_the_archive_does(text, ids):
    assert matching(text) == ids


@pytest.mark.parametrize("text", ["name contans 'x'", "missing eq 1", "name eq", "(id eq 1", "id eq 1 2", "name eq 'x"])
def test_a_filter_that_does_not_parse_is_a_400(text):
    with pytest.raises(SoError) as refused:
        parse_filter(text, COLUMNS)
    assert refused.value.status == 400 and refused.value.error_type == "ODataFilterParseException"


def page(**params: str) -> dict:
    return answer(ARCHIVE, list(ROWS), params, self_url="http://h/Cust1/api/v1/Thing", metadata_url="m", page_cap=2)


def test_the_cap_cuts_a_page_and_next_link_asks_for_the_rest():
    first = page(**{"$top": "10", "$select": "name"})
    assert [row["PrimaryKey"] for row in first["value"]] == ["1", "2"]
    assert first["value"][0] == {"PrimaryKey": "1", "EntityName": "thing", "name": "O'Brien Consulting"}
    rest = parse_qs(urlsplit(first["odata.nextLink"]).query)
    assert rest == {"$select": ["name"], "$skip": ["2"], "$top": ["8"]}
    second = page(**{k: v[0] for k, v in rest.items()})
    assert [row["PrimaryKey"] for row in second["value"]] == ["3"] and second["odata.nextLink"] is None


def test_a_page_the_client_sized_has_no_next_link_and_values_are_display_strings():
    body = page(**{"$top": "1", "$skip": "2", "$select": "count,done,nosuch"})
    assert body["odata.nextLink"] is None
    assert body["value"] == [{"PrimaryKey": "3", "EntityName": "thing", "count": "", "done": "0", "nosuch": ""}]
    ordered = page(**{"$orderBy": "count desc", "$top": "2"})
    assert [row["PrimaryKey"] for row in ordered["value"]] == ["2", "1"]
