"""Search that finds what exists: the window asks the server once typing pauses, shows its count and
its answer (paged like any list), says when nothing matches, clears with Esc and never keeps showing
an item the search hid. Real HTTP to sandboxes with more tasks than the list loads at first."""

from __future__ import annotations

from collections import Counter

import pytest
from PySide6.QtCore import QModelIndex, Qt
from ui_helpers import shown_window, store_count

from attache.core.models import EntityKind
from attache.core.services import SERVICES
from attache.sandbox import SandboxServer
from attache.ui import tasks
from attache.ui.models import EntityRole

K = EntityKind


@pytest.fixture(scope="module")
def big():
    with SandboxServer(scale=3000) as server:
        yield server


def _tasks_window(server, make_backend, make_window, qtbot):
    window = shown_window(make_window, make_backend(server))
    qtbot.waitUntil(lambda: window.list_model.rowCount() > 0, timeout=10_000)
    window.show_kind(K.TASK)
    qtbot.waitUntil(
        lambda: window.list_model.kind is K.TASK and window.list_model.rowCount() > 0 and not window.list_model.loading,
        timeout=10_000,
    )
    return window


def _common_word(server, more_than: int) -> tuple[str, int]:
    """A word in more task names than the list has loaded: the local filter alone would undercount."""
    words = Counter(w.lower() for (name,) in server.store.read("SELECT name FROM tasks") for w in set(name.split()))
    for word, _ in words.most_common():
        if len(word) >= 4 and word.isalpha():
            count = server.store.scalar("SELECT COUNT(*) FROM tasks WHERE name LIKE ?", (f"%{word}%",))
            if count > more_than:
                return word, count
    raise AssertionError("no word common enough")


def _settled(window) -> bool:
    model = window.list_model
    return not model.searching and not model.loading


def test_the_count_is_the_servers_and_the_answer_pages_lazily(big, make_backend, make_window, qtbot, qtmodeltester):
    window = _tasks_window(big, make_backend, make_window, qtbot)
    loaded = window.list_model.rowCount()
    assert loaded < store_count(big, "tasks")
    word, expected = _common_word(big, loaded)
    qtbot.keyClicks(window.search, word.upper())
    local = window.filter_model.rowCount()
    assert local < expected  # at once: what is loaded, filtered
    qtbot.waitUntil(lambda: window.list_count.text() == f"{expected:,} tasks match", timeout=10_000)
    model = window.list_model
    assert model.search == word.upper() and model.total == expected
    assert 0 < model.rowCount() < expected  # the first page only: the rest comes as the list scrolls
    assert all(word in e.name.lower() for e in model.entities())
    qtmodeltester.check(window.filter_model)
    qtmodeltester.check(model)
    while model.canFetchMore(QModelIndex()):
        model.fetchMore(QModelIndex())
        qtbot.waitUntil(lambda: not model.loading, timeout=10_000)
    ids = {row["id"] for row in big.store.read("SELECT id FROM tasks WHERE name LIKE ?", (f"%{word}%",))}
    assert {e.id for e in model.entities()} == ids
    assert window.filter_model.rowCount() == expected
    assert window.list_count.text() == f"{expected:,} tasks match"


def test_nothing_found_says_so_and_esc_shows_everything_again(big, make_backend, make_window, qtbot):
    window = _tasks_window(big, make_backend, make_window, qtbot)
    loaded = window.list_model.rowCount()
    window.search.setFocus()
    qtbot.keyClicks(window.search, "zqxjv")
    window.browse.search_on_server()  # the debounce's slot, without waiting for it
    qtbot.waitUntil(lambda: window.list_view.empty_text == "No tasks match 'zqxjv'", timeout=10_000)
    assert window.filter_model.rowCount() == 0 and window.list_count.text() == "No tasks match"
    assert window.detail.entity is None
    qtbot.keyClick(window.search, Qt.Key.Key_Escape)
    assert window.search.text() == ""
    qtbot.waitUntil(lambda: window.filter_model.rowCount() == loaded and _settled(window), timeout=10_000)
    assert window.list_model.search is None and window.list_view.empty_text == ""
    assert window.list_count.text() == f"{loaded:,} of {store_count(big, 'tasks'):,}"
    assert window.detail.entity is not None  # the first task again


def test_the_detail_pane_follows_what_the_search_shows(big, make_backend, make_window, qtbot):
    window = _tasks_window(big, make_backend, make_window, qtbot)
    word, _ = _common_word(big, 0)
    hidden = next(e for e in window.list_model.entities() if word not in e.name.lower())
    window.browse.select_entity(hidden.id)
    assert window.detail.entity.id == hidden.id
    qtbot.keyClicks(window.search, word)
    shown = window.detail.entity
    assert shown is None or word in shown.name.lower()  # at once, with the local filter
    window.browse.search_on_server()
    qtbot.waitUntil(lambda: window.list_model.search == word and _settled(window), timeout=10_000)
    current = window.list_view.currentIndex()
    assert current.isValid() and window.detail.entity.id == current.data(EntityRole).id
    assert word in window.detail.entity.name.lower()
    if shown is not None:
        assert window.detail.entity.id == shown.id  # a match stays selected when the answer comes


def test_an_answer_to_older_text_is_dropped(big, make_backend, make_window, qtbot):
    window = _tasks_window(big, make_backend, make_window, qtbot)
    word, _ = _common_word(big, 0)
    window.search.setText(word)
    window.browse.search_on_server()
    window.search.setText(word + "zqxj")  # typed on before the first answer arrived
    window.browse.search_on_server()
    qtbot.waitUntil(lambda: window.list_view.empty_text == f"No tasks match '{word}zqxj'", timeout=10_000)
    tasks.runner().wait(15_000)  # both answers are in…
    qtbot.wait(10)  # …and delivered: the older one changed nothing
    assert window.list_model.rowCount() == 0 and window.list_model.search == word + "zqxj"


@pytest.fixture(params=[s for s in SERVICES if s != "awork"])
def other_backend(request):
    """A backend on another service's sandbox, closed after the window's workers are done."""
    entry = SERVICES[request.param]
    with SandboxServer(service=entry.id) as server:
        connector = entry.connector()
        backend = connector.open_backend(server.base_url, connector.secret_from_token(server.token), account="search")
        yield backend
        tasks.runner().wait(15_000)
        backend.close()


def test_other_services_search_on_the_server_too(other_backend, make_window, qtbot):
    everything = [e for page in other_backend.iter_pages(K.TASK) for e in page.items]
    word = max(everything[len(everything) // 2].name.split(), key=len)
    expected = sum(word.lower() in e.name.lower() for e in everything)
    window = shown_window(make_window, other_backend)
    qtbot.waitUntil(lambda: window.list_model.rowCount() > 0, timeout=10_000)
    window.show_kind(K.TASK)
    qtbot.waitUntil(lambda: window.list_model.rowCount() > 0, timeout=10_000)
    qtbot.keyClicks(window.search, word)
    noun = "task matches" if expected == 1 else "tasks match"
    qtbot.waitUntil(lambda: window.list_count.text() == f"{expected:,} {noun}", timeout=10_000)
    assert all(word.lower() in e.name.lower() for e in window.list_model.entities())
