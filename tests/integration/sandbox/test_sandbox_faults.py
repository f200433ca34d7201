"""Injected faults: rate limits, outages, dropped connections before and after the effect,
slow answers; and the request log tests use to check clients' behaviour."""

from __future__ import annotations

import threading
import time

import httpx
import pytest

from attache.sandbox import FaultPlan

BLOCK = {"x-ms-blob-type": "BlockBlob"}


def always(kind: str, **options) -> FaultPlan:
    return FaultPlan(1.0, kinds=(kind,), **options)


def test_plan_validation():
    with pytest.raises(ValueError):
        FaultPlan(1.5)
    with pytest.raises(ValueError):
        FaultPlan(0.5, kinds=("teapot",))


def test_429_carries_awork_rate_limit_headers(make_awork_sandbox, awork_client):
    server = make_awork_sandbox(faults=always("429", retry_after=2))
    response = awork_client(server).get("/projects")
    assert response.status_code == 429
    headers = response.headers
    assert headers["retry-after"] == "2" and headers["ratelimit-reset"] == "2"
    assert headers["ratelimit-remaining"] == "0" and int(headers["ratelimit-limit"]) > 0
    for name in (
        "x-ratelimit-limit-second",
        "x-ratelimit-remaining-second",
        "x-ratelimit-limit-minute",
        "x-ratelimit-remaining-minute",
        "trace-id",
    ):
        assert name in headers
    assert response.json() == {"message": "API rate limit exceeded"}
    server.set_faults(always("429", retry_after=0.25))
    assert awork_client(server).get("/me").headers["retry-after"] == "0.25"
    (record,) = [r for r in server.requests if r.path == "/api/v1/me"]
    assert (record.method, record.status, record.fault) == ("GET", 429, "429")


def test_503_is_an_error_response(make_awork_sandbox, awork_client):
    server = make_awork_sandbox(faults=always("503"))
    response = awork_client(server).get("/me")
    assert response.status_code == 503
    body = response.json()
    assert {"code", "description", "link"} <= set(body) and body["traceId"] == response.headers["trace-id"]


def test_faults_change_at_runtime_and_spare_control_routes(make_awork_sandbox, awork_client):
    server = make_awork_sandbox()
    api = awork_client(server)
    assert api.get("/me").status_code == 200
    server.set_faults(always("503"))
    assert api.get("/me").status_code == 503
    assert httpx.get(server.root_url + "/_sandbox/health").status_code == 200  # never faulted, never logged
    server.set_faults(None)
    assert api.get("/me").status_code == 200
    assert [r.path for r in server.requests] == ["/api/v1/me"] * 3


def test_match_and_max_faults_limit_the_plan(make_awork_sandbox, awork_client):
    server = make_awork_sandbox(faults=FaultPlan(1.0, kinds=("503",), match=r"^GET /api/v1/projects", max_faults=2))
    api = awork_client(server)
    assert api.get("/me").status_code == 200
    assert [api.get("/projects").status_code for _ in range(3)] == [503, 503, 200]


def test_a_seeded_plan_repeats_itself(make_awork_sandbox, awork_client):
    def statuses() -> list[int]:
        server = make_awork_sandbox(faults=FaultPlan(0.5, kinds=("429", "503"), seed=3, retry_after=0))
        api = awork_client(server)
        return [api.get("/me").status_code for _ in range(12)]

    first = statuses()
    assert first == statuses() and {200, 429, 503} <= set(first)


def test_drop_before_the_effect(make_awork_sandbox, awork_client):
    server = make_awork_sandbox()
    api = awork_client(server)
    task = api.get("/me/allavailabletasks", params={"pageSize": 1}).json()[0]
    ticket = api.post("/files/generateuploadurl").json()

    server.set_faults(always("drop_before", match=r"^PUT /blob/"))
    with pytest.raises(httpx.TransportError):
        httpx.put(ticket["uploadURL"], content=b"x" * 200_000, headers=BLOCK)
    assert server.store.get_upload(ticket["uploadId"])["state"] == "pending"

    server.set_faults(None)
    assert httpx.put(ticket["uploadURL"], content=b"data", headers=BLOCK).status_code == 201
    server.set_faults(always("drop_before", match="byuploadid"))
    body = {"uploadId": ticket["uploadId"], "fileName": "a.txt"}
    with pytest.raises(httpx.TransportError):
        api.post(f"/tasks/{task['id']}/files/byuploadid", json=body)
    server.set_faults(None)
    assert api.get(f"/tasks/{task['id']}/files", params={"pageSize": 100}).json() == []
    assert api.post(f"/tasks/{task['id']}/files/byuploadid", json=body).status_code == 200  # not consumed
    record = next(r for r in server.requests if r.fault == "drop_before" and "byuploadid" in r.path)
    assert record.status is None


def test_drop_after_the_effect_commits_it(make_awork_sandbox, awork_client):
    server = make_awork_sandbox()
    api = awork_client(server)
    task = api.get("/me/allavailabletasks", params={"pageSize": 1}).json()[0]
    ticket = api.post("/files/generateuploadurl").json()
    assert httpx.put(ticket["uploadURL"], content=b"payload", headers=BLOCK).status_code == 201

    server.set_faults(always("drop_after", match="byuploadid"))
    body = {"uploadId": ticket["uploadId"], "fileName": "payload.bin"}
    with pytest.raises(httpx.RemoteProtocolError):  # status and headers arrive, the body is cut short
        api.post(f"/tasks/{task['id']}/files/byuploadid", json=body)
    server.set_faults(None)

    files = api.get(f"/tasks/{task['id']}/files", params={"pageSize": 100}).json()
    assert [f["fileName"] for f in files] == ["payload.bin"]  # the link happened
    again = api.post(f"/tasks/{task['id']}/files/byuploadid", json=body)
    assert again.status_code == 400  # and consumed the upload
    record = next(r for r in server.requests if r.fault == "drop_after")
    assert record.status == 200


def test_drop_after_a_response_without_body(make_awork_sandbox, awork_client):
    server = make_awork_sandbox()
    api = awork_client(server)
    company = next(c for c in api.get("/companies", params={"pageSize": 100}).json() if c["hasImage"])
    server.set_faults(always("drop_after", match="^DELETE "))
    with pytest.raises(httpx.TransportError):
        api.delete(f"/files/images/companies/{company['id']}")
    server.set_faults(None)
    assert not api.get(f"/companies/{company['id']}").json()["hasImage"]


def test_drop_after_a_download_cuts_the_stream(make_awork_sandbox, awork_client):
    server = make_awork_sandbox()
    api = awork_client(server)
    task = api.get("/me/allavailabletasks", params={"pageSize": 1}).json()[0]
    info = api.post(f"/tasks/{task['id']}/files", files={"File": ("big.bin", bytes(3_000_000))}).json()
    server.set_faults(always("drop_after", match="/download"))
    with pytest.raises(httpx.RemoteProtocolError):
        api.get(f"/files/{info['id']}/download")


def test_slow_answers_and_concurrency_are_logged(make_awork_sandbox, awork_client):
    server = make_awork_sandbox(faults=always("slow", slow_range=(0.4, 0.4)))
    clients = [awork_client(server) for _ in range(5)]
    barrier = threading.Barrier(len(clients))
    statuses: list[int] = []

    def call(client: httpx.Client) -> None:
        barrier.wait()
        statuses.append(client.get("/me").status_code)

    threads = [threading.Thread(target=call, args=(c,)) for c in clients]
    began = time.monotonic()
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert statuses == [200] * 5
    assert time.monotonic() - began < 1.5  # slow requests are served side by side
    assert server.max_in_flight == 5 and server.in_flight == 0
    records = server.requests
    assert all(r.fault == "slow" and r.end - r.start >= 0.4 for r in records)
    server.clear_requests()
    assert server.requests == [] and server.max_in_flight == 0
