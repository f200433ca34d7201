"""Skipping for a missing external tool: allowed on a developer's machine, a failure in CI."""

from __future__ import annotations

import os

import pytest

REQUIRE_ALL = "ATTACHE_REQUIRE_ALL_TOOLS"


def tool_missing(reason: str) -> None:
    """Skip the test with `reason`; CI (which installs every tool) sets ATTACHE_REQUIRE_ALL_TOOLS=1 to fail instead."""
    if os.environ.get(REQUIRE_ALL) == "1":
        pytest.fail(f"{reason} (CI installs every tool: .ci/run must have failed to)", pytrace=False)
    pytest.skip(reason)
