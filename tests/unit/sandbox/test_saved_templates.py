"""A sandbox's seeded demo data is kept between processes, so `attache --sandbox` started again
copies it instead of drawing its pictures anew; a big (benchmark) one is not kept."""

from __future__ import annotations

from pathlib import Path

import pytest

from attache.sandbox.common import templates


@pytest.fixture
def new_process(monkeypatch: pytest.MonkeyPatch):
    """Forget this process's templates, as a new process starts without them."""

    def forget() -> None:
        templates.wait_for_saves()  # the first process's copy is in the cache folder
        monkeypatch.setattr(templates, "_templates", {})

    forget()
    return forget


def _seeder(calls: list[Path], text: str = "seeded"):
    def seed_into(folder: Path) -> None:
        calls.append(folder)
        (folder / "data.txt").write_text(text)
        (folder / "blobs").mkdir()
        (folder / "blobs" / "one").write_bytes(b"\x00picture")

    return seed_into


def test_a_second_process_copies_the_template_the_first_seeded(tmp_path: Path, new_process) -> None:
    calls: list[Path] = []
    templates.clone_seeded(tmp_path / "first", ("demo", 1), _seeder(calls), prefix="t-")
    new_process()
    templates.clone_seeded(tmp_path / "second", ("demo", 1), _seeder(calls, "seeded again"), prefix="t-")

    assert len(calls) == 1
    assert (tmp_path / "second" / "data.txt").read_text() == "seeded"
    assert (tmp_path / "second" / "blobs" / "one").read_bytes() == b"\x00picture"
    templates.wait_for_saves()
    assert not [p for p in templates.saved_templates().iterdir() if p.name.startswith(".partial-")]


def test_another_key_seeds_its_own(tmp_path: Path, new_process) -> None:
    calls: list[Path] = []
    templates.clone_seeded(tmp_path / "a", ("demo", 1), _seeder(calls), prefix="t-")
    new_process()
    templates.clone_seeded(tmp_path / "b", ("demo", 2), _seeder(calls, "seed 2"), prefix="t-")

    assert len(calls) == 2
    assert (tmp_path / "b" / "data.txt").read_text() == "seed 2"


def test_a_big_template_is_not_kept(tmp_path: Path, new_process, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(templates, "KEEP_ON_DISK_BYTES", 4)
    calls: list[Path] = []
    templates.clone_seeded(tmp_path / "a", ("big",), _seeder(calls), prefix="t-")
    new_process()
    templates.clone_seeded(tmp_path / "b", ("big",), _seeder(calls), prefix="t-")

    assert len(calls) == 2


def test_only_the_newest_few_are_kept(tmp_path: Path, new_process) -> None:
    for n in range(templates.KEEP_ON_DISK + 3):
        new_process()
        templates.clone_seeded(tmp_path / str(n), ("demo", n), _seeder([]), prefix="t-")
    templates.wait_for_saves()

    assert len(list(templates.saved_templates().iterdir())) == templates.KEEP_ON_DISK
