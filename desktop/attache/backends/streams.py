"""Bytes between local files and the network, in chunks, with progress and no half-written files.

- Uploads: `open_unchanged` opens the queued file and refuses it when its size changed since it was
  queued; `read_chunks` yields exactly that many bytes and fails when the file shrinks meanwhile;
  `ObservedReader` reports what httpx reads from a multipart file part; `plan_chunks` cuts an upload
  into fixed-size parts and `FileSlice` serves one part as a file of its own (a chunked upload);
  `report_held_range` reports a part the server already holds (a resumed upload) without sending it.
- Downloads: `write_atomically` writes to a hidden `.part` file beside the target (`PartFile`, which
  also keeps the bytes of a dropped attempt for a resumed one), within the size the file list
  declared, flushes it to disk and gives it the target's name, or the first free "name (2).ext"
  when a file is there (unless `replacing_existing`); so nothing is half-written or overwritten
  unasked. `at_most` collects a small answer and gives up on a large one.
"""

from __future__ import annotations

import os
import secrets
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from pathlib import Path
from typing import BinaryIO

from attache.backends.base import ChunkObserver, report_held
from attache.core.errors import AttacheError, InvalidInputError, ProtocolError, SourceChangedError
from attache.core.filenames import name_max, numbered, safe_name, shortened
from attache.core.sources import check_source

CHUNK_SIZE = 1024 * 1024


def local_file_size(source: Path) -> int:
    """The size of a readable regular file; otherwise an `InvalidInputError` saying what is wrong."""
    return check_source(source).st_size


@contextmanager
def open_unchanged(source: Path, size: int) -> Iterator[BinaryIO]:
    """Open `source` for reading, refusing it when its size is no longer the queued `size`."""
    try:
        stream = open(source, "rb")  # noqa: SIM115 (closed by the `with` below; its errors are told apart here)
    except FileNotFoundError:
        raise SourceChangedError(f"{source.name} was moved or deleted before it was sent") from None
    except OSError as exc:
        raise InvalidInputError(f"{source.name} cannot be read: {exc.strerror}") from None
    with stream:
        if os.fstat(stream.fileno()).st_size != size:
            raise SourceChangedError(f"{source.name} changed after it was queued; add it again")
        yield stream


def read_chunks(
    stream: BinaryIO, size: int, on_chunk: ChunkObserver | None, source: Path, *, chunk_size: int = CHUNK_SIZE
) -> Iterator[bytes]:
    """Exactly `size` bytes of `stream` in `chunk_size` pieces, reporting each to `on_chunk`."""
    remaining = size
    while remaining > 0:
        chunk = stream.read(min(chunk_size, remaining))
        if not chunk:
            raise SourceChangedError(f"{source.name} got shorter while it was being sent")
        remaining -= len(chunk)
        if on_chunk is not None:
            on_chunk(chunk)
        yield chunk


def report_held_range(stream: BinaryIO, start: int, length: int, on_chunk: ChunkObserver | None, source: Path) -> None:
    """Read `length` bytes from `start` that the server already holds and report them as held
    (`base.report_held`), so progress and the file's hash cover them without sending them."""
    stream.seek(start)
    for chunk in read_chunks(stream, length, None, source):
        report_held(on_chunk, chunk)


class ObservedReader:
    """A binary file that reports every chunk read from it (for multipart upload progress).

    httpx streams multipart file parts by calling read(); fileno() lets it size the body
    without reading it.
    """

    def __init__(self, stream: BinaryIO, on_chunk: ChunkObserver | None) -> None:
        self._stream = stream
        self._on_chunk = on_chunk

    def read(self, size: int = -1) -> bytes:
        chunk = self._stream.read(size)
        if chunk and self._on_chunk is not None:
            self._on_chunk(chunk)
        return chunk

    def seek(self, offset: int, whence: int = os.SEEK_SET) -> int:
        return self._stream.seek(offset, whence)

    def tell(self) -> int:
        return self._stream.tell()

    def fileno(self) -> int:
        return self._stream.fileno()


def plan_chunks(size: int, chunk_size: int, *, start: int = 0) -> list[tuple[int, int]]:
    """(offset, length) of each part of a `size`-byte upload from `start` on: every part exactly
    `chunk_size` bytes except the last, which is shorter (or as long), in order."""
    if chunk_size <= 0:
        raise ValueError("chunk_size must be positive")
    return [(offset, min(chunk_size, size - offset)) for offset in range(max(0, start), size, chunk_size)]


class FileSlice:
    """`length` bytes of an open file from `start` on, read as if they were a whole file.

    For a multipart part that is one chunk of a larger file: httpx seeks to 0 before it reads a
    part and sizes it with seek/tell, which here mean the slice's own start and end (there is no
    fileno(), which would give the whole file's size). Every chunk read is reported to `on_chunk`.
    """

    def __init__(self, stream: BinaryIO, start: int, length: int, on_chunk: ChunkObserver | None = None) -> None:
        self._stream = stream
        self._start = start
        self._length = length
        self._position = 0
        self._on_chunk = on_chunk

    @property
    def fully_read(self) -> bool:
        return self._position >= self._length

    def read(self, size: int = -1) -> bytes:
        left = self._length - self._position
        wanted = left if size is None or size < 0 else min(size, left)
        if wanted <= 0:
            return b""
        self._stream.seek(self._start + self._position)
        chunk = self._stream.read(wanted)
        if not chunk:
            raise SourceChangedError("the file got shorter while it was being sent")
        self._position += len(chunk)
        if self._on_chunk is not None:
            self._on_chunk(chunk)
        return chunk

    def seek(self, offset: int, whence: int = os.SEEK_SET) -> int:
        base = {os.SEEK_SET: 0, os.SEEK_CUR: self._position, os.SEEK_END: self._length}[whence]
        self._position = min(max(0, base + offset), self._length)
        return self._position

    def tell(self) -> int:
        return self._position


def download_target(dest: Path, name: str, *, fallback: str) -> Path:
    """Where a download goes: `dest` itself when it names a file in an existing folder, else the
    server's `name`, made safe, inside the folder `dest`."""
    if dest.is_dir():
        return dest / safe_name(name, fallback=fallback, folder=dest)
    if not dest.parent.is_dir():
        raise InvalidInputError(f"The folder {dest.parent} does not exist")
    return dest


def write_atomically(
    target: Path,
    chunks: Iterable[bytes],
    on_chunk: ChunkObserver | None = None,
    *,
    expected_size: int | None = None,
    sender: str = "The server",
) -> Path:
    """Write `chunks` to `target` whole or not at all; the path the file got.

    The bytes go to a hidden `.part` file beside `target` (see `PartFile`), which is flushed to
    disk before it takes its name. With `expected_size` (what the file list declared) a body that
    runs past it stops there and one that ends short fails. A file already at `target` stays:
    the new one becomes "name (2).ext" (see `replacing_existing`). On any failure the `.part`
    file is removed and nothing is saved.
    """
    with PartFile(target, sender=sender) as part:
        part.write(chunks, on_chunk, expected_size=expected_size)
        part.check_complete(expected_size)
        return part.finish()


class PartFile:
    """The hidden `.part` file a download grows in, beside its target (same folder, so the final
    rename is atomic); it outlives a failed attempt so the next one can resume from `size`.

    Progress: `on_chunk` hears each byte position of the file once. Bytes appended after a resume
    are new; after `restart` (the server sent the whole file again, or it changed) the re-received
    bytes up to what was already reported are passed on as empty chunks (a cancel check still
    runs on each) and only those past it count, so progress never goes back nor counts twice.
    Leaving the `with` block removes the `.part` file unless `finish` gave it its name.
    """

    def __init__(self, target: Path, *, sender: str = "The server", path: Path | None = None) -> None:
        """`path`: a `.part` kept from an earlier call (`resume.KeptDownload`), reopened with its
        bytes (they are not reported again) when it is there, made there when not."""
        if target.is_dir():
            raise InvalidInputError(f"{target} is a folder; give a file name to save it as")
        self.target = target
        self.sender = sender
        self.size = 0
        self._reported = 0
        if path is None or path.parent != target.parent:
            path = target.with_name(
                f".{shortened(target.name, name_max(target.parent) - 15)}.{secrets.token_hex(4)}.part"
            )
        self.path = path
        with self._saving():
            try:
                self._out: BinaryIO = open(self.path, "r+b")  # noqa: SIM115 (closed by finish, close or discard)
                self.size = self._reported = self._out.seek(0, os.SEEK_END)
            except FileNotFoundError:
                self._out = open(self.path, "wb")  # noqa: SIM115

    def __enter__(self) -> PartFile:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.discard()

    @contextmanager
    def _saving(self) -> Iterator[None]:
        try:
            yield
        except OSError as exc:  # disk full, no permission…: the user must pick another place
            raise AttacheError(f"Could not save {self.target.name}: {exc.strerror or exc}", detail=repr(exc)) from exc

    def restart(self) -> None:
        """Throw away what was received: the next bytes are the file's first."""
        with self._saving():
            self._out.seek(0)
            self._out.truncate()
        self.size = 0

    def write(self, chunks: Iterable[bytes], on_chunk: ChunkObserver | None, *, expected_size: int | None) -> None:
        """Append `chunks`; past `expected_size` bytes in all it stops with a `ProtocolError`."""
        with self._saving():
            for chunk in chunks:
                if expected_size is not None and self.size + len(chunk) > expected_size:
                    raise ProtocolError(
                        f"{self.sender} sent more than the {expected_size:,} bytes it declared for "
                        f"{self.target.name}; nothing was saved",
                        detail=f"more than {expected_size} bytes received",
                    )
                self._out.write(chunk)
                start, self.size = self.size, self.size + len(chunk)
                if on_chunk is not None:
                    on_chunk(chunk[max(0, self._reported - start) :])
                self._reported = max(self._reported, self.size)

    def check_complete(self, expected_size: int | None) -> None:
        if expected_size is not None and self.size < expected_size:
            raise ProtocolError(
                f"{self.sender} sent {self.size:,} of the {expected_size:,} bytes it declared for "
                f"{self.target.name}; nothing was saved",
                detail=f"{self.size} of {expected_size} bytes received",
            )

    def finish(self) -> Path:
        """Flush the file to disk and give it the target's name (or the first free one)."""
        with self._saving():
            self._out.flush()
            os.fsync(self._out.fileno())
            self._out.close()
            if _REPLACE.get():
                os.replace(self.path, self.target)
                return self.target
            return _take_free_name(self.path, self.target)

    def close(self) -> None:
        """Close the `.part` file and keep it, for a later call to resume from."""
        self._out.close()

    def discard(self) -> None:
        """Remove the `.part` file (after `finish`, the name it had: the file keeps its new one)."""
        self._out.close()
        self.path.unlink(missing_ok=True)


_REPLACE: ContextVar[bool] = ContextVar("attache_replace_existing", default=False)
_MAX_NUMBERED = 10_000


@contextmanager
def replacing_existing(replace: bool = True) -> Iterator[None]:
    """Within this block (this thread), `write_atomically` replaces a file already at its target
    instead of keeping both (the CLI's --overwrite, the window's "Replace")."""
    token = _REPLACE.set(replace)
    try:
        yield
    finally:
        _REPLACE.reset(token)


def _take_free_name(part: Path, target: Path) -> Path:
    """Give the finished `part` the first free name of target, "target (2)"…, race-free: a hard
    link fails when the name exists (where links are not supported, the name is reserved by an
    exclusive create and then replaced)."""
    for _, name in zip(range(_MAX_NUMBERED), numbered(target.name, folder=target.parent), strict=False):
        candidate = target.with_name(name)
        try:
            os.link(part, candidate)
            return candidate
        except FileExistsError:
            continue
        except OSError:  # no hard links here (FAT, some network shares)
            try:
                os.close(os.open(candidate, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o644))
            except FileExistsError:
                continue
            os.replace(part, candidate)
            return candidate
    raise AttacheError(f"Could not save {target.name}: {_MAX_NUMBERED:,} files of that name are there already")


def at_most(chunks: Iterable[bytes], max_bytes: int) -> bytes | None:
    """All of `chunks` joined, or None as soon as they add up to more than `max_bytes`."""
    collected: list[bytes] = []
    received = 0
    for chunk in chunks:
        received += len(chunk)
        if received > max_bytes:
            return None
        collected.append(chunk)
    return b"".join(collected)
