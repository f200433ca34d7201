"""Turning what httpx gives us into the `AttacheError` a user can act on.

- `error_for_response`: an unsuccessful answer, by what every service means alike (413, 429, 5xx,
  an HTML page where JSON was due, 401) and then by the service's own `ErrorTable`;
- `error_for_exception`: a transport failure (no usable answer);
- `expect_json`: a body that must be JSON, and is not when a proxy or a wrong URL answered.
The (redacted) technical cause is kept in each error's `detail`.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any, TypedDict

import httpx

from attache.backends.http import RetriesStopped, redact, redact_url, server_wait_hint
from attache.backends.limits import AnswerTooLarge, AnswerTooSlow
from attache.core.errors import (
    AttacheError,
    AuthenticationError,
    NetworkError,
    NotFoundError,
    PermissionDeniedError,
    ProtocolError,
    RateLimitedError,
    ServerError,
    ServiceUnavailableError,
    TooLargeError,
)
from attache.core.text import printable


class _Common(TypedDict):
    detail: str
    status: int
    code: str


def host_of(request_or_url: httpx.Request | httpx.URL | str | None) -> str:
    """host[:port] for messages: the part a user can check against their settings."""
    if request_or_url is None:
        return "the server"
    url = request_or_url.url if isinstance(request_or_url, httpx.Request) else httpx.URL(str(request_or_url))
    return url.netloc.decode("ascii", "replace") or "the server"


def _request_of(exc: httpx.HTTPError) -> httpx.Request | None:
    try:
        return exc.request
    except RuntimeError:  # raised when the exception was created without a request
        return None


def error_for_exception(exc: httpx.HTTPError, *, service: str = "the service") -> AttacheError:
    """A transport failure (no usable answer) as a `NetworkError` or `ProtocolError`."""
    request = _request_of(exc)
    host = host_of(request)
    where = f"{request.method} {redact_url(request.url)}: " if request is not None else ""
    detail = redact(f"{where}{type(exc).__name__}: {exc}")
    if isinstance(exc, RetriesStopped):
        return NetworkError(f"Gave up a request to {service}: its account is closing", detail=detail)
    if isinstance(exc, httpx.ConnectTimeout):
        return NetworkError(f"Could not connect to {host}: it did not answer in time", detail=detail)
    if isinstance(exc, httpx.ConnectError):
        return NetworkError(f"Could not connect to {host}: {_connect_reason(exc)}", detail=detail)
    if isinstance(exc, httpx.PoolTimeout):
        return NetworkError(
            f"Too many transfers to {host} at once; gave up waiting for a free connection", detail=detail
        )
    if isinstance(exc, httpx.TimeoutException):
        return NetworkError(f"{host} stopped answering; the request timed out", detail=detail)
    if isinstance(exc, httpx.RemoteProtocolError) and "location header" in str(exc).lower():
        return ProtocolError(f"{host} answered with a redirect to an address that is not one", detail=detail)
    if isinstance(exc, (httpx.RemoteProtocolError, httpx.ReadError, httpx.WriteError, httpx.CloseError)):
        return NetworkError(f"The connection to {host} dropped before the transfer finished", detail=detail)
    if isinstance(exc, httpx.DecodingError):
        return ProtocolError(f"{host} sent a reply {service} could not have sent (undecodable body)", detail=detail)
    if isinstance(exc, AnswerTooLarge):
        return TooLargeError(
            f"{host} sent an answer larger than {_megabytes(exc.limit)}, more than {service} sends here; "
            "stopped reading it",
            limit=exc.limit,
            detail=detail,
        )
    if isinstance(exc, AnswerTooSlow) and exc.received is None:
        return NetworkError(
            f"{host} sent its answer too slowly (its headers were still coming after {exc.seconds:.0f} s); gave up",
            detail=detail,
        )
    if isinstance(exc, AnswerTooSlow):
        return NetworkError(
            f"{host} sent its answer too slowly ({exc.received:,} bytes in {exc.seconds:.0f} s); gave up",
            detail=detail,
        )
    if isinstance(exc, httpx.TooManyRedirects):
        return ProtocolError(f"{host} keeps redirecting; is the URL right?", detail=detail)
    return NetworkError(f"Could not talk to {host}: {type(exc).__name__}", detail=detail)


def _megabytes(size: int) -> str:
    return f"{size / 1024 / 1024:g} MB" if size >= 1024 * 1024 else f"{size:,} bytes"


def invalid_url(exc: httpx.InvalidURL | ValueError, url: str, *, service: str = "the service") -> ProtocolError:
    """An address httpx refuses (control characters, a bad port) built from what a server or a
    user gave: one line, the address shown escaped."""
    return ProtocolError(
        f"Cannot send a request to {printable(redact(url))[:200]}: {exc}", detail=redact(f"{service}: {exc!r}")
    )


def redirected(response: httpx.Response, service: str, *, instead_of: str = "answering") -> ProtocolError:
    """A 3xx answer (never followed: our token would go along): where it pointed, escaped."""
    location = response.headers.get("location", "").strip()
    try:
        target = redact_url(response.url.join(location))
    except (httpx.InvalidURL, ValueError):  # not even a URL: shown as sent
        target = redact(location)
    where = f" to {printable(target)[:300]}" if location else ""
    return ProtocolError(
        f"{host_of(response.request)} answered with a redirect{where} instead of {instead_of}; "
        f"is this {service}'s address?",
        detail=_response_detail(response, "", ""),
        status=response.status_code,
    )


def not_what_service_sends(service: str, where: str, detail: str = "") -> ProtocolError:
    """An answer that parses but has the wrong shape (too deep, numbers where objects are due)."""
    return ProtocolError(f"The answer from {where} is not what {service} sends", detail=redact(detail)[:500])


def decode_json(response: httpx.Response, *, service: str = "the service") -> Any:
    """`response.json()`, with an answer nested too deep for Python (a RecursionError) refused as a
    `ProtocolError`; a body that is not JSON raises `ValueError` as before."""
    try:
        return response.json()
    except RecursionError:
        raise not_what_service_sends(
            service, host_of(response.request), f"JSON nested too deep ({len(response.content)} bytes)"
        ) from None


def _connect_reason(exc: httpx.ConnectError) -> str:
    text = str(exc).lower()
    if "refused" in text:
        return "connection refused"
    if any(s in text for s in ("name or service not known", "nodename nor servname", "getaddrinfo", "no address")):
        return "the server name could not be found"
    if "certificate" in text or "ssl" in text or "tls" in text:
        return "its TLS certificate could not be verified"
    if "unreachable" in text:
        return "the network is unreachable"
    return "the connection failed"


@dataclass(frozen=True, slots=True)
class ErrorRule:
    """What one of a service's error codes or statuses means: the error class and, optionally, the message.

    `message` may name `{service}`, `{description}` (the server's own words), `{code}`, `{status}` and
    `{account}`; without one the message is the server's description.
    """

    error: type[AttacheError]
    message: str = ""

    def build(self, *, service: str, description: str, account: str, **common: Any) -> AttacheError:
        code, status = common.get("code", ""), common.get("status")
        if self.message:
            message = self.message.format(
                service=service, description=description, code=code, status=status, account=account
            )
        else:
            message = description or f"{service} refused the request ({code or status})"
        if issubclass(self.error, AuthenticationError):
            return self.error(message, account=account, **common)
        return self.error(message, **common)


@dataclass(frozen=True)
class ErrorTable:
    """A service's own error meanings: by the code in the error body first, then by HTTP status.

    They apply after what every service means alike (413, 429, 5xx, an HTML page, 401) and before the
    generic 403/404/4xx/5xx messages.
    """

    codes: Mapping[str, ErrorRule] = field(default_factory=dict)
    statuses: Mapping[int, ErrorRule] = field(default_factory=dict)

    def rule_for(self, status: int, code: str) -> ErrorRule | None:
        return (self.codes.get(code) if code else None) or self.statuses.get(status)


NO_RULES = ErrorTable()


def error_for_response(
    response: httpx.Response,
    *,
    service: str = "the service",
    account: str = "",
    not_found: str | None = None,
    table: ErrorTable = NO_RULES,
) -> AttacheError:
    """The `AttacheError` for an unsuccessful response. The body must have been read.

    `not_found` is the message for a 404; `table` holds the service's error codes and statuses
    whose meaning does not follow from the status alone.
    """
    status = response.status_code
    host = host_of(response.request)
    body = parse_error_body(response)
    code = body.get("code", "")
    description = body.get("description", "")
    detail = _response_detail(response, code, description)
    common: _Common = {"detail": detail, "status": status, "code": code}

    if code == "request-body-too-large" or status == 413:
        return TooLargeError(f"The file is larger than {service} accepts here", **common)
    if status == 429:
        wait = server_wait_hint(response.headers)
        return RateLimitedError(
            f"{service} asked us to slow down; trying again in a moment", retry_after=wait, **common
        )
    if status in (502, 503, 504):
        return ServiceUnavailableError(
            f"{service} is not available right now ({host} answered {status}); try again later",
            retry_after=server_wait_hint(response.headers),
            **common,
        )
    if looks_like_html(response) and status in (404, 405):
        return html_instead_of_json(response, service)
    if status == 401:
        who = f" for account '{account}'" if account else ""
        return AuthenticationError(f"{service} rejected the token{who}: sign in again", account=account, **common)
    rule = table.rule_for(status, code)
    if rule is not None:
        return rule.build(service=service, description=description, account=account, **common)
    if status == 403:
        who = f"account '{account}'" if account else "this account"
        reason = f": {description}" if description else ""
        return PermissionDeniedError(f"{service} does not allow {who} to do this{reason}", **common)
    if status == 404:
        return NotFoundError(not_found or f"{service} could not find that{_colon(description)}", **common)
    if 400 <= status < 500:
        return ServerError(f"{service} refused the request{_colon(description) or f' ({status})'}", **common)
    return ServerError(f"{service} failed ({status}){_colon(description)}; try again later", **common)


def _colon(description: str) -> str:
    return f": {description}" if description else ""


def parse_error_body(response: httpx.Response) -> dict[str, str]:
    """`code` and `description` from whichever error shape the service uses, if any."""
    try:
        data = response.json()
    except (ValueError, UnicodeDecodeError, RecursionError):
        return {}
    if isinstance(data, dict) and isinstance(data.get("error"), dict):
        data = {**data, **data["error"]}
    if not isinstance(data, dict):
        return {}
    description = _first_str(
        data, ("description", "message", "Message", "ErrorMessage", "error_description", "detail", "title")
    )
    # awork's generic "The model sent in the request is invalid…" says less than its list.
    problems = [
        redact(str(item["message"]))
        for item in data.get("validationErrors") or ()
        if isinstance(item, dict) and item.get("message")
    ]
    return {
        "code": _first_str(data, ("code", "error", "ErrorType", "errorCode")),
        "description": " ".join(problems) or description,
    }


def _first_str(data: Mapping[str, Any], keys: Iterable[str]) -> str:
    for key in keys:
        value = data.get(key)
        if isinstance(value, str) and value.strip():
            return redact(value.strip())
    return ""


def _response_detail(response: httpx.Response, code: str, description: str) -> str:
    request = response.request
    snippet = "" if (code or description) else response.text[:300]
    parts = [f"{request.method} {redact_url(request.url)} -> {response.status_code}"]
    parts += [p for p in (code, description, snippet.strip()) if p]
    return redact(" | ".join(parts))


def looks_like_html(response: httpx.Response) -> bool:
    if "html" in response.headers.get("content-type", "").lower():
        return True
    start = response.content[:200].lstrip().lower()
    return start.startswith((b"<!doctype html", b"<html"))


def html_instead_of_json(response: httpx.Response, service: str) -> ProtocolError:
    host = host_of(response.request)
    return ProtocolError(
        f"{host} answered with an HTML page instead of {service}'s JSON API — is the URL right?",
        detail=_response_detail(response, "", ""),
        status=response.status_code,
    )


def expect_json(response: httpx.Response, *, service: str = "the service") -> Any:
    """The response's JSON, or a `ProtocolError` when the server sent something else."""
    if looks_like_html(response):
        raise html_instead_of_json(response, service)
    try:
        return decode_json(response, service=service)
    except (ValueError, UnicodeDecodeError) as exc:
        raise ProtocolError(
            f"{host_of(response.request)} answered with something that is not {service}'s JSON; is the URL right?",
            detail=_response_detail(response, "", "") + f" | {exc}",
            status=response.status_code,
        ) from None
