"""SuperOffice's error answers (superoffice.md §5): every failure is
`{"Error": true, "ErrorType", "ErrorMessage", "ErrorSource"}` with the HTTP status, plus the
rate-limit and outage shapes the fault middleware sends."""

from __future__ import annotations

import json
from typing import Any

from starlette.responses import Response

from attache.sandbox.common.faults import CannedResponse
from attache.sandbox.common.web import json_response

SOURCE = "SuperOffice.Services.Implementation"


class SoError(Exception):
    """Raised by a route; the app answers it with the status and SuperOffice's error body."""

    def __init__(self, status: int, error_type: str, message: str, *, headers: dict[str, str] | None = None) -> None:
        super().__init__(message)
        self.status = status
        self.error_type = error_type
        self.message = message
        self.headers = headers or {}

    @classmethod
    def not_found(cls, entity: str, entity_id: object) -> SoError:
        return cls(404, "SoNotFoundException", f"{entity} id {entity_id} not found")

    @classmethod
    def bad_request(cls, message: str, error_type: str = "ArgumentException") -> SoError:
        return cls(400, error_type, message)


def error_body(error_type: str, message: str, source: str = SOURCE) -> dict[str, Any]:
    return {"Error": True, "ErrorType": error_type, "ErrorMessage": message, "ErrorSource": source}


def error_response(error: SoError) -> Response:
    return json_response(error_body(error.error_type, error.message), error.status, headers=error.headers)


def _canned(status: int, error_type: str, message: str, retry_after: str) -> CannedResponse:
    body = json.dumps(error_body(error_type, message, "SuperOffice.WebApi"), separators=(",", ":")).encode()
    return CannedResponse(status, body, (("Retry-After", retry_after),))


class SuperofficeFaultShapes:
    """No numeric limit, status or Retry-After is documented (open question 1): Online may
    "throttle" an app. The sandbox answers 429 and 503, both with Retry-After and the error body,
    the strictest reading a client must survive."""

    def rate_limited(self, retry_after: str) -> CannedResponse:
        return _canned(429, "TooManyRequests", "The application has been throttled. Try again later.", retry_after)

    def unavailable(self, retry_after: str) -> CannedResponse:
        return _canned(503, "ServiceUnavailable", "The tenant is temporarily unavailable.", retry_after)
