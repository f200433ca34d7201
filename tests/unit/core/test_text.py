"""Server text on a terminal: control characters are shown, never obeyed."""

from __future__ import annotations

import json

import pytest

from attache.core.text import json_line, printable

HOSTILE = [
    "\x1b]0;pwned\x07Project",  # sets the terminal's title
    "Task\nforged\trow",  # forges a table row
    "nul\x00byte\rback",
    "csi\x9b31mred",  # C1 CSI
    "del\x7fnel\x85",
    "txt\u202eexe.bat",  # right-to-left override
    "line\u2028separator",
]


@pytest.mark.parametrize("name", HOSTILE)
def test_printable_leaves_no_control_character(name: str) -> None:
    shown = printable(name)
    assert not any(ord(c) < 0x20 or 0x7F <= ord(c) <= 0x9F or c in "\u202e\u2028" for c in shown)


def test_printable_shows_what_was_there_and_keeps_other_text() -> None:
    assert printable("\x1b]0;t\x07") == "\\x1b]0;t\\x07"
    assert printable("a\nb\tc\rd") == "a\\nb\\tc\\rd"
    assert printable("\x9b\x00\u202e") == "\\x9b\\x00\\u202e"
    assert printable("Café Straße 東京 🚀 C:\\Users") == "Café Straße 東京 🚀 C:\\Users"


@pytest.mark.parametrize("name", HOSTILE)
def test_json_line_escapes_controls_and_reads_back(name: str) -> None:
    line = json_line({"name": name, "other": "Café 東京"})
    assert not any(ord(c) < 0x20 or 0x7F <= ord(c) <= 0x9F or c in "\u202e\u2028" for c in line)
    assert "Café 東京" in line
    assert json.loads(line) == {"name": name, "other": "Café 東京"}
