"""Signing in to the ONLYOFFICE sandbox: tokens by user name or e-mail, the app two-factor step,
the three Authorization schemes, the plain-text 401, and tokens that expire."""

from __future__ import annotations

import base64

import httpx
import pytest

from attache.sandbox.onlyoffice.tfa import totp

AUTH = "/api/2.0/authentication"


def sign_in(server, path=AUTH, **credentials) -> httpx.Response:
    body = {"userName": server.demo_login, "password": server.password, **credentials}
    return httpx.post(server.base_url + path, json=body)


def test_a_password_sign_in_answers_201_with_a_token_in_the_envelope(oo_sandbox):
    response = sign_in(oo_sandbox)
    assert response.status_code == 201
    body = response.json()
    assert list(body) == ["count", "status", "statusCode", "response"]
    assert (body["count"], body["status"], body["statusCode"]) == (1, 0, 201)
    assert set(body["response"]) == {"token", "expires"}
    assert body["response"]["expires"].endswith("Z") and len(body["response"]["expires"].split(".")[1]) == 8
    me = httpx.get(f"{oo_sandbox.base_url}/api/2.0/people/@self", headers={"Authorization": body["response"]["token"]})
    assert me.json()["response"]["userName"] == oo_sandbox.demo_login


def test_e_mail_form_body_and_the_json_suffix_sign_in_too(oo_sandbox):
    email = httpx.get(
        f"{oo_sandbox.base_url}/api/2.0/people/@self", headers={"Authorization": oo_sandbox.token}
    ).json()["response"]["email"]
    form = httpx.post(
        oo_sandbox.base_url + AUTH + ".json", data={"userName": email.upper(), "password": oo_sandbox.password}
    )
    assert form.status_code == 201 and form.json()["response"]["token"]


@pytest.mark.parametrize("credentials", [{"password": "wrong"}, {"userName": "nobody"}, {"password": ""}])
def test_wrong_credentials_are_a_500_envelope_saying_authentication_failed(oo_sandbox, credentials):
    response = sign_in(oo_sandbox, **credentials)
    assert response.status_code == 500
    body = response.json()
    assert body["status"] == 1 and body["statusCode"] == 500
    assert body["error"]["message"] == "User authentication failed"
    assert "response" not in body


def test_two_factor_sign_in_asks_for_the_code_and_completes_with_it(oo_sandbox):
    first = sign_in(oo_sandbox, userName=oo_sandbox.tfa_login)
    assert first.status_code == 201 and first.json()["response"] == {"tfa": True}

    wrong = sign_in(oo_sandbox, f"{AUTH}/000000", userName=oo_sandbox.tfa_login)
    if totp(oo_sandbox.tfa_secret) != "000000":
        assert wrong.status_code == 500 and wrong.json()["error"]["message"] == "User authentication failed"

    done = sign_in(oo_sandbox, f"{AUTH}/{totp(oo_sandbox.tfa_secret)}", userName=oo_sandbox.tfa_login)
    assert done.status_code == 201
    data = done.json()["response"]
    assert data["tfa"] is True and data["token"]
    me = httpx.get(f"{oo_sandbox.base_url}/api/2.0/people/@self", headers={"Authorization": data["token"]})
    assert me.json()["response"]["userName"] == oo_sandbox.tfa_login


def test_a_code_for_a_user_without_two_factor_fails(oo_sandbox):
    response = sign_in(oo_sandbox, f"{AUTH}/{totp(oo_sandbox.tfa_secret)}")
    assert response.status_code == 500


def test_raw_bearer_basic_and_cookie_are_accepted(oo_sandbox):
    url = f"{oo_sandbox.base_url}/api/2.0/people/@self"
    basic = base64.b64encode(f"{oo_sandbox.demo_login}:{oo_sandbox.password}".encode()).decode()
    for headers in (
        {"Authorization": oo_sandbox.token},
        {"Authorization": f"Bearer {oo_sandbox.token}"},
        {"Authorization": f"Basic {basic}"},
        {"Authorization": f"{oo_sandbox.token}, ignored after the comma"},
    ):
        assert httpx.get(url, headers=headers).status_code == 200, headers
    assert httpx.get(url, cookies={"asc_auth_key": oo_sandbox.token}).status_code == 200


def test_no_or_a_bad_token_is_a_plain_text_401(oo_sandbox):
    url = f"{oo_sandbox.base_url}/api/2.0/project/filter"
    missing = httpx.get(url)
    assert (missing.status_code, missing.text) == (401, "Unauthorized")
    assert missing.headers["content-type"].startswith("text/plain")
    assert "www-authenticate" not in missing.headers
    bad = httpx.get(url, headers={"Authorization": "not-a-token"})
    assert (bad.status_code, bad.text) == (401, "Unauthorized")
    assert bad.headers["www-authenticate"].startswith("Basic Realm=")


def test_capabilities_need_no_sign_in(oo_sandbox):
    response = httpx.get(f"{oo_sandbox.base_url}/api/2.0/capabilities")
    assert response.status_code == 200 and response.json()["response"]["ldapEnabled"] is False


def test_expire_all_ends_every_session_the_fixed_token_too(fresh_oo_sandbox):
    server = fresh_oo_sandbox
    token = sign_in(server).json()["response"]["token"]
    url = f"{server.base_url}/api/2.0/people/@self"
    assert httpx.get(url, headers={"Authorization": token}).status_code == 200
    server.tokens.expire_all()
    for stale in (token, server.token):
        assert httpx.get(url, headers={"Authorization": stale}).status_code == 401
    fresh = sign_in(server).json()["response"]["token"]
    assert httpx.get(url, headers={"Authorization": fresh}).status_code == 200


def test_a_short_token_lifetime_shows_in_expires(make_oo_sandbox):
    server = make_oo_sandbox(token_ttl=120.0)
    long_lived = sign_in(server).json()["response"]["expires"]
    assert long_lived < "2100"  # 2 minutes from now, not a year
    token = sign_in(server).json()["response"]["token"]
    server.tokens.ttl = -1  # what a lifetime that has run out looks like for new tokens
    expired = sign_in(server).json()["response"]["token"]
    url = f"{server.base_url}/api/2.0/people/@self"
    assert httpx.get(url, headers={"Authorization": token}).status_code == 200
    assert httpx.get(url, headers={"Authorization": expired}).status_code == 401


def test_the_sandbox_token_option_is_a_valid_token(make_oo_sandbox):
    server = make_oo_sandbox(token="my-own-token")
    response = httpx.get(f"{server.base_url}/api/2.0/people/@self", headers={"Authorization": "my-own-token"})
    assert response.status_code == 200 and response.json()["response"]["isOwner"] is True
