"""SuperOffice's spec is Swagger 2.0, which openapi-core does not read. Its schemas are JSON
Schema (draft 4) with `$ref: "#/definitions/…"`, so this checks an answer directly: find the
operation the request addresses (paths matched without regard to case, as IIS routes them),
take the schema of the answered status and validate the body with jsonschema's Draft4Validator
against the spec's own `definitions`.

Corrections to the spec, each what the live service sends (superoffice.md):
- Any property may be null: Swagger 2.0 cannot say "nullable", the WebAPI's serialiser writes
  null for an unset reference or string (the notes' examples, e.g. `"odata.nextLink": null`).
- ODataSlimResponse rows: the spec's `additionalProperties: {"type": "object"}` contradicts its
  own example; Slim values are display strings (§2.1).
- Strict objects: a definition's properties are all it may have (`additionalProperties: false`),
  so a misspelt or invented field in a sandbox answer fails — the spec lists every field.
- Error bodies have no definition in the spec: `ERROR_BODY` is the notes' §5 shape.
"""

from __future__ import annotations

import copy
import json
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx

REPO_ROOT = Path(__file__).resolve().parents[2]
SPEC_PATH = REPO_ROOT.parent / "shared" / "contracts" / "superoffice-openapi.json"
SLIM = "SuperOffice.Services.WebApi.OData.ODataSlimResponse"
ERROR_BODY = {
    "type": "object",
    "required": ["Error", "ErrorType", "ErrorMessage", "ErrorSource"],
    "properties": {
        "Error": {"type": "boolean", "enum": [True]},
        "ErrorType": {"type": "string", "minLength": 1},
        "ErrorMessage": {"type": "string", "minLength": 1},
        "ErrorSource": {"type": "string", "minLength": 1},
    },
    "additionalProperties": False,
}


def _nullable(schema: dict[str, Any]) -> dict[str, Any]:
    if "$ref" in schema:
        return {"anyOf": [{"$ref": schema["$ref"]}, {"type": "null"}]}
    corrected = dict(schema)
    if isinstance(corrected.get("type"), str):
        corrected["type"] = [corrected["type"], "null"]
        if "enum" in corrected:
            corrected["enum"] = [*corrected["enum"], None]
    if "items" in corrected:
        corrected["items"] = _nullable(corrected["items"])
    return corrected


def corrected_definitions(document: dict[str, Any]) -> dict[str, Any]:
    definitions = copy.deepcopy(document["definitions"])
    for definition in definitions.values():
        properties = definition.get("properties")
        if properties:
            definition["properties"] = {name: _nullable(schema) for name, schema in properties.items()}
            definition["additionalProperties"] = False
    slim = definitions[SLIM]["properties"]
    slim["value"] = {"type": "array", "items": {"type": "object", "additionalProperties": {"type": "string"}}}
    return definitions


@dataclass
class SuperofficeSpec:
    document: dict[str, Any]
    definitions: dict[str, Any]
    _paths: list[tuple[re.Pattern[str], str]]

    @classmethod
    def load(cls) -> SuperofficeSpec:
        document = json.loads(SPEC_PATH.read_text())
        paths = []
        for template in document["paths"]:
            pattern = re.sub(r"\\\{[^}]+\\\}", "[^/]+", re.escape(template))
            paths.append((re.compile(f"^{pattern}$", re.IGNORECASE), template))
        # Literal segments before templated ones: /Document/default is not /Document/{id}.
        paths.sort(key=lambda item: item[1].count("{"))
        return cls(document, corrected_definitions(document), paths)

    def operation(self, method: str, api_path: str) -> dict[str, Any]:
        """The spec's operation for `METHOD /api/v1/…`."""
        for pattern, template in self._paths:
            if pattern.match(api_path) and method.lower() in self.document["paths"][template]:
                return self.document["paths"][template][method.lower()]
        raise AssertionError(f"the spec has no {method} {api_path}")

    def validate(self, data: Any, schema: dict[str, Any]) -> None:
        from jsonschema import Draft4Validator

        Draft4Validator({**schema, "definitions": self.definitions}).validate(data)

    def check(self, response: httpx.Response) -> Any:
        """Validate a JSON answer against its operation's schema for the answered status (an
        error status the operation leaves out against the notes' error body); returns the data."""
        assert response.headers.get("content-type", "").startswith("application/json"), response.headers
        request = response.request
        api_path = "/api" + request.url.path.split("/api", 1)[1]  # /Cust12345/api/v1/… → /api/v1/…
        operation = self.operation(request.method, api_path)
        data = response.json()
        documented = operation["responses"].get(str(response.status_code), {})
        if "schema" in documented:
            self.validate(data, documented["schema"])
        elif response.status_code >= 400:
            self.validate(data, ERROR_BODY)
        else:
            raise AssertionError(f"the spec has no body for {response.status_code} on {request.method} {api_path}")
        return data

    def check_definition(self, data: Any, name: str) -> None:
        self.validate(data, {"$ref": f"#/definitions/{name}"})
