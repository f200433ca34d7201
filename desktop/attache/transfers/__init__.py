"""The upload engine: a durable queue (SQLite journal), a bounded worker pool, a retry policy.

Qt-free: the CLI and the GUI both drive `TransferEngine` and read `ProgressBoard` numbers. The
engine (and the backends' code it pulls in) is imported when first asked for: the window's first
paint needs only the journal's types.
"""

from typing import TYPE_CHECKING, Any

from attache.transfers.events import JobEvent
from attache.transfers.journal import (
    Direction,
    Job,
    JobState,
    Journal,
    JournalError,
    Slot,
    Step,
    default_journal_path,
)
from attache.transfers.policy import RetryPolicy
from attache.transfers.progress import JobProgress, ProgressBoard, QueueTotals
from attache.transfers.throttle import Throttle, parse_rate

__all__ = [
    "Direction",
    "Job",
    "JobEvent",
    "JobProgress",
    "JobState",
    "Journal",
    "JournalError",
    "ProgressBoard",
    "QueueTotals",
    "RetryPolicy",
    "Slot",
    "Step",
    "Throttle",
    "TransferEngine",
    "default_journal_path",
    "parse_rate",
]

if TYPE_CHECKING:
    from attache.transfers.engine import TransferEngine


def __getattr__(name: str) -> Any:
    if name == "TransferEngine":
        from attache.transfers.engine import TransferEngine

        return TransferEngine
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
