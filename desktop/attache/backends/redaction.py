"""Secrets out of every log record and shown text: tokens, Authorization and app-token headers,
signed-URL signatures (`redact`, `install_redaction`).

Free of httpx on purpose: the window installs redaction with its log before its first paint, and
importing httpx (0.14 s on a 2-core machine, see `attache.backends`) waits until a worker needs it.
`http.redact_url` adds the URL parsing that needs httpx.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Callable
from typing import Any

REDACTED = "[REDACTED]"

# Query/form parameters whose values are secrets. `code` and `token` are common words, so they
# only count right after `?`, `&` or at the start of the text (a query string or form body).
_SECRET_PARAMS = r"access_token|refresh_token|id_token|client_secret|code_verifier|password|api_key|apikey|sig"
_REDACTIONS: list[tuple[re.Pattern[str], str]] = [
    # "Authorization: Bearer x", "'authorization': 'Basic x'", "(b'Authorization', b'Bearer x')"
    (
        re.compile(
            r"""(?i)(\b(?:proxy-)?authorization\b['"]?\s*[:=,]\s*(?:b?['"])?(?:(?:bearer|basic|token|negotiate|soticket)\s+)?)"""
            r"""[^\s'",;)\]}]+"""
        ),
        r"\1" + REDACTED,
    ),
    (re.compile(r"(?i)\b(bearer\s+)[A-Za-z0-9\-._~+/]+=*"), r"\1" + REDACTED),
    # An app token header sent beside a ticket: "SO-AppToken: x", "'so-apptoken': 'x'"
    (re.compile(r"""(?i)(\bso-apptoken\b['"]?\s*[:=,]\s*(?:b?['"])?)[^\s'",;)\]}]+"""), r"\1" + REDACTED),
    (re.compile(rf"(?i)(?<![\w-])((?:{_SECRET_PARAMS})=)[^&\s'\"#<>]+"), r"\1" + REDACTED),
    (re.compile(r"(?i)((?:^|[?&])(?:code|token)=)[^&\s'\"#<>]+"), r"\1" + REDACTED),
    # JSON bodies: "access_token": "…"
    (
        re.compile(rf"""(?i)(["'](?:{_SECRET_PARAMS}|token)["']\s*:\s*["'])[^"']*"""),
        r"\1" + REDACTED,
    ),
]


def redact(text: str) -> str:
    """`text` with every token, Authorization value and URL signature replaced by [REDACTED]."""
    for pattern, replacement in _REDACTIONS:
        text = pattern.sub(replacement, text)
    return text


def redact_record(record: logging.LogRecord) -> logging.LogRecord:
    """Rewrite a record so neither its message, its args nor its traceback holds a secret."""
    try:
        message = record.getMessage()
    except Exception:  # noqa: BLE001 (a broken format string must not hide the record)
        message = f"{record.msg} {record.args!r}"
    record.msg = redact(message)
    record.args = None
    if record.exc_info and not record.exc_text:
        record.exc_text = logging.Formatter().formatException(record.exc_info)
    if record.exc_text:
        record.exc_text = redact(record.exc_text)
    if record.stack_info:
        record.stack_info = redact(record.stack_info)
    return record


class RedactingFilter(logging.Filter):
    """For log handlers (the app's log file): redacts every record passing through."""

    def filter(self, record: logging.LogRecord) -> bool:
        redact_record(record)
        return True


_REDACTING_FILTER = RedactingFilter()
_REDACTED_LOGGER_PREFIXES = frozenset({"httpx", "httpcore", "httpx_retries", "h11", "attache"})


def install_redaction(*handlers: logging.Handler) -> None:
    """Redact every record from the HTTP libraries' loggers and ours, and from `handlers`.

    A filter on a logger only sees records created on that very logger, not on its children
    (`httpcore.http11`, `attache.backends.awork`, some created after this runs). So the records
    are redacted where they are made: a record factory, wrapping whatever factory was set,
    handles every logger under those names. Handlers given here (the app's log file) get the
    filter too, which covers every other library. Safe to call more than once.
    """
    factory = logging.getLogRecordFactory()
    if not getattr(factory, "redacts_attache_secrets", False):
        logging.setLogRecordFactory(_redacting_factory(factory))
    for handler in handlers:
        if not any(isinstance(f, RedactingFilter) for f in handler.filters):
            handler.addFilter(_REDACTING_FILTER)


def _redacting_factory(make_record: Callable[..., logging.LogRecord]) -> Callable[..., logging.LogRecord]:
    def factory(*args: Any, **kwargs: Any) -> logging.LogRecord:
        record = make_record(*args, **kwargs)
        if record.name.split(".", 1)[0] in _REDACTED_LOGGER_PREFIXES:
            redact_record(record)
        return record

    factory.redacts_attache_secrets = True  # type: ignore[attr-defined]
    return factory
