"""Accounts and secrets against a real Secret Service (gnome-keyring on a private D-Bus)."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from support.secret_service import missing_programs, private_secret_service
from support.tools import tool_missing


@pytest.fixture
def keyring_env(tmp_path: Path):
    missing = missing_programs()
    if missing:
        tool_missing(
            f"No Secret Service to test against: {', '.join(missing)} not installed "
            "(apt-get install dbus gnome-keyring)"
        )
    with private_secret_service(tmp_path / "home") as env:
        env["ATTACHE_HOME"] = str(tmp_path / "attache")
        env.pop("ATTACHE_TOKEN", None)
        env.pop("PYTHON_KEYRING_BACKEND", None)
        yield env


def attache(env: dict[str, str], *args: str, stdin: str = "") -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "attache", *args], input=stdin, env=env, capture_output=True, text=True, timeout=60
    )


def stored_secrets(env: dict[str, str]) -> str:
    """What the keyring holds for Attaché, read from outside the app."""
    found = subprocess.run(
        ["secret-tool", "search", "--all", "--unlock", "service", "attache"],
        env=env,
        capture_output=True,
        text=True,
        timeout=20,
    )
    return found.stdout + found.stderr


def test_an_api_key_is_kept_in_the_keyring_and_read_back_by_a_new_process(keyring_env, awork_sandbox):
    env = keyring_env
    assert attache(env, "account", "add", "work", "--url", awork_sandbox.base_url).returncode == 0

    login = attache(env, "login", "work", stdin=awork_sandbox.token + "\n")
    assert login.returncode == 0, login.stderr
    assert "Signed in to" in login.stdout and "password manager" in login.stdout

    # A fresh process finds the secret in the keyring: no token in the environment.
    listed = attache(env, "ls", "projects", "--account", "work")
    assert listed.returncode == 0, listed.stderr
    assert len(listed.stdout.splitlines()) >= 12

    assert awork_sandbox.token in stored_secrets(env)
    config_text = "".join(p.read_text(errors="replace") for p in Path(env["ATTACHE_HOME"]).rglob("*") if p.is_file())
    assert awork_sandbox.token not in config_text

    removed = attache(env, "account", "remove", "work")
    assert removed.returncode == 0, removed.stderr
    assert awork_sandbox.token not in stored_secrets(env)
    gone = attache(env, "ls", "projects", "--account", "work")
    assert gone.returncode == 1 and "No account named 'work'" in gone.stderr


def test_a_wrong_api_key_is_refused_before_it_is_saved(keyring_env, awork_sandbox):
    env = keyring_env
    attache(env, "account", "add", "work", "--url", awork_sandbox.base_url)
    login = attache(env, "login", "work", stdin="not-the-key\n")
    assert login.returncode == 1
    assert "work" in login.stderr and "not-the-key" not in login.stderr
    assert "not-the-key" not in stored_secrets(env)


def test_without_a_keyring_login_says_so_and_stores_nothing(tmp_path, awork_sandbox):
    env = dict(
        os.environ, ATTACHE_HOME=str(tmp_path / "attache"), PYTHON_KEYRING_BACKEND="keyring.backends.fail.Keyring"
    )
    attache(env, "account", "add", "work", "--url", awork_sandbox.base_url)
    login = attache(env, "login", "work", stdin=awork_sandbox.token + "\n")
    assert login.returncode == 1
    assert "No password manager" in login.stderr and "this session only" in login.stderr
    files = [p for p in (tmp_path / "attache").rglob("*") if p.is_file()]
    assert all(awork_sandbox.token not in p.read_text(errors="replace") for p in files)


def test_the_memory_store_keeps_secrets_for_the_session_only(monkeypatch):
    import keyring
    from keyring.backends import fail

    from attache.credentials import MemoryStore, open_secret_store, probe_keyring

    monkeypatch.setattr(keyring, "get_keyring", lambda: fail.Keyring())
    status = probe_keyring()
    assert not status.usable and "No password manager" in status.message
    store = open_secret_store(allow_memory=True)
    assert isinstance(store, MemoryStore) and not store.persistent
    store.save("work", {"api_key": "k"})
    assert store.load("work") == {"api_key": "k"}
    assert open_secret_store(allow_memory=True).load("work") is None  # a new session starts empty
