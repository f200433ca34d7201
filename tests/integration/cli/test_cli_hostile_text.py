"""A server's control characters reach the terminal shown, never obeyed: names with ESC, BEL, CR,
NUL, a newline or a C1 control in `ls`, `files`, printed paths and error lines, one process per command."""

from __future__ import annotations

import http.server
import json
import os
import subprocess
import sys
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest

PROJECT = "\x1b]0;owned\x07Project"  # would set the terminal's title
TASK = "Task\nfake-id\t  forged row"  # would forge a row in the table
USER = "Nul\x00Carriage\rReturn"
WORKSPACE = "Work\x9b2Jspace"  # C1 CSI: "clear the screen" in one character
FILE = "report\x1b[31m\x9b\x85.txt"
ERROR = "No such thing: \x1b]0;owned\x07\x9b31m\nattache: forged line"


def raw_controls(text: str) -> list[str]:
    """Control characters in output, apart from the line ends and column tabs of the output itself."""
    return [c for c in text if (ord(c) < 0x20 and c not in "\n\t") or 0x7F <= ord(c) <= 0x9F]


def run(*args: str, url: str, token: str, cwd: Path | None = None) -> subprocess.CompletedProcess[str]:
    env = dict(os.environ, ATTACHE_TOKEN=token)
    return subprocess.run(
        [sys.executable, "-m", "attache", *args, "--url", url],
        env=env,
        cwd=cwd,
        capture_output=True,
        text=True,
        encoding="utf-8",
        errors="surrogateescape",
        timeout=120,
    )


@pytest.fixture(scope="module")
def hostile():
    """A sandbox whose first project, its first task, a file on it, a user and the workspace
    carry control characters in their names."""
    from attache.sandbox import SandboxServer

    with SandboxServer() as server:
        store = server.store
        project_id = store.scalar("SELECT id FROM projects ORDER BY rowid LIMIT 1")
        task_id = store.scalar("SELECT id FROM tasks WHERE project_id=? ORDER BY rowid LIMIT 1", (project_id,))
        user_id = store.scalar("SELECT id FROM users WHERE is_archived=0 ORDER BY rowid LIMIT 1")
        data = b"hello"
        with store.transaction() as db:
            store.touch(db, "projects", project_id, None, name=PROJECT)
            store.touch(db, "tasks", task_id, None, name=TASK)
            store.touch(db, "users", user_id, None, first_name=USER)
            db.execute("UPDATE workspaces SET name=?", (WORKSPACE,))
            file_id = store.add_task_file(
                db,
                task_id,
                store.write_blob(data),
                name=FILE,
                file_name=FILE,
                description=None,
                mime_type="text/plain",
                size=len(data),
                width=None,
                height=None,
                user_id=None,
            )
        yield server, project_id, task_id, file_id


def test_ls_tables_show_control_characters_escaped(hostile):
    server, project_id, _, _ = hostile
    for kind, shown in (
        ("projects", "\\x1b]0;owned\\x07Project"),
        ("users", "Nul\\x00Carriage\\rReturn"),
        ("workspace", "Work\\x9b2Jspace"),
    ):
        listed = run("ls", kind, url=server.base_url, token=server.token)
        assert listed.returncode == 0, listed.stderr
        assert raw_controls(listed.stdout) == [], kind
        assert shown in listed.stdout, kind

    table = run("ls", "tasks", "--project", project_id, url=server.base_url, token=server.token)
    lines = run("ls", "tasks", "--project", project_id, "--json", url=server.base_url, token=server.token)
    assert raw_controls(table.stdout) == []
    rows = table.stdout.splitlines()
    assert len(rows) == len(lines.stdout.splitlines())  # no forged row
    assert all(row.count("\t") == 2 for row in rows)  # no forged column
    assert any("Task\\nfake-id\\t  forged row" in row for row in rows)


def test_json_lines_escape_controls_and_read_back_to_the_names(hostile):
    server, project_id, task_id, file_id = hostile
    names: dict[str, str] = {}
    for args in (("ls", "projects"), ("ls", "tasks", "--project", project_id), ("ls", "users"), ("ls", "workspace")):
        listed = run(*args, "--json", url=server.base_url, token=server.token)
        assert listed.returncode == 0, listed.stderr
        assert raw_controls(listed.stdout) == []
        names.update({row["id"]: row["name"] for row in map(json.loads, listed.stdout.splitlines())})
    assert names[project_id] == PROJECT and names[task_id] == TASK
    assert any(name.startswith(USER) for name in names.values())
    assert WORKSPACE in names.values()

    files = run("files", task_id, "--json", url=server.base_url, token=server.token)
    assert raw_controls(files.stdout) == []
    assert {row["id"]: row["name"] for row in map(json.loads, files.stdout.splitlines())}[file_id] == FILE


def test_files_table_and_the_printed_download_path_are_escaped(hostile, tmp_path):
    server, _, task_id, file_id = hostile
    files = run("files", task_id, url=server.base_url, token=server.token)
    assert files.returncode == 0, files.stderr
    assert raw_controls(files.stdout) == [] and "report\\x1b[31m" in files.stdout

    fetched = run("download", task_id, file_id, "-o", str(tmp_path), url=server.base_url, token=server.token)
    assert fetched.returncode == 0, fetched.stderr
    assert raw_controls(fetched.stdout) == [] and len(fetched.stdout.splitlines()) == 1
    assert [path.read_bytes() for path in tmp_path.iterdir()] == [b"hello"]


@pytest.fixture
def quoting_server() -> Iterator[str]:
    """A server that refuses every request with an error description full of control characters."""

    class Refuse(http.server.BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            body = json.dumps({"code": "bad-request", "description": ERROR}).encode()
            self.send_response(400)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, format: str, *args: object) -> None:
            pass

    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Refuse)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_port}/api/v1"
    finally:
        server.shutdown()
        server.server_close()


def test_an_error_line_quoting_the_server_is_one_escaped_line(quoting_server):
    result = run("ls", "projects", url=quoting_server, token="t")
    assert result.returncode == 1, (result.stdout, result.stderr)
    assert "Traceback" not in result.stderr and raw_controls(result.stderr) == []
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("attache: "), result.stderr
    assert "\\x1b]0;owned\\x07\\x9b31m\\nattache: forged line" in lines[0]
