"""Signing in through the browser against the sandbox, the test acting as the browser and its user."""

from __future__ import annotations

import logging
import os
import threading
from urllib.parse import parse_qsl, urlsplit

import httpx
import pytest

from attache.app.connections import open_account_backend as open_backend
from attache.backends.awork_oauth import TokenManager, sign_in_with_browser
from attache.core.accounts import Account, AccountRef, AccountStore
from attache.core.errors import AuthenticationError
from attache.core.models import EntityKind, EntityRef
from attache.core.paths import app_dirs
from attache.credentials import MemoryStore
from attache.transfers import JobState, Journal, TransferEngine


class Browser:
    """Opens the authorize URL, reads the consent page and clicks Allow (or Deny)."""

    def __init__(self, decision: str = "allow") -> None:
        self.decision = decision
        self.pages: list[str] = []
        self._threads: list[threading.Thread] = []

    def __call__(self, url: str) -> None:
        thread = threading.Thread(target=self._visit, args=(url,))
        thread.start()
        self._threads.append(thread)

    def _visit(self, url: str) -> None:
        with httpx.Client(timeout=10) as client:
            page = client.get(url)
            self.pages.append(page.text)
            form = dict(parse_qsl(urlsplit(url).query), decision=self.decision)
            consent = client.post(url.split("?")[0], data=form)
            assert consent.status_code == 302
            client.get(consent.headers["location"])  # the redirect lands on Attaché's loopback listener

    def join(self) -> None:
        for thread in self._threads:
            thread.join(10)


def sign_in(sandbox, decision: str = "allow") -> tuple[dict, Browser]:
    browser = Browser(decision)
    secret = sign_in_with_browser(sandbox.base_url, open_url=browser, timeout=20)
    browser.join()
    return secret, browser


def test_sign_in_with_the_browser_gives_working_tokens(fresh_awork_sandbox):
    secret, browser = sign_in(fresh_awork_sandbox)
    assert "Allow" in browser.pages[0] and "Attaché" in browser.pages[0]
    assert secret["type"] == "oauth" and secret["refresh_token"] and secret["client_id"]
    store = MemoryStore()
    store.save("work", secret)
    with open_backend(Account("work", "awork", fresh_awork_sandbox.base_url, auth="oauth"), store) as backend:
        assert backend.workspace().name


def test_a_denied_sign_in_says_so(fresh_awork_sandbox):
    with pytest.raises(AuthenticationError, match="refused in the browser"):
        sign_in(fresh_awork_sandbox, decision="deny")


def test_refresh_rotates_and_the_old_refresh_token_is_refused(fresh_awork_sandbox):
    secret, _ = sign_in(fresh_awork_sandbox)
    saved: list[dict] = []
    tokens = TokenManager(fresh_awork_sandbox.base_url, "work", secret, saved.append)
    assert tokens.refresh_after_rejection(secret["access_token"])
    assert saved and saved[-1]["refresh_token"] != secret["refresh_token"]
    assert saved[-1]["access_token"] != secret["access_token"]
    # The rotated-out refresh token is dead: a second manager holding it is told to sign in again.
    stale = TokenManager(fresh_awork_sandbox.base_url, "work", secret, saved.append)
    with pytest.raises(AuthenticationError, match="sign in again"):
        stale.refresh_after_rejection(secret["access_token"])


def test_a_token_expiring_soon_is_refreshed_before_the_request(fresh_awork_sandbox):
    secret, _ = sign_in(fresh_awork_sandbox)
    saved: list[dict] = []
    tokens = TokenManager(fresh_awork_sandbox.base_url, "work", dict(secret, expires_at=0), saved.append)
    assert tokens.access_token() != secret["access_token"]
    assert len(saved) == 1


def test_a_401_mid_queue_refreshes_once_and_every_upload_finishes(fresh_awork_sandbox, tmp_path):
    sandbox = fresh_awork_sandbox
    secret, _ = sign_in(sandbox)
    store = MemoryStore()
    store.save("work", secret)
    account = Account("work", "awork", sandbox.base_url, auth="oauth")
    with open_backend(account, store) as reader:
        task = next(iter(reader.iter_pages(EntityKind.TASK))).items[0]
    files = []
    for index in range(12):
        path = tmp_path / f"part-{index}.bin"
        path.write_bytes(os.urandom(200_000))
        files.append(path)

    expired = threading.Event()

    def on_event(event) -> None:
        if event.state is JobState.DONE and not expired.is_set():
            expired.set()
            sandbox.oauth.expire_access_tokens()  # every token in use goes stale mid-queue

    ref = AccountRef("awork", "work")
    with Journal(tmp_path / "journal.sqlite3") as journal:
        engine = TransferEngine(journal, lambda _: open_backend(account, store), workers=3, hold_on_sign_in=True)
        engine.subscribe(on_event)
        ids = engine.enqueue(ref, EntityRef(EntityKind.TASK, task.id), files)
        with engine:
            assert engine.wait(ids, timeout=60)
        jobs = journal.jobs(ids=ids)
    assert expired.is_set()
    assert [job.state for job in jobs] == [JobState.DONE] * len(files), [job.last_error for job in jobs]
    assert store.load("work")["refresh_token"] != secret["refresh_token"]  # rotated, and saved
    refreshes = [r for r in sandbox.requests if r.path.endswith("/accounts/token")]
    assert len(refreshes) == 2  # the sign-in's exchange, then exactly one shared refresh


def test_jobs_wait_for_a_new_sign_in_instead_of_failing(fresh_awork_sandbox, tmp_path):
    sandbox = fresh_awork_sandbox
    store = MemoryStore()
    store.save("work", {"type": "api_key", "api_key": "revoked-key"})
    account = Account("work", "awork", sandbox.base_url)
    source = tmp_path / "notes.txt"
    source.write_text("hello")
    with open_backend(Account("reader", "awork", sandbox.base_url), _store_with("reader", sandbox.token)) as reader:
        task = next(iter(reader.iter_pages(EntityKind.TASK))).items[0]
    ref = AccountRef("awork", "work")
    with Journal(tmp_path / "journal.sqlite3") as journal:
        engine = TransferEngine(journal, lambda _: open_backend(account, store), workers=2, hold_on_sign_in=True)
        [job_id] = engine.enqueue(ref, EntityRef(EntityKind.TASK, task.id), [source])
        with engine:
            assert not engine.wait([job_id], timeout=3)  # held, not failed
            waiting = journal.get(job_id)
            assert waiting.state is JobState.QUEUED and "Waiting for sign-in" in waiting.last_error
            assert ref in engine.waiting_for_sign_in()
            store.save("work", {"type": "api_key", "api_key": sandbox.token})  # the user signs in again
            engine.signed_in(ref)
            assert engine.wait([job_id], timeout=30)
        assert journal.get(job_id).state is JobState.DONE


def _store_with(name: str, api_key: str) -> MemoryStore:
    store = MemoryStore()
    store.save(name, {"type": "api_key", "api_key": api_key})
    return store


def test_after_a_full_session_no_secret_is_in_any_file_or_log_line(fresh_awork_sandbox, tmp_path, caplog):
    from attache.logs import configure_logging

    sandbox = fresh_awork_sandbox
    handler = configure_logging(verbose=True)
    caplog.set_level(logging.DEBUG)
    try:
        secret, _ = sign_in(sandbox)
        store = MemoryStore()
        store.save("work", secret)
        accounts = AccountStore()
        account = Account("work", "awork", sandbox.base_url, auth="oauth")
        accounts.add(account)
        source = tmp_path / "upload.txt"
        source.write_text("quarterly numbers")
        with Journal() as journal, open_backend(account, store) as backend:
            task = next(iter(backend.iter_pages(EntityKind.TASK))).items[0]
            engine = TransferEngine(journal, lambda _: open_backend(account, store), hold_on_sign_in=True)
            ids = engine.enqueue(AccountRef("awork", "work"), task.ref, [source])
            with engine:
                assert engine.wait(ids, timeout=30)
            sandbox.oauth.expire_access_tokens()
            backend.list_files(task.ref)  # a 401, a refresh, a retry: all logged at DEBUG
        final = store.load("work")
        store.delete("work")  # sign out
        accounts.remove("work")
    finally:
        logging.getLogger().removeHandler(handler)
        handler.close()

    secrets_seen = {secret["access_token"], secret["refresh_token"], final["access_token"], final["refresh_token"]}
    dirs = app_dirs()
    files = [
        p for d in (dirs.config, dirs.data, dirs.cache, dirs.log) if d.exists() for p in d.rglob("*") if p.is_file()
    ]
    assert any(p.name == "attache.log" for p in files)
    for path in files:
        content = path.read_bytes()
        for value in secrets_seen:
            assert value.encode() not in content, f"a token is in {path}"
    logged = "\n".join(caplog.messages) + "\n".join(r.getMessage() for r in caplog.records)
    assert "Authorization" in logged or "authorization" in logged.lower()  # requests were logged…
    for value in secrets_seen:
        assert value not in logged  # …with their secrets redacted
