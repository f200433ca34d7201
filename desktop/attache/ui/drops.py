"""What a drop or a paste carries, and what will happen to it on a given target.

Planning reads the mime data only (URLs, their suffixes, the formats offered): it runs on every
drag movement, on the GUI thread, and touches no disk. The files themselves are checked when they
are dropped, on a worker (`check_attach`, `check_image`); the plan's `message` is what the target
shows while hovering and what the message bar says when a drop is refused.
"""

from __future__ import annotations

import mimetypes
import os
import time
from dataclasses import dataclass, field
from pathlib import Path

from PySide6.QtCore import QMimeData, Qt
from PySide6.QtGui import QImage

from attache.core.errors import AttacheError, InvalidInputError
from attache.core.models import Entity
from attache.core.paths import app_dirs
from attache.core.sources import check_source


@dataclass
class Payload:
    """Local files and/or image data from a drag or the clipboard."""

    paths: list[Path] = field(default_factory=list)
    remote: list[str] = field(default_factory=list)  # URLs that are not local files
    image: QImage | None = None  # raw image data (a screenshot on the clipboard)

    @property
    def empty(self) -> bool:
        return not self.paths and not self.remote and self.image is None

    @property
    def count(self) -> int:
        return len(self.paths) + len(self.remote) + (1 if self.image is not None and not self.paths else 0)


def payload_from_mime(mime: QMimeData | None) -> Payload:
    payload = Payload()
    if mime is None:
        return payload
    if mime.hasUrls():
        for url in mime.urls():
            if url.isLocalFile():
                payload.paths.append(Path(url.toLocalFile()))
            elif url.isValid() and not url.isEmpty():
                payload.remote.append(url.toString())
    if not payload.paths and mime.hasImage():
        image = mime.imageData()
        if isinstance(image, QImage) and not image.isNull():
            payload.image = image
            payload.remote = []  # a browser drag carries both; the pixels are what we can use
    return payload


def accepts(mime: QMimeData | None) -> bool:
    """Whether a drag is worth accepting at all (it carries files or an image)."""
    from attache.ui.drag_out import is_files_out

    # a task's own files dragged out are for the file manager, not to be attached again here
    return mime is not None and not is_files_out(mime) and (mime.hasUrls() or mime.hasImage())


@dataclass
class DropPlan:
    ok: bool
    message: str
    paths: list[Path] = field(default_factory=list)
    skipped: list[str] = field(default_factory=list)  # messages for files left out
    image: QImage | None = None
    folders: list[tuple[str, int]] = field(default_factory=list)  # (name, files found in it) of dropped folders


class DropTarget:
    """Drag handling shared by the detail pane's drop targets (mixed in before the Qt base class).

    On enter, the target asks `plan_drop(mime)` what a drop would do and highlights with that plan
    (`_hover`, painted by the widget); on drop it emits the plan through its `dropped` signal. A
    target says "no" to a drag only when there is nothing to plan (no entity, not connected); a
    plan that refuses the drop is still shown, so the user reads why.
    """

    _hover: DropPlan | None = None

    def plan_drop(self, mime: QMimeData) -> DropPlan | None:
        if self.entity is None or self.planner is None:
            return None
        return self.planner(self.entity, mime)

    def refresh_highlight(self) -> None:
        self.update()

    def dragEnterEvent(self, event) -> None:
        plan = self.plan_drop(event.mimeData()) if accepts(event.mimeData()) else None
        if plan is None:
            event.ignore()
            return
        self._hover = plan
        event.setDropAction(Qt.DropAction.CopyAction)
        event.accept()
        self.refresh_highlight()

    def dragMoveEvent(self, event) -> None:
        if self._hover is None:
            event.ignore()
            return
        event.setDropAction(Qt.DropAction.CopyAction)
        event.accept()

    def dragLeaveEvent(self, event) -> None:
        self._hover = None
        self.refresh_highlight()
        event.accept()

    def dropEvent(self, event) -> None:
        plan = self._hover or (self.plan_drop(event.mimeData()) if accepts(event.mimeData()) else None)
        self._hover = None
        self.refresh_highlight()
        if plan is None:
            event.ignore()
            return
        event.setDropAction(Qt.DropAction.CopyAction)
        event.accept()
        self.dropped.emit(plan)


def _quoted(entity: Entity) -> str:
    return f"“{entity.name}”"


def _files(count: int) -> str:
    return "1 file" if count == 1 else f"{count} files"


def not_an_image(name: str) -> str:
    return f"{name} is not an image; drop a PNG, JPEG or GIF file here"


def looks_like_image(path: Path) -> bool:
    """By its name only: False for a name that says another type ("notes.txt"), True otherwise
    (an image, or a name that says nothing). The content is checked on drop."""
    guessed, _ = mimetypes.guess_type(path.name, strict=False)
    return guessed is None or guessed.startswith("image/")


def plan_attach(payload: Payload, entity: Entity) -> DropPlan:
    """Files to attach; folders and unreadable files are found, and left out, on drop."""
    if payload.empty:
        return DropPlan(False, "Nothing to attach: drop files from your file manager")
    if payload.remote and not payload.paths and payload.image is None:
        return DropPlan(False, "Only files on this computer can be attached; save the download first")
    if payload.image is not None and not payload.paths:
        return DropPlan(True, f"Attach the image to {_quoted(entity)}", image=payload.image)
    return DropPlan(True, f"Attach {_files(len(payload.paths))} to {_quoted(entity)}", paths=list(payload.paths))


def plan_image(payload: Payload, entity: Entity) -> DropPlan:
    """One image for a picture slot; its content and the service's limits are checked on drop."""
    if payload.empty:
        return DropPlan(False, "Nothing to use: drop an image file")
    count = len(payload.paths) + len(payload.remote)
    if count > 1:
        return DropPlan(False, f"Drop one image at a time on {_quoted(entity)}; you dropped {count} items")
    if payload.paths:
        path = payload.paths[0]
        if not looks_like_image(path):
            return DropPlan(False, not_an_image(path.name))
        return DropPlan(True, f"Set {path.name} as the picture of {_quoted(entity)}", paths=[path])
    if payload.image is not None:
        return DropPlan(True, f"Set the image as the picture of {_quoted(entity)}", image=payload.image)
    return DropPlan(False, "Only image files on this computer can be used; save the image first")


# ---------------------------------------------------------------------- on drop, on a worker


MAX_FOLDER_FILES = 1000  # a dropped folder with more is refused: choose fewer, or a smaller folder


def folder_files(folder: Path) -> list[Path]:
    """Worker: the files inside a folder and its subfolders, in name order; hidden files and
    folders (.git, .DS_Store) and links to folders are left out. Raises past MAX_FOLDER_FILES."""
    found: list[Path] = []
    for root, dirs, files in os.walk(folder, followlinks=False):
        dirs[:] = sorted(d for d in dirs if not d.startswith("."))
        for name in sorted(files):
            if name.startswith("."):
                continue
            found.append(Path(root) / name)
            if len(found) > MAX_FOLDER_FILES:
                raise InvalidInputError(
                    f"“{folder.name}” holds more than {MAX_FOLDER_FILES:,} files; drop fewer at a time"
                )
    return found


def check_attach(plan: DropPlan) -> DropPlan:
    """Worker: the plan with the files that cannot be sent (unreadable, empty folders) left out,
    with a reason each; a folder stands for the files inside it. Refused when none is left."""
    if not plan.ok or not plan.paths:
        return plan
    good: list[Path] = []
    skipped: list[str] = []
    folders: list[tuple[str, int]] = []
    for path in plan.paths:
        try:
            if path.is_dir():
                inside = folder_files(path)
                if not inside:
                    raise InvalidInputError(f"“{path.name}” holds no files to attach")
                folders.append((path.name, len(inside)))
                candidates = inside
            else:
                candidates = [path]
        except (AttacheError, OSError) as error:
            skipped.append(str(error) if isinstance(error, AttacheError) else f"{path} cannot be read: {error}")
            continue
        for candidate in candidates:
            try:
                check_source(candidate)
            except AttacheError as error:
                skipped.append(str(error))
            else:
                good.append(candidate)
    if not good:
        message = skipped[0] if len(skipped) == 1 else f"None of the {len(skipped)} items can be attached: {skipped[0]}"
        return DropPlan(False, message, skipped=skipped)
    message = plan.message if not skipped else f"{plan.message} (skipping {len(skipped)}: {skipped[0]})"
    return DropPlan(True, message, paths=good, skipped=skipped, folders=folders)


def check_image(path: Path, rules=None, service_name: str = "this service"):
    """Worker: the file is an image by its first bytes, fits the service's size limit, and decodes
    (`attache.images.validate`): a broken picture never leaves the machine. Any format Attaché
    reads passes: the crop is encoded to a type the service takes, and an uncropped picture of
    another type is converted when the user agrees (`picture_conversion`)."""
    from attache.backends.base import ImageRules
    from attache.images.formats import sniff_image_type
    from attache.images.validate import validate_for_slot

    check_source(path)
    with open(path, "rb") as handle:
        head = handle.read(32)
    if sniff_image_type(head) is None:
        raise InvalidInputError(not_an_image(path.name))
    limit = rules.max_bytes if rules is not None else 1 << 62
    return validate_for_slot(path, ImageRules(max_bytes=limit, mime_types=frozenset()), service_name=service_name)


def save_image_data(image: QImage, stem: str = "Pasted image") -> Path:
    """Raw image data (clipboard, browser drag) → a PNG file to upload. GUI thread (QImage.save is fine)."""
    folder = app_dirs().cache / "pasted"
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / f"{stem} {time.strftime('%Y-%m-%d %H.%M.%S')}.png"
    n = 1
    while path.exists():
        n += 1
        path = folder / f"{stem} {time.strftime('%Y-%m-%d %H.%M.%S')} ({n}).png"
    if not image.save(str(path), "PNG"):
        raise InvalidInputError("The pasted image could not be saved for upload")
    return path
