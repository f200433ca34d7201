"""Starting and stopping the awork sandbox: ports, temporary data, the foreground command."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import threading

import httpx

from attache.sandbox import SandboxServer


def test_lifecycle_ports_and_temporary_data():
    server = SandboxServer(token="t0ken")
    with server:
        assert server.port > 0 and server.base_url == f"http://127.0.0.1:{server.port}/api/v1"
        assert server.root_url + "/api/v1" == server.base_url and server.token == "t0ken"
        data_dir = server.data_dir
        assert (data_dir / "awork.sqlite3").exists()
        me = httpx.get(server.base_url + "/me", headers={"Authorization": "Bearer t0ken"})
        assert me.status_code == 200 and me.json()["id"] == server.me_id
        assert httpx.get(server.root_url + "/_sandbox/health").json()["status"] == "ok"
        thread_name = f"awork-sandbox:{server.port}"
        assert thread_name in [t.name for t in threading.enumerate()]
    assert not data_dir.exists()
    assert thread_name not in [t.name for t in threading.enumerate()]
    server.stop()  # stopping twice is harmless


def test_random_tokens_differ():
    assert SandboxServer().token != SandboxServer().token


def test_serve_forever_until_ctrl_c(tmp_path):
    code = "from attache.sandbox import serve_forever; serve_forever(token='fg-token')"
    process = subprocess.Popen(
        [sys.executable, "-c", code], stdout=subprocess.PIPE, text=True, env={**os.environ, "PYTHONUNBUFFERED": "1"}
    )
    try:
        first = process.stdout.readline()
        assert first.startswith("awork sandbox at http://127.0.0.1:"), first
        base_url = first.split(" at ", 1)[1].strip()
        assert process.stdout.readline().strip() == "token: fg-token"
        response = httpx.get(base_url + "/me", headers={"Authorization": "Bearer fg-token"})
        assert response.status_code == 200
        process.send_signal(signal.SIGINT)
        assert process.wait(timeout=15) == 0
    finally:
        if process.poll() is None:
            process.kill()
            process.wait()
        process.stdout.close()


def test_oauth_access_tokens_open_the_api(awork_sandbox):
    import base64
    import hashlib
    from urllib.parse import parse_qs, urlsplit

    base = awork_sandbox.base_url
    redirect = "http://127.0.0.1:53682/oauth/callback"
    client = httpx.post(
        f"{base}/clientapplications/register",
        json={"redirect_uris": ["http://127.0.0.1/oauth/callback"], "client_name": "Test"},
    )
    assert client.status_code == 201
    verifier = "v" * 64
    challenge = base64.urlsafe_b64encode(hashlib.sha256(verifier.encode()).digest()).rstrip(b"=").decode()
    params = {
        "client_id": client.json()["client_id"],
        "response_type": "code",
        "redirect_uri": redirect,
        "scope": "full_access offline_access",
        "state": "s1",
        "code_challenge": challenge,
        "code_challenge_method": "S256",
    }
    assert httpx.get(f"{base}/accounts/authorize", params=params).status_code == 200
    allowed = httpx.post(f"{base}/accounts/authorize", data={**params, "decision": "allow"})
    assert allowed.status_code == 302
    code = parse_qs(urlsplit(allowed.headers["location"]).query)["code"][0]
    token = httpx.post(
        f"{base}/accounts/token",
        data={
            "grant_type": "authorization_code",
            "code": code,
            "client_id": params["client_id"],
            "redirect_uri": redirect,
            "code_verifier": verifier,
        },
    )
    access = token.json()["access_token"]
    assert httpx.get(f"{base}/me", headers={"Authorization": f"Bearer {access}"}).status_code == 200
    awork_sandbox.oauth.expire_access_tokens()
    assert httpx.get(f"{base}/me", headers={"Authorization": f"Bearer {access}"}).status_code == 401
