"""The loopback listener against hostile local clients, over real sockets: callbacks for another
sign-in are turned away, and a connection that sends nothing holds neither the real callback nor close()."""

from __future__ import annotations

import socket
import time
from collections.abc import Iterator
from contextlib import contextmanager
from urllib.parse import urlsplit

import httpx

from attache.backends.oauth import CONNECTION_TIMEOUT, LoopbackReceiver

# Generous bounds that a listener blocked by a stalled client would still miss: the stalled
# connection below stays open for far longer than this.
QUICKLY = CONNECTION_TIMEOUT - 1.0


@contextmanager
def stalled_connection(receiver: LoopbackReceiver) -> Iterator[socket.socket]:
    """A local client that connects and then sends nothing (it is closed at the end, not before)."""
    url = urlsplit(receiver.redirect_uri)
    sock = socket.create_connection((url.hostname or "127.0.0.1", url.port or 80), timeout=30)
    try:
        sock.sendall(b"GET /oauth/call")  # half a request line, then silence
        yield sock
    finally:
        sock.close()


def test_a_stalled_connection_does_not_hold_up_the_real_callback():
    with LoopbackReceiver(state="good") as receiver, stalled_connection(receiver):
        started = time.monotonic()
        page = httpx.get(receiver.redirect_uri, params={"code": "c1", "state": "good"}, timeout=30)
        assert page.status_code == 200 and "Signed in" in page.text
        assert receiver.wait(30) == {"code": "c1", "state": "good"}
        assert time.monotonic() - started < QUICKLY


def test_a_callback_for_another_sign_in_is_refused_and_the_right_one_still_counts():
    with LoopbackReceiver(state="good") as receiver:
        forged = httpx.get(receiver.redirect_uri, params={"code": "evil", "state": "other"}, timeout=10)
        assert forged.status_code == 400 and "Not this sign-in" in forged.text and "Signed in" not in forged.text
        missing = httpx.post(receiver.redirect_uri, data={"code": "evil"}, timeout=10)
        assert missing.status_code == 400
        assert receiver.params is None  # still waiting

        page = httpx.get(receiver.redirect_uri, params={"code": "right", "state": "good"}, timeout=10)
        assert page.status_code == 200 and "Signed in" in page.text
        assert receiver.wait(10)["code"] == "right"


def test_a_later_callback_does_not_overwrite_the_first_good_one():
    with LoopbackReceiver(state="good") as receiver:
        httpx.get(receiver.redirect_uri, params={"code": "first", "state": "good"}, timeout=10)
        httpx.get(receiver.redirect_uri, params={"code": "second", "state": "good"}, timeout=10)
        httpx.get(receiver.redirect_uri, params={"code": "third", "state": "bad"}, timeout=10)
        assert receiver.wait(10)["code"] == "first"


def test_close_returns_promptly_with_a_stalled_connection_open():
    receiver = LoopbackReceiver(state="good")
    with stalled_connection(receiver):
        started = time.monotonic()
        receiver.close()
        assert time.monotonic() - started < QUICKLY
    # and the port no longer answers
    port = urlsplit(receiver.redirect_uri).port
    try:
        socket.create_connection(("127.0.0.1", port or 0), timeout=5).close()
        refused = False
    except OSError:
        refused = True
    assert refused


def test_a_fresh_receiver_makes_its_own_unguessable_state():
    with LoopbackReceiver() as one, LoopbackReceiver() as two:
        assert len(one.state) >= 32 and one.state != two.state
