"""A file dropped on a task that already has a file of that name: replace it with a new version
(where the service keeps versions), keep both, or skip it.

Asked once per duplicate, with "Do the same for the rest of this drop" when more follow; the
answer holds for the rest of that drop only. A file the drop holds twice, but the task not yet,
cannot be replaced (there is nothing to make a version of): there the choice is keep both or skip,
and a remembered "replace" keeps both.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from enum import Enum
from pathlib import Path

from PySide6.QtWidgets import QCheckBox, QMessageBox, QWidget

from attache.ui.plain import message_box


class Duplicate(Enum):
    REPLACE = "replace"  # upload it as a new version of the file there
    KEEP_BOTH = "keep both"
    SKIP = "skip"
    CANCEL = "cancel"  # the whole drop


@dataclass(frozen=True, slots=True)
class Upload:
    """One file of a drop to send; `replaces`: the id of the file it becomes a new version of."""

    path: Path
    replaces: str | None = None


def ask_duplicate(
    parent: QWidget | None, name: str, target: str, more: int, *, can_replace: bool = False
) -> tuple[Duplicate, bool]:
    """Modal: what to do with this duplicate; and whether the answer holds for the `more` after it.
    `can_replace`: offer "Replace (new version)" first. Tests monkeypatch this function (a modal
    box would wait for a click)."""
    detail = "Keep both attaches this one as well, under the same name; Skip leaves it out."
    if can_replace:
        detail = "Replace uploads it as a new version of the file there (the older versions are kept). " + detail
    box = message_box(
        QMessageBox.Icon.Question,
        "File already attached",
        f"{target} already has a file named “{name}”.",
        parent,
        detail=detail,
    )
    replace = box.addButton("Replace (new version)", QMessageBox.ButtonRole.AcceptRole) if can_replace else None
    keep = box.addButton("Keep both", QMessageBox.ButtonRole.AcceptRole)
    skip = box.addButton("Skip", QMessageBox.ButtonRole.RejectRole)
    box.addButton("Cancel drop", QMessageBox.ButtonRole.DestructiveRole)
    box.setDefaultButton(skip)
    same = None
    if more:
        same = QCheckBox(f"Do the same for the {more} other{'s' if more != 1 else ''} in this drop", box)
        box.setCheckBox(same)
    box.exec()
    clicked = box.clickedButton()
    if replace is not None and clicked is replace:
        choice = Duplicate.REPLACE
    else:
        choice = Duplicate.KEEP_BOTH if clicked is keep else Duplicate.SKIP if clicked is skip else Duplicate.CANCEL
    return choice, bool(same is not None and same.isChecked())


# Asked with (name, how many duplicates follow, whether Replace is on offer).
Ask = Callable[[str, int, bool], tuple[Duplicate, bool]]


def resolve_duplicates(
    paths: list[Path], existing: Mapping[str, str], ask: Ask, *, versions: bool = False
) -> list[Upload] | None:
    """The uploads, after asking about each file whose name the task already has (or that the
    drop holds twice); None when the user cancelled the drop. `existing`: the task's file names →
    the id of the file a new version would go to; `versions`: the service keeps versions."""
    on_task = {name.casefold(): file_id for name, file_id in existing.items()}
    seen: set[str] = set()
    clashes = [path for path in paths if _clashes(path, on_task, seen)]
    remembered: Duplicate | None = None
    uploads: list[Upload] = []
    pending = set(map(id, clashes))
    left = len(clashes)
    for path in paths:
        if id(path) not in pending:
            uploads.append(Upload(path))
            continue
        left -= 1
        replaces = on_task.get(path.name.casefold()) if versions else None
        choice = remembered
        if choice is None:
            choice, for_all = ask(path.name, left, replaces is not None)
            if for_all:
                remembered = choice
        if choice is Duplicate.CANCEL:
            return None
        if choice is Duplicate.REPLACE and replaces is not None:
            uploads.append(Upload(path, replaces))
        elif choice in (Duplicate.KEEP_BOTH, Duplicate.REPLACE):
            uploads.append(Upload(path))
    return uploads


def _clashes(path: Path, names: Mapping[str, str], seen: set[str]) -> bool:
    key = path.name.casefold()
    clash = key in names or key in seen
    seen.add(key)
    return clash
