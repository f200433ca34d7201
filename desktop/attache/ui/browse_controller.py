"""Browsing: the sidebar of kinds with their counts, the list with its search, and what is selected.

The controller builds the sidebar and the list pane (the window places them), follows the session,
and loads counts and people on workers.
"""

from __future__ import annotations

import logging

from PySide6.QtCore import QItemSelectionModel, QModelIndex, QObject, Qt, QTimer, Signal
from PySide6.QtWidgets import QFrame, QHBoxLayout, QLineEdit, QToolButton, QVBoxLayout, QWidget

from attache.core.capabilities import Capability
from attache.core.models import Entity, EntityKind
from attache.ui import tasks, theme
from attache.ui.avatars import AvatarLoader
from attache.ui.browse import EntityListView, KindDelegate, KindsView, SearchField
from attache.ui.models import EntityFilterModel, EntityListModel, EntityRole, KindsModel
from attache.ui.plain import plain_label
from attache.ui.session import Session

log = logging.getLogger(__name__)

MAX_PEOPLE = 5000  # "added by" names: enough for any team, bounded for a huge directory
SEARCH_DELAY_MS = 300  # the server is asked once typing pauses this long


class BrowseController(QObject):
    entitySelected = Signal(object)  # Entity | None
    peopleLoaded = Signal(dict)  # user id → name
    failed = Signal(object)  # the list could not load (the window offers Retry)
    requestFailed = Signal(object)  # a count or the people could not load (tells the connection state)

    def __init__(self, session: Session, avatars: AvatarLoader, parent: QWidget) -> None:
        super().__init__(parent)
        self.session = session
        self.pending_kind: EntityKind | None = None  # the kind to list once connected (from the settings)
        self._pending_select: str | None = None
        self._reselect: str | None = None  # the selection to keep when a search's answer arrives
        self.people: dict[str, str] = {}
        self.kinds_model = KindsModel(self)
        self.list_model = EntityListModel(self)
        self.filter_model = EntityFilterModel(self)
        self.filter_model.setSourceModel(self.list_model)
        # Typing filters the loaded rows at once; a pause asks the server, whose answer replaces them.
        self.search_timer = QTimer(self)
        self.search_timer.setSingleShot(True)
        self.search_timer.setInterval(SEARCH_DELAY_MS)
        self.search_timer.timeout.connect(self.search_on_server)
        self.sidebar = self._build_sidebar(parent)
        self.list_pane = self._build_list_pane(parent, avatars)
        session.changed.connect(self._session_changed)

    # ------------------------------------------------------------------ building

    def _build_sidebar(self, parent: QWidget) -> QFrame:
        sidebar = QFrame(parent)
        sidebar.setObjectName("Sidebar")
        sidebar.setAttribute(Qt.WidgetAttribute.WA_StyledBackground, True)
        self.sidebar_layout = side = QVBoxLayout(sidebar)
        side.setContentsMargins(0, 0, 0, 8)
        side.setSpacing(0)
        self.workspace_label = plain_label("Attaché", sidebar)
        self.workspace_label.setObjectName("SidebarHeader")
        self.account_label = plain_label("", sidebar)
        self.account_label.setObjectName("SidebarAccount")
        self.kinds_view = KindsView(sidebar)
        self.kinds_view.setModel(self.kinds_model)
        self.kinds_view.selectionModel().currentChanged.connect(self._kind_selected)
        side.addWidget(self.workspace_label)
        side.addWidget(self.account_label)
        side.addWidget(self.kinds_view, 1)
        sidebar.setMinimumWidth(150)
        return sidebar

    def _build_list_pane(self, parent: QWidget, avatars: AvatarLoader) -> QWidget:
        pane = QWidget(parent)
        pane.setObjectName("ListPane")
        pane.setAttribute(Qt.WidgetAttribute.WA_StyledBackground, True)
        lay = QVBoxLayout(pane)
        lay.setContentsMargins(0, 14, 0, 0)
        lay.setSpacing(8)
        head = QHBoxLayout()
        head.setContentsMargins(16, 0, 16, 0)
        self.list_title = plain_label("", pane)
        self.list_title.setObjectName("ListHeader")
        self.list_count = plain_label("", pane)
        self.list_count.setObjectName("ListSubheader")
        head.addWidget(self.list_title)
        head.addStretch(1)
        head.addWidget(self.list_count, 0, Qt.AlignmentFlag.AlignBottom)
        lay.addLayout(head)
        scope = QHBoxLayout()
        scope.setContentsMargins(16, 0, 16, 0)
        self.scope_chip = plain_label("", pane)
        self.scope_chip.setObjectName("ScopeChip")
        self.scope_clear = QToolButton(pane)
        self.scope_clear.setText("Show all tasks")
        self.scope_clear.setAutoRaise(True)
        self.scope_clear.setAccessibleName("Show all tasks")
        self.scope_clear.clicked.connect(lambda: self.show_kind(EntityKind.TASK))
        scope.addWidget(self.scope_chip)
        scope.addWidget(self.scope_clear)
        scope.addStretch(1)
        self.scope_row = QWidget(pane)
        self.scope_row.setLayout(scope)
        self.scope_row.hide()
        lay.addWidget(self.scope_row)
        self.search = SearchField(pane)
        self.search.setObjectName("SearchField")
        self.search.setPlaceholderText("Search")
        self.search.setClearButtonEnabled(True)
        self.search.setAccessibleName("Search")
        self.search.addAction(theme.svg_icon("search", theme.MUTED, 16), QLineEdit.ActionPosition.LeadingPosition)
        self.search.textChanged.connect(self._search_changed)
        search_row = QHBoxLayout()
        search_row.setContentsMargins(14, 0, 14, 4)
        search_row.addWidget(self.search)
        lay.addLayout(search_row)
        self.list_view = EntityListView(avatars, pane)
        self.list_view.setModel(self.filter_model)
        self.list_view.selectionModel().currentChanged.connect(self._entity_selected)
        self.list_view.doubleClicked.connect(self._entity_activated)
        self.list_model.failed.connect(self._list_failed)
        self.list_model.totalChanged.connect(self._update_count)
        self.list_model.loadingChanged.connect(lambda _loading: self._update_count())
        self.list_model.pageLoaded.connect(self._page_loaded)
        self.list_model.loadingChanged.connect(lambda _loading: self._update_empty_text())
        for signal in (
            self.filter_model.rowsInserted,
            self.filter_model.rowsRemoved,
            self.filter_model.modelReset,
            self.filter_model.layoutChanged,
        ):
            signal.connect(self._update_count)
            signal.connect(self._update_empty_text)
        lay.addWidget(self.list_view, 1)
        pane.setMinimumWidth(200)
        return pane

    # ------------------------------------------------------------------ the session

    def _session_changed(self) -> None:
        session = self.session
        self.list_model.set_source(None, None)
        if not session.is_open:
            self.kinds_model.set_kinds([])
            return
        kinds = session.service.kinds()
        self.kinds_model.set_kinds(kinds, {kind: theme.kind_icon(kind) for kind in kinds})
        needed = KindDelegate.needed_width(self.kinds_view.font(), [kind.label for kind in kinds])
        self.sidebar.setMinimumWidth(max(150, needed + 2 * self.kinds_view.frameWidth()))
        name = session.workspace.name if session.workspace is not None else session.backend.account
        self.workspace_label.setText(name)
        connection = session.connection
        self.account_label.setText(connection.label if connection and connection.label else session.service_name)
        self._load_people()
        self.load_counts()
        kind = self.pending_kind if self.pending_kind in kinds else None
        kind = kind or (EntityKind.PROJECT if EntityKind.PROJECT in kinds else kinds[0] if kinds else None)
        if kind is not None:
            self.kinds_view.setCurrentIndex(self.kinds_model.index(self.kinds_model.row_of(kind), 0))

    def load_counts(self) -> None:
        backend = self.session.backend
        for kind in self.kinds_model.kinds():
            tasks.run_task(
                lambda kind=kind: _count(backend, kind),
                lambda count, kind=kind: backend is self.session.backend and self.kinds_model.set_count(kind, count),
                lambda error: self._background_failed("count failed", error),
                owner=self,
            )

    def _load_people(self) -> None:
        """User ids → names for "added by"; on a worker, at most a few thousand people."""
        backend = self.session.backend
        if not self.session.can(EntityKind.USER, Capability.LIST):
            return

        def load() -> dict[str, str]:
            people: dict[str, str] = {}
            for page in backend.iter_pages(EntityKind.USER, page_size=500):
                people.update((user.id, user.name) for user in page.items)
                if len(people) >= MAX_PEOPLE:
                    break
            return people

        def loaded(people: dict[str, str]) -> None:
            if backend is self.session.backend:
                self.people = people
                self.peopleLoaded.emit(people)

        tasks.run_task(load, loaded, lambda error: self._background_failed("could not list people", error), owner=self)

    def _background_failed(self, what: str, error: BaseException) -> None:
        log.info("%s: %s", what, error)
        if self.session.is_open:
            self.requestFailed.emit(error)

    # ------------------------------------------------------------------ listing

    def _kind_selected(self, current: QModelIndex, previous: QModelIndex) -> None:
        kind = self.kinds_model.kind_at(current.row())
        if kind is not None and (kind != self.list_model.kind or self.list_model.parent_ref is not None):
            self.show_kind(kind)

    def show_kind(self, kind: EntityKind, parent: Entity | None = None) -> None:
        """List one kind; for tasks, optionally only those of a project."""
        if not self.session.is_open:
            return
        row = self.kinds_model.row_of(kind)
        if row >= 0 and self.kinds_view.currentIndex().row() != row:
            self.kinds_view.selectionModel().blockSignals(True)
            self.kinds_view.setCurrentIndex(self.kinds_model.index(row, 0))
            self.kinds_view.selectionModel().blockSignals(False)
            self.kinds_view.viewport().update()
        self.search.blockSignals(True)
        self.search.clear()
        self.search.blockSignals(False)
        self.search_timer.stop()
        self.filter_model.set_query("")
        self.list_title.setText(kind.label)
        self.scope_row.setVisible(parent is not None)
        if parent is not None:
            self.scope_chip.setText(f"In {parent.name}")
        self.search.setPlaceholderText(f"Search {kind.label.lower()}")
        self.entitySelected.emit(None)
        self._pending_select = None
        self.list_model.set_source(self.session.backend, kind, parent.ref if parent is not None else None)
        self.list_model.fetchMore(QModelIndex())
        self._update_count()

    def refresh(self) -> None:
        """List again what is listed, keeping the selection; counts too."""
        current = self.list_view.currentIndex().data(EntityRole) if self.list_view.currentIndex().isValid() else None
        self.load_counts()
        model = self.list_model
        if model.kind is not None:
            self._reselect = current.id if current else None
            model.refresh(self.session.backend)

    def _page_loaded(self) -> None:
        kept, self._reselect = self._reselect, None
        if kept is not None and self.select_entity(kept):
            return
        wanted = self._pending_select
        if wanted is not None and self.select_entity(wanted):
            self._pending_select = None
            return
        self._keep_selection_shown()

    def _keep_selection_shown(self) -> None:
        """The detail pane never shows an item the list hides: the first row shown, or nothing."""
        if self.list_view.currentIndex().isValid():
            return
        if self.filter_model.rowCount() > 0:
            self.list_view.selectionModel().setCurrentIndex(
                self.filter_model.index(0, 0), QItemSelectionModel.SelectionFlag.ClearAndSelect
            )
        else:
            self.entitySelected.emit(None)

    def _update_count(self, *args) -> None:
        self.list_count.setText(count_text(self.list_model, self.filter_model, self.search.text()))

    def _update_empty_text(self, *args) -> None:
        self.list_view.set_empty_text(empty_text(self.list_model, self.filter_model, self.search.text()))

    def _search_changed(self, text: str) -> None:
        model = self.list_model
        self.filter_model.set_query(text)
        self._keep_selection_shown()
        if self._searches_on_server():
            if text.strip():
                self.search_timer.start()
            else:  # cleared: the whole list again, at once
                self.search_timer.stop()
                if model.search is not None:
                    model.set_search(None)
        elif text and self.filter_model.rowCount() < 50 and model.canFetchMore():
            # keep loading while a filter shows few rows, so a search covers more than the first page
            model.fetchMore()
        self._update_count()
        self._update_empty_text()

    def _searches_on_server(self) -> bool:
        kind = self.list_model.kind
        return kind is not None and self.session.is_open and self.session.can(kind, Capability.SEARCH)

    def search_on_server(self) -> None:
        """The debounce's slot: ask the server for what the search field says (an answer to older
        text is dropped by the model). The answer replaces the rows and shows the server's count."""
        self.search_timer.stop()
        text = self.search.text().strip() or None
        model = self.list_model
        if not self._searches_on_server() or (text == model.search and not model.searching):
            return
        current = self.list_view.currentIndex().data(EntityRole) if self.list_view.currentIndex().isValid() else None
        self._reselect = current.id if current is not None else None
        model.set_search(text)
        self._update_count()

    def focus_search(self) -> None:
        self.search.setFocus(Qt.FocusReason.ShortcutFocusReason)
        self.search.selectAll()

    def _entity_selected(self, current: QModelIndex, previous: QModelIndex) -> None:
        self.entitySelected.emit(current.data(EntityRole) if current.isValid() else None)

    def _entity_activated(self, index: QModelIndex) -> None:
        entity = index.data(EntityRole)
        if entity is not None and entity.kind is EntityKind.PROJECT:
            self.show_kind(EntityKind.TASK, entity)

    def select_entity(self, entity_id: str) -> bool:
        row = self.list_model.row_of(entity_id)
        if row < 0:
            return False
        index = self.filter_model.mapFromSource(self.list_model.index(row, 0))
        if not index.isValid():
            return False
        self.list_view.setCurrentIndex(index)
        self.list_view.scrollTo(index)
        return True

    def _list_failed(self, error: BaseException) -> None:
        self._update_count()
        self.failed.emit(error)


def count_text(model: EntityListModel, filtered: EntityFilterModel, text: str = "") -> str:
    """ "12 of 240", "3 of 50 match", "3,208 tasks match", "Loading…": what the list header says
    about its rows (`text`: the search field's)."""
    shown, loaded, total = filtered.rowCount(), model.rowCount(), model.total
    if model.kind is None:
        return ""
    if model.error is not None and loaded == 0:
        return "Could not load"
    if model.loading and loaded == 0:
        return "Loading…"
    if model.searching:
        if filtered.query():
            return f"{shown:,} of {loaded:,} match, searching…"
        if loaded == 0 or model.search is not None:
            return "Loading…"
        # the same list asked again (a refresh): what it had stays in sight until the answer comes
        return f"{_settled_count(model, loaded, total)}, updating…"
    answered = model.search is not None and model.search == text.strip()
    if answered and total is not None:  # the server's answer to what the field says
        if total == 0:  # in the words the empty list uses
            return f"No {model.kind.label.lower()} match"
        noun = model.kind.singular if total == 1 else model.kind.label.lower()
        return f"{total:,} {noun} {'matches' if total == 1 else 'match'}"
    if filtered.query():
        more = "" if model.exhausted else " (loading more…)" if model.loading else ""
        return f"{shown:,} of {loaded:,} match{more}"
    return _settled_count(model, loaded, total)


def _settled_count(model: EntityListModel, loaded: int, total: int | None) -> str:
    if total is not None and total > loaded:
        return f"{loaded:,} of {total:,}"
    noun = model.kind.singular if loaded == 1 else model.kind.label.lower()
    if total is None and not model.exhausted:  # a service that says no totals has more to come
        return f"{loaded:,}+ {model.kind.label.lower()}"
    return f"{loaded:,} {noun}"


def empty_text(model: EntityListModel, filtered: EntityFilterModel, text: str) -> str:
    """What an empty list says: "No tasks match 'xyz'" once nothing can match any more."""
    text = text.strip()
    if model.kind is None or not text or filtered.rowCount() > 0 or model.error is not None:
        return ""
    settled = (model.search == text and not model.searching and not model.loading) or (
        model.search is None and model.exhausted and not model.loading
    )
    return f"No {model.kind.label.lower()} match '{text}'" if settled else ""


def _count(backend, kind: EntityKind) -> int | None:
    """Worker: how many entities of a kind, from the first page's total."""
    if kind is EntityKind.WORKSPACE:
        return 1
    pages = iter(backend.iter_pages(kind, page_size=1))
    try:
        page = next(pages, None)
    finally:
        close = getattr(pages, "close", None)
        if close is not None:
            close()
    if page is None:
        return 0
    if page.total is not None:
        return page.total
    return len(page.items) if page.is_last else None
