"""The ONLYOFFICE sandbox for the tests in this folder: one shared portal for tests that only
read, a fresh one for tests that change data, and clients signed in with the sandbox's token."""

from __future__ import annotations

from collections.abc import Callable, Iterator

import httpx
import pytest

from attache.sandbox import SandboxServer


@pytest.fixture(scope="session")
def oo_sandbox() -> Iterator[SandboxServer]:
    with SandboxServer(service="onlyoffice") as server:
        yield server


@pytest.fixture
def make_oo_sandbox() -> Iterator[Callable[..., SandboxServer]]:
    servers: list[SandboxServer] = []

    def make(**options) -> SandboxServer:
        server = SandboxServer(service="onlyoffice", **options)
        servers.append(server)
        return server.start()

    yield make
    for server in reversed(servers):
        server.stop()


@pytest.fixture
def fresh_oo_sandbox(make_oo_sandbox) -> SandboxServer:
    return make_oo_sandbox()


@pytest.fixture
def oo_client() -> Iterator[Callable[..., httpx.Client]]:
    """`oo_client(server)`: a client at the portal's root sending `Authorization: <token>`."""
    clients: list[httpx.Client] = []

    def make(server: SandboxServer, token: str | None = None) -> httpx.Client:
        headers = {"Authorization": token or server.token}
        client = httpx.Client(base_url=server.base_url, headers=headers, timeout=60)
        clients.append(client)
        return client

    yield make
    for client in clients:
        client.close()
