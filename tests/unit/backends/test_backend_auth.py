"""What each auth scheme puts on the wire, and when a rejected request is sent again."""

from __future__ import annotations

import base64
import logging

import httpx
import pytest

from attache.backends.auth import BasicAuth, BearerAuth, RawTokenAuth, TicketAuth, constant
from attache.backends.http import make_client, redact


def sent_headers(auth: httpx.Auth, *answers: int) -> list[dict[str, str]]:
    """The headers of every request the client sent (auth flows reuse one request object)."""
    statuses = list(answers) or [200]
    seen: list[dict[str, str]] = []

    def handler(request: httpx.Request) -> httpx.Response:
        seen.append(dict(request.headers))
        return httpx.Response(statuses.pop(0) if len(statuses) > 1 else statuses[0])

    with make_client("https://api.test", auth=auth, transport=httpx.MockTransport(handler)) as client:
        client.get("/x")
    return seen


def test_bearer_raw_and_ticket_schemes():
    assert sent_headers(BearerAuth(constant("t1")))[0]["authorization"] == "Bearer t1"
    assert sent_headers(RawTokenAuth(constant("864FE52C")))[0]["authorization"] == "864FE52C"
    ticket = sent_headers(TicketAuth(constant("7T:abc=="), app_token="app-secret"))[0]
    assert ticket["authorization"] == "SOTicket 7T:abc==" and ticket["so-apptoken"] == "app-secret"
    assert "so-apptoken" not in sent_headers(TicketAuth(constant("7T:abc==")))[0]


def test_basic_encodes_user_and_password_as_utf8():
    header = sent_headers(BasicAuth("jürgen", "p:ss"))[0]["authorization"]
    assert header.startswith("Basic ")
    assert base64.b64decode(header.removeprefix("Basic ")).decode() == "jürgen:p:ss"


def test_a_rejected_request_is_sent_again_once_with_the_refreshed_token():
    current = {"token": "old"}
    rejected: list[str] = []

    def refresh(token: str) -> bool:
        rejected.append(token)
        current["token"] = "new"
        return True

    sent = sent_headers(RawTokenAuth(lambda: current["token"], refresh=refresh), 401, 200)
    assert [h["authorization"] for h in sent] == ["old", "new"] and rejected == ["old"]


def test_refresh_on_other_statuses_when_the_service_says_so():
    current = {"token": "old"}

    def refresh(token: str) -> bool:
        current["token"] = "new"
        return True

    auth = BearerAuth(lambda: current["token"], refresh=refresh, refresh_on=(401, 403))
    assert [h["authorization"] for h in sent_headers(auth, 403, 200)] == ["Bearer old", "Bearer new"]
    plain = BearerAuth(lambda: "old", refresh=refresh)
    assert len(sent_headers(plain, 403)) == 1  # 403 alone means "not allowed", not "expired"


@pytest.mark.parametrize(
    "text",
    [
        "Authorization: SOTicket 7T:abc==",
        "{'authorization': 'SOTicket 7T:abc=='}",
        "SO-AppToken: app-secret",
        "{'so-apptoken': 'app-secret'}",
        "Authorization: 864FE52C-secret",
    ],
)
def test_ticket_app_token_and_raw_token_headers_are_redacted(text):
    cleaned = redact(text)
    assert "abc==" not in cleaned and "app-secret" not in cleaned and "864FE52C" not in cleaned
    assert "[REDACTED]" in cleaned


def test_auth_and_a_token_provider_together_are_refused():
    with pytest.raises(ValueError):
        make_client(auth=BasicAuth("u", "p"), token_provider=constant("t"))


def test_headers_sent_with_a_ticket_never_reach_the_log(caplog):
    caplog.set_level(logging.DEBUG)
    sent_headers(TicketAuth(constant("7T:abc=="), app_token="app-secret"))
    assert "abc==" not in caplog.text and "app-secret" not in caplog.text
