"""The memory every upload borrows for the parts it has in flight: a budget that holds, buffers
made once and lent again, a wait that a paused upload leaves at once."""

from __future__ import annotations

import threading

import pytest

from attache.backends.part_buffers import PartBuffers

KiB = 1024


class Stopped(Exception):
    pass


def never() -> None:
    pass


def test_a_fifth_part_waits_until_one_of_four_is_answered_and_gets_its_buffer():
    buffers = PartBuffers(4 * 64 * KiB)
    lent = [buffers.take(64 * KiB, never) for _ in range(4)]
    got: list[memoryview] = []
    waiting = threading.Thread(target=lambda: got.append(buffers.take(64 * KiB, never)))
    waiting.start()
    waiting.join(0.3)
    assert waiting.is_alive() and not got  # the budget is taken: it waits
    first = lent[0].obj
    buffers.give_back(lent.pop(0))
    waiting.join(30)
    assert not waiting.is_alive() and got[0].obj is first  # the same memory, lent again
    assert buffers.held == 4 * 64 * KiB


def test_a_stopped_upload_leaves_the_wait_with_its_own_error():
    buffers = PartBuffers(64 * KiB)
    buffers.take(64 * KiB, never)
    stop = threading.Event()
    errors: list[BaseException] = []

    def check() -> None:
        if stop.is_set():
            raise Stopped()

    def take() -> None:
        try:
            buffers.take(64 * KiB, check)
        except Stopped as exc:
            errors.append(exc)

    waiting = threading.Thread(target=take)
    waiting.start()
    stop.set()
    waiting.join(30)
    assert not waiting.is_alive() and isinstance(errors[0], Stopped)


def test_parts_of_other_sizes_never_hold_more_than_the_budget():
    buffers = PartBuffers(256 * KiB)
    for size in (64 * KiB, 100 * KiB, 30 * KiB, 64 * KiB, 200 * KiB, 1 * KiB, 256 * KiB):
        view = buffers.take(size, never)
        assert len(view) == size
        assert buffers.held <= 256 * KiB
        buffers.give_back(view)
        assert buffers.held <= 256 * KiB


def test_a_part_larger_than_the_budget_goes_alone():
    buffers = PartBuffers(64 * KiB)
    view = buffers.take(200 * KiB, never)
    assert len(view) == 200 * KiB
    buffers.give_back(view)
    small = buffers.take(8 * KiB, never)  # the large buffer is dropped to bring memory back within budget
    assert buffers.held == 8 * KiB
    buffers.give_back(small)


def test_a_size_of_zero_is_refused():
    with pytest.raises(ValueError):
        PartBuffers(64 * KiB).take(0, never)
