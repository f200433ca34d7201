"""Every answer the SuperOffice client relies on, from the sandbox, checked against SuperOffice's
own Swagger 2.0 document with the corrections `superoffice_spec` lists (nullable properties,
Slim rows as display strings, no properties the spec does not name, the notes' error body)."""

from __future__ import annotations

import io
from collections.abc import Iterator

import httpx
import pytest
from jsonschema import ValidationError
from PIL import Image

from attache.sandbox import SandboxServer
from support.tools import tool_missing

from superoffice_spec import SPEC_PATH, SuperofficeSpec  # isort: skip  (beside this file)


@pytest.fixture(scope="module")
def spec() -> SuperofficeSpec:
    if not SPEC_PATH.is_file():
        tool_missing(f"SuperOffice's Swagger document is not at {SPEC_PATH} (clone shared/ beside the repository)")
    return SuperofficeSpec.load()


@pytest.fixture(scope="module")
def tenant() -> Iterator[SandboxServer]:
    with SandboxServer(service="superoffice") as server:
        yield server


@pytest.fixture(scope="module")
def api(tenant: SandboxServer) -> Iterator[httpx.Client]:
    headers = {"Authorization": f"Bearer {tenant.token}", "Accept": "application/json"}
    with httpx.Client(base_url=tenant.base_url + "/v1", headers=headers, timeout=30) as client:
        yield client


@pytest.mark.parametrize(
    ("path", "select"),
    [
        ("/Contact", "contactId,name,department,category,number,orgnr,updatedDate"),
        ("/Person", "personId,firstName,lastName,fullName,contactId,title,portraitThumbnail"),
        ("/Project", "projectId,name,number,type,status,associateId,imageThumbnail,completed"),
        ("/User", "associateDbId,personId,fullName,userName,personEmail,isActive,portraitThumbnail"),
        ("/Appointment", "appointmentId,text,date,type,recordType,projectId,contactId,completed"),
        ("/Document", "documentId,name,subject,date,contactId,projectId,appointmentId"),
        ("/Contact/2/Documents", "documentId,name,subject"),
        ("/Person/21/Documents", "documentId,name"),
        ("/Appointment/4/Links", "id,entityName,description"),
        ("/Archive/FindProject", "projectId,name"),
        ("/Archive/AllUsers", "associateDbId,fullName"),
    ],
)
def test_archive_lists(spec, api, path, select):
    body = spec.check(api.get(path, params={"$select": select, "$top": 300}))
    assert body["value"], path
    assert set(body["value"][0]) == {"PrimaryKey", "EntityName", *select.split(",")}


@pytest.mark.parametrize(
    "path",
    [
        "/Contact/2",
        "/Person/1",
        "/Person/40",
        "/Project/1",
        "/Appointment/1",
        "/Appointment/6",
        "/User/1",
        "/User/currentPrincipal",
        "/User/currentAssociate",
        "/Document/1/Length",
        "/Document/1",
        "/Document/4",
        "/Document/default",
        "/List/DocumentTemplate/Items",
        "/Project/1/Imageinfo",
        "/Person/5/ImageInfo",
    ],
)
def test_entities(spec, api, path):
    spec.check(api.get(path))


def test_a_document_created_and_filled(spec, api):
    created = spec.check(
        api.post(
            "/Document",
            json={
                "Header": "Contract",
                "Name": "contract.pdf",
                "DocumentTemplate": {"DocumentTemplateId": 2},
                "Contact": {"ContactId": 3},
                "Project": {"ProjectId": 4},
                "Links": [{"EntityName": "appointment", "Id": 4}],
            },
        )
    )
    document_id = created["DocumentId"]
    filled = api.put(
        f"/Document/{document_id}/Content", content=b"%PDF-1.4 tiny", headers={"Content-Type": "application/pdf"}
    )
    spec.check(filled)
    spec.check(api.get(f"/Document/{document_id}/Content"))  # JSON: a base64 string
    spec.check(api.patch(f"/Document/{document_id}", json=[{"op": "replace", "path": "/Header", "value": "C2"}]))
    out = io.BytesIO()
    Image.new("RGB", (30, 30), "navy").save(out, "PNG")
    spec.check(api.put("/Project/4/Image", content=out.getvalue(), headers={"Content-Type": "image/png"}))
    assert api.delete(f"/Document/{document_id}").status_code == 204


@pytest.mark.parametrize(
    ("method", "path", "kwargs", "status"),
    [
        ("GET", "/Contact/99999", {}, 404),
        ("GET", "/Document/99999", {}, 404),
        ("GET", "/Contact", {"params": {"$filter": "name likes 'x'"}}, 400),
        ("GET", "/Project/1/Image", {"params": {"type": "BMP"}}, 400),
        ("GET", "/Contact/3/Image", {}, 404),
        ("PUT", "/Contact/3/Image", {"content": b"", "headers": {"Content-Type": "image/png"}}, 400),
        ("POST", "/Document", {"json": {"Name": "x.pdf"}}, 400),
        ("DELETE", "/Document/1", {"headers": {"If-Unmodified-Since": "Mon, 01 Jan 2001 00:00:00 GMT"}}, 412),
        ("GET", "/Contact/2", {"headers": {"Authorization": "Bearer wrong"}}, 401),
    ],
)
def test_error_bodies(spec, api, method, path, kwargs, status):
    response = api.request(method, path, **kwargs)
    assert response.status_code == status, response.text
    spec.check(response)


def test_the_validator_catches_a_wrong_field(spec, api):
    """The strict, corrected schema refuses what the spec does not name or type: a check that can fail."""
    contact = api.get("/Contact/2").json()
    name = "SuperOffice.WebApi.v1.Carriers.ContactCarriers.ContactEntityWithLinks"
    spec.check_definition(contact, name)
    with pytest.raises(ValidationError):
        spec.check_definition({**contact, "ContactName": "invented"}, name)
    with pytest.raises(ValidationError):
        spec.check_definition({**contact, "ContactId": "2"}, name)
