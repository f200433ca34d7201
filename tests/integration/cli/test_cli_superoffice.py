"""The headless CLI on the SuperOffice sandbox, as a user runs it: one process per command, the
tenant's address with --url and a Bearer access token in $ATTACHE_TOKEN, or a saved Onsite
account (user and password in a real Secret Service)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from attache.sandbox import SandboxServer
from support.secret_service import missing_programs, private_secret_service
from support.tools import tool_missing

SO = ("--service", "superoffice")


@pytest.fixture(scope="module")
def server() -> Iterator[SandboxServer]:
    with SandboxServer(service="superoffice") as running:
        yield running


def attache(*args: str, env: dict[str, str], stdin: str = "") -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "attache", *args], input=stdin, env=env, capture_output=True, text=True, timeout=120
    )


@pytest.fixture
def token_env(server: SandboxServer) -> dict[str, str]:
    return {**os.environ, "ATTACHE_TOKEN": server.token}


def test_ls_contact_persons_lists_every_demo_person_across_pages(server: SandboxServer, token_env) -> None:
    listed = attache("ls", "contact-persons", *SO, "--url", server.base_url, "--json", env=token_env)
    assert listed.returncode == 0, listed.stderr
    ids = [json.loads(line)["id"] for line in listed.stdout.splitlines()]
    expected = {str(row["id"]) for row in server.store.read("SELECT id FROM persons")}
    assert len(expected) > 200 and len(ids) == len(expected) and set(ids) == expected  # more than a page
    persons = attache("ls", "persons", *SO, "--url", server.base_url, env=token_env)
    assert len(persons.stdout.splitlines()) == len(ids)


def test_a_report_attached_to_a_project_downloads_byte_for_byte(
    server: SandboxServer, token_env, tmp_path: Path
) -> None:
    url = ("--url", server.base_url)
    project = json.loads(attache("ls", "projects", *SO, *url, "--json", env=token_env).stdout.splitlines()[0])["id"]
    report = tmp_path / "report.pdf"
    report.write_bytes(b"%PDF-1.4\n" + os.urandom(150_000))
    uploaded = attache("upload", *SO, *url, "--kind", "projects", project, str(report), env=token_env)
    assert uploaded.returncode == 0, uploaded.stderr
    document_id, name = uploaded.stdout.strip().split("\t")
    assert name.startswith("report") and name.endswith(".pdf")  # as SuperOffice named it
    listed = attache("files", *SO, *url, "--kind", "projects", project, env=token_env)
    assert document_id in {line.split("\t")[0] for line in listed.stdout.splitlines()}
    out = tmp_path / "back.pdf"
    fetched = attache("download", *SO, *url, "--kind", "projects", project, document_id, "-o", str(out), env=token_env)
    assert fetched.returncode == 0, fetched.stderr
    assert out.read_bytes() == report.read_bytes()
    removed = attache("rm-file", *SO, *url, "--kind", "projects", project, document_id, env=token_env)
    assert removed.returncode == 0, removed.stderr
    assert document_id not in attache("files", *SO, *url, "--kind", "projects", project, env=token_env).stdout


def test_files_on_a_kind_without_them_are_refused_in_the_capability_tables_words(
    server: SandboxServer, token_env, tmp_path: Path
) -> None:
    note = tmp_path / "note.txt"
    note.write_text("hi")
    before = len(server.requests)
    refused = attache("upload", *SO, "--url", server.base_url, "--kind", "users", "1", str(note), env=token_env)
    assert refused.returncode == 1
    assert refused.stderr.strip() == "attache: SuperOffice cannot attach files to users."
    assert len(server.requests) == before  # refused before any request


@pytest.fixture
def keyring_env(tmp_path: Path) -> Iterator[dict[str, str]]:
    missing = missing_programs()
    if missing:
        tool_missing(f"No Secret Service to test against: {', '.join(missing)} not installed")
    with private_secret_service(tmp_path / "home") as env:
        env["ATTACHE_HOME"] = str(tmp_path / "attache")
        env.pop("ATTACHE_TOKEN", None)
        env.pop("PYTHON_KEYRING_BACKEND", None)
        yield env


def test_an_onsite_account_signs_in_with_a_password_and_remembers_the_chosen_template(
    server: SandboxServer, keyring_env, tmp_path: Path
) -> None:
    env = keyring_env
    login = str(server.store.read("SELECT user_name FROM associates ORDER BY id LIMIT 1")[0]["user_name"])
    added = attache("account", "add", "crm", *SO, "--url", server.base_url + "/v1", "--user", login, env=env)
    assert added.returncode == 0, added.stderr
    wrong = attache("login", "crm", env=env, stdin="not the password\n")
    assert wrong.returncode == 1 and "did not accept the user name" in wrong.stderr
    signed_in = attache("login", "crm", env=env, stdin="demo-password\n")
    assert signed_in.returncode == 0, signed_in.stderr
    task = attache("ls", "tasks", "--account", "crm", "--json", env=env).stdout.splitlines()[0]
    offer = tmp_path / "offer.docx"
    offer.write_bytes(os.urandom(5000))
    uploaded = attache("upload", "--account", "crm", "--template", "3", json.loads(task)["id"], str(offer), env=env)
    assert uploaded.returncode == 0, uploaded.stderr
    document_id = uploaded.stdout.split("\t")[0]
    assert server.store.read("SELECT template_id FROM documents WHERE id = ?", (int(document_id),))[0][0] == 3
    accounts = json.loads((Path(env["ATTACHE_HOME"]) / "config" / "accounts.json").read_text())
    [account] = accounts["accounts"]
    assert account["options"] == {"document_template": "3"} and "demo-password" not in json.dumps(accounts)
    # Remembered: the next upload uses it without being told.
    again = attache("upload", "--account", "crm", json.loads(task)["id"], str(offer), env=env)
    second = again.stdout.split("\t")[0]
    assert server.store.read("SELECT template_id FROM documents WHERE id = ?", (int(second),))[0][0] == 3


# Run by webbrowser.open through $BROWSER: clicks Allow, then submits the form_post page to the
# loopback listener, as a browser's onload script does.
FAKE_BROWSER = """
import re, sys
from html import unescape
from urllib.parse import parse_qsl, urlsplit
import httpx
url = sys.argv[1]
with httpx.Client(timeout=10) as client:
    form = dict(parse_qsl(urlsplit(url).query), decision="allow")
    page = client.post(url.split("?")[0], data=form).text
    action = unescape(re.search(r'action="([^"]+)"', page).group(1))
    fields = {unescape(k): unescape(v) for k, v in re.findall(r'name="([^"]+)" value="([^"]*)"', page)}
    client.post(action, data=fields)
"""


def test_an_online_account_signs_in_in_the_browser_with_the_apps_client_id(
    server: SandboxServer, keyring_env, tmp_path: Path
) -> None:
    env = dict(keyring_env)
    browser = tmp_path / "browser.py"
    browser.write_text(FAKE_BROWSER)
    env["BROWSER"] = f"{sys.executable} {browser} %s"
    added = attache("account", "add", "online", *SO, "--url", server.base_url, env=env)
    assert added.returncode == 0, added.stderr
    signed_in = attache(
        "login", "online", "--browser", "--client-id", server.client_id, "--app-token", env=env,
        stdin=server.client_secret + "\n",
    )  # fmt: skip
    assert signed_in.returncode == 0, signed_in.stderr
    assert "Signed in to Fjordlight Consulting AS" in signed_in.stdout  # the tenant's own company
    listed = attache("ls", "projects", "--account", "online", env=env)
    assert listed.returncode == 0 and listed.stdout.strip(), listed.stderr
    accounts = (Path(env["ATTACHE_HOME"]) / "config" / "accounts.json").read_text()
    [account] = json.loads(accounts)["accounts"]
    assert account["options"] == {"client_id": server.client_id} and account["auth"] == "oauth"
    assert server.client_secret not in accounts  # the app token is a secret: in the keyring only
