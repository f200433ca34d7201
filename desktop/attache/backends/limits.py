"""Every answer read within a size cap and a deadline, whatever the server does.

`GuardedTransport` sits under the retry layer of every client (`http.make_client`) and wraps each
answer's body in a `GuardedBody`, so it applies however the body is read (httpx reading it whole,
the retry layer, a download reading it chunk by chunk):

- size: an answer read whole (JSON, a picture) holds at most `MAX_ANSWER_BYTES`, or what the request
  asked for with the `MAX_BODY` extension; counted after decompression (gzip/deflate are decoded
  here, in bounded steps, so a small compressed bomb cannot fill memory). A streamed answer
  (downloads, `STREAMED`) has no cap here: its reader knows the declared size and stops there.
- time to the headers: once the request is sent, the status line and headers must arrive within
  `HEADERS_DEADLINE` seconds, however slowly they trickle (`guard_headers` puts a clock on the
  sockets of an `httpx.HTTPTransport`; the read timeout alone restarts with every byte);
- time: an answer read whole must arrive within `ANSWER_DEADLINE` seconds of its headers, plus a
  second per `SANE_RATE` bytes received (a large picture on a slow line still comes); a streamed
  answer must bring at least `STALL_BYTES` in every `STALL_WINDOW` seconds (a transfer that makes
  progress is never cut off, one dripping a byte a second is). The read timeout still ends an
  answer that sends nothing at all.
Both failures are httpx errors of their own that the retry layer does not retry; `errors`
turns them into a one-line `AttacheError`.
"""

from __future__ import annotations

import threading
import time
import zlib
from collections.abc import Iterable, Iterator
from typing import Any

import httpcore
import httpx

MAX_ANSWER_BYTES = 32 * 1024 * 1024  # a JSON page or error body; far above any real one
ANSWER_DEADLINE = 60.0  # seconds for a whole answer after its headers…
SANE_RATE = 64 * 1024  # …plus one second per this many bytes received
STALL_WINDOW = 60.0  # a streamed answer must bring…
STALL_BYTES = 64 * 1024  # …at least this much in every window (about 1 KB/s)
HEADERS_DEADLINE = 120.0  # seconds from the first byte read to the end of the headers
_STEP = 256 * 1024  # decompressed bytes produced per step

# Request extensions: a streamed answer (its body left to the caller) and a size cap of its own.
STREAMED = "attache.streamed"
MAX_BODY = "attache.max_body"
# Response extension: its body was sent compressed and is decoded here (its byte offsets, and so
# a Range, are not those of the bytes the caller reads).
DECODED = "attache.decoded"


class AnswerTooLarge(httpx.HTTPError):
    def __init__(self, message: str, *, request: httpx.Request, limit: int) -> None:
        super().__init__(message)
        self.request = request
        self.limit = limit


class AnswerTooSlow(httpx.HTTPError):
    """`received` is None while the headers were still coming."""

    def __init__(self, message: str, *, request: httpx.Request, received: int | None, seconds: float) -> None:
        super().__init__(message)
        self.request = request
        self.received = received
        self.seconds = seconds


class GuardedTransport(httpx.BaseTransport):
    """Wraps every answer's body in a `GuardedBody` (see the module)."""

    def __init__(self, inner: httpx.BaseTransport) -> None:
        self._inner = inner

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        _waiting.request, _waiting.started = request, None
        try:
            response = self._inner.handle_request(request)
        finally:
            _waiting.request = None
        streamed = bool(request.extensions.get(STREAMED))
        limit = request.extensions.get(MAX_BODY) or (None if streamed else MAX_ANSWER_BYTES)
        declared = _int(response.headers.get("content-length"))
        encoding = response.headers.get("content-encoding", "").strip().lower()
        if limit is not None and declared is not None and declared > limit and encoding in ("", "identity"):
            response.close()
            raise AnswerTooLarge(f"answer of {declared} bytes, more than {limit}", request=request, limit=limit)
        decode = encoding in ("gzip", "x-gzip", "deflate")
        if decode:  # decoded here, so the cap counts what would land in memory
            del response.headers["content-encoding"]
            response.extensions[DECODED] = True
        assert isinstance(response.stream, httpx.SyncByteStream)
        response.stream = GuardedBody(response.stream, request, limit=limit, streamed=streamed, decode=decode)
        return response

    def close(self) -> None:
        self._inner.close()


class GuardedBody(httpx.SyncByteStream):
    def __init__(
        self, inner: httpx.SyncByteStream, request: httpx.Request, *, limit: int | None, streamed: bool, decode: bool
    ) -> None:
        self._inner = inner
        self._request = request
        self._limit = limit
        self._streamed = streamed
        self._decode = decode
        self._start = time.monotonic()

    def __iter__(self) -> Iterator[bytes]:
        received, window_start, window_received = 0, self._start, 0
        try:
            for chunk in self._decoded() if self._decode else self._inner:
                received += len(chunk)
                now = time.monotonic()
                if self._limit is not None and received > self._limit:
                    raise AnswerTooLarge(
                        f"answer of more than {self._limit} bytes", request=self._request, limit=self._limit
                    )
                if self._streamed:
                    if now - window_start >= STALL_WINDOW:
                        if received - window_received < STALL_BYTES:
                            raise self._too_slow(received - window_received, now - window_start)
                        window_start, window_received = now, received
                elif now - self._start > ANSWER_DEADLINE + received / SANE_RATE:
                    raise self._too_slow(received, now - self._start)
                yield chunk
        except (AnswerTooLarge, AnswerTooSlow):
            self._inner.close()
            raise

    def _too_slow(self, received: int, seconds: float) -> AnswerTooSlow:
        return AnswerTooSlow(
            f"{received} bytes in {seconds:.0f} s", request=self._request, received=received, seconds=seconds
        )

    def _decoded(self) -> Iterator[bytes]:
        decoder = zlib.decompressobj(zlib.MAX_WBITS | 32)  # gzip or zlib, by their headers
        first = True
        for raw in self._inner:
            try:
                data = decoder.decompress(raw, _STEP)
            except zlib.error:
                if not first:
                    raise httpx.DecodingError("invalid compressed body", request=self._request) from None
                decoder = zlib.decompressobj(-zlib.MAX_WBITS)  # "deflate" sent raw, as some servers do
                try:
                    data = decoder.decompress(raw, _STEP)
                except zlib.error:
                    raise httpx.DecodingError("invalid compressed body", request=self._request) from None
            first = False
            yield data
            while decoder.unconsumed_tail:
                yield decoder.decompress(decoder.unconsumed_tail, _STEP)
        yield decoder.flush()

    def close(self) -> None:
        self._inner.close()


# The request this thread is waiting on the headers of (set by GuardedTransport around the send).
_waiting = threading.local()


def guard_headers(transport: httpx.HTTPTransport) -> httpx.HTTPTransport:
    """`transport` with its sockets' reads on the `HEADERS_DEADLINE` clock while headers are due."""
    pool = getattr(transport, "_pool", None)
    backend = getattr(pool, "_network_backend", None)
    if isinstance(backend, httpcore.NetworkBackend) and not isinstance(backend, _ClockedBackend):
        pool._network_backend = _ClockedBackend(backend)  # type: ignore[union-attr]  # httpx has no public hook
    return transport


class _ClockedBackend(httpcore.NetworkBackend):
    def __init__(self, inner: httpcore.NetworkBackend) -> None:
        self._inner = inner

    def connect_tcp(
        self,
        host: str,
        port: int,
        timeout: float | None = None,
        local_address: str | None = None,
        socket_options: Iterable[Any] | None = None,
    ) -> httpcore.NetworkStream:
        return _ClockedStream(self._inner.connect_tcp(host, port, timeout, local_address, socket_options))

    def connect_unix_socket(
        self, path: str, timeout: float | None = None, socket_options: Iterable[Any] | None = None
    ) -> httpcore.NetworkStream:
        return _ClockedStream(self._inner.connect_unix_socket(path, timeout, socket_options))

    def sleep(self, seconds: float) -> None:
        self._inner.sleep(seconds)


class _ClockedStream(httpcore.NetworkStream):
    def __init__(self, inner: httpcore.NetworkStream) -> None:
        self._inner = inner

    def read(self, max_bytes: int, timeout: float | None = None) -> bytes:
        request = getattr(_waiting, "request", None)
        if request is not None:  # the headers are due: the clock runs from the first read
            now = time.monotonic()
            if _waiting.started is None:
                _waiting.started = now
            left = HEADERS_DEADLINE - (now - _waiting.started)
            if left <= 0:  # checked at each read: one that waits is the read timeout's
                raise AnswerTooSlow("headers too slow", request=request, received=None, seconds=now - _waiting.started)
        return self._inner.read(max_bytes, timeout)

    def write(self, buffer: bytes, timeout: float | None = None) -> None:
        self._inner.write(buffer, timeout)

    def close(self) -> None:
        self._inner.close()

    def start_tls(self, *args: Any, **kwargs: Any) -> httpcore.NetworkStream:
        return _ClockedStream(self._inner.start_tls(*args, **kwargs))

    def get_extra_info(self, info: str) -> Any:
        return self._inner.get_extra_info(info)


def _int(value: str | None) -> int | None:
    try:
        return int(value) if value is not None else None
    except ValueError:
        return None
