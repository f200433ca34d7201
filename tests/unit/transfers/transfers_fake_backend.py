"""An in-memory backend for the transfer engine's unit tests, with scripted faults.

It follows the protocol's upload plan (begin → send → finish, find_attached, set_image)
and counts what the engine does to it: calls, concurrency, files linked per task.
It exists for what a server cannot be made to do on cue: a given fault at an exact step of an
exact job, in a fixed order, so state transitions and retry arithmetic are checked
deterministically. Every behaviour that matters to users runs again over real HTTP against the
sandbox with its fault injection in tests/integration/test_transfers_*.py.
"""

from __future__ import annotations

import hashlib
import itertools
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from attache.core.errors import AttacheError
from attache.core.models import EntityRef, FileRecord


@dataclass
class AfterCommit:
    """A fault that strikes after the step's effect exists on the server (a lost answer)."""

    error: AttacheError


Fault = AttacheError | AfterCommit | None
FaultScript = Callable[[str, str], Fault]  # (operation, file name) -> fault or None


def fail_times(
    operation: str, times: int, make_error: Callable[[], AttacheError | AfterCommit], *, name: str | None = None
) -> FaultScript:
    """Fail `operation` (for one file name, or any) its first `times` calls."""
    counter = itertools.count()
    lock = threading.Lock()

    def script(op: str, file_name: str) -> Fault:
        if op != operation or (name is not None and file_name != name):
            return None
        with lock:
            n = next(counter)
        return make_error() if n < times else None

    return script


def combine(*scripts: FaultScript) -> FaultScript:
    def script(op: str, file_name: str) -> Fault:
        for each in scripts:
            if (fault := each(op, file_name)) is not None:
                return fault
        return None

    return script


@dataclass
class StoredFile:
    id: str
    name: str
    size: int
    sha256: str
    upload_id: str


class FakeBackend:
    service = "fake"

    def __init__(
        self,
        account: str = "acct",
        *,
        faults: FaultScript | None = None,
        chunk_size: int = 64 * 1024,
        chunk_delay: float = 0.0,
        request_delay: float = 0.0,
    ) -> None:
        self.account = account
        self.faults = faults
        self.chunk_size = chunk_size
        self.chunk_delay = chunk_delay
        self.request_delay = request_delay
        self.lock = threading.Lock()
        self.calls: list[tuple[float, str, str]] = []  # (monotonic start, operation, file name)
        self.blobs: dict[str, bytes] = {}
        self.files: dict[str, list[StoredFile]] = {}
        self.images: dict[str, str] = {}  # entity id -> sha256
        self.in_flight = 0
        self.max_in_flight = 0
        self.closed = False
        self._ids = itertools.count(1)

    # ---- bookkeeping ----

    def _enter(self, op: str, name: str) -> Fault:
        with self.lock:
            self.calls.append((time.monotonic(), op, name))
            self.in_flight += 1
            self.max_in_flight = max(self.max_in_flight, self.in_flight)
        if self.request_delay:
            time.sleep(self.request_delay)
        fault = self.faults(op, name) if self.faults else None
        if isinstance(fault, AttacheError):
            self._leave()
            raise fault
        return fault

    def _leave(self) -> None:
        with self.lock:
            self.in_flight -= 1

    def count(self, op: str) -> int:
        with self.lock:
            return sum(1 for _, each, _ in self.calls if each == op)

    def all_files(self) -> list[StoredFile]:
        with self.lock:
            return [f for files in self.files.values() for f in files]

    # ---- the protocol ----

    def begin_attach(self, ref: EntityRef, name: str, size: int, *, replacing: str | None = None) -> dict[str, str]:
        fault = self._enter("begin", name)
        try:
            upload_id = f"up-{next(self._ids)}"
            if isinstance(fault, AfterCommit):
                raise fault.error
            return {"upload_id": upload_id, "name": name}
        finally:
            self._leave()

    def send_content(self, state, source: Path, size: int, *, on_chunk=None):  # type: ignore[no-untyped-def]
        fault = self._enter("send", state["name"])
        try:
            parts = []
            with open(source, "rb") as stream:
                while chunk := stream.read(self.chunk_size):
                    if on_chunk is not None:
                        on_chunk(chunk)
                    parts.append(chunk)
                    if self.chunk_delay:
                        time.sleep(self.chunk_delay)
            with self.lock:
                self.blobs[state["upload_id"]] = b"".join(parts)
            if isinstance(fault, AfterCommit):
                raise fault.error
            return {**state, "sent": "yes"}
        finally:
            self._leave()

    def finish_attach(self, ref: EntityRef, state, name: str) -> FileRecord:  # type: ignore[no-untyped-def]
        fault = self._enter("finish", name)
        try:
            with self.lock:
                content = self.blobs[state["upload_id"]]
                stored = StoredFile(
                    f"file-{next(self._ids)}",
                    name,
                    len(content),
                    hashlib.sha256(content).hexdigest(),
                    state["upload_id"],
                )
                self.files.setdefault(ref.id, []).append(stored)
            if isinstance(fault, AfterCommit):
                raise fault.error
            return FileRecord(stored.id, name, stored.size)
        finally:
            self._leave()

    def find_attached(self, ref: EntityRef, state, name: str, size: int) -> FileRecord | None:  # type: ignore[no-untyped-def]
        self._enter("find", name)
        try:
            with self.lock:
                for stored in self.files.get(ref.id, []):
                    if stored.upload_id == state.get("upload_id"):
                        return FileRecord(stored.id, stored.name, stored.size)
            return None
        finally:
            self._leave()

    def set_image(self, ref: EntityRef, source: Path, *, on_chunk=None) -> None:  # type: ignore[no-untyped-def]
        fault = self._enter("image", source.name)
        try:
            digest = hashlib.sha256()
            with open(source, "rb") as stream:
                while chunk := stream.read(self.chunk_size):
                    if on_chunk is not None:
                        on_chunk(chunk)
                    digest.update(chunk)
                    if self.chunk_delay:
                        time.sleep(self.chunk_delay)
            with self.lock:
                self.images[ref.id] = digest.hexdigest()
            if isinstance(fault, AfterCommit):
                raise fault.error
        finally:
            self._leave()

    def stop_retrying(self) -> None:
        pass

    def close(self) -> None:
        self.closed = True
