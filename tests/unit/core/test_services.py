"""The service registry: every entry is complete, and URLs typed by a person become API bases."""

from __future__ import annotations

import inspect

import pytest

from attache.core.errors import InvalidInputError
from attache.core.services import DEFAULT_SERVICE, SERVICES, SignIn, display_name, service


@pytest.mark.parametrize("entry", list(SERVICES.values()), ids=list(SERVICES))
def test_each_entry_names_a_connector_and_a_sandbox_plugin_that_exist(entry) -> None:
    connector = entry.connector()
    for name in ("open_backend", "secret_from_token"):
        assert callable(getattr(connector, name)), f"{entry.connector_module} lacks {name}"
    if SignIn.BROWSER in entry.sign_in:
        assert callable(connector.browser_sign_in)
        assert entry.texts.browser_button and entry.texts.browser_hint
    plugin = entry.sandbox_plugin()
    assert plugin is not None
    assert entry.kinds(), "a service lists something"
    assert entry.normalise_url(entry.url_example)  # its own example is accepted


@pytest.mark.parametrize("entry", list(SERVICES.values()), ids=list(SERVICES))
def test_connectors_take_what_the_app_layer_passes(entry) -> None:
    parameters = inspect.signature(entry.connector().open_backend).parameters
    assert {"account", "save_secret", "quick"} <= set(parameters)


def test_the_default_service_is_registered() -> None:
    assert DEFAULT_SERVICE in SERVICES


def test_an_unknown_service_is_refused_with_the_known_ones_named() -> None:
    with pytest.raises(InvalidInputError) as caught:
        service("basecamp")
    assert "basecamp" in str(caught.value)
    for known in SERVICES:
        assert known in str(caught.value)
    assert display_name("basecamp") == "basecamp"


@pytest.mark.parametrize("entry", [e for e in SERVICES.values() if e.base_includes_api_path], ids=str)
def test_a_server_root_or_the_api_address_both_give_the_api_base(entry) -> None:
    base = entry.normalise_url(entry.url_example)
    root = base[: -len(entry.api_path)]
    assert entry.normalise_url(root) == base
    assert entry.normalise_url(root + "/") == base
    assert entry.normalise_url(f"  {base}/ ") == base


@pytest.mark.parametrize("entry", list(SERVICES.values()), ids=list(SERVICES))
def test_an_address_without_a_scheme_is_refused_with_an_example(entry) -> None:
    with pytest.raises(InvalidInputError) as caught:
        entry.normalise_url("api.example.com/x")
    assert "https://" in str(caught.value) and entry.url_example in str(caught.value)
