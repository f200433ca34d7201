"""The awork sandbox with 100,000 tasks: every page, order and filter answers in full (timings
printed: speed targets live in benchmarks/)."""

from __future__ import annotations

import time

import pytest

from attache.sandbox import SandboxServer


def test_pages_of_100000_tasks_answer_in_full(make_awork_sandbox, awork_client):
    server = make_awork_sandbox(scale=100_000)
    # The first 100,000-task sandbox of a process seeds; later ones copy its store.
    print(f"seeding took {server.seed_seconds:.1f} s")  # speed is benchmarks/'s business, not a test's
    assert server.store.scalar("SELECT COUNT(*) FROM tasks") == 100_000
    api = awork_client(server)
    timings = []
    for page in (1, 60, 100):
        began = time.perf_counter()
        response = api.get("/me/allavailabletasks", params={"page": page, "pageSize": 1000})
        timings.append(time.perf_counter() - began)
        assert response.status_code == 200 and len(response.json()) == 1000
        assert response.headers["aw-totalitems"] == "100000"
    assert api.get("/me/allavailabletasks", params={"page": 101, "pageSize": 1000}).json() == []
    print(f"pages of 1,000 in {max(timings):.2f} s at most")

    began = time.perf_counter()
    ordered = api.get("/me/allavailabletasks", params={"page": 70, "pageSize": 100, "orderby": "name desc"})
    filtered = api.get("/me/allavailabletasks", params={"pageSize": 100, "filterby": "substringof('audit', name)"})
    print(f"ordered and filtered pages in {time.perf_counter() - began:.2f} s")
    assert len(ordered.json()) == 100 and 0 < int(filtered.headers["aw-totalitems"]) < 100_000

    projects = api.get("/projects", params={"pageSize": 100}).json()
    assert sum(p["tasksCount"] for p in projects) == 100_000
    one = api.get(f"/projects/{projects[0]['id']}/projecttasks", params={"page": 3, "pageSize": 500})
    assert one.headers["aw-totalitems"] == str(projects[0]["tasksCount"])


def test_scale_is_bounded():
    with pytest.raises(ValueError):
        SandboxServer(scale=100_001)


def test_people_each_with_a_picture_of_their_own(make_awork_sandbox, awork_client):
    server = make_awork_sandbox(people=250)
    api = awork_client(server)
    demo = server.store.scalar("SELECT COUNT(*) FROM users WHERE is_archived = 0") - 250
    listed = []
    for page in (1, 2, 3):
        response = api.get("/users", params={"page": page, "pageSize": 100})
        listed.extend(response.json())
    assert response.headers["aw-totalitems"] == str(demo + 250)
    added = [user for user in listed if user["lastName"].rsplit(" ", 1)[-1].isdigit()]
    assert len(added) == 250 and all(user["hasImage"] for user in added)
    # each person's picture is a stored image of its own: fetched apart, as an app would
    assert server.store.scalar("SELECT COUNT(DISTINCT blob) FROM images WHERE entity_name = 'users'") >= 250
    first = api.get(f"/files/images/users/{added[0]['id']}")
    assert first.status_code == 200 and first.headers["content-type"] == "image/jpeg" and len(first.content) > 1000


def test_people_are_bounded():
    with pytest.raises(ValueError):
        SandboxServer(people=10_001)
