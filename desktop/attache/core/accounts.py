"""The user's accounts: display name, service and base URL, in the config directory.

This file never holds a secret; each account's secret is in the keyring under its name.
An account added on the window's built-in sandbox lives as long as that sandbox: its secret
stays in memory, and the account is forgotten when the sandbox stops (or, after a crash, once
its process is gone).
"""

from __future__ import annotations

import builtins
import json
import os
import tempfile
from dataclasses import asdict, dataclass, field, replace
from pathlib import Path

from attache.core.errors import InvalidInputError, NotFoundError
from attache.core.paths import app_dirs
from attache.core.processes import pid_alive
from attache.core.services import service

# Keys of `Account.options` the app layer and the CLI set and a backend may read.
CLIENT_ID_OPTION = "client_id"  # a registered app's client id, for a browser sign-in
DOCUMENT_TEMPLATE_OPTION = "document_template"  # the template files are filed under as documents


@dataclass(frozen=True, slots=True)
class AccountRef:
    """Which account to work with: never the secret, only where to find it. The transfer journal
    stores it: a saved account's name, or for a token from the environment, the API's URL."""

    service: str
    account: str

    def __str__(self) -> str:
        return f"{self.service}:{self.account}"


# The built-in sandbox's own demo account, in the user's queue: named after its process, so two
# windows on sandboxes of their own never run each other's jobs, and a crashed one's are known.
SANDBOX_ACCOUNT = "sandbox"


def sandbox_account(pid: int) -> str:
    return f"{SANDBOX_ACCOUNT}-{pid}"


def sandbox_account_pid(account: str) -> int | None:
    """The process of a sandbox's demo account (`sandbox_account`), or None for any other name."""
    prefix, _, pid = account.rpartition("-")
    return int(pid) if prefix == SANDBOX_ACCOUNT and pid.isdigit() else None


def another_processs_sandbox(account: str) -> bool:
    """The demo account of a sandbox in another process: only that process can reach it."""
    pid = sandbox_account_pid(account)
    return pid is not None and pid != os.getpid()


def account_label(account: str) -> str:
    """How the window names an account: the sandbox's demo account is plain "sandbox"."""
    return SANDBOX_ACCOUNT if sandbox_account_pid(account) is not None else account


@dataclass(frozen=True, slots=True)
class Account:
    name: str
    service: str
    base_url: str
    auth: str = "api_key"  # "api_key" or "oauth"
    workspace: str = ""  # the workspace's name, as the service reported it at sign-in
    user: str = ""  # the user name or e-mail a password sign-in uses (never the password)
    sandbox_pid: int = 0  # on the built-in sandbox of this process: gone when it stops
    # Remembered, non-secret settings the service's backend reads (a registered app's client id,
    # a chosen document template); never a secret.
    options: dict[str, str] = field(default_factory=dict)

    @property
    def on_sandbox(self) -> bool:
        return self.sandbox_pid != 0

    @property
    def ref(self) -> AccountRef:
        return AccountRef(self.service, self.name)


class AccountStore:
    def __init__(self, path: Path | None = None) -> None:
        self.path = path or app_dirs().config / "accounts.json"

    def list(self) -> builtins.list[Account]:
        """The accounts, without those of a built-in sandbox that is no longer running."""
        return [a for a in self._read() if not a.on_sandbox or pid_alive(a.sandbox_pid)]

    def _read(self) -> builtins.list[Account]:
        try:
            raw = json.loads(self.path.read_text("utf-8"))
        except FileNotFoundError:
            return []
        except ValueError as error:
            raise InvalidInputError(f"{self.path} is damaged ({error}); fix or remove it") from None
        return [Account(**entry) for entry in raw.get("accounts", [])]

    def set_option(self, name: str, key: str, value: str) -> Account:
        """Remember one setting of an account ("" forgets it); returns the account as saved."""
        account = self.get(name)
        options = {k: v for k, v in account.options.items() if k != key}
        if value:
            options[key] = value
        updated = replace(account, options=options)
        self.add(updated)
        return updated

    def forget_sandbox_accounts(self, pid: int | None = None) -> builtins.list[Account]:
        """Remove the accounts of the built-in sandbox of `pid` (stopping now), or with no pid, of
        every sandbox whose process is gone. Returns them."""
        accounts = self._read()
        gone = [
            a
            for a in accounts
            if a.on_sandbox and (a.sandbox_pid == pid if pid is not None else not pid_alive(a.sandbox_pid))
        ]
        if gone:
            self._write([a for a in accounts if a not in gone])
        return gone

    def get(self, name: str) -> Account:
        for account in self.list():
            if account.name == name:
                return account
        known = ", ".join(a.name for a in self.list()) or "none yet"
        raise NotFoundError(f"No account named {name!r} (accounts: {known})")

    def add(self, account: Account) -> None:
        service(account.service)  # an unknown service is refused with the known ones named
        if not account.name.strip():
            raise InvalidInputError("An account needs a name")
        if sandbox_account_pid(account.name) is not None:  # its transfers would go with that sandbox
            raise InvalidInputError(f"{account.name!r} is the built-in sandbox's own name: choose another")
        accounts = [a for a in self._read() if a.name != account.name]
        self._write([*accounts, account])

    def remove(self, name: str) -> Account:
        account = self.get(name)
        self._write([a for a in self._read() if a.name != name])
        return account

    def _write(self, accounts: builtins.list[Account]) -> None:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        payload = json.dumps({"version": 1, "accounts": [asdict(a) for a in accounts]}, indent=2)
        # Write then rename: a crash never leaves half a file.
        fd, temp = tempfile.mkstemp(dir=self.path.parent, prefix=".accounts-", suffix=".json")
        with os.fdopen(fd, "w", encoding="utf-8") as handle:
            handle.write(payload)
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(temp, self.path)
