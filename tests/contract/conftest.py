"""Load awork's OpenAPI document once per session and check sandbox answers against it.

openapi-core validates a response against the operation its request addresses; our small
adapters give it an httpx exchange. The document is awork's own (510 paths, 2 MB); its
duplicate operationIds make the strict spec validator refuse it, so that step is skipped.
"""

from __future__ import annotations

import json
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
import pytest

from support.tools import tool_missing

REPO_ROOT = Path(__file__).resolve().parents[2]
SPEC_PATH = REPO_ROOT.parent / "shared" / "contracts" / "awork-openapi.json"
SPEC_SERVER = "https://api.awork.com"  # the spec's server is https://api.awork.com/api/v1


@dataclass
class SpecRequest:
    """openapi_core.protocols.Request for a request the sandbox answered."""

    host_url: str
    path: str
    method: str
    parameters: Any
    content_type: str = "application/json"
    body: bytes | None = None


@dataclass
class SpecResponse:
    """openapi_core.protocols.Response for an httpx response."""

    status_code: int
    data: bytes
    content_type: str
    headers: dict[str, str] = field(default_factory=dict)


@dataclass
class AworkSpec:
    openapi: Any
    document: dict
    load_seconds: float

    def check(self, response: httpx.Response) -> Any:
        """Validate a JSON response against the operation and status the spec declares."""
        from openapi_core.datatypes import RequestParameters
        from werkzeug.datastructures import Headers, ImmutableMultiDict

        assert response.headers.get("content-type", "").startswith("application/json"), response.headers
        request = response.request
        parameters = RequestParameters(
            query=ImmutableMultiDict(list(request.url.params.multi_items())),
            header=Headers(dict(request.headers)),
        )
        spec_request = SpecRequest(
            SPEC_SERVER,
            request.url.path.lower(),
            request.method.lower(),
            parameters,
            request.headers.get("content-type", "application/json").lower(),
            None,  # response validation never reads the request body (and a multipart one is a stream)
        )
        spec_response = SpecResponse(
            response.status_code,
            response.content,
            response.headers["content-type"].lower(),
            dict(response.headers),
        )
        self.openapi.validate_response(spec_request, spec_response)
        return response.json()

    def check_schema(self, data: Any, schema_name: str) -> None:
        """Validate data against a named component schema (for statuses an operation leaves out)."""
        from openapi_schema_validator import OAS30Validator, oas30_format_checker

        schema = {"$ref": f"#/components/schemas/{schema_name}", "components": self.document["components"]}
        OAS30Validator(schema, format_checker=oas30_format_checker).validate(data)


@pytest.fixture(scope="session")
def awork_spec() -> AworkSpec:
    if not SPEC_PATH.is_file():
        tool_missing(f"awork's OpenAPI document is not at {SPEC_PATH} (clone shared/ beside the repository)")
    from openapi_core import OpenAPI
    from openapi_core.configurations import Config

    began = time.perf_counter()
    openapi = OpenAPI.from_file_path(str(SPEC_PATH), config=Config(spec_validator_cls=None))
    document = json.loads(SPEC_PATH.read_text())
    return AworkSpec(openapi, document, time.perf_counter() - began)


# ---------------------------------------------------------------------------- ONLYOFFICE

ONLYOFFICE_SPEC_PATH = REPO_ROOT.parent / "shared" / "contracts" / "onlyoffice-openapi.json"
ONLYOFFICE_SPEC_SERVER = "https://localhost:8092"  # the spec's server, with its defaults


@dataclass
class OnlyofficeSpec:
    """The spec with `onlyoffice_corrections` applied: the server's answers as it really sends them."""

    openapi: Any
    document: dict

    def check(self, response: httpx.Response) -> Any:
        """Validate a JSON answer against its operation and status; returns the envelope."""
        from openapi_core.datatypes import RequestParameters
        from werkzeug.datastructures import Headers, ImmutableMultiDict

        assert response.headers.get("content-type", "").startswith("application/json"), response.headers
        request = response.request
        path = request.url.path.removesuffix(".json").rstrip("/")
        parameters = RequestParameters(
            query=ImmutableMultiDict(list(request.url.params.multi_items())), header=Headers(dict(request.headers))
        )
        spec_request = SpecRequest(ONLYOFFICE_SPEC_SERVER, path, request.method.lower(), parameters, body=None)
        spec_response = SpecResponse(
            response.status_code, response.content, response.headers["content-type"].lower(), dict(response.headers)
        )
        self.openapi.validate_response(spec_request, spec_response)
        return response.json()


@pytest.fixture(scope="session")
def onlyoffice_spec() -> OnlyofficeSpec:
    if not ONLYOFFICE_SPEC_PATH.is_file():
        tool_missing(
            f"ONLYOFFICE's OpenAPI document is not at {ONLYOFFICE_SPEC_PATH} (clone shared/ beside the repository)"
        )
    from onlyoffice_corrections import corrected
    from openapi_core import OpenAPI
    from openapi_core.configurations import Config

    document = corrected(json.loads(ONLYOFFICE_SPEC_PATH.read_text()))
    return OnlyofficeSpec(OpenAPI.from_dict(document, config=Config(spec_validator_cls=None)), document)
