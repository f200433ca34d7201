"""Faults on the ONLYOFFICE sandbox look like the portal's: a rate limit or an outage is 503 with
Retry-After and the error envelope (never 429); dropped connections come from the common layer."""

from __future__ import annotations

import httpx
import pytest

from attache.sandbox.common.faults import FaultPlan


@pytest.mark.parametrize("kind", ["429", "503"])
def test_rate_limits_and_outages_are_503_with_retry_after_in_the_envelope(make_oo_sandbox, kind):
    server = make_oo_sandbox(faults=FaultPlan(1.0, kinds=(kind,), retry_after=2))
    response = httpx.get(f"{server.base_url}/api/2.0/project/filter", headers={"Authorization": server.token})
    assert response.status_code == 503 and response.headers["retry-after"] == "2"
    body = response.json()
    assert list(body) == ["status", "statusCode", "error"] and (body["status"], body["statusCode"]) == (1, 503)


def test_a_dropped_connection_and_the_health_route(make_oo_sandbox):
    server = make_oo_sandbox(faults=FaultPlan(1.0, kinds=("drop_before",), match="project/filter"))
    with pytest.raises(httpx.TransportError):
        httpx.get(f"{server.base_url}/api/2.0/project/filter", headers={"Authorization": server.token})
    assert httpx.get(f"{server.base_url}/_sandbox/health").json()["service"] == "onlyoffice"
    assert [r.fault for r in server.requests] == ["drop_before"]


def test_the_fault_rate_applies_to_a_share_of_requests(make_oo_sandbox):
    server = make_oo_sandbox(faults=FaultPlan(0.5, kinds=("503",), seed=3))
    statuses = [
        httpx.get(f"{server.base_url}/api/2.0/people/@self", headers={"Authorization": server.token}).status_code
        for _ in range(40)
    ]
    assert set(statuses) == {200, 503} and 5 < statuses.count(503) < 35
