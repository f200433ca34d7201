"""The backend contract: what every registered service's backend does, against its own sandbox.

Parametrised over the registry, so a service that arrives with a backend and a sandbox plug-in
is held to the same promises as the others: lists page lazily and hold what they say, a wrong
token is a sign-in problem, an unknown id is "not found", and whatever the capability table
offers (files, pictures) round-trips over real HTTP.
"""

from __future__ import annotations

import io
from collections.abc import Iterator
from itertools import islice
from pathlib import Path

import pytest
from PIL import Image

from attache.backends.base import Backend, attach_file
from attache.core.capabilities import Capability
from attache.core.errors import AuthenticationError, NotFoundError
from attache.core.models import EntityKind, EntityRef
from attache.core.services import SERVICES, Service
from attache.sandbox import SandboxServer


@pytest.fixture(scope="module", params=list(SERVICES))
def running(request: pytest.FixtureRequest) -> Iterator[tuple[Service, SandboxServer]]:
    """Each service's sandbox, its own for this module (the tests add files and pictures)."""
    entry = SERVICES[request.param]
    with SandboxServer(service=entry.id) as server:
        yield entry, server


def _open(entry: Service, server: SandboxServer, token: str | None = None) -> Backend:
    connector = entry.connector()
    return connector.open_backend(
        server.base_url, connector.secret_from_token(token or server.token), account="contract"
    )


@pytest.fixture
def backend(running: tuple[Service, SandboxServer]) -> Iterator[Backend]:
    backend = _open(*running)
    yield backend
    backend.close()


@pytest.fixture
def entry(running: tuple[Service, SandboxServer]) -> Service:
    return running[0]


def _first(backend: Backend, kind: EntityKind) -> EntityRef:
    page = next(iter(backend.iter_pages(kind, page_size=5)))
    assert page.items, f"the sandbox's demo data has no {kind.label.lower()}"
    return EntityRef(kind, page.items[0].id)


def _kinds_with(entry: Service, capability: Capability) -> list[EntityKind]:
    return [kind for kind in entry.kinds() if capability in entry.capabilities(kind)]


def test_the_backend_speaks_for_its_registered_service(entry: Service, backend: Backend) -> None:
    assert backend.service == entry.id
    for kind in EntityKind:
        assert backend.capabilities(kind) == entry.capabilities(kind)


def test_the_workspace_names_itself(backend: Backend) -> None:
    workspace = backend.workspace()
    assert workspace.kind is EntityKind.WORKSPACE and workspace.name.strip()


def test_a_wrong_token_is_a_sign_in_problem(running: tuple[Service, SandboxServer]) -> None:
    backend = _open(*running, token="not-the-token")
    try:
        with pytest.raises(AuthenticationError):
            backend.workspace()
    finally:
        backend.close()


def test_every_listed_kind_pages_lazily_with_unique_entities_of_that_kind(entry: Service, backend: Backend) -> None:
    for kind in entry.kinds():
        seen: list[str] = []
        for page in islice(backend.iter_pages(kind, page_size=3), 3):
            assert len(page.items) <= 3, f"{kind}: a page of 3 came back with {len(page.items)}"
            assert all(item.kind is kind and item.id and item.name is not None for item in page.items)
            seen += [item.id for item in page.items]
            if page.total is not None:
                assert page.total >= len(seen)
        assert seen, f"no {kind.label.lower()} in the demo data"
        assert len(seen) == len(set(seen)), f"{kind}: an entity was listed twice across pages"


def test_an_entity_fetched_by_id_is_the_one_listed(entry: Service, backend: Backend) -> None:
    for kind in entry.kinds():
        if kind is EntityKind.WORKSPACE:
            continue
        listed = next(iter(backend.iter_pages(kind, page_size=1))).items[0]
        fetched = backend.get_entity(EntityRef(kind, listed.id))
        assert (fetched.kind, fetched.id, fetched.name) == (listed.kind, listed.id, listed.name)


def test_an_unknown_id_is_not_found(entry: Service, backend: Backend) -> None:
    kind = next(k for k in entry.kinds() if k is not EntityKind.WORKSPACE)
    with pytest.raises(NotFoundError):
        backend.get_entity(EntityRef(kind, "987654321"))  # well-formed for every service, and unknown


def _offering(capability: Capability, *also: Capability) -> pytest.MarkDecorator:
    """Run a test only for the services whose table offers `capability` (and `also`) on a listed kind."""

    def offers(entry: Service) -> bool:
        return any(all(c in entry.capabilities(k) for c in (capability, *also)) for k in entry.kinds())

    return pytest.mark.parametrize("running", [s for s, e in SERVICES.items() if offers(e)], indirect=True)


@_offering(Capability.ATTACH_FILE)
def test_an_attached_file_is_listed_downloaded_and_deleted(entry: Service, backend: Backend, tmp_path: Path) -> None:
    kinds = _kinds_with(entry, Capability.ATTACH_FILE)
    ref = _first(backend, kinds[0])
    content = bytes(range(256)) * 4096 + b"tail"  # 1 MiB and a bit: more than one chunk
    source = tmp_path / "contract report.bin"
    source.write_bytes(content)
    record = attach_file(backend, ref, source)
    assert record.name == source.name and record.size == len(content)
    assert record.id in {r.id for r in backend.list_files(ref)}
    saved = backend.download_file(ref, record.id, tmp_path / "downloads")
    assert saved.read_bytes() == content
    backend.delete_file(ref, record.id)
    assert record.id not in {r.id for r in backend.list_files(ref)}


@_offering(Capability.SET_IMAGE, Capability.GET_IMAGE)
def test_a_picture_set_from_a_file_is_shown_and_can_be_removed(
    entry: Service, backend: Backend, tmp_path: Path
) -> None:
    kinds = [k for k in _kinds_with(entry, Capability.SET_IMAGE) if Capability.GET_IMAGE in entry.capabilities(k)]
    ref = _first(backend, kinds[0])
    picture = tmp_path / "logo.png"
    Image.new("RGB", (64, 64), (200, 40, 40)).save(picture)
    backend.set_image(ref, picture)
    shown = backend.get_image(ref)
    assert shown is not None
    with Image.open(io.BytesIO(shown)) as image:
        assert image.convert("RGB").getpixel((32, 32)) == pytest.approx((200, 40, 40), abs=12)
    if Capability.DELETE_IMAGE in entry.capabilities(kinds[0]):
        backend.delete_image(ref)
        assert backend.get_image(ref) is None
