"""A built-in sandbox's transfers live in the user's queue only as long as the sandbox: they go
when it stops, or after a crash, at the next start; other accounts' and live sandboxes' stay."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from attache.app.connections import forget_sandbox_accounts
from attache.core.accounts import Account, AccountRef, AccountStore, account_label, sandbox_account
from attache.core.errors import InvalidInputError
from attache.core.models import EntityKind, EntityRef
from attache.transfers import Journal, default_journal_path
from attache.transfers.journal import NewJob, Slot


@pytest.fixture(autouse=True)
def _private_home(tmp_path, monkeypatch):
    monkeypatch.setenv("ATTACHE_HOME", str(tmp_path / "home"))


def queue_jobs(refs: list[AccountRef], source: Path) -> None:
    task = EntityRef(EntityKind.TASK, "t1")
    with Journal() as journal:
        journal.add([NewJob(ref, task, Slot.FILES, source, source.name, 1, 1) for ref in refs])


def queued_accounts() -> set[str]:
    with Journal() as journal:
        return {job.account.account for job in journal.jobs()}


def dead_pid() -> int:
    process = subprocess.Popen([sys.executable, "-c", "pass"])
    process.wait()
    return process.pid


def test_a_stopping_sandbox_takes_its_jobs_and_its_accounts_jobs_along(tmp_path):
    here = os.getpid()
    AccountStore().add(Account("Demo", "awork", "http://127.0.0.1:1/api/v1", sandbox_pid=here))
    AccountStore().add(Account("Work", "awork", "https://api.awork.com/api/v1"))
    refs = [AccountRef("awork", sandbox_account(here)), AccountRef("awork", "Demo"), AccountRef("awork", "Work")]
    queue_jobs(refs, tmp_path / "a.txt")
    forget_sandbox_accounts(here)
    assert queued_accounts() == {"Work"}
    assert [a.name for a in AccountStore().list()] == ["Work"]


def test_after_a_crash_the_next_start_forgets_only_the_dead_sandboxs_jobs(tmp_path):
    gone, alive = dead_pid(), os.getpid()
    AccountStore().add(Account("Ghost", "awork", "http://127.0.0.1:1/api/v1", sandbox_pid=gone))
    refs = [
        AccountRef("awork", sandbox_account(gone)),
        AccountRef("superoffice", sandbox_account(gone)),
        AccountRef("awork", "Ghost"),
        AccountRef("awork", sandbox_account(alive)),  # another window's sandbox, still running
        AccountRef("awork", "sandbox-report"),  # a saved account's name that only looks alike
    ]
    queue_jobs(refs, tmp_path / "a.txt")
    forget_sandbox_accounts()
    assert queued_accounts() == {sandbox_account(alive), "sandbox-report"}


def test_forgetting_creates_no_queue_where_there_was_none():
    forget_sandbox_accounts()
    assert not default_journal_path().exists()


def test_the_window_names_a_sandboxs_demo_account_plainly():
    assert account_label(sandbox_account(1234)) == "sandbox"
    assert account_label("sandbox-report") == "sandbox-report" and account_label("Work") == "Work"


def test_an_account_cannot_take_a_sandboxs_name():
    with pytest.raises(InvalidInputError, match="built-in sandbox's own name"):
        AccountStore().add(Account(sandbox_account(99), "awork", "https://api.awork.com/api/v1"))
