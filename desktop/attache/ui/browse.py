"""The sidebar of kinds and the list of entities, with their delegates and the list's drop target."""

from __future__ import annotations

from PySide6.QtCore import QEvent, QModelIndex, QPoint, QPointF, QRect, QRectF, QSize, Qt, QTimer, Signal
from PySide6.QtGui import QColor, QFont, QFontMetrics, QPainter, QPainterPath, QPen
from PySide6.QtWidgets import (
    QAbstractItemView,
    QLineEdit,
    QListView,
    QStyle,
    QStyledItemDelegate,
    QStyleOptionViewItem,
)

from attache.core.models import Entity
from attache.ui import theme
from attache.ui.avatars import AvatarLoader, device_px
from attache.ui.models import CountRole, EntityRole, row_paint_by_roles


def short_count(count: int) -> str:
    """A sidebar count that fits its pill: 9,999 · 12k · 4.5M · 1B (the tooltip has it exactly)."""
    if count < 10_000:
        return f"{count:,}"
    for unit, size in (("B", 1_000_000_000), ("M", 1_000_000), ("k", 1_000)):
        if count >= size:
            value = count / size
            text = f"{value:.0f}" if value >= 100 or unit == "k" else f"{value:.1f}".rstrip("0").rstrip(".")
            return f"{text}{unit}"
    return f"{count:,}"  # pragma: no cover


class KindDelegate(QStyledItemDelegate):
    """A sidebar row: icon, label, and the count on the right in a soft pill."""

    def sizeHint(self, option, index) -> QSize:
        return QSize(100, 34)  # the view stretches rows to its width; never wider, so never a sideways scroll

    @staticmethod
    def needed_width(font: QFont, labels: list[str]) -> int:
        """How wide a row must be for the longest label beside the widest count pill."""
        bold = QFont(font)
        bold.setWeight(QFont.Weight.DemiBold)
        metrics = QFontMetrics(bold)
        label = max((metrics.horizontalAdvance(text) for text in labels), default=0)
        count = max(metrics.horizontalAdvance(text) for text in ("9,999", "999k", "99.9M", "999B")) + 14
        return 2 + 10 + 28 + label + 8 + count + 6 + 2

    def paint(self, painter: QPainter, option: QStyleOptionViewItem, index) -> None:
        painter.save()
        painter.setRenderHint(QPainter.RenderHint.Antialiasing)
        rect = QRectF(option.rect).adjusted(2, 2, -2, -2)
        selected = bool(option.state & QStyle.StateFlag.State_Selected)
        hovered = bool(option.state & QStyle.StateFlag.State_MouseOver)
        if selected:
            painter.setPen(Qt.PenStyle.NoPen)
            painter.setBrush(theme.colour("kind_selected_fill"))
            painter.drawRoundedRect(rect, 6, 6)
        elif hovered:
            painter.setPen(Qt.PenStyle.NoPen)
            painter.setBrush(theme.colour("hover"))
            painter.drawRoundedRect(rect, 6, 6)
        if option.state & QStyle.StateFlag.State_HasFocus and option.widget is not None and option.widget.hasFocus():
            painter.setPen(QPen(theme.ACCENT, 1.2))
            painter.setBrush(Qt.BrushStyle.NoBrush)
            painter.drawRoundedRect(rect.adjusted(0.5, 0.5, -0.5, -0.5), 6, 6)
        icon = index.data(Qt.ItemDataRole.DecorationRole)
        x = int(rect.left()) + 10
        if icon is not None and not icon.isNull():
            icon.paint(painter, QRect(x, option.rect.center().y() - 9, 18, 18))
        x += 28
        font = QFont(option.font)
        if selected:
            font.setWeight(QFont.Weight.DemiBold)
        painter.setFont(font)
        painter.setPen(theme.ACCENT.darker(115) if selected else theme.TEXT)
        count = index.data(CountRole)
        count_text = short_count(count) if count is not None else ""
        metrics = QFontMetrics(font)
        count_width = metrics.horizontalAdvance(count_text) + 14 if count_text else 0
        text_rect = QRect(x, option.rect.top(), int(rect.right()) - x - count_width - 8, option.rect.height())
        painter.drawText(
            text_rect,
            Qt.AlignmentFlag.AlignVCenter | Qt.AlignmentFlag.AlignLeft,
            metrics.elidedText(
                index.data(Qt.ItemDataRole.DisplayRole) or "", Qt.TextElideMode.ElideRight, text_rect.width()
            ),
        )
        if count_text:
            small = QFont(option.font)
            small.setPointSizeF(max(7.0, option.font.pointSizeF() - 1))
            painter.setFont(small)
            pill = QRectF(rect.right() - count_width - 6, option.rect.center().y() - 9, count_width, 18)
            painter.setPen(Qt.PenStyle.NoPen)
            painter.setBrush(theme.BASE if selected else theme.colour("pill"))
            painter.drawRoundedRect(pill, 9, 9)
            painter.setPen(theme.MUTED if not selected else theme.ACCENT)
            painter.drawText(pill, Qt.AlignmentFlag.AlignCenter, count_text)
        painter.restore()


class KindsView(QListView):
    def __init__(self, parent=None) -> None:
        super().__init__(parent)
        self.setObjectName("KindsView")
        self.setAccessibleName("Kinds")
        self.setItemDelegate(KindDelegate(self))
        self.setMouseTracking(True)
        self.setVerticalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        self.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        self.setSpacing(1)
        self.viewport().setAttribute(Qt.WidgetAttribute.WA_Hover)


class _RowFonts:
    """The fonts and metrics a row needs, worked out once per base font."""

    def __init__(self, base: QFont) -> None:
        self.name = QFont(base)
        self.name.setWeight(QFont.Weight.Medium)
        self.name_selected = QFont(base)
        self.name_selected.setWeight(QFont.Weight.DemiBold)
        self.sub = QFont(base)
        self.sub.setPointSizeF(max(7.0, base.pointSizeF() - 0.5))
        self.name_metrics = QFontMetrics(self.name)
        self.name_selected_metrics = QFontMetrics(self.name_selected)
        self.sub_metrics = QFontMetrics(self.sub)
        self.name_height = self.name_metrics.height()
        self.sub_height = self.sub_metrics.height()


def _paperclip(x: float, y: float) -> QPainterPath:
    """A paperclip in a 10 × 14 box at (x, y): three strokes joined by two turns."""
    path = QPainterPath(QPointF(x + 5, y + 4))
    path.lineTo(x + 5, y + 11)
    path.arcTo(QRectF(x + 2, y + 9.5, 3, 3), 0, -180)  # round the bottom, to the left stroke
    path.lineTo(x + 2, y + 3)
    path.arcTo(QRectF(x + 2, y, 6, 6), 180, -180)  # over the top, to the right stroke
    path.lineTo(x + 8, y + 11)
    path.arcTo(QRectF(x + 3, y + 8.5, 5, 5), 0, -120)
    return path


class EntityDelegate(QStyledItemDelegate):
    """A list row: round avatar (image or initials), name, subtitle; a drop hint while hovering.

    Rows paint while the list scrolls, with workers busy: every call into Qt from Python is a
    chance to wait for the interpreter, so a row makes few of them — fonts and metrics are
    worked out once, initials are drawn once into a picture and reused.
    """

    ROW_HEIGHT = 56
    AVATAR = 36

    def __init__(self, avatars: AvatarLoader, parent=None) -> None:
        super().__init__(parent)
        self.avatars = avatars
        self._fonts: dict[str, _RowFonts] = {}

    def sizeHint(self, option, index) -> QSize:
        # narrow on purpose: the list stretches rows to its width, and a narrow list elides
        # the text instead of scrolling sideways
        return QSize(160, self.ROW_HEIGHT)

    def _row_fonts(self, font: QFont) -> _RowFonts:
        key = font.key()
        fonts = self._fonts.get(key)
        if fonts is None:
            fonts = self._fonts[key] = _RowFonts(font)
        return fonts

    def paint(self, painter: QPainter, option: QStyleOptionViewItem, index) -> None:
        row_paint = getattr(index.model(), "row_paint", None)
        painted = row_paint(index.row()) if row_paint is not None else row_paint_by_roles(index)
        if painted is None:
            return
        entity, drop, uploads = painted
        widget = option.widget
        state = option.state
        rect = option.rect
        left, top, width, height = rect.x(), rect.y(), rect.width(), rect.height()
        selected = bool(state & QStyle.StateFlag.State_Selected)
        painter.save()
        painter.setRenderHint(QPainter.RenderHint.Antialiasing)
        back = QRectF(left + 6, top + 2, width - 12, height - 4)
        if drop is not None:
            ok = drop[1]
            painter.setPen(QPen(theme.ACCENT if ok else theme.DANGER, 2, Qt.PenStyle.DashLine))
            painter.setBrush(theme.colour("drop_ok_fill" if ok else "drop_refused_fill"))
            painter.drawRoundedRect(back, 8, 8)
        elif selected or state & QStyle.StateFlag.State_MouseOver:
            painter.setPen(Qt.PenStyle.NoPen)
            painter.setBrush(theme.colour("selected_fill" if selected else "hover"))
            painter.drawRoundedRect(back, 8, 8)
        if state & QStyle.StateFlag.State_HasFocus and widget is not None and widget.hasFocus():
            painter.setPen(QPen(theme.ACCENT, 1.2))
            painter.setBrush(Qt.BrushStyle.NoBrush)
            painter.drawRoundedRect(back.adjusted(0.5, 0.5, -0.5, -0.5), 8, 8)

        size = self.AVATAR
        avatar_rect = QRectF(left + 16, top + (height - 1) // 2 - size / 2 + 1, size, size)
        dpr = widget.devicePixelRatioF() if widget is not None else 1.0
        px = device_px(size, dpr)
        refs = getattr(widget, "painted_refs", None)
        if refs is not None:
            refs[entity.ref] = index.row()
        image = self.avatars.row_image(entity, px, dpr)
        painter.setRenderHint(QPainter.RenderHint.SmoothPixmapTransform)
        painter.drawImage(avatar_rect, image)

        fonts = self._row_fonts(option.font)
        text_left = left + 16 + size + 12
        text_width = left + width - 1 - text_left - 14
        badge_space = 0
        if uploads:  # a badge while uploads to this entity run: "↑ 2"
            badge = f"↑ {uploads}"
            badge_width = fonts.sub_metrics.horizontalAdvance(badge) + 14
            pill = QRectF(left + width - 14 - badge_width, top + (height - 1) / 2 - 9, badge_width, 18)
            painter.setPen(Qt.PenStyle.NoPen)
            painter.setBrush(theme.ACCENT)
            painter.drawRoundedRect(pill, 9, 9)
            painter.setFont(fonts.sub)
            painter.setPen(QColor("#ffffff"))
            painter.drawText(pill, Qt.AlignmentFlag.AlignCenter, badge)
            badge_space = badge_width + 8
            text_width -= badge_space
        if entity.has_files:  # the list says it has attachments; the detail pane counts them
            clip_left = left + width - 14 - 10 - badge_space
            painter.setPen(QPen(theme.MUTED, 1.3, Qt.PenStyle.SolidLine, Qt.PenCapStyle.RoundCap))
            painter.setBrush(Qt.BrushStyle.NoBrush)
            painter.drawPath(_paperclip(clip_left, top + (height - 1) / 2 - 7))
            text_width -= 18
        name_font, name_metrics = (
            (fonts.name_selected, fonts.name_selected_metrics) if selected else (fonts.name, fonts.name_metrics)
        )
        subtitle = entity.subtitle or ""
        sub_colour = theme.MUTED
        if drop is not None:
            subtitle = drop[0]
            sub_colour = theme.ACCENT if drop[1] else theme.DANGER
        total = fonts.name_height + (fonts.sub_height + 2 if subtitle else 0)
        text_top = top + (height - 1) // 2 - total // 2 + 1
        painter.setFont(name_font)
        painter.setPen(theme.TEXT)
        align = Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignVCenter
        painter.drawText(
            QRect(text_left, text_top, text_width, fonts.name_height),
            align,
            name_metrics.elidedText(entity.name, Qt.TextElideMode.ElideRight, text_width),
        )
        if subtitle:
            painter.setFont(fonts.sub)
            painter.setPen(sub_colour)
            painter.drawText(
                QRect(text_left, text_top + fonts.name_height + 2, text_width, fonts.sub_height),
                align,
                fonts.sub_metrics.elidedText(subtitle, Qt.TextElideMode.ElideRight, text_width),
            )
        painter.restore()


class EntityListView(QListView):
    """The entity list; files dropped on a row go to that row's entity.

    The window decides what a drop means (`planner(entity, mime) -> DropPlan | None`) and
    performs it (`dropped(entity, plan)`); the view only tracks the row under the cursor.
    """

    dropped = Signal(object, object)  # Entity, DropPlan (refused plans too: the window says why)
    hoverHint = Signal(str)

    def __init__(self, avatars: AvatarLoader, parent=None) -> None:
        super().__init__(parent)
        self.setObjectName("EntityList")
        self.setAccessibleName("Items")
        self.setItemDelegate(EntityDelegate(avatars, self))
        self.setUniformItemSizes(True)
        # lay out tens of thousands of rows a slice at a time, so a keystroke never waits for all
        self.setLayoutMode(QListView.LayoutMode.Batched)
        self.setBatchSize(500)
        self.setMouseTracking(True)
        self.viewport().setAttribute(Qt.WidgetAttribute.WA_Hover)
        self.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.setVerticalScrollMode(QAbstractItemView.ScrollMode.ScrollPerPixel)
        self.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        self.setAcceptDrops(True)
        self.setDropIndicatorShown(False)
        self.setDragDropMode(QAbstractItemView.DragDropMode.DropOnly)
        self.planner = None  # set by the window
        self._plans: dict[str, object] = {}
        self._hover_row = -1
        # The rows painted since the last full repaint (the delegate notes each entity's row): an
        # avatar landing repaints only its own row, and nothing when its entity is not on screen.
        self.painted_refs: dict = {}
        self._dirty_rows: dict[int, object] = {}  # row → the EntityRef whose avatar landed
        avatars.changed.connect(self._avatar_changed)
        # Rows whose avatars landed repaint together, at most every 30 ms: a burst of pictures
        # costs a few small paints, not one per picture.
        self._repaint = QTimer(self)
        self._repaint.setSingleShot(True)
        self._repaint.setInterval(30)
        self._repaint.timeout.connect(self._repaint_due)
        self._empty_text = ""

    @property
    def empty_text(self) -> str:
        """What the list says when it has no rows ("No tasks match 'xyz'"); "" for nothing."""
        return self._empty_text

    def set_empty_text(self, text: str) -> None:
        if text != self._empty_text:
            self._empty_text = text
            self.viewport().update()

    def _make_viewport_opaque(self) -> None:
        # An opaque viewport lets Qt scroll by moving pixels and paint only the rows that come
        # into view; with the style sheet's background alone every scroll step repaints them all.
        # (The style sheet turns auto-fill off each time it polishes the viewport.)
        viewport = self.viewport()
        if not viewport.autoFillBackground():
            viewport.setAutoFillBackground(True)

    def showEvent(self, event) -> None:
        self._make_viewport_opaque()
        super().showEvent(event)

    def paintEvent(self, event) -> None:
        if event.rect().contains(self.viewport().rect()):
            self.painted_refs.clear()
        super().paintEvent(event)
        model = self.model()
        if self._empty_text and (model is None or model.rowCount() == 0):
            painter = QPainter(self.viewport())
            painter.setPen(QColor(theme.MUTED))
            area = self.viewport().rect().adjusted(16, 24, -16, -16)
            flags = Qt.AlignmentFlag.AlignHCenter | Qt.AlignmentFlag.AlignTop | Qt.TextFlag.TextWordWrap
            painter.drawText(area, int(flags), self._empty_text)
            painter.end()

    def _avatar_changed(self, ref) -> None:
        row = self.painted_refs.get(ref)
        if row is None:
            return
        self._dirty_rows[row] = ref
        if not self._repaint.isActive():
            self._repaint.start()

    def _repaint_due(self) -> None:
        rows, self._dirty_rows = self._dirty_rows, {}
        model, viewport = self.model(), self.viewport()
        if model is None:
            return
        bounds = viewport.rect()
        for row, ref in rows.items():
            index = model.index(row, 0)
            entity = index.data(EntityRole)
            if entity is None or entity.ref != ref:  # the rows moved since: repaint them all
                viewport.update()
                return
            rect = self.visualRect(index)
            if rect.intersects(bounds):
                viewport.update(rect)

    # ---- drag and drop

    def _source_model(self):
        model = self.model()
        return model.sourceModel() if hasattr(model, "sourceModel") else model

    @property
    def drop_source(self):
        """The model that knows which row a drag hovers (`drop_row`), for the delegate."""
        return self._source_model()

    def _entity_at(self, pos: QPoint) -> tuple[QModelIndex, Entity | None]:
        index = self.indexAt(pos)
        return index, index.data(EntityRole) if index.isValid() else None

    def _plan(self, entity: Entity, event):
        if self.planner is None:
            return None
        key = entity.id
        plan = self._plans.get(key)
        if plan is None:
            plan = self.planner(entity, event.mimeData())
            self._plans[key] = plan
        return plan

    def _set_hover(self, index: QModelIndex, plan) -> None:
        source = self._source_model()
        row = -1
        if index.isValid() and plan is not None:
            model = self.model()
            row = model.mapToSource(index).row() if hasattr(model, "mapToSource") else index.row()
        if hasattr(source, "set_drop_target"):
            if row >= 0:
                source.set_drop_target(row, plan.message, plan.ok)
            elif source.drop_row >= 0:
                source.set_drop_target(-1)
        self.hoverHint.emit(plan.message if plan is not None else "")

    def dragEnterEvent(self, event) -> None:
        from attache.ui.drops import accepts

        self._plans.clear()
        if accepts(event.mimeData()):
            event.setDropAction(Qt.DropAction.CopyAction)
            event.accept()
            self._update_drag(event)
        else:
            event.ignore()

    def dragMoveEvent(self, event) -> None:
        from attache.ui.drops import accepts

        if not accepts(event.mimeData()):
            event.ignore()
            return
        self._update_drag(event)

    def _update_drag(self, event) -> None:
        index, entity = self._entity_at(event.position().toPoint())
        plan = self._plan(entity, event) if entity is not None else None
        self._set_hover(index, plan)
        # accept even a refused plan so the drop arrives and the window can say why
        event.setDropAction(Qt.DropAction.CopyAction)
        if plan is not None:
            event.accept(self.visualRect(index))
        else:
            event.ignore(self.visualRect(index)) if index.isValid() else event.ignore()

    def dragLeaveEvent(self, event) -> None:
        self._set_hover(QModelIndex(), None)
        self._plans.clear()
        event.accept()

    def dropEvent(self, event) -> None:
        _, entity = self._entity_at(event.position().toPoint())
        plan = self._plan(entity, event) if entity is not None else None
        self._set_hover(QModelIndex(), None)
        self._plans.clear()
        if entity is None or plan is None:
            event.ignore()
            return
        event.setDropAction(Qt.DropAction.CopyAction)
        event.accept()
        self.dropped.emit(entity, plan)

    def event(self, event) -> bool:
        if event.type() == QEvent.Type.Leave:
            self.hoverHint.emit("")
        elif event.type() == QEvent.Type.StyleChange:
            self._make_viewport_opaque()
        return super().event(event)


class SearchField(QLineEdit):
    """The list's search field; Esc empties it (and so shows the whole list again)."""

    def keyPressEvent(self, event) -> None:
        if event.key() == Qt.Key.Key_Escape and self.text():
            self.clear()
            event.accept()
            return
        super().keyPressEvent(event)
