"""`attache` as its console script runs it, with awork's blocks in flight set by the benchmark
(ATTACHE_BENCH_PARALLEL_BLOCKS): for bench_cli_upload.py --parallel-blocks N. Not a benchmark."""

from __future__ import annotations

import os
import sys

from attache.backends.awork import AworkBackend
from attache.cli import main

_init = AworkBackend.__init__


def _with_parallel_blocks(self, *args, **kwargs):  # type: ignore[no-untyped-def]
    _init(self, *args, **kwargs)
    self.parallel_blocks = int(os.environ["ATTACHE_BENCH_PARALLEL_BLOCKS"])


AworkBackend.__init__ = _with_parallel_blocks  # type: ignore[method-assign]

if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
