"""`attache-gui`: the window without a console (a [project.gui-scripts] entry, for Windows);
it takes what `attache` takes, files to open included."""

from __future__ import annotations

import sys


def main() -> int:
    from attache.cli import main as cli_main

    return cli_main(sys.argv[1:])


if __name__ == "__main__":
    raise SystemExit(main())
