"""The headless CLI against the sandbox over real HTTP, as a user runs it: one process per command."""

from __future__ import annotations

import hashlib
import http.server
import json
import os
import socket
import subprocess
import sys
import threading
from pathlib import Path

import pytest


def run(
    *args: str, token: str | None, env: dict[str, str] | None = None, cwd: Path | None = None
) -> subprocess.CompletedProcess[str]:
    environment = dict(os.environ, **(env or {}))
    environment.pop("ATTACHE_TOKEN", None)
    if token is not None:
        environment["ATTACHE_TOKEN"] = token
    return subprocess.run(
        [sys.executable, "-m", "attache", *args], env=environment, cwd=cwd, capture_output=True, text=True, timeout=120
    )


def one_line_error(result: subprocess.CompletedProcess[str]) -> str:
    assert result.returncode == 1, (result.stdout, result.stderr)
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("attache: "), result.stderr
    assert "Traceback" not in result.stderr
    return lines[0]


def sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


REPORT_PEAK_MEMORY = """
import sys
from attache.cli import main
status = main(sys.argv[1:])
with open("/proc/self/status") as report:
    sys.stderr.write(next(line for line in report if line.startswith("VmHWM:")))
sys.exit(status)
"""


@pytest.fixture(scope="module")
def project_and_task(awork_sandbox):
    listed = run("ls", "projects", "--json", "--url", awork_sandbox.base_url, token=awork_sandbox.token)
    project = json.loads(listed.stdout.splitlines()[0])
    tasks = run(
        "ls", "tasks", "--project", project["id"], "--json", "--url", awork_sandbox.base_url, token=awork_sandbox.token
    )
    return project, json.loads(tasks.stdout.splitlines()[0])


def test_ls_lists_the_demo_workspace(awork_sandbox):
    url, token = awork_sandbox.base_url, awork_sandbox.token
    projects = run("ls", "projects", "--url", url, token=token)
    assert projects.returncode == 0, projects.stderr
    assert len(projects.stdout.splitlines()) >= 12
    for kind, least in (("tasks", 150), ("companies", 8), ("users", 15), ("project-templates", 3), ("workspace", 1)):
        listed = run("ls", kind, "--json", "--url", url, token=token)
        assert listed.returncode == 0, listed.stderr
        rows = [json.loads(line) for line in listed.stdout.splitlines()]
        assert len(rows) >= least, kind
        assert all(row["name"] for row in rows)


def test_tasks_of_a_project_belong_to_it(awork_sandbox, project_and_task):
    project, _ = project_and_task
    listed = run(
        "ls", "tasks", "--project", project["id"], "--json", "--url", awork_sandbox.base_url, token=awork_sandbox.token
    )
    rows = [json.loads(line) for line in listed.stdout.splitlines()]
    assert rows and all(row["parents"]["project"] == project["id"] for row in rows)


def test_upload_list_download_and_delete_round_trip(fresh_awork_sandbox, tmp_path):
    url, token = fresh_awork_sandbox.base_url, fresh_awork_sandbox.token
    task = json.loads(run("ls", "tasks", "--json", "--url", url, token=token).stdout.splitlines()[0])
    sources = []
    for index, size in enumerate((0, 1, 3_000_000)):
        source = tmp_path / f"report {index}.bin"
        source.write_bytes(os.urandom(size))
        sources.append(source)

    uploaded = run("upload", task["id"], *map(str, sources), "--url", url, token=token)
    assert uploaded.returncode == 0, uploaded.stderr
    file_ids = [line.split("\t")[0] for line in uploaded.stdout.splitlines()]
    assert len(file_ids) == 3

    listed = run("files", task["id"], "--json", "--url", url, token=token)
    records = {r["id"]: r for r in map(json.loads, listed.stdout.splitlines())}
    assert set(file_ids) <= set(records)

    downloads = tmp_path / "downloads"
    downloads.mkdir()
    for file_id, source in zip(file_ids, sources):
        fetched = run("download", task["id"], file_id, "-o", str(downloads), "--url", url, token=token)
        assert fetched.returncode == 0, fetched.stderr
        assert sha256(Path(fetched.stdout.strip())) == sha256(source)
        assert Path(fetched.stdout.strip()).name == source.name

    queue = run("queue", token=None)
    assert queue.returncode == 0 and "done" in queue.stdout

    removed = run("rm-file", task["id"], file_ids[0], "--url", url, token=token)
    assert removed.returncode == 0, removed.stderr
    listed_after = run("files", task["id"], "--json", "--url", url, token=token)
    assert file_ids[0] not in listed_after.stdout


def test_a_200_mb_upload_keeps_memory_flat(fresh_awork_sandbox, tmp_path):
    url, token = fresh_awork_sandbox.base_url, fresh_awork_sandbox.token
    task = json.loads(run("ls", "tasks", "--json", "--url", url, token=token).stdout.splitlines()[0])
    big = tmp_path / "big.bin"
    with big.open("wb") as handle:
        block = os.urandom(1 << 20)
        for _ in range(200):
            handle.write(block)
    # VmHWM, not ru_maxrss: Linux carries ru_maxrss across exec, so a child forked from this
    # (large) test process would report the test's own memory.
    measured = subprocess.run(
        [sys.executable, "-c", REPORT_PEAK_MEMORY, "upload", task["id"], str(big), "--url", url],
        env=dict(os.environ, ATTACHE_TOKEN=token),
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert measured.returncode == 0, measured.stderr
    peak_kb = int(measured.stderr.rsplit("VmHWM:", 1)[1].split()[0])
    assert peak_kb / 1024 < 150, f"peak RSS {peak_kb / 1024:.0f} MB"
    output = measured.stdout

    file_id = output.split("\t")[0]
    fetched = run("download", task["id"], file_id, "-o", str(tmp_path / "back.bin"), "--url", url, token=token)
    assert fetched.returncode == 0, fetched.stderr
    assert sha256(tmp_path / "back.bin") == sha256(big)


def test_profile_image_set_get_and_remove(fresh_awork_sandbox, tmp_path):
    from PIL import Image

    url, token = fresh_awork_sandbox.base_url, fresh_awork_sandbox.token
    user = json.loads(run("ls", "users", "--json", "--url", url, token=token).stdout.splitlines()[0])
    picture = tmp_path / "me.png"
    Image.new("RGB", (300, 200), (200, 30, 30)).save(picture)
    assert run("image", "set", "users", user["id"], str(picture), "--url", url, token=token).returncode == 0

    target = tmp_path / "fetched.png"
    got = run("image", "get", "users", user["id"], str(target), "--size", "64", "--url", url, token=token)
    assert got.returncode == 0, got.stderr
    with Image.open(target) as fetched:
        assert fetched.size == (64, 64)
        assert fetched.convert("RGB").getpixel((32, 32))[0] > 150

    assert run("image", "rm", "users", user["id"], "--url", url, token=token).returncode == 0
    missing = run("image", "get", "users", user["id"], str(tmp_path / "none.png"), "--url", url, token=token)
    assert "has no profile image" in one_line_error(missing)
    assert not (tmp_path / "none.png").exists()


# ---------------------------------------------------------------- bad input: one line, exit 1


def test_an_unknown_task_is_named(awork_sandbox, tmp_path):
    source = tmp_path / "a.txt"
    source.write_text("x")
    result = run(
        "upload",
        "00000000-0000-0000-0000-000000000000",
        str(source),
        "--url",
        awork_sandbox.base_url,
        token=awork_sandbox.token,
    )
    assert "00000000-0000-0000-0000-000000000000" in one_line_error(result)
    queue = run("queue", token=None)
    assert "a.txt" not in queue.stdout  # nothing was queued


def test_missing_and_wrong_tokens(awork_sandbox):
    missing = run("ls", "projects", "--url", awork_sandbox.base_url, token=None)
    assert "ATTACHE_TOKEN" in one_line_error(missing)
    wrong = run("ls", "projects", "--url", awork_sandbox.base_url, token="wrong-token")
    message = one_line_error(wrong)
    assert "token" in message and "wrong-token" not in message


def test_folders_and_special_files_are_refused_before_sending(awork_sandbox, project_and_task, tmp_path):
    _, task = project_and_task
    folder = tmp_path / "folder"
    folder.mkdir()
    assert "is a folder" in one_line_error(
        run("upload", task["id"], str(folder), "--url", awork_sandbox.base_url, token=awork_sandbox.token)
    )
    fifo = tmp_path / "pipe"
    os.mkfifo(fifo)
    assert "not a regular file" in one_line_error(
        run("upload", task["id"], str(fifo), "--url", awork_sandbox.base_url, token=awork_sandbox.token)
    )
    assert "does not exist" in one_line_error(
        run(
            "upload", task["id"], str(tmp_path / "nope.txt"), "--url", awork_sandbox.base_url, token=awork_sandbox.token
        )
    )


def test_a_101_mb_image_is_refused_before_sending(awork_sandbox, tmp_path):
    user = json.loads(
        run("ls", "users", "--json", "--url", awork_sandbox.base_url, token=awork_sandbox.token).stdout.splitlines()[0]
    )
    huge = tmp_path / "huge.png"
    with huge.open("wb") as handle:
        handle.truncate(101 * 1024 * 1024)
    posts_before = sum(1 for r in awork_sandbox.log.records() if r.method == "POST")
    result = run(
        "image", "set", "users", user["id"], str(huge), "--url", awork_sandbox.base_url, token=awork_sandbox.token
    )
    assert "100 MB" in one_line_error(result)
    assert sum(1 for r in awork_sandbox.log.records() if r.method == "POST") == posts_before


def test_a_server_answering_html_is_named(tmp_path):
    (tmp_path / "index.html").write_text("<html><body>Welcome to nginx!</body></html>")
    handler = lambda *a, **k: http.server.SimpleHTTPRequestHandler(*a, directory=str(tmp_path), **k)  # noqa: E731
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    server.RequestHandlerClass.log_message = lambda *a: None
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        url = f"http://127.0.0.1:{server.server_port}"
        message = one_line_error(run("ls", "projects", "--url", url, token="t"))
        assert "HTML" in message
    finally:
        server.shutdown()
        server.server_close()


def test_a_refused_connection_is_named():
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    message = one_line_error(run("ls", "projects", "--url", f"http://127.0.0.1:{port}/api/v1", token="t"))
    assert "connect" in message.lower() and str(port) in message


def test_a_failed_download_leaves_nothing_behind(awork_sandbox, project_and_task, tmp_path):
    _, task = project_and_task
    target = tmp_path / "out.bin"
    result = run(
        "download",
        task["id"],
        "00000000-0000-0000-0000-000000000000",
        "-o",
        str(target),
        "--url",
        awork_sandbox.base_url,
        token=awork_sandbox.token,
    )
    one_line_error(result)
    assert list(tmp_path.iterdir()) == []


def test_usage_errors_exit_2():
    assert run("ls", token=None).returncode == 2
    assert run("ls", "gadgets", token=None).returncode == 2
    assert run("image", "set", "users", "x", token="t").returncode == 2
    assert run("sandbox", "--faults", "3", token=None).returncode == 2


def _sandbox_process(private_tmp, *options: str, pause_at: str | None = None) -> subprocess.Popen:
    env = dict(os.environ, TMPDIR=str(private_tmp))
    if pause_at:
        env["ATTACHE_SANDBOX_PAUSE_AT"] = pause_at  # start-up waits there for the signal
    return subprocess.Popen(
        [sys.executable, "-m", "attache", "sandbox", "--port", "0", "--token", "t", *options],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


def _stopped_by_sigterm(process: subprocess.Popen) -> str:
    import signal

    process.send_signal(signal.SIGTERM)
    _, errors = process.communicate(timeout=30)  # closes the pipes too
    assert process.returncode == 0, errors
    assert "Traceback" not in errors and "CancelledError" not in errors, errors
    return errors


def test_a_stopped_sandbox_leaves_no_data_behind(tmp_path):
    """`attache sandbox` stopped with SIGTERM (as scripts and benchmarks stop it) removes its
    temporary store, where every upload it received lies."""
    private_tmp = tmp_path / "tmp"
    private_tmp.mkdir()
    process = _sandbox_process(private_tmp)
    try:
        assert process.stdout.readline().startswith("awork sandbox at ")
        assert any(private_tmp.iterdir())  # the store and its template are there while it runs
    finally:
        errors = _stopped_by_sigterm(process)
    assert list(private_tmp.iterdir()) == [], errors


@pytest.mark.parametrize("step", ["data_dir", "seeding", "seeding tasks", "seeded", "opening", "listening"])
def test_a_sandbox_stopped_during_start_up_leaves_nothing_behind(tmp_path, step):
    """SIGTERM while the template is seeded, copied or opened: nothing stays in the temporary folder."""
    private_tmp = tmp_path / "tmp"
    private_tmp.mkdir()
    process = _sandbox_process(private_tmp, "--scale", "20000", pause_at=step)
    try:
        assert process.stderr.readline().strip() == f"sandbox start-up paused at {step}"
    finally:
        errors = _stopped_by_sigterm(process)
    assert list(private_tmp.iterdir()) == [], errors


def test_a_sandbox_stopped_during_an_upload_stops_quietly(tmp_path):
    """An upload still sending its body when SIGTERM comes: no traceback, nothing left behind."""
    from urllib.parse import urlsplit

    import httpx

    private_tmp = tmp_path / "tmp"
    private_tmp.mkdir()
    process = _sandbox_process(private_tmp)
    try:
        base_url = process.stdout.readline().split(" at ", 1)[1].strip()
        ticket = httpx.post(base_url + "/files/generateuploadurl", headers={"Authorization": "Bearer t"}).json()
        target = urlsplit(ticket["uploadURL"])
        with socket.create_connection((target.hostname, target.port), timeout=30) as upload:
            # Expect: 100-continue makes the server say when the handler asks for the body, so
            # the upload is known to be under way when the signal comes.
            upload.sendall(
                f"PUT {target.path}?{target.query} HTTP/1.1\r\nHost: {target.netloc}\r\n"
                "x-ms-blob-type: BlockBlob\r\nContent-Length: 10000000\r\n"
                "Expect: 100-continue\r\n\r\n".encode()
            )
            assert upload.recv(100).startswith(b"HTTP/1.1 100 ")
            upload.sendall(b"x" * 100_000)
            errors = _stopped_by_sigterm(process)
    finally:
        if process.poll() is None:
            process.kill()
            process.communicate()
    assert list(private_tmp.iterdir()) == [], errors


@pytest.mark.parametrize("when", ["starting", "connected"])
def test_the_window_closes_cleanly_on_sigterm(tmp_path, when):
    """`attache --sandbox` asked to stop by SIGTERM (a logout, `kill`) quits as File › Quit does:
    exit status 0, window settings saved, and the sandbox's temporary data removed, whether the
    sandbox is still starting or the window is connected. The window says both in its log."""
    from support.window_process import WindowProcess

    private_tmp, home = tmp_path / "tmp", tmp_path / "home"
    private_tmp.mkdir()
    window = WindowProcess(dict(os.environ, TMPDIR=str(private_tmp), ATTACHE_HOME=str(home)))
    try:
        # a window that never gets there fails here
        window.wait_for("starting the sandbox" if when == "starting" else "connected to")
    finally:
        status = window.terminate()
    errors = window.log
    assert status == 0, errors
    assert "closing" in errors and "Traceback" not in errors
    assert list(private_tmp.iterdir()) == [], errors
    assert any(path.suffix in (".conf", ".ini") for path in home.rglob("*")), list(home.rglob("*"))


def test_an_unreadable_speed_limit_is_a_usage_error(tmp_path):
    path = tmp_path / "a.txt"
    path.write_text("a")
    result = run("upload", "some-task", str(path), "--limit-rate", "fast", token="t")
    assert result.returncode == 2
    assert "Cannot read 'fast' as a speed; write it like 500K or 2M" in result.stderr


def test_upload_new_version_replaces_the_files_content_and_is_refused_without_versions(fresh_awork_sandbox, tmp_path):
    url, token = fresh_awork_sandbox.base_url, fresh_awork_sandbox.token
    task = json.loads(run("ls", "tasks", "--json", "--url", url, token=token).stdout.splitlines()[0])
    source = tmp_path / "minutes.txt"
    source.write_bytes(b"first draft")
    [first] = run("upload", task["id"], str(source), "--url", url, token=token).stdout.splitlines()
    file_id = first.split("\t")[0]
    source.write_bytes(b"second, longer draft")

    again = run("upload", task["id"], str(source), "--new-version", file_id, "--url", url, token=token)
    assert again.returncode == 0, again.stderr
    assert again.stdout.split("\t")[0] == file_id
    listed = [
        json.loads(line) for line in run("files", task["id"], "--json", "--url", url, token=token).stdout.splitlines()
    ]
    assert [r["name"] for r in listed].count("minutes.txt") == 1
    fetched = run("download", task["id"], file_id, "-o", str(tmp_path / "out.txt"), "--url", url, token=token)
    assert Path(fetched.stdout.strip()).read_bytes() == b"second, longer draft"

    unknown = run("upload", task["id"], str(source), "--new-version", "nope", "--url", url, token=token)
    assert one_line_error(unknown) == f"attache: The task {task['id']} has no file nope"
    refused = run(
        "upload", "--service", "onlyoffice", "--url", "http://127.0.0.1:9", "7", str(source), "--new-version", "3",
        token="t",
    )  # fmt: skip
    assert (
        one_line_error(refused)
        == "attache: ONLYOFFICE cannot keep versions of the files of tasks; upload it as a separate file instead."
    )
