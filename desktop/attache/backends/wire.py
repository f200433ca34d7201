"""Small readers for values in services' JSON that every backend meets alike."""

from __future__ import annotations

from datetime import UTC, datetime


def parse_datetime(text: str | None) -> datetime | None:
    """An ISO 8601 date-time (any number of fraction digits, `Z` or an offset); naive ones are UTC;
    None when absent or unreadable."""
    if not text:
        return None
    try:
        value = datetime.fromisoformat(text)
    except ValueError:
        return None
    return value if value.tzinfo else value.replace(tzinfo=UTC)
