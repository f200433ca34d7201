"""The sidebar of kinds and the list of entities, with their delegates and the list's drop target."""

from __future__ import annotations

from PySide6.QtCore import QEvent, QModelIndex, QPoint, QRect, QRectF, QSize, Qt, QTimer, Signal
from PySide6.QtGui import QColor, QFont, QFontMetrics, QPainter, QPen
from PySide6.QtWidgets import (
    QAbstractItemView,
    QListView,
    QStyle,
    QStyledItemDelegate,
    QStyleOptionViewItem,
)

from attache.core.models import Entity
from attache.ui import theme
from attache.ui.avatars import AvatarCache, device_px, paint_initials
from attache.ui.models import CountRole, DropHintRole, EntityRole, SubtitleRole


class KindDelegate(QStyledItemDelegate):
    """A sidebar row: icon, label, and the count on the right in a soft pill."""

    def sizeHint(self, option, index) -> QSize:
        return QSize(180, 34)

    def paint(self, painter: QPainter, option: QStyleOptionViewItem, index) -> None:
        painter.save()
        painter.setRenderHint(QPainter.RenderHint.Antialiasing)
        rect = QRectF(option.rect).adjusted(2, 2, -2, -2)
        selected = bool(option.state & QStyle.StateFlag.State_Selected)
        hovered = bool(option.state & QStyle.StateFlag.State_MouseOver)
        if selected:
            painter.setPen(Qt.PenStyle.NoPen)
            painter.setBrush(QColor("#dfe7fb"))
            painter.drawRoundedRect(rect, 6, 6)
        elif hovered:
            painter.setPen(Qt.PenStyle.NoPen)
            painter.setBrush(QColor("#e5e9ef"))
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
        count_text = f"{count:,}" if count is not None else ""
        metrics = QFontMetrics(font)
        count_width = metrics.horizontalAdvance(count_text) + 14 if count_text else 0
        text_rect = QRect(x, option.rect.top(), int(rect.right()) - x - count_width - 8, option.rect.height())
        painter.drawText(text_rect, Qt.AlignmentFlag.AlignVCenter | Qt.AlignmentFlag.AlignLeft,
                         metrics.elidedText(index.data(Qt.ItemDataRole.DisplayRole) or "", Qt.TextElideMode.ElideRight,
                                            text_rect.width()))
        if count_text:
            small = QFont(option.font)
            small.setPointSizeF(max(7.0, option.font.pointSizeF() - 1))
            painter.setFont(small)
            pill = QRectF(rect.right() - count_width - 6, option.rect.center().y() - 9, count_width, 18)
            painter.setPen(Qt.PenStyle.NoPen)
            painter.setBrush(QColor("#ffffff") if selected else QColor("#dde2e8"))
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
        self.setSpacing(1)
        self.viewport().setAttribute(Qt.WidgetAttribute.WA_Hover)


class EntityDelegate(QStyledItemDelegate):
    """A list row: round avatar (image or initials), name, subtitle; a drop hint while hovering."""

    ROW_HEIGHT = 56
    AVATAR = 36

    def __init__(self, avatars: AvatarCache, parent=None) -> None:
        super().__init__(parent)
        self.avatars = avatars

    def sizeHint(self, option, index) -> QSize:
        return QSize(260, self.ROW_HEIGHT)

    def paint(self, painter: QPainter, option: QStyleOptionViewItem, index) -> None:
        entity: Entity | None = index.data(EntityRole)
        if entity is None:
            return
        painter.save()
        painter.setRenderHint(QPainter.RenderHint.Antialiasing)
        painter.setRenderHint(QPainter.RenderHint.SmoothPixmapTransform)
        rect = option.rect
        selected = bool(option.state & QStyle.StateFlag.State_Selected)
        hovered = bool(option.state & QStyle.StateFlag.State_MouseOver)
        drop = index.data(DropHintRole)
        back = QRectF(rect).adjusted(6, 2, -6, -2)
        if drop is not None:
            ok = drop[1]
            painter.setPen(QPen(theme.ACCENT if ok else theme.DANGER, 2, Qt.PenStyle.DashLine))
            painter.setBrush(QColor("#e8f0fe") if ok else QColor("#fdecea"))
            painter.drawRoundedRect(back, 8, 8)
        elif selected:
            painter.setPen(Qt.PenStyle.NoPen)
            painter.setBrush(QColor("#e3ebfd"))
            painter.drawRoundedRect(back, 8, 8)
        elif hovered:
            painter.setPen(Qt.PenStyle.NoPen)
            painter.setBrush(QColor("#f3f5f8"))
            painter.drawRoundedRect(back, 8, 8)
        if option.state & QStyle.StateFlag.State_HasFocus and option.widget is not None and option.widget.hasFocus():
            painter.setPen(QPen(theme.ACCENT, 1.2))
            painter.setBrush(Qt.BrushStyle.NoBrush)
            painter.drawRoundedRect(back.adjusted(0.5, 0.5, -0.5, -0.5), 8, 8)

        size = self.AVATAR
        avatar_rect = QRectF(rect.left() + 16, rect.center().y() - size / 2 + 1, size, size)
        widget = option.widget
        dpr = widget.devicePixelRatioF() if widget is not None else 1.0
        if widget is not None and hasattr(widget, "painted_refs"):
            widget.painted_refs[entity.ref] = index.row()
        image = self.avatars.image(entity, device_px(size, dpr))
        if image is not None:
            painter.drawImage(avatar_rect, image, QRectF(image.rect()))
        else:
            paint_initials(painter, avatar_rect, entity.id, entity.name)

        text_left = int(avatar_rect.right()) + 12
        text_width = rect.right() - text_left - 14
        name_font = QFont(option.font)
        name_font.setWeight(QFont.Weight.DemiBold if selected else QFont.Weight.Medium)
        sub_font = QFont(option.font)
        sub_font.setPointSizeF(max(7.0, option.font.pointSizeF() - 0.5))
        name_metrics, sub_metrics = QFontMetrics(name_font), QFontMetrics(sub_font)
        subtitle = index.data(SubtitleRole) or ""
        sub_colour = theme.MUTED
        if drop is not None:
            subtitle = drop[0]
            sub_colour = theme.ACCENT if drop[1] else theme.DANGER
        total = name_metrics.height() + (sub_metrics.height() + 2 if subtitle else 0)
        top = rect.center().y() - total // 2 + 1
        painter.setFont(name_font)
        painter.setPen(theme.TEXT)
        painter.drawText(QRect(text_left, top, text_width, name_metrics.height()),
                         Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignVCenter,
                         name_metrics.elidedText(entity.name, Qt.TextElideMode.ElideRight, text_width))
        if subtitle:
            painter.setFont(sub_font)
            painter.setPen(sub_colour)
            painter.drawText(QRect(text_left, top + name_metrics.height() + 2, text_width, sub_metrics.height()),
                             Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignVCenter,
                             sub_metrics.elidedText(subtitle, Qt.TextElideMode.ElideRight, text_width))
        painter.restore()


class EntityListView(QListView):
    """The entity list; files dropped on a row go to that row's entity.

    The window decides what a drop means (`planner(entity, mime) -> DropPlan | None`) and
    performs it (`dropped(entity, plan)`); the view only tracks the row under the cursor.
    """

    dropped = Signal(object, object)  # Entity, DropPlan (refused plans too: the window says why)
    hoverHint = Signal(str)

    def __init__(self, avatars: AvatarCache, parent=None) -> None:
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
        index, entity = self._entity_at(event.position().toPoint())
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
