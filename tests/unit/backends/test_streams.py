"""Local files in and out: whole or nothing on disk, and nothing sent from a file that changed."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from attache.backends.streams import at_most, open_unchanged, read_chunks, write_atomically
from attache.core.errors import AttacheError, InvalidInputError, SourceChangedError


def test_write_atomically_replaces_the_target_whole_and_reports_each_chunk(tmp_path):
    target = tmp_path / "report.pdf"
    target.write_bytes(b"old")
    seen: list[bytes] = []
    write_atomically(target, [b"ab", b"cd"], seen.append)
    assert target.read_bytes() == b"abcd" and seen == [b"ab", b"cd"]
    assert [p.name for p in tmp_path.iterdir()] == ["report.pdf"]


def test_a_failed_write_leaves_the_old_file_and_no_part_file(tmp_path):
    target = tmp_path / "report.pdf"
    target.write_bytes(b"old")

    def dropped() -> Iterator[bytes]:
        yield b"new"
        raise RuntimeError("gone")

    with pytest.raises(RuntimeError):
        write_atomically(target, dropped())
    assert target.read_bytes() == b"old" and [p.name for p in tmp_path.iterdir()] == ["report.pdf"]


def test_a_folder_that_cannot_be_written_is_an_error_a_user_can_act_on(tmp_path):
    with pytest.raises(AttacheError, match=r"Could not save x\.bin"):
        write_atomically(tmp_path / "missing" / "x.bin", [b"x"])


def test_a_folder_as_target_is_refused(tmp_path):
    with pytest.raises(InvalidInputError, match="is a folder"):
        write_atomically(tmp_path, [b"x"])


def test_read_chunks_sends_exactly_the_queued_size(tmp_path):
    source = tmp_path / "a.bin"
    source.write_bytes(b"x" * 10)
    with open_unchanged(source, 10) as stream:
        assert b"".join(read_chunks(stream, 10, None, source, chunk_size=4)) == b"x" * 10


def test_a_file_that_changed_or_vanished_after_queueing_is_refused(tmp_path):
    source = tmp_path / "a.bin"
    source.write_bytes(b"x" * 10)
    with pytest.raises(SourceChangedError, match="changed after it was queued"), open_unchanged(source, 9):
        pass
    source.unlink()
    with pytest.raises(SourceChangedError, match="moved or deleted"), open_unchanged(source, 10):
        pass


def test_at_most_gives_up_on_a_large_answer():
    assert at_most([b"ab", b"cd"], 4) == b"abcd"
    assert at_most([b"ab", b"cd", b"e"], 4) is None
