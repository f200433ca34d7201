"""Answers read within caps and deadlines (backends/limits.py), through a real client stack with a
mock transport for what a loopback server cannot easily produce (a compressed bomb)."""

from __future__ import annotations

import gzip
import zlib

import httpx
import pytest

from attache.backends import paging
from attache.backends.http import default_retry, make_client
from attache.backends.paging import NumberedPaging, PageAnswer
from attache.backends.rest import RestClient, quoted_path
from attache.core.errors import InvalidInputError, ProtocolError, TooLargeError

BASE = "https://api.test/v1"


class Refusing(httpx.SyncByteStream):
    """A body that must never be read."""

    def __iter__(self):
        raise AssertionError("the body was read")


class Chunks(httpx.SyncByteStream):
    """A body as a server sends it, in pieces (httpx reads a `content=` body at once, decoded)."""

    def __init__(self, data: bytes, size: int = 8192) -> None:
        self.data, self.size = data, size

    def __iter__(self):
        for start in range(0, len(self.data), self.size):
            yield self.data[start : start + self.size]


def client_for(handler) -> RestClient:
    client = make_client(BASE, transport=httpx.MockTransport(handler), retry=default_retry(sleeper=lambda s: None))
    rest = RestClient(BASE, account="a", client=client)
    rest._own(client)
    return rest


def test_a_compressed_bomb_is_stopped_at_the_cap_after_decompression():
    bomb = gzip.compress(b"\0" * (20 * 1024 * 1024))  # 20 KB on the wire
    rest = client_for(lambda r: httpx.Response(200, stream=Chunks(bomb), headers={"content-encoding": "gzip"}))
    with rest, pytest.raises(TooLargeError, match=r"larger than 1 MB"):
        rest._send("GET", "image", max_bytes=1024 * 1024)


@pytest.mark.parametrize(
    ("encoding", "encode"),
    [("gzip", gzip.compress), ("deflate", zlib.compress), ("deflate", lambda b: zlib.compress(b)[2:-4])],
)
def test_compressed_answers_within_the_cap_read_as_before(encoding, encode):
    body = b'{"items": [' + b",".join(b'{"id": %d}' % n for n in range(5000)) + b"]}"
    rest = client_for(
        lambda r: httpx.Response(200, stream=Chunks(encode(body)), headers={"content-encoding": encoding})
    )
    with rest:
        assert len(rest._json("GET", "things")["items"]) == 5000


def test_a_declared_length_above_the_cap_is_refused_before_the_body_is_read():
    rest = client_for(lambda r: httpx.Response(200, stream=Refusing(), headers={"content-length": str(64 << 20)}))
    with rest, pytest.raises(TooLargeError, match="larger than 32 MB"):
        rest._send("GET", "projects")


def test_an_unreadable_url_is_a_protocol_error_and_ids_are_quoted_into_paths():
    seen: list[str] = []
    rest = client_for(lambda r: seen.append(r.url.raw_path.decode()) or httpx.Response(200, json=[]))
    with rest:
        rest._json("GET", "tasks/a b?c#d\x1b%/files")
        with pytest.raises(ProtocolError, match=r"Cannot send a request to https://x\.test/\\x00"):
            rest._send("GET", "https://x.test/\x00")
    assert seen == ["/v1/tasks/a%20b%3Fc%23d%1B%25/files"]
    with pytest.raises(InvalidInputError, match="not an address of the API"):
        quoted_path("tasks/../users")


def full_pages(total: int | None, size: int, *, envelope: bool = False):
    calls: list[int] = []

    def fetch(query):
        calls.append(1)
        items = [{"id": "x"}] * size
        if envelope:
            return PageAnswer({"response": items, "total": total})
        return PageAnswer(items, {"total": str(total)} if total is not None else {})

    return fetch, calls


def test_a_total_of_a_billion_stops_at_the_hard_ceiling():
    fetch, calls = full_pages(10**9, 1000)
    pages = NumberedPaging(total_header="total").pages(fetch, 1000, service="Svc")
    with pytest.raises(ProtocolError, match=r"Svc kept sending pages \(250 pages, 250,000 items\)"):
        for _ in pages:
            pass
    assert len(calls) == paging.MAX_LIST_ITEMS // 1000


def test_full_pages_past_a_small_declared_total_stop_at_the_pages_it_needs():
    fetch, calls = full_pages(50, 10, envelope=True)
    # a strategy that (wrongly) never ends at the total: the walk still does
    with pytest.raises(ProtocolError, match="kept sending pages"):
        for _ in paging._walk(
            fetch,
            paging.PageQuery(),
            lambda answer: (answer.body["response"], 50, paging.PageQuery()),
            size=10,
            service="Svc",
        ):
            pass
    assert len(calls) == 7  # 50 / 10 pages, and two more for a list that grew meanwhile


@pytest.mark.parametrize("location", [b"https://sso.test/\x9b2J\x85x", b"http://[::1"])
def test_a_redirect_says_where_to_without_a_raw_control_character(location):
    rest = client_for(lambda r: httpx.Response(302, headers=[(b"location", location)]))
    with rest, pytest.raises(ProtocolError, match="answered with a redirect to ") as caught:
        rest._send("GET", "projects")
    message = str(caught.value)
    assert not any(ord(c) < 0x20 or 0x7F <= ord(c) <= 0x9F for c in message), message
    assert "sso.test" in message or "an address that is not one" in message
