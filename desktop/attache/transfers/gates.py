"""Per-account rate-limit gates: when a service says "slow down", every job of that account waits.

A 429 answers for the account, not for one request, so the wait it asks for applies to
all of that account's jobs: none starts a request before the gate reopens, while other
accounts' jobs go on.
"""

from __future__ import annotations

import math
import threading
import time
from collections.abc import Callable

from attache.core.accounts import AccountRef

# How often a worker waiting at a held gate looks again: a hold has no end time of its own.
_RECHECK = 0.25


class AccountGates:
    def __init__(self, clock: Callable[[], float] = time.monotonic) -> None:
        self._clock = clock
        self._lock = threading.Lock()
        self._closed_until: dict[AccountRef, float] = {}

    def close_for(self, account: AccountRef, seconds: float) -> None:
        """Keep `account` closed for at least `seconds` from now (a gate only ever extends)."""
        until = self._clock() + seconds
        with self._lock:
            if until > self._closed_until.get(account, 0.0):
                self._closed_until[account] = until

    def hold(self, account: AccountRef) -> None:
        """Close `account` until `reopen` (e.g. while its user signs in again)."""
        with self._lock:
            self._closed_until[account] = math.inf

    def reopen(self, account: AccountRef) -> None:
        with self._lock:
            self._closed_until.pop(account, None)

    def remaining(self, account: AccountRef) -> float:
        with self._lock:
            return max(0.0, self._closed_until.get(account, 0.0) - self._clock())

    def closed(self) -> list[AccountRef]:
        now = self._clock()
        with self._lock:
            for account in [a for a, until in self._closed_until.items() if until <= now]:
                del self._closed_until[account]
            return list(self._closed_until)

    def next_reopen(self) -> float | None:
        """Seconds until the first closed gate reopens, or None if all are open."""
        now = self._clock()
        with self._lock:
            pending = [until - now for until in self._closed_until.values() if until > now]
        return min(pending) if pending else None

    def wait_open(self, account: AccountRef, stop: threading.Event) -> bool:
        """Block until `account` may send again; False if `stop` was set first."""
        while (remaining := self.remaining(account)) > 0:
            if stop.wait(min(remaining, _RECHECK)):
                return False
        return not stop.is_set()
