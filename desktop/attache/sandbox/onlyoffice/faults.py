"""What the portal's rate limit and outages look like: 503 with Retry-After (the cloud's limit is
500 requests per 10 s per IP and account, answered 503, never 429 — onlyoffice.md §5), the body
in the API's error envelope."""

from __future__ import annotations

import json

from attache.sandbox.common.faults import CannedResponse
from attache.sandbox.onlyoffice.envelope import error_body


def _503(message: str, retry_after: str) -> CannedResponse:
    body = json.dumps(error_body(503, message), separators=(",", ":")).encode()
    return CannedResponse(503, body, (("Retry-After", retry_after),))


class OnlyofficeFaultShapes:
    def rate_limited(self, retry_after: str) -> CannedResponse:
        return _503("Too many requests. Please try again later.", retry_after)

    def unavailable(self, retry_after: str) -> CannedResponse:
        return _503("Service Unavailable", retry_after)
