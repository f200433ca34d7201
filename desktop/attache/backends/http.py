"""The HTTP session every backend shares: timeouts, retries, rate limits, redaction, file names.

- `make_client` builds one `httpx.Client` per account with explicit timeouts, a keep-alive pool,
  our User-Agent, the service's `httpx.Auth` (see `auth`), a retrying transport and, under it,
  the size caps and deadlines of `limits`; it never follows a redirect.
- Retries happen at the transport for idempotent requests only (GET, HEAD, OPTIONS, DELETE, and
  PUT with a replayable body); POSTs are never retried here, the transfer engine reconciles those.
- `install_redaction` scrubs tokens, Authorization and app-token headers and signed-URL signatures
  from every log record of httpx, httpcore, httpx-retries and attache (and of any handler given to
  it); `redact`/`redact_url` do the same for any text we show.
- `filename_from_content_disposition` and `sanitize_filename` name downloaded files safely.
Error mapping lives in `errors`, the REST base on top of all this in `rest`.
"""

from __future__ import annotations

import asyncio
import functools
import logging
import re
import ssl
import threading
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any
from urllib.parse import unquote

import httpx
from httpx_retries import Retry, RetryTransport

from attache import __version__
from attache.backends.auth import BearerAuth, RefreshHook, TokenProvider, is_replayable
from attache.backends.limits import STREAMED, GuardedTransport, guard_headers
from attache.backends.redaction import REDACTED as REDACTED  # re-exported: callers import these from here
from attache.backends.redaction import RedactingFilter as RedactingFilter
from attache.backends.redaction import install_redaction as install_redaction
from attache.backends.redaction import redact as redact
from attache.backends.redaction import redact_record as redact_record
from attache.core.filenames import safe_name

log = logging.getLogger(__name__)

USER_AGENT = f"Attache/{__version__} (+python-httpx)"
DEFAULT_TIMEOUT = httpx.Timeout(connect=10.0, read=60.0, write=60.0, pool=30.0)
DEFAULT_LIMITS = httpx.Limits(max_connections=10, max_keepalive_connections=10, keepalive_expiry=30.0)


# ---------------------------------------------------------------------------- redaction


def redact_url(url: httpx.URL | str) -> str:
    """A URL fit to show or log: secret query values (SAS `sig`, tokens) and userinfo removed."""
    url = httpx.URL(str(url))
    if url.userinfo:
        url = url.copy_with(username=None, password=None)
    return redact(str(url))


# ---------------------------------------------------------------------------- retries

RETRY_STATUSES = (429, 502, 503, 504)
RETRY_METHODS = ("GET", "HEAD", "OPTIONS", "DELETE", "PUT")


class RateLimitAwareRetry(Retry):
    """httpx-retries' policy, plus awork's `RateLimit-Reset` when `Retry-After` is absent.

    The wait before a retry is the server's hint when it gave one (Retry-After, else
    ratelimit-reset / x-ratelimit-reset, in seconds), else jittered exponential back-off; either
    way capped at `max_backoff_wait`. `sleeper` is injectable so tests need not wait.

    `stopped` ends every pause at once (the account is closing, `stop_retrying`): the request
    then fails with `RetriesStopped` instead of waiting out its back-off against a server that
    is down, which would hold the window's quit or the next account for up to ~10 s.
    """

    def __init__(self, *args: Any, sleeper: Callable[[float], None] | None = None, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.sleeper = sleeper
        self.stopped = threading.Event()

    def copy_with(self, **kwargs: Any) -> RateLimitAwareRetry:  # type: ignore[override]  # forwards them all
        # The base class rebuilds from its own arguments only; carry ours over.
        new = super().copy_with(**kwargs)
        assert isinstance(new, RateLimitAwareRetry)
        new.sleeper = self.sleeper
        new.stopped = self.stopped
        return new

    def pause(self, seconds: float) -> None:
        """Wait `seconds` before the next attempt, unless the client stops retrying meanwhile."""
        if self.sleeper is None:
            self.stopped.wait(seconds)
        elif not self.stopped.is_set():
            self.sleeper(seconds)
        if self.stopped.is_set():
            raise RetriesStopped("The request was given up: the connection is closing")

    def seconds_before_retry(self, response: httpx.Response | Exception) -> float:
        hint = None
        if isinstance(response, httpx.Response) and self.respect_retry_after_header:
            hint = server_wait_hint(response.headers, parse_date=self.parse_retry_after)
        if hint is not None and hint > 0:
            seconds = min(hint, self.max_backoff_wait)
        else:
            seconds = self.backoff_strategy() if self.attempts_made > 0 else 0.0
        if self.total_timeout is not None:
            seconds = min(seconds, max(0.0, self.total_timeout - self.elapsed_sleep))
        return seconds

    def sleep(self, response: httpx.Response | Exception) -> None:
        seconds = self.seconds_before_retry(response)
        log.debug("retrying after %.2f s (attempt %d of %d)", seconds, self.attempts_made, self.total)
        self.pause(seconds)
        self.elapsed_sleep += seconds

    async def asleep(self, response: httpx.Response | Exception) -> None:
        seconds = self.seconds_before_retry(response)
        await asyncio.sleep(seconds)
        self.elapsed_sleep += seconds


class RetriesStopped(httpx.TransportError):
    """A retry pause ended early because its client stops retrying (its account is closing)."""


def read_body_unless_streamed(response: httpx.Response) -> None:
    """Read the body inside the retry loop, so a connection dropped mid-body is retried too.

    httpx-retries calls this for every answer it would return; an httpx error raised here
    (RemoteProtocolError, ReadError, ReadTimeout) counts as retryable.
    """
    if not response.request.extensions.get(STREAMED):
        response.read()


def default_retry(*, sleeper: Callable[[float], None] | None = None) -> RateLimitAwareRetry:
    """4 retries, 0.5 s × 2ⁿ back-off (jittered down to half), no single wait over 30 s."""
    return RateLimitAwareRetry(
        total=4,
        backoff_factor=0.5,
        backoff_jitter=0.5,
        max_backoff_wait=30.0,
        allowed_methods=RETRY_METHODS,
        status_forcelist=RETRY_STATUSES,
        validate_response=read_body_unless_streamed,
        sleeper=sleeper,
    )


def quick_retry() -> RateLimitAwareRetry:
    """At most one retry, waiting 3 s at the most: for a check a person is waiting on (sign-in)."""
    return RateLimitAwareRetry(
        total=1,
        backoff_factor=0.3,
        max_backoff_wait=3.0,
        allowed_methods=RETRY_METHODS,
        status_forcelist=RETRY_STATUSES,
        validate_response=read_body_unless_streamed,
    )


def server_wait_hint(headers: Mapping[str, str], *, parse_date: Callable[[str], float] | None = None) -> float | None:
    """Seconds the server asked us to wait: Retry-After (seconds or a date), else RateLimit-Reset."""
    retry_after = headers.get("retry-after", "").strip()
    if retry_after:
        try:
            return (parse_date or Retry().parse_retry_after)(retry_after)
        except ValueError:
            pass
    for name in ("ratelimit-reset", "x-ratelimit-reset"):
        value = headers.get(name, "").strip()
        try:
            return max(0.0, float(value))
        except ValueError:  # absent or not a number
            continue
    return None


def retry_of(client: httpx.Client) -> RateLimitAwareRetry:
    """The retry policy `client` was made with (`make_client`), else the default one: for a loop
    above the transport (a download resuming) that must wait as the transport would."""
    transport = getattr(client, "_transport", None)  # httpx keeps it private; ours is known
    retry = getattr(transport, "retry", None)
    return retry if isinstance(retry, RateLimitAwareRetry) else default_retry()


def stop_retrying(client: httpx.Client) -> None:
    """End the retry pauses of `client`'s requests in flight, and of any later retry (`RetriesStopped`)."""
    retry_of(client).stopped.set()


# A request extension: this request's own retry policy (httpx-retries reads it before its own).
RETRY_EXTENSION = "retry"


class IdempotentRetryTransport(RetryTransport):
    """Retries only what is safe to send twice: never POST, and never a streamed (one-shot) body."""

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        if not is_replayable(request):
            request.extensions[RETRY_EXTENSION] = self.retry.copy_with(total=0)
        return super().handle_request(request)


# ---------------------------------------------------------------------------- the client


def make_client(
    base_url: str = "",
    *,
    auth: httpx.Auth | None = None,
    token_provider: TokenProvider | None = None,
    refresh: RefreshHook | None = None,
    user_agent: str = USER_AGENT,
    timeout: httpx.Timeout = DEFAULT_TIMEOUT,
    limits: httpx.Limits = DEFAULT_LIMITS,
    retry: Retry | None = None,
    transport: httpx.BaseTransport | None = None,
) -> httpx.Client:
    """One client per account. Without `auth` or a token provider it sends no Authorization (blob storage).

    `token_provider` (with its `refresh` hook) is short for `auth=BearerAuth(token_provider, refresh=refresh)`.
    `transport` replaces the network transport under the retry layer (tests use MockTransport).
    """
    if auth is not None and token_provider is not None:
        raise ValueError("give either auth or a token provider, not both")
    install_redaction()
    policy = retry or default_retry()
    if isinstance(policy, RateLimitAwareRetry):
        policy = policy.copy_with()
        policy.stopped = threading.Event()  # this client's own: stopping it stops no other client
    if transport is None:
        transport = guard_headers(httpx.HTTPTransport(limits=limits, verify=_tls_context()))
    inner = GuardedTransport(transport)
    return httpx.Client(
        base_url=base_url,
        auth=auth or (BearerAuth(token_provider, refresh=refresh) if token_provider else None),
        headers={"User-Agent": user_agent},
        timeout=timeout,
        transport=IdempotentRetryTransport(inner, retry=policy),
        follow_redirects=False,
    )


@functools.cache
def _tls_context() -> ssl.SSLContext:
    """The certificate checks every client shares: httpx's default context (certifi's roots, or
    SSL_CERT_FILE/SSL_CERT_DIR), built once per process — loading the roots takes ~40 ms, and an
    upload opens two clients per backend (the API, the blob storage), a command two backends."""
    return httpx.create_ssl_context()


# ---------------------------------------------------------------------------- downloads


def filename_from_content_disposition(header: str | None) -> str | None:
    """The file name a server suggests, preferring RFC 5987 `filename*` over `filename`."""
    if not header:
        return None
    params = _disposition_params(header)
    extended = params.get("filename*")
    if extended:
        charset, _, rest = extended.partition("'")
        _language, _, encoded = rest.partition("'")
        if encoded or rest:
            try:
                return unquote(encoded, encoding=charset or "utf-8", errors="strict")
            except (LookupError, UnicodeDecodeError):
                pass
    return params.get("filename") or None


def _disposition_params(header: str) -> dict[str, str]:
    params: dict[str, str] = {}
    pattern = re.compile(r';\s*([^\s=;]+)\s*=\s*("(?:[^"\\]|\\.)*"|[^;]*)')
    for match in pattern.finditer(header):
        name, value = match.group(1).lower(), match.group(2).strip()
        if value.startswith('"') and value.endswith('"') and len(value) >= 2:
            value = re.sub(r"\\(.)", r"\1", value[1:-1])
        params.setdefault(name, value)
    return params


def sanitize_filename(name: str, *, fallback: str = "download", folder: Path | None = None) -> str:
    """A name safe to create in a folder on any desktop OS (see `attache.core.filenames.safe_name`)."""
    return safe_name(name, fallback=fallback, folder=folder)


install_redaction()
