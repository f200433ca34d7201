"""Item models: the sidebar's kinds, the entity list (lazy paging), a task's files.

Network calls happen only in `tasks.run_task` workers; models change on the GUI thread when
the answers come back.
"""

from __future__ import annotations

import bisect
import logging
from datetime import datetime

from PySide6.QtCore import (
    QAbstractListModel,
    QAbstractProxyModel,
    QAbstractTableModel,
    QModelIndex,
    QPersistentModelIndex,
    Qt,
    Signal,
)

from attache.core.capabilities import Capability
from attache.core.models import Entity, EntityKind, EntityRef, FileRecord
from attache.core.sources import human_size
from attache.ui import tasks
from attache.ui.plain import literal_tip

log = logging.getLogger(__name__)

EntityRole = Qt.ItemDataRole.UserRole + 1
KindRole = Qt.ItemDataRole.UserRole + 2
CountRole = Qt.ItemDataRole.UserRole + 3
SubtitleRole = Qt.ItemDataRole.UserRole + 4
FileRole = Qt.ItemDataRole.UserRole + 5
DropHintRole = Qt.ItemDataRole.UserRole + 6
UploadsRole = Qt.ItemDataRole.UserRole + 30  # uploads to the entity under way (a count)

_Index = QModelIndex | QPersistentModelIndex


# ---------------------------------------------------------------------- sidebar


class KindsModel(QAbstractListModel):
    """The kinds an account can browse, each with its count once known."""

    def __init__(self, parent=None) -> None:
        super().__init__(parent)
        self._kinds: list[EntityKind] = []
        self._counts: dict[EntityKind, int | None] = {}
        self._icons: dict[EntityKind, object] = {}

    def set_kinds(self, kinds: list[EntityKind], icons: dict | None = None) -> None:
        self.beginResetModel()
        self._kinds = list(kinds)
        self._counts = {}
        self._icons = dict(icons or {})
        self.endResetModel()

    def kinds(self) -> list[EntityKind]:
        return list(self._kinds)

    def kind_at(self, row: int) -> EntityKind | None:
        return self._kinds[row] if 0 <= row < len(self._kinds) else None

    def row_of(self, kind: EntityKind) -> int:
        try:
            return self._kinds.index(kind)
        except ValueError:
            return -1

    def set_count(self, kind: EntityKind, count: int | None) -> None:
        row = self.row_of(kind)
        if row < 0:
            return
        self._counts[kind] = count
        index = self.index(row, 0)
        self.dataChanged.emit(
            index, index, [CountRole, Qt.ItemDataRole.DisplayRole, Qt.ItemDataRole.AccessibleTextRole]
        )

    def count(self, kind: EntityKind) -> int | None:
        return self._counts.get(kind)

    def rowCount(self, parent: _Index = QModelIndex()) -> int:
        return 0 if parent.isValid() else len(self._kinds)

    def data(self, index: _Index, role: int = Qt.ItemDataRole.DisplayRole):
        if not index.isValid() or not 0 <= index.row() < len(self._kinds):
            return None
        kind = self._kinds[index.row()]
        count = self._counts.get(kind)
        if role == Qt.ItemDataRole.DisplayRole:
            return kind.label
        if role == CountRole:
            return count
        if role == KindRole:
            return kind
        if role == Qt.ItemDataRole.DecorationRole:
            return self._icons.get(kind)
        if role == Qt.ItemDataRole.AccessibleTextRole:
            return f"{kind.label}, {count:,}" if count is not None else kind.label
        if role == Qt.ItemDataRole.ToolTipRole:
            return f"{count:,} {kind.label.lower()}" if count is not None else None
        return None


# ---------------------------------------------------------------------- entity list


class EntityListModel(QAbstractListModel):
    """The entities of one kind, fetched a page at a time as the view scrolls (fetchMore)."""

    loadingChanged = Signal(bool)
    failed = Signal(object)  # the exception of a page that could not be loaded
    totalChanged = Signal()
    pageLoaded = Signal()

    PAGE_SIZE = 200

    def __init__(self, parent=None) -> None:
        super().__init__(parent)
        self._backend = None
        self._kind: EntityKind | None = None
        self._flags: tuple | None = None  # (backend, kind, the rows' flags), see row_flags
        self._parent_ref: EntityRef | None = None
        self._entities: list[Entity] = []
        self._haystacks: list[str] = []  # casefolded "name subtitle", for the filter
        self._rows: dict[str, int] = {}
        self._iterator = None
        self._exhausted = True
        self._fetching = None
        self._error: BaseException | None = None
        self._generation = 0
        self._search: str | None = None  # what the server was asked to keep (None: everything)
        self._replacing = False  # the next page replaces the rows shown (a new search's first)
        self.total: int | None = None
        self.drop_row = -1
        self.drop_hint = ""
        self.drop_ok = True
        self._uploads: dict[str, int] = {}  # entity id → uploads to it under way

    # ---- source

    @property
    def kind(self) -> EntityKind | None:
        return self._kind

    @property
    def parent_ref(self) -> EntityRef | None:
        return self._parent_ref

    @property
    def loading(self) -> bool:
        return self._fetching is not None

    @property
    def error(self) -> BaseException | None:
        return self._error

    @property
    def exhausted(self) -> bool:
        return self._exhausted

    @property
    def search(self) -> str | None:
        """The search the rows answer, or will once the server's first page arrives."""
        return self._search

    @property
    def searching(self) -> bool:
        """A new search (or its undoing) is under way: the rows shown are still the old ones."""
        return self._replacing and self._error is None

    def set_search(self, text: str | None) -> None:
        """Ask the server for the entities matching `text` (None or "": all of them again). The rows
        shown stay until the answer's first page arrives and replaces them; an answer to an older
        search (the user typed on) is dropped. The answer pages lazily like any list."""
        self._generation += 1
        if self._fetching is not None:
            self._fetching.cancel()
            self._fetching = None
        self._search = (text or "").strip() or None
        self._iterator = None
        self._exhausted = self._backend is None or self._kind is None
        self._error = None
        self._replacing = not self._exhausted
        self.fetchMore(QModelIndex())

    def set_source(
        self, backend, kind: EntityKind | None, parent_ref: EntityRef | None = None, search: str | None = None
    ) -> None:
        """Show another kind (or another project's tasks); the first page loads on demand."""
        self._generation += 1
        if self._fetching is not None:
            self._fetching.cancel()
            self._fetching = None
            self.loadingChanged.emit(False)
        self.beginResetModel()
        self._backend = backend
        self._kind = kind
        self._parent_ref = parent_ref
        self._entities = []
        self._haystacks = []
        self._rows = {}
        self._iterator = None
        self._exhausted = backend is None or kind is None
        self._error = None
        self._search = (search or "").strip() or None
        self._replacing = False
        self.total = None
        self.drop_row = -1
        self.endResetModel()
        self.totalChanged.emit()

    def reload(self) -> None:
        self.set_source(self._backend, self._kind, self._parent_ref, self._search)
        self.fetchMore(QModelIndex())

    def refresh(self, backend=None) -> None:
        """List the same kind, scope and search again (on `backend` when the sign-in changed). The
        rows shown stay until the first page of the answer replaces them, so a refresh that fails
        leaves them, and their total, in place; Retry then asks for that first page again."""
        if backend is not None:
            self._backend = backend
        self.set_search(self._search)

    def retry(self) -> None:
        """Try the page that failed again."""
        if self._error is not None:
            self._error = None
            self.fetchMore(QModelIndex())

    # ---- paging

    def canFetchMore(self, parent: _Index = QModelIndex()) -> bool:
        if parent.isValid():
            return False
        return not self._exhausted and self._error is None

    def fetchMore(self, parent: _Index = QModelIndex()) -> None:
        if parent.isValid() or self._fetching is not None or not self.canFetchMore(parent):
            return
        generation = self._generation
        backend, kind, parent_ref = self._backend, self._kind, self._parent_ref
        if self._iterator is None:
            self._iterator = _page_iterator(backend, kind, parent_ref, self.PAGE_SIZE, self._search)
        iterator = self._iterator
        self._fetching = True  # set before run_task: a synchronous run lands inside it
        self.loadingChanged.emit(True)
        handle = tasks.run_task(
            lambda: next(iterator, None),
            lambda page: self._on_page(generation, page),
            lambda error: self._on_error(generation, error),
            owner=self,
        )
        if self._fetching is True:
            self._fetching = handle

    def _on_page(self, generation: int, page) -> None:
        if generation != self._generation:
            return
        self._fetching = None
        if self._replacing:
            self._clear_rows()
        if page is None:
            self._exhausted = True
        else:
            if page.total is not None and page.total != self.total:
                self.total = page.total
            items = [e for e in page.items if e.id not in self._rows]
            if items:
                first = len(self._entities)
                self.beginInsertRows(QModelIndex(), first, first + len(items) - 1)
                for offset, entity in enumerate(items):
                    self._rows[entity.id] = first + offset
                self._entities.extend(items)
                self._haystacks.extend(f"{e.name} {e.subtitle}".casefold() for e in items)
                self.endInsertRows()
            if page.is_last:
                self._exhausted = True
            if self.total is not None and len(self._entities) >= self.total:
                self._exhausted = True
        if self._exhausted and self.total is None:
            self.total = len(self._entities)
        self.totalChanged.emit()
        self.loadingChanged.emit(False)
        self.pageLoaded.emit()

    def _clear_rows(self) -> None:
        """The old rows go, as the first page of a new search arrives to take their place."""
        self._replacing = False
        self.beginResetModel()
        self._entities, self._haystacks, self._rows = [], [], {}
        self.total = None
        self.drop_row = -1
        self.endResetModel()

    def _on_error(self, generation: int, error: BaseException) -> None:
        if generation != self._generation:
            return
        self._fetching = None
        if self._replacing:
            self._iterator = None  # Retry asks for the search's first page again
        self._error = error
        self.loadingChanged.emit(False)
        self.failed.emit(error)

    # ---- access

    def entity(self, row: int) -> Entity | None:
        return self._entities[row] if 0 <= row < len(self._entities) else None

    def row_of(self, entity_id: str) -> int:
        return self._rows.get(entity_id, -1)

    def entities(self) -> list[Entity]:
        return list(self._entities)

    def haystack(self, row: int) -> str:
        return self._haystacks[row]

    def haystacks(self) -> list[str]:
        return self._haystacks

    def replace_entity(self, entity: Entity) -> None:
        row = self._rows.get(entity.id, -1)
        if row < 0 or entity.kind != self._kind:
            return
        self._entities[row] = entity
        self._haystacks[row] = f"{entity.name} {entity.subtitle}".casefold()
        index = self.index(row, 0)
        self.dataChanged.emit(index, index)

    def refresh_row(self, entity_id: str) -> None:
        row = self._rows.get(entity_id, -1)
        if row >= 0:
            index = self.index(row, 0)
            self.dataChanged.emit(index, index, [Qt.ItemDataRole.DecorationRole])

    def set_drop_target(self, row: int, hint: str = "", ok: bool = True) -> None:
        old = self.drop_row
        self.drop_row, self.drop_hint, self.drop_ok = row, hint, ok
        for r in {old, row}:
            if 0 <= r < len(self._entities):
                index = self.index(r, 0)
                self.dataChanged.emit(index, index, [DropHintRole])

    # ---- Qt model API

    def rowCount(self, parent: _Index = QModelIndex()) -> int:
        return 0 if parent.isValid() else len(self._entities)

    def data(self, index: _Index, role: int = Qt.ItemDataRole.DisplayRole):
        if not index.isValid():
            return None
        row = index.row()
        if not 0 <= row < len(self._entities):
            return None
        entity = self._entities[row]
        if role == Qt.ItemDataRole.DisplayRole:
            return entity.name
        if role == SubtitleRole:
            return entity.subtitle
        if role == EntityRole:
            return entity
        if role == Qt.ItemDataRole.ToolTipRole:
            return literal_tip(f"{entity.name}\n{entity.subtitle}" if entity.subtitle else entity.name)
        if role == Qt.ItemDataRole.AccessibleTextRole:
            text = f"{entity.name}, {entity.subtitle}" if entity.subtitle else entity.name
            return f"{text}, has files" if entity.has_files else text
        if role == DropHintRole:
            return (self.drop_hint, self.drop_ok) if row == self.drop_row else None
        if role == UploadsRole:
            return self._uploads.get(entity.id, 0)
        return None

    def row_paint(self, row: int) -> tuple[Entity, tuple[str, bool] | None, int] | None:
        """What a row's delegate paints (entity, drop hint or None, uploads under way) in one Python
        call: through `index.data` each role is a trip through Qt and the filter's mapToSource,
        and with workers busy each trip may wait for the interpreter lock."""
        if not 0 <= row < len(self._entities):
            return None
        entity = self._entities[row]
        drop = (self.drop_hint, self.drop_ok) if row == self.drop_row else None
        return entity, drop, self._uploads.get(entity.id, 0)

    def set_uploads(self, uploads: dict[str, int]) -> None:
        """Which entities have uploads under way (id → how many): their rows show a badge."""
        changed = set(uploads.items()) ^ set(self._uploads.items())
        self._uploads = {entity_id: count for entity_id, count in uploads.items() if count}
        for entity_id in {entity_id for entity_id, _count in changed}:
            row = self._rows.get(entity_id)
            if row is not None:
                index = self.index(row, 0)
                self.dataChanged.emit(index, index, [UploadsRole])

    def uploads(self, entity_id: str) -> int:
        return self._uploads.get(entity_id, 0)

    def flags(self, index: _Index) -> Qt.ItemFlag:
        if not index.isValid():
            return Qt.ItemFlag.ItemIsDropEnabled
        return self.row_flags()

    def row_flags(self) -> Qt.ItemFlag:
        """Every row's flags (the same for all rows of a kind), worked out once per backend and
        kind: views ask for them on every paint."""
        backend, kind = self._backend, self._kind
        cached = self._flags
        if cached is not None and cached[0] is backend and cached[1] is kind:
            return cached[2]
        flags = Qt.ItemFlag.ItemIsEnabled | Qt.ItemFlag.ItemIsSelectable | Qt.ItemFlag.ItemNeverHasChildren
        droppable = Capability.ATTACH_FILE | Capability.SET_IMAGE
        if backend is not None and kind is not None and backend.capabilities(kind) & droppable:
            flags |= Qt.ItemFlag.ItemIsDropEnabled
        self._flags = (backend, kind, flags)
        return flags


def _page_iterator(backend, kind: EntityKind, parent_ref: EntityRef | None, page_size: int, search: str | None):
    """Pages of entities; the workspace, a single entity, is one page of one."""
    if kind is EntityKind.WORKSPACE:
        from attache.core.models import Page

        def one():
            yield Page(items=[backend.workspace()], number=1, total=1, is_last=True)

        return one()
    if search:
        return iter(backend.iter_pages(kind, parent=parent_ref, page_size=page_size, search=search))
    return iter(backend.iter_pages(kind, parent=parent_ref, page_size=page_size))


def row_paint_by_roles(index) -> tuple[Entity, tuple[str, bool] | None, int] | None:
    """A row's (entity, drop hint, uploads) from any model, role by role (see `row_paint`)."""
    entity = index.data(EntityRole)
    return None if entity is None else (entity, index.data(DropHintRole), index.data(UploadsRole) or 0)


class EntityFilterModel(QAbstractProxyModel):
    """Filters the list as the user types: every word must appear in the name or subtitle.

    A QSortFilterProxyModel calls a Python `filterAcceptsRow` once per row, 2–3 µs each, which
    is too slow for a keystroke over tens of thousands of rows. Here the source keeps each
    row's text casefolded, a keystroke is one list comprehension (narrowing a query only looks
    at the rows still shown), and the views hear one layout change that keeps the selection.
    """

    def __init__(self, parent=None) -> None:
        super().__init__(parent)
        self._words: list[str] = []
        self._rows: list[int] = []  # accepted source rows, ascending
        self._entities: EntityListModel | None = None  # the source, when it is an entity list

    # ---- source

    def setSourceModel(self, model) -> None:
        old = self.sourceModel()
        if old is not None:
            for signal, slot in self._connections(old):
                signal.disconnect(slot)
        self.beginResetModel()
        super().setSourceModel(model)
        self._entities = model if isinstance(model, EntityListModel) else None
        self._rows = self._matching(range(model.rowCount())) if model is not None else []
        self.endResetModel()
        if model is not None:
            for signal, slot in self._connections(model):
                signal.connect(slot)

    def _connections(self, model):
        return (
            (model.rowsInserted, self._source_rows_inserted),
            (model.rowsRemoved, self._source_reset),
            (model.rowsMoved, self._source_reset),
            (model.modelAboutToBeReset, self._source_about_to_reset),
            (model.modelReset, self._source_reset_done),
            (model.layoutChanged, self._source_reset),
            (model.dataChanged, self._source_data_changed),
        )

    def _haystack(self, row: int) -> str:
        model = self.sourceModel()
        if isinstance(model, EntityListModel):
            return model.haystack(row)
        index = model.index(row, 0)
        return f"{index.data() or ''} {index.data(SubtitleRole) or ''}".casefold()

    def _matching(self, rows) -> list[int]:
        words = self._words
        if not words:
            return list(rows)
        model = self.sourceModel()
        if isinstance(model, EntityListModel):
            haystacks = model.haystacks()
            if len(words) == 1:
                word = words[0]
                return [row for row in rows if word in haystacks[row]]
            return [row for row in rows if all(word in haystacks[row] for word in words)]
        return [row for row in rows if all(word in self._haystack(row) for word in words)]

    def _source_rows_inserted(self, parent, first: int, last: int) -> None:
        if parent.isValid():
            return
        if self._rows and self._rows[-1] >= first:  # not an append: start over
            self._source_reset()
            return
        added = self._matching(range(first, last + 1))
        if added:
            start = len(self._rows)
            self.beginInsertRows(QModelIndex(), start, start + len(added) - 1)
            self._rows.extend(added)
            self.endInsertRows()

    def _source_about_to_reset(self) -> None:
        self.beginResetModel()

    def _source_reset_done(self) -> None:
        model = self.sourceModel()
        self._rows = self._matching(range(model.rowCount()))
        self.endResetModel()

    def _source_reset(self, *args) -> None:
        self.beginResetModel()
        model = self.sourceModel()
        self._rows = self._matching(range(model.rowCount())) if model is not None else []
        self.endResetModel()

    def _source_data_changed(self, top_left, bottom_right, roles=()) -> None:
        if not self._rows:
            return
        first = bisect.bisect_left(self._rows, top_left.row())
        last = bisect.bisect_right(self._rows, bottom_right.row()) - 1
        if first <= last:
            self.dataChanged.emit(self.index(first, 0), self.index(last, 0), roles)

    # ---- the query

    def set_query(self, text: str) -> None:
        words = text.casefold().split()
        if words == self._words:
            return
        old_words, old_rows = self._words, self._rows
        narrowing = bool(old_words) and all(any(old in new for new in words) for old in old_words)
        self._words = words
        model = self.sourceModel()
        if model is None:
            return
        candidates = old_rows if narrowing else range(model.rowCount())
        new_rows = self._matching(candidates)
        if new_rows == old_rows:
            return
        self.layoutAboutToBeChanged.emit()
        persistent = self.persistentIndexList()
        sources = [old_rows[p.row()] if 0 <= p.row() < len(old_rows) else -1 for p in persistent]
        self._rows = new_rows
        moved = []
        for index, source_row in zip(persistent, sources, strict=True):
            position = bisect.bisect_left(new_rows, source_row) if source_row >= 0 else -1
            if 0 <= position < len(new_rows) and new_rows[position] == source_row:
                moved.append(self.index(position, index.column()))
            else:
                moved.append(QModelIndex())
        self.changePersistentIndexList(persistent, moved)
        self.layoutChanged.emit()

    def query(self) -> str:
        return " ".join(self._words)

    # ---- Qt proxy API

    def mapToSource(self, index: _Index) -> QModelIndex:
        model = self.sourceModel()
        if model is None or not index.isValid() or not 0 <= index.row() < len(self._rows):
            return QModelIndex()
        return model.index(self._rows[index.row()], index.column())

    def mapFromSource(self, index: _Index) -> QModelIndex:
        if not index.isValid():
            return QModelIndex()
        position = bisect.bisect_left(self._rows, index.row())
        if position < len(self._rows) and self._rows[position] == index.row():
            return self.index(position, index.column())
        return QModelIndex()

    def index(self, row: int, column: int = 0, parent: _Index = QModelIndex()) -> QModelIndex:
        if parent.isValid() or not 0 <= row < len(self._rows) or column != 0:
            return QModelIndex()
        return self.createIndex(row, column)

    def parent(self, index: _Index = QModelIndex()) -> QModelIndex:
        return QModelIndex()

    def sibling(self, row: int, column: int, index: _Index) -> QModelIndex:
        return self.index(row, column)

    def rowCount(self, parent: _Index = QModelIndex()) -> int:
        return 0 if parent.isValid() else len(self._rows)

    def columnCount(self, parent: _Index = QModelIndex()) -> int:
        return 0 if parent.isValid() else 1

    def hasChildren(self, parent: _Index = QModelIndex()) -> bool:
        return not parent.isValid() and bool(self._rows)

    def flags(self, index: _Index) -> Qt.ItemFlag:
        source = self._entities
        if source is None or not index.isValid():  # (an entity list's rows all have the same flags)
            return super().flags(index)
        return source.row_flags()

    def row_paint(self, row: int) -> tuple[Entity, tuple[str, bool] | None, int] | None:
        """The source's `row_paint` for this row (role by role over another kind of source)."""
        if not 0 <= row < len(self._rows):
            return None
        source = self._entities
        return source.row_paint(self._rows[row]) if source is not None else row_paint_by_roles(self.index(row, 0))

    def canFetchMore(self, parent: _Index = QModelIndex()) -> bool:
        model = self.sourceModel()
        return model is not None and not parent.isValid() and model.canFetchMore(QModelIndex())

    def fetchMore(self, parent: _Index = QModelIndex()) -> None:
        model = self.sourceModel()
        if model is not None and not parent.isValid():
            model.fetchMore(QModelIndex())


# ---------------------------------------------------------------------- files


class FilesModel(QAbstractTableModel):
    """A task's attached files: name, size, added by, added on."""

    COLUMNS = ("Name", "Size", "Added by", "Added")

    loadingChanged = Signal(bool)
    failed = Signal(object)
    loaded = Signal()

    def __init__(self, parent=None) -> None:
        super().__init__(parent)
        self._files: list[FileRecord] = []
        self._ref: EntityRef | None = None
        self._backend = None
        self._generation = 0
        self._icon_provider = None
        self._people: dict[str, str] = {}
        self.loading = False

    def set_people(self, people: dict[str, str]) -> None:
        """User ids → names, so "added by" shows a person rather than an id."""
        self._people = people
        if self._files:
            self.dataChanged.emit(
                self.index(0, 2),
                self.index(len(self._files) - 1, 2),
                [Qt.ItemDataRole.DisplayRole, Qt.ItemDataRole.ToolTipRole],
            )

    def person(self, user: str) -> str:
        return self._people.get(user, user) if user else ""

    @property
    def ref(self) -> EntityRef | None:
        return self._ref

    def set_icon_provider(self, provider) -> None:
        self._icon_provider = provider

    def set_target(self, backend, ref: EntityRef | None) -> None:
        self._backend, self._ref = backend, ref
        self._generation += 1
        self.beginResetModel()
        self._files = []
        self.endResetModel()
        if ref is not None and backend is not None:
            self.refresh()

    def refresh(self) -> None:
        backend, ref = self._backend, self._ref
        if backend is None or ref is None:
            return
        self._generation += 1
        generation = self._generation
        self.loading = True
        self.loadingChanged.emit(True)
        tasks.run_task(
            lambda: backend.list_files(ref),
            lambda files: self._on_files(generation, files),
            lambda error: self._on_error(generation, error),
            owner=self,
        )

    def _on_files(self, generation: int, files: list[FileRecord]) -> None:
        if generation != self._generation:
            return
        self.loading = False
        files = sorted(files, key=lambda f: f.created_on.timestamp() if f.created_on else 0.0, reverse=True)
        self.beginResetModel()
        self._files = files
        self.endResetModel()
        self.loadingChanged.emit(False)
        self.loaded.emit()

    def _on_error(self, generation: int, error: BaseException) -> None:
        if generation != self._generation:
            return
        self.loading = False
        self.loadingChanged.emit(False)
        self.failed.emit(error)

    def remove_file(self, file_id: str) -> None:
        for row, record in enumerate(self._files):
            if record.id == file_id:
                self.beginRemoveRows(QModelIndex(), row, row)
                del self._files[row]
                self.endRemoveRows()
                return

    def file(self, row: int) -> FileRecord | None:
        return self._files[row] if 0 <= row < len(self._files) else None

    def decoration_changed(self, file_id: str) -> None:
        """A file's icon changed (its thumbnail arrived): repaint that row's icon."""
        for row, record in enumerate(self._files):
            if record.id == file_id:
                index = self.index(row, 0)
                self.dataChanged.emit(index, index, [Qt.ItemDataRole.DecorationRole])
                return

    def files(self) -> list[FileRecord]:
        return list(self._files)

    def rowCount(self, parent: _Index = QModelIndex()) -> int:
        return 0 if parent.isValid() else len(self._files)

    def columnCount(self, parent: _Index = QModelIndex()) -> int:
        return 0 if parent.isValid() else len(self.COLUMNS)

    def headerData(self, section: int, orientation: Qt.Orientation, role: int = Qt.ItemDataRole.DisplayRole):
        if (
            orientation == Qt.Orientation.Horizontal
            and role == Qt.ItemDataRole.DisplayRole
            and 0 <= section < len(self.COLUMNS)
        ):
            return self.COLUMNS[section]
        return None

    def data(self, index: _Index, role: int = Qt.ItemDataRole.DisplayRole):
        if not index.isValid() or not 0 <= index.row() < len(self._files):
            return None
        record = self._files[index.row()]
        column = index.column()
        if role == Qt.ItemDataRole.DisplayRole:
            if column == 0:
                return record.name
            if column == 1:
                return human_size(record.size) if record.size is not None else "—"
            if column == 2:
                return self.person(record.created_by) or "—"
            if column == 3:
                return format_when(record.changed_on)  # a new version's upload moves it on
        elif role == Qt.ItemDataRole.DecorationRole and column == 0 and self._icon_provider is not None:
            return self._icon_provider(record)
        elif role == Qt.ItemDataRole.ToolTipRole:
            when = record.created_on.strftime("%Y-%m-%d %H:%M") if record.created_on else "unknown"
            by = self.person(record.created_by)
            tip = f"{record.name}\n{record.mime_type}\nAdded {when}" + (f" by {by}" if by else "")
            latest = record.latest_version
            if latest is not None and len(record.versions) > 1:
                changed = record.changed_on.strftime("%Y-%m-%d %H:%M") if record.changed_on else "unknown"
                tip += f"\nVersion {latest.number}, uploaded {changed}"
            return literal_tip(tip)
        elif role == Qt.ItemDataRole.TextAlignmentRole and column == 1:
            return int(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
        elif role == FileRole:
            return record
        return None


def format_when(moment: datetime | None) -> str:
    if moment is None:
        return "—"
    now = datetime.now(moment.tzinfo) if moment.tzinfo else datetime.now()
    local = moment.astimezone() if moment.tzinfo else moment
    delta = now - moment
    if delta.total_seconds() < 60:
        return "just now"
    if delta.total_seconds() < 3600:
        return f"{int(delta.total_seconds() // 60)} min ago"
    if local.date() == now.astimezone().date() if moment.tzinfo else local.date() == now.date():
        return local.strftime("today %H:%M")
    if delta.days < 7:
        return local.strftime("%a %H:%M")
    return local.strftime("%d %b %Y")
