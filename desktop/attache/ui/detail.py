"""The detail pane: the selected entity's picture (a drop target) and, where the service keeps them, its files."""

from __future__ import annotations

from PySide6.QtCore import QModelIndex, QRectF, QSize, Qt, Signal
from PySide6.QtGui import QAction, QColor, QDrag, QFont, QIcon, QImage, QPainter, QPainterPath, QPen
from PySide6.QtWidgets import (
    QAbstractItemView,
    QFileIconProvider,
    QFrame,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QPushButton,
    QSizePolicy,
    QStackedWidget,
    QStyle,
    QTreeView,
    QVBoxLayout,
    QWidget,
)

from attache.core.capabilities import Capability
from attache.core.models import Entity, EntityKind, FileRecord
from attache.core.services import display_name
from attache.ui import theme
from attache.ui.avatars import ROUND_KINDS, AvatarLoader, device_px, paint_initials
from attache.ui.columns import ColumnPriority
from attache.ui.drops import DropPlan, DropTarget
from attache.ui.file_templates import FileTemplateButton
from attache.ui.models import FileRole, FilesModel
from attache.ui.plain import escape, literal_tip, plain_label
from attache.ui.thumbnails import FileThumbnails


class ImageSlot(DropTarget, QWidget):
    """The large picture; a drop target for one image file. Click or Enter opens "Choose…"."""

    dropped = Signal(object)  # DropPlan
    activated = Signal()

    SIZE = 128

    def __init__(self, avatars: AvatarLoader, parent=None) -> None:
        super().__init__(parent)
        self.setObjectName("ImageSlot")
        self.setAccessibleName("Picture")
        self.avatars = avatars
        self.entity: Entity | None = None
        self.editable = False
        self.planner = None  # (entity, mime) -> DropPlan
        self._hover: DropPlan | None = None
        self.busy = False
        self.tip = ""
        self.pictures = True
        self.setFixedSize(self.SIZE, self.SIZE)
        self.setAcceptDrops(True)
        self.setFocusPolicy(Qt.FocusPolicy.StrongFocus)
        self.setCursor(Qt.CursorShape.PointingHandCursor)
        avatars.changed.connect(self._avatar_changed)

    def set_entity(self, entity: Entity | None, editable: bool, tooltip: str, *, pictures: bool = True) -> None:
        self.entity = entity
        self.editable = editable
        self.pictures = pictures  # False: the service has no pictures for this kind at all
        self.tip = tooltip
        self.setToolTip(literal_tip(tooltip))
        self.setCursor(Qt.CursorShape.PointingHandCursor if editable else Qt.CursorShape.ArrowCursor)
        self.setAccessibleDescription(tooltip)
        self.update()

    def _avatar_changed(self, ref) -> None:
        if self.entity is not None and ref == self.entity.ref:
            self.update()

    def round_shape(self) -> bool:
        return self.entity is not None and self.entity.kind in ROUND_KINDS

    def current_image(self) -> QImage | None:
        if self.entity is None:
            return None
        px = device_px(self.width() - 2, self.devicePixelRatioF())  # the painted rect, pixel for pixel
        return self.avatars.image(self.entity, px, round_mask=self.round_shape())

    def paintEvent(self, event) -> None:
        painter = QPainter(self)
        painter.setRenderHint(QPainter.RenderHint.Antialiasing)
        painter.setRenderHint(QPainter.RenderHint.SmoothPixmapTransform)
        rect = QRectF(self.rect()).adjusted(1, 1, -1, -1)
        round_shape = self.round_shape()
        path = QPainterPath()
        if round_shape:
            path.addEllipse(rect)
        else:
            path.addRoundedRect(rect, 18, 18)
        entity = self.entity
        if entity is not None and not self.pictures:
            painter.fillPath(path, theme.colour("placeholder_fill"))
            side = int(rect.width() * 0.4)
            icon = theme.kind_icon(entity.kind, theme.colour("disabled"), side)
            icon.paint(painter, int(rect.center().x() - side / 2), int(rect.center().y() - side / 2), side, side)
        elif entity is not None:
            image = self.current_image()
            if image is not None:
                if round_shape:
                    painter.drawImage(rect, image, QRectF(image.rect()))
                else:
                    painter.save()
                    painter.setClipPath(path)
                    painter.drawImage(rect, image, QRectF(image.rect()))
                    painter.restore()
            else:
                paint_initials(painter, rect, entity.id, entity.name, round_shape=round_shape)
        else:
            painter.fillPath(path, theme.colour("placeholder_fill"))
        if self._hover is not None:
            ok = self._hover.ok
            painter.fillPath(path, QColor(47, 111, 237, 150) if ok else QColor(192, 57, 43, 150))
            painter.setPen(QPen(QColor("white"), 2, Qt.PenStyle.DashLine))
            painter.drawPath(path)
            font = QFont(self.font())
            font.setWeight(QFont.Weight.DemiBold)
            painter.setFont(font)
            painter.setPen(QColor("white"))
            text = "Drop to set picture" if ok else "Can't use this"
            painter.drawText(
                rect.adjusted(14, 0, -14, 0), Qt.AlignmentFlag.AlignCenter | Qt.TextFlag.TextWordWrap, text
            )
        elif self.busy:
            painter.fillPath(path, QColor(255, 255, 255, 150))
            painter.setPen(theme.TEXT)
            painter.drawText(rect, Qt.AlignmentFlag.AlignCenter, "Uploading…")
        if self.hasFocus():
            painter.setPen(QPen(theme.ACCENT, 2))
            painter.setBrush(Qt.BrushStyle.NoBrush)
            painter.drawPath(path)
        painter.end()

    # ---- input

    def mouseReleaseEvent(self, event) -> None:
        if (
            event.button() == Qt.MouseButton.LeftButton
            and self.editable
            and self.rect().contains(event.position().toPoint())
        ):
            self.activated.emit()
        super().mouseReleaseEvent(event)

    def keyPressEvent(self, event) -> None:
        if event.key() in (Qt.Key.Key_Return, Qt.Key.Key_Enter, Qt.Key.Key_Space) and self.editable:
            self.activated.emit()
            return
        super().keyPressEvent(event)

    def contextMenuEvent(self, event) -> None:
        """Choose a picture, and whether pictures are cropped before they are uploaded."""
        if not self.editable:
            event.ignore()
            return
        from PySide6.QtWidgets import QMenu

        from attache.ui.settings import crop_skipped, set_crop_skipped

        menu = QMenu(self)
        menu.addAction("Choose picture…", self.activated.emit)
        menu.addSeparator()
        crop = menu.addAction("Crop pictures before uploading")
        crop.setCheckable(True)
        crop.setChecked(not crop_skipped())
        crop.toggled.connect(lambda checked: set_crop_skipped(not checked))
        menu.exec(event.globalPos())
        menu.deleteLater()

    def plan_drop(self, mime) -> DropPlan | None:
        # A slot that cannot take a picture still says why, rather than refusing silently.
        if self.entity is None:
            return None
        if not self.editable:
            return DropPlan(False, self.tip or "This item cannot have a picture")
        if self.planner is None:
            return DropPlan(False, "Not connected")
        return self.planner(self.entity, mime)

    def startDrag(self, supported) -> None:
        records = [index.data(FileRole) for index in self.selectionModel().selectedRows()]
        records = [record for record in records if record is not None]
        mime = self.drag_out(records) if self.drag_out is not None and records else None
        if mime is None:
            return
        drag = QDrag(self)
        drag.setMimeData(mime)
        drag.exec(Qt.DropAction.CopyAction)

    def refresh_highlight(self) -> None:
        if self._hover is not None:
            self.setToolTip(literal_tip(self._hover.message))
        self.update()


class FilesView(DropTarget, QTreeView):
    """An entity's files; a drop zone for files to attach. Shows a hint when empty or hovered.

    Keyboard: Enter opens the current file, Delete deletes the selected ones (asking first).
    """

    dropped = Signal(object)  # DropPlan
    openRequested = Signal()
    deleteRequested = Signal()

    def __init__(self, parent=None) -> None:
        super().__init__(parent)
        self.setObjectName("FilesView")
        self.setAccessibleName("Attached files")
        self.setRootIsDecorated(False)
        self.setUniformRowHeights(True)
        self.setAlternatingRowColors(False)
        self.setSelectionMode(QAbstractItemView.SelectionMode.ExtendedSelection)
        self.setAcceptDrops(True)
        self.setDragDropMode(QAbstractItemView.DragDropMode.DragDrop)  # files in to attach, out to download
        self.setDragEnabled(True)
        self.drag_out = None  # (records) -> QMimeData of their downloads, or None when they cannot be had
        self.setDropIndicatorShown(False)
        self.setIconSize(QSize(28, 28))  # room for a picture's thumbnail
        self.entity: Entity | None = None
        self.planner = None
        self._hover: DropPlan | None = None
        self.empty_text = "No files yet.\nDrop files here to attach them."

    def refresh_highlight(self) -> None:
        self.viewport().update()

    def keyPressEvent(self, event) -> None:
        if event.key() in (Qt.Key.Key_Return, Qt.Key.Key_Enter) and self.currentIndex().isValid():
            self.openRequested.emit()
            return
        if event.key() == Qt.Key.Key_Delete and self.selectionModel().hasSelection():
            self.deleteRequested.emit()
            return
        super().keyPressEvent(event)

    def paintEvent(self, event) -> None:
        super().paintEvent(event)
        model = self.model()
        empty = model is None or model.rowCount() == 0
        if not empty and self._hover is None:
            return
        painter = QPainter(self.viewport())
        painter.setRenderHint(QPainter.RenderHint.Antialiasing)
        rect = QRectF(self.viewport().rect()).adjusted(10, 10, -10, -10)
        if self._hover is not None:
            ok = self._hover.ok
            painter.setBrush(theme.colour("drop_ok_fill" if ok else "drop_refused_fill"))
            painter.setPen(QPen(theme.ACCENT if ok else theme.DANGER, 2, Qt.PenStyle.DashLine))
            painter.drawRoundedRect(rect, 10, 10)
            painter.setPen(theme.ACCENT.darker(120) if ok else theme.DANGER)
            text = self._hover.message
        else:
            painter.setPen(QPen(theme.colour("control_border"), 1.5, Qt.PenStyle.DashLine))
            painter.setBrush(Qt.BrushStyle.NoBrush)
            painter.drawRoundedRect(rect, 10, 10)
            painter.setPen(theme.MUTED)
            text = self.empty_text
        painter.drawText(rect.adjusted(16, 8, -16, -8), Qt.AlignmentFlag.AlignCenter | Qt.TextFlag.TextWordWrap, text)
        painter.end()


class PictureDropZone(DropTarget, QWidget):
    """A large dashed area under the header of items that take a picture: drop one here."""

    dropped = Signal(object)  # DropPlan

    def __init__(self, parent=None) -> None:
        super().__init__(parent)
        self.setObjectName("PictureDropZone")
        self.setAccessibleName("Picture drop zone")
        self.setAcceptDrops(True)
        self.setMinimumHeight(140)
        self.setMaximumHeight(260)
        self.entity: Entity | None = None
        self.planner = None
        self.text = ""
        self._hover: DropPlan | None = None

    def set_entity(self, entity: Entity | None, text: str) -> None:
        self.entity, self.text = entity, text
        self.update()

    def paintEvent(self, event) -> None:
        painter = QPainter(self)
        painter.setRenderHint(QPainter.RenderHint.Antialiasing)
        rect = QRectF(self.rect()).adjusted(1, 1, -1, -1)
        hover = self._hover
        if hover is not None:
            ok = hover.ok
            painter.setBrush(theme.colour("drop_ok_fill" if ok else "drop_refused_fill"))
            painter.setPen(QPen(theme.ACCENT if ok else theme.DANGER, 2, Qt.PenStyle.DashLine))
            text, colour = hover.message, (theme.ACCENT.darker(120) if ok else theme.DANGER)
        else:
            painter.setBrush(theme.colour("subtle_fill"))
            painter.setPen(QPen(theme.colour("control_border"), 1.5, Qt.PenStyle.DashLine))
            text, colour = self.text, theme.MUTED
        painter.drawRoundedRect(rect, 12, 12)
        icon = theme.svg_icon("image", colour, 40)
        icon.paint(painter, int(rect.center().x() - 20), int(rect.center().y() - 34), 40, 40)
        painter.setPen(colour)
        painter.drawText(
            rect.adjusted(24, rect.height() / 2 + 12, -24, -8),
            Qt.AlignmentFlag.AlignHCenter | Qt.AlignmentFlag.AlignTop | Qt.TextFlag.TextWordWrap,
            text,
        )
        painter.end()


class DetailPane(QWidget):
    """What the window shows for the selected entity."""

    chooseImage = Signal()
    removeImage = Signal()
    imageDropped = Signal(object)  # DropPlan
    filesDropped = Signal(object)  # DropPlan
    addFiles = Signal()
    downloadFiles = Signal(list)  # [FileRecord]
    openFile = Signal(object)  # FileRecord
    deleteFiles = Signal(list)  # [FileRecord]
    showTasks = Signal(object)  # Entity (a project)

    def __init__(self, avatars: AvatarLoader, parent=None) -> None:
        super().__init__(parent)
        self.setObjectName("DetailPane")
        self.setAttribute(Qt.WidgetAttribute.WA_StyledBackground, True)
        self.entity: Entity | None = None
        self.backend = None
        self.session = None  # see observe()
        self.files_model = FilesModel(self)
        self.uploading = 0  # uploads to the entity shown, under way
        self._menu_actions: dict = {}
        self._icons = QFileIconProvider()
        self._icon_cache: dict[str, object] = {}
        self.files_model.set_icon_provider(self._file_icon)
        self.avatars = avatars
        self.thumbnails = FileThumbnails(self)
        self.thumbnails.changed.connect(self.files_model.decoration_changed)

        self.stack = QStackedWidget(self)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self.stack)

        # ---- placeholder
        self.placeholder = plain_label("Select an item to see its picture and files.", self)
        self.placeholder.setObjectName("Hint")
        self.placeholder.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.placeholder.setWordWrap(True)
        self.stack.addWidget(self.placeholder)

        # ---- detail page
        page = QWidget(self)
        self.stack.addWidget(page)
        outer = QVBoxLayout(page)
        outer.setContentsMargins(28, 24, 28, 20)
        outer.setSpacing(18)

        header = QHBoxLayout()
        header.setSpacing(22)
        self.slot = ImageSlot(avatars, page)
        header.addWidget(self.slot, 0, Qt.AlignmentFlag.AlignTop)
        info = QVBoxLayout()
        info.setSpacing(4)
        self.kind_label = plain_label("", page)
        self.kind_label.setObjectName("DetailKind")
        self.name_label = plain_label("", page)  # names and subtitles are the server's: never markup
        self.name_label.setObjectName("DetailName")
        self.name_label.setWordWrap(True)
        self.name_label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.subtitle_label = plain_label("", page)
        self.subtitle_label.setObjectName("DetailSubtitle")
        self.subtitle_label.setWordWrap(True)
        buttons = QHBoxLayout()
        buttons.setSpacing(8)
        self.choose_button = QPushButton("Choose…", page)
        self.choose_button.setAccessibleName("Choose picture")
        self.choose_button.clicked.connect(self.chooseImage)
        self.remove_button = QPushButton("Remove", page)
        self.remove_button.setAccessibleName("Remove picture")
        self.remove_button.setProperty("danger", True)
        self.remove_button.clicked.connect(self.removeImage)
        self.tasks_button = QPushButton("Show tasks", page)
        self.tasks_button.setAccessibleName("Show this project's tasks")
        self.tasks_button.clicked.connect(lambda: self.entity is not None and self.showTasks.emit(self.entity))
        buttons.addWidget(self.choose_button)
        buttons.addWidget(self.remove_button)
        buttons.addWidget(self.tasks_button)
        buttons.addStretch(1)
        self.image_hint = plain_label("", page)
        self.image_hint.setObjectName("Hint")
        self.image_hint.setWordWrap(True)
        info.addWidget(self.kind_label)
        info.addWidget(self.name_label)
        info.addWidget(self.subtitle_label)
        info.addSpacing(10)
        info.addLayout(buttons)
        info.addWidget(self.image_hint)
        info.addStretch(1)
        header.addLayout(info, 1)
        outer.addLayout(header)

        self.files_section = QFrame(page)
        files_layout = QVBoxLayout(self.files_section)
        files_layout.setContentsMargins(0, 0, 0, 0)
        files_layout.setSpacing(8)
        files_bar = QHBoxLayout()
        files_bar.setSpacing(6)
        self.files_title = plain_label("Files", self.files_section)
        self.files_title.setObjectName("SectionTitle")
        files_bar.addWidget(self.files_title)
        files_bar.addStretch(1)
        self.add_button = QPushButton("Add files…", self.files_section)
        self.add_button.setProperty("primary", True)
        self.add_button.clicked.connect(self.addFiles)
        self.download_button = QPushButton("Download…", self.files_section)
        self.download_button.clicked.connect(lambda: self.downloadFiles.emit(self.selected_files()))
        self.open_button = QPushButton("Open", self.files_section)
        self.open_button.clicked.connect(self._open_current)
        self.delete_button = QPushButton("Delete", self.files_section)
        self.delete_button.setProperty("danger", True)
        self.delete_button.clicked.connect(lambda: self.deleteFiles.emit(self.selected_files()))
        for button, tip in (
            (self.add_button, "Attach files from this computer (or drop them on the list)"),
            (self.download_button, "Save the selected files on this computer"),
            (self.open_button, "Open the selected file with its usual application"),
            (self.delete_button, "Delete the selected files"),
        ):
            button.setToolTip(tip)
            button.setAccessibleName(button.text().rstrip("…"))
            files_bar.addWidget(button)
        files_layout.addLayout(files_bar)
        # where uploads are filed under a template: which one the next drop takes, on a line of its
        # own under the buttons (beside them it would squeeze them in a narrow pane)
        self.templates = FileTemplateButton(self.files_section)
        self.templates.hide()
        templates_row = QHBoxLayout()
        templates_row.setContentsMargins(0, 0, 0, 0)
        templates_row.addWidget(self.templates)
        templates_row.addStretch(1)
        files_layout.addLayout(templates_row)
        self.files_view = FilesView(self.files_section)
        self.files_view.setModel(self.files_model)
        header_view = self.files_view.header()
        header_view.setStretchLastSection(False)
        header_view.setSectionResizeMode(0, QHeaderView.ResizeMode.Stretch)
        for column, width in ((1, 90), (2, 150), (3, 130)):
            header_view.setSectionResizeMode(column, QHeaderView.ResizeMode.Interactive)
            header_view.resizeSection(column, width)
        self.files_view.doubleClicked.connect(self._open_index)
        self.files_view.openRequested.connect(self._open_current)
        self.files_view.deleteRequested.connect(lambda: self.delete_button.isEnabled() and self.delete_button.click())
        self.files_view.setContextMenuPolicy(Qt.ContextMenuPolicy.ActionsContextMenu)
        for button in (self.download_button, self.open_button, self.delete_button):
            action = QAction(button.text(), self.files_view)
            action.triggered.connect(button.click)
            self.files_view.addAction(action)
            self._menu_actions[button] = action
        self.files_view.selectionModel().selectionChanged.connect(self._update_file_buttons)
        self.files_model.modelReset.connect(self._files_reset)
        self.files_model.rowsRemoved.connect(self._files_reset)
        self.files_view.dropped.connect(self.filesDropped)
        files_layout.addWidget(self.files_view, 1)
        outer.addWidget(self.files_section, 1)
        self.picture_zone = PictureDropZone(page)
        self.picture_zone.dropped.connect(self.imageDropped)
        outer.addWidget(self.picture_zone)
        self.facts = QLabel(page)
        self.facts.setObjectName("Facts")
        self.facts.setTextFormat(Qt.TextFormat.RichText)
        self.facts.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        outer.addWidget(self.facts)
        self.spacer = QWidget(page)
        self.spacer.setSizePolicy(QSizePolicy.Policy.Preferred, QSizePolicy.Policy.Expanding)
        outer.addWidget(self.spacer, 1)

        self.slot.activated.connect(self.chooseImage)
        self.slot.dropped.connect(self.imageDropped)
        self._update_file_buttons()
        self._outer, self._header = outer, header
        self._labelled = {
            self.choose_button: QStyle.StandardPixmap.SP_DirOpenIcon,
            self.remove_button: QStyle.StandardPixmap.SP_DialogDiscardButton,
            self.download_button: QStyle.StandardPixmap.SP_DialogSaveButton,
            self.open_button: QStyle.StandardPixmap.SP_DialogOpenButton,
            self.delete_button: QStyle.StandardPixmap.SP_TrashIcon,
        }
        self._texts = {button: button.text() for button in self._labelled}
        self.compact = False
        self.columns = ColumnPriority(self.files_view, give_way=(2, 3, 1), stretch=0, stretch_min=170)

    # ------------------------------------------------------------------ narrow windows

    COMPACT_BELOW = QSize(480, 470)  # narrower or lower than this: icons for the secondary buttons

    def minimumSizeHint(self) -> QSize:
        """What the compact layout needs: the window may be as small as 800 × 500."""
        return QSize(330, 320)

    def resizeEvent(self, event) -> None:
        size = event.size()
        self.set_compact(size.width() < self.COMPACT_BELOW.width() or size.height() < self.COMPACT_BELOW.height())
        super().resizeEvent(event)

    def set_compact(self, compact: bool) -> None:
        """Secondary buttons show their icon only (their names stay in tooltips and for screen
        readers), margins narrow, the picture drop zone lowers: the pane fits 360 px."""
        if compact == self.compact:
            return
        self.compact = compact
        for button, icon in self._labelled.items():
            button.setText("" if compact else self._texts[button])
            button.setIcon(self.style().standardIcon(icon) if compact else QIcon())
            button.setProperty("iconOnly", compact)
            button.style().unpolish(button)
            button.style().polish(button)
        self._outer.setContentsMargins(*((16, 14, 16, 12) if compact else (28, 24, 28, 20)))
        self._outer.setSpacing(12 if compact else 18)
        self._header.setSpacing(14 if compact else 22)
        self.picture_zone.setMinimumHeight(100 if compact else 140)
        self.add_button.setText("Add…" if compact else "Add files…")
        side = 96 if compact else ImageSlot.SIZE
        self.slot.setFixedSize(side, side)

    # ------------------------------------------------------------------ content

    def observe(self, session) -> None:
        """Follow the window's session (`ui.session.Session`): a new account shows nothing selected."""
        self.session = session
        session.changed.connect(self._session_changed)
        self.templates.observe(session)

    def _session_changed(self) -> None:
        self.backend = self.session.backend
        self.thumbnails.set_backend(self.backend, disk=self.session.disk)
        # where removing a file from a task leaves it on the service, the button says so
        entry = self.session.service
        detaching = entry is not None and bool(entry.detach_note)
        self.delete_button.setText("Detach" if detaching else "Delete")
        self.delete_button.setAccessibleName(self.delete_button.text())
        self.delete_button.setToolTip(
            f"Detach the selected files. {entry.detach_note}"
            if detaching and entry is not None
            else "Delete the selected files"
        )
        self.set_entity(None)

    def set_entity(self, entity: Entity | None) -> None:
        changed_target = entity is None or self.entity is None or entity.ref != self.entity.ref
        self.entity = entity
        if entity is None or self.backend is None:
            self.stack.setCurrentIndex(0)
            self.slot.set_entity(None, False, "")
            self.files_view.entity = None
            self.files_model.set_target(None, None)
            return
        self.stack.setCurrentIndex(1)
        caps = self.backend.capabilities(entity.kind)
        service = self.backend.service
        can_set = bool(caps & Capability.SET_IMAGE)
        can_delete = bool(caps & Capability.DELETE_IMAGE)
        self.kind_label.setText(entity.kind.singular.upper())
        self.name_label.setText(entity.name)
        self.subtitle_label.setText(entity.subtitle)
        self.subtitle_label.setVisible(bool(entity.subtitle))
        if can_set:
            tooltip = f"Drop an image here or click to choose one for {entity.name}"
            rules = self._rules(entity.kind)
            hint = "Drop an image on the picture, or choose one."
            if rules is not None:
                from attache.ui.imaging import describe_types, limit_text

                hint = f"{describe_types(rules.mime_types)} images, up to {limit_text(rules.max_bytes)}."
        else:
            tooltip = self._why_not(entity.kind, Capability.SET_IMAGE)
            # a reason of the service's own (a user's photo only from a web address, projects
            # without pictures) is worth a line in sight, not only a tooltip
            hint = tooltip if self._has_own_reason(entity.kind, Capability.SET_IMAGE) else ""
        pictures = bool(caps & Capability.GET_IMAGE)
        self.slot.set_entity(entity, can_set, tooltip, pictures=pictures)
        self.slot.setVisible(pictures or can_set)  # tasks have no picture: no empty circle for one
        # no pictures at all for this kind (tasks): no greyed buttons that could never work
        self.choose_button.setVisible(pictures or can_set)
        self.remove_button.setVisible(pictures or can_delete)
        self.choose_button.setEnabled(can_set)
        self.choose_button.setToolTip(literal_tip(tooltip) if not can_set else "Choose an image file for the picture")
        self.remove_button.setEnabled(can_delete and entity.has_image)
        if not can_delete:
            self.remove_button.setToolTip(literal_tip(self._why_not(entity.kind, Capability.DELETE_IMAGE)))
        elif not entity.has_image:
            self.remove_button.setToolTip(literal_tip(f"{entity.name} has no picture to remove"))
        else:
            self.remove_button.setToolTip("Remove the picture (asks first)")
        self.image_hint.setText(hint)
        self.image_hint.setVisible(bool(hint))
        self.tasks_button.setVisible(
            entity.kind is EntityKind.PROJECT and bool(self.backend.capabilities(EntityKind.TASK) & Capability.LIST)
        )
        has_files = bool(caps & Capability.LIST_FILES)
        self.files_section.setVisible(has_files)
        show_zone = can_set and not has_files
        self.picture_zone.setVisible(show_zone)
        self.picture_zone.set_entity(entity, f"Drop an image here to make it the picture of {entity.name}")
        self.facts.setVisible(not has_files)
        self.facts.setText(self._facts_html(entity, service, pictures=bool(caps & Capability.IMAGES)))
        self.spacer.setVisible(not has_files)
        self.files_view.entity = entity if caps & Capability.ATTACH_FILE else None
        kind = entity.kind.singular
        self.files_view.empty_text = (
            f"No files yet.\nDrop files here to attach them to this {kind}."
            if caps & Capability.ATTACH_FILE
            else "No files."
        )
        self.files_view.viewport().update()
        self.add_button.setToolTip(f"Attach files from this computer to this {kind} (or drop them on the list)")
        templates = has_files and bool(caps & Capability.FILE_TEMPLATES)
        self.templates.setVisible(templates)
        if templates:
            self.templates.ensure_loaded()
        self.add_button.setEnabled(bool(caps & Capability.ATTACH_FILE))
        if has_files and changed_target:
            self.files_model.set_target(self.backend, entity.ref)
        elif not has_files:
            self.files_model.set_target(None, None)
        self._update_file_buttons()

    @staticmethod
    def _facts_html(entity: Entity, service: str, *, pictures: bool = True) -> str:
        # rich text of our own (a table): every value in it escaped
        picture = "set" if entity.has_image else "none yet" if pictures else "none on this service"
        rows = [("Picture", picture), ("Service", display_name(service)), ("ID", entity.id)]
        cells = "".join(
            f"<tr><td style='color:#6b7280;padding-right:14px'>{escape(k)}</td><td>{escape(v)}</td></tr>"
            for k, v in rows
        )
        return f"<table cellspacing='0' cellpadding='2'>{cells}</table>"

    def _has_own_reason(self, kind: EntityKind, capability: Capability) -> bool:
        entry = self.session.service if self.session is not None else None
        return entry is not None and (kind, capability) in entry.capabilities.reasons

    def _why_not(self, kind: EntityKind, capability: Capability) -> str:
        """A greyed control's tooltip: the service's own reason, from its capability table."""
        if self.session is not None and self.session.service is not None:
            return self.session.why_not(kind, capability)
        return f"{display_name(self.backend.service)} cannot do that"

    def _rules(self, kind: EntityKind):
        try:
            return self.backend.image_rules(kind)
        except Exception:  # noqa: BLE001
            return None

    def refresh_files(self) -> None:
        self.files_model.refresh()

    def selected_files(self) -> list[FileRecord]:
        rows = sorted({i.row() for i in self.files_view.selectionModel().selectedRows()})
        return [record for row in rows if (record := self.files_model.file(row)) is not None]

    def _open_current(self) -> None:
        files = self.selected_files()
        if files:
            self.openFile.emit(files[0])

    def _open_index(self, index: QModelIndex) -> None:
        record = index.data(FileRole) or self.files_model.file(index.row())
        if record is not None:
            self.openFile.emit(record)

    def _files_reset(self, *args) -> None:
        count = self.files_model.rowCount()
        title = f"Files ({count})" if count else "Files"
        if self.uploading:  # as the list's badge says it
            title += f" ↑ {self.uploading}"
        self.files_title.setText(title)
        self._update_file_buttons()

    def set_uploading(self, count: int) -> None:
        """Uploads to the entity shown still under way: the files' title says how many."""
        if count != self.uploading:
            self.uploading = count
            self._files_reset()

    def _update_file_buttons(self, *args) -> None:
        caps = self.backend.capabilities(self.entity.kind) if self.backend and self.entity else Capability.NONE
        selected = len(self.files_view.selectionModel().selectedRows()) if self.files_view.selectionModel() else 0
        self.download_button.setEnabled(bool(caps & Capability.DOWNLOAD_FILE) and selected > 0)
        self.open_button.setEnabled(bool(caps & Capability.DOWNLOAD_FILE) and selected == 1)
        self.delete_button.setEnabled(bool(caps & Capability.DELETE_FILE) and selected > 0)
        for button, action in self._menu_actions.items():
            action.setEnabled(button.isEnabled())

    def _file_icon(self, record: FileRecord):
        ref = self.files_model.ref
        if ref is not None and self.thumbnails.available:
            size = self.files_view.iconSize().width()
            thumbnail = self.thumbnails.icon(ref, record, device_px(size, self.files_view.devicePixelRatioF()))
            if thumbnail is not None:
                return thumbnail
        suffix = record.name.rsplit(".", 1)[-1].lower() if "." in record.name else ""
        icon = self._icon_cache.get(suffix)
        if icon is None:
            from PySide6.QtCore import QFileInfo

            icon = self._icons.icon(QFileInfo(f"x.{suffix}" if suffix else "x"))
            if icon.isNull():
                # as large as a thumbnail, so every name starts at the same place
                icon = theme.svg_icon(
                    "image" if record.mime_type.startswith("image/") else "file",
                    size=self.files_view.iconSize().width(),
                )
            self._icon_cache[suffix] = icon
        return icon
