"""The main window's shell: menus, the pages and panes, the status bar, connecting and closing.

What happens inside is composed from one object per job: the session (`ui.session`), browsing
(`ui.browse_controller`), drops and pastes (`ui.drop_actions`), the detail pane's buttons
(`ui.file_actions`), transfers (`ui.transfer_actions`) and accounts (`ui.accounts`).
"""

from __future__ import annotations

import logging
from collections import Counter

from PySide6.QtCore import QByteArray, QSize, Qt, QTimer, Signal
from PySide6.QtGui import QAction, QKeySequence
from PySide6.QtWidgets import (
    QDockWidget,
    QMainWindow,
    QSplitter,
    QStackedWidget,
    QVBoxLayout,
    QWidget,
)

from attache.app.connection_state import Phase
from attache.app.connections import Connection
from attache.app.engine import cancel_sandbox_jobs
from attache.core.capabilities import Capability
from attache.core.models import Entity, EntityKind
from attache.core.services import DEFAULT_SERVICE
from attache.ui import desktop, reveal, settings, tasks, theme
from attache.ui.accounts import AccountsController
from attache.ui.avatars import AvatarLoader
from attache.ui.browse_controller import BrowseController
from attache.ui.connection_status import ConnectionIndicator
from attache.ui.detail import DetailPane
from attache.ui.drop_actions import DropActions
from attache.ui.empty_state import EmptyState
from attache.ui.file_actions import FileActions
from attache.ui.help_menu import HelpMenu
from attache.ui.messagebar import INFO, SUCCESS, MessageBar
from attache.ui.opening import Opener
from attache.ui.session import Session
from attache.ui.transfer_actions import TransferActions
from attache.ui.transfer_rows import ACTIVE_STATES, UPLOAD
from attache.ui.transfers import TransferQueue
from attache.ui.transfers_view import TransfersPanel

log = logging.getLogger(__name__)

HEARTBEAT_S = 60.0  # how often an idle, connected window checks that the service is still there


class MainWindow(QMainWindow):
    connected = Signal()

    def __init__(self, *, restore: bool = True, sandboxes_apart: bool = False) -> None:
        """`sandboxes_apart`: the built-in sandboxes it opens run in processes of their own (the
        app's; tests reach into an in-process sandbox's store)."""
        super().__init__()
        self.sandboxes_apart = sandboxes_apart
        self.setWindowTitle("Attaché")
        self.setWindowIcon(theme.app_icon())
        self.setObjectName("MainWindow")
        self.session = Session(self)
        self._splitter_state: QByteArray | None = None
        self._quitting = False
        self.avatars = AvatarLoader(self)
        self.avatars.observe(self.session)
        self.queue = TransferQueue(self)
        self._build_ui()
        self.drops = DropActions(self)
        self.files = FileActions(self)
        self.transfer_actions = TransferActions(self)
        self._connect_panes()
        self._build_menus()
        self.accounts = AccountsController(self)  # switcher, add, sign out, remove, "sign in again"
        self.opener = Opener(self)
        self._place_accounts()
        self.resize(default_size(self.screen().availableGeometry().size(), self.minimumSizeHint()))
        if restore:
            self._restore_settings()
        self._show_empty()
        desktop.install(self)  # open with Attaché, the tray, Help › About, the selection restored

    # ------------------------------------------------------------------ what the rest reads

    @property
    def connection(self) -> Connection | None:
        return self.session.connection

    @property
    def backend(self):
        return self.session.backend

    @property
    def engine(self):
        return self.session.engine

    @property
    def workspace(self) -> Entity | None:
        return self.session.workspace

    @property
    def speed_limit_dialog(self):
        return self.transfer_actions.speed_limit_dialog

    # ------------------------------------------------------------------ building

    def _build_ui(self) -> None:
        central = QWidget(self)
        outer = QVBoxLayout(central)
        outer.setContentsMargins(0, 0, 0, 0)
        outer.setSpacing(0)
        # a line of its own, for what stays true all session (the built-in sandbox is a demo)
        self.note_bar = MessageBar(central)
        self.note_bar.setObjectName("NoteBar")
        outer.addWidget(self.note_bar)
        self.pages = QStackedWidget(central)
        outer.addWidget(self.pages, 1)
        self.message_bar = MessageBar(central)
        self.message_bar.float_over(central)
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

        self.browse = browse = BrowseController(self.session, self.avatars, self.splitter)
        self.kinds_model, self.kinds_view = browse.kinds_model, browse.kinds_view
        self.list_model, self.filter_model, self.list_view = browse.list_model, browse.filter_model, browse.list_view
        self.search, self.list_count = browse.search, browse.list_count
        self.scope_row, self.scope_chip, self.scope_clear = browse.scope_row, browse.scope_chip, browse.scope_clear

        self.detail = DetailPane(self.avatars, self.splitter)
        self.detail.observe(self.session)
        # never narrower than its compact layout needs: a clipped "Show tasks" reads as a bug
        self.detail.setMinimumWidth(self.detail.minimumSizeHint().width())

        self.splitter.addWidget(browse.sidebar)
        self.splitter.addWidget(browse.list_pane)
        self.splitter.addWidget(self.detail)
        for index, stretch in enumerate((0, 1, 2)):
            self.splitter.setStretchFactor(index, stretch)
        self.splitter.setSizes([210, 400, 670])

        self.transfers = TransfersPanel(self.queue, self)
        self.transfers_dock = QDockWidget("Transfers", self)
        self.transfers_dock.setObjectName("TransfersDock")
        self.transfers_dock.setWidget(self.transfers)
        self.transfers_dock.setFeatures(
            QDockWidget.DockWidgetFeature.DockWidgetClosable
            | QDockWidget.DockWidgetFeature.DockWidgetMovable
            | QDockWidget.DockWidgetFeature.DockWidgetFloatable
        )
        self.addDockWidget(Qt.DockWidgetArea.BottomDockWidgetArea, self.transfers_dock)
        self.transfers_dock.hide()
        self._dock_sized = False
        self.transfers_dock.visibilityChanged.connect(self._dock_shown)
        # rows with uploads under way show a badge; counted at most five times a second
        self._uploads_timer = QTimer(self)
        self._uploads_timer.setSingleShot(True)
        self._uploads_timer.setInterval(200)
        self._uploads_timer.timeout.connect(self._count_uploads)
        for signal in (self.queue.jobAdded, self.queue.jobChanged, self.queue.jobsRemoved):
            signal.connect(lambda *args: self._uploads_timer.isActive() or self._uploads_timer.start())

        self.status = self.statusBar()
        self.status.setSizeGripEnabled(True)
        self.connection_status = ConnectionIndicator(self)
        # while connected and on screen, a light check now and then: "Connected" stays true when idle
        self._heartbeat = QTimer(self)
        self._heartbeat.setInterval(int(HEARTBEAT_S * 1000))
        self._heartbeat.timeout.connect(self._check_quietly)
        self._heartbeat.start()
        self.connection_label = self.connection_status.label
        self.status.addPermanentWidget(self.connection_status)

        # keyboard order: kinds → search → list → detail
        QWidget.setTabOrder(self.kinds_view, self.search)
        QWidget.setTabOrder(self.search, self.list_view)
        QWidget.setTabOrder(self.list_view, self.detail.slot)

    def _connect_panes(self) -> None:
        browse, detail, drops, files = self.browse, self.detail, self.drops, self.files
        browse.entitySelected.connect(detail.set_entity)
        browse.entitySelected.connect(lambda entity: self._count_uploads())
        browse.entitySelected.connect(lambda entity: self.message_bar.selection_changed(entity and entity.ref))
        browse.peopleLoaded.connect(detail.files_model.set_people)
        browse.failed.connect(lambda error: self.show_error(error, action=("Retry", self.list_model.retry)))
        status = self.connection_status
        browse.failed.connect(status.failed)
        browse.requestFailed.connect(status.failed)
        self.list_model.pageLoaded.connect(lambda: self.session.is_open and status.connected())
        detail.files_model.failed.connect(status.failed)
        detail.templates.failed.connect(
            lambda error: self.show_error(error, context=detail.entity.ref if detail.entity else None)
        )
        detail.templates.chosen.connect(lambda name: self.show_message(f"New files are filed as “{name}”.", SUCCESS))
        detail.files_model.loaded.connect(lambda: self.session.is_open and status.connected())
        self.list_view.planner = drops.plan_row_drop
        self.list_view.dropped.connect(drops.row_dropped)
        self.list_view.hoverHint.connect(self._hover_hint)
        detail.slot.planner = drops.plan_image_drop
        detail.files_view.planner = drops.plan_attach_drop
        detail.picture_zone.planner = drops.plan_image_drop
        detail.imageDropped.connect(lambda plan: drops.perform(detail.entity, plan, image=True))
        detail.filesDropped.connect(lambda plan: drops.perform(detail.entity, plan, image=False))
        detail.chooseImage.connect(files.choose_image)
        detail.removeImage.connect(files.remove_image)
        detail.addFiles.connect(files.add_files)
        detail.downloadFiles.connect(files.download_files)
        detail.openFile.connect(files.open_file)
        detail.files_view.drag_out = files.drag_out
        detail.deleteFiles.connect(files.delete_files)
        self.transfers.revealRequested.connect(files.show_in_folder)
        self.transfers.openRequested.connect(
            lambda path: reveal.open_with_application(path, owner=self, on_failed=files.say_no_application)
        )
        detail.showTasks.connect(lambda project: self.show_kind(EntityKind.TASK, project))
        detail.files_model.failed.connect(lambda error: self.show_error(error, context=detail.files_model.ref))

    def _build_menus(self) -> None:
        bar = self.menuBar()
        self.file_menu = file_menu = bar.addMenu("&File")
        self.add_account_action = self._action("&Add account…", self.add_account, file_menu)
        self.sign_out_action = self._action("&Sign out", self.sign_out, file_menu)
        file_menu.addSeparator()
        self.quit_action = self._action("&Quit", self.close, file_menu, QKeySequence.StandardKey.Quit)
        self.quit_action.setShortcutContext(Qt.ShortcutContext.ApplicationShortcut)

        edit_menu = bar.addMenu("&Edit")
        self.paste_action = self._action("&Paste files", self.drops.paste, edit_menu, QKeySequence.StandardKey.Paste)
        self.paste_action.setStatusTip("Attach the files or the image on the clipboard to the selected item")
        self.add_files_action = self._action("&Add Files…", self._add_files, edit_menu, "Ctrl+Shift+A")
        self.add_files_action.setStatusTip("Attach files from this computer to the selected item")
        self.find_action = self._action("&Find", self.browse.focus_search, edit_menu, QKeySequence.StandardKey.Find)

        view_menu = bar.addMenu("&View")
        self.refresh_action = self._action("&Refresh", self.refresh, view_menu, QKeySequence.StandardKey.Refresh)
        self.refresh_action.setShortcuts([QKeySequence(Qt.Key.Key_F5), QKeySequence("Ctrl+R")])
        self.transfers_action = self.transfers_dock.toggleViewAction()
        self.transfers_action.setText("&Transfers")
        self.transfers_action.setShortcut(QKeySequence("Ctrl+T"))
        view_menu.addAction(self.transfers_action)
        self.resume_on_start_action = QAction("Resume &Uploads on Start", self)
        self.resume_on_start_action.setCheckable(True)
        self.resume_on_start_action.setChecked(settings.resume_on_start())
        self.resume_on_start_action.setStatusTip(
            "Continue interrupted uploads as soon as Attaché starts; otherwise they wait until you press Resume"
        )
        self.resume_on_start_action.toggled.connect(settings.set_resume_on_start)
        view_menu.addAction(self.resume_on_start_action)
        self.speed_limit_action = self._action(
            "Limit Upload &Speed…", self.transfer_actions.choose_upload_limit, view_menu
        )
        self.speed_limit_action.setStatusTip("Keep all uploads together under a speed you choose")
        view_menu.addSeparator()
        self.kind_actions: list[QAction] = []
        self.kinds_menu = view_menu.addMenu("&Go to")

        help_menu = bar.addMenu("&Help")
        self.help = HelpMenu(self, help_menu)
        self._action("&About Attaché", self.about, help_menu)
        self._update_actions()

    def _place_accounts(self) -> None:
        """The accounts controller's switcher heads the sidebar; its other ways in go beside their kin."""
        accounts, browse = self.accounts, self.browse
        browse.sidebar_layout.insertWidget(0, accounts.switcher)
        browse.sidebar_layout.insertSpacing(1, 4)
        browse.workspace_label.hide()
        browse.account_label.hide()
        self.empty.add_extra_button(accounts.empty_button)
        actions = self.file_menu.actions()
        after = actions.index(self.sign_out_action) + 1
        self.file_menu.insertAction(actions[after] if after < len(actions) else None, accounts.remove_action)
        self.file_menu.aboutToShow.connect(accounts.update_actions)
        self.addAction(accounts.remove_action)

    def _action(self, text: str, slot, menu, shortcut=None) -> QAction:
        action = QAction(text, self)
        if shortcut is not None:
            action.setShortcut(QKeySequence(shortcut))
        action.triggered.connect(lambda checked=False: slot())
        menu.addAction(action)
        self.addAction(action)
        return action

    def _update_actions(self) -> None:
        connected = self.session.is_open
        for action in (
            self.sign_out_action,
            self.refresh_action,
            self.paste_action,
            self.find_action,
            self.add_files_action,
        ):
            action.setEnabled(connected)

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

    # ------------------------------------------------------------------ connecting

    def _show_empty(self) -> None:
        self.pages.setCurrentWidget(self.empty)
        self.setWindowTitle("Attaché")

    def open_connection(self, connection: Connection) -> None:
        """Connect on a worker: make the backend, check the account, open the transfer journal."""
        self.opener.open_connection(connection)

    def open_sandbox(self, service_id: str = DEFAULT_SERVICE, *, started=None) -> None:
        """Start the built-in sandbox on a worker, then connect to it; `started`: a
        `SandboxProcess` for this service started already."""
        self.opener.open_sandbox(service_id, started=started)

    def show_session(self, opened) -> None:
        """Show an opened account (`attache.app.session.OpenSession`) in place of the current one."""
        self.close_account(keep_engine=opened.engine if opened.reused else None)
        self.session.open(opened)
        self.transfer_actions.start_engine(already_running=opened.reused)
        kinds = self.session.service.kinds()
        self._rebuild_kind_actions(kinds)
        connection, name = self.session.connection, self.session.workspace.name
        self.connection_status.set_actions(retry=self.check_connection, sign_in=self.accounts.sign_in_current)
        self.connection_status.connected(connection.label or self.session.service_name)
        saved = getattr(connection, "saved_account", None)
        account = f" ({saved.name})" if saved is not None and saved.name != name else ""
        self.setWindowTitle(f"{name}{account} — Attaché")
        self._update_actions()
        self.pages.setCurrentWidget(self.splitter)
        if self._splitter_state is not None:
            self.splitter.restoreState(self._splitter_state)
            self._splitter_state = None
        log.info("connected to %s", connection.label or connection.account)
        self.connected.emit()

    def close_account(self, *, keep_engine=None) -> None:
        """Show the empty state; the account's engine, backend and connection close on a worker.
        `keep_engine`: the engine the next account goes on with (the same queue), left running."""
        self.queue.detach_engine()
        engine, connection, backend = self.session.clear() if self.session.is_open else (None, None, None)
        if engine is keep_engine:
            engine = None
        self._update_actions()
        self.connection_status.idle()
        self.note_bar.dismiss()  # what it said was about the account that closes
        self.empty.set_idle()
        self._show_empty()
        if engine is None and connection is None and backend is None:
            return
        closers = []
        if keep_engine is not None and connection is not None and connection.sandbox is not None and connection.closers:
            closers.append(lambda: cancel_sandbox_jobs(keep_engine, connection))  # it stops; the engine goes on
        if engine is not None:
            closers += [lambda: engine.shutdown(timeout=10), engine.journal.close]
        if backend is not None:
            backend.stop_retrying()  # requests waiting out a back-off give up now, not in ~10 s
            closers.append(backend.close)
        if connection is not None:
            closers.append(connection.close)
        tasks.close_later(*closers, now=self._quitting)

    def add_account(self) -> None:
        self.accounts.add_account()

    def sign_out(self) -> None:
        self.accounts.sign_out()

    # ------------------------------------------------------------------ browsing

    def show_kind(self, kind: EntityKind, parent: Entity | None = None) -> None:
        self.browse.show_kind(kind, parent)

    def select_entity(self, entity_id: str) -> bool:
        return self.browse.select_entity(entity_id)

    def selected_entity(self) -> Entity | None:
        return self.detail.entity

    def refresh(self) -> None:
        if not self.session.is_open:
            return
        self.avatars.clear()
        self.browse.refresh()
        self.status.showMessage("Refreshed", 2000)

    def _add_files(self) -> None:
        entity = self.detail.entity
        if entity is None or not self.session.can(entity.kind, Capability.ATTACH_FILE):
            self.show_message(f"Select {self._file_kinds()} to attach files to.", INFO)
            return
        self.files.add_files()

    def _file_kinds(self) -> str:
        """ "a task", "a project, task, company or contact person": what takes files here."""
        entry = self.session.service
        listed = entry.capabilities.listable() if entry is not None else []
        kinds = [kind.singular for kind in listed if self.session.can(kind, Capability.ATTACH_FILE)]
        if not kinds:
            return "an item"
        named = kinds[0] if len(kinds) == 1 else f"{', '.join(kinds[:-1])} or {kinds[-1]}"
        return f"{'an' if named[0] in 'aeiou' else 'a'} {named}"

    def _check_quietly(self) -> None:
        """The heartbeat: ask the service it is there, only while all looks well and someone sees it."""
        backend = self.session.backend
        if backend is None or not self.isVisible() or self.connection_status.phase is not Phase.CONNECTED:
            return

        def failed(error: BaseException) -> None:
            if backend is self.session.backend:
                self.connection_status.failed(error)

        tasks.run_task(backend.workspace, lambda _workspace: None, failed, owner=self)

    def check_connection(self) -> None:
        """Ask the service whether it is back (the countdown's end, or Retry now); once it answers,
        what failed meanwhile loads again in the same view."""
        backend = self.session.backend
        if backend is None:
            return

        def answered(_workspace) -> None:
            if backend is not self.session.backend:
                return
            self.connection_status.connected()
            if self.list_model.error is not None:
                self.message_bar.dismiss()
                self.list_model.retry()
            if self.detail.files_model.ref is not None:
                self.detail.refresh_files()  # the selected task's files, in case they failed meanwhile
            self.browse.load_counts()

        def failed(error: BaseException) -> None:
            if backend is self.session.backend:
                self.connection_status.failed(error)

        tasks.run_task(backend.workspace, answered, failed, owner=self)

    def _hover_hint(self, text: str) -> None:
        if text:
            self.status.showMessage(text)
        else:
            self.status.clearMessage()

    def _count_uploads(self) -> None:
        uploads: Counter[str] = Counter(
            job.ref.id for job in self.queue.jobs() if job.kind is UPLOAD and job.state in ACTIVE_STATES
        )
        self.list_model.set_uploads(dict(uploads))
        entity = self.detail.entity
        self.detail.set_uploading(uploads.get(entity.id, 0) if entity is not None else 0)

    def _dock_shown(self, visible: bool) -> None:
        """The first time the panel opens, it takes a share of the window (a third, within 130 to
        320 px), never the lion's share of a small one; after that, the size the user gave it."""
        dock = self.transfers_dock
        if not visible or self._dock_sized or dock.isFloating():
            return
        self._dock_sized = True
        height = min(320, max(130, self.height() // 3))
        self.resizeDocks([dock], [height], Qt.Orientation.Vertical)

    def reveal_transfers(self) -> None:
        if not self.transfers_dock.isVisible():
            self.transfers_dock.show()

    # ------------------------------------------------------------------ messages

    def show_message(self, text: str, level: str = INFO, **kwargs) -> None:
        self.message_bar.show_message(text, level, **kwargs)

    def show_error(self, error, *, action=None, context=None) -> None:
        self.message_bar.show_error(error, action=action, context=context)

    def about(self) -> None:
        from attache.ui.about_dialog import show_about

        show_about(self)

    # ------------------------------------------------------------------ closing and settings

    def quit_now(self) -> None:
        """Close without asking (SIGTERM): the queue is durable and resumes next time."""
        self._quitting = True
        self.close()

    def closeEvent(self, event) -> None:
        if not self._quitting and self.queue.active_count() and not self.transfer_actions.confirm_stop("Quit"):
            event.ignore()
            return
        self._quitting = True
        self._save_settings()
        self.queue.shutdown()
        self.opener.cancel()
        self.close_account()
        self.transfer_actions.hide_tray()
        self.tray.hide()
        super().closeEvent(event)

    def _save_settings(self) -> None:
        on_browser = self.pages.currentWidget() is self.splitter or self._splitter_state is None
        settings.save_window_layout(
            settings.Layout(
                self.saveGeometry(),
                self.saveState(),
                self.splitter.saveState() if on_browser else None,
                self.detail.files_view.header().saveState(),
                self.transfers.view.header().saveState(),
            )
        )
        if self.list_model.kind is not None:
            settings.set_browse_kind(self.list_model.kind)
        connection = self.session.connection
        if connection is not None and connection.durable:
            settings.set_last_account(connection.account)

    def _restore_settings(self) -> None:
        layout = settings.window_layout()
        for value, restore in (
            (layout.geometry, self.restoreGeometry),
            (layout.state, self.restoreState),
            (layout.files_header, self.detail.files_view.header().restoreState),
            (layout.transfers_header, self.transfers.view.header().restoreState),
        ):
            if value is not None:
                restore(value)
        self._dock_sized = layout.state is not None  # the panel keeps the size it was given last time
        self._splitter_state = layout.splitter  # applied when the browser is first shown, at its real size
        self.browse.pending_kind = settings.browse_kind()


def default_size(available: QSize, minimum: QSize = QSize(0, 0)) -> QSize:
    """A first window of 1280 × 800, or nine tenths of a smaller screen (a laptop at 150 %), but
    never below what the panes need to show their buttons whole."""
    width = max(minimum.width(), min(1280, int(available.width() * 0.9)))
    height = max(minimum.height(), min(800, int(available.height() * 0.9)))
    return QSize(min(width, available.width()), min(height, available.height()))
