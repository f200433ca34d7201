"""pytest-qt fixtures for the window: offscreen Qt, a private ATTACHE_HOME, a window that closes
cleanly (no quit prompt) and waits for its workers."""

from __future__ import annotations

import os

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

import pytest


@pytest.fixture(autouse=True)
def _private_home(tmp_path, monkeypatch):
    monkeypatch.setenv("ATTACHE_HOME", str(tmp_path / "home"))
    monkeypatch.delenv("ATTACHE_TOKEN", raising=False)
    monkeypatch.delenv("ATTACHE_URL", raising=False)


@pytest.fixture
def app(qapp):
    from attache.ui.app import configure_application

    configure_application(qapp)
    return qapp


@pytest.fixture
def synchronous():
    """Run `run_task` work at once (deterministic model tests)."""
    from attache.ui import tasks

    tasks.set_synchronous(True)
    yield
    tasks.set_synchronous(False)


@pytest.fixture
def make_window(app, qtbot):
    """Build MainWindows; each is closed without prompts, and its workers finish, at teardown."""
    from attache.ui import tasks
    from attache.ui.main_window import MainWindow

    windows = []

    def make(**kwargs):
        window = MainWindow(restore=kwargs.pop("restore", False), **kwargs)
        window.resize(1200, 760)
        windows.append(window)
        return window

    yield make
    for window in windows:
        window._quitting = True
        window.close()
    tasks.runner().wait(15_000)
    qtbot.wait(10)  # deliver what the workers posted, while the windows still exist
    for window in windows:
        window.deleteLater()
    qtbot.wait(10)


@pytest.fixture
def make_backend():
    """Real AworkBackends on awork sandboxes, closed after the test once the workers that may still
    use them have finished (a window closes its own as well; closing twice is harmless).

    `retries=False`: one attempt per request, so a fault the sandbox injects reaches the caller
    at once. `transport`: an httpx transport under the backend's API client, for the rare reply a
    real server cannot be made to send (the blob client stays on the network)."""
    from attache.backends.awork import AworkBackend
    from attache.backends.http import default_retry, make_client
    from attache.ui import tasks

    backends, clients = [], []

    def make(server, *, retries: bool = True, transport=None, account: str = "Sandbox"):
        retry = default_retry(sleeper=lambda seconds: None)  # retries without the back-off pauses
        if not retries:
            retry = retry.copy_with(total=0)
        client = None
        if transport is not None:
            client = make_client(server.base_url, token_provider=lambda: server.token, transport=transport, retry=retry)
            clients.append(client)
        backend = AworkBackend(server.base_url, token=server.token, account=account, retry=retry, client=client)
        backends.append(backend)
        return backend

    yield make
    tasks.runner().wait(15_000)
    for backend in backends:
        backend.close()
    for client in clients:
        client.close()


@pytest.fixture
def make_queue(tmp_path):
    """TransferQueues on real engines, each with a journal of its own; engines shut down after the test.

    `tries`: transient failures in a row before a job fails (the engine's retry policy, without its pauses)."""
    from attache.core.accounts import AccountRef
    from attache.transfers import Journal, RetryPolicy, TransferEngine
    from attache.ui import tasks
    from attache.ui.transfers import TransferQueue

    engines = []

    def make(backend, *, workers: int = 4, tries: int | None = None):
        retry = RetryPolicy(max_tries=tries, base_delay=0.0, max_delay=0.0) if tries else None
        journal = Journal(tmp_path / f"queue-{len(engines)}.sqlite3")
        engine = TransferEngine(journal, lambda ref: backend, workers=workers, retry=retry, poll_interval=0.05)
        engines.append(engine)
        queue = TransferQueue()
        queue.set_engine(engine, AccountRef(backend.service, backend.account))
        engine.start()
        return queue

    yield make
    for engine in engines:
        engine.shutdown(timeout=10)
        engine.journal.close()
    tasks.runner().wait(15_000)
