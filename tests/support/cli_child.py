"""The CLI in a test's child process: `python tests/support/cli_child.py ARGS…` runs `attache ARGS…`.

$ATTACHE_TEST_LIMITS ("ANSWER_DEADLINE=1,MAX_LIST_ITEMS=5000") lowers the guards' constants so a
drip or an endless list ends in a second instead of a minute; $ATTACHE_TEST_RSS names a file
that gets the child's peak memory (ru_maxrss, KiB) when it ends.
"""

from __future__ import annotations

import os
import resource
import sys
from pathlib import Path

from attache.backends import limits, paging

for pair in filter(None, os.environ.get("ATTACHE_TEST_LIMITS", "").split(",")):
    name, value = pair.split("=")
    module = paging if name.startswith("MAX_LIST") else limits
    setattr(module, name, type(getattr(module, name))(value))

from attache.cli import main  # noqa: E402 (after the limits are set)

try:
    code = main(sys.argv[1:])
finally:
    if os.environ.get("ATTACHE_TEST_RSS"):
        Path(os.environ["ATTACHE_TEST_RSS"]).write_text(str(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss))
raise SystemExit(code)
