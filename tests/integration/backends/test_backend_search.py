"""Search on the server through `Backend.iter_pages(search=...)`, against each service's sandbox over
real HTTP: what comes back has every word, the total counts the matches (not what one page holds),
and awork's `filterby` grammar is held to its notes (awork.md §3.2) by the sandbox."""

from __future__ import annotations

from collections.abc import Iterator

import httpx
import pytest

from attache.backends.awork import AworkBackend, search_filter
from attache.backends.base import Backend
from attache.backends.http import default_retry
from attache.core.capabilities import Capability
from attache.core.errors import AttacheError
from attache.core.models import EntityKind, EntityRef
from attache.core.services import SERVICES, Service
from attache.sandbox import SandboxServer

K = EntityKind


@pytest.fixture(scope="module", params=list(SERVICES))
def searched(request: pytest.FixtureRequest) -> Iterator[tuple[Service, Backend]]:
    entry = SERVICES[request.param]
    with SandboxServer(service=entry.id) as server:
        connector = entry.connector()
        backend = connector.open_backend(server.base_url, connector.secret_from_token(server.token), account="search")
        yield entry, backend
        backend.close()


def _everything(backend: Backend, kind: EntityKind, search: str | None = None, page_size: int = 200):
    pages = list(backend.iter_pages(kind, page_size=page_size, search=search))
    return [entity for page in pages for entity in page.items], pages[0].total if pages else 0


def test_every_listed_kind_searches_on_the_server(searched):
    entry, backend = searched
    kinds = [kind for kind in entry.kinds() if Capability.SEARCH in entry.capabilities(kind)]
    assert kinds == [kind for kind in entry.kinds() if kind is not K.WORKSPACE]
    for kind in kinds:
        everything, _ = _everything(backend, kind)
        word = max(everything[len(everything) // 2].name.split(), key=len).lower()
        found, total = _everything(backend, kind, word, page_size=7)
        assert found, f"{entry.name}: nothing found for {word!r} in {kind.label}"
        assert all(word in entity.name.lower() for entity in found), (kind, word)
        assert total is None or total == len(found)
        assert {e.id for e in found} <= {e.id for e in everything}
        assert len(found) <= len(everything)
        assert _everything(backend, kind, "zqxjzqxj no such thing")[0] == []


def test_an_empty_search_is_the_whole_list(searched):
    entry, backend = searched
    kind = entry.kinds()[0]
    assert [e.id for e in _everything(backend, kind, "  ")[0]] == [e.id for e in _everything(backend, kind)[0]]


# ---- awork: filterby and its sandbox


@pytest.fixture(scope="module")
def scaled() -> Iterator[SandboxServer]:
    with SandboxServer(scale=5000) as server:
        yield server


@pytest.fixture(scope="module")
def backend(scaled) -> Iterator[AworkBackend]:
    with AworkBackend(scaled.base_url, token=scaled.token, retry=default_retry(sleeper=lambda s: None)) as backend:
        yield backend


def test_the_filter_has_every_word_in_any_name_field():
    assert (
        search_filter(("name",), "Site MAP") == "substringof('site',tolower(name)) and substringof('map',tolower(name))"
    )
    assert search_filter(("firstName", "lastName"), "1999") == (
        "substringof('1999',tolower(firstName)) or substringof('1999',tolower(lastName))"
    )
    assert search_filter(("firstName", "lastName"), "maya 1999").count("(substringof") == 2
    assert search_filter(("name",), "o'brien") == "substringof('o''brien',tolower(name))"
    assert search_filter(("name",), " ") == "" and search_filter((), "x") == ""


def test_task_search_counts_every_match_in_the_store(scaled, backend):
    word = "audit"
    expected = scaled.store.scalar("SELECT COUNT(*) FROM tasks WHERE name LIKE ?", (f"%{word}%",))
    assert expected > 100  # more than one page: the total is the server's, not a page's
    pages = iter(backend.iter_pages(K.TASK, page_size=100, search="AUDIT"))
    first = next(pages)
    assert first.total == expected and len(first.items) == 100 and not first.is_last
    rest = [entity for page in pages for entity in page.items]
    found = first.items + rest
    assert len(found) == expected == len({e.id for e in found})
    assert all(word in e.name.lower() for e in found)


def test_task_search_within_a_project(scaled, backend):
    project_id, name = scaled.store.read("SELECT t.project_id, t.name FROM tasks t ORDER BY t.rowid LIMIT 1 OFFSET 77")[
        0
    ]
    word = max(name.split(), key=len)
    expected = scaled.store.scalar(
        "SELECT COUNT(*) FROM tasks WHERE project_id=? AND name LIKE ?", (project_id, f"%{word}%")
    )
    pages = list(backend.iter_pages(K.TASK, parent=EntityRef(K.PROJECT, project_id), search=word))
    found = [e for page in pages for e in page.items]
    assert len(found) == expected == pages[0].total > 0
    assert all(e.parent_id(K.PROJECT) == project_id for e in found)


def test_users_match_on_first_or_last_name(scaled, backend):
    row = scaled.store.read("SELECT first_name, last_name FROM users WHERE is_archived=0 LIMIT 1 OFFSET 5")[0]
    first, last = row[0], row[1]
    found, _ = _everything(backend, K.USER, last.split()[-1])
    assert any(e.name.startswith(first) for e in found)
    both, _ = _everything(backend, K.USER, f"{first.lower()} {last.upper()}")
    assert both and all(first.lower() in e.name.lower() and last.lower() in e.name.lower() for e in both)


def test_quotes_and_wildcards_are_literal(scaled, backend):
    task_id = scaled.store.scalar("SELECT id FROM tasks LIMIT 1")
    with scaled.store.transaction() as db:
        db.execute("UPDATE tasks SET name=? WHERE id=?", ("Check O'Brien's 100%_done list", task_id))
    assert [e.id for e in _everything(backend, K.TASK, "o'brien's")[0]] == [task_id]
    assert [e.id for e in _everything(backend, K.TASK, "100%_")[0]] == [task_id]
    assert _everything(backend, K.TASK, "100%x")[0] == []


@pytest.mark.parametrize(
    "expression",
    [
        "substringof('x',tolower(name)",  # an unclosed parenthesis
        "name eq 'unterminated",
        "nosuchfield eq 1",
        "name like 'x'",
        "substringof(name, 'x')",
        "startswith('x', name) and",
    ],
)
def test_an_invalid_filter_is_a_400_with_awork_error_shape(scaled, expression):
    response = httpx.get(
        f"{scaled.base_url}/me/allavailabletasks",
        params={"filterby": expression},
        headers={"Authorization": f"Bearer {scaled.token}"},
    )
    assert response.status_code == 400
    body = response.json()
    assert body["code"] == "invalid-filter-or-order" and body["description"]


def test_the_sandbox_reads_the_grammar_of_the_notes(scaled):
    def count(expression: str) -> int:
        response = httpx.get(
            f"{scaled.base_url}/me/allavailabletasks",
            params={"filterby": expression, "pageSize": 1},
            headers={"Authorization": f"Bearer {scaled.token}"},
        )
        assert response.status_code == 200, response.text
        return int(response.headers["aw-totalitems"])

    def store(where: str, *args) -> int:
        return scaled.store.scalar(f"SELECT COUNT(*) FROM tasks WHERE {where}", args)

    assert count("substringof('audit',tolower(name))") == store("name LIKE '%audit%'")
    assert count("startswith(tolower(name),'a')") == store("name LIKE 'a%'")
    assert count("endswith(name,'s')") == store("name LIKE '%s'")
    assert count("not substringof('audit',name)") == store("name NOT LIKE '%audit%'")
    assert count("(substringof('audit',name) or substringof('site',name)) and isPrio eq true") == store(
        "(name LIKE '%audit%' OR name LIKE '%site%') AND is_prio = 1"
    )
    assert count("taskNumber ge 10 and taskNumber lt 20") == store("task_number >= 10 AND task_number < 20")
    assert count("taskNumber gt 10 and taskNumber le 20 and taskNumber ne 15") == store(
        "task_number > 10 AND task_number <= 20 AND task_number != 15"
    )


def test_an_invalid_filter_through_the_backend_is_a_clear_error(backend):
    with pytest.raises(AttacheError) as caught:
        backend._json("GET", "me/allavailabletasks", params={"filterby": "name eq"})
    error = caught.value
    assert error.status == 400 and error.code == "invalid-filter-or-order"
    assert "filter" in str(error).lower()
