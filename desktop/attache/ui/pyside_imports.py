"""A cheaper form of the check PySide6 makes of every module imported after it.

PySide6 replaces `__import__` to support its opt-in `from __feature__ import …`; the first time
any module is imported after Qt, it asks whether that module's source mentions "PySide6", and
asks through `inspect.getsource`, which tokenizes the file into the line cache. For the ~140
modules the window imports before its first paint that took 22-26 ms of the 0.2 s its import
takes (and kept every source in memory). Reading the file's bytes gives the same answer.
"""

from __future__ import annotations

import sys
from types import ModuleType

_MARK = "_attache_reads_bytes"


def lighten_feature_checks() -> bool:
    """Install the cheaper check (once; True if it is in place). Anything the check cannot
    read as a plain .py file (a bundle's archive, an extension) goes to PySide's own."""
    feature = sys.modules.get("shibokensupport.feature")
    original = getattr(feature, "_mod_uses_pyside", None)
    if not callable(original):  # None too when PySide has no such module
        return False  # another PySide6 than the ones we know: leave it be
    if getattr(original, _MARK, False):
        return True

    def mentions_pyside(module: ModuleType) -> bool:
        spec = getattr(module, "__spec__", None)
        origin = getattr(spec, "origin", None)
        if not isinstance(origin, str) or not origin.endswith(".py"):
            return bool(original(module))
        try:
            with open(origin, "rb") as source:
                return b"PySide6" in source.read()
        except OSError:
            return bool(original(module))

    setattr(mentions_pyside, _MARK, True)
    feature._mod_uses_pyside = mentions_pyside  # type: ignore[attr-defined]
    return True
