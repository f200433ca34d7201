"""What awork's rate limit and outages look like: Kong's 429 with its rate-limit headers
(awork.md §3.4, plus Retry-After) and a 503 with awork's ErrorResponse body."""

from __future__ import annotations

import json
import uuid

from attache.sandbox.awork.errors import error_body
from attache.sandbox.common.faults import CannedResponse


class AworkFaultShapes:
    def rate_limited(self, retry_after: str) -> CannedResponse:
        body = {"message": "API rate limit exceeded"}  # Kong's body; awork does not document one
        headers = (
            ("Retry-After", retry_after),
            ("ratelimit-limit", "50"),
            ("ratelimit-remaining", "0"),
            ("ratelimit-reset", retry_after),
            ("x-ratelimit-limit-second", "50"),
            ("x-ratelimit-remaining-second", "0"),
            ("x-ratelimit-limit-minute", "1000"),
            ("x-ratelimit-remaining-minute", "950"),
            ("trace-id", uuid.uuid4().hex),
        )
        return CannedResponse(429, json.dumps(body).encode(), headers)

    def unavailable(self, retry_after: str) -> CannedResponse:
        trace = uuid.uuid4().hex
        body = error_body(
            "service-unavailable", "The service is temporarily unavailable. Please try again later.", trace
        )
        return CannedResponse(503, json.dumps(body).encode(), (("Retry-After", retry_after), ("trace-id", trace)))
