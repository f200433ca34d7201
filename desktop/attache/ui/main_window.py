"""The main window: sidebar of kinds, the list, the detail pane, the transfers dock."""

from __future__ import annotations

import logging
import threading
from pathlib import Path

from PySide6.QtCore import QByteArray, QItemSelectionModel, QModelIndex, QSettings, QSize, Qt, QTimer, QUrl, Signal
from PySide6.QtGui import QAction, QDesktopServices, QGuiApplication, QKeySequence
from PySide6.QtWidgets import (
    QApplication,
    QDialog,
    QDockWidget,
    QFileDialog,
    QFrame,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QMainWindow,
    QMessageBox,
    QPushButton,
    QSplitter,
    QStackedWidget,
    QToolButton,
    QVBoxLayout,
    QWidget,
)

from attache.core.capabilities import Capability
from attache.core.errors import AttacheError
from attache.core.models import Entity, EntityKind, EntityRef
from attache.core.sources import human_size
from attache.ui import tasks, theme
from attache.ui.avatars import AvatarCache
from attache.ui.browse import EntityListView, KindsView
from attache.ui.detail import DetailPane
from attache.ui.drops import DropPlan, Payload, payload_from_mime, plan_attach, plan_image, save_image_data
from attache.ui.messagebar import ERROR, INFO, SUCCESS, WARNING, MessageBar, error_text
from attache.ui.models import EntityFilterModel, EntityListModel, EntityRole, KindsModel
from attache.app.connections import Connection
from attache.core.services import DEFAULT_SERVICE, SERVICES, display_name
from attache.ui.speed_limit import SpeedLimitDialog, save_limit, saved_limit
from attache.ui.transfers import DONE, DOWNLOAD, FAILED, IMAGE, UPLOAD, Job, TransferQueue
from attache.ui.transfers_view import TransfersPanel

log = logging.getLogger(__name__)

UPLOAD_WORKERS = 4  # uploads in parallel (the engine's workers); a common default of transfer tools
IMAGE_FILTER = "Images (*.png *.jpg *.jpeg *.gif *.webp *.bmp);;All files (*)"


def settings() -> QSettings:
    """The window's settings, in an INI file under the app's config folder (never the registry)."""
    from attache.core.paths import app_dirs

    path = app_dirs().config / "window.ini"
    path.parent.mkdir(parents=True, exist_ok=True)
    return QSettings(str(path), QSettings.Format.IniFormat)


class EmptyState(QWidget):
    """Shown when there is no account: how to connect, and a way to try the sandbox."""

    addAccount = Signal()
    openSandbox = Signal()

    def __init__(self, parent=None) -> None:
        super().__init__(parent)
        self.setObjectName("EmptyState")
        self.setAttribute(Qt.WidgetAttribute.WA_StyledBackground, True)
        icon = QLabel(self)
        icon.setPixmap(theme.app_icon().pixmap(QSize(72, 72)))
        icon.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.title = QLabel(self)
        self.title.setObjectName("EmptyTitle")
        self.title.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.text = QLabel(self)
        self.text.setObjectName("EmptyText")
        self.text.setWordWrap(True)
        self.text.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.text.setTextFormat(Qt.TextFormat.RichText)
        self.text.setFixedWidth(540)
        self.set_idle()
        self.add_button = QPushButton("Add account…", self)
        self.add_button.setProperty("primary", True)
        self.add_button.setAccessibleName("Add account")
        self.add_button.clicked.connect(self.addAccount)
        self.sandbox_button = QPushButton("Try the sandbox", self)
        self.sandbox_button.setAccessibleName("Open the built-in sandbox")
        self.sandbox_button.setToolTip(f"A local {display_name(DEFAULT_SERVICE)} look-alike with demo projects, "
                                       "tasks and people")
        self.sandbox_button.clicked.connect(self.openSandbox)
        buttons = QHBoxLayout()
        buttons.addStretch(1)
        buttons.addWidget(self.add_button)
        buttons.addWidget(self.sandbox_button)
        buttons.addStretch(1)
        self._buttons = buttons
        self._extra: list[QPushButton] = []
        self._extra_visible = False
        layout = QVBoxLayout(self)
        layout.addStretch(2)
        layout.addWidget(icon)
        layout.addSpacing(8)
        layout.addWidget(self.title)
        layout.addSpacing(6)
        centred = QHBoxLayout()  # not addWidget(…, AlignHCenter): that loses height-for-width
        centred.addStretch(1)
        centred.addWidget(self.text)
        centred.addStretch(1)
        layout.addLayout(centred)
        layout.addSpacing(14)
        layout.addLayout(buttons)
        layout.addStretch(3)

    def set_idle(self) -> None:
        names = [entry.name for entry in SERVICES.values()]
        self.title.setText(f"Connect Attaché to {' or '.join(names)}" if len(names) < 3
                           else f"Connect Attaché to {', '.join(names[:-1])} or {names[-1]}")
        self.text.setText(
            "Attaché shows your projects, tasks, companies and people with their pictures and files, "
            "and uploads what you drop on them.<br><br>"
            "Add an account: sign in in your browser, or paste an API key. You can also start Attaché with "
            "<code>ATTACHE_URL</code> and <code>ATTACHE_TOKEN</code> set. "
            "To look around first, try the built-in sandbox."
        )
        for button in (getattr(self, "add_button", None), getattr(self, "sandbox_button", None)):
            if button is not None:
                button.setVisible(True)
        for button in getattr(self, "_extra", ()):
            button.setVisible(self._extra_visible)

    def add_extra_button(self, button: QPushButton) -> None:
        """Another way out of the empty state (the accounts controller's "Open an account")."""
        self._extra.append(button)
        self._buttons.insertWidget(self._buttons.count() - 1, button)
        button.setVisible(self._extra_visible and self.add_button.isVisibleTo(self))

    def set_extra_visible(self, visible: bool) -> None:
        self._extra_visible = visible
        for button in self._extra:
            button.setVisible(visible and self.add_button.isVisibleTo(self))

    def set_busy(self, title: str, text: str = "") -> None:
        self.title.setText(title)
        self.text.setText(text)
        self.add_button.setVisible(False)
        self.sandbox_button.setVisible(False)
        for button in self._extra:
            button.setVisible(False)


class MainWindow(QMainWindow):
    connected = Signal()

    def __init__(self, *, restore: bool = True) -> None:
        super().__init__()
        self.setWindowTitle("Attaché")
        self.setWindowIcon(theme.app_icon())
        self.setObjectName("MainWindow")
        self.connection: Connection | None = None
        self.backend = None
        self.engine = None
        self.workspace: Entity | None = None
        self._opening = None
        self._open_after_download: dict[str, Path] = {}
        self._pending_kind: EntityKind | None = None
        self._pending_select: str | None = None
        self._splitter_state: QByteArray | None = None
        self._quitting = False
        self._tray = None
        self.speed_limit_dialog: SpeedLimitDialog | None = None
        self.people: dict[str, str] = {}

        self.avatars = AvatarCache(self)
        self.queue = TransferQueue(self)
        self.queue.jobFinished.connect(self._job_finished)
        self.queue.batchFinished.connect(self._batch_finished)
        self.queue.failed.connect(self.show_error)

        self._build_ui()
        self._build_menus()
        from attache.ui.accounts import AccountsController

        self.accounts = AccountsController(self)  # switcher, add, sign out, remove, "sign in again"
        self.resize(default_size(self.screen().availableGeometry().size(), self.minimumSizeHint()))
        if restore:
            self._restore_settings()
        self._show_empty()

    # ================================================================== building

    def _build_ui(self) -> None:
        central = QWidget(self)
        outer = QVBoxLayout(central)
        outer.setContentsMargins(0, 0, 0, 0)
        outer.setSpacing(0)
        self.message_bar = MessageBar(central)
        outer.addWidget(self.message_bar)
        self.pages = QStackedWidget(central)
        outer.addWidget(self.pages, 1)
        self.setCentralWidget(central)

        self.empty = EmptyState(self.pages)
        self.empty.addAccount.connect(self.add_account)
        self.empty.openSandbox.connect(self.open_sandbox)
        self.pages.addWidget(self.empty)

        self.splitter = QSplitter(Qt.Orientation.Horizontal, self.pages)
        self.splitter.setObjectName("MainSplitter")
        self.splitter.setChildrenCollapsible(False)
        self.splitter.setHandleWidth(1)
        self.pages.addWidget(self.splitter)

        # ---- sidebar
        sidebar = QFrame(self.splitter)
        sidebar.setObjectName("Sidebar")
        sidebar.setAttribute(Qt.WidgetAttribute.WA_StyledBackground, True)
        side = QVBoxLayout(sidebar)
        side.setContentsMargins(0, 0, 0, 8)
        side.setSpacing(0)
        self.workspace_label = QLabel("Attaché", sidebar)
        self.workspace_label.setObjectName("SidebarHeader")
        self.account_label = QLabel("", sidebar)
        self.account_label.setObjectName("SidebarAccount")
        self.kinds_model = KindsModel(self)
        self.kinds_view = KindsView(sidebar)
        self.kinds_view.setModel(self.kinds_model)
        self.kinds_view.selectionModel().currentChanged.connect(self._kind_selected)
        side.addWidget(self.workspace_label)
        side.addWidget(self.account_label)
        side.addWidget(self.kinds_view, 1)
        sidebar.setMinimumWidth(170)

        # ---- list
        list_pane = QWidget(self.splitter)
        list_pane.setObjectName("ListPane")
        list_pane.setAttribute(Qt.WidgetAttribute.WA_StyledBackground, True)
        lay = QVBoxLayout(list_pane)
        lay.setContentsMargins(0, 14, 0, 0)
        lay.setSpacing(8)
        head = QHBoxLayout()
        head.setContentsMargins(16, 0, 16, 0)
        self.list_title = QLabel("", list_pane)
        self.list_title.setObjectName("ListHeader")
        self.list_count = QLabel("", list_pane)
        self.list_count.setObjectName("ListSubheader")
        head.addWidget(self.list_title)
        head.addStretch(1)
        head.addWidget(self.list_count, 0, Qt.AlignmentFlag.AlignBottom)
        lay.addLayout(head)
        scope = QHBoxLayout()
        scope.setContentsMargins(16, 0, 16, 0)
        self.scope_chip = QLabel(list_pane)
        self.scope_chip.setObjectName("ScopeChip")
        self.scope_clear = QToolButton(list_pane)
        self.scope_clear.setText("Show all tasks")
        self.scope_clear.setAutoRaise(True)
        self.scope_clear.setAccessibleName("Show all tasks")
        self.scope_clear.clicked.connect(lambda: self.show_kind(EntityKind.TASK))
        scope.addWidget(self.scope_chip)
        scope.addWidget(self.scope_clear)
        scope.addStretch(1)
        self.scope_row = QWidget(list_pane)
        self.scope_row.setLayout(scope)
        self.scope_row.hide()
        lay.addWidget(self.scope_row)
        self.search = QLineEdit(list_pane)
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
        self.list_model = EntityListModel(self)
        self.filter_model = EntityFilterModel(self)
        self.filter_model.setSourceModel(self.list_model)
        self.list_view = EntityListView(self.avatars, list_pane)
        self.list_view.setModel(self.filter_model)
        self.list_view.planner = self.plan_row_drop
        self.list_view.dropped.connect(self._row_dropped)
        self.list_view.hoverHint.connect(self._hover_hint)
        self.list_view.selectionModel().currentChanged.connect(self._entity_selected)
        self.list_view.doubleClicked.connect(self._entity_activated)
        self.list_model.failed.connect(self._list_failed)
        self.list_model.totalChanged.connect(self._update_count)
        self.list_model.loadingChanged.connect(lambda _loading: self._update_count())
        self.list_model.pageLoaded.connect(self._page_loaded)
        self.filter_model.rowsInserted.connect(self._update_count)
        self.filter_model.rowsRemoved.connect(self._update_count)
        self.filter_model.modelReset.connect(self._update_count)
        self.filter_model.layoutChanged.connect(self._update_count)
        lay.addWidget(self.list_view, 1)
        list_pane.setMinimumWidth(260)

        # ---- detail
        self.detail = DetailPane(self.avatars, self.splitter)
        self.detail.slot.planner = self.plan_image_drop
        self.detail.files_view.planner = self.plan_attach_drop
        self.detail.picture_zone.planner = self.plan_image_drop
        self.detail.chooseImage.connect(self.choose_image)
        self.detail.removeImage.connect(self.remove_image)
        self.detail.imageDropped.connect(lambda plan: self._perform(self.detail.entity, plan, image=True))
        self.detail.filesDropped.connect(lambda plan: self._perform(self.detail.entity, plan, image=False))
        self.detail.addFiles.connect(self.add_files)
        self.detail.downloadFiles.connect(self.download_files)
        self.detail.openFile.connect(self.open_file)
        self.detail.deleteFiles.connect(self.delete_files)
        self.detail.showTasks.connect(lambda project: self.show_kind(EntityKind.TASK, project))
        self.detail.files_model.failed.connect(self.show_error)
        # never narrower than its picture and buttons need: a clipped "Show tasks" reads as a bug
        self.detail.setMinimumWidth(max(360, self.detail.minimumSizeHint().width()))

        self.splitter.addWidget(sidebar)
        self.splitter.addWidget(list_pane)
        self.splitter.addWidget(self.detail)
        self.splitter.setStretchFactor(0, 0)
        self.splitter.setStretchFactor(1, 1)
        self.splitter.setStretchFactor(2, 2)
        self.splitter.setSizes([210, 400, 670])

        # ---- transfers dock
        self.transfers = TransfersPanel(self.queue, self)
        self.transfers_dock = QDockWidget("Transfers", self)
        self.transfers_dock.setObjectName("TransfersDock")
        self.transfers_dock.setWidget(self.transfers)
        self.transfers_dock.setFeatures(QDockWidget.DockWidgetFeature.DockWidgetClosable
                                        | QDockWidget.DockWidgetFeature.DockWidgetMovable
                                        | QDockWidget.DockWidgetFeature.DockWidgetFloatable)
        self.addDockWidget(Qt.DockWidgetArea.BottomDockWidgetArea, self.transfers_dock)
        self.transfers_dock.hide()
        self.transfers.model.activeChanged.connect(self._active_transfers_changed)

        self.status = self.statusBar()
        self.status.setSizeGripEnabled(True)
        self.connection_label = QLabel("", self)
        self.status.addPermanentWidget(self.connection_label)

        # keyboard order: kinds → search → list → detail
        QWidget.setTabOrder(self.kinds_view, self.search)
        QWidget.setTabOrder(self.search, self.list_view)
        QWidget.setTabOrder(self.list_view, self.detail.slot)

    def _build_menus(self) -> None:
        bar = self.menuBar()
        file_menu = bar.addMenu("&File")
        self.add_account_action = self._action("&Add account…", self.add_account, file_menu)
        self.sign_out_action = self._action("&Sign out", self.sign_out, file_menu)
        file_menu.addSeparator()
        self.quit_action = self._action("&Quit", self.close, file_menu, QKeySequence.StandardKey.Quit)
        self.quit_action.setShortcutContext(Qt.ShortcutContext.ApplicationShortcut)

        edit_menu = bar.addMenu("&Edit")
        self.paste_action = self._action("&Paste files", self.paste, edit_menu, QKeySequence.StandardKey.Paste)
        self.paste_action.setStatusTip("Attach the files or the image on the clipboard to the selected item")
        self.find_action = self._action("&Find", self.focus_search, edit_menu, QKeySequence.StandardKey.Find)

        view_menu = bar.addMenu("&View")
        self.refresh_action = self._action("&Refresh", self.refresh, view_menu, QKeySequence.StandardKey.Refresh)
        self.refresh_action.setShortcuts([QKeySequence(Qt.Key.Key_F5), QKeySequence("Ctrl+R")])
        self.transfers_action = self.transfers_dock.toggleViewAction()
        self.transfers_action.setText("&Transfers")
        self.transfers_action.setShortcut(QKeySequence("Ctrl+T"))
        view_menu.addAction(self.transfers_action)
        self.resume_on_start_action = QAction("Resume &Uploads on Start", self)
        self.resume_on_start_action.setCheckable(True)
        self.resume_on_start_action.setChecked(settings().value("transfers/resume_on_start", True, type=bool))
        self.resume_on_start_action.setStatusTip("Continue interrupted uploads as soon as Attaché starts; "
                                                 "otherwise they wait until you press Resume")
        self.resume_on_start_action.toggled.connect(
            lambda on: settings().setValue("transfers/resume_on_start", on))
        view_menu.addAction(self.resume_on_start_action)
        self.speed_limit_action = self._action("Limit Upload &Speed…", self.choose_upload_limit, view_menu)
        self.speed_limit_action.setStatusTip("Keep all uploads together under a speed you choose")
        view_menu.addSeparator()
        self.kind_actions: list[QAction] = []
        self.kinds_menu = view_menu.addMenu("&Go to")

        help_menu = bar.addMenu("&Help")
        self._action("&About Attaché", self.about, help_menu)
        self._update_actions()

    def _action(self, text: str, slot, menu, shortcut=None) -> QAction:
        action = QAction(text, self)
        if shortcut is not None:
            action.setShortcut(QKeySequence(shortcut))
        action.triggered.connect(lambda checked=False: slot())
        menu.addAction(action)
        self.addAction(action)
        return action

    def _update_actions(self) -> None:
        connected = self.backend is not None
        self.sign_out_action.setEnabled(connected)
        self.refresh_action.setEnabled(connected)
        self.paste_action.setEnabled(connected)
        self.find_action.setEnabled(connected)

    # ================================================================== connecting

    def _show_empty(self) -> None:
        self.pages.setCurrentWidget(self.empty)
        self.setWindowTitle("Attaché")

    def open_connection(self, connection: Connection) -> None:
        """Connect on a worker: make the backend, check the account, open the transfer journal."""
        self.empty.set_busy("Connecting…", f"Opening {connection.label or connection.account}")
        self.pages.setCurrentWidget(self.empty)
        self._opening = tasks.run_task(lambda: _open(connection), self._opened,
                                       lambda error: self._open_failed(connection, error), owner=self)

    def open_sandbox(self, service_id: str = DEFAULT_SERVICE) -> None:
        from attache.app.connections import start_sandbox

        self.empty.set_busy("Starting the sandbox…",
                            f"A local {display_name(service_id)} look-alike with demo data, just for this session.")
        self.pages.setCurrentWidget(self.empty)
        tasks.run_task(lambda: start_sandbox(service_id), self.open_connection, self._sandbox_failed, owner=self)

    def _sandbox_failed(self, error: BaseException) -> None:
        self.empty.set_idle()
        self.show_error(error)

    def _open_failed(self, connection: Connection, error: BaseException) -> None:
        self._opening = None
        connection.close()
        self.empty.set_idle()
        self._show_empty()
        self.show_error(error, action=("Try again", lambda: self.open_connection(connection)))
        self.accounts.open_failed(connection, error)

    def _opened(self, result) -> None:
        self._opening = None
        connection, backend, workspace, engine = result
        self.set_backend(backend, connection=connection, workspace=workspace, engine=engine)

    def set_backend(self, backend, *, connection: Connection | None = None, workspace: Entity | None = None,
                    engine=None) -> None:
        """Show this account (or, with None, the empty state)."""
        self._close_connection()
        self.connection, self.backend, self.engine, self.workspace = connection, backend, engine, workspace
        self.avatars.set_backend(backend, disk=_disk_avatar_cache() if backend is not None else None)
        self.detail.set_backend(backend)
        self.list_model.set_source(None, None)
        self._update_actions()
        if backend is None:
            self.kinds_model.set_kinds([])
            self.connection_label.setText("")
            self.empty.set_idle()
            self._show_empty()
            return
        if engine is not None:
            from attache.core.accounts import AccountRef

            self.queue.set_engine(engine, connection.ref if connection else AccountRef(backend.service, backend.account),
                                  backend=backend)
            engine.throttle.set_rate(saved_limit(settings()))
            # Interrupted uploads go on by themselves, unless the user asked to resume them by hand.
            start_paused = not self.resume_on_start_action.isChecked()
            engine.start(paused=start_paused)
            self.queue.pausedChanged.emit(start_paused)
        from attache.core.services import service

        kinds = service(backend.service).kinds()
        self.kinds_model.set_kinds(kinds, {kind: theme.kind_icon(kind) for kind in kinds})
        self._rebuild_kind_actions(kinds)
        name = workspace.name if workspace is not None else backend.account
        self.workspace_label.setText(name)
        self.account_label.setText(connection.label if connection and connection.label else backend.service)
        self.connection_label.setText(f"Connected to {connection.label if connection else backend.service}  ")
        self.setWindowTitle(f"{name} — Attaché")
        self._load_people()
        self.pages.setCurrentWidget(self.splitter)
        if self._splitter_state is not None:
            self.splitter.restoreState(self._splitter_state)
            self._splitter_state = None
        self._load_counts()
        kind = self._pending_kind if self._pending_kind in kinds else None
        kind = kind or (EntityKind.PROJECT if EntityKind.PROJECT in kinds else kinds[0] if kinds else None)
        if kind is not None:
            self.kinds_view.setCurrentIndex(self.kinds_model.index(self.kinds_model.row_of(kind), 0))
        self.connected.emit()

    def _close_connection(self) -> None:
        self.queue.detach_engine()
        engine, connection, backend = self.engine, self.connection, self.backend
        self.engine = self.connection = self.backend = None
        self.avatars.set_backend(None)  # no new requests on the old backend
        if engine is None and connection is None and backend is None:
            return

        def close() -> None:
            # requests still in flight finish first, so no connection outlives its client
            tasks.runner().wait(10_000)
            if engine is not None:
                engine.shutdown(timeout=10)
                engine.journal.close()
            if backend is not None:
                backend.close()
            if connection is not None:
                connection.close()

        if self._quitting or tasks.is_synchronous():
            close()
        else:
            threading.Thread(target=close, name="attache-close-account", daemon=True).start()

    def choose_upload_limit(self) -> None:
        """View › Limit Upload Speed…: applies to running uploads at once, and is kept for next time."""
        dialog = SpeedLimitDialog(saved_limit(settings()), self)
        self.speed_limit_dialog = dialog

        def chosen(code: int) -> None:
            if code == QDialog.DialogCode.Accepted:
                self.set_upload_limit(dialog.rate())
            dialog.deleteLater()
            self.speed_limit_dialog = None

        dialog.finished.connect(chosen)
        dialog.open()

    def set_upload_limit(self, rate: float | None) -> None:
        save_limit(settings(), rate)
        if self.engine is not None:
            self.engine.throttle.set_rate(rate)
        self.transfers.refresh_summary()
        self.status.showMessage(f"Uploads limited to {human_size(rate)}/s" if rate else "Uploads not limited", 4000)

    def add_account(self) -> None:
        self.accounts.add_account()

    def sign_out(self) -> None:
        self.accounts.sign_out()

    def _rebuild_kind_actions(self, kinds: list[EntityKind]) -> None:
        self.kinds_menu.clear()
        for action in self.kind_actions:
            self.removeAction(action)
        self.kind_actions = []
        for number, kind in enumerate(kinds, start=1):
            action = QAction(kind.label, self)
            if number <= 9:
                action.setShortcut(QKeySequence(f"Ctrl+{number}"))
            action.triggered.connect(lambda checked=False, kind=kind: self.show_kind(kind))
            self.kinds_menu.addAction(action)
            self.addAction(action)
            self.kind_actions.append(action)

    # ================================================================== browsing

    def _load_counts(self) -> None:
        backend = self.backend
        for kind in self.kinds_model.kinds():
            tasks.run_task(lambda kind=kind: _count(backend, kind),
                           lambda count, kind=kind, backend=backend: backend is self.backend
                           and self.kinds_model.set_count(kind, count),
                           lambda error: log.info("count failed: %s", error), owner=self)

    def _load_people(self) -> None:
        """User ids → names for "added by"; on a worker, at most a few thousand people."""
        backend = self.backend
        if not self.backend.capabilities(EntityKind.USER) & Capability.LIST:
            return

        def load() -> dict[str, str]:
            people: dict[str, str] = {}
            for page in backend.iter_pages(EntityKind.USER, page_size=500):
                people.update((user.id, user.name) for user in page.items)
                if len(people) >= 5000:
                    break
            return people

        def loaded(people: dict[str, str]) -> None:
            if backend is self.backend:
                self.people = people
                self.detail.files_model.set_people(people)

        tasks.run_task(load, loaded, lambda error: log.info("could not list people: %s", error), owner=self)

    def _kind_selected(self, current: QModelIndex, previous: QModelIndex) -> None:
        kind = self.kinds_model.kind_at(current.row())
        if kind is not None and (kind != self.list_model.kind or self.list_model.parent_ref is not None):
            self.show_kind(kind)

    def show_kind(self, kind: EntityKind, parent: Entity | None = None) -> None:
        """List one kind; for tasks, optionally only those of a project."""
        if self.backend is None:
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
        self.filter_model.set_query("")
        self.list_title.setText(kind.label)
        self.scope_row.setVisible(parent is not None)
        if parent is not None:
            self.scope_chip.setText(f"In {parent.name}")
        self.search.setPlaceholderText(f"Search {kind.label.lower()}")
        self.detail.set_entity(None)
        self._pending_select = None
        self.list_model.set_source(self.backend, kind, parent.ref if parent is not None else None)
        self.list_model.fetchMore(QModelIndex())
        self._update_count()

    def _page_loaded(self) -> None:
        wanted = self._pending_select
        if wanted is not None and self.select_entity(wanted):
            self._pending_select = None
            return
        if not self.list_view.currentIndex().isValid() and self.filter_model.rowCount() > 0:
            self.list_view.selectionModel().setCurrentIndex(
                self.filter_model.index(0, 0), QItemSelectionModel.SelectionFlag.ClearAndSelect)

    def _update_count(self, *args) -> None:
        model = self.list_model
        shown = self.filter_model.rowCount()
        loaded = model.rowCount()
        total = model.total
        if model.kind is None:
            text = ""
        elif model.error is not None and loaded == 0:
            text = "Could not load"
        elif model.loading and loaded == 0:
            text = "Loading…"
        elif self.filter_model.query():
            text = f"{shown:,} of {loaded:,} match" + ("" if model.exhausted else " (loading more…)" if model.loading else "")
        elif total is not None and total > loaded:
            text = f"{loaded:,} of {total:,}"
        else:
            noun = model.kind.singular if loaded == 1 else model.kind.label.lower()
            text = f"{loaded:,} {noun}"
        self.list_count.setText(text)

    def _search_changed(self, text: str) -> None:
        self.filter_model.set_query(text)
        self._update_count()
        # keep loading while a filter shows few rows, so a search covers more than the first page
        if text and self.filter_model.rowCount() < 50 and self.list_model.canFetchMore():
            self.list_model.fetchMore()

    def focus_search(self) -> None:
        self.search.setFocus(Qt.FocusReason.ShortcutFocusReason)
        self.search.selectAll()

    def _entity_selected(self, current: QModelIndex, previous: QModelIndex) -> None:
        entity = current.data(EntityRole) if current.isValid() else None
        self.detail.set_entity(entity)

    def _entity_activated(self, index: QModelIndex) -> None:
        entity = index.data(EntityRole)
        if entity is not None and entity.kind is EntityKind.PROJECT:
            self.show_kind(EntityKind.TASK, entity)

    def selected_entity(self) -> Entity | None:
        return self.detail.entity

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

    def refresh(self) -> None:
        if self.backend is None:
            return
        self.avatars.clear()
        current = self.detail.entity
        self._load_counts()
        model = self.list_model
        if model.kind is not None:
            self._pending_select = current.id if current else None
            model.set_source(self.backend, model.kind, model.parent_ref)
            model.fetchMore()
        self.status.showMessage("Refreshed", 2000)

    def _list_failed(self, error: BaseException) -> None:
        self._update_count()
        self.show_error(error, action=("Retry", self.list_model.retry))

    # ================================================================== drops and pastes

    def _service(self) -> str:
        return display_name(self.backend.service) if self.backend is not None else "this service"

    def _rules(self, kind: EntityKind):
        try:
            return self.backend.image_rules(kind) if self.backend is not None else None
        except AttacheError:
            return None

    def plan_row_drop(self, entity: Entity, mime) -> DropPlan:
        return self._plan(entity, payload_from_mime(mime))

    def plan_image_drop(self, entity: Entity, mime) -> DropPlan:
        return plan_image(payload_from_mime(mime), entity, self._rules(entity.kind), self._service())

    def plan_attach_drop(self, entity: Entity, mime) -> DropPlan:
        return plan_attach(payload_from_mime(mime), entity)

    def _plan(self, entity: Entity, payload: Payload, *, prefer_image: bool = False) -> DropPlan:
        if self.backend is None:
            return DropPlan(False, "Not connected")
        caps = self.backend.capabilities(entity.kind)
        if caps & Capability.ATTACH_FILE and not prefer_image:
            return plan_attach(payload, entity)
        if caps & Capability.SET_IMAGE:
            return plan_image(payload, entity, self._rules(entity.kind), self._service())
        return DropPlan(False, f"{self._service()} cannot attach files to a {entity.kind.singular} "
                               f"or give it a picture")

    def _row_dropped(self, entity: Entity, plan: DropPlan) -> None:
        caps = self.backend.capabilities(entity.kind) if self.backend else Capability.NONE
        self._perform(entity, plan, image=not (caps & Capability.ATTACH_FILE))

    def _hover_hint(self, text: str) -> None:
        if text:
            self.status.showMessage(text)
        else:
            self.status.clearMessage()

    def _perform(self, entity: Entity | None, plan: DropPlan, *, image: bool) -> None:
        """Carry out a drop or paste plan, or say why it was refused."""
        self.status.clearMessage()
        if entity is None or self.backend is None:
            return
        if not plan.ok:
            self.message_bar.show_message(plan.message, ERROR)
            return
        paths = list(plan.paths)
        if plan.image is not None and not paths:
            try:
                paths = [save_image_data(plan.image)]
            except AttacheError as error:
                self.show_error(error)
                return
        target = f"{entity.kind.singular.capitalize()} “{entity.name}”"
        if image:
            self._set_image(entity, paths[0], target)
        else:
            self.queue.attach(self.backend, entity.ref, target, paths)
            note = f"Uploading {len(paths)} file{'s' if len(paths) != 1 else ''} to {target}"
            if plan.skipped:
                self.message_bar.show_message(f"{note}. Skipped: {'; '.join(plan.skipped)}", WARNING)
            else:
                self.status.showMessage(note, 4000)
            self._reveal_transfers()

    def _set_image(self, entity: Entity, path: Path, target: str) -> None:
        """Decode the file with Pillow on a worker first: a broken image never leaves the machine."""
        rules = self._rules(entity.kind)
        backend = self.backend
        service = display_name(backend.service)

        def full_image_check(path, rules):
            if rules is None:
                from attache.ui.imaging import full_image_check as check

                return check(path, None)
            from attache.images.validate import validate_for_slot

            return validate_for_slot(path, rules, service_name=service)

        def queue(source: Path) -> None:
            if backend is not self.backend:
                return
            self.queue.set_image(backend, entity.ref, target, source)
            if self.detail.entity is not None and self.detail.entity.ref == entity.ref:
                self.detail.slot.busy = True
                self.detail.slot.update()
            self.status.showMessage(f"Setting the picture of {target}", 4000)

        def failed(error) -> None:
            self.message_bar.show_message(error_text(error), ERROR)

        def crop(_checked) -> None:
            if backend is not self.backend:
                return
            from attache.ui.avatars import ROUND_KINDS
            from attache.ui.crop_dialog import crop_before_upload

            crop_before_upload(self, path, name=entity.name, round_shape=entity.kind in ROUND_KINDS,
                               mime_types=rules.mime_types if rules is not None else None,
                               on_ready=queue, on_error=failed)

        tasks.run_task(lambda: full_image_check(path, rules), crop, failed, owner=self)

    def paste(self) -> None:
        entity = self.detail.entity
        if entity is None or self.backend is None:
            self.show_message("Select an item to paste files onto.", INFO)
            return
        mime = QGuiApplication.clipboard().mimeData()
        payload = payload_from_mime(mime)
        if payload.empty:
            self.message_bar.show_message("The clipboard holds no files or image to paste.", WARNING)
            return
        prefer_image = self.detail.slot.hasFocus()
        plan = self._plan(entity, payload, prefer_image=prefer_image)
        caps = self.backend.capabilities(entity.kind)
        self._perform(entity, plan, image=prefer_image or not (caps & Capability.ATTACH_FILE))

    # ================================================================== detail actions

    def choose_image(self) -> None:
        entity = self.detail.entity
        if entity is None or self.backend is None:
            return
        if not self.backend.capabilities(entity.kind) & Capability.SET_IMAGE:
            return
        path, _ = QFileDialog.getOpenFileName(self, f"Choose a picture for {entity.name}", str(Path.home()), IMAGE_FILTER)
        if not path:
            return
        plan = plan_image(Payload(paths=[Path(path)]), entity, self._rules(entity.kind), self._service())
        self._perform(entity, plan, image=True)

    def remove_image(self) -> None:
        entity = self.detail.entity
        if entity is None or self.backend is None:
            return
        answer = QMessageBox.question(
            self, "Remove picture", f"Remove the picture of “{entity.name}”?\n\nThis cannot be undone.",
            QMessageBox.StandardButton.Yes | QMessageBox.StandardButton.Cancel, QMessageBox.StandardButton.Cancel)
        if answer != QMessageBox.StandardButton.Yes:
            return
        self._do_remove_image(entity)

    def _do_remove_image(self, entity: Entity) -> None:
        backend = self.backend
        tasks.run_task(lambda: backend.delete_image(entity.ref),
                       lambda _: (self._image_changed(entity.ref),
                                  self.show_message(f"Removed the picture of “{entity.name}”.", SUCCESS)),
                       self.show_error, owner=self)

    def add_files(self) -> None:
        entity = self.detail.entity
        if entity is None:
            return
        paths, _ = QFileDialog.getOpenFileNames(self, f"Attach files to {entity.name}", str(Path.home()))
        if paths:
            self._perform(entity, plan_attach(Payload(paths=[Path(p) for p in paths]), entity), image=False)

    def download_files(self, records: list) -> None:
        entity = self.detail.entity
        if entity is None or not records or self.backend is None:
            return
        downloads = Path.home() / "Downloads"
        start = downloads if downloads.is_dir() else Path.home()
        if len(records) == 1:
            path, _ = QFileDialog.getSaveFileName(self, "Save file", str(start / records[0].name))
            if not path:
                return
            destinations = [(records[0], Path(path))]
        else:
            folder = QFileDialog.getExistingDirectory(self, f"Save {len(records)} files in", str(start))
            if not folder:
                return
            destinations = [(record, Path(folder) / record.name) for record in records]
        for record, dest in destinations:
            self.start_download(entity, record, dest)
        self._reveal_transfers()

    def start_download(self, entity: Entity, record, dest: Path) -> Job:
        target = f"{entity.kind.singular.capitalize()} “{entity.name}”"
        return self.queue.download(self.backend, entity.ref, target, record.id, record.name, record.size, dest)

    def open_file(self, record) -> None:
        entity = self.detail.entity
        if entity is None or self.backend is None:
            return
        from attache.core.paths import app_dirs

        folder = app_dirs().cache / "open" / record.id
        folder.mkdir(parents=True, exist_ok=True)
        job = self.start_download(entity, record, folder / record.name)
        self._open_after_download[job.id] = folder / record.name
        self.status.showMessage(f"Downloading {record.name} to open it…", 4000)

    def delete_files(self, records: list) -> None:
        entity = self.detail.entity
        if entity is None or not records or self.backend is None:
            return
        what = f"“{records[0].name}”" if len(records) == 1 else f"{len(records)} files"
        answer = QMessageBox.question(
            self, "Delete files", f"Delete {what} from “{entity.name}”?\n\nThis cannot be undone.",
            QMessageBox.StandardButton.Yes | QMessageBox.StandardButton.Cancel, QMessageBox.StandardButton.Cancel)
        if answer != QMessageBox.StandardButton.Yes:
            return
        self._do_delete_files(entity, records)

    def _do_delete_files(self, entity: Entity, records: list) -> None:
        backend = self.backend

        def delete():
            for record in records:
                backend.delete_file(entity.ref, record.id)

        def deleted(_) -> None:
            for record in records:
                self.detail.files_model.remove_file(record.id)
            what = f"“{records[0].name}”" if len(records) == 1 else f"{len(records)} files"
            self.show_message(f"Deleted {what}.", SUCCESS)

        def failed(error) -> None:
            self.show_error(error)
            if self.detail.entity is not None and self.detail.entity.ref == entity.ref:
                self.detail.refresh_files()

        tasks.run_task(delete, deleted, failed, owner=self)

    # ================================================================== transfers finishing

    def _job_finished(self, job: Job) -> None:
        current = self.detail.entity
        if job.kind == UPLOAD and job.state == DONE:
            if current is not None and current.ref == job.ref:
                self._schedule_files_refresh()
        elif job.kind == IMAGE:
            if current is not None and current.ref == job.ref:
                self.detail.slot.busy = False
                self.detail.slot.update()
            if job.state == DONE:
                self._image_changed(job.ref)
        elif job.kind == DOWNLOAD and job.state == DONE:
            path = self._open_after_download.pop(job.id, None)
            if path is not None:
                QDesktopServices.openUrl(QUrl.fromLocalFile(str(path)))
            else:
                self.status.showMessage(f"Saved {job.path}", 5000)
        if job.state == FAILED:
            self._open_after_download.pop(job.id, None)
            self.message_bar.show_message(job.error if job.name in job.error else f"{job.name}: {job.error}", ERROR,
                                          action=("Retry", lambda job_id=job.id: self.queue.retry(job_id)))

    def _schedule_files_refresh(self) -> None:
        # a batch of uploads finishing together refreshes the list once
        if not hasattr(self, "_files_timer"):
            self._files_timer = QTimer(self)
            self._files_timer.setSingleShot(True)
            self._files_timer.setInterval(150)
            self._files_timer.timeout.connect(self.detail.refresh_files)
        self._files_timer.start()

    def _image_changed(self, ref: EntityRef) -> None:
        """Forget the old picture everywhere and fetch the entity again (has_image, version)."""
        self.avatars.invalidate(ref)
        backend = self.backend
        if backend is None:
            return

        def updated(entity: Entity) -> None:
            if backend is not self.backend:
                return
            self.list_model.replace_entity(entity)
            if self.detail.entity is not None and self.detail.entity.ref == ref:
                self.detail.set_entity(entity)
            if ref.kind is EntityKind.WORKSPACE:
                self.workspace = entity

        tasks.run_task(lambda: backend.get_entity(ref), updated,
                       lambda error: log.info("could not refresh %s: %s", ref, error), owner=self)

    def _batch_finished(self, done: int, failed: int) -> None:
        if done and not failed:
            text = f"{done} transfer{'s' if done != 1 else ''} finished."
        elif failed:
            text = f"{done} transfer{'s' if done != 1 else ''} finished, {failed} failed."
        else:
            return
        if not failed:
            self.status.showMessage(text, 5000)
        if not self.isActiveWindow():
            self.notify("Transfers finished", text)

    def notify(self, title: str, text: str) -> None:
        """A desktop notification when the window is in the background."""
        from PySide6.QtWidgets import QSystemTrayIcon

        if QSystemTrayIcon.isSystemTrayAvailable() and QSystemTrayIcon.supportsMessages():
            if self._tray is None:
                self._tray = QSystemTrayIcon(theme.app_icon(), self)
                self._tray.setToolTip("Attaché")
                self._tray.activated.connect(lambda *_: (self.showNormal(), self.activateWindow()))
            self._tray.show()
            self._tray.showMessage(title, text, theme.app_icon(), 8000)
        else:
            QApplication.alert(self, 0)
        self.last_notification = (title, text)

    def _reveal_transfers(self) -> None:
        if not self.transfers_dock.isVisible():
            self.transfers_dock.show()

    def _active_transfers_changed(self, active: int) -> None:
        self.transfers_dock.setWindowTitle(f"Transfers ({active} active)" if active else "Transfers")

    # ================================================================== messages

    def show_message(self, text: str, level: str = INFO, **kwargs) -> None:
        self.message_bar.show_message(text, level, **kwargs)

    def show_error(self, error, *, action=None) -> None:
        self.message_bar.show_error(error, action=action)

    def about(self) -> None:
        from attache import __version__

        QMessageBox.about(
            self, "About Attaché",
            f"<h3>Attaché {__version__}</h3>"
            "<p>Browse projects, tasks, companies and people; attach files and set pictures by drag and drop.</p>"
            "<p>Uploads are journaled: they survive a quit, a crash or a lost connection.</p>")

    # ================================================================== closing and settings

    def _confirm_stop_transfers(self, verb: str) -> bool:
        active = self.queue.active_count()
        durable = self.engine is not None and (self.connection is None or self.connection.journal_path is None)
        later = ("Uploads continue where they stopped the next time you open Attaché."
                 if durable else "Unfinished transfers will be lost.")
        box = QMessageBox(QMessageBox.Icon.Warning, "Transfers are running",
                          f"{active} transfer{'s are' if active != 1 else ' is'} still running.\n\n{later}",
                          QMessageBox.StandardButton.NoButton, self)
        stop = box.addButton(f"{verb} anyway", QMessageBox.ButtonRole.DestructiveRole)
        box.addButton("Keep running", QMessageBox.ButtonRole.RejectRole)
        box.exec()
        return box.clickedButton() is stop

    def closeEvent(self, event) -> None:
        if not self._quitting and self.queue.active_count() and not self._confirm_stop_transfers("Quit"):
            event.ignore()
            return
        self._quitting = True
        self._save_settings()
        self.queue.shutdown()
        self._close_connection()
        if self._tray is not None:
            self._tray.hide()
        super().closeEvent(event)

    def _save_settings(self) -> None:
        store = settings()
        store.setValue("window/geometry", self.saveGeometry())
        store.setValue("window/state", self.saveState())
        if self.pages.currentWidget() is self.splitter or self._splitter_state is None:
            store.setValue("window/splitter", self.splitter.saveState())
        header = self.detail.files_view.header()
        store.setValue("window/files_header", header.saveState())
        store.setValue("window/transfers_header", self.transfers.view.header().saveState())
        if self.list_model.kind is not None:
            store.setValue("browse/kind", self.list_model.kind.value)
        if self.connection is not None and self.connection.journal_path is None:
            store.setValue("account/last", self.connection.account)
        store.sync()

    def _restore_settings(self) -> None:
        store = settings()
        for key, restore in (("window/geometry", self.restoreGeometry), ("window/state", self.restoreState),
                             ("window/files_header", self.detail.files_view.header().restoreState),
                             ("window/transfers_header", self.transfers.view.header().restoreState)):
            value = store.value(key)
            if isinstance(value, QByteArray) and not value.isEmpty():
                restore(value)
        splitter = store.value("window/splitter")
        if isinstance(splitter, QByteArray) and not splitter.isEmpty():
            self._splitter_state = splitter  # applied when the browser is first shown, at its real size
        kind = store.value("browse/kind")
        if isinstance(kind, str):
            try:
                self._pending_kind = EntityKind(kind)
            except ValueError:
                self._pending_kind = None


# ---------------------------------------------------------------------- worker functions


def _open(connection: Connection):
    """Worker: backend, workspace (proves URL and token), and the transfer engine on its journal."""
    from attache.app.session import open_session

    _warm_up_imports()
    opened = open_session(connection, workers=UPLOAD_WORKERS)
    return opened.connection, opened.backend, opened.workspace, opened.engine


def default_size(available: QSize, minimum: QSize = QSize(0, 0)) -> QSize:
    """A first window of 1280 × 800, or nine tenths of a smaller screen (a laptop at 150 %), but
    never below what the panes need to show their buttons whole."""
    width = max(minimum.width(), min(1280, int(available.width() * 0.9)))
    height = max(minimum.height(), min(800, int(available.height() * 0.9)))
    return QSize(min(width, available.width()), min(height, available.height()))


def _warm_up_imports() -> None:
    """Import here, on a worker, what workers need later (Pillow above all): an import holds its
    module's lock, and a GUI thread that needed the same module meanwhile would wait for it."""
    import PIL.Image  # noqa: F401
    import PIL.ImageDraw  # noqa: F401
    import PIL.ImageOps  # noqa: F401

    import attache.ui.imaging  # noqa: F401

    try:
        import attache.images.cache  # noqa: F401
        import attache.images.validate  # noqa: F401
    except ImportError:  # pragma: no cover
        pass


def _disk_avatar_cache():
    try:
        from attache.images.cache import AvatarCache as DiskAvatarCache
    except ImportError:  # pragma: no cover
        return None
    return DiskAvatarCache()


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
