"""The application's identity on the desktop, spelled once.

`APP_ID` is the reverse-DNS id: the desktop file's and the AppStream file's names,
QGuiApplication.setDesktopFileName, and the single-instance socket's name all use it. The
keyring's service name stays "attache" (credentials.py): renaming it would hide every saved
secret, and a migration buys the user nothing.
"""

from __future__ import annotations

APP_ID = "io.github.attache.Attache"
DISTRIBUTION = "attache"


def version() -> str:
    """The application's version: `attache.__version__`, which a test keeps equal to the
    distribution's (pyproject.toml's). Reading the installed metadata instead would import
    importlib.metadata (~20 ms) at every start of the window and of every command."""
    from attache import __version__

    return __version__
