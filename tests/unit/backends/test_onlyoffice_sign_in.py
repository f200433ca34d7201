"""Signing in to a portal: the token, the two-factor step, refusals, and renewing an expired token."""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import httpx
import pytest
from onlyoffice_fakes import PORTAL, backend_for, envelope, error_envelope, unauthorized

from attache.backends import onlyoffice
from attache.backends.onlyoffice import TokenKeeper
from attache.core.errors import AuthenticationError, SecondFactorRequired
from attache.core.models import EntityKind, EntityRef

TOKEN = {"expires": "2099-07-07T17:06:03.5845502+03:00", "token": "sdjhfskjdhkqy739459234"}


class SignInPortal(list[httpx.Request]):
    """The requests the sign-in's own client sent; `answers` are given in order."""

    def __init__(self) -> None:
        super().__init__()
        self.answers: list[httpx.Response] = []


@pytest.fixture
def portal(monkeypatch: pytest.MonkeyPatch) -> Iterator[SignInPortal]:
    """Clients made without a transport (the sign-in's own) answer from `portal.answers`."""
    fake = SignInPortal()
    real_make_client = onlyoffice.make_client

    def handler(request: httpx.Request) -> httpx.Response:
        fake.append(request)
        return fake.answers.pop(0)

    def make_client(*args: Any, **kwargs: Any) -> httpx.Client:
        kwargs.setdefault("transport", None)
        kwargs["transport"] = kwargs["transport"] or httpx.MockTransport(handler)
        return real_make_client(*args, **kwargs)

    monkeypatch.setattr(onlyoffice, "make_client", make_client)
    yield fake


def answer(portal: SignInPortal, *responses: httpx.Response) -> None:
    portal.answers.extend(responses)


def test_a_password_is_exchanged_for_a_token_and_not_kept(portal: SignInPortal) -> None:
    answer(portal, envelope(TOKEN, status=201))
    secret = onlyoffice.password_sign_in(PORTAL, user="ada@example.com", password="s3cret")
    assert secret == {"type": "token", "token": TOKEN["token"], "expires": TOKEN["expires"]}
    (request,) = portal
    assert request.method == "POST" and request.url.path == "/api/2.0/authentication"
    assert json.loads(request.content) == {"userName": "ada@example.com", "password": "s3cret"}
    assert "Authorization" not in request.headers


def test_the_password_is_kept_only_when_asked(portal: SignInPortal) -> None:
    answer(portal, envelope(TOKEN, status=201))
    secret = onlyoffice.password_sign_in(PORTAL, user="ada", password="s3cret", remember_password=True)
    assert secret["user"] == "ada" and secret["password"] == "s3cret" and secret["token"] == TOKEN["token"]


@pytest.mark.parametrize(
    ("answer_body", "method", "hint"),
    [
        ({"expires": TOKEN["expires"], "sms": True, "phoneNoise": "+7 *** *** 12 34"}, "sms", "+7 *** *** 12 34"),
        ({"tfa": True, "tfaKey": "K3Y"}, "app", ""),
        ({"tfa": True}, "app", ""),
    ],
)
def test_two_factor_asks_for_the_code_then_completes_with_it(
    portal: SignInPortal, answer_body: dict[str, Any], method: str, hint: str
) -> None:
    answer(portal, envelope(answer_body, status=201))
    with pytest.raises(SecondFactorRequired) as needed:
        onlyoffice.password_sign_in(PORTAL, user="ada", password="s3cret")
    assert needed.value.method == method and needed.value.hint == hint

    answer(portal, envelope(TOKEN, status=201))
    secret = onlyoffice.password_sign_in(PORTAL, user="ada", password="s3cret", code=" 123456 ")
    assert secret["token"] == TOKEN["token"]
    assert portal[-1].url.path == "/api/2.0/authentication/123456"
    assert json.loads(portal[-1].content) == {"userName": "ada", "password": "s3cret"}


@pytest.mark.parametrize(
    ("response", "code", "words"),
    [
        (error_envelope(500, "User authentication failed"), None, "did not accept the user name or e-mail “ada”"),
        (error_envelope(500, "Login Fail. Too many attempts"), None, "too many attempts"),
        (error_envelope(500, "Incorrect code"), "000000", "did not accept the two-factor code"),
        (envelope({"tfa": True}, status=201), "000000", "did not accept the two-factor code"),
    ],
)
def test_refusals_say_what_was_wrong(
    portal: SignInPortal, response: httpx.Response, code: str | None, words: str
) -> None:
    answer(portal, response)
    with pytest.raises(AuthenticationError) as refused:
        onlyoffice.password_sign_in(PORTAL, user="ada", password="wrong", code=code)
    assert words in str(refused.value)
    assert not isinstance(refused.value, SecondFactorRequired)
    assert "wrong" not in str(refused.value)  # never the password


def test_a_rejected_token_is_renewed_once_with_the_remembered_password(portal: SignInPortal) -> None:
    events: list[str] = []
    tokens_seen: list[str] = []
    stored = {"type": "token", "token": "old", "expires": "", "user": "ada", "password": "s3cret"}
    answer(portal, envelope({**TOKEN, "token": "new"}, status=201))

    def save(secret: dict[str, Any]) -> None:
        events.append(f"saved {secret['token']}")

    def handler(request: httpx.Request) -> httpx.Response:
        tokens_seen.append(request.headers["Authorization"])
        events.append(f"sent {request.headers['Authorization']}")
        if request.headers["Authorization"] != "new":
            return unauthorized()
        return envelope({"id": 1, "title": "Apollo"})

    keeper = TokenKeeper(PORTAL, "work", stored, save)
    with backend_for(handler, token=keeper) as backend:
        assert backend.get_entity(EntityRef(EntityKind.PROJECT, "1")).name == "Apollo"
        backend.get_entity(EntityRef(EntityKind.PROJECT, "1"))
    assert events == ["sent old", "saved new", "sent new", "sent new"]  # saved before it is used
    assert len(portal) == 1  # one new sign-in


def test_without_a_password_a_rejected_token_asks_the_user_to_sign_in(portal: SignInPortal) -> None:
    keeper = TokenKeeper(PORTAL, "work", {"type": "token", "token": "old"}, lambda secret: None)
    backend = backend_for(lambda request: unauthorized(), token=keeper)
    with backend, pytest.raises(AuthenticationError, match=r"'work'.*sign in again"):
        backend.get_entity(EntityRef(EntityKind.PROJECT, "1"))
    assert portal == []  # no sign-in attempted


def test_a_password_changed_since_gives_up_after_one_try(portal: SignInPortal) -> None:
    answer(portal, error_envelope(500, "User authentication failed"))
    saved: list[dict[str, Any]] = []
    stored = {"type": "token", "token": "old", "user": "ada", "password": "stale"}
    keeper = TokenKeeper(PORTAL, "work", stored, saved.append)
    backend = backend_for(lambda request: unauthorized(), token=keeper)
    with backend, pytest.raises(AuthenticationError, match="'work'"):
        backend.get_entity(EntityRef(EntityKind.PROJECT, "1"))
    assert saved == [] and len(portal) == 1


def test_an_expired_token_is_renewed_before_it_is_sent(portal: SignInPortal) -> None:
    answer(portal, envelope({**TOKEN, "token": "new"}, status=201))
    saved: list[dict[str, Any]] = []
    stored = {"token": "old", "expires": "2020-01-01T00:00:00.0000000Z", "user": "ada", "password": "s3cret"}
    sent: list[str] = []

    def handler(request: httpx.Request) -> httpx.Response:
        sent.append(request.headers["Authorization"])
        return envelope({"id": 1, "title": "Apollo"})

    with backend_for(handler, token=TokenKeeper(PORTAL, "work", stored, saved.append)) as backend:
        backend.get_entity(EntityRef(EntityKind.PROJECT, "1"))
    assert sent == ["new"] and saved[0]["token"] == "new"


def test_the_connector_makes_secrets_and_backends() -> None:
    assert onlyoffice.secret_from_token("t") == {"type": "token", "token": "t", "expires": ""}
    with pytest.raises(AuthenticationError, match="incomplete"):
        onlyoffice.open_backend(PORTAL, {"type": "token"}, account="work")
    backend = onlyoffice.open_backend(PORTAL, {"type": "token", "token": "t"}, account="work", quick=True)
    assert backend.service == "onlyoffice" and backend.account == "work"
    backend.close()
