"""The connection state the status bar shows: decided by what requests answered."""

from __future__ import annotations

from attache.app.connection_state import ConnectionState, Phase
from attache.core.errors import AuthenticationError, NotFoundError, ServiceUnavailableError


class Clock:
    def __init__(self) -> None:
        self.now = 100.0

    def __call__(self) -> float:
        return self.now


def test_offline_counts_down_and_backs_off_until_an_answer():
    clock = Clock()
    state = ConnectionState(clock=clock, delays=(5, 10))
    state.connected()
    assert state.describe("awork") == "Connected to awork"
    assert state.failed(ServiceUnavailableError("awork is not available right now"))
    assert state.phase is Phase.OFFLINE
    assert state.describe("awork") == "awork is offline — retrying in 5 s"
    assert not state.failed(ServiceUnavailableError("another request of the same outage"))
    clock.now += 2.5
    assert state.describe("awork") == "awork is offline — retrying in 3 s" and not state.retry_due()
    clock.now += 2.5
    assert state.retry_due()
    state.connecting()
    assert state.describe("awork") == "Reconnecting to awork…"
    state.failed(ServiceUnavailableError("still down"))
    assert state.seconds_left() == 10  # the pause grows
    state.connecting()
    state.failed(ServiceUnavailableError("still down"))
    assert state.seconds_left() == 10  # and stays at the last one
    state.connected()
    state.failed(ServiceUnavailableError("down again"))
    assert state.seconds_left() == 5  # a success starts the count again


def test_a_refused_sign_in_is_signed_out_and_other_failures_prove_the_server_is_there():
    state = ConnectionState(clock=Clock())
    state.connected()
    assert not state.failed(NotFoundError("The task is gone"))
    assert state.phase is Phase.CONNECTED
    state.failed(ServiceUnavailableError("down"))
    assert state.failed(NotFoundError("The task is gone"))  # it answered: it is back
    assert state.phase is Phase.CONNECTED
    assert state.failed(AuthenticationError("The API key was refused"))
    assert state.describe("Work") == "Signed out of Work"
    assert not state.failed(ServiceUnavailableError("down"))  # no countdown can sign in
    assert state.phase is Phase.SIGNED_OUT
