"""When a dropped download may go on from the bytes it kept, and when it must start over
(`backends.resume`), and how its `.part` file counts progress across a restart (`PartFile`)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from attache.backends.http import default_retry, make_client
from attache.backends.rest import RestClient
from attache.backends.resume import KeptDownload, Resume, Validator, content_range, decide, range_headers
from attache.backends.streams import PartFile
from attache.core.errors import NetworkError

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


# ---------------------------------------------------------------------------- the retry loop
# Answers no correct server gives (a 416 for bytes it holds, a part for the wrong range) need a
# scripted transport; the sandboxes' own resumes are in tests/integration/transfers/.

CONTENT = bytes(range(256)) * 4  # 1,024 bytes


class Cut(httpx.SyncByteStream):
    """The first `keep` bytes of `body`, then a dropped connection."""

    def __init__(self, body: bytes, keep: int) -> None:
        self.body, self.keep = body, keep

    def __iter__(self) -> Iterator[bytes]:
        yield self.body[: self.keep]
        raise httpx.ReadError("peer closed connection")


def whole(body: bytes = CONTENT, **headers: str) -> httpx.Response:
    return httpx.Response(200, content=body, headers={"etag": ETAG, **headers})


def dropped(keep: int) -> httpx.Response:
    headers = {"etag": ETAG, "content-length": str(len(CONTENT))}
    return httpx.Response(200, stream=Cut(CONTENT, keep), headers=headers)


def download(answers: list[httpx.Response], tmp_path: Path, expected_size: int | None = len(CONTENT)):
    """Run `RestClient._download` against `answers`, one per request: (path, requests, waits, progress)."""
    requests: list[httpx.Request] = []
    waits: list[float] = []
    progress: list[int] = []

    def handler(request: httpx.Request) -> httpx.Response:
        requests.append(request)
        return answers[len(requests) - 1]

    client = make_client(
        "https://files.test", transport=httpx.MockTransport(handler), retry=default_retry(sleeper=waits.append)
    )
    with RestClient("https://files.test", account="me", client=client) as rest, client:
        path = rest._download(
            "f/1", tmp_path / "f.bin", lambda chunk: progress.append(len(chunk)), expected_size=expected_size
        )
    return path, requests, waits, sum(progress)


def test_a_dropped_download_resumes_from_the_bytes_it_kept(tmp_path):
    rest = httpx.Response(206, content=CONTENT[400:], headers={"etag": ETAG, "content-range": "bytes 400-1023/1024"})
    path, requests, waits, counted = download([dropped(400), rest], tmp_path)
    assert path.read_bytes() == CONTENT and counted == len(CONTENT)
    assert requests[1].headers["range"] == "bytes=400-" and requests[1].headers["if-range"] == ETAG
    assert len(waits) == 1 and 0 < waits[0] <= 30  # the HTTP layer's back-off, once


@pytest.mark.parametrize(
    "answer",
    [
        httpx.Response(416, headers={"content-range": "bytes */1024"}),
        httpx.Response(206, content=CONTENT[300:], headers={"etag": ETAG, "content-range": "bytes 300-1023/1024"}),
        httpx.Response(206, content=CONTENT[400:], headers={"etag": '"v2"', "content-range": "bytes 400-1023/1024"}),
    ],
    ids=["416", "another range", "another version"],
)
def test_an_answer_that_does_not_fit_the_kept_bytes_asks_for_the_whole_file_again(answer, tmp_path):
    path, requests, waits, counted = download([dropped(400), answer, whole()], tmp_path)
    assert path.read_bytes() == CONTENT and counted == len(CONTENT)
    assert "range" not in requests[2].headers and len(waits) == 1  # asked again at once


def test_a_server_ignoring_range_starts_the_part_over(tmp_path):
    changed = bytes(reversed(CONTENT))
    path, _, _, counted = download([dropped(400), whole(changed, etag='"v2"')], tmp_path)
    assert path.read_bytes() == changed and counted == len(CONTENT)  # never a mix, never counted twice


def test_the_servers_retry_after_is_waited_and_the_attempts_are_bounded(tmp_path):
    busy = httpx.Response(503, headers={"retry-after": "7"}, json={})
    path, _, waits, _ = download([busy, whole()], tmp_path)
    assert path.read_bytes() == CONTENT and waits == [7.0]
    with pytest.raises(NetworkError, match="dropped before the transfer finished"):
        download([dropped(100 * n) for n in range(1, 6)], tmp_path)
    assert list(tmp_path.iterdir()) == [tmp_path / "f.bin"]  # the first run's file; no .part left


def test_without_an_etag_or_a_date_nothing_is_resumed(tmp_path):
    bare = httpx.Response(200, stream=Cut(CONTENT, 400), headers={"content-length": str(len(CONTENT))})
    path, requests, _, counted = download([bare, httpx.Response(200, content=CONTENT)], tmp_path)
    assert path.read_bytes() == CONTENT and "range" not in requests[1].headers and counted == len(CONTENT)


def test_a_kept_download_round_trips_through_the_journal_state_and_reopens_its_part(tmp_path: Path):
    saved: list[dict[str, str]] = []
    kept = KeptDownload(tmp_path / ".a.bin.1.part", BY_ETAG, lambda k: saved.append(k.as_state()))
    assert kept.kept_bytes() == 0  # no .part on disk yet
    kept.part.write_bytes(b"x" * 400)  # type: ignore[union-attr]
    again = KeptDownload.from_state(kept.as_state(), lambda k: None)
    assert (again.part, again.validator, again.kept_bytes()) == (kept.part, BY_ETAG, 400)
    assert range_headers(again.validator, again.kept_bytes()) == {"Range": "bytes=400-", "If-Range": ETAG}
    # Without a validator its bytes vouch for nothing: a request asks for the whole file.
    assert KeptDownload.from_state({"part": str(kept.part)}, lambda k: None).kept_bytes() == 0
    reopened = PartFile(tmp_path / "a.bin", path=kept.part)
    reported: list[int] = []
    reopened.write([b"y" * 600], lambda chunk: reported.append(len(chunk)), expected_size=1000)
    assert reopened.size == 1000 and reported == [600]  # the kept bytes are not counted again
    assert reopened.finish() == tmp_path / "a.bin" and (tmp_path / "a.bin").read_bytes() == b"x" * 400 + b"y" * 600
    again.remove()
    assert not kept.part.exists()  # type: ignore[union-attr]
