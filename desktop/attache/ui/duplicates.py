"""A file dropped on a task that already has a file of that name: keep both, or skip it.

Asked once per duplicate, with "Do the same for the rest of this drop" when more follow; the
answer holds for the rest of that drop only. (Replacing a file as a new version needs a version
step the services' upload plans do not have yet; until then the choice is between the two.)
"""

from __future__ import annotations

from collections.abc import Callable
from enum import Enum
from pathlib import Path

from PySide6.QtWidgets import QCheckBox, QMessageBox, QWidget

from attache.ui.plain import message_box


class Duplicate(Enum):
    KEEP_BOTH = "keep both"
    SKIP = "skip"
    CANCEL = "cancel"  # the whole drop


def ask_duplicate(parent: QWidget | None, name: str, target: str, more: int) -> tuple[Duplicate, bool]:
    """Modal: what to do with this duplicate; and whether the answer holds for the `more` after it.
    Tests monkeypatch this function (a modal box would wait for a click)."""
    box = message_box(
        QMessageBox.Icon.Question,
        "File already attached",
        f"{target} already has a file named “{name}”.",
        parent,
        detail="Keep both attaches this one as well, under the same name; Skip leaves it out.",
    )
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
    choice = Duplicate.KEEP_BOTH if clicked is keep else Duplicate.SKIP if clicked is skip else Duplicate.CANCEL
    return choice, bool(same is not None and same.isChecked())


def resolve_duplicates(
    paths: list[Path], existing: set[str], ask: Callable[[str, int], tuple[Duplicate, bool]]
) -> list[Path] | None:
    """The paths to upload, after asking about each whose name the task already has (or that the
    drop holds twice); None when the user cancelled the drop."""
    names = {name.casefold() for name in existing}
    seen: set[str] = set()
    clashes = [path for path in paths if _clashes(path, names, seen)]
    remembered: Duplicate | None = None
    keep: list[Path] = []
    pending = set(map(id, clashes))
    left = len(clashes)
    for path in paths:
        if id(path) not in pending:
            keep.append(path)
            continue
        left -= 1
        choice = remembered
        if choice is None:
            choice, for_all = ask(path.name, left)
            if for_all:
                remembered = choice
        if choice is Duplicate.CANCEL:
            return None
        if choice is Duplicate.KEEP_BOTH:
            keep.append(path)
    return keep


def _clashes(path: Path, names: set[str], seen: set[str]) -> bool:
    key = path.name.casefold()
    clash = key in names or key in seen
    seen.add(key)
    return clash
