"""Photos on the ONLYOFFICE sandbox: people's photos from their avatar URLs (with auth, the
default picture for those without one), CRM photos set by multipart changephoto with the
portal's checks, and removed again."""

from __future__ import annotations

import io
from urllib.parse import urljoin

import httpx
import pytest
from PIL import Image


def image(fmt: str = "PNG", size=(300, 200), noise: bool = False) -> bytes:
    out = io.BytesIO()
    picture = Image.effect_noise(size, 80).convert("RGB") if noise else Image.new("RGB", size, (20, 140, 90))
    picture.save(out, fmt, **({"quality": 100} if fmt == "JPEG" else {}))
    return out.getvalue()


def fetch(api: httpx.Client, url: str) -> httpx.Response:
    return api.get(urljoin(str(api.base_url) + "/", url))


def test_people_photos_are_served_with_auth_and_resized(oo_sandbox, oo_client):
    api = oo_client(oo_sandbox)
    people = api.get("/api/2.0/people/filter").json()["response"]
    with_photo = [p for p in people if "/storage/" in p["avatar"]]
    without = [p for p in people if "default_user_photo" in p["avatar"]]
    assert len(with_photo) >= 10 and len(without) >= 2
    for key, side in (("avatarSmall", 32), ("avatarMedium", 48), ("avatar", 82)):
        response = fetch(api, with_photo[0][key])
        assert response.status_code == 200 and Image.open(io.BytesIO(response.content)).size == (side, side)
    assert httpx.get(urljoin(oo_sandbox.base_url, with_photo[0]["avatar"])).status_code == 403  # not signed in
    default = httpx.get(urljoin(oo_sandbox.base_url, without[0]["avatar"]))  # a static picture: no sign-in
    assert default.status_code == 200 and Image.open(io.BytesIO(default.content)).size == (82, 82)
    thumbnails = api.get(f"/api/2.0/people/{with_photo[0]['id']}/photo").json()["response"]
    assert set(thumbnails) == {"original", "retina", "max", "big", "medium", "small"}


def test_contacts_show_photos_or_the_default(oo_sandbox, oo_client):
    api = oo_client(oo_sandbox)
    contacts = api.get("/api/2.0/crm/contact/filter").json()["response"]
    assert {"/storage/" in c["mediumFotoUrl"] for c in contacts} == {True, False}
    for contact in contacts[:6]:
        response = fetch(api, contact["smallFotoUrl"])
        assert response.status_code == 200 and Image.open(io.BytesIO(response.content)).size == (40, 40)


@pytest.fixture
def company(fresh_oo_sandbox, oo_client):
    api = oo_client(fresh_oo_sandbox)
    listed = api.get("/api/2.0/crm/contact/filter", params={"contactListView": "company"}).json()["response"]
    return api, next(c for c in listed if "empty_company_logo" in c["mediumFotoUrl"])


@pytest.mark.parametrize("fmt", ["PNG", "JPEG"])
def test_changephoto_sets_a_company_photo_and_delete_removes_it(company, fmt):
    api, contact = company
    response = api.put(
        f"/api/2.0/crm/contact/{contact['id']}/changephoto",
        files={"photo": ("logo", image(fmt), f"image/{fmt.lower()}")},
    )
    assert response.status_code == 200
    url = response.json()["response"]
    assert isinstance(url, str) and "_size_200-200" in url
    assert Image.open(io.BytesIO(fetch(api, url).content)).size == (200, 200)
    updated = api.get(f"/api/2.0/crm/contact/{contact['id']}").json()["response"]
    assert "/storage/" in updated["smallFotoUrl"] and fetch(api, updated["smallFotoUrl"]).status_code == 200

    removed = api.delete(f"/api/2.0/crm/contact/{contact['id']}/avatar")
    assert removed.status_code == 200 and "empty_company_logo_200_200" in removed.json()["response"]
    assert "empty_company_logo" in api.get(f"/api/2.0/crm/contact/{contact['id']}").json()["response"]["smallFotoUrl"]


@pytest.mark.parametrize(
    ("data", "part_type", "status"),
    [
        (image("PNG"), "application/octet-stream", 403),  # the part must say image/*
        (image("GIF"), "image/gif", 500),  # PNG or JPEG only
        (b"not an image", "image/png", 500),
        (image("JPEG", (2400, 2400), noise=True), "image/jpeg", 500),  # over 5 MiB
    ],
    ids=["not-image-type", "gif", "garbage", "too-large"],
)
def test_changephoto_refusals_leave_the_photo_alone(company, data, part_type, status):
    api, contact = company
    if part_type == "image/jpeg":
        assert len(data) > 5 * 1024 * 1024  # the case is what it says
    response = api.put(f"/api/2.0/crm/contact/{contact['id']}/changephoto", files={"photo": ("p", data, part_type)})
    assert response.status_code == status and response.json()["status"] == 1
    assert (
        api.get(f"/api/2.0/crm/contact/{contact['id']}").json()["response"]["smallFotoUrl"] == contact["smallFotoUrl"]
    )


def test_changephoto_without_a_file_or_for_a_missing_contact(company):
    api, contact = company
    assert api.put(f"/api/2.0/crm/contact/{contact['id']}/changephoto", files={"x": (None, "text")}).status_code == 400
    assert (
        api.put("/api/2.0/crm/contact/999999/changephoto", files={"p": ("p", image(), "image/png")}).status_code == 404
    )


def test_a_user_photo_is_set_only_from_a_url_the_portal_can_reach(fresh_oo_sandbox, oo_client):
    api = oo_client(fresh_oo_sandbox)
    me = api.get("/api/2.0/people/@self").json()["response"]
    folder = api.get("/api/2.0/project/filter", params={"count": 1}).json()["response"][0]["projectFolder"]
    uploaded = api.post(f"/api/2.0/files/{folder}/upload", files={"f": ("me.png", image())}).json()["response"]
    set_photo = api.put(f"/api/2.0/people/{me['id']}/photo", json={"files": uploaded["viewUrl"]})
    assert set_photo.status_code == 200 and "/storage/" in set_photo.json()["response"]["max"]
    unreachable = api.put(f"/api/2.0/people/{me['id']}/photo", json={"files": "https://elsewhere.example/p.png"})
    assert unreachable.status_code == 500
    reset = api.delete(f"/api/2.0/people/{me['id']}/photo").json()["response"]
    assert "default_user_photo" in reset["small"]
