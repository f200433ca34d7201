"""Services without a choice of file template refuse it with their capability table's sentence,
without asking the server."""

from __future__ import annotations

import httpx
import pytest

from attache.backends.awork import AworkBackend
from attache.backends.http import make_client
from attache.backends.onlyoffice import OnlyofficeBackend
from attache.core.capabilities import Capability
from attache.core.errors import UnsupportedError
from attache.core.models import EntityKind
from attache.core.services import AWORK, ONLYOFFICE, SUPEROFFICE

BASE = "https://example.invalid"


def _no_network(request: httpx.Request) -> httpx.Response:
    raise AssertionError(f"asked the server: {request.method} {request.url}")


def _awork() -> AworkBackend:
    client = make_client(BASE, token_provider=lambda: "t", transport=httpx.MockTransport(_no_network))
    return AworkBackend(BASE, token="t", account="Acme", client=client, blob_client=client)


def _onlyoffice() -> OnlyofficeBackend:
    return OnlyofficeBackend(BASE, token="t", account="Acme", transport=httpx.MockTransport(_no_network))


@pytest.mark.parametrize(
    ("make", "sentence"),
    [
        (_awork, "awork cannot file the files of tasks under a template of your choice."),
        (_onlyoffice, "ONLYOFFICE cannot file the files of tasks under a template of your choice."),
    ],
)
def test_file_templates_are_refused_with_the_capability_tables_sentence(make, sentence) -> None:
    backend = make()
    try:
        assert not backend.capabilities(EntityKind.TASK) & Capability.FILE_TEMPLATES
        with pytest.raises(UnsupportedError) as listed:
            backend.file_templates()
        with pytest.raises(UnsupportedError) as chosen:
            backend.use_file_template("3")
        assert str(listed.value) == str(chosen.value) == sentence
    finally:
        backend.close()


def test_only_superoffice_kinds_with_files_have_file_templates() -> None:
    for entry in (AWORK, ONLYOFFICE):
        assert not any(entry.capabilities(kind) & Capability.FILE_TEMPLATES for kind in EntityKind)
    for kind in EntityKind:
        caps = SUPEROFFICE.capabilities(kind)
        assert bool(caps & Capability.FILE_TEMPLATES) == (Capability.FILES in caps)
