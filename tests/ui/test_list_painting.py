"""What the entity list paints, and when: scrolling moves pixels and paints only the rows that come
into view; an avatar landing repaints its own row, and nothing when its entity is off screen.
On the awork sandbox with 300 more people, each with a picture."""

from __future__ import annotations

import pytest
from ui_helpers import shown_window

from attache.core.models import EntityKind
from attache.ui.browse import EntityDelegate
from attache.ui.models import EntityRole

PEOPLE = 300


class CountingDelegate(EntityDelegate):
    """The list's own delegate, noting each row it paints."""

    def __init__(self, avatars, parent=None) -> None:
        super().__init__(avatars, parent)
        self.rows: list[int] = []

    def paint(self, painter, option, index) -> None:
        self.rows.append(index.row())
        super().paint(painter, option, index)


@pytest.fixture(scope="module")
def crowded_sandbox():
    from attache.sandbox import SandboxServer

    with SandboxServer(people=PEOPLE) as server:
        yield server


@pytest.fixture
def window(crowded_sandbox, make_backend, make_window, qtbot):
    backend = make_backend(crowded_sandbox)
    window = shown_window(make_window, backend)
    window.show_kind(EntityKind.USER)
    model = window.list_model
    qtbot.waitUntil(lambda: model.kind is EntityKind.USER and model.rowCount() > 0 and not model.loading, timeout=5000)
    while model.canFetchMore():  # every page in: no rows arrive (and relayout the list) mid-test
        model.fetchMore()
        qtbot.waitUntil(lambda: not model.loading, timeout=5000)
    delegate = CountingDelegate(window.avatars, window.list_view)
    window.list_view.setItemDelegate(delegate)
    window.list_view.viewport().update()
    # every visible avatar has landed and been painted
    qtbot.waitUntil(lambda: window.avatars.queued == 0 and not window.avatars.busy, timeout=10_000)
    qtbot.wait(80)
    window.delegate = delegate
    return window


def _visible_rows(view) -> int:
    return view.viewport().height() // EntityDelegate.ROW_HEIGHT + 1


def test_scrolling_paints_only_the_rows_coming_into_view(window, qtbot):
    view, delegate = window.list_view, window.delegate
    bar = view.verticalScrollBar()
    for step in range(3):
        delegate.rows.clear()
        top = view.indexAt(view.viewport().rect().topLeft()).row()
        bar.setValue(bar.value() + EntityDelegate.ROW_HEIGHT)
        qtbot.waitUntil(lambda: bool(delegate.rows), timeout=2000)
        qtbot.wait(60)  # and the avatars of the new row
        assert view.indexAt(view.viewport().rect().topLeft()).row() == top + 1
        # one row came into view (two partly covered at the bottom edge), not the whole list again
        assert len(set(delegate.rows)) <= 3 < _visible_rows(view), (step, delegate.rows)


def test_an_avatar_repaints_only_its_own_row(window, qtbot):
    view, delegate, avatars = window.list_view, window.delegate, window.avatars
    on_screen = window.filter_model.index(3, 0).data(EntityRole)
    assert on_screen is not None and on_screen.has_image
    fetched = avatars.fetch_count
    delegate.rows.clear()
    avatars.invalidate(on_screen.ref)  # the person's picture changed: fetched again, repainted
    qtbot.waitUntil(lambda: avatars.fetch_count > fetched and avatars.queued == 0 and not avatars.busy, timeout=5000)
    qtbot.wait(80)
    assert delegate.rows and set(delegate.rows) == {3}

    off_screen = window.list_model.entity(window.list_model.rowCount() - 1)
    assert (
        view.visualRect(window.filter_model.index(window.list_model.rowCount() - 1, 0)).top() > view.viewport().height()
    )
    delegate.rows.clear()
    fetched = avatars.fetch_count
    avatars.invalidate(off_screen.ref)
    qtbot.wait(150)
    assert delegate.rows == [] and avatars.fetch_count == fetched  # nothing painted, nothing fetched
