"""SuperOffice Online's browser sign-in against the sandbox's OpenID provider: PKCE, the answer
posted back as a form to the loopback listener, the tenant's API address from the ID token, and
an expired token refreshed once with the rotated pair saved before it is used."""

from __future__ import annotations

import re
import threading
from collections.abc import Iterator
from html import unescape
from urllib.parse import parse_qsl, urlsplit

import httpx
import pytest

from attache.backends import superoffice as so
from attache.core.errors import AuthenticationError, InvalidInputError
from attache.core.models import EntityKind
from attache.sandbox import SandboxServer


@pytest.fixture(scope="module")
def server() -> Iterator[SandboxServer]:
    with SandboxServer(service="superoffice") as running:
        yield running


class FormPostBrowser:
    """Opens the authorize URL, clicks Allow, and submits the page's self-posting form to the
    redirect URI, as a browser runs its onload script."""

    def __init__(self, decision: str = "allow") -> None:
        self.decision = decision
        self.authorize_urls: list[str] = []
        self.thread: threading.Thread | None = None

    def __call__(self, url: str) -> None:
        self.authorize_urls.append(url)
        self.thread = threading.Thread(target=self._visit, args=(url,), daemon=True)
        self.thread.start()

    def _visit(self, url: str) -> None:
        with httpx.Client(timeout=10) as client:
            form = dict(parse_qsl(urlsplit(url).query), decision=self.decision)
            page = client.post(url.split("?")[0], data=form).text
            action = unescape(re.search(r'action="([^"]+)"', page).group(1))  # type: ignore[union-attr]
            fields = {unescape(k): unescape(v) for k, v in re.findall(r'name="([^"]+)" value="([^"]*)"', page)}
            client.post(action, data=fields)


def _sign_in(server: SandboxServer, browser: FormPostBrowser, **options: str) -> dict:
    return so.browser_sign_in(
        server.base_url,
        open_url=browser,
        previous={},
        timeout=20,
        cancelled=lambda: False,
        options={"client_id": server.client_id, **options},
    )


def test_the_browser_sign_in_posts_back_a_form_and_names_the_tenants_api(server: SandboxServer) -> None:
    browser = FormPostBrowser()
    secret = _sign_in(server, browser, client_secret=server.client_secret)
    query = dict(parse_qsl(urlsplit(browser.authorize_urls[0]).query))
    assert query["response_mode"] == "form_post" and query["code_challenge_method"] == "S256"
    assert query["acr_values"] == "tenant:Cust12345" and query["scope"] == "openid"
    assert secret["webapi_url"] == server.base_url and secret["tenant"] == "Cust12345"
    assert secret["app_token"] == server.client_secret  # kept in the keyring's secret, for refreshes
    backend = so.open_backend(server.base_url, secret, account="online")
    try:
        workspace = backend.workspace()  # named after the tenant's own company, its id beside
        assert (workspace.name, workspace.subtitle.split(" · ")[0]) == ("Fjordlight Consulting AS", "Cust12345")
    finally:
        backend.close()


def test_an_expired_token_is_refreshed_once_and_the_rotated_pair_saved_first(server: SandboxServer) -> None:
    secret = _sign_in(server, FormPostBrowser())
    saved: list[dict] = []
    backend = so.open_backend(server.base_url, secret, account="online", save_secret=saved.append)
    try:
        server.oidc.expire_access_tokens()  # the sandbox answers 403 to them now, as SuperOffice does
        listed = next(iter(backend.iter_pages(EntityKind.PROJECT, page_size=5))).items
        assert listed and len(saved) == 1
        assert saved[0]["refresh_token"] != secret["refresh_token"]  # rotated, and kept
        assert saved[0]["access_token"] != secret["access_token"]
    finally:
        backend.close()
    # The old refresh token is dead now: a backend still holding it must sign in again.
    stale = so.open_backend(server.base_url, {**secret, "expires_at": 0}, account="online")
    try:
        with pytest.raises(AuthenticationError, match="sign in again"):
            stale.workspace()
    finally:
        stale.close()


def test_online_needs_a_registered_apps_client_id(server: SandboxServer) -> None:
    with pytest.raises(InvalidInputError, match="--client-id"):
        so.browser_sign_in(
            server.base_url, open_url=lambda url: None, previous={}, timeout=1, cancelled=lambda: False, options={}
        )


def test_a_streamed_upload_refused_for_an_expired_token_is_sent_again_with_a_new_one(
    server: SandboxServer, tmp_path
) -> None:
    from PIL import Image

    from attache.core.errors import TransientError

    saved: list[dict] = []
    backend = so.open_backend(
        server.base_url, _sign_in(server, FormPostBrowser()), account="online", save_secret=saved.append
    )
    try:
        project = next(iter(backend.iter_pages(EntityKind.PROJECT, page_size=1))).items[0].ref
        picture = tmp_path / "logo.png"
        Image.new("RGB", (16, 16), (9, 9, 9)).save(picture)
        server.oidc.expire_access_tokens()
        # A body streamed from disk cannot be replayed by the auth: renewed, and the engine tries again.
        with pytest.raises(TransientError, match="renewed, sending again"):
            backend.set_image(project, picture)
        assert len(saved) == 1
        backend.set_image(project, picture)
        assert backend.get_image(project) is not None
    finally:
        backend.close()
