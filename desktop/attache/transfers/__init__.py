"""The upload engine: a durable queue (SQLite journal), a bounded worker pool, a retry policy.

Qt-free: the CLI and the GUI both drive `TransferEngine` and read `ProgressBoard` numbers. Each
name is imported from its module when first asked for: the window's first paint needs only the
states (`attache.transfers.states`), not SQLite, the engine or the backends' code it pulls in.
"""

from importlib import import_module
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from attache.transfers.engine import TransferEngine
    from attache.transfers.events import JobEvent
    from attache.transfers.journal import Job, Journal, JournalError, default_journal_path
    from attache.transfers.policy import RetryPolicy
    from attache.transfers.progress import JobProgress, ProgressBoard, QueueTotals
    from attache.transfers.states import Direction, JobState, Slot, Step
    from attache.transfers.throttle import Throttle, parse_rate

_HOMES = {
    "Direction": "states",
    "JobState": "states",
    "Slot": "states",
    "Step": "states",
    "Job": "journal",
    "Journal": "journal",
    "JournalError": "journal",
    "default_journal_path": "journal",
    "JobEvent": "events",
    "RetryPolicy": "policy",
    "JobProgress": "progress",
    "ProgressBoard": "progress",
    "QueueTotals": "progress",
    "Throttle": "throttle",
    "parse_rate": "throttle",
    "TransferEngine": "engine",
}

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


def __getattr__(name: str) -> Any:
    home = _HOMES.get(name)
    if home is None:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    value = getattr(import_module(f"{__name__}.{home}"), name)
    globals()[name] = value  # asked once
    return value
