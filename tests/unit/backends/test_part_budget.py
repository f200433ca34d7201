"""The bytes every upload takes for the parts it has in flight: a budget that holds, a wait that
ends when a part is answered, and one that a paused upload leaves at once."""

from __future__ import annotations

import threading

import pytest

from attache.backends.part_budget import PartBudget

KiB = 1024


class Stopped(Exception):
    pass


def never() -> None:
    pass


def test_a_fifth_part_waits_until_one_of_four_is_answered():
    budget = PartBudget(4 * 64 * KiB)
    for _ in range(4):
        budget.take(64 * KiB, never)
    got = threading.Event()

    def fifth() -> None:
        budget.take(64 * KiB, never)
        got.set()

    waiting = threading.Thread(target=fifth)
    waiting.start()
    assert not got.wait(0.3)  # the budget is taken: it waits
    assert budget.lent == 4 * 64 * KiB
    budget.give_back(64 * KiB)
    waiting.join(30)
    assert got.is_set() and budget.lent == 4 * 64 * KiB


def test_a_stopped_upload_leaves_the_wait_with_its_own_error():
    budget = PartBudget(64 * KiB)
    budget.take(64 * KiB, never)
    stop = threading.Event()
    errors: list[BaseException] = []

    def check() -> None:
        if stop.is_set():
            raise Stopped()

    def take() -> None:
        try:
            budget.take(64 * KiB, check)
        except Stopped as exc:
            errors.append(exc)

    waiting = threading.Thread(target=take)
    waiting.start()
    stop.set()
    waiting.join(30)
    assert not waiting.is_alive() and isinstance(errors[0], Stopped)
    assert budget.lent == 64 * KiB  # the stopped one took nothing


def test_parts_of_other_sizes_share_the_budget_and_never_exceed_it():
    budget = PartBudget(256 * KiB)
    budget.take(200 * KiB, never)
    budget.take(56 * KiB, never)  # exactly the budget
    late = threading.Event()
    waiting = threading.Thread(target=lambda: (budget.take(1 * KiB, never), late.set()))
    waiting.start()
    assert not late.wait(0.3)
    budget.give_back(56 * KiB)
    waiting.join(30)
    assert late.is_set() and budget.lent == 201 * KiB


def test_a_part_larger_than_the_budget_goes_alone():
    budget = PartBudget(64 * KiB)
    budget.take(200 * KiB, never)  # nothing else is lent: it goes
    assert budget.lent == 200 * KiB
    small = threading.Event()
    waiting = threading.Thread(target=lambda: (budget.take(8 * KiB, never), small.set()))
    waiting.start()
    assert not small.wait(0.3)  # nothing more while it is out
    budget.give_back(200 * KiB)
    waiting.join(30)
    assert small.is_set() and budget.lent == 8 * KiB


def test_a_size_of_zero_is_refused():
    with pytest.raises(ValueError):
        PartBudget(64 * KiB).take(0, never)
