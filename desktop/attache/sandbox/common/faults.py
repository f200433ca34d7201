"""Bad days on demand: rate limits, outages, dropped connections and slow answers.

`FaultPlan` says how often and which; `FaultMiddleware` (outermost ASGI layer, over the API
and any blob endpoint, never over the sandbox's own `/_sandbox` routes) decides per request
whether and which fault to inject, and keeps a log of every request with its timing, so tests
can check retry spacing and concurrency. What a rate limit or an outage looks like on the wire
(status, headers, body) is the service's: its plug-in gives `FaultShapes`.

Kinds:
- "429": the service's rate limit (whatever status and headers it uses for one).
- "503": a gateway outage, as the service reports one.
- "drop_before": the connection is cut while the request body is read, before any effect.
- "drop_after": the request is handled completely (its effect is committed), then the
  response is cut half-way through its body (or before its first byte when it has none) —
  the case where a client must find out whether its request already happened.
- "drop": either of the two at random.
- "slow": wait 0.5–2 s before handling.
"""

from __future__ import annotations

import asyncio
import random
import re
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, Protocol

KINDS = ("429", "503", "drop", "drop_before", "drop_after", "slow")
CONTROL_PREFIX = "/_sandbox"


@dataclass(frozen=True, slots=True)
class CannedResponse:
    """A whole answer sent instead of the app's."""

    status: int
    body: bytes
    headers: tuple[tuple[str, str], ...] = ()
    content_type: str = "application/json; charset=utf-8"


class FaultShapes(Protocol):
    """How a service answers when it rate-limits or is down; `retry_after` is the header's text."""

    def rate_limited(self, retry_after: str) -> CannedResponse: ...

    def unavailable(self, retry_after: str) -> CannedResponse: ...


@dataclass(frozen=True, slots=True)
class FaultPlan:
    rate: float
    kinds: tuple[str, ...] = ("429", "503", "drop", "slow")
    retry_after: float = 1.0
    seed: int | None = None
    # Only requests whose "METHOD /path" matches this regex (case-insensitive) get faults.
    match: str | None = None
    # Stop injecting after this many faults (None: never stop).
    max_faults: int | None = None
    slow_range: tuple[float, float] = (0.5, 2.0)

    def __post_init__(self) -> None:
        if not 0.0 <= self.rate <= 1.0:
            raise ValueError("rate must be between 0 and 1")
        unknown = set(self.kinds) - set(KINDS)
        if unknown or not self.kinds:
            raise ValueError(f"unknown fault kinds {sorted(unknown)}; choose from {KINDS}")


@dataclass(slots=True)
class RequestRecord:
    method: str
    path: str
    query: str
    start: float  # time.monotonic()
    end: float | None = None
    status: int | None = None  # what the handler answered (None when it never did)
    fault: str | None = None
    # The request's conditional and range headers and Content-MD5 (lower-case names): what a resumed
    # download asked for, what checksum a block carried.
    headers: dict[str, str] = field(default_factory=dict)
    body_bytes: int = 0  # bytes of the answer's body that left the server (a cut one: what got out)


class RequestLog:
    """Thread-safe: written by the server's loop, read by tests in other threads."""

    def __init__(self) -> None:
        self._lock = threading.Condition()
        self._records: list[RequestRecord] = []
        self.in_flight = 0
        self.max_in_flight = 0

    def begin(self, method: str, path: str, query: str, headers: dict[str, str] | None = None) -> RequestRecord:
        record = RequestRecord(method, path, query, time.monotonic(), headers=headers or {})
        with self._lock:
            self._records.append(record)
            self.in_flight += 1
            self.max_in_flight = max(self.max_in_flight, self.in_flight)
            self._lock.notify_all()
        return record

    def end(self, record: RequestRecord) -> None:
        with self._lock:
            if record.end is None:
                record.end = time.monotonic()
                self.in_flight -= 1
                self._lock.notify_all()

    def records(self) -> list[RequestRecord]:
        with self._lock:
            return list(self._records)

    def wait_for(self, seen: Callable[[list[RequestRecord]], bool], timeout: float) -> bool:
        """Block until `seen(records)` holds. A client killed mid-request leaves bytes the
        server's loop has not read yet, so what it did reaches the log a moment after it died."""
        with self._lock:
            return self._lock.wait_for(lambda: seen(list(self._records)), timeout)

    def clear(self) -> None:
        with self._lock:
            self._records.clear()
            self.max_in_flight = self.in_flight


@dataclass(slots=True)
class _PlanState:
    plan: FaultPlan
    rng: random.Random
    injected: int = 0
    pattern: re.Pattern[str] | None = field(default=None)


class _Cut(Exception):
    """Raised into the app to stop it after its response was cut off."""


def retry_after_text(value: float) -> str:
    # Retry-After is whole seconds in HTTP; fractions are kept so fast tests can use 0.2 s.
    return str(int(value)) if float(value).is_integer() else f"{value:.3f}".rstrip("0")


class FaultMiddleware:
    def __init__(self, app: Any, log: RequestLog, shapes: FaultShapes) -> None:
        self.app = app
        self.log = log
        self.shapes = shapes
        self._lock = threading.Lock()
        self._state: _PlanState | None = None

    def set_plan(self, plan: FaultPlan | None) -> None:
        with self._lock:
            if plan is None:
                self._state = None
            else:
                pattern = re.compile(plan.match, re.IGNORECASE) if plan.match else None
                self._state = _PlanState(plan, random.Random(plan.seed), pattern=pattern)

    @property
    def plan(self) -> FaultPlan | None:
        with self._lock:
            return self._state.plan if self._state else None

    def _decide(self, method: str, path: str) -> tuple[str | None, FaultPlan | None, float]:
        with self._lock:
            state = self._state
            if state is None:
                return None, None, 0.0
            plan = state.plan
            if state.pattern and not state.pattern.search(f"{method} {path}"):
                return None, plan, 0.0
            if plan.max_faults is not None and state.injected >= plan.max_faults:
                return None, plan, 0.0
            if state.rng.random() >= plan.rate:
                return None, plan, 0.0
            kind = state.rng.choice(plan.kinds)
            if kind == "drop":
                kind = state.rng.choice(("drop_before", "drop_after"))
            state.injected += 1
            return kind, plan, state.rng.uniform(*plan.slow_range)

    async def __call__(self, scope: dict, receive: Any, send: Any) -> None:
        if scope["type"] != "http" or scope["path"].startswith(CONTROL_PREFIX):
            await self.app(scope, receive, send)
            return
        record = self.log.begin(
            scope["method"], scope["path"], scope.get("query_string", b"").decode("latin-1"), _recorded_headers(scope)
        )
        kind, plan, delay = self._decide(scope["method"], scope["path"])
        record.fault = kind

        async def logged_send(message: dict) -> None:
            if message["type"] == "http.response.start":
                record.status = message["status"]
            else:
                record.body_bytes += len(message.get("body", b""))
            if message["type"] == "http.response.body" and not message.get("more_body", False):
                # Close the record before the last byte leaves: a client that has its answer
                # must find the request finished in the log.
                self.log.end(record)
            await send(message)

        try:
            if kind in ("429", "503"):
                wait = retry_after_text(plan.retry_after)  # type: ignore[union-attr]
                shape = self.shapes.rate_limited if kind == "429" else self.shapes.unavailable
                await send_canned(logged_send, shape(wait))
            elif kind == "drop_before":
                await _drop_before(scope, receive)
            elif kind == "drop_after":
                await self._drop_after(scope, receive, send, record)
            else:
                if kind == "slow":
                    await asyncio.sleep(delay)
                await self.app(scope, receive, logged_send)
        finally:
            self.log.end(record)

    async def _drop_after(self, scope: dict, receive: Any, send: Any, record: RequestRecord) -> None:
        """Let the app answer, pass on the first half of its body (by Content-Length, across as
        many body messages as that takes), then cut the connection."""
        held: dict | None = None
        half = 0

        async def cutting_send(message: dict) -> None:
            nonlocal held, half
            if message["type"] == "http.response.start":
                record.status = message["status"]
                held, half = message, (_content_length(message) or 0) // 2
                return
            body = message.get("body", b"")
            if not body and message.get("more_body", False):
                return
            if held is not None and body and half >= 1:
                if record.body_bytes == 0:
                    await send(held)
                part = body[: half - record.body_bytes]
                record.body_bytes += len(part)
                await send({"type": "http.response.body", "body": part, "more_body": True})
                if record.body_bytes < half and message.get("more_body", False):
                    return  # not half-way yet
            await _abort(receive)
            raise _Cut

        try:
            await self.app(scope, receive, cutting_send)
        except _Cut:
            return
        await _abort(receive)  # the app ended without a body message


# Request headers the log keeps (never credentials): what range and conditional requests send.
_RECORDED_HEADERS = frozenset(
    {"range", "if-range", "if-match", "if-none-match", "if-modified-since", "accept", "content-md5"}
)


def _recorded_headers(scope: dict) -> dict[str, str]:
    return {
        name.decode("latin-1").lower(): value.decode("latin-1")
        for name, value in scope.get("headers", [])
        if name.decode("latin-1").lower() in _RECORDED_HEADERS
    }


def _content_length(start: dict | None) -> int | None:
    for name, value in (start or {}).get("headers", []):
        if name.lower() == b"content-length":
            return int(value)
    return None


async def _abort(receive: Any) -> None:
    """Cut the TCP connection without a (complete) response.

    ASGI has no message for this. uvicorn's receive() is a bound method of the request cycle,
    which holds the transport: closing it is exactly a dropped connection. We then wait until
    uvicorn has noticed, so it does not try to answer 500 on a closed socket."""
    cycle = getattr(receive, "__self__", None)
    transport = getattr(cycle, "transport", None)
    if transport is None:
        raise _Cut  # another server: an exception is the closest thing (it may answer 500)
    transport.close()
    for _ in range(100):
        if getattr(cycle, "disconnected", True):
            return
        await asyncio.sleep(0.005)


async def _drop_before(scope: dict, receive: Any) -> None:
    headers = dict(scope.get("headers", []))
    if headers.get(b"content-length", b"0") != b"0" or b"transfer-encoding" in headers:
        await receive()  # the first piece of the body arrives, then the line goes dead
    await _abort(receive)


async def send_canned(send: Any, response: CannedResponse) -> None:
    headers = [(k.lower().encode(), v.encode()) for k, v in response.headers]
    headers += [
        (b"content-type", response.content_type.encode()),
        (b"content-length", str(len(response.body)).encode()),
    ]
    await send({"type": "http.response.start", "status": response.status, "headers": headers})
    await send({"type": "http.response.body", "body": response.body, "more_body": False})
