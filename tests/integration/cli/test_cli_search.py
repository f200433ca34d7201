"""`attache ls KIND --search TEXT`: the server searches, for every registered service, as a user runs it."""

from __future__ import annotations

import json
from collections.abc import Iterator

import pytest
from test_cli import run

from attache.core.services import SERVICES
from attache.sandbox import SandboxServer


@pytest.fixture(scope="module", params=list(SERVICES))
def served(request: pytest.FixtureRequest) -> Iterator[tuple[str, SandboxServer]]:
    with SandboxServer(service=request.param) as server:
        yield request.param, server


def ls(service_id: str, server: SandboxServer, *args: str) -> list[dict]:
    listed = run("ls", *args, "--json", "--service", service_id, "--url", server.base_url, token=server.token)
    assert listed.returncode == 0, listed.stderr
    return [json.loads(line) for line in listed.stdout.splitlines()]


def test_ls_tasks_search_lists_what_the_server_finds(served):
    service_id, server = served
    everything = ls(service_id, server, "tasks")
    word = max(everything[len(everything) // 3]["name"].split(), key=len)
    expected = {row["id"] for row in everything if word.lower() in row["name"].lower()}
    found = ls(service_id, server, "tasks", "--search", word.upper())
    assert {row["id"] for row in found} == expected and 0 < len(found) < len(everything)
    assert ls(service_id, server, "tasks", "--search", "zqxj nothing like it") == []


def test_ls_tasks_of_a_project_search(served):
    service_id, server = served
    projects = ls(service_id, server, "projects")
    project = next(p for p in projects if ls(service_id, server, "tasks", "--project", p["id"]))
    in_project = ls(service_id, server, "tasks", "--project", project["id"])
    word = max(in_project[0]["name"].split(), key=len)
    expected = {row["id"] for row in in_project if word.lower() in row["name"].lower()}
    found = ls(service_id, server, "tasks", "--project", project["id"], "--search", word)
    assert {row["id"] for row in found} == expected and found
