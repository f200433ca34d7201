"""The upload engine: a durable queue (SQLite journal), a bounded worker pool, a retry policy.

Qt-free: the CLI and the GUI both drive `TransferEngine` and read `ProgressBoard` numbers.
"""

from attache.transfers.engine import TransferEngine
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
