"""Server text made safe for a terminal: control characters shown, never obeyed.

A name from a server may hold ESC (a terminal's escape sequences: a new window title, a cleared
screen), BEL, CR or a newline (a forged table row), NUL, or a C1 control such as U+009B (CSI, an
escape sequence in one character). `printable` writes every such character in a visible form
(`\\x1b`, `\\n`, `\\u202e`) and leaves all other text, non-ASCII included, as it is.
`json_line` is `json.dumps` for one JSON line whose strings escape the same characters as `\\u` escapes.
"""

from __future__ import annotations

import json
import re
from typing import Any

# C0, DEL and C1; the line and paragraph separators; the bidirectional overrides and isolates,
# which reorder what follows them (a name that shows as "txt.exe" but is "exe.txt").
_CONTROLS = "\x00-\x1f\x7f-\x9f\u2028\u2029\u202a-\u202e\u2066-\u2069"
_CONTROL = re.compile(f"[{_CONTROLS}]")
_NOT_JSON_ESCAPED = re.compile("[\x7f-\x9f\u2028\u2029\u202a-\u202e\u2066-\u2069]")  # json.dumps escapes C0 itself
_NAMED = {"\n": "\\n", "\r": "\\r", "\t": "\\t"}


def _visible(match: re.Match[str]) -> str:
    char = match.group()
    code = ord(char)
    return _NAMED.get(char) or (f"\\x{code:02x}" if code < 0x100 else f"\\u{code:04x}")


def printable(text: object) -> str:
    """`text` with every control character written out, safe to print on a terminal."""
    return _CONTROL.sub(_visible, str(text))


def json_line(data: Any, **options: Any) -> str:
    """One line of JSON, readable non-ASCII, every control character as a `\\u` escape."""
    text = json.dumps(data, ensure_ascii=False, **options)
    # Outside strings JSON is ASCII, so each of these characters is inside a string.
    return _NOT_JSON_ESCAPED.sub(lambda match: f"\\u{ord(match.group()):04x}", text)
