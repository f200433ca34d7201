"""Progress numbers, the retry policy's delays and the per-account gates, on a fake clock."""

from __future__ import annotations

import threading
import time

import pytest

from attache.transfers.gates import AccountGates
from attache.transfers.policy import RetryPolicy
from attache.transfers.progress import ProgressBoard


class Clock:
    def __init__(self) -> None:
        self.now = 100.0

    def __call__(self) -> float:
        return self.now

    def advance(self, seconds: float) -> None:
        self.now += seconds


def test_speed_is_rolling_and_eta_follows_it():
    clock = Clock()
    board = ProgressBoard(window=5.0, clock=clock)
    board.track(1, 10_000_000)
    for _ in range(20):  # 1 MB/s for 2 s
        clock.advance(0.1)
        board.add(1, 100_000)
    progress = board.get(1)
    assert progress.bytes_sent == 2_000_000 and progress.fraction == pytest.approx(0.2)
    assert progress.speed == pytest.approx(1_000_000, rel=0.01)
    assert progress.eta == pytest.approx(8.0, rel=0.01)
    for _ in range(100):  # then 4 MB/s for 10 s: the window forgets the slow start
        clock.advance(0.1)
        board.add(1, 400_000)
    assert board.get(1).speed == pytest.approx(4_000_000, rel=0.03)


def test_eta_is_none_while_stalled_or_before_anything_is_known():
    clock = Clock()
    board = ProgressBoard(window=5.0, stall_after=2.0, clock=clock)
    board.track(1, 1000)
    assert board.get(1).eta is None and board.get(1).speed == 0
    clock.advance(0.5)
    board.add(1, 100)
    assert board.get(1).eta is not None
    clock.advance(2.5)
    assert board.get(1).speed == 0 and board.get(1).eta is None


def test_totals_cover_the_queue_and_drop_failed_jobs():
    clock = Clock()
    board = ProgressBoard(clock=clock)
    board.track(1, 1000)
    board.track(2, 3000)
    board.track(3, 500)
    clock.advance(1.0)
    board.add(1, 500)
    board.add(2, 1000)
    board.finish(3, done=False)  # failed: no longer part of what is left to send
    totals = board.totals()
    assert (totals.jobs, totals.bytes_sent, totals.total) == (2, 1500, 4000)
    assert totals.speed == pytest.approx(1500)
    assert totals.eta == pytest.approx(2500 / 1500)
    board.finish(1, done=True)
    assert board.totals().finished == 1 and board.totals().bytes_sent == 2000


def test_a_retry_starts_the_job_over():
    clock = Clock()
    board = ProgressBoard(clock=clock)
    board.track(1, 1000)
    clock.advance(1)
    board.add(1, 700)
    board.restart(1)
    assert board.get(1).bytes_sent == 0 and board.get(1).total == 1000


def test_readers_on_another_thread_see_consistent_numbers():
    board = ProgressBoard()
    board.track(1, 10**9)
    stop = threading.Event()

    def writer() -> None:
        while not stop.is_set():
            board.add(1, 4096)

    thread = threading.Thread(target=writer)
    thread.start()
    try:
        readings = []
        for _ in range(200):
            readings.append(board.get(1).bytes_sent)
            board.totals()
    finally:
        stop.set()
        thread.join()
    assert readings == sorted(readings)


def test_back_off_grows_with_jitter_and_honours_retry_after():
    policy = RetryPolicy(base_delay=1.0, max_delay=8.0)
    assert policy.delay(1, rand=lambda: 0.0) == 0.5 and policy.delay(1, rand=lambda: 1.0) == 1.0
    assert policy.delay(3, rand=lambda: 1.0) == 4.0
    assert policy.delay(10, rand=lambda: 1.0) == 8.0  # capped
    assert policy.delay(1, retry_after=2.0, rand=lambda: 1.0) == 2.0  # never sooner than asked
    assert policy.delay(5, retry_after=2.0, rand=lambda: 1.0) == 8.0
    assert RetryPolicy(max_retry_after=60).delay(1, retry_after=10_000, rand=lambda: 0) == 60


def test_gates_close_per_account_and_only_extend():
    clock = Clock()
    gates = AccountGates(clock=clock)
    gates.close_for("a", 2.0)
    gates.close_for("a", 1.0)  # a shorter wait does not shorten the gate
    assert gates.closed() == ["a"] and gates.remaining("a") == 2.0 and gates.remaining("b") == 0
    assert gates.next_reopen() == 2.0
    clock.advance(2.0)
    assert gates.closed() == [] and gates.next_reopen() is None


def test_waiting_at_a_gate_ends_when_it_reopens_or_the_job_stops():
    gates = AccountGates()
    stop = threading.Event()
    gates.close_for("a", 0.2)
    started = time.monotonic()
    assert gates.wait_open("a", stop)
    assert time.monotonic() - started >= 0.19
    gates.close_for("a", 10)
    threading.Timer(0.05, stop.set).start()
    assert not gates.wait_open("a", stop)


def test_bytes_the_server_already_held_move_the_count_without_looking_like_speed():
    clock = Clock()
    board = ProgressBoard(window=5.0, clock=clock)
    board.track(1, 10_000_000)
    board.advance_to(1, 6_000_000)  # learnt from the server: no byte sent
    board.advance_to(1, 2_000_000)  # never backwards
    assert board.get(1).bytes_sent == 6_000_000
    for _ in range(10):  # then 1 MB/s for 1 s
        clock.advance(0.1)
        board.add(1, 100_000)
    assert board.get(1).bytes_sent == 7_000_000
    assert board.get(1).speed == pytest.approx(1_000_000, rel=0.05)
    board.restart(1, start=4_000_000)  # a new pass that goes on from 4 MB
    assert board.get(1).bytes_sent == 4_000_000 and board.get(1).speed == 0
