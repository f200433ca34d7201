"""Columns that give way by priority: when a table is too narrow for all of them, the least
important are hidden first and the name keeps what is left, instead of every column being
squeezed or the table scrolling sideways."""

from __future__ import annotations

from collections.abc import Sequence

from PySide6.QtCore import QEvent, QObject
from PySide6.QtWidgets import QTreeView


class ColumnPriority(QObject):
    """`give_way`: the columns to hide first, in order; `stretch`: the column that takes the rest
    and goes last (never hidden), needing at least `stretch_min` pixels."""

    def __init__(self, view: QTreeView, give_way: Sequence[int], stretch: int, stretch_min: int = 140) -> None:
        super().__init__(view)
        self.view = view
        self.give_way = tuple(give_way)
        self.stretch = stretch
        self.stretch_min = stretch_min
        header = view.header()
        # the widths the columns were given, before any is hidden (a hidden column's size reads 0)
        self._widths: dict[int, int] = {
            column: header.sectionSize(column)
            for column in range(header.count())
            if column != stretch and header.sectionSize(column) > 0
        }
        view.viewport().installEventFilter(self)
        view.header().sectionResized.connect(self._remember)

    def _remember(self, column: int, _old: int, new: int) -> None:
        if column != self.stretch and new > 0:
            self._widths[column] = new

    def width_of(self, column: int) -> int:
        return self._widths.get(column) or self.view.header().sectionSize(column) or 80

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:
        if event.type() == QEvent.Type.Resize:
            self.fit()
        return False

    def fit(self) -> None:
        """Show as many columns as fit beside the stretching one, the most important first."""
        available = self.view.viewport().width() - self.stretch_min
        keep = list(reversed(self.give_way))  # most important first
        header = self.view.header()
        for column in range(header.count()):
            if column != self.stretch and column not in self.give_way and not header.isSectionHidden(column):
                available -= self.width_of(column)  # columns that never give way
        for column in keep:
            width = self.width_of(column)
            show = available >= width
            if show:
                available -= width
            if header.isSectionHidden(column) == show:
                header.setSectionHidden(column, not show)
                if show:
                    header.resizeSection(column, width)
            if not show:
                available = -1  # a less important column never shows while a more important one is hidden
