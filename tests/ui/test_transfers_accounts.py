"""Every account's transfers in one panel: two saved accounts on two awork sandboxes share the
user's one queue; switching accounts neither hides nor stops the other's uploads, and a new
window lists them all again — over real HTTP."""

from __future__ import annotations

from ui_helpers import task_without_files

from attache.app.secrets import AppSecrets, reset_app_secrets
from attache.core.accounts import Account, AccountStore
from attache.core.models import EntityKind, EntityRef
from attache.credentials import KeyringStatus
from attache.transfers import JobState
from attache.ui.transfers_view import TransfersModel


def file_names(server, task_id: str) -> set[str]:
    return {row[0] for row in server.store.read("SELECT name FROM files WHERE task_id = ?", (task_id,))}


def listed(window) -> dict[str, tuple[str, JobState]]:
    """The panel's rows: file name -> (the account column's text, state)."""
    model = window.transfers.model
    rows = {}
    for row in range(model.rowCount()):
        job = model.job(row)
        rows[job.name] = (model.index(row, TransfersModel.ACCOUNT).data(), job.state)
    return rows


def test_two_saved_accounts_transfers_are_all_listed_and_survive_a_new_window(
    make_window, qtbot, make_awork_sandbox, tmp_path
):
    secrets = AppSecrets(probe=lambda timeout: KeyringStatus(False, "fail", "No password manager was found."))
    reset_app_secrets(secrets)
    first, second = make_awork_sandbox(), make_awork_sandbox()
    store = AccountStore()
    store.add(Account("Alpha", "awork", first.base_url, workspace="Northwind Studio"))
    store.add(Account("Beta", "awork", second.base_url, workspace="Northwind Studio"))
    secrets.memory.save("Alpha", {"type": "api_key", "api_key": first.token})
    secrets.memory.save("Beta", {"type": "api_key", "api_key": second.token})
    alpha_task, beta_task = task_without_files(first), task_without_files(second)
    alpha_file, alpha_later = tmp_path / "alpha-report.txt", tmp_path / "alpha-later.txt"
    beta_file = tmp_path / "beta-report.txt"
    for path in (alpha_file, alpha_later, beta_file):
        path.write_bytes(path.name.encode() * 400)

    window = make_window()
    window.show()
    window.accounts.switch_to(store.get("Alpha"))
    qtbot.waitUntil(lambda: window.queue.engine is not None and window.connection.account == "Alpha", timeout=20_000)
    header = window.transfers.view.header()
    window.queue.attach(EntityRef(EntityKind.TASK, alpha_task), "Task “A”", [alpha_file])
    qtbot.waitUntil(lambda: listed(window).get("alpha-report.txt", ("", None))[1] == JobState.DONE, timeout=20_000)
    assert header.isSectionHidden(TransfersModel.ACCOUNT)  # one account: no column for it
    window.transfers.pause_button.click()  # the next upload of Alpha waits in the queue
    assert window.queue.paused
    window.queue.attach(EntityRef(EntityKind.TASK, alpha_task), "Task “A”", [alpha_later])
    qtbot.waitUntil(lambda: "alpha-later.txt" in listed(window), timeout=10_000)

    window.accounts.switch_to(store.get("Beta"))
    qtbot.waitUntil(lambda: window.queue.engine is not None and window.connection.account == "Beta", timeout=20_000)
    # switching neither hides Alpha's uploads nor forgets that the queue was paused
    assert set(listed(window)) == {"alpha-report.txt", "alpha-later.txt"}
    assert window.queue.paused and next(j for j in window.queue.jobs() if j.name == "alpha-later.txt").paused
    window.queue.attach(EntityRef(EntityKind.TASK, beta_task), "Task “B”", [beta_file])
    qtbot.waitUntil(lambda: "beta-report.txt" in listed(window), timeout=10_000)
    window.transfers.pause_button.click()  # resume: Alpha's waiting upload goes on from Beta's window
    assert not window.queue.paused
    qtbot.waitUntil(lambda: all(state == JobState.DONE for _, state in listed(window).values()), timeout=20_000)
    assert listed(window) == {
        "alpha-report.txt": ("Alpha", JobState.DONE),
        "alpha-later.txt": ("Alpha", JobState.DONE),
        "beta-report.txt": ("Beta", JobState.DONE),
    }
    assert not header.isSectionHidden(TransfersModel.ACCOUNT)
    assert {"alpha-report.txt", "alpha-later.txt"} <= file_names(first, alpha_task)  # each on its own server
    assert file_names(second, beta_task) == {"beta-report.txt"}

    window._quitting = True
    window.close()
    again = make_window()  # the next run: same ATTACHE_HOME, same queue
    again.show()
    again.accounts.switch_to(store.get("Beta"))
    qtbot.waitUntil(lambda: again.queue.engine is not None and len(listed(again)) == 3, timeout=20_000)
    assert listed(again) == {
        "alpha-report.txt": ("Alpha", JobState.DONE),
        "alpha-later.txt": ("Alpha", JobState.DONE),
        "beta-report.txt": ("Beta", JobState.DONE),
    }
    assert not again.transfers.view.header().isSectionHidden(TransfersModel.ACCOUNT)


def test_the_built_in_sandbox_lists_and_runs_every_accounts_transfers_and_takes_only_its_own_along(
    make_window, qtbot, make_awork_sandbox, tmp_path
):
    """On the built-in sandbox, a saved account's upload left in the queue is listed and finishes;
    when the window quits, the sandbox's own transfers leave the queue and the other's stay."""
    from attache.core.accounts import AccountRef
    from attache.transfers import Journal
    from attache.transfers.journal import NewJob, Slot

    secrets = AppSecrets(probe=lambda timeout: KeyringStatus(False, "fail", "No password manager was found."))
    reset_app_secrets(secrets)
    work = make_awork_sandbox()
    AccountStore().add(Account("Work", "awork", work.base_url, workspace="Northwind Studio"))
    secrets.memory.save("Work", {"type": "api_key", "api_key": work.token})
    work_task = task_without_files(work)
    left, demo = tmp_path / "left-from-yesterday.txt", tmp_path / "demo.txt"
    for path in (left, demo):
        path.write_bytes(path.name.encode() * 400)
    with Journal() as journal:  # an upload an earlier run left waiting
        stat = left.stat()
        target = EntityRef(EntityKind.TASK, work_task)
        journal.add(
            [NewJob(AccountRef("awork", "Work"), target, Slot.FILES, left, left.name, stat.st_size, stat.st_mtime_ns)]
        )

    window = make_window()
    window.show()
    window.open_sandbox()
    qtbot.waitUntil(lambda: window.backend is not None and window.queue.engine is not None, timeout=30_000)
    qtbot.waitUntil(lambda: listed(window).get(left.name, ("", None))[1] == JobState.DONE, timeout=20_000)
    assert file_names(work, work_task) == {left.name}  # on the saved account's own server
    sandbox = window.connection.sandbox
    window.queue.attach(EntityRef(EntityKind.TASK, task_without_files(sandbox)), "Task “Demo”", [demo])
    qtbot.waitUntil(lambda: listed(window).get(demo.name, ("", None))[1] == JobState.DONE, timeout=20_000)
    assert listed(window) == {left.name: ("Work", JobState.DONE), demo.name: ("sandbox", JobState.DONE)}
    assert not window.transfers.view.header().isSectionHidden(TransfersModel.ACCOUNT)

    window._quitting = True
    window.close()

    def queued() -> list[str]:
        with Journal() as journal:
            return [job.name for job in journal.jobs()]

    qtbot.waitUntil(lambda: queued() == [left.name], timeout=20_000)  # the sandbox stops on a worker


def test_leaving_the_sandbox_for_a_saved_account_ends_the_sandboxs_transfers_only(
    make_window, qtbot, make_awork_sandbox, tmp_path
):
    """The engine goes on with the saved account; the sandbox stops, so its waiting upload is
    cancelled (not left to fail against a server that is gone) and leaves the queue."""
    from attache.transfers import Journal

    secrets = AppSecrets(probe=lambda timeout: KeyringStatus(False, "fail", "No password manager was found."))
    reset_app_secrets(secrets)
    work = make_awork_sandbox()
    AccountStore().add(Account("Work", "awork", work.base_url, workspace="Northwind Studio"))
    secrets.memory.save("Work", {"type": "api_key", "api_key": work.token})
    demo = tmp_path / "demo.txt"
    demo.write_bytes(b"demo " * 400)

    window = make_window()
    window.show()
    window.open_sandbox()
    qtbot.waitUntil(lambda: window.backend is not None and window.queue.engine is not None, timeout=30_000)
    engine = window.queue.engine
    window.transfers.pause_button.click()  # the demo upload waits in the queue
    window.queue.attach(EntityRef(EntityKind.TASK, task_without_files(window.connection.sandbox)), "Task", [demo])
    qtbot.waitUntil(lambda: demo.name in listed(window), timeout=10_000)

    window.accounts.switch_to(AccountStore().get("Work"))
    qtbot.waitUntil(lambda: window.connection is not None and window.connection.account == "Work", timeout=20_000)
    assert window.queue.engine is engine  # one engine for the window, on the user's queue
    qtbot.waitUntil(lambda: listed(window).get(demo.name, ("", None))[1] == JobState.CANCELLED, timeout=20_000)

    def queued() -> list[str]:
        with Journal() as journal:
            return [job.name for job in journal.jobs()]

    qtbot.waitUntil(lambda: queued() == [], timeout=20_000)
