"""The REST base: who closes which client, the service's error table, HTML where JSON was due, lists."""

from __future__ import annotations

from collections.abc import Callable

import httpx
import pytest

from attache.backends.auth import RawTokenAuth, constant
from attache.backends.errors import ErrorRule, ErrorTable
from attache.backends.http import default_retry, make_client
from attache.backends.paging import ODataPaging
from attache.backends.rest import RestClient
from attache.core.errors import AuthenticationError, NetworkError, NotFoundError, ProtocolError, ServerError

BASE = "https://crm.test/api/v1"
Handler = Callable[[httpx.Request], httpx.Response]


class Service(RestClient):
    service_name = "Svc"
    paging = ODataPaging()
    errors = ErrorTable(
        codes={"SoNotFoundException": ErrorRule(NotFoundError, "{service} has no such record")},
        statuses={421: ErrorRule(ServerError, "{service} moved this account to another server ({status})")},
    )


def service_for(handler: Handler) -> Service:
    client = make_client(
        BASE,
        auth=RawTokenAuth(constant("tok")),
        transport=httpx.MockTransport(handler),
        retry=default_retry(sleeper=lambda seconds: None),
    )
    service = Service(BASE, account="work", client=client)
    service._own(client)
    return service


def test_a_given_client_is_left_open_and_made_ones_are_closed():
    given = make_client(BASE, transport=httpx.MockTransport(lambda r: httpx.Response(200)))
    with Service(BASE, account="work", client=given):
        pass
    assert not given.is_closed
    given.close()
    made = Service(BASE, account="work", auth=RawTokenAuth(constant("tok")))
    client = made._client
    made.close()
    assert client.is_closed


def test_the_services_table_maps_codes_and_statuses():
    body = {"Error": True, "ErrorType": "SoNotFoundException", "ErrorMessage": "Contact id 9 not found"}
    service = service_for(lambda r: httpx.Response(404, json=body))
    with service, pytest.raises(NotFoundError, match=r"^Svc has no such record$"):
        service._json("GET", "Contact/9")
    other = service_for(lambda r: httpx.Response(421, text="Wrong subdomain"))
    with other, pytest.raises(ServerError, match=r"moved this account to another server \(421\)"):
        other._json("GET", "Project/1")


def test_a_plain_text_401_is_a_sign_in_error_naming_the_account():
    service = service_for(lambda r: httpx.Response(401, text="Unauthorized"))
    with service, pytest.raises(AuthenticationError, match="'work'"):
        service._json("GET", "people/@self")


def test_html_instead_of_json_is_a_protocol_error_in_json_and_in_bytes():
    page = httpx.Response(200, html="<!doctype html><title>Login</title>")
    with service_for(lambda r: page) as service:
        with pytest.raises(ProtocolError, match="HTML page instead of Svc's JSON"):
            service._json("GET", "Project")
        with pytest.raises(ProtocolError, match="HTML page"):
            service._bytes(service._send("GET", "Project/1/Image"))


def test_pages_follow_a_relative_next_link_on_the_same_server():
    seen: list[str] = []

    def handler(request: httpx.Request) -> httpx.Response:
        seen.append(str(request.url))
        if "skiptoken" in str(request.url):
            return httpx.Response(200, json={"value": [{"id": 3}]})
        return httpx.Response(200, json={"value": [{"id": 1}, {"id": 2}], "odata.nextLink": "Project?$skiptoken=x"})

    with service_for(handler) as service:
        pages = list(service._pages("Project", 2, params={"$select": "name"}))
    assert [item["id"] for page in pages for item in page.items] == [1, 2, 3]
    assert seen[0].startswith(f"{BASE}/Project?%24select=name") and seen[1] == f"{BASE}/Project?$skiptoken=x"


def test_a_failure_while_streaming_becomes_a_network_error():
    def handler(request: httpx.Request) -> httpx.Response:
        raise httpx.ReadError("reset", request=request)

    service = service_for(handler)
    with service, pytest.raises(NetworkError, match="dropped"), service._stream("GET", "Document/1/Content"):
        pass
