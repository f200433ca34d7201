"""When a download that dropped may go on where it stopped, and when it must start over.

A download keeps the bytes it got in its `.part` file (`streams.PartFile`). Before it asks for the
rest it must know the file is still the one those bytes came from: the first whole answer's
`Validator` (its strong ETag or, without one, its Last-Modified and size). The next request sends
`Range: bytes=N-` with `If-Range: <that validator>` (`range_headers`), and `decide` reads the answer:

- a 206 whose `Content-Range` starts at N, for the same total size, with the same ETag (or
  Last-Modified): APPEND its body;
- a 200: the server ignored the Range or the file changed: START_OVER with this body;
- a 416, or a 206 for another range, size or version: ASK_AGAIN, the whole file, from nothing.
Without a usable validator (no strong ETag, no Last-Modified and size) nothing is resumed: the
next request asks for the whole file. Mixing two versions of a file is never possible.

Within one `download_file` call the `.part` and its validator live in memory. Across calls (a
paused, interrupted or crashed job of the transfer engine) the caller lends a `KeptDownload` with
`keeping_part`: the `.part` then has the path it gives (and survives a failed or stopped call),
and every new validator is handed to its `save` (the engine journals it) before any byte of that
answer is written, so the next call, in this process or the next, asks only for the rest.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass, field
from enum import Enum
from pathlib import Path

# A download is tried this many times in all (dropped, stalled, 429, 5xx) before it gives up.
DOWNLOAD_ATTEMPTS = 5

_CONTENT_RANGE = re.compile(r"^\s*bytes\s+(\d+)-(\d+)/(\d+|\*)\s*$", re.IGNORECASE)


class Resume(Enum):
    APPEND = "append"  # the body is the rest of the file: add it to what the .part holds
    START_OVER = "start over"  # the body is the whole file: the .part starts again with it
    ASK_AGAIN = "ask again"  # the body is of no use: empty the .part, ask for the whole file


@dataclass(frozen=True, slots=True)
class Validator:
    """What identifies the version of a file whose bytes a `.part` holds."""

    etag: str | None  # strong only: a weak one (W/"…") cannot vouch for bytes (RFC 9110 §13.1.5)
    last_modified: str | None
    size: int | None  # the whole file's, as its first answer declared it

    @classmethod
    def of(cls, headers: Mapping[str, str], size: int | None) -> Validator:
        etag = headers.get("etag", "").strip() or None
        if etag is not None and (etag.startswith("W/") or not etag.startswith('"')):
            etag = None
        return cls(etag, headers.get("last-modified", "").strip() or None, size)

    @property
    def usable(self) -> bool:
        return self.etag is not None or (self.last_modified is not None and self.size is not None)


def range_headers(validator: Validator | None, have: int) -> dict[str, str]:
    """The headers asking for the rest of a file of which `have` bytes are kept (none: ask for all)."""
    if validator is None or have <= 0 or not validator.usable:
        return {}
    return {"Range": f"bytes={have}-", "If-Range": validator.etag or validator.last_modified or ""}


def content_range(header: str | None) -> tuple[int, int, int | None] | None:
    """(first, last, total) of `Content-Range: bytes first-last/total`; total None for `*`."""
    match = _CONTENT_RANGE.match(header or "")
    if match is None:
        return None
    first, last, total = int(match.group(1)), int(match.group(2)), match.group(3)
    if last < first:
        return None
    return first, last, None if total == "*" else int(total)


def decide(validator: Validator | None, have: int, status: int, headers: Mapping[str, str]) -> Resume:
    """What to do with an answer to a request for the bytes from `have` on (0: the whole file)."""
    if status == 416:
        return Resume.ASK_AGAIN
    if status != 206:
        return Resume.START_OVER
    got = content_range(headers.get("content-range"))
    if validator is None or have <= 0 or got is None:
        return Resume.ASK_AGAIN  # a part nobody asked for, or one that does not say which
    first, last, total = got
    size = validator.size if validator.size is not None else total
    if first != have or total != size or (size is not None and last != size - 1):
        return Resume.ASK_AGAIN
    if validator.etag is not None:
        if headers.get("etag", "").strip() not in ("", validator.etag):
            return Resume.ASK_AGAIN
    elif headers.get("last-modified", "").strip() != validator.last_modified:
        return Resume.ASK_AGAIN
    return Resume.APPEND


@dataclass
class KeptDownload:
    """A download's `.part` file and the validator of its bytes, kept across `download_file` calls."""

    part: Path | None = None  # where the .part is (None: no byte received yet)
    validator: Validator | None = None
    save: Callable[[KeptDownload], None] = field(default=lambda kept: None, repr=False)

    def kept_bytes(self) -> int:
        """How many bytes a resumed request may build on (0 without a usable validator)."""
        if self.part is None or self.validator is None or not self.validator.usable:
            return 0
        try:
            return self.part.stat().st_size
        except OSError:
            return 0

    def remove(self) -> None:
        """Delete the `.part` (a cancelled download)."""
        if self.part is not None:
            self.part.unlink(missing_ok=True)

    def as_state(self) -> dict[str, str]:
        state: dict[str, str] = {}
        if self.part is not None:
            state["part"] = str(self.part)
        if self.validator is not None:
            state.update(etag=self.validator.etag or "", last_modified=self.validator.last_modified or "")
            if self.validator.size is not None:
                state["size"] = str(self.validator.size)
        return state

    @classmethod
    def from_state(cls, state: Mapping[str, str], save: Callable[[KeptDownload], None]) -> KeptDownload:
        part = Path(state["part"]) if state.get("part") else None
        validator = None
        if "etag" in state or "last_modified" in state:
            size = state.get("size")
            validator = Validator(
                state.get("etag") or None, state.get("last_modified") or None, int(size) if size else None
            )
        return cls(part, validator, save)


_KEPT: ContextVar[KeptDownload | None] = ContextVar("attache_kept_download", default=None)


@contextmanager
def keeping_part(kept: KeptDownload) -> Iterator[None]:
    """Within this block (this thread), a download keeps its `.part` in `kept` (see the module)."""
    token = _KEPT.set(kept)
    try:
        yield
    finally:
        _KEPT.reset(token)


def kept_download() -> KeptDownload | None:
    return _KEPT.get()
