"""Quiet shutdown: requests still open when the sandbox stops (an upload in the middle of its
body) are cancelled by uvicorn after its grace period. That is the stop working, not an error:
uvicorn's log lines about it (a CancelledError traceback from the app, the count of cancelled
tasks) are dropped while the server shuts down. Every other log line passes."""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Iterator

_LOGGER = "uvicorn.error"


class _DropCancelledRequests(logging.Filter):
    def filter(self, record: logging.LogRecord) -> bool:
        if record.exc_info and isinstance(record.exc_info[1], asyncio.CancelledError):
            return False
        return not record.getMessage().startswith("Cancel ")  # "Cancel 1 running task(s), timeout …"


@contextlib.contextmanager
def quiet_cancelled_requests() -> Iterator[None]:
    logger = logging.getLogger(_LOGGER)
    quiet = _DropCancelledRequests()
    logger.addFilter(quiet)
    try:
        yield
    finally:
        logger.removeFilter(quiet)
