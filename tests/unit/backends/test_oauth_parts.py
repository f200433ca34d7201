"""The generic OAuth parts: PKCE, the loopback receiver (over real HTTP), and the token manager."""

from __future__ import annotations

import threading
from typing import Any

import httpx
import pytest

from attache.backends.oauth import LoopbackReceiver, TokenManager, code_challenge, make_pkce
from attache.core.errors import AuthenticationError, CancelledError


def test_pkce_challenge_is_rfc_7636_s256():
    # RFC 7636 appendix B
    assert (
        code_challenge("dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk") == "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM"
    )
    pkce = make_pkce()
    assert 43 <= len(pkce.verifier) <= 128 and pkce.challenge == code_challenge(pkce.verifier)
    assert make_pkce().verifier != pkce.verifier


def test_loopback_receives_the_code_from_a_get_query():
    with LoopbackReceiver(state="s1") as receiver:
        page = httpx.get(receiver.redirect_uri, params={"code": "c1", "state": "s1"}, timeout=10)
        assert page.status_code == 200 and "Signed in" in page.text
        assert receiver.wait(10) == {"code": "c1", "state": "s1"}


def test_loopback_receives_the_code_from_a_form_post():
    with LoopbackReceiver(state="s2") as receiver:
        page = httpx.post(receiver.redirect_uri, data={"code": "c2", "state": "s2", "id_token": "x.y.z"}, timeout=10)
        assert page.status_code == 200 and "Signed in" in page.text
        assert receiver.wait(10) == {"code": "c2", "state": "s2", "id_token": "x.y.z"}


def test_loopback_ignores_other_paths_and_reports_a_refusal():
    with LoopbackReceiver(state="s3") as receiver:
        base = receiver.redirect_uri.rsplit("/oauth/", 1)[0]
        assert httpx.get(f"{base}/favicon.ico", timeout=10).status_code == 404
        page = httpx.get(receiver.redirect_uri, params={"error": "access_denied", "state": "s3"}, timeout=10)
        assert "not completed" in page.text and receiver.wait(10) == {"error": "access_denied", "state": "s3"}


def test_loopback_wait_can_be_cancelled():
    with LoopbackReceiver() as receiver, pytest.raises(CancelledError):
        receiver.wait(30, cancelled=lambda: True)


def test_a_taken_port_falls_back_to_a_free_one():
    with LoopbackReceiver() as first:
        port = int(first.redirect_uri.split(":")[2].split("/")[0])
        with LoopbackReceiver(port) as second:
            assert second.redirect_uri != first.redirect_uri


class Renewer:
    def __init__(self) -> None:
        self.calls = 0
        self.saved: list[dict[str, Any]] = []

    def __call__(self, secret: Any) -> dict[str, Any]:
        self.calls += 1
        return {"access_token": f"a{self.calls}", "refresh_token": f"r{self.calls}", "expires_at": 4e9}


def test_a_stale_token_is_renewed_and_saved_before_it_is_handed_out():
    renew = Renewer()
    order: list[str] = []
    tokens = TokenManager(
        {"access_token": "a0", "refresh_token": "r0", "expires_at": 0},
        service_name="Svc",
        account="work",
        renew=renew,
        save=lambda s: order.append(f"saved {s['access_token']}"),
    )
    assert tokens.access_token() == "a1" and order == ["saved a1"]
    assert tokens.access_token() == "a1" and renew.calls == 1


def test_concurrent_rejections_of_one_token_renew_once():
    renew = Renewer()
    tokens = TokenManager(
        {"access_token": "a0", "refresh_token": "r0", "expires_at": 4e9},
        service_name="Svc",
        account="work",
        renew=renew,
        save=lambda s: None,
    )
    threads = [threading.Thread(target=tokens.refresh_after_rejection, args=("a0",)) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(10)
    assert renew.calls == 1 and tokens.access_token() == "a1"


def test_a_refused_renewal_asks_to_sign_in_again():
    def refuse(secret: Any) -> dict[str, Any]:
        raise AuthenticationError("invalid_grant")

    tokens = TokenManager(
        {"access_token": "a0", "refresh_token": "r0", "expires_at": 0},
        service_name="Svc",
        account="work",
        renew=refuse,
        save=lambda s: None,
    )
    with pytest.raises(AuthenticationError, match="Svc ended the sign-in for work: sign in again"):
        tokens.access_token()
    without = TokenManager(
        {"access_token": "a0", "expires_at": 0}, service_name="Svc", account="work", renew=refuse, save=lambda s: None
    )
    with pytest.raises(AuthenticationError, match="has expired: sign in again"):
        without.access_token()
