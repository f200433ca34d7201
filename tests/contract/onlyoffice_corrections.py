"""Every correction the ONLYOFFICE contract tests apply to `onlyoffice-openapi.json`, in one place.

The spec is generated from the server's doc comments and disagrees with what the server sends
(onlyoffice.md, "Important global caveat" and §§2–3). Each correction below names the fact it
follows; nothing else in the tests bends the spec.

1. Paths: route constraints (`{id:[0-9]+}`) are dropped, literal alternatives
   (`{status:(open|paused|closed)}`) become literal paths, trailing slashes go — the portal's
   router matches `/api/2.0/portal` and `/api/2.0/portal/` alike.
2. Casing: the spec writes properties in PascalCase; the serializer's
   CamelCasePropertyNamesContractResolver writes camelCase (`ID` → `id`, `IsLDAP` → `isLDAP`).
3. FileWrapper: the spec's is another module's type (`Name, UpdatedBy, Updated, Location`);
   replaced by the fields of onlyoffice.md §3.6.
4. TaskWrapper: the spec's is the CRM task (`Contact, AlertValue, IsClosed…`), a name clash;
   the project task's TaskWrapper is TaskWrapperFull without the fields only the full one has.
5. ContactWrapper in answers is a CompanyWrapper or a PersonWrapper (§2.7).
6. Enums: integer properties list their enum *names* (`["Normal", "High", "Low"]`); the wire
   has the numbers, so those enums go. Properties typed bare `object` are C# `object` (an int id
   on the wire, e.g. `projectFolder`, a folder's `id`): any JSON value.
7. Strictness: object schemas allow no properties they do not list, so a misspelt or
   PascalCase key fails the check.
8. Envelope: every answer is `{count, startIndex, nextIndex, total, status, statusCode,
   response}` around the documented schema (§2.1); successful POSTs answer 201, not 200 (§2.3).
9. Answers the spec leaves as bare `object`: single upload → FileWrapper (or a list);
   create_session → `{success, data: session}` (§3.3).
"""

from __future__ import annotations

import copy
import re
from typing import Any

_CONSTRAINT = re.compile(r"\{(\w+):([^{}]*(?:\{[^{}]*\}[^{}]*)*)\}")
_ALTERNATIVES = re.compile(r"^\(([\w|@]+)\)$")

TASK_FULL_ONLY = (
    "Files",
    "Comments",
    "CommentsCount",
    "IsSubscribed",
    "CanEditFiles",
    "CanCreateComment",
    "Project",
    "TimeSpend",
)
_STRING, _INT, _BOOL = {"type": "string"}, {"type": "integer"}, {"type": "boolean"}
_EMPLOYEE = {"$ref": "#/components/schemas/EmployeeWraper"}
FILE_WRAPPER = {  # onlyoffice.md §3.6, camelCase as on the wire
    "type": "object",
    "properties": {
        "id": {},
        "title": _STRING,
        "access": _INT,
        "shared": _BOOL,
        "created": _STRING,
        "createdBy": _EMPLOYEE,
        "updated": _STRING,
        "updatedBy": _EMPLOYEE,
        "rootFolderType": _INT,
        "providerItem": _BOOL,
        "providerKey": _STRING,
        "providerId": _INT,
        "denyDownload": _BOOL,
        "denySharing": _BOOL,
        "folderId": {},
        "version": _INT,
        "versionGroup": _INT,
        "contentLength": _STRING,
        "pureContentLength": _INT,
        "fileStatus": _INT,
        "viewUrl": _STRING,
        "webUrl": _STRING,
        "fileType": _INT,
        "fileExst": _STRING,
        "comment": _STRING,
        "encrypted": _BOOL,
        "thumbnailUrl": _STRING,
    },
    "required": ["id", "title", "folderId", "version", "contentLength", "pureContentLength", "viewUrl"],
}
_SESSION = {
    "type": "object",
    "properties": {
        "id": _STRING,
        "path": {"type": "array"},
        "created": _STRING,
        "expired": _STRING,
        "location": _STRING,
        "bytes_uploaded": _INT,
        "bytes_total": _INT,
    },
    "required": ["id", "path", "created", "expired", "location", "bytes_uploaded", "bytes_total"],
}
ANSWERS = {  # (method, path) → the schema of `response` where the spec says only `object`
    ("post", "/api/2.0/files/{folderId}/upload"): {
        "anyOf": [
            {"$ref": "#/components/schemas/FileWrapper"},
            {"type": "array", "items": {"$ref": "#/components/schemas/FileWrapper"}},
        ]
    },
    ("post", "/api/2.0/files/{folderId}/upload/create_session"): {
        "type": "object",
        "properties": {"success": {"const": True}, "data": _SESSION},
        "required": ["success", "data"],
    },
}


def camel(name: str) -> str:
    """Newtonsoft's ToCamelCase: lower the leading capitals, but not the last one of a run
    that a lower-case letter follows (`IsLDAP` → `isLDAP`, `ID` → `id`, `URLPath` → `urlPath`)."""
    chars = list(name)
    for i, char in enumerate(chars):
        if i == 1 and not char.isupper():
            break
        has_next = i + 1 < len(chars)
        if i > 0 and has_next and not chars[i + 1].isupper():
            if chars[i + 1] == " ":
                chars[i] = char.lower()
            break
        chars[i] = char.lower()
    return "".join(chars)


def envelope(response: dict[str, Any]) -> dict[str, Any]:
    counters = {key: {"type": "integer", "minimum": 0} for key in ("count", "startIndex", "nextIndex", "total")}
    return {
        "type": "object",
        "properties": {**counters, "status": {"const": 0}, "statusCode": {"type": "integer"}, "response": response},
        "required": ["status", "statusCode", "response"],
        "additionalProperties": False,
    }


ERROR_ENVELOPE = {
    "type": "object",
    "properties": {
        "count": {"type": "integer"},
        "status": {"const": 1},
        "statusCode": {"type": "integer", "minimum": 400},
        "error": {
            "type": "object",
            "properties": {"message": _STRING, "hresult": _INT, "data": {"type": "object"}},
            "required": ["message", "hresult"],
            "additionalProperties": False,
        },
    },
    "required": ["status", "statusCode", "error"],
    "additionalProperties": False,
}


def _paths(paths: dict[str, Any]) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for path, item in paths.items():
        variants = [path.rstrip("/") or "/"]
        for name, constraint in _CONSTRAINT.findall(path):
            literal = _ALTERNATIVES.match(constraint)
            whole = "{" + name + ":" + constraint + "}"
            if literal:
                variants = [v.replace(whole, word) for v in variants for word in literal.group(1).split("|")]
            else:
                variants = [v.replace(whole, "{" + name + "}") for v in variants]
        for variant in variants:
            merged = out.setdefault(variant, {})
            for method, operation in item.items():
                merged.setdefault(method, operation)
    return out


def _schema(node: Any) -> Any:
    if isinstance(node, list):
        return [_schema(item) for item in node]
    if not isinstance(node, dict):
        return node
    node = {key: _schema(value) for key, value in node.items()}
    if node.get("type") == "integer" and any(isinstance(v, str) for v in node.get("enum", [])):
        node.pop("enum")
    if isinstance(node.get("properties"), dict):
        properties = {}
        for name, prop in node["properties"].items():
            if prop == {"type": "object"} or (
                prop.get("type") == "object" and "properties" not in prop and "$ref" not in prop
            ):
                prop = {}
            properties[camel(name)] = prop
        node["properties"] = properties
        node.setdefault("additionalProperties", False)
    return node


def _operations(document: dict[str, Any]) -> None:
    for path, item in document["paths"].items():
        for method, operation in item.items():
            responses = operation.get("responses", {})
            ok = responses.get("200")
            if ok is None:
                continue
            content = ok.get("content", {}).get("application/json")
            schema = ANSWERS.get((method, path)) or (content or {}).get("schema", {})
            wrapped = {**ok, "content": {"application/json": {"schema": envelope(schema)}}}
            responses["201" if method == "post" else "200"] = wrapped
            if method == "post":
                responses.pop("200")
            for status in ("400", "403", "404", "500", "503"):
                responses.setdefault(
                    status,
                    {"description": "error", "content": {"application/json": {"schema": ERROR_ENVELOPE}}},
                )


def corrected(document: dict[str, Any]) -> dict[str, Any]:
    """A copy of the spec as the server really answers."""
    doc = copy.deepcopy(document)
    schemas = doc["components"]["schemas"]
    task_full = schemas["TaskWrapperFull"]
    schemas["TaskWrapper"] = {
        **task_full,
        "properties": {k: v for k, v in task_full["properties"].items() if k not in TASK_FULL_ONLY},
    }
    schemas["ContactWrapper"] = {
        "anyOf": [{"$ref": "#/components/schemas/CompanyWrapper"}, {"$ref": "#/components/schemas/PersonWrapper"}]
    }
    doc["components"]["schemas"] = _schema(schemas)
    doc["components"]["schemas"]["FileWrapper"] = {**FILE_WRAPPER, "additionalProperties": False}
    doc["paths"] = _paths(doc["paths"])
    _operations(doc)
    return doc
