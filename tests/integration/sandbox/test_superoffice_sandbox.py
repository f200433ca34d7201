"""The SuperOffice sandbox over real HTTP: the tenant, sign-in, archive lists and their paging,
images, documents and the Online OpenID Connect sign-in, as a client meets them."""

from __future__ import annotations

import base64
import hashlib
import io
import json
import os
import re
import secrets
import signal
import subprocess
import sys
from collections.abc import Iterator
from html import unescape
from urllib.parse import parse_qs, urlsplit

import httpx
import pytest
from PIL import Image

from attache.sandbox import SandboxServer
from attache.sandbox.common.faults import FaultPlan

BINARY = {"Accept": "binary/octet-stream"}


@pytest.fixture(scope="module")
def so_sandbox() -> Iterator[SandboxServer]:
    """One demo tenant for the tests that only read."""
    with SandboxServer(service="superoffice") as server:
        yield server


@pytest.fixture
def fresh_so_sandbox() -> Iterator[SandboxServer]:
    with SandboxServer(service="superoffice", max_document_size=4096) as server:
        yield server


def client(server: SandboxServer, authorization: str | None = None) -> httpx.Client:
    headers = {"Authorization": authorization or f"Bearer {server.token}", "Accept": "application/json"}
    return httpx.Client(base_url=server.base_url + "/v1", headers=headers, timeout=30)


def basic(user: str, password: str) -> str:
    return "Basic " + base64.b64encode(f"{user}:{password}".encode()).decode()


def png(color: str = "red", size: tuple[int, int] = (40, 20), fmt: str = "PNG") -> bytes:
    out = io.BytesIO()
    Image.new("RGB", size, color).save(out, fmt)
    return out.getvalue()


def assert_error(response: httpx.Response, status: int, error_type: str | None = None) -> dict:
    assert response.status_code == status, response.text
    body = response.json()
    assert body["Error"] is True and body["ErrorMessage"] and body["ErrorSource"], body
    if error_type:
        assert body["ErrorType"] == error_type, body
    return body


# ---------------------------------------------------------------------------- tenant and sign-in


def test_the_base_url_is_the_tenants_api_and_other_tenants_are_misdirected(so_sandbox):
    assert so_sandbox.base_url == f"{so_sandbox.root_url}/Cust12345/api"
    probe = httpx.get(so_sandbox.base_url)  # the version probe needs no sign-in
    assert probe.status_code == 200 and probe.json()["v1"] == so_sandbox.base_url + "/v1"
    other = httpx.get(f"{so_sandbox.root_url}/Cust99999/api/v1/Contact", headers={"Authorization": "Bearer x"})
    assert "Wrong subdomain" in assert_error(other, 421, "MisdirectedRequest")["ErrorMessage"]
    state = httpx.get(f"{so_sandbox.root_url}/api/state/Cust12345").json()
    assert state["IsRunning"] is True and state["State"] == "Running"
    assert state["Api"] == so_sandbox.base_url and state["Endpoint"] == f"{so_sandbox.root_url}/Cust12345"


def test_basic_and_bearer_sign_in_and_wrong_credentials_get_401(so_sandbox):
    right = basic(so_sandbox.demo_user, so_sandbox.demo_password)
    with client(so_sandbox, right) as api:
        principal = api.get("/User/currentPrincipal").json()
    assert principal["UserName"] == so_sandbox.demo_user and principal["DatabaseContextIdentifier"] == "Cust12345"
    with client(so_sandbox, f"bearer {so_sandbox.token}") as api:  # schemes without regard to case
        assert api.get("/User/currentPrincipal", headers={"SO-AppToken": "anything"}).status_code == 200
    for wrong in (basic(so_sandbox.demo_user, "nope"), "Bearer not-the-token", "SOTicket 7T:abc=="):
        with client(so_sandbox, wrong) as api:
            assert_error(api.get("/Contact"), 401, "UnauthorizedAccessException")
    missing = httpx.get(so_sandbox.base_url + "/v1/Contact/2")
    assert_error(missing, 401)
    assert "Bearer" in missing.headers["www-authenticate"]


# ---------------------------------------------------------------------------- lists


def test_following_next_link_returns_every_person_exactly_once(so_sandbox):
    total = so_sandbox.store.scalar("SELECT COUNT(*) FROM persons")
    assert total > 250
    seen: list[int] = []
    url: str | None = so_sandbox.base_url + "/v1/Person?$select=personId,fullName&$top=1000"
    pages = 0
    with client(so_sandbox) as api:
        while url:
            body = api.get(url).json()
            assert len(body["value"]) <= 200  # the server's cap, below what was asked
            seen += [int(row["personId"]) for row in body["value"]]
            assert all(row["PrimaryKey"] == row["personId"] and row["EntityName"] == "person" for row in body["value"])
            url, pages = body["odata.nextLink"], pages + 1
    assert pages == 2 and sorted(seen) == seen and len(seen) == len(set(seen)) == total


def test_a_top_under_the_cap_pages_by_skip_without_next_link(so_sandbox):
    with client(so_sandbox) as api:
        first = api.get("/Person", params={"$select": "personId", "$top": 100}).json()
        last = api.get("/Person", params={"$select": "personId", "$top": 100, "$skip": 200}).json()
        beyond = api.get("/Person", params={"$top": 100, "$skip": 10_000}).json()
    assert len(first["value"]) == 100 and first["odata.nextLink"] is None
    assert 50 < len(last["value"]) < 100 and last["odata.nextLink"] is None
    assert beyond["value"] == [] and first["odata.metadata"].endswith("/Cust12345/api/v1/Archive/$metadata")


def test_filter_searches_names_without_regard_to_case(so_sandbox):
    with client(so_sandbox) as api:
        contains = api.get("/Person", params={"$select": "personId,fullName", "$filter": "fullName contains 'LINDQ'"})
        begins = api.get("/Contact", params={"$select": "contactId,name", "$filter": "name begins 'nordic'"})
        either_filter = "name contains 'cloud' or name eq 'ERP integration'"
        either = api.get("/Project", params={"$select": "name", "$filter": either_filter})
        function = api.get("/User", params={"$select": "fullName", "$filter": "startswith(fullName, 'maya')"})
    assert [row["fullName"] for row in contains.json()["value"]] == ["Maya Lindqvist"]
    names = [row["name"] for row in begins.json()["value"]]
    assert names and all(name.startswith("Nordic ") for name in names)
    assert sorted(row["name"] for row in either.json()["value"]) == ["Cloud migration", "ERP integration"]
    assert [row["fullName"] for row in function.json()["value"]] == ["Maya Lindqvist"]


def test_an_invalid_filter_is_400_with_the_error_body(so_sandbox):
    with client(so_sandbox) as api:
        for bad in ("name contans 'x'", "nosuchcolumn eq 1", "name eq", "(name eq 'x'"):
            assert_error(api.get("/Contact", params={"$filter": bad}), 400, "ODataFilterParseException")


def test_tasks_are_the_checklist_appointments(so_sandbox):
    with client(so_sandbox) as api:
        everything = api.get("/Appointment", params={"$select": "appointmentId,recordType"}).json()["value"]
        tasks = api.get(
            "/Appointment",
            params={
                "$select": "appointmentId,text,type,projectId",
                "$filter": "recordType eq 'inChecklist' and projectId eq 2",
            },
        ).json()["value"]
        task = api.get(f"/Appointment/{tasks[0]['appointmentId']}").json()
    kinds = {row["recordType"] for row in everything}
    assert kinds == {"inChecklist", "inDiary"}
    assert tasks and all(row["projectId"] == "2" for row in tasks)
    assert task["Type"] == "inChecklist" and task["Task"]["Value"] == tasks[0]["type"]
    assert task["Project"]["ProjectId"] == 2


def test_single_entities_and_a_missing_one(so_sandbox):
    with client(so_sandbox) as api:
        contact = api.get("/Contact/2").json()
        person = api.get("/Person/1").json()
        project = api.get("/Project/1").json()
        user = api.get("/User/1").json()
        missing = api.get("/Contact/99999")
    assert contact["ContactId"] == 2 and contact["Persons"] and contact["Associate"]["AssociateId"] > 0
    assert person["IsAssociate"] is True and person["Contact"]["ContactId"] == 1
    assert project["HasImage"] is True and project["ProjectStatus"]["Value"]
    assert user["Person"]["PersonId"] == 1 and user["UserName"] == so_sandbox.demo_user
    assert assert_error(missing, 404, "SoNotFoundException")["ErrorMessage"] == "Contact id 99999 not found"


# ---------------------------------------------------------------------------- images


def test_an_image_is_put_read_scaled_and_deleted(fresh_so_sandbox):
    data = png("teal", (80, 40))
    with client(fresh_so_sandbox) as api:
        assert_error(api.get("/Contact/3/Image"), 404)  # no picture yet, ifBlank not set
        assert api.get("/Contact/3/Image", params={"ifBlank": "SrNoPhoto"}).headers["content-type"] == "image/png"
        put = api.put("/Contact/3/Image", content=data, headers={"Content-Type": "image/png"})
        assert put.status_code == 200 and isinstance(put.json(), int)
        same = api.get("/Contact/3/Image")
        assert same.content == data and same.headers["content-type"] == "image/png"
        small = api.get("/Contact/3/Image", params={"w": 20, "h": 20, "type": "JPEG"})
        assert small.headers["content-type"] == "image/jpeg"
        assert Image.open(io.BytesIO(small.content)).size == (20, 10)
        info = api.get("/Contact/3/ImageInfo").json()
        assert info["BlobId"] == put.json() and info["BlobSize"] == len(data)
        assert api.delete("/Contact/3/Image").status_code == 204
        assert_error(api.get("/Contact/3/image"), 404)
        assert api.get("/Contact/3/Imageinfo").json()["BlobId"] == 0


def test_images_in_accepted_formats_only(fresh_so_sandbox):
    with client(fresh_so_sandbox) as api:
        tiff = api.put("/Person/30/Image", content=png(fmt="TIFF"), headers={"Content-Type": "image/tiff"})
        assert tiff.status_code == 200
        assert api.get("/Person/30/Image").headers["content-type"] == "image/tiff"
        multipart = api.post("/Project/2/Image", files={"image": ("p.gif", png(fmt="GIF"), "image/gif")})
        assert multipart.status_code == 200 and api.get("/Project/2").json()["HasImage"] is True
        webp = api.put("/Project/2/Image", content=png(fmt="WEBP"), headers={"Content-Type": "image/webp"})
        assert_error(webp, 415)
        not_an_image = api.put("/Project/2/Image", content=b"<html>no</html>", headers={"Content-Type": "image/png"})
        assert_error(not_an_image, 400)
        empty = api.put("/Project/2/Image", content=b"", headers={"Content-Type": "image/png"})
        assert assert_error(empty, 400)["ErrorMessage"] == "Image bitmap is missing from body."
        assert_error(api.put("/Project/999/Image", content=png(), headers={"Content-Type": "image/png"}), 404)


# ---------------------------------------------------------------------------- documents


def new_document(api: httpx.Client, **fields) -> dict:
    body = {"Header": "Site plan", "Name": "plan.pdf", "DocumentTemplate": {"DocumentTemplateId": 1}, **fields}
    response = api.post("/Document", json=body)
    assert response.status_code == 200, response.text
    return response.json()


def test_a_document_is_created_filled_and_read_back_byte_identical(fresh_so_sandbox):
    content = secrets.token_bytes(3000)
    with client(fresh_so_sandbox) as api:
        default = api.get("/Document/default").json()
        assert default["DocumentId"] == 0 and default["DocumentTemplate"]["DocumentTemplateId"] == 1
        created = new_document(
            api, Project={"ProjectId": 3}, Person={"PersonId": 40}, Links=[{"EntityName": "appointment", "Id": 5}]
        )
        document_id = created["DocumentId"]
        assert created["Project"]["ProjectId"] == 3 and created["Contact"]["ContactId"]  # the person's company
        assert api.get(f"/Document/{document_id}/Length").json() == 0  # created, no content yet
        put = api.put(f"/Document/{document_id}/Content", content=content, headers={"Content-Type": "application/pdf"})
        assert put.status_code == 200 and put.json()["DocumentId"] == document_id
        raw = api.get(f"/Document/{document_id}/Content", headers=BINARY)
        assert raw.content == content and raw.headers["content-type"].startswith("binary/octet-stream")
        as_json = api.get(f"/Document/{document_id}/Content")  # JSON: the bytes in base64
        assert base64.b64decode(as_json.json()) == content
        by_project = api.get("/Document", params={"$select": "documentId,name", "$filter": "projectId eq 3"}).json()
        assert document_id in [int(row["documentId"]) for row in by_project["value"]]
        by_person = api.get("/Person/40/Documents", params={"$select": "documentId"}).json()["value"]
        assert [int(row["documentId"]) for row in by_person] == [document_id]
        links = api.get("/Appointment/5/Links").json()["value"]
        assert {"id": str(document_id), "entityName": "document"}.items() <= links[-1].items()
        assert api.delete(f"/Document/{document_id}").status_code == 204
        assert_error(api.get(f"/Document/{document_id}"), 404)


def test_the_server_amends_names_and_refuses_bad_templates(fresh_so_sandbox):
    with client(fresh_so_sandbox) as api:
        first = new_document(api, Contact={"ContactId": 2}, Name="notes.txt")
        second = new_document(api, Contact={"ContactId": 4}, Name="NOTES.txt")
        unsafe = new_document(api, Contact={"ContactId": 2}, Name="a<b>:c|d?.txt")
        assert (first["Name"], second["Name"], unsafe["Name"]) == ("notes.txt", "NOTES (1).txt", "a_b__c_d_.txt")
        empty = api.get(f"/Document/{first['DocumentId']}")  # never filled: there, and empty
        assert empty.status_code == 200 and api.get(f"/Document/{first['DocumentId']}/Length").json() == 0
        listed = api.get("/Contact/2/Documents", params={"$select": "documentId,name"}).json()["value"]
        assert {"notes.txt", "a_b__c_d_.txt"} <= {row["name"] for row in listed}
        templates = api.get("/List/DocumentTemplate/Items").json()
        every = api.get("/List/DocumentTemplate/Items", params={"includeDeleted": "true"}).json()
        deleted = [t["DocumentTemplateId"] for t in every if t["Deleted"]]
        assert deleted and not set(deleted) & {t["DocumentTemplateId"] for t in templates}
        refused = api.post("/Document", json={"Name": "x.pdf", "DocumentTemplate": {"DocumentTemplateId": deleted[0]}})
        assert_error(refused, 400)
        assert_error(api.post("/Document", json={"Name": "x.pdf", "Contact": {"ContactId": 2}}), 400)
        assert_error(api.post("/Document", json={"Name": "x.pdf", "DocumentTemplate": {"DocumentTemplateId": 1},
                                                 "Contact": {"ContactId": 99999}}), 400)  # fmt: skip


def test_content_over_the_limit_is_refused(fresh_so_sandbox):
    assert fresh_so_sandbox.max_document_size == 4096
    with client(fresh_so_sandbox) as api:
        document_id = new_document(api, Contact={"ContactId": 2})["DocumentId"]
        over = api.put(f"/Document/{document_id}/Content", content=b"x" * 4097)
        assert "limit" in assert_error(over, 413)["ErrorMessage"]

        def chunks() -> Iterator[bytes]:  # no Content-Length: found out while reading
            for _ in range(5):
                yield b"y" * 1000

        streamed = api.put(f"/Document/{document_id}/Content", content=chunks())
        assert_error(streamed, 413)
        assert api.get(f"/Document/{document_id}/Length").json() == 0
        exact = api.put(f"/Document/{document_id}/Content", content=b"z" * 4096)
        assert exact.status_code == 200 and api.get(f"/Document/{document_id}/Length").json() == 4096


def test_stale_writes_are_412_and_a_failed_patch_test_409(fresh_so_sandbox):
    with client(fresh_so_sandbox) as api:
        document_id = new_document(api, Contact={"ContactId": 2})["DocumentId"]
        stale = {"If-Unmodified-Since": "Mon, 01 Jan 2001 00:00:00 GMT"}
        assert_error(api.delete(f"/Document/{document_id}", headers=stale), 412)
        patch = [
            {"op": "test", "path": "/Header", "value": "other"},
            {"op": "replace", "path": "/Header", "value": "N"},
        ]
        assert_error(api.patch(f"/Document/{document_id}", json=patch), 409)
        patch[0]["value"] = "Site plan"
        assert api.patch(f"/Document/{document_id}", json=patch).json()["Header"] == "N"


def test_faults_come_in_superoffices_shape(make_awork_sandbox):
    server = make_awork_sandbox(service="superoffice", faults=FaultPlan(1.0, kinds=("429", "503"), seed=3))
    with client(server) as api:
        for _ in range(4):
            answer = api.get("/Contact")
            assert answer.status_code in (429, 503) and answer.headers["retry-after"] == "1"
            assert answer.json()["Error"] is True


def test_data_kept_in_a_folder_survives_a_restart(tmp_path):
    with SandboxServer(service="superoffice", data_dir=tmp_path) as server, client(server) as api:
        document_id = new_document(api, Contact={"ContactId": 2}, Name="kept.pdf")["DocumentId"]
    with SandboxServer(service="superoffice", data_dir=tmp_path) as server, client(server) as api:
        assert api.get(f"/Document/{document_id}").json()["Name"] == "kept.pdf"


# ---------------------------------------------------------------------------- Online sign-in


def _s256(verifier: str) -> str:
    return base64.urlsafe_b64encode(hashlib.sha256(verifier.encode()).digest()).rstrip(b"=").decode()


def _claims(jwt: str) -> dict:
    payload = jwt.split(".")[1]
    return json.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)))


def _approve(server: SandboxServer, verifier: str, state: str) -> dict[str, str]:
    """Consent as a browser would, and read what the auto-submitting form posts back."""
    discovery = httpx.get(server.root_url + "/login/.well-known/openid-configuration").json()
    params = {
        "client_id": server.client_id,
        "redirect_uri": "http://127.0.0.1:53682/callback",
        "response_type": "code",
        "response_mode": "form_post",
        "scope": "openid",
        "state": state,
        "nonce": "n-1",
        "code_challenge": _s256(verifier),
        "code_challenge_method": "S256",
        "acr_values": "tenant:Cust12345",
    }
    page = httpx.get(discovery["authorization_endpoint"], params=params)
    assert page.status_code == 200 and ">Allow</button>" in page.text
    posted = httpx.post(discovery["authorization_endpoint"], data={**params, "decision": "allow"})
    assert posted.status_code == 200 and 'onload="document.forms[0].submit()"' in posted.text
    assert 'action="http://127.0.0.1:53682/callback"' in posted.text
    fields = dict(re.findall(r'name="([^"]+)" value="([^"]*)"', posted.text))
    return {k: unescape(v) for k, v in fields.items()} | {"token_endpoint": discovery["token_endpoint"]}


def test_online_sign_in_with_pkce_and_rotating_refresh_tokens(fresh_so_sandbox):
    server = fresh_so_sandbox
    verifier = secrets.token_urlsafe(48)
    answer = _approve(server, verifier, "s-1")
    assert answer["state"] == "s-1"
    token_url = answer["token_endpoint"]
    exchange = {
        "grant_type": "authorization_code",
        "code": answer["code"],
        "redirect_uri": "http://127.0.0.1:53682/callback",
        "client_id": server.client_id,
    }
    wrong = httpx.post(token_url, data={**exchange, "code_verifier": "x" * 48})
    assert wrong.status_code == 400 and wrong.json()["error"] == "invalid_grant"
    exchange["code"] = _approve(server, verifier, "s-2")["code"]  # a refused exchange spends its code
    tokens = httpx.post(token_url, data={**exchange, "code_verifier": verifier}).json()
    assert tokens["token_type"] == "Bearer" and tokens["access_token"].startswith("8A:Cust12345.")
    claims = _claims(tokens["id_token"])
    prefix = "http://schemes.superoffice.net/identity/"
    assert claims[prefix + "webapi_url"] == server.base_url + "/" and claims[prefix + "ctx"] == "Cust12345"
    assert claims["aud"] == server.client_id and claims["nonce"] == "n-1"
    with client(server, f"Bearer {tokens['access_token']}") as api:
        assert api.get("/User/currentPrincipal").json()["UserName"] == server.demo_user

    refresh = {"grant_type": "refresh_token", "client_id": server.client_id, "client_secret": server.client_secret}
    fresh = httpx.post(token_url, data={**refresh, "refresh_token": tokens["refresh_token"]}).json()
    assert fresh["refresh_token"] != tokens["refresh_token"] and fresh["access_token"] != tokens["access_token"]
    reused = httpx.post(token_url, data={**refresh, "refresh_token": tokens["refresh_token"]})
    assert reused.status_code == 400 and reused.json()["error"] == "invalid_grant"
    with client(server, f"Bearer {fresh['access_token']}") as api:
        assert api.get("/Contact/2").status_code == 200
        server.oidc.expire_access_tokens()
        assert_error(api.get("/Contact/2"), 403)  # an expired token: refresh and retry


def test_sign_in_refuses_requests_a_native_app_must_not_send(so_sandbox):
    authorize = so_sandbox.root_url + "/login/common/oauth/authorize"
    good = {
        "client_id": so_sandbox.client_id,
        "redirect_uri": "http://127.0.0.1:5000/cb",
        "response_type": "code",
        "scope": "openid",
        "code_challenge": _s256("v" * 43),
        "code_challenge_method": "S256",
    }
    for change in ({"client_id": "unknown"}, {"redirect_uri": "https://example.com/cb"}, {"code_challenge": ""},
                   {"scope": "profile"}, {"acr_values": "tenant:Cust99999"}):  # fmt: skip
        assert httpx.get(authorize, params={**good, **change}).status_code == 400, change
    denied = httpx.post(authorize, data={**good, "state": "s", "decision": "deny"})
    assert denied.status_code == 302
    assert parse_qs(urlsplit(denied.headers["location"]).query)["error"] == ["access_denied"]
    grant = httpx.post(so_sandbox.root_url + "/login/common/oauth/tokens", data={"grant_type": "client_credentials"})
    assert grant.json()["error"] == "unsupported_grant_type"


# ---------------------------------------------------------------------------- the command


def test_attache_sandbox_prints_the_tenant_url_first():
    process = subprocess.Popen(
        [sys.executable, "-m", "attache", "sandbox", "--service", "superoffice", "--port", "0", "--token", "cli-t"],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env={**os.environ, "PYTHONUNBUFFERED": "1"},
    )
    try:
        first = process.stdout.readline()
        match = re.fullmatch(r"SuperOffice sandbox at (http://127\.0\.0\.1:\d+/Cust12345/api)\n", first)
        assert match, first
        lines = [process.stdout.readline() for _ in range(3)]
        assert "password demo-password" in lines[0] and "cli-t" in lines[1] and "client id" in lines[2]
        answer = httpx.get(match[1] + "/v1/User/currentPrincipal", headers={"Authorization": "Bearer cli-t"})
        assert answer.status_code == 200
        process.send_signal(signal.SIGTERM)
        _, errors = process.communicate(timeout=30)
        assert process.returncode == 0, errors
    finally:
        if process.poll() is None:
            process.kill()
            process.communicate()
