"""Where the window saves downloads: a safe local name for each, and one question per name that is
taken (a file already there, or two files of one name in the same download).

The answers: Replace (the file there is replaced once the new one is whole), Keep both (the new
one is saved as "name (2).ext"; the free name is taken race-free when it is written, see
`streams.write_atomically`) or Skip. In a batch, "Apply to all in this download" answers the rest.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

from PySide6.QtWidgets import QWidget

from attache.core.filenames import safe_name
from attache.ui import plain

REPLACE, KEEP_BOTH, SKIP = "Replace", "Keep both", "Skip"


@dataclass(frozen=True, slots=True)
class Destination:
    record: Any  # FileRecord
    path: Path
    replace: bool = False


def in_folder(folder: Path, record: Any) -> Path:
    """Where `record` goes in `folder`: under its name made safe (never a path of its own)."""
    return folder / safe_name(record.name, fallback=f"file-{record.id}", folder=folder)


def settle(parent: QWidget | None, planned: list[tuple[Any, Path]]) -> list[Destination]:
    """The downloads to start: `planned` (record, path) pairs, asked about where a path is taken;
    skipped ones left out."""
    settled: list[Destination] = []
    claimed: set[Path] = set()
    conflicts: list[str] = []  # why each path is taken, "" when it is free
    for _, path in planned:
        if path in claimed:
            conflicts.append(f"Another file in this download is also named “{path.name}”.")
        elif path.exists():
            conflicts.append(f"“{path.name}” is already in {path.parent}.")
        else:
            conflicts.append("")
        claimed.add(path)
    answer_for_all: str | None = None
    remaining = sum(1 for why in conflicts if why)
    for (record, path), why in zip(planned, conflicts, strict=True):
        if not why:
            settled.append(Destination(record, path))
            continue
        answer = answer_for_all
        if answer is None:
            answer, for_all = plain.choose(
                parent,
                "File already there",
                f"{why}\n\nReplace it, keep both (the new one gets a number), or skip this file?",
                [REPLACE, KEEP_BOTH, SKIP],
                for_all="Apply to all in this download" if remaining > 1 else "",
            )
            if for_all:
                answer_for_all = answer
        remaining -= 1
        if answer == REPLACE:
            settled.append(Destination(record, path, replace=True))
        elif answer == KEEP_BOTH:
            settled.append(Destination(record, path))
    return settled
