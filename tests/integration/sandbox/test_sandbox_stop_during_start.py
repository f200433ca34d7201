"""A sandbox stopped at any point of its start-up — while seeding its template, while copying
it, while opening its store, while uvicorn comes up — leaves nothing in the temporary folder.

Start-up is made observable with `on_step`: the test holds start-up at a known step, stops it
from another thread there, and checks the result; no timing is involved."""

from __future__ import annotations

import itertools
import tempfile
import threading
from pathlib import Path

import pytest

from attache.sandbox import SandboxServer
from attache.sandbox.common.plugin import StartCancelled

DEADLINE = 60.0
# A seed no other test uses, one per start: each start-up seeds a template of its own.
_fresh_seeds = itertools.count(9_100)


@pytest.fixture
def private_tmp(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    folder = tmp_path / "tmp"
    folder.mkdir()
    monkeypatch.setattr(tempfile, "tempdir", str(folder))
    return folder


class HeldStart:
    """Runs start() in a thread and holds it at the `nth` time it reaches `step` until a stop is requested."""

    def __init__(self, step: str, *, nth: int = 1, **options) -> None:
        self.step, self.nth = step, nth
        self.reached = threading.Event()
        self.steps: list[str] = []
        self.server = SandboxServer(on_step=self._on_step, **options)
        self.outcome: BaseException | None = None
        self.thread = threading.Thread(target=self._run, name="held-start")

    def _on_step(self, step: str) -> None:
        self.steps.append(step)
        if step != self.step or self.reached.is_set() or self.steps.count(step) < self.nth:
            return
        self.reached.set()
        stopped = threading.Event()
        while not self.server.stop_requested and not stopped.wait(0.01):
            pass

    def _run(self) -> None:
        try:
            self.server.start()
        except BaseException as error:  # the test looks at it
            self.outcome = error

    def __enter__(self) -> HeldStart:
        self.thread.start()
        assert self.reached.wait(DEADLINE), f"start-up never reached {self.step!r}"
        return self

    def __exit__(self, *exc: object) -> None:
        self.server.stop()
        self.thread.join(DEADLINE)


def left_behind(folder: Path) -> list[str]:
    return sorted(path.name.rsplit("-", 1)[0] for path in folder.iterdir())


@pytest.mark.parametrize("step", ["data_dir", "seeding", "seeding tasks", "seeded"])
def test_a_stop_while_seeding_removes_everything(private_tmp, step):
    held = HeldStart(step, seed=next(_fresh_seeds))
    with held:
        if step != "data_dir":
            assert left_behind(private_tmp) == ["attache-awork-sandbox", "attache-awork-template"]
        held.server.stop()  # from this thread, while start-up is held in its own
        assert not held.thread.is_alive()
    assert isinstance(held.outcome, StartCancelled), held.outcome
    assert left_behind(private_tmp) == []


@pytest.mark.parametrize("step", ["opening", "listening", "serving"])
def test_a_stop_after_seeding_removes_the_sandbox_and_keeps_the_finished_template(private_tmp, step):
    """A finished template is this process's cache (removed at exit: see test_cli)."""
    held = HeldStart(step, seed=next(_fresh_seeds))
    with held:
        held.server.stop()
    assert isinstance(held.outcome, StartCancelled), held.outcome
    assert left_behind(private_tmp) == ["attache-awork-template"]
    assert not [t for t in threading.enumerate() if t.name.endswith(f"-sandbox:{held.server.port}")]


def test_a_large_seed_is_stopped_in_the_middle(private_tmp):
    """Seeding 100,000 tasks looks for a stop every few thousand rows."""
    held = HeldStart("seeding tasks", nth=3, seed=next(_fresh_seeds), scale=100_000)  # after 10,000 rows
    with held:
        held.server.stop()
    assert isinstance(held.outcome, StartCancelled)
    assert held.steps.count("seeding tasks") == 3 and "seeded" not in held.steps
    assert left_behind(private_tmp) == []


def test_after_a_cancelled_start_the_same_options_start_normally(private_tmp):
    seed = next(_fresh_seeds)
    with HeldStart("seeding tasks", seed=seed):
        pass  # stopped on the way out
    with SandboxServer(seed=seed) as server:
        assert server.workspace_id
    assert left_behind(private_tmp) == ["attache-awork-template"]


def test_a_given_data_dir_is_kept_but_the_template_is_not(private_tmp, tmp_path):
    data_dir = tmp_path / "data"
    with HeldStart("seeding", seed=next(_fresh_seeds), data_dir=data_dir) as held:
        held.server.stop()
    assert isinstance(held.outcome, StartCancelled)
    assert left_behind(private_tmp) == []
