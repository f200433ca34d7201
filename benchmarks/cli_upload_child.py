"""`attache` as its console script runs it, with awork's blocks in flight and block checksums set
by the benchmark (ATTACHE_BENCH_PARALLEL_BLOCKS, ATTACHE_BENCH_BLOCK_CHECKSUMS): for
bench_cli_upload.py --parallel-blocks N and --block-checksums. Not a benchmark."""

from __future__ import annotations

import os
import sys

from attache.backends.awork import AworkBackend
from attache.cli import main

_init = AworkBackend.__init__


def _with_bench_settings(self, *args, **kwargs):  # type: ignore[no-untyped-def]
    _init(self, *args, **kwargs)
    if "ATTACHE_BENCH_PARALLEL_BLOCKS" in os.environ:
        self.parallel_blocks = int(os.environ["ATTACHE_BENCH_PARALLEL_BLOCKS"])
    if os.environ.get("ATTACHE_BENCH_BLOCK_CHECKSUMS"):
        self.block_checksums = True


AworkBackend.__init__ = _with_bench_settings  # type: ignore[method-assign]

if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
