"""Local files in and out: whole or nothing on disk, and nothing sent from a file that changed."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from attache.backends.streams import at_most, open_unchanged, read_chunks, replacing_existing, write_atomically
from attache.core.errors import AttacheError, InvalidInputError, SourceChangedError


def test_write_atomically_replaces_the_target_whole_when_told_and_reports_each_chunk(tmp_path):
    target = tmp_path / "report.pdf"
    target.write_bytes(b"old")
    seen: list[bytes] = []
    with replacing_existing():
        assert write_atomically(target, [b"ab", b"cd"], seen.append) == target
    assert target.read_bytes() == b"abcd" and seen == [b"ab", b"cd"]
    assert [p.name for p in tmp_path.iterdir()] == ["report.pdf"]


def test_a_file_already_there_is_kept_and_the_new_one_numbered(tmp_path):
    target = tmp_path / "report.pdf"
    target.write_bytes(b"old")
    (tmp_path / "report (2).pdf").write_bytes(b"older")
    assert write_atomically(target, [b"new"]) == tmp_path / "report (3).pdf"
    assert write_atomically(target, [b"newer"]) == tmp_path / "report (4).pdf"
    contents = {p.name: p.read_bytes() for p in tmp_path.iterdir()}
    assert contents == {
        "report.pdf": b"old",
        "report (2).pdf": b"older",
        "report (3).pdf": b"new",
        "report (4).pdf": b"newer",
    }


def test_two_downloads_of_one_name_at_once_both_keep_their_file(tmp_path):
    import threading

    target = tmp_path / "same.txt"
    barrier = threading.Barrier(8)
    results: list = []

    def save(number: int) -> None:
        def chunks() -> Iterator[bytes]:
            barrier.wait(timeout=30)  # all writing at once, then all taking the name at once
            yield str(number).encode()

        results.append(write_atomically(target, chunks()))

    threads = [threading.Thread(target=save, args=(n,)) for n in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)
    assert len(set(results)) == 8
    assert sorted(p.read_bytes() for p in results) == [str(n).encode() for n in range(8)]
    assert len(list(tmp_path.iterdir())) == 8


def test_a_body_longer_or_shorter_than_declared_saves_nothing(tmp_path):
    from attache.core.errors import ProtocolError

    read: list[bytes] = []

    def endless() -> Iterator[bytes]:
        while True:
            read.append(b"x" * 10)
            yield b"x" * 10

    with pytest.raises(ProtocolError, match=r"awork sent more than the 25 bytes it declared for a\.bin"):
        write_atomically(tmp_path / "a.bin", endless(), expected_size=25, sender="awork")
    assert len(read) == 3  # stopped at the declared size
    with pytest.raises(ProtocolError, match=r"sent 20 of the 25 bytes"):
        write_atomically(tmp_path / "a.bin", [b"x" * 20], expected_size=25)
    assert list(tmp_path.iterdir()) == []


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
