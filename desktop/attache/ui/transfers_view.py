"""The Transfers dock: every job with a progress bar, speed, ETA and state.

Workers only bump byte counters; one timer (4 per second) samples them and emits a single
dataChanged for all rows, so a thousand transfers never flood the event loop.
"""

from __future__ import annotations

import time
from pathlib import Path

from PySide6.QtCore import QAbstractTableModel, QModelIndex, QPersistentModelIndex, QRectF, QSize, Qt, QTimer, Signal
from PySide6.QtGui import QColor, QGuiApplication, QPainter
from PySide6.QtWidgets import (
    QAbstractItemView,
    QHBoxLayout,
    QHeaderView,
    QMenu,
    QSizePolicy,
    QStyle,
    QStyledItemDelegate,
    QStyleOptionViewItem,
    QToolButton,
    QTreeView,
    QVBoxLayout,
    QWidget,
)

from attache.core.accounts import account_label
from attache.core.sources import human_size
from attache.transfers import JobState
from attache.ui import theme
from attache.ui.columns import ColumnPriority
from attache.ui.plain import literal_tip, plain_label
from attache.ui.transfer_rows import ACTIVE_STATES, DOWNLOAD, IMAGE, TransferRow
from attache.ui.transfers import TransferQueue

QUEUED, RUNNING, DONE = JobState.QUEUED, JobState.RUNNING, JobState.DONE
FAILED, CANCELLED, INTERRUPTED = JobState.FAILED, JobState.CANCELLED, JobState.INTERRUPTED

JobRole = Qt.ItemDataRole.UserRole + 20
FractionRole = Qt.ItemDataRole.UserRole + 21

_KIND_LABEL = {IMAGE: "Image", DOWNLOAD: "Download"}
_STATE_LABEL = {
    QUEUED: "Queued",
    RUNNING: "Sending",
    DONE: "Done",
    FAILED: "Failed",
    CANCELLED: "Cancelled",
    INTERRUPTED: "Interrupted",
}


def format_speed(speed: float | None) -> str:
    """One style for every speed the window shows: "640 KB/s", "2.5 MB/s" (binary steps)."""
    if not speed:
        return ""
    kb = speed / 1024
    if kb < 1000:
        return f"{max(kb, 0.1):.1f} KB/s" if kb < 10 else f"{kb:.0f} KB/s"
    mb = kb / 1024
    return f"{mb:.1f} MB/s" if mb < 1000 else f"{mb / 1024:.1f} GB/s"


def format_eta(seconds: float | None) -> str:
    if seconds is None:
        return ""
    seconds = int(seconds + 0.5)
    if seconds < 60:
        return f"{seconds} s"
    if seconds < 3600:
        return f"{seconds // 60} min {seconds % 60:02d} s"
    return f"{seconds // 3600} h {seconds % 3600 // 60:02d} min"


class TransfersModel(QAbstractTableModel):
    COLUMNS = ("File", "To", "Progress", "Speed", "Time left", "State", "Account")
    NAME, TARGET, PROGRESS, SPEED, ETA, STATE, ACCOUNT = range(7)

    activeChanged = Signal(int)  # number of queued or running jobs

    TICK_MS = 250

    def __init__(self, queue: TransferQueue, parent=None) -> None:
        super().__init__(parent)
        self._queue = queue
        self._jobs: list[TransferRow] = queue.jobs()
        self._dirty = False
        self._timer = QTimer(self)
        self._timer.setInterval(self.TICK_MS)
        self._timer.timeout.connect(self.tick)
        queue.jobAdded.connect(self._on_added)
        queue.jobChanged.connect(self._on_changed)
        queue.jobsRemoved.connect(self._on_removed)
        self._last_active = -1

    # ---- queue → model

    def _on_added(self, job: TransferRow) -> None:
        row = len(self._jobs)
        self.beginInsertRows(QModelIndex(), row, row)
        self._jobs.append(job)
        self.endInsertRows()
        self._wake()

    def _on_changed(self, job: TransferRow) -> None:
        self._dirty = True
        self._wake()

    def _on_removed(self) -> None:
        keep = {j.id for j in self._queue.jobs()}
        for row in range(len(self._jobs) - 1, -1, -1):
            if self._jobs[row].id not in keep:
                self.beginRemoveRows(QModelIndex(), row, row)
                del self._jobs[row]
                self.endRemoveRows()
        self._emit_active()

    def _wake(self) -> None:
        if not self._timer.isActive():
            self._timer.start()

    def tick(self) -> None:
        """Sample every running job's counters and repaint all rows with one signal."""
        now = time.monotonic()
        self._queue.update_engine_progress()
        running = False
        for job in self._jobs:
            if job.state == RUNNING:
                running = True
            if job.engine_id is None and (job.state == RUNNING or job.speed is not None):
                job.sample(now)
        if self._jobs and (running or self._dirty):
            self.dataChanged.emit(
                self.index(0, 0),
                self.index(len(self._jobs) - 1, len(self.COLUMNS) - 1),
                [Qt.ItemDataRole.DisplayRole, FractionRole, Qt.ItemDataRole.ToolTipRole],
            )
        self._dirty = False
        self._emit_active()
        if not running and not any(j.state in ACTIVE_STATES for j in self._jobs):
            self._timer.stop()

    def _emit_active(self) -> None:
        active = sum(1 for j in self._jobs if j.state in ACTIVE_STATES)
        if active != self._last_active:
            self._last_active = active
            self.activeChanged.emit(active)

    # ---- access

    def job(self, row: int) -> TransferRow | None:
        return self._jobs[row] if 0 <= row < len(self._jobs) else None

    def accounts(self) -> set[str]:
        """The accounts the listed transfers belong to."""
        return {job.account for job in self._jobs if job.account}

    # ---- Qt model API

    def rowCount(self, parent=QModelIndex()) -> int:
        return 0 if parent.isValid() else len(self._jobs)

    def columnCount(self, parent=QModelIndex()) -> int:
        return 0 if parent.isValid() else len(self.COLUMNS)

    def headerData(self, section, orientation, role=Qt.ItemDataRole.DisplayRole):
        if (
            orientation == Qt.Orientation.Horizontal
            and role == Qt.ItemDataRole.DisplayRole
            and 0 <= section < len(self.COLUMNS)
        ):
            return self.COLUMNS[section]
        return None

    def data(self, index: QModelIndex | QPersistentModelIndex, role=Qt.ItemDataRole.DisplayRole):
        if not index.isValid() or not 0 <= index.row() < len(self._jobs):
            return None
        job = self._jobs[index.row()]
        column = index.column()
        if role == Qt.ItemDataRole.DisplayRole:
            if column == self.NAME:
                prefix = "New version" if job.new_version else _KIND_LABEL.get(job.kind)
                return f"{job.name}" if prefix is None else f"{job.name} ({prefix.lower()})"
            if column == self.TARGET:
                # a download goes to a folder on this computer: that is where it is "to"
                return str(job.path) if job.kind is DOWNLOAD and job.path is not None else job.target
            if column == self.PROGRESS:
                return self._progress_text(job)
            if column == self.SPEED:
                return format_speed(job.speed) if job.state == RUNNING else ""
            if column == self.ETA:
                return format_eta(job.eta)
            if column == self.ACCOUNT:
                return account_label(job.account)
            if column == self.STATE:
                if job.shows_paused:
                    return "Paused"
                if job.state == QUEUED and job.note:
                    return "Retrying"
                return _STATE_LABEL.get(job.state, job.state)
        elif role == FractionRole:
            return job.fraction
        elif role == JobRole:
            return job
        elif role == Qt.ItemDataRole.ToolTipRole:
            if job.state == FAILED:
                return literal_tip(job.error)
            if job.note:
                return literal_tip(f"{job.name} → {job.target}\n{job.note}")
            return literal_tip(f"{job.name} → {job.target}")
        elif role == Qt.ItemDataRole.ForegroundRole and column == self.STATE:
            if job.state == FAILED:
                return QColor(theme.DANGER)
            if job.state == DONE:
                return QColor(theme.OK_GREEN)
        elif role == Qt.ItemDataRole.TextAlignmentRole and column in (self.SPEED, self.ETA):
            return int(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
        return None

    @staticmethod
    def _progress_text(job: TransferRow) -> str:
        if job.state == FAILED:
            return job.error
        if job.total_bytes is None:
            return human_size(job.done_bytes)
        if job.state == DONE:
            return human_size(job.total_bytes)
        done, total = human_size(job.done_bytes), human_size(job.total_bytes)
        done_number, _, done_unit = done.partition(" ")
        if total.endswith(f" {done_unit}"):  # "128.0 of 300.0 MB": fits beside the bar
            return f"{done_number} of {total}"
        return f"{done} of {total}"


class ProgressDelegate(QStyledItemDelegate):
    """A slim rounded progress bar with the byte count beside it, in the Progress column."""

    def paint(self, painter: QPainter, option: QStyleOptionViewItem, index) -> None:
        job = index.data(JobRole)
        if job is None or job.state == FAILED:
            super().paint(painter, option, index)
            return
        painter.save()
        painter.setRenderHint(QPainter.RenderHint.Antialiasing)
        if option.state & QStyle.StateFlag.State_Selected:
            painter.fillRect(option.rect, option.palette.highlight())
        rect = option.rect.adjusted(6, 0, -6, 0)
        text = index.data(Qt.ItemDataRole.DisplayRole) or ""
        metrics = option.fontMetrics
        text_width = min(metrics.horizontalAdvance("000.0 MB of 000.0 MB") + 8, rect.width() // 2)
        bar = QRectF(rect.left(), rect.center().y() - 3, max(20, rect.width() - text_width - 8), 6)
        painter.setPen(Qt.PenStyle.NoPen)
        painter.setBrush(theme.colour("pill"))
        painter.drawRoundedRect(bar, 3, 3)
        fraction = index.data(FractionRole)
        colour = {DONE: QColor("#43a047"), CANCELLED: QColor("#b0b6bd")}.get(job.state, QColor("#2f6fed"))
        if fraction:
            filled = QRectF(bar.left(), bar.top(), max(6.0, bar.width() * fraction), bar.height())
            painter.setBrush(colour)
            painter.drawRoundedRect(filled, 3, 3)
        elif job.state == RUNNING:  # size unknown: a moving segment
            phase = (time.monotonic() * 0.6) % 1.0
            segment = QRectF(
                bar.left() + (bar.width() - bar.width() / 4) * phase, bar.top(), bar.width() / 4, bar.height()
            )
            painter.setBrush(colour)
            painter.drawRoundedRect(segment, 3, 3)
        selected = bool(option.state & QStyle.StateFlag.State_Selected)
        painter.setPen(option.palette.highlightedText().color() if selected else theme.colour("secondary"))
        text_rect = QRectF(bar.right() + 8, rect.top(), rect.right() - bar.right() - 8, rect.height())
        painter.drawText(
            text_rect,
            Qt.AlignmentFlag.AlignVCenter | Qt.AlignmentFlag.AlignLeft,
            metrics.elidedText(text, Qt.TextElideMode.ElideRight, int(text_rect.width())),
        )
        painter.restore()

    def sizeHint(self, option, index) -> QSize:
        size = super().sizeHint(option, index)
        return QSize(max(size.width(), 260), max(size.height(), 24))


class TransfersPanel(QWidget):
    """The dock's contents: a toolbar of actions over the jobs table."""

    revealRequested = Signal(object)  # Path: show it in the file manager
    openRequested = Signal(object)  # Path: open it with its application

    def __init__(self, queue: TransferQueue, parent=None) -> None:
        super().__init__(parent)
        self.queue = queue
        self.model = TransfersModel(queue, self)
        self.setObjectName("TransfersPanel")

        self.view = QTreeView(self)
        self.view.setObjectName("TransfersView")
        self.view.setAccessibleName("Transfers")
        self.view.setModel(self.model)
        self.view.setRootIsDecorated(False)
        self.view.setUniformRowHeights(True)
        self.view.setAlternatingRowColors(True)
        self.view.setSelectionMode(QAbstractItemView.SelectionMode.ExtendedSelection)
        self.view.setItemDelegateForColumn(TransfersModel.PROGRESS, ProgressDelegate(self.view))
        header = self.view.header()
        header.setStretchLastSection(False)
        header.setSectionResizeMode(TransfersModel.NAME, QHeaderView.ResizeMode.Stretch)
        header.setSectionResizeMode(TransfersModel.TARGET, QHeaderView.ResizeMode.Interactive)
        header.resizeSection(TransfersModel.TARGET, 220)
        header.resizeSection(TransfersModel.PROGRESS, 300)
        header.resizeSection(TransfersModel.SPEED, 90)
        header.resizeSection(TransfersModel.ETA, 90)
        # the state's word is never cut: the column is as wide as its longest word
        words = [*_STATE_LABEL.values(), "Retrying", "Paused", "Waiting for sign-in"]
        widest = max(self.view.fontMetrics().horizontalAdvance(word) for word in words)
        header.setSectionResizeMode(TransfersModel.STATE, QHeaderView.ResizeMode.Fixed)
        header.resizeSection(TransfersModel.STATE, widest + 24)
        header.setMinimumSectionSize(48)
        self.view.setContextMenuPolicy(Qt.ContextMenuPolicy.CustomContextMenu)
        self.view.customContextMenuRequested.connect(self._show_menu)
        # new transfers are added at the foot: the view follows them there
        self.model.rowsInserted.connect(lambda parent, first, last: self.view.scrollTo(self.model.index(last, 0)))

        self.cancel_button = self._button(
            "Cancel", QStyle.StandardPixmap.SP_DialogCancelButton, self.cancel_selected, "Cancel the selected transfers"
        )
        self.retry_button = self._button(
            "Retry",
            QStyle.StandardPixmap.SP_BrowserReload,
            self.retry_selected,
            "Try the selected failed transfers again",
        )
        self.retry_all_button = self._button(
            "Retry all failed",
            QStyle.StandardPixmap.SP_BrowserReload,
            self.retry_all_failed,
            "Try every failed transfer again",
        )
        self.pause_button = self._button(
            "Pause",
            QStyle.StandardPixmap.SP_MediaPause,
            self.toggle_paused,
            "Pause all uploads; they go on from where they stopped when you resume (where the service allows)",
        )
        self.clear_button = self._button(
            "Clear finished",
            QStyle.StandardPixmap.SP_DialogResetButton,
            lambda: self.queue.clear_finished(),
            "Remove finished transfers from the list",
        )
        self.summary = plain_label("", self)
        self.summary.setObjectName("TransfersSummary")
        self.summary.setSizePolicy(QSizePolicy.Policy.Ignored, QSizePolicy.Policy.Preferred)  # gives way first

        bar = QHBoxLayout()
        bar.setContentsMargins(8, 4, 8, 4)
        bar.setSpacing(6)
        bar.addWidget(self.summary, 1)
        for button in (
            self.pause_button,
            self.cancel_button,
            self.retry_button,
            self.retry_all_button,
            self.clear_button,
        ):
            bar.addWidget(button)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.setSpacing(0)
        layout.addLayout(bar)
        layout.addWidget(self.view, 1)

        self.columns = ColumnPriority(
            self.view,
            give_way=(TransfersModel.ETA, TransfersModel.SPEED, TransfersModel.TARGET, TransfersModel.PROGRESS),
            stretch=TransfersModel.NAME,
            stretch_min=140,
        )
        self._toolbar = (
            self.pause_button,
            self.cancel_button,
            self.retry_button,
            self.retry_all_button,
            self.clear_button,
        )
        self.compact = False
        header.resizeSection(TransfersModel.ACCOUNT, 110)
        header.setSectionHidden(TransfersModel.ACCOUNT, True)
        for signal in (self.model.rowsInserted, self.model.rowsRemoved, self.model.modelReset):
            signal.connect(self._show_accounts)
        self.queue.pausedChanged.connect(self._update_buttons)
        self.view.selectionModel().selectionChanged.connect(self._update_buttons)
        self.model.dataChanged.connect(self._update_buttons)
        self.model.rowsInserted.connect(self._update_buttons)
        self.model.rowsRemoved.connect(self._update_buttons)
        self._update_buttons()

    def minimumSizeHint(self) -> QSize:
        return QSize(360, super().minimumSizeHint().height())

    def _show_accounts(self, *args) -> None:
        """An Account column only when the list holds more than one account's transfers."""
        several = len(self.model.accounts()) > 1
        header = self.view.header()
        if header.isSectionHidden(TransfersModel.ACCOUNT) == several:
            header.setSectionHidden(TransfersModel.ACCOUNT, not several)
            self.columns.fit()

    def resizeEvent(self, event) -> None:
        # a narrow dock shows its buttons' icons only (their names stay in the tooltips)
        compact = event.size().width() < 760
        if compact != self.compact:
            self.compact = compact
            style = Qt.ToolButtonStyle.ToolButtonIconOnly if compact else Qt.ToolButtonStyle.ToolButtonTextBesideIcon
            for button in self._toolbar:
                button.setToolButtonStyle(style)
        super().resizeEvent(event)

    def _button(self, text: str, icon, slot, tip: str) -> QToolButton:
        button = QToolButton(self)
        button.setText(text)
        button.setIcon(self.style().standardIcon(icon))
        button.setToolButtonStyle(Qt.ToolButtonStyle.ToolButtonTextBesideIcon)
        button.setToolTip(tip)
        button.setAccessibleName(text)
        button.setAutoRaise(True)
        button.clicked.connect(slot)
        return button

    def context_menu(self, jobs: list[TransferRow]) -> QMenu:
        """What can be done to the selected transfers, each action only where it applies."""
        menu = QMenu(self)
        # Actions others put on the list (Pause / Resume of the selected uploads) come first.
        shared = [action for action in self.view.actions() if action.isEnabled()]
        menu.addActions(shared)
        if shared:
            menu.addSeparator()
        local = [job for job in jobs if _local_file(job) is not None]
        if len(jobs) == 1 and local:
            path = _local_file(jobs[0])
            menu.addAction("Show in folder", lambda: self.revealRequested.emit(path))
            menu.addAction("Open", lambda: self.openRequested.emit(path))
        errors = [job.error for job in jobs if job.state == FAILED and job.error]
        if errors:
            menu.addAction("Copy error", lambda: QGuiApplication.clipboard().setText("\n".join(errors)))
        if any(job.retryable for job in jobs):
            menu.addAction("Retry", lambda: [self.queue.retry(job.id) for job in jobs])
        if any(job.state in ACTIVE_STATES for job in jobs):
            menu.addAction("Cancel", lambda: [self.queue.cancel(job.id) for job in jobs])
        if any(job.finished_state for job in jobs):
            menu.addAction("Remove from list", lambda: self.queue.clear_finished([job.id for job in jobs]))
        return menu

    def _show_menu(self, position) -> None:
        jobs = self.selected_jobs()
        if not jobs:
            return
        menu = self.context_menu(jobs)
        if menu.actions():
            menu.exec(self.view.viewport().mapToGlobal(position))
        menu.deleteLater()

    def selected_jobs(self) -> list[TransferRow]:
        rows = sorted({i.row() for i in self.view.selectionModel().selectedRows()})
        return [job for row in rows if (job := self.model.job(row)) is not None]

    def cancel_selected(self) -> None:
        for job in self.selected_jobs():
            self.queue.cancel(job.id)

    def retry_selected(self) -> None:
        for job in self.selected_jobs():
            self.queue.retry(job.id)

    def retry_all_failed(self) -> None:
        self.queue.retry_failed()

    def toggle_paused(self) -> None:
        self.queue.set_paused(not self.queue.paused)

    def refresh_summary(self) -> None:
        """After a change the jobs do not signal (the speed limit)."""
        self._update_buttons()

    def _update_buttons(self, *args) -> None:
        jobs = self.queue.jobs()
        selected = self.selected_jobs()
        self.cancel_button.setEnabled(any(j.state in ACTIVE_STATES for j in selected))
        self.retry_button.setEnabled(any(j.retryable for j in selected))
        failed = sum(1 for j in jobs if j.state == FAILED)
        self.retry_all_button.setEnabled(failed > 0)
        self.clear_button.setEnabled(any(j.finished_state for j in jobs))
        paused = self.queue.paused
        self.pause_button.setEnabled(self.queue.engine is not None)
        self.pause_button.setText("Resume" if paused else "Pause")
        self.pause_button.setAccessibleName(self.pause_button.text())
        self.pause_button.setIcon(
            self.style().standardIcon(
                QStyle.StandardPixmap.SP_MediaPlay if paused else QStyle.StandardPixmap.SP_MediaPause
            )
        )
        held = sum(1 for j in jobs if j.shows_paused)  # paused one by one (or all: then "Paused" says it)
        active = sum(1 for j in jobs if j.state in ACTIVE_STATES) - (0 if paused else held)
        parts = ["Paused"] if paused else []
        if active > 0:
            parts.append(f"{active} in progress")
        if held and not paused:
            parts.append(f"{held} paused")
        if failed:
            parts.append(f"{failed} failed")
        done = sum(1 for j in jobs if j.state == DONE)
        if done:
            parts.append(f"{done} done")
        cancelled = sum(1 for j in jobs if j.state == CANCELLED)
        if cancelled:
            parts.append(f"{cancelled} cancelled")
        engine = self.queue.engine
        limit = engine.throttle.rate if engine is not None else None
        if limit:
            parts.append(f"uploads limited to {format_speed(limit)}")
        if parts:
            parts[0] = parts[0][:1].upper() + parts[0][1:]
        summary = " · ".join(parts) if parts else "No transfers yet. Drop files on a task to upload them."
        self.summary.setText(summary)
        self.summary.setToolTip(summary)


def _local_file(job: TransferRow) -> Path | None:
    """The file on this computer a transfer is about: a finished download, or what an upload sends."""
    if job.path is None or (job.kind is DOWNLOAD and job.state != DONE):
        return None
    return job.path
