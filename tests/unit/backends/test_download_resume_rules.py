"""When a dropped download may go on from the bytes it kept, and when it must start over
(`backends.resume`), and how its `.part` file counts progress across a restart (`PartFile`)."""

from __future__ import annotations

import pytest

from attache.backends.resume import Resume, Validator, content_range, decide, range_headers
from attache.backends.streams import PartFile

ETAG = '"v1"'
DATE = "Wed, 02 Dec 2026 07:00:00 GMT"
BY_ETAG = Validator(ETAG, DATE, 1000)
BY_DATE = Validator(None, DATE, 1000)


def part(first: int, last: int = 999, total: int | str = 1000, **headers: str) -> dict[str, str]:
    return {"content-range": f"bytes {first}-{last}/{total}", **headers}


def test_the_first_answers_strong_etag_or_else_its_date_and_size_vouch_for_the_kept_bytes():
    assert Validator.of({"etag": ETAG, "last-modified": DATE}, 1000) == BY_ETAG
    assert Validator.of({"etag": 'W/"v1"', "last-modified": DATE}, 1000) == BY_DATE  # weak: not for bytes
    assert range_headers(BY_ETAG, 400) == {"Range": "bytes=400-", "If-Range": ETAG}
    assert range_headers(BY_DATE, 400) == {"Range": "bytes=400-", "If-Range": DATE}
    assert range_headers(Validator(None, DATE, None), 400) == {}  # a date without a size: ask for all
    assert range_headers(Validator(None, None, 1000), 400) == {}
    assert range_headers(BY_ETAG, 0) == range_headers(None, 400) == {}


def test_the_rest_of_the_same_file_is_appended():
    assert decide(BY_ETAG, 400, 206, part(400, etag=ETAG)) is Resume.APPEND
    assert decide(BY_ETAG, 400, 206, part(400)) is Resume.APPEND  # a 206 need not repeat the ETag
    assert decide(BY_DATE, 400, 206, part(400, **{"last-modified": DATE})) is Resume.APPEND
    assert decide(Validator(ETAG, None, None), 400, 206, part(400, total="*")) is Resume.APPEND


@pytest.mark.parametrize(
    ("validator", "headers"),
    [
        (BY_ETAG, part(300)),  # not where the kept bytes end
        (BY_ETAG, part(400, 998)),  # not up to the end
        (BY_ETAG, part(400, 1199, 1200)),  # another size: another file
        (BY_ETAG, part(400, etag='"v2"')),  # another version
        (BY_DATE, part(400, **{"last-modified": "Thu, 03 Dec 2026 07:00:00 GMT"})),
        (BY_DATE, part(400)),  # no date to compare with
        (BY_ETAG, {"content-range": "bytes */1000"}),
        (BY_ETAG, {}),
    ],
)
def test_a_part_of_another_range_size_or_version_is_thrown_away(validator, headers):
    assert decide(validator, 400, 206, headers) is Resume.ASK_AGAIN


def test_a_whole_file_starts_over_and_a_range_refused_asks_again():
    assert decide(BY_ETAG, 400, 200, {"etag": '"v2"'}) is Resume.START_OVER  # changed, or Range ignored
    assert decide(None, 0, 200, {}) is Resume.START_OVER
    assert decide(BY_ETAG, 400, 416, {"content-range": "bytes */300"}) is Resume.ASK_AGAIN
    assert decide(None, 0, 206, part(0)) is Resume.ASK_AGAIN  # a part nobody asked for


def test_content_range_reads_only_what_it_can_vouch_for():
    assert content_range("bytes 0-9/10") == (0, 9, 10)
    assert content_range("bytes 5-9/*") == (5, 9, None)
    assert content_range("bytes 9-5/10") is None
    assert content_range("items 0-9/10") is None
    assert content_range(None) is None


def test_progress_counts_each_byte_once_across_a_resume_and_a_restart(tmp_path):
    seen: list[bytes] = []
    with PartFile(tmp_path / "a.bin") as file:
        file.write([b"abcd", b"ef"], seen.append, expected_size=10)  # then the line dropped
        file.write([b"ghij"], seen.append, expected_size=10)  # resumed: new bytes
        assert b"".join(seen) == b"abcdefghij"
        file.restart()  # the file changed: all again, nothing new to count until past 10 bytes
        file.write([b"ABCDEFGH", b"IJKL"], seen.append, expected_size=12)
        saved = file.finish()
    assert saved.read_bytes() == b"ABCDEFGHIJKL"
    assert [len(chunk) for chunk in seen] == [4, 2, 4, 0, 2]  # empty chunks still let a cancel through
    assert [p.name for p in tmp_path.iterdir()] == ["a.bin"]
