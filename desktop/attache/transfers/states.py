"""A transfer's states, steps, direction and slot: what the window shows and filters rows by.

Apart from the journal, so that the window's first paint imports these few enums and not SQLite
and the engine's modules (the journal imports them from here).
"""

from __future__ import annotations

from enum import StrEnum


class JobState(StrEnum):
    QUEUED = "queued"
    RUNNING = "running"
    DONE = "done"
    FAILED = "failed"
    CANCELLED = "cancelled"
    INTERRUPTED = "interrupted"

    @property
    def finished(self) -> bool:
        return self in FINISHED


FINISHED = frozenset({JobState.DONE, JobState.FAILED, JobState.CANCELLED})
# States a runner may pick up.
RUNNABLE = (JobState.QUEUED, JobState.INTERRUPTED)


class Step(StrEnum):
    """How far an upload got; each step's effect exists on the server once recorded."""

    NEW = "new"  # nothing on the server yet
    BEGUN = "begun"  # an upload slot exists (upload_state holds its id and URL)
    SENT = "sent"  # the bytes are in the slot; sha256 is known
    LINKING = "linking"  # we asked (or are about to ask) the server to link it: reconcile first
    LINKED = "linked"  # the file is attached; file_id is known


class Direction(StrEnum):
    UPLOAD = "upload"  # a local file to an entity's files or image
    DOWNLOAD = "download"  # an entity's file to a local path


class Slot(StrEnum):
    FILES = "files"  # attach to the entity's files
    IMAGE = "image"  # set the entity's profile image
