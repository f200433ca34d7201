"""What the detail pane's buttons do: choose or remove a picture, attach, download, open and
delete files. Requests run on workers; questions are asked first where nothing can be undone."""

from __future__ import annotations

import logging
from pathlib import Path

from PySide6.QtCore import QObject, QTimer
from PySide6.QtWidgets import QFileDialog, QMainWindow

from attache.core.capabilities import Capability
from attache.core.models import Entity, EntityKind, EntityRef
from attache.transfers import JobState
from attache.ui import download_conflicts, plain, reveal, settings, tasks
from attache.ui.download_conflicts import in_folder
from attache.ui.drop_actions import target_label
from attache.ui.messagebar import ERROR, SUCCESS, WARNING
from attache.ui.transfer_rows import DOWNLOAD, IMAGE, UPLOAD, TransferRow

log = logging.getLogger(__name__)

IMAGE_FILTER = "Images (*.png *.jpg *.jpeg *.gif *.webp *.bmp);;All files (*)"


def _what(records: list) -> str:
    return f"“{records[0].name}”" if len(records) == 1 else f"{len(records)} files"


class FileActions(QObject):
    def __init__(self, window: QMainWindow) -> None:
        super().__init__(window)
        self.window = window
        self.session = window.session
        self.detail = window.detail
        self._open_after_download: dict[str, Path] = {}
        self._files_timer = QTimer(self)  # a batch of uploads finishing together refreshes the list once
        self._files_timer.setSingleShot(True)
        self._files_timer.setInterval(150)
        self._files_timer.timeout.connect(self.detail.refresh_files)
        window.queue.jobFinished.connect(self._job_finished)

    def _entity(self) -> Entity | None:
        return self.detail.entity if self.session.is_open else None

    # ------------------------------------------------------------------ pictures

    def choose_image(self) -> None:
        entity = self._entity()
        if entity is None or not self.session.can(entity.kind, Capability.SET_IMAGE):
            return
        start = settings.last_folder(settings.PICTURE, str(Path.home()))
        path, _ = QFileDialog.getOpenFileName(self.window, f"Choose a picture for {entity.name}", start, IMAGE_FILTER)
        if path:
            settings.set_last_folder(settings.PICTURE, str(Path(path).parent))
            self.window.drops.choose_image_file(entity, Path(path))

    def remove_image(self) -> None:
        entity = self._entity()
        if entity is None:
            return
        if plain.question(
            self.window, "Remove picture", f"Remove the picture of “{entity.name}”?\n\nThis cannot be undone."
        ):
            self.do_remove_image(entity)

    def do_remove_image(self, entity: Entity) -> None:
        backend = self.session.backend
        tasks.run_task(
            lambda: backend.delete_image(entity.ref),
            lambda _: (
                self.image_changed(entity.ref),
                self.window.show_message(f"Removed the picture of “{entity.name}”.", SUCCESS),
            ),
            lambda error: self.window.show_error(error, context=entity.ref),
            owner=self,
        )

    def image_changed(self, ref: EntityRef) -> None:
        """Forget the old picture everywhere and fetch the entity again (has_image, version)."""
        window, session = self.window, self.session
        window.avatars.invalidate(ref)
        backend = session.backend
        if backend is None:
            return

        def updated(entity: Entity) -> None:
            if backend is not session.backend:
                return
            window.list_model.replace_entity(entity)
            if self.detail.entity is not None and self.detail.entity.ref == ref:
                self.detail.set_entity(entity)
            if ref.kind is EntityKind.WORKSPACE:
                session.set_workspace(entity)

        tasks.run_task(
            lambda: backend.get_entity(ref),
            updated,
            lambda error: log.info("could not refresh %s: %s", ref, error),
            owner=self,
        )

    # ------------------------------------------------------------------ files

    def add_files(self) -> None:
        entity = self._entity()
        if entity is None:
            return
        start = settings.last_folder(settings.ATTACH, str(Path.home()))
        paths, _ = QFileDialog.getOpenFileNames(self.window, f"Attach files to {entity.name}", start)
        if paths:
            settings.set_last_folder(settings.ATTACH, str(Path(paths[0]).parent))
            self.window.drops.attach_paths(entity, [Path(p) for p in paths])

    def download_files(self, records: list) -> None:
        entity = self._entity()
        if entity is None or not records:
            return
        downloads = Path.home() / "Downloads"
        start = Path(settings.last_folder(settings.DOWNLOAD, str(downloads if downloads.is_dir() else Path.home())))
        if len(records) == 1:
            path, _ = QFileDialog.getSaveFileName(
                self.window,
                "Save file",
                str(in_folder(start, records[0])),
                options=QFileDialog.Option.DontConfirmOverwrite,  # asked below, with Keep both too
            )
            if not path:
                return
            planned = [(records[0], Path(path))]
            settings.set_last_folder(settings.DOWNLOAD, str(Path(path).parent))
        else:
            folder = QFileDialog.getExistingDirectory(self.window, f"Save {len(records)} files in", str(start))
            if not folder:
                return
            planned = [(record, in_folder(Path(folder), record)) for record in records]
            settings.set_last_folder(settings.DOWNLOAD, folder)
        self.download_to(entity, planned)

    def download_to(self, entity: Entity, planned: list) -> None:
        """Start downloading each (record, path), asking first about every path that is taken."""
        destinations = download_conflicts.settle(self.window, planned)
        for destination in destinations:
            self.start_download(entity, destination.record, destination.path, replace=destination.replace)
        if destinations:
            self.window.reveal_transfers()

    def start_download(self, entity: Entity, record, dest: Path, *, replace: bool = False) -> TransferRow:
        return self.window.queue.download(
            entity.ref,
            target_label(entity),
            record.id,
            record.name,
            record.size,
            dest,
            replace=replace,
        )

    def drag_out(self, records: list):
        """A drag of files out of the list: their downloads start now; the drop copies them."""
        entity = self._entity()
        if entity is None or not self.session.can(entity.kind, Capability.DOWNLOAD_FILE):
            return None
        from attache.core.paths import app_dirs
        from attache.ui.drag_out import FilesOut

        jobs = []
        for record in records:
            folder = app_dirs().cache / "drag" / record.id
            folder.mkdir(parents=True, exist_ok=True)
            jobs.append(self.start_download(entity, record, folder / record.name))
        return FilesOut(jobs)

    def open_file(self, record) -> None:
        entity = self._entity()
        if entity is None:
            return
        from attache.core.paths import app_dirs

        folder = app_dirs().cache / "open" / record.id
        folder.mkdir(parents=True, exist_ok=True)
        dest = in_folder(folder, record)
        job = self.start_download(entity, record, dest, replace=True)  # a fresh copy over the last one
        self._open_after_download[job.id] = dest
        self.window.status.showMessage(f"Downloading {record.name} to open it…", 4000)

    def _detach_note(self) -> str:
        """What removing a file from a task leaves on the service ("" where it deletes the file)."""
        entry = self.session.service
        return entry.detach_note if entry is not None else ""

    def delete_files(self, records: list) -> None:
        entity = self._entity()
        if entity is None or not records:
            return
        note = self._detach_note()
        verb = "Detach" if note else "Delete"
        if plain.question(
            self.window,
            f"{verb} files",
            f"{verb} {_what(records)} from “{entity.name}”?\n\n{note or 'This cannot be undone.'}",
        ):
            self.do_delete_files(entity, records)

    def do_delete_files(self, entity: Entity, records: list) -> None:
        backend = self.session.backend

        def delete():
            for record in records:
                backend.delete_file(entity.ref, record.id)

        def deleted(_) -> None:
            for record in records:
                self.detail.files_model.remove_file(record.id)
            note = self._detach_note()
            done = f"Detached {_what(records)}. {note}" if note else f"Deleted {_what(records)}."
            self.window.show_message(done, SUCCESS)

        def failed(error) -> None:
            self.window.show_error(error, context=entity.ref)
            if self.detail.entity is not None and self.detail.entity.ref == entity.ref:
                self.detail.refresh_files()

        tasks.run_task(delete, deleted, failed, owner=self)

    # ------------------------------------------------------------------ when a transfer finishes

    def _job_finished(self, job: TransferRow) -> None:
        current = self.detail.entity
        here = current is not None and current.ref == job.ref
        if job.kind is UPLOAD and job.state is JobState.DONE:
            if here:
                self._files_timer.start()
        elif job.kind is IMAGE:
            if here:
                self.detail.slot.busy = False
                self.detail.slot.update()
            if job.state is JobState.DONE:
                self.image_changed(job.ref)
        elif job.kind is DOWNLOAD and job.state is JobState.DONE:
            path = self._open_after_download.pop(job.id, None)
            if path is not None:
                reveal.open_with_application(path, owner=self, on_failed=self.say_no_application)
            else:
                saved = job.result if isinstance(job.result, Path) else job.path  # "name (2)" when kept both
                self.window.status.showMessage(f"Saved {saved}", 5000)
        if job.state is JobState.FAILED:
            self._open_after_download.pop(job.id, None)
            if job.kind is UPLOAD and here and self.session.can(job.ref.kind, Capability.FILE_TEMPLATES):
                self.detail.templates.load()  # a template deleted meanwhile says so where the files are
            queue = self.window.queue
            self.window.message_bar.show_message(
                job.error if job.name in job.error else f"{job.name}: {job.error}",
                ERROR,
                action=("Retry", lambda job_id=job.id: queue.retry(job_id)),
            )

    def say_no_application(self, path: Path) -> None:
        self.window.show_message(
            f"No application on this computer opens “{path.name}”. It is downloaded; "
            "open it from its folder with the program you choose.",
            WARNING,
            action=("Show in folder", lambda: self.show_in_folder(path)),
        )

    def show_in_folder(self, path: Path) -> None:
        def failed(folder: Path) -> None:
            self.window.show_message(f"Could not open a file manager. The file is in {folder}", WARNING)

        reveal.show_in_folder(path, owner=self, on_failed=failed)
