"""An upload speed limit shared by all of an engine's workers.

Each chunk a worker is about to send reserves its bytes; the answer is how long to wait first.
Bytes are spread over time at `rate` per second across every upload together, after a short
allowance (`burst` seconds' worth) that lets a lone small file go at once. The limit can change
while uploads run; None means no limit.

The granularity is one chunk (1 MiB): with a low limit the average holds while each chunk still
leaves in one piece, so progress moves in steps.
"""

from __future__ import annotations

import re
import threading
import time
from collections.abc import Callable

from attache.core.errors import InvalidInputError

_RATE = re.compile(r"^\s*(\d+(?:\.\d+)?)\s*([kmg]?)(?:i?b(?:/s)?)?\s*$", re.IGNORECASE)
_UNITS = {"": 1, "k": 1024, "m": 1024**2, "g": 1024**3}
MIN_RATE = 16 * 1024  # below this, a 1 MiB chunk would wait over a minute


class Throttle:
    def __init__(
        self, rate: float | None = None, *, burst: float = 0.5, clock: Callable[[], float] = time.monotonic
    ) -> None:
        self._clock = clock
        self._burst = burst
        self._lock = threading.Lock()
        self._rate: float | None = None
        self._free_at = 0.0  # when the bytes reserved so far will all have gone out
        self.set_rate(rate)

    @property
    def rate(self) -> float | None:
        """Bytes per second for all uploads together, or None."""
        return self._rate

    def set_rate(self, rate: float | None) -> None:
        _check(rate)
        with self._lock:
            self._rate = rate
            self._free_at = self._clock()  # a new limit starts from now, with no debt and no credit

    def reserve(self, size: int) -> float:
        """Seconds to wait before sending `size` bytes (0 without a limit)."""
        with self._lock:
            rate = self._rate
            if rate is None:
                return 0.0
            now = self._clock()
            start = max(self._free_at, now - self._burst)
            self._free_at = start + size / rate
            return max(0.0, start - now)


def parse_rate(text: str) -> float | None:
    """'500K', '2M', '1.5MB/s', '0' or 'none' → bytes per second (None: no limit); binary units."""
    text = text.strip()
    if text.lower() in ("", "0", "none", "off", "unlimited"):
        return None
    match = _RATE.match(text)
    if match is None:
        raise InvalidInputError(f"Cannot read {text!r} as a speed; write it like 500K or 2M (bytes per second)")
    rate = float(match.group(1)) * _UNITS[match.group(2).lower()] or None
    _check(rate)
    return rate


def _check(rate: float | None) -> None:
    if rate is not None and rate < MIN_RATE:
        raise InvalidInputError(f"An upload limit must be at least {MIN_RATE // 1024} KiB/s")
