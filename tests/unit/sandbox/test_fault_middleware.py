"""The generic fault middleware: when it injects which kind, whose shape a rate limit or an
outage has, what it logs, and what it never touches."""

from __future__ import annotations

import asyncio
import threading

import httpx
import pytest

from attache.sandbox.common.faults import CannedResponse, FaultMiddleware, FaultPlan, RequestLog


class Shapes:
    """A service whose rate limit is a 503 (as ONLYOFFICE's is) and whose outage is plain text."""

    def rate_limited(self, retry_after: str) -> CannedResponse:
        return CannedResponse(503, b'{"status":1}', (("Retry-After", retry_after), ("x-shape", "rate")))

    def unavailable(self, retry_after: str) -> CannedResponse:
        return CannedResponse(503, b"Down", (("Retry-After", retry_after),), "text/plain")


async def ok_app(scope, receive, send) -> None:
    await send({"type": "http.response.start", "status": 200, "headers": [(b"content-type", b"text/plain")]})
    await send({"type": "http.response.body", "body": b"handled", "more_body": False})


def run(middleware: FaultMiddleware, *paths: str) -> list[httpx.Response]:
    async def go() -> list[httpx.Response]:
        transport = httpx.ASGITransport(app=middleware)
        async with httpx.AsyncClient(transport=transport, base_url="http://sandbox") as client:
            return [await client.get(path) for path in paths]

    return asyncio.run(go())


def middleware(plan: FaultPlan | None) -> tuple[FaultMiddleware, RequestLog]:
    log = RequestLog()
    faults = FaultMiddleware(ok_app, log, Shapes())
    faults.set_plan(plan)
    return faults, log


def test_no_plan_passes_every_request_and_logs_it():
    faults, log = middleware(None)
    (response,) = run(faults, "/api/x?a=1")
    assert response.text == "handled"
    (record,) = log.records()
    assert (record.method, record.path, record.query, record.status, record.fault) == (
        "GET",
        "/api/x",
        "a=1",
        200,
        None,
    )
    assert record.end is not None and log.in_flight == 0 and log.max_in_flight == 1


def test_the_service_decides_how_a_rate_limit_and_an_outage_look():
    faults, log = middleware(FaultPlan(1.0, kinds=("429",), retry_after=0.25))
    (limited,) = run(faults, "/api/x")
    assert limited.status_code == 503 and limited.headers["x-shape"] == "rate"
    assert limited.headers["retry-after"] == "0.25" and limited.json() == {"status": 1}
    faults.set_plan(FaultPlan(1.0, kinds=("503",), retry_after=2))
    (down,) = run(faults, "/api/x")
    assert (down.status_code, down.text, down.headers["retry-after"]) == (503, "Down", "2")
    assert down.headers["content-type"] == "text/plain"
    assert [r.fault for r in log.records()] == ["429", "503"]


def test_match_limits_faults_to_some_requests():
    faults, _ = middleware(FaultPlan(1.0, kinds=("503",), match=r"^GET /api/files"))
    responses = run(faults, "/api/projects", "/api/FILES/1")
    assert [r.status_code for r in responses] == [200, 503]


def test_max_faults_stops_injecting():
    faults, _ = middleware(FaultPlan(1.0, kinds=("503",), max_faults=2))
    assert [r.status_code for r in run(faults, *["/api/x"] * 4)] == [503, 503, 200, 200]


def test_the_same_seed_faults_the_same_requests():
    plan = FaultPlan(0.5, kinds=("429", "503"), seed=7)
    first, _ = middleware(plan)
    second, _ = middleware(plan)
    paths = [f"/api/{n}" for n in range(30)]
    statuses = [r.headers.get("x-shape") for r in run(first, *paths)]
    assert statuses == [r.headers.get("x-shape") for r in run(second, *paths)]
    assert 0 < statuses.count("rate") < 30


def test_control_routes_are_never_faulted_nor_logged():
    faults, log = middleware(FaultPlan(1.0, kinds=("503",)))
    (health,) = run(faults, "/_sandbox/health")
    assert health.status_code == 200 and log.records() == []


def test_clear_keeps_the_count_of_requests_in_flight():
    log = RequestLog()
    open_record = log.begin("GET", "/a", "")
    log.end(log.begin("GET", "/b", ""))
    log.clear()
    assert log.records() == [] and log.in_flight == 1 and log.max_in_flight == 1
    log.end(open_record)
    log.end(open_record)  # ending twice counts once
    assert log.in_flight == 0


@pytest.mark.parametrize("options", [{"rate": 1.5}, {"rate": 0.5, "kinds": ("teapot",)}, {"rate": 0.5, "kinds": ()}])
def test_plans_are_checked(options):
    with pytest.raises(ValueError):
        FaultPlan(**options)


def test_the_log_wakes_a_waiter_when_a_request_arrives_and_says_so_when_none_does():
    log = RequestLog()
    assert log.wait_for(lambda records: bool(records), timeout=0.01) is False

    def serve_later() -> None:
        threading.Event().wait(0.05)
        log.begin("PUT", "/blob", "")

    thread = threading.Thread(target=serve_later)
    thread.start()
    try:
        assert log.wait_for(lambda records: any(r.method == "PUT" and r.status is None for r in records), timeout=30)
    finally:
        thread.join()
