"""The upload speed limit: bytes spread over time for all workers together, changed on the fly."""

from __future__ import annotations

import pytest

from attache.core.errors import InvalidInputError
from attache.transfers.throttle import Throttle, parse_rate

MiB = 1024 * 1024


class Clock:
    def __init__(self) -> None:
        self.now = 100.0

    def __call__(self) -> float:
        return self.now


def send(throttle: Throttle, clock: Clock, chunks: int, size: int = MiB) -> float:
    """One worker sending chunks, waiting as told; returns the seconds it took."""
    began = clock.now
    for _ in range(chunks):
        clock.now += throttle.reserve(size)
    return clock.now - began


def test_no_limit_never_waits():
    clock = Clock()
    assert send(Throttle(None, clock=clock), clock, 100) == 0


def test_the_average_rate_holds_and_a_quiet_spell_earns_a_short_allowance():
    clock = Clock()
    throttle = Throttle(2 * MiB, burst=0.5, clock=clock)
    # 20 MiB at 2 MiB/s: the first chunk at once, then one every half second (10 s with the last)
    assert send(throttle, clock, 20) == pytest.approx(9.5)
    clock.now += 60  # idle: half a second's worth (1 MiB) may go at once, not a minute's
    assert send(throttle, clock, 3) == pytest.approx(0.5)


def test_workers_share_the_limit():
    clock = Clock()
    throttle = Throttle(4 * MiB, burst=0.0, clock=clock)
    waits = [throttle.reserve(MiB) for _ in range(8)]  # 8 workers, one chunk each, at once
    assert waits == pytest.approx([0, 0.25, 0.5, 0.75, 1.0, 1.25, 1.5, 1.75])


def test_a_new_limit_applies_from_now():
    clock = Clock()
    throttle = Throttle(32 * 1024, burst=0.0, clock=clock)
    for _ in range(10):
        throttle.reserve(MiB)  # 320 s of debt at the old, very low limit
    throttle.set_rate(10 * MiB)
    assert throttle.reserve(MiB) == 0 and throttle.reserve(MiB) == pytest.approx(0.1)
    throttle.set_rate(None)
    assert throttle.reserve(100 * MiB) == 0


@pytest.mark.parametrize(
    ("text", "rate"),
    [
        ("500K", 500 * 1024),
        ("2M", 2 * MiB),
        ("1.5 MB/s", 1.5 * MiB),
        ("2m", 2 * MiB),
        ("1G", 1024 * MiB),
        ("65536", 65536),
        ("0", None),
        ("none", None),
        ("", None),
    ],
)
def test_rates_are_read_like_curl_s(text, rate):
    assert parse_rate(text) == rate


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("fast", "Cannot read 'fast' as a speed"),
        ("2X", "Cannot read '2X'"),
        ("1K", "at least 16 KiB/s"),
    ],
)
def test_unreadable_or_tiny_rates_are_refused(text, message):
    with pytest.raises(InvalidInputError, match=message):
        parse_rate(text)
    with pytest.raises(InvalidInputError, match="at least 16 KiB/s"):
        Throttle(1000)
