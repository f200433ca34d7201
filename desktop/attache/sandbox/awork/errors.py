"""awork's error body (`ErrorResponse`, awork.md §3.5) and one exception that carries it."""

from __future__ import annotations

import json
from typing import Any

from starlette.responses import Response

DOCS_LINK = "https://developers.awork.com/#response-types"
TRACE_KEY = "awork.trace_id"  # where the API middleware keeps the request's trace id in the scope


class ApiError(Exception):
    def __init__(
        self,
        status: int,
        code: str,
        description: str,
        *,
        details: list[str] | None = None,
        validation_errors: list[dict[str, str]] | None = None,
        headers: dict[str, str] | None = None,
    ) -> None:
        super().__init__(f"{status} {code}: {description}")
        self.status, self.code, self.description = status, code, description
        self.details, self.validation_errors, self.headers = details, validation_errors, headers

    @classmethod
    def not_found(cls, description: str = "There is no matching path for this URL.", *details: str) -> ApiError:
        return cls(404, "not-found", description, details=list(details) or None)

    @classmethod
    def validation(cls, prop: str, message: str) -> ApiError:
        return cls(
            400,
            "validation-failed",
            "The model sent in the request is invalid. See the validation errors for details.",
            validation_errors=[{"property": prop, "message": message}],
        )

    @classmethod
    def bad_filter(cls, detail: str) -> ApiError:
        return cls(400, "invalid-filter-or-order", "The filter or order expression is invalid.", details=[detail])

    @classmethod
    def too_large(cls, limit: int) -> ApiError:
        return cls(
            400,
            "request-body-too-large",
            "The uploaded file exceeds the allowed size limit.",
            details=[f"The limit is {limit:,} bytes ({limit // (1024 * 1024):,} MB)."],
        )


def error_body(
    code: str,
    description: str,
    trace_id: str | None,
    *,
    details: list[str] | None = None,
    validation_errors: list[dict[str, str]] | None = None,
) -> dict[str, Any]:
    body: dict[str, Any] = {"code": code, "description": description, "link": DOCS_LINK, "traceId": trace_id}
    if details:
        body["details"] = details
    if validation_errors:
        body["validationErrors"] = validation_errors
    return body


def error_response(error: ApiError, trace_id: str | None) -> Response:
    body = error_body(
        error.code, error.description, trace_id, details=error.details, validation_errors=error.validation_errors
    )
    return Response(
        json.dumps(body).encode(), error.status, headers=error.headers, media_type="application/json; charset=utf-8"
    )
