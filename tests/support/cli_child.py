"""The CLI in a test's child process: `python tests/support/cli_child.py ARGS…` runs `attache ARGS…`.

$ATTACHE_TEST_LIMITS ("ANSWER_DEADLINE=1,MAX_LIST_ITEMS=5000,DOWNLOAD_ATTEMPTS=2") lowers the
guards' constants so a drip or an endless list ends in a second instead of a minute; $ATTACHE_TEST_RSS names a file
that gets the child's peak memory (KiB) when it ends: VmHWM, the peak of this program alone
(ru_maxrss would start at the parent's peak, which Linux carries over into a forked child).
"""

from __future__ import annotations

import os
import resource
import sys
from pathlib import Path

from attache.backends import limits, paging, resume

for pair in filter(None, os.environ.get("ATTACHE_TEST_LIMITS", "").split(",")):
    name, value = pair.split("=")
    module = paging if name.startswith("MAX_LIST") else resume if name.startswith("DOWNLOAD_") else limits
    setattr(module, name, type(getattr(module, name))(value))

from attache.cli import main  # noqa: E402 (after the limits are set)


def peak_kib() -> int:
    try:
        status = Path("/proc/self/status").read_text()
    except OSError:
        return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return next(int(line.split()[1]) for line in status.splitlines() if line.startswith("VmHWM:"))


try:
    code = main(sys.argv[1:])
finally:
    if os.environ.get("ATTACHE_TEST_RSS"):
        Path(os.environ["ATTACHE_TEST_RSS"]).write_text(str(peak_kib()))
raise SystemExit(code)
