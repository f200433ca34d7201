"""Drop parsing and planning: pure functions of the mime data (no disk while hovering), and the
checks a drop goes through on a worker."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from PySide6.QtCore import QMimeData, QUrl
from PySide6.QtGui import QImage
from ui_helpers import png_bytes

from attache.core.models import Entity, EntityKind
from attache.ui.drops import Payload, check_attach, check_image, payload_from_mime, plan_attach, plan_image

TASK = Entity(kind=EntityKind.TASK, id="t1", name="Write the brief")
USER = Entity(kind=EntityKind.USER, id="u1", name="Ada Lovelace")


def _mime(*urls: str) -> QMimeData:
    mime = QMimeData()
    mime.setUrls([QUrl(url) for url in urls])
    return mime


def test_local_files_and_remote_urls_are_told_apart():
    payload = payload_from_mime(_mime("file:///home/ada/a.txt", "https://example.com/b.png"))
    assert payload.paths == [Path("/home/ada/a.txt")]
    assert payload.remote == ["https://example.com/b.png"]
    assert payload.count == 2


def test_an_image_on_the_clipboard_wins_over_a_browsers_url(app):
    mime = _mime("https://example.com/b.png")
    image = QImage(4, 4, QImage.Format.Format_ARGB32)
    image.fill(0)
    mime.setImageData(image)
    payload = payload_from_mime(mime)
    assert payload.image is not None and payload.remote == [] and payload.count == 1


def test_hovering_plans_from_the_names_alone():
    # neither file exists: a plan made while hovering never looks at the disk
    plan = plan_attach(payload_from_mime(_mime("file:///nowhere/a.txt", "file:///nowhere/b.txt")), TASK)
    assert plan.ok and plan.message == "Attach 2 files to “Write the brief”"
    assert plan_image(Payload(paths=[Path("/nowhere/me.png")]), USER).ok
    refused = plan_image(Payload(paths=[Path("/nowhere/notes.txt")]), USER)
    assert not refused.ok and refused.message == "notes.txt is not an image; drop a PNG, JPEG or GIF file here"


@pytest.mark.parametrize(
    "payload, message",
    [
        (Payload(), "Nothing to attach: drop files from your file manager"),
        (
            Payload(remote=["https://example.com/x"]),
            "Only files on this computer can be attached; save the download first",
        ),
    ],
)
def test_what_cannot_be_attached_says_why(payload, message):
    plan = plan_attach(payload, TASK)
    assert not plan.ok and plan.message == message


def test_one_image_at_a_time():
    plan = plan_image(Payload(paths=[Path("/a.png"), Path("/b.png")]), USER)
    assert not plan.ok and plan.message == "Drop one image at a time on “Ada Lovelace”; you dropped 2 items"


def test_on_drop_a_folder_stands_for_the_files_inside_it(tmp_path: Path):
    good = tmp_path / "a.txt"
    good.write_text("a")
    empty = tmp_path / "empty"
    empty.mkdir()
    checked = check_attach(plan_attach(Payload(paths=[good, empty]), TASK))
    assert checked.ok and checked.paths == [good]
    assert checked.skipped == ["“empty” holds no files to attach"]
    only_empty = check_attach(plan_attach(Payload(paths=[empty]), TASK))
    assert not only_empty.ok and only_empty.message == "“empty” holds no files to attach"

    photos = tmp_path / "photos"
    (photos / "2024" / ".thumbnails").mkdir(parents=True)
    (photos / "b.jpg").write_bytes(b"b")
    (photos / "2024" / "c.jpg").write_bytes(b"c")
    (photos / ".DS_Store").write_bytes(b"hidden")
    (photos / "2024" / ".thumbnails" / "c.png").write_bytes(b"hidden too")
    checked = check_attach(plan_attach(Payload(paths=[photos, good]), TASK))
    assert checked.ok and checked.paths == [photos / "b.jpg", photos / "2024" / "c.jpg", good]
    assert checked.folders == [("photos", 2)] and checked.skipped == []


def test_on_drop_an_image_is_checked_by_its_content(tmp_path: Path):
    from attache.core.errors import InvalidInputError

    picture = tmp_path / "me.png"
    picture.write_bytes(png_bytes((1, 2, 3)))
    assert check_image(picture).mime_type == "image/png"
    fake = tmp_path / "fake.png"
    fake.write_text("not a picture")
    with pytest.raises(
        InvalidInputError, match=re.escape("fake.png is not an image; drop a PNG, JPEG or GIF file here")
    ):
        check_image(fake)
