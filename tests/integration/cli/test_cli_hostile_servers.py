"""A hostile or broken server, for every service: the CLI ends with one clear line and exit 1 (or
saves the file safely), never a traceback, within its time, within bounded memory, nothing saved
from a broken download. One child process per command (tests/support/cli_child.py)."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from pathlib import Path

import pytest

from attache.core.services import SERVICES as REGISTERED
from attache.core.services import display_name
from support.hostile_server import DECLARED, SHAPES, HostileServer, ids

REPO = Path(__file__).resolve().parents[3]
CHILD = REPO / "tests" / "support" / "cli_child.py"
SERVICES = tuple(REGISTERED)  # every case holds for every registered service (issue 13)
TIMEOUT = 90  # seconds a child may take before the test fails (each finishes in a few)


def attache(server: HostileServer, *args: str, tmp_path: Path, limits: str = "") -> tuple[int, str, str, int]:
    """(exit code, stdout, stderr, peak memory in MB) of `attache ARGS` against `server`."""
    rss = tmp_path / "rss"
    env = dict(os.environ, ATTACHE_TOKEN="hostile-token", ATTACHE_TEST_RSS=str(rss), ATTACHE_TEST_LIMITS=limits)
    result = subprocess.run(
        [sys.executable, str(CHILD), *args, "--service", server.service, "--url", server.url],
        env=env,
        cwd=REPO,
        capture_output=True,
        text=True,
        encoding="utf-8",
        errors="surrogateescape",
        timeout=TIMEOUT,
    )
    return result.returncode, result.stdout, result.stderr, int(rss.read_text()) // 1024


def one_error_line(stderr: str) -> str:
    assert "Traceback" not in stderr, stderr
    lines = stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("attache: "), stderr
    return lines[0]


def test_the_hostile_server_imitates_every_registered_service():
    assert set(SERVICES) <= set(SHAPES)


# ---------------------------------------------------------------------------- lists


@pytest.mark.parametrize("service", SERVICES)
@pytest.mark.parametrize("case", ["deep", "numbers"])
def test_a_list_too_deep_or_of_the_wrong_shape_is_not_what_the_service_sends(service, case, tmp_path):
    with HostileServer(service, case) as server:
        code, _, stderr, _ = attache(server, "ls", "projects", tmp_path=tmp_path)
    assert code == 1
    assert one_error_line(stderr).endswith(f"is not what {display_name(service)} sends")


@pytest.mark.parametrize("service", SERVICES)
def test_a_redirected_api_call_says_where_it_was_sent(service, tmp_path):
    with HostileServer(service, "redirect") as server:
        code, _, stderr, _ = attache(server, "ls", "projects", tmp_path=tmp_path)
    assert code == 1
    assert "answered with a redirect to https://login.example.com/sso?next=%2Fprojects" in one_error_line(stderr)


@pytest.mark.parametrize("service", SERVICES)
def test_a_200_mb_list_answer_is_refused_in_bounded_memory(service, tmp_path):
    with HostileServer(service, "huge") as server:
        code, _, stderr, peak_mb = attache(server, "ls", "projects", tmp_path=tmp_path)
    assert code == 1
    assert "sent an answer larger than 32 MB" in one_error_line(stderr)
    assert peak_mb < 200, f"{peak_mb} MB"


@pytest.mark.parametrize(("service", "case"), [*((s, "drip") for s in SERVICES), ("awork", "drip-headers")])
def test_a_list_answer_dripping_a_byte_at_a_time_ends(service, case, tmp_path):
    began = time.monotonic()
    with HostileServer(service, case, drip_seconds=0.1) as server:
        code, _, stderr, _ = attache(
            server, "ls", "projects", tmp_path=tmp_path, limits="ANSWER_DEADLINE=0.5,HEADERS_DEADLINE=0.5"
        )
    assert code == 1
    assert "sent its answer too slowly" in one_error_line(stderr)
    assert time.monotonic() - began < TIMEOUT / 2  # the drip alone would take a minute


@pytest.mark.parametrize(
    ("service", "kind", "case"),
    [
        ("awork", "project-templates", "endless"),
        ("onlyoffice", "projects", "endless"),
        ("superoffice", "projects", "endless"),  # OData: a next link on every page
        ("superoffice", "projects", "endless-unlinked"),  # OData: full pages, no link
    ],
)
def test_a_server_that_keeps_sending_full_pages_is_stopped(service, kind, case, tmp_path):
    # Every page full, a total of 10⁹; the ceiling is lowered from 250,000 items so this takes a second.
    with HostileServer(service, case) as server:
        code, stdout, stderr, _ = attache(server, "ls", kind, tmp_path=tmp_path, limits="MAX_LIST_ITEMS=1000")
        asked = list(server.requests)
    assert code == 1
    assert f"{display_name(service)} kept sending pages (5 pages, 1,000 items)" in one_error_line(stderr)
    assert len(stdout.splitlines()) == 1000 and len(asked) == 5
    if service == "superoffice":  # the link was what the client followed
        assert [("skiptoken" in path) for path in asked] == [False] + [case == "endless"] * 4


# ---------------------------------------------------------------------------- downloads


def download(server: HostileServer, folder: Path, *extra: str, tmp_path: Path, task: str = "", **kw: str):
    """`attache download TASK FILE -o FOLDER EXTRA…` with the ids the server's service takes."""
    task_id, file_id = ids(server.service)
    return attache(server, "download", task or task_id, file_id, "-o", str(folder), *extra, tmp_path=tmp_path, **kw)


# What each broken download is told; a SuperOffice document declares no size, so its bound is the
# answer's Content-Length: a body cut short of it is a dropped connection (one past it: see below).
BROKEN_DOWNLOADS = {
    "long-file": f"sent more than the {DECLARED} bytes it declared for report.txt; nothing was saved",
    # 200 MB without a Content-Length: only the size the service declared (SuperOffice: the
    # document's Length) stops it, so neither memory nor the disk fills up.
    "unsized-file": f"sent more than the {DECLARED} bytes it declared for report.txt; nothing was saved",
    "short-file": f"sent 4 of the {DECLARED} bytes it declared for report.txt; nothing was saved",
    "page-file": "sent a web page instead of the file report.txt; nothing was saved",
    "redirect-file": "a redirect to https://blob.example.net/c/f1?sig=[REDACTED] instead of the file",
}
BY_CONTENT_LENGTH = {"short-file": "dropped before the transfer finished"}


@pytest.mark.parametrize(
    ("service", "case", "said"),
    [
        (service, case, BY_CONTENT_LENGTH.get(case, said) if service == "superoffice" else said)
        for service in SERVICES
        for case, said in BROKEN_DOWNLOADS.items()
        if (service, case) != ("superoffice", "long-file")
    ],
)
def test_a_broken_download_saves_nothing_and_says_why(service, case, said, tmp_path):
    folder = tmp_path / "into"
    folder.mkdir()
    with HostileServer(service, case) as server:
        code, stdout, stderr, peak_mb = download(server, folder, tmp_path=tmp_path)
    assert code == 1 and stdout == ""
    assert said in one_error_line(stderr)
    assert list(folder.iterdir()) == []  # no file, no .part left
    assert peak_mb < 200, f"{peak_mb} MB"  # the long one is 200 MB


def test_a_superoffice_download_takes_no_byte_past_its_content_length(tmp_path):
    # The document declares no size: its Content-Length of 10 is the bound, 200 MB follow it.
    with HostileServer("superoffice", "long-file") as server:
        code, stdout, stderr, peak_mb = download(server, tmp_path / "into", tmp_path=tmp_path)
        asked = list(server.accepts)
    assert code == 0 and stderr == "", stderr
    assert Path(stdout.strip()).read_bytes() == b"\0" * DECLARED
    assert peak_mb < 200, f"{peak_mb} MB"
    assert asked == ["application/octet-stream, binary/octet-stream;q=0.9"]  # the content, not its base64 JSON


@pytest.mark.parametrize("service", SERVICES)
def test_a_download_dripping_a_byte_at_a_time_ends(service, tmp_path):
    # A stall is retried like a drop; two attempts (not the usual five) keep this test short.
    with HostileServer(service, "drip-file", drip_seconds=0.1) as server:
        code, _, stderr, _ = download(
            server, tmp_path, tmp_path=tmp_path, limits="STALL_WINDOW=0.5,DOWNLOAD_ATTEMPTS=2"
        )
        downloads = [path for path in server.requests if path == server.requests[-1]]
    assert code == 1 and "sent its answer too slowly" in one_error_line(stderr)
    assert len(downloads) == 2  # tried again once, then gave up with the last attempt's line
    assert [p.name for p in tmp_path.iterdir()] == ["rss"]


def test_a_download_address_with_a_control_character_is_one_line(tmp_path):
    with HostileServer("onlyoffice", "bad-url") as server:
        code, _, stderr, _ = download(server, tmp_path, tmp_path=tmp_path)
    line = one_error_line(stderr)
    assert code == 1 and "Cannot send a request to" in line and "\\x01filehandler.ashx" in line


@pytest.mark.parametrize("service", SERVICES)
def test_a_hostile_name_is_saved_safely_and_never_over_another_file(service, tmp_path):
    name = "\x85evil\x9b\x1b" + "é" * 300 + ".txt"
    folder = tmp_path / "into"
    folder.mkdir()
    (folder / "kept.txt").write_bytes(b"mine")
    with HostileServer(service, "named", file_name=name) as server:
        runs = [
            download(server, folder, *extra, tmp_path=tmp_path, task="t\x1b1") for extra in ([], [], ["--overwrite"])
        ]
        asked = list(server.requests)
    assert [code for code, *_ in runs] == [0, 0, 0], runs
    saved = sorted(p for p in folder.iterdir() if p.name != "kept.txt")
    assert len(saved) == 2 and (folder / "kept.txt").read_bytes() == b"mine"
    for path in saved:
        assert len(path.name.encode()) <= 255 and path.name.endswith(".txt")
        assert not any(ord(c) < 0x20 or 0x7F <= ord(c) <= 0x9F for c in path.name)
        assert path.read_bytes() == b"0123456789"
    assert saved[0].name.endswith(" (2).txt")  # the second run kept the first's file
    assert [Path(out.strip()).name for _, out, _, _ in runs] == [saved[1].name, saved[0].name, saved[1].name]
    if service == "awork":  # the id went into the path %-encoded, not as a raw ESC
        assert all("/tasks/t%1B1/" in path for path in asked)


def test_download_into_an_explicit_existing_file_name_keeps_it_and_overwrite_replaces_it(tmp_path):
    dest = tmp_path / "mine.txt"
    dest.write_bytes(b"mine")
    with HostileServer("awork", "named") as server:
        kept = attache(server, "download", "t1", "f1", "-o", str(dest), tmp_path=tmp_path)
        replaced = attache(server, "download", "t1", "f1", "-o", str(dest), "--overwrite", tmp_path=tmp_path)
    assert kept[0] == 0 and Path(kept[1].strip()) == tmp_path / "mine (2).txt"
    assert replaced[0] == 0 and Path(replaced[1].strip()) == dest and dest.read_bytes() == b"0123456789"


@pytest.mark.parametrize("service", SERVICES)
def test_verbose_log_lines_escape_the_servers_text_and_still_redact(service, tmp_path):
    from attache.core.paths import app_dirs

    with HostileServer(service, "refuse") as server:
        code, _, stderr, _ = attache(server, "-v", "ls", "projects", tmp_path=tmp_path)
    assert code == 1 and "\x1b" not in stderr
    log = (app_dirs().log / "attache.log").read_text(encoding="utf-8")
    assert "hostile-token" not in log and "\x1b" not in log and "\x07" not in log
    assert "No\\x1b]0;owned\\x07\\nforged line" in log
    assert all(line[:4].isdigit() for line in log.splitlines())  # every line a record: none forged
    assert any("HTTP Request: GET" in line for line in log.splitlines())
