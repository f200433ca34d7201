"""SuperOffice's pure pieces: tenant addresses, the ID token's claims, filters built from what a
user types, the error table, pictures checked before they go out."""

from __future__ import annotations

import base64
import json
from pathlib import Path

import httpx
import pytest
from PIL import Image

from attache.backends import superoffice as so
from attache.backends import superoffice_oauth as so_oauth
from attache.backends import superoffice_wire as wire
from attache.backends.errors import error_for_response
from attache.core.errors import (
    InvalidInputError,
    NotFoundError,
    PermissionDeniedError,
    ProtocolError,
    RateLimitedError,
    ServerError,
    ServiceUnavailableError,
)


@pytest.mark.parametrize(
    ("api", "identity"),
    [
        ("https://sod2.superoffice.com/Cust12345/api", "https://sod.superoffice.com"),
        ("https://online3.superoffice.com/Cust1/api", "https://online.superoffice.com"),
        ("https://online.superoffice.com/Cust1/api", "https://online.superoffice.com"),
        ("https://qaonline.superoffice.com/Cust1/api", "https://qaonline.superoffice.com"),
        ("https://crm.example.com/SuperOffice/api", "https://crm.example.com"),  # Onsite: the server itself
        ("http://127.0.0.1:8123/Cust12345/api", "http://127.0.0.1:8123"),
    ],
)
def test_sign_in_and_tenant_status_live_on_the_un_numbered_host_of_the_environment(api: str, identity: str) -> None:
    assert so_oauth.identity_root(api) == identity


def test_the_tenant_is_read_from_the_address_and_onsite_has_none() -> None:
    assert so_oauth.tenant_of("https://sod2.superoffice.com/Cust26759/api") == "Cust26759"
    assert so_oauth.tenant_of("https://crm.example.com/SuperOffice/api") == ""


@pytest.mark.parametrize(
    "handed_out",
    [
        "https://sod2.superoffice.com/Cust26759/api/",
        "https://sod2.superoffice.com/Cust26759/api/v1",
        "https://sod2.superoffice.com/Cust26759",  # the tenant status API's Endpoint
    ],
)
def test_an_api_address_from_superoffice_becomes_the_tenants_api_base(handed_out: str) -> None:
    assert so_oauth.checked_api_url(handed_out, source="test") == "https://sod2.superoffice.com/Cust26759/api"


def test_an_api_address_in_clear_text_is_refused_except_on_this_machine() -> None:
    with pytest.raises(ProtocolError, match="not https"):
        so_oauth.checked_api_url("http://sod2.superoffice.com/Cust1/api/", source="the ID token")
    assert so_oauth.checked_api_url("http://127.0.0.1:9/Cust1/api/", source="x") == "http://127.0.0.1:9/Cust1/api"


def _jwt(claims: dict[str, object]) -> str:
    def part(data: dict[str, object]) -> str:
        return base64.urlsafe_b64encode(json.dumps(data).encode()).rstrip(b"=").decode()

    return f"{part({'alg': 'RS256'})}.{part(claims)}.c2lnbmF0dXJl"


def test_the_id_token_names_the_tenant_and_its_api_address() -> None:
    prefix = so_oauth.CLAIM_PREFIX
    token = _jwt({f"{prefix}ctx": "Cust26759", f"{prefix}webapi_url": "https://sod2.superoffice.com/Cust26759/api/"})
    claims = so_oauth.id_token_claims(token)
    assert claims["ctx"] == "Cust26759"
    secret = so_oauth.secret_from_tokens(
        {"access_token": "8A:a", "refresh_token": "r1", "expires_in": 3600, "id_token": token},
        client_id="app",
        app_token="",
        redirect_uri="http://127.0.0.1:1/oauth/callback",
        previous={},
    )
    assert secret["webapi_url"] == "https://sod2.superoffice.com/Cust26759/api"
    assert secret["tenant"] == "Cust26759"


def test_a_refresh_without_a_new_refresh_token_or_id_token_keeps_the_previous_ones() -> None:
    previous = {"refresh_token": "r1", "webapi_url": "https://sod2.superoffice.com/Cust1/api", "tenant": "Cust1"}
    secret = so_oauth.secret_from_tokens(
        {"access_token": "8A:b", "expires_in": 60}, client_id="app", app_token="t", redirect_uri="", previous=previous
    )
    assert (secret["refresh_token"], secret["webapi_url"], secret["tenant"]) == ("r1", previous["webapi_url"], "Cust1")


def test_an_unreadable_id_token_is_said_as_such() -> None:
    with pytest.raises(ProtocolError, match="ID token"):
        so_oauth.id_token_claims("not-a-jwt")


def test_a_search_keeps_every_word_and_quotes_what_the_user_typed() -> None:
    assert wire.search_filter(("fullName",), "maya  o'brien") == (
        "(fullName contains 'maya') and (fullName contains 'o''brien')"
    )
    assert wire.search_filter(("name", "number"), "x") == "(name contains 'x' or number contains 'x')"
    assert wire.search_filter(("name",), "   ") == ""
    # A quote cannot end the literal early, a control character cannot start a new line.
    hostile = wire.search_filter(("name",), "x')\nor")
    assert hostile == "(name contains 'x'')') and (name contains 'or')"


def test_filters_combine_with_and_each_in_parentheses() -> None:
    assert wire.all_of("recordType eq 'inChecklist'", "", "projectId eq 4") == (
        "(recordType eq 'inChecklist') and (projectId eq 4)"
    )
    assert wire.all_of("", "a eq 1") == "a eq 1"


def test_ids_go_into_filters_only_as_numbers() -> None:
    assert wire.numeric_id(" 42 ", "project") == 42
    with pytest.raises(NotFoundError, match="whole numbers"):
        wire.numeric_id("1 or 1 eq 1", "project")


def _answer(status: int, body: object, headers: dict[str, str] | None = None) -> httpx.Response:
    request = httpx.Request("PUT", "https://sod2.superoffice.com/Cust1/api/v1/Project/7")
    return httpx.Response(status, json=body, headers=headers, request=request)


def _error(status: int, error_type: str, message: str, **kw: object) -> Exception:
    body = {"Error": True, "ErrorType": error_type, "ErrorMessage": message, "ErrorSource": "SuperOffice.Services"}
    return error_for_response(
        _answer(status, body, **kw), service="SuperOffice", account="acme", table=so._ERRORS, not_found="no project 7"
    )


def test_superoffice_error_bodies_become_specific_errors() -> None:
    assert isinstance(_error(404, "SoNotFoundException", "Project id 7 not found"), NotFoundError)
    assert str(_error(404, "SoNotFoundException", "Project id 7 not found")) == "no project 7"
    stale = _error(412, "SoConcurrencyException", "Precondition failed")
    assert isinstance(stale, ServerError) and "changed the record since it was read" in str(stale)
    conflict = _error(409, "SoConflictException", "test failed")
    assert "changed meanwhile" in str(conflict)
    assert isinstance(_error(421, "MisdirectedRequest", "Wrong subdomain"), so.TenantMovedError)
    denied = _error(500, "SoAccessDeniedException", "No access to project 7")
    assert isinstance(denied, PermissionDeniedError) and "No access to project 7" in str(denied)
    other = _error(400, "SoArgumentException", "Name is too long")
    assert "Name is too long" in str(other)


def test_throttling_and_unavailability_carry_the_servers_wait() -> None:
    slow = _error(429, "Throttled", "Too many requests", headers={"Retry-After": "7"})
    assert isinstance(slow, RateLimitedError) and slow.retry_after == 7
    down = _error(503, "Unavailable", "Maintenance", headers={"Retry-After": "30"})
    assert isinstance(down, ServiceUnavailableError) and down.retry_after == 30


def test_a_document_entity_names_the_file_as_the_server_amended_it() -> None:
    record = wire.document_record({"DocumentId": 12, "Header": "report.pdf", "Name": "report (2).pdf"})
    assert (record.id, record.name, record.mime_type) == ("12", "report (2).pdf", "application/pdf")
    with pytest.raises(ProtocolError):
        wire.document_record({"DocumentId": 0})


def test_slim_rows_become_entities_with_their_parents_and_pictures() -> None:
    person = wire.person_entity(
        {"PrimaryKey": "5", "personId": 5, "fullName": "Maya Berg", "contactId": 3, "portraitThumbnail": "u"}
    )
    assert (person.id, person.name, person.has_image, person.parent_id(wire.EntityKind.COMPANY)) == (
        "5",
        "Maya Berg",
        True,
        "3",
    )
    task = wire.task_entity({"appointmentId": 9, "text": "Call", "projectId": 0})
    assert task.parents == ()
    user = wire.user_entity({"associateDbId": 2, "personId": 11, "fullName": "Ann"})
    assert user.parent_id(wire.EntityKind.CONTACT_PERSON) == "11"


def test_pictures_in_superoffices_formats_pass_others_are_refused_before_sending(tmp_path: Path) -> None:
    for fmt, mime in (("PNG", "image/png"), ("JPEG", "image/jpeg"), ("GIF", "image/gif"), ("TIFF", "image/tiff")):
        path = tmp_path / f"p.{fmt.lower()}"
        Image.new("RGB", (8, 8), (1, 2, 3)).save(path, fmt)
        assert wire.check_picture(path) == (mime, path.stat().st_size)
    webp = tmp_path / "p.webp"
    Image.new("RGB", (8, 8)).save(webp, "WEBP")
    with pytest.raises(InvalidInputError, match="PNG, JPEG, GIF or TIFF"):
        wire.check_picture(webp)


def test_the_backend_declares_the_formats_it_takes_for_the_picture_conversion() -> None:
    secret = {"type": "api_key", "api_key": "t"}
    backend = so.open_backend("https://sod2.superoffice.com/Cust1/api", secret, account="a")
    try:
        rules = backend.image_rules(wire.EntityKind.PROJECT)
        assert rules.mime_types == {"image/png", "image/jpeg", "image/gif", "image/tiff"}
    finally:
        backend.close()


def test_an_oauth_secret_opens_the_tenant_address_from_the_id_token() -> None:
    secret = {
        "type": "oauth",
        "access_token": "8A:x",
        "refresh_token": "r",
        "expires_at": 4e9,
        "webapi_url": "https://sod2.superoffice.com/Cust1/api",
    }
    backend = so.open_backend("https://online.superoffice.com/Cust1/api", secret, account="a")
    try:
        assert backend.base_url == "https://sod2.superoffice.com/Cust1/api"
    finally:
        backend.close()


def test_a_moved_tenant_is_followed_once_and_its_new_address_kept() -> None:
    """A 421 (the tenant moved to another host) cannot be had from one sandbox: a mock plays
    SuperOffice's old host, its tenant status API and the new host."""
    seen: list[tuple[str, str, str]] = []

    def answer(request: httpx.Request) -> httpx.Response:
        seen.append((request.url.host, request.url.path, request.headers.get("SO-AppToken", "")))
        if request.url.path == "/api/state/Cust7":
            return httpx.Response(200, json={"Endpoint": "https://online4.superoffice.com/Cust7", "IsRunning": True})
        if request.url.host == "online2.superoffice.com":
            return httpx.Response(
                421, json={"Error": True, "ErrorType": "Misdirected", "ErrorMessage": "Wrong subdomain"}
            )
        return httpx.Response(200, json={"DatabaseContextIdentifier": "Cust7", "FullName": "Ann"})

    moved: list[str] = []
    backend = so.SuperOfficeBackend(
        "https://online2.superoffice.com/Cust7/api",
        auth=so.BearerAuth(so.constant("8A:t"), headers=so.app_token_headers("app-token")),
        transport=httpx.MockTransport(answer),
        on_moved=moved.append,
    )
    try:
        assert backend.workspace().name == "Cust7"
        assert backend.base_url == "https://online4.superoffice.com/Cust7/api" and moved == [backend.base_url]
        backend.workspace()
    finally:
        backend.close()
    assert [(host, path) for host, path, _ in seen] == [
        ("online2.superoffice.com", "/Cust7/api/v1/User/currentPrincipal"),
        ("online.superoffice.com", "/api/state/Cust7"),
        ("online4.superoffice.com", "/Cust7/api/v1/User/currentPrincipal"),
        ("online4.superoffice.com", "/Cust7/api/v1/User/currentPrincipal"),
    ]
    # The app token goes with every API request, not to the anonymous status API.
    assert [token for _, path, token in seen] == ["app-token", "", "app-token", "app-token"]
