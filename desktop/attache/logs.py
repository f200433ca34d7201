"""The app's log: a rotating file in the log directory, with every secret redacted.

Redaction is installed before any handler sees a record, so neither the file nor a terminal
ever shows an Authorization header, a token, an API key, an authorization code or a SAS
signature (see backends/redaction.py); the message is then written with its control characters escaped.
"""

from __future__ import annotations

import logging
import logging.handlers

from attache.backends.redaction import install_redaction
from attache.core.paths import app_dirs
from attache.core.text import printable

LOG_FILE = "attache.log"
_FORMAT = "%(asctime)s %(levelname)s %(name)s [%(threadName)s] %(message)s"


class EscapingFormatter(logging.Formatter):
    """Writes a record's message with its control characters escaped (`core.text.printable`): a
    server's text in a log line (a name, a URL, an error) can neither forge a line nor send a
    terminal an escape sequence. Redaction has already happened when the record was made."""

    def formatMessage(self, record: logging.LogRecord) -> str:
        message = record.message
        record.message = printable(message)
        try:
            return super().formatMessage(record)
        finally:
            record.message = message


def configure_logging(*, verbose: bool = False, echo: bool = False) -> logging.Handler:
    """Log INFO and above to the rotating file (DEBUG with `verbose`); returns its handler.

    `echo` also writes the records to stderr (the window: a terminal that started it shows what
    happens); the CLI keeps stderr for its own messages."""
    directory = app_dirs().log
    directory.mkdir(parents=True, exist_ok=True)
    handler = logging.handlers.RotatingFileHandler(
        directory / LOG_FILE, maxBytes=2_000_000, backupCount=3, encoding="utf-8", delay=True
    )
    handler.setFormatter(EscapingFormatter(_FORMAT))
    install_redaction(handler)
    root = logging.getLogger()
    root.addHandler(handler)
    if echo:
        terminal = logging.StreamHandler()
        terminal.setFormatter(EscapingFormatter("%(asctime)s %(levelname)s %(name)s: %(message)s"))
        install_redaction(terminal)
        root.addHandler(terminal)
    root.setLevel(logging.DEBUG if verbose else logging.INFO)
    # httpx logs every request at INFO: useful in the file, noise at the default level.
    logging.getLogger("httpx").setLevel(logging.DEBUG if verbose else logging.WARNING)
    logging.getLogger("httpcore").setLevel(logging.DEBUG if verbose else logging.WARNING)
    return handler
