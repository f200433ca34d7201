"""Drops and pastes on the window's targets: plan from the mime data while hovering, check the
files on a worker when dropped, then queue the uploads or open the crop dialog."""

from __future__ import annotations

import logging
from datetime import UTC, datetime
from pathlib import Path

from PySide6.QtCore import QObject
from PySide6.QtGui import QGuiApplication
from PySide6.QtWidgets import QMainWindow

from attache.core.capabilities import Capability
from attache.core.errors import AttacheError
from attache.core.models import Entity
from attache.ui import duplicates, plain, tasks
from attache.ui.drops import DropPlan, Payload, check_attach, check_image, payload_from_mime, plan_attach, plan_image
from attache.ui.duplicates import resolve_duplicates
from attache.ui.messagebar import ERROR, INFO, WARNING, error_text
from attache.ui.picture_conversion import conversion_question, needs_conversion, write_converted

log = logging.getLogger(__name__)

FOLDER_CONFIRM_ABOVE = 20  # files from dropped folders attached without asking; more are confirmed first


def _attached_files(backend, entity: Entity) -> dict[str, str]:
    """Worker: the names of the files the target already has, each with the id of the file a new
    version would go to (the newest of that name); empty when they cannot be listed: the drop goes
    on, only without the question about duplicates."""
    try:
        records = backend.list_files(entity.ref)
    except AttacheError as error:
        log.info("could not list %s's files before attaching: %s", entity.name, error)
        return {}
    oldest = datetime.min.replace(tzinfo=UTC)
    newest_first = sorted(records, key=lambda r: r.created_on or oldest, reverse=True)
    files: dict[str, str] = {}
    for record in newest_first:
        files.setdefault(record.name, record.id)
    return files


def target_label(entity: Entity) -> str:
    """How the Transfers dock names where a file goes: Task “Write the brief”."""
    return f"{entity.kind.singular.capitalize()} “{entity.name}”"


class DropActions(QObject):
    def __init__(self, window: QMainWindow) -> None:
        super().__init__(window)
        self.window = window
        self.session = window.session

    # ------------------------------------------------------------------ planning (GUI thread, no I/O)

    def plan_row_drop(self, entity: Entity, mime) -> DropPlan:
        return self.plan(entity, payload_from_mime(mime))

    def plan_image_drop(self, entity: Entity, mime) -> DropPlan:
        return plan_image(payload_from_mime(mime), entity)

    def plan_attach_drop(self, entity: Entity, mime) -> DropPlan:
        return plan_attach(payload_from_mime(mime), entity)

    def plan(self, entity: Entity, payload: Payload, *, prefer_image: bool = False) -> DropPlan:
        session = self.session
        if not session.is_open:
            return DropPlan(False, "Not connected")
        if session.can(entity.kind, Capability.ATTACH_FILE) and not prefer_image:
            return plan_attach(payload, entity)
        if session.can(entity.kind, Capability.SET_IMAGE):
            return plan_image(payload, entity)
        return DropPlan(
            False, f"{session.service_name} cannot attach files to a {entity.kind.singular} or give it a picture"
        )

    def _takes_files(self, entity: Entity) -> bool:
        return self.session.can(entity.kind, Capability.ATTACH_FILE)

    # ------------------------------------------------------------------ carrying out

    def row_dropped(self, entity: Entity, plan: DropPlan) -> None:
        self.perform(entity, plan, image=not self._takes_files(entity))

    def perform(self, entity: Entity | None, plan: DropPlan, *, image: bool) -> None:
        """Carry out a drop or paste plan, or say why it was refused."""
        window = self.window
        window.status.clearMessage()
        if entity is None or not self.session.is_open:
            return
        if not plan.ok:
            window.message_bar.show_message(plan.message, ERROR, context=entity.ref)
            return
        paths = list(plan.paths)
        if plan.image is not None and not paths:
            from attache.ui.drops import save_image_data

            try:
                paths = [save_image_data(plan.image)]
            except AttacheError as error:
                window.show_error(error, context=entity.ref)
                return
        if image:
            self._set_image(entity, paths[0])
            return
        backend = self.session.backend
        lists = self.session.can(entity.kind, Capability.LIST_FILES)

        def check() -> tuple[DropPlan, dict[str, str]]:
            checked = check_attach(DropPlan(True, plan.message, paths=paths))
            return checked, (_attached_files(backend, entity) if checked.ok and lists else {})

        tasks.run_task(
            check,
            lambda result: backend is self.session.backend and self._attach(entity, *result),
            lambda error: window.show_error(error, context=entity.ref),
            owner=self,
        )

    def _attach(self, entity: Entity, plan: DropPlan, existing: dict[str, str] | None = None) -> None:
        window = self.window
        if not plan.ok:
            window.message_bar.show_message(plan.message, ERROR, context=entity.ref)
            return
        target = target_label(entity)
        from_folders = sum(count for _name, count in plan.folders)
        if from_folders > FOLDER_CONFIRM_ABOVE and not self._confirm_folders(plan, target):
            return
        uploads = resolve_duplicates(
            list(plan.paths),
            existing or {},
            lambda name, more, can_replace: duplicates.ask_duplicate(
                window, name, target, more, can_replace=can_replace
            ),
            versions=self.session.can(entity.kind, Capability.FILE_VERSIONS),
        )
        if not uploads:
            if uploads is not None:
                window.status.showMessage(f"Nothing to upload: {target} has every file already", 5000)
            return
        window.queue.attach(
            entity.ref, target, [upload.path for upload in uploads], replaces=[upload.replaces for upload in uploads]
        )
        note = f"Uploading {len(uploads)} file{'s' if len(uploads) != 1 else ''} to {target}"
        if plan.skipped:
            window.message_bar.show_message(f"{note}. Skipped: {'; '.join(plan.skipped)}", WARNING)
        else:
            window.status.showMessage(note, 4000)
        window.reveal_transfers()

    def _confirm_folders(self, plan: DropPlan, target: str) -> bool:
        """Many files from dropped folders: say how many, and where they go, before any is sent."""
        count = len(plan.paths)
        if len(plan.folders) == 1:
            where = f"inside “{plan.folders[0][0]}” and its subfolders"
        else:
            where = f"inside the {len(plan.folders)} folders you dropped, with their subfolders"
        return plain.question(
            self.window,
            "Attach a folder's files",
            f"Attach all {count:,} files {where} to {target}?\n\nHidden files are left out.",
        )

    def _set_image(self, entity: Entity, path: Path) -> None:
        """Decode the file with Pillow on a worker first: a broken image never leaves the machine."""
        window, session = self.window, self.session
        rules = session.image_rules(entity.kind)
        backend, service_name = session.backend, session.service_name
        target = target_label(entity)

        def queue(source: Path) -> None:
            if backend is not session.backend:
                return
            window.queue.set_image(entity.ref, target, source)
            detail = window.detail
            if detail.entity is not None and detail.entity.ref == entity.ref:
                detail.slot.busy = True
                detail.slot.update()
            window.status.showMessage(f"Setting the picture of {target}", 4000)

        def failed(error) -> None:
            window.message_bar.show_message(error_text(error), ERROR, context=entity.ref)  # logs the unexpected

        def crop(checked) -> None:
            if backend is not session.backend:
                return
            convert = needs_conversion(rules, checked.mime_type)

            def ready(source: Path) -> None:
                if convert and source == path:  # the whole picture, as it is: not a type the service takes
                    self._offer_conversion(path, rules, service_name, queue, failed)
                else:
                    queue(source)

            from attache.ui.avatars import ROUND_KINDS
            from attache.ui.crop_dialog import crop_before_upload

            crop_before_upload(
                window,
                path,
                name=entity.name,
                round_shape=entity.kind in ROUND_KINDS,
                mime_types=rules.mime_types if rules is not None else None,
                on_ready=ready,
                on_error=failed,
            )

        tasks.run_task(lambda: check_image(path, rules, service_name), crop, failed, owner=self)

    def _offer_conversion(self, original: Path, rules, service_name: str, queue, failed) -> None:
        """A crop comes encoded in a type the service takes; the whole picture may not: ask,
        convert on a worker, then queue it. Declined: nothing is sent."""
        if not plain.question(self.window, f"Convert {original.name}?", conversion_question(service_name, rules)):
            self.window.status.showMessage(f"{original.name} was not uploaded", 4000)
            return
        tasks.run_task(lambda: write_converted(original, rules, service_name), queue, failed, owner=self, pool="images")

    def paste(self) -> None:
        window = self.window
        entity = window.detail.entity
        if entity is None or not self.session.is_open:
            window.show_message("Select an item to paste files onto.", INFO)
            return
        payload = payload_from_mime(QGuiApplication.clipboard().mimeData())
        if payload.empty:
            window.message_bar.show_message("The clipboard holds no files or image to paste.", WARNING)
            return
        prefer_image = window.detail.slot.hasFocus()
        plan = self.plan(entity, payload, prefer_image=prefer_image)
        self.perform(entity, plan, image=prefer_image or not self._takes_files(entity))

    def choose_image_file(self, entity: Entity, path: Path) -> None:
        """File › a picture chosen in the file dialog: the same checks as a drop."""
        self.perform(entity, plan_image(Payload(paths=[path]), entity), image=True)

    def attach_paths(self, entity: Entity, paths: list[Path]) -> None:
        self.perform(entity, plan_attach(Payload(paths=paths), entity), image=False)
