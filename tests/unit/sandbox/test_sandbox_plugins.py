"""Finding a service's sandbox plug-in through the registry, and the options it takes."""

from __future__ import annotations

import subprocess
import sys

import pytest

from attache.core.errors import InvalidInputError
from attache.core.services import DEFAULT_SERVICE, SERVICES, service
from attache.sandbox import SandboxServer


@pytest.mark.parametrize("service_id", list(SERVICES))
def test_every_registered_service_has_a_plugin(service_id):
    plugin = service(service_id).sandbox_plugin()
    assert plugin.service_id == service_id and plugin.name == service(service_id).name
    prefix = plugin.api_prefix(plugin.option_defaults)
    assert prefix == "" or prefix.startswith("/")  # "": the service's root is its base URL
    assert plugin.data_file and callable(plugin.fault_shapes.rate_limited) and callable(plugin.fault_shapes.unavailable)
    for status in (plugin.fault_shapes.rate_limited("1").status, plugin.fault_shapes.unavailable("1").status):
        assert status in (429, 503)


def test_the_server_takes_the_default_service_from_the_registry():
    server = SandboxServer()
    assert server.service_id == DEFAULT_SERVICE
    assert server.plugin is service(DEFAULT_SERVICE).sandbox_plugin()


def test_an_unknown_service_is_refused():
    with pytest.raises(InvalidInputError, match="Unknown service"):
        SandboxServer(service="gopher")


def test_an_option_the_plugin_does_not_take_is_refused_in_one_line():
    with pytest.raises(InvalidInputError) as refused:
        SandboxServer(tenants=5, dark_mode=True)
    message = str(refused.value)
    assert "\n" not in message and "tenants" in message and "dark-mode" in message


def test_options_left_at_nothing_are_not_a_request():
    """The CLI passes every option, unset ones as None or 0."""
    SandboxServer(tenants=None, colours=0)


def test_plugin_options_read_as_the_servers():
    server = SandboxServer(scale=3, people=2)
    assert (server.scale, server.people, server.seed) == (3, 2, 1)
    with pytest.raises(AttributeError):
        server.no_such_thing  # noqa: B018
    with pytest.raises(ValueError):
        SandboxServer(scale=-1)


def test_importing_the_sandbox_package_imports_no_service():
    code = (
        "import sys, attache.sandbox, attache.sandbox.common.server; "
        "print(sorted(m for m in sys.modules if m.startswith('attache.sandbox.') "
        "and not m.startswith('attache.sandbox.common')))"
    )
    loaded = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert loaded.strip() == "[]", loaded
