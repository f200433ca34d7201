"""A reader that stops early (`attache ls … | head`) ends the command quietly, as Unix tools do."""

from __future__ import annotations

import os
import subprocess
import sys


def test_a_closed_pipe_ends_the_listing_without_a_traceback(make_awork_sandbox) -> None:
    # 3,000 tasks print far more than a pipe holds (64 KiB), so the writer surely meets the closed
    # pipe: `head -n 1` closes it after the first line
    server = make_awork_sandbox(scale=3000)
    env = dict(os.environ, ATTACHE_TOKEN=server.token)
    command = (
        f"{sys.executable} -m attache ls tasks --url {server.base_url} "
        f'| head -n 1 >/dev/null; echo "status=${{PIPESTATUS[0]}}"'
    )
    done = subprocess.run(["bash", "-c", command], env=env, capture_output=True, text=True, timeout=120)
    assert "Traceback" not in done.stderr and "BrokenPipeError" not in done.stderr, done.stderr
    assert done.stderr.strip() == ""
    assert "status=0" in done.stdout
