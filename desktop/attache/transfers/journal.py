"""The durable transfer queue: one SQLite row per job, written before any byte is sent or received.

A job is an upload (a local file to an entity) or a download (`Direction.DOWNLOAD`: a file of an
entity, by its `remote_id`, into `dest`; its `upload_state` keeps where its `.part` file is and the
validator of the bytes in it, `backends.resume.KeptDownload`).

Every step an upload reaches (and the server ids it gained) is committed before the next
step starts, so after a crash at any instant the engine knows what exists on the server
and never repeats a step whose effect is already there.

Durability: WAL with synchronous=FULL. NORMAL survives a killed process but may lose the
last commits on power loss, and the "linking" mark written before asking the server to
link an upload must never be lost, or a restart would link it a second time. An fsync per
step costs milliseconds next to an HTTP round trip.

Concurrency: one connection behind a lock serves every thread of a process; several
processes (the GUI and `attache queue --run`) share the file through SQLite's own locking,
and a job is claimed with a single conditional UPDATE so two runners never take the same one.

The journal stores a reference to an account (service + account name), never a secret.
"""

from __future__ import annotations

import json
import sqlite3
import threading
import time
from collections.abc import Callable, Iterable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

from attache.core.accounts import AccountRef
from attache.core.errors import AttacheError
from attache.core.models import EntityKind, EntityRef
from attache.core.paths import app_dirs
from attache.transfers.states import FINISHED, RUNNABLE, Direction, JobState, Slot, Step

JOURNAL_FILE_NAME = "transfers.sqlite3"


@dataclass(frozen=True, slots=True)
class NewJob:
    account: AccountRef
    target: EntityRef
    slot: Slot
    source: Path
    name: str
    size: int
    mtime_ns: int
    replaces: str | None = None  # the id of the file this upload becomes a new version of
    direction: Direction = Direction.UPLOAD
    remote_id: str | None = None  # a download's file (its id on the service)
    replace_existing: bool = False  # a download may replace a file already at `source`

    @classmethod
    def download(
        cls,
        account: AccountRef,
        target: EntityRef,
        file_id: str,
        name: str,
        size: int | None,
        dest: Path,
        *,
        replace: bool = False,
    ) -> NewJob:
        """A download of `target`'s file `file_id` into the file `dest` (its `source`: the local
        end of the job). A file already at `dest` when it completes stays, the new one numbered,
        unless `replace` (the user agreed to replace it)."""
        return cls(
            account,
            target,
            Slot.FILES,
            dest,
            name,
            size or 0,
            0,
            direction=Direction.DOWNLOAD,
            remote_id=file_id,
            replace_existing=replace,
        )


STORED_NAME_KEY = "stored_name"  # in a done job's upload state: the service's name for the file
SAVED_PATH_KEY = "saved_path"  # in a done download's state: where the file was saved ("name (2)")


@dataclass(frozen=True, slots=True)
class Job:
    id: int
    state: JobState
    step: Step
    account: AccountRef
    target: EntityRef
    slot: Slot
    source: Path
    name: str
    size: int
    mtime_ns: int
    attempts: int  # runs started
    retries: int  # transient failures in a row without progress
    last_error: str
    error_kind: str  # the AttacheError class name, for the log and for filters
    upload_state: dict[str, str] = field(default_factory=dict)
    file_id: str | None = None
    sha256: str | None = None
    bytes_sent: int = 0
    retry_at: float | None = None  # unix time before which it must not run again
    runner: str | None = None
    created_at: float = 0.0
    updated_at: float = 0.0
    replaces: str | None = None  # a new version of this file (kept when the upload restarts)
    direction: Direction = Direction.UPLOAD
    remote_id: str | None = None  # a download's file on the service
    dest: Path | None = None  # where a download goes (also its `source`: the job's local file)
    replace_existing: bool = False  # a download may replace the file at `dest` (the user said so)

    @property
    def finished(self) -> bool:
        return self.state.finished

    @property
    def is_download(self) -> bool:
        return self.direction is Direction.DOWNLOAD

    @property
    def saved_path(self) -> Path | None:
        """Where a done download was saved (`dest`, or a numbered name beside it)."""
        saved = self.upload_state.get(SAVED_PATH_KEY)
        return Path(saved) if saved else None

    @property
    def stored_name(self) -> str:
        """The name the service keeps the file under (it may amend ours), else ours."""
        return self.upload_state.get(STORED_NAME_KEY) or self.name


class JournalError(AttacheError):
    """The journal file cannot be used (written by a newer Attaché, or damaged)."""


# ---- schema ---------------------------------------------------------------------------

# MIGRATIONS[i] takes the schema from version i to i + 1. Append, never edit.
MIGRATIONS: tuple[str, ...] = (
    """
    CREATE TABLE jobs (
        id            INTEGER PRIMARY KEY AUTOINCREMENT,
        state         TEXT    NOT NULL CHECK (state IN
                        ('queued', 'running', 'done', 'failed', 'cancelled', 'interrupted')),
        step          TEXT    NOT NULL DEFAULT 'new' CHECK (step IN
                        ('new', 'begun', 'sent', 'linking', 'linked')),
        service       TEXT    NOT NULL,
        account       TEXT    NOT NULL,
        entity_kind   TEXT    NOT NULL,
        entity_id     TEXT    NOT NULL,
        slot          TEXT    NOT NULL CHECK (slot IN ('files', 'image')),
        source_path   TEXT    NOT NULL,
        file_name     TEXT    NOT NULL,
        size          INTEGER NOT NULL,
        mtime_ns      INTEGER NOT NULL,
        attempts      INTEGER NOT NULL DEFAULT 0,
        retries       INTEGER NOT NULL DEFAULT 0,
        last_error    TEXT    NOT NULL DEFAULT '',
        error_kind    TEXT    NOT NULL DEFAULT '',
        upload_state  TEXT    NOT NULL DEFAULT '{}',
        file_id       TEXT,
        sha256        TEXT,
        bytes_sent    INTEGER NOT NULL DEFAULT 0,
        retry_at      REAL,
        runner        TEXT,
        created_at    REAL    NOT NULL,
        updated_at    REAL    NOT NULL
    );
    CREATE INDEX jobs_by_state ON jobs (state, id);
    """,
    "ALTER TABLE jobs ADD COLUMN replaces TEXT;",
    """
    ALTER TABLE jobs ADD COLUMN direction TEXT NOT NULL DEFAULT 'upload'
        CHECK (direction IN ('upload', 'download'));
    ALTER TABLE jobs ADD COLUMN remote_file_id TEXT;
    ALTER TABLE jobs ADD COLUMN dest_path TEXT;
    ALTER TABLE jobs ADD COLUMN replace_existing INTEGER NOT NULL DEFAULT 0;
    """,
)
SCHEMA_VERSION = len(MIGRATIONS)


def migrate(conn: sqlite3.Connection, migrations: Sequence[str] = MIGRATIONS) -> int:
    """Bring the schema up to date, one version per transaction; return the version."""
    version = int(conn.execute("PRAGMA user_version").fetchone()[0])
    if version > len(migrations):
        raise JournalError(
            f"The transfer journal was written by a newer Attaché (schema {version}, this one knows "
            f"{len(migrations)}); update Attaché or move the journal aside.",
        )
    while version < len(migrations):
        conn.execute("BEGIN IMMEDIATE")
        try:
            # Another process may have migrated while we waited for the write lock.
            version = int(conn.execute("PRAGMA user_version").fetchone()[0])
            if version < len(migrations):
                for statement in _statements(migrations[version]):
                    conn.execute(statement)
                version += 1
                conn.execute(f"PRAGMA user_version = {version:d}")
            conn.execute("COMMIT")
        except BaseException:
            conn.execute("ROLLBACK")
            raise
    return version


def _statements(script: str) -> Iterator[str]:
    """Split a migration script into statements (executescript would commit on its own)."""
    pending = ""
    for line in script.splitlines(keepends=True):
        pending += line
        if sqlite3.complete_statement(pending):
            if pending.strip():
                yield pending
            pending = ""
    if pending.strip():
        raise ValueError(f"incomplete SQL statement in migration: {pending!r}")


# ---- the journal ----------------------------------------------------------------------


def default_journal_path() -> Path:
    return app_dirs().data / JOURNAL_FILE_NAME


class Journal:
    """The queue's durable state. Every method is one transaction and safe from any thread."""

    def __init__(self, path: Path | str | None = None, *, clock: Callable[[], float] = time.time) -> None:
        self.path = Path(path) if path is not None else default_journal_path()
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self._clock = clock
        self._lock = threading.RLock()
        # Autocommit mode: transactions are opened explicitly, so none is left open by accident.
        self._conn = sqlite3.connect(self.path, isolation_level=None, check_same_thread=False, timeout=30.0)
        try:
            self._conn.row_factory = sqlite3.Row
            self._conn.execute("PRAGMA journal_mode = WAL")
            self._conn.execute("PRAGMA synchronous = FULL")
            self._conn.execute("PRAGMA busy_timeout = 30000")
            migrate(self._conn)
        except sqlite3.DatabaseError as exc:
            self._conn.close()
            raise JournalError(f"The transfer journal {self.path} cannot be opened: {exc}", detail=repr(exc)) from exc
        except BaseException:
            self._conn.close()
            raise

    def close(self) -> None:
        with self._lock:
            self._conn.close()

    def __enter__(self) -> Journal:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    @contextmanager
    def _transaction(self) -> Iterator[sqlite3.Connection]:
        # IMMEDIATE takes the write lock up front, so read-then-write (claiming) is atomic
        # across processes and never fails half-way with SQLITE_BUSY on upgrade.
        with self._lock:
            self._conn.execute("BEGIN IMMEDIATE")
            try:
                yield self._conn
            except BaseException:
                self._conn.execute("ROLLBACK")
                raise
            self._conn.execute("COMMIT")

    # ---- reading ----

    def get(self, job_id: int) -> Job | None:
        with self._lock:
            row = self._conn.execute("SELECT * FROM jobs WHERE id = ?", (job_id,)).fetchone()
        return _job(row) if row else None

    def jobs(self, states: Iterable[JobState] | None = None, ids: Iterable[int] | None = None) -> list[Job]:
        where, params = _filters(states, ids)
        with self._lock:
            rows = self._conn.execute(f"SELECT * FROM jobs {where} ORDER BY id", params).fetchall()
        return [_job(row) for row in rows]

    def counts(self) -> dict[JobState, int]:
        with self._lock:
            rows = self._conn.execute("SELECT state, COUNT(*) FROM jobs GROUP BY state").fetchall()
        counts = dict.fromkeys(JobState, 0)
        counts.update({JobState(state): n for state, n in rows})
        return counts

    def next_retry_at(self) -> float | None:
        """When the earliest job waiting out a back-off becomes runnable."""
        with self._lock:
            row = self._conn.execute(
                "SELECT MIN(retry_at) FROM jobs WHERE state IN ('queued', 'interrupted') AND retry_at IS NOT NULL"
            ).fetchone()
        return float(row[0]) if row[0] is not None else None

    def has_runnable(self, only_ids: Iterable[int] | None = None, *, skip_accounts: Iterable[AccountRef] = ()) -> bool:
        """Whether any job is queued or interrupted, including those waiting out a back-off."""
        where, params = _filters(RUNNABLE, only_ids)
        skip_sql, skip_params = _without_accounts(skip_accounts)
        where, params = where + skip_sql, params + skip_params
        with self._lock:
            row = self._conn.execute(f"SELECT 1 FROM jobs {where} LIMIT 1", params).fetchone()
        return row is not None

    # ---- writing ----

    def add(self, new_jobs: Sequence[NewJob]) -> list[int]:
        now = self._clock()
        ids = []
        with self._transaction() as conn:
            for job in new_jobs:
                cursor = conn.execute(
                    """INSERT INTO jobs (state, service, account, entity_kind, entity_id, slot, source_path,
                                         file_name, size, mtime_ns, created_at, updated_at, replaces,
                                         direction, remote_file_id, dest_path, replace_existing)
                       VALUES ('queued', ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)""",
                    (
                        job.account.service,
                        job.account.account,
                        job.target.kind.value,
                        job.target.id,
                        job.slot.value,
                        str(job.source),
                        job.name,
                        job.size,
                        job.mtime_ns,
                        now,
                        now,
                        job.replaces,
                        job.direction.value,
                        job.remote_id,
                        str(job.source) if job.direction is Direction.DOWNLOAD else None,
                        int(job.replace_existing),
                    ),
                )
                ids.append(int(cursor.lastrowid or 0))
        return ids

    def claim_next(
        self,
        runner: str,
        *,
        skip_accounts: Iterable[AccountRef] = (),
        only_ids: Iterable[int] | None = None,
        skip_ids: Iterable[int] = (),
    ) -> Job | None:
        """Take the oldest runnable job (not waiting out a back-off) for `runner`, or None."""
        now = self._clock()
        extra_sql, extra_params = _without_accounts(skip_accounts)
        skipped = [int(i) for i in skip_ids]
        if skipped:
            extra_sql += f" AND id NOT IN ({', '.join('?' * len(skipped))})"
            extra_params += skipped
        if only_ids is not None:
            _, id_params = _filters(None, only_ids)
            extra_sql += f" AND id IN ({', '.join('?' * len(id_params))})" if id_params else " AND 0"
            extra_params += id_params
        with self._transaction() as conn:
            row = conn.execute(
                f"""SELECT id FROM jobs
                    WHERE state IN ('queued', 'interrupted') AND (retry_at IS NULL OR retry_at <= ?)
                    {extra_sql}
                    ORDER BY id LIMIT 1""",
                [now, *extra_params],
            ).fetchone()
            if row is None:
                return None
            conn.execute(
                """UPDATE jobs SET state = 'running', runner = ?, attempts = attempts + 1, retry_at = NULL,
                                  updated_at = ?
                   WHERE id = ?""",
                (runner, now, row[0]),
            )
            claimed = conn.execute("SELECT * FROM jobs WHERE id = ?", (row[0],)).fetchone()
        return _job(claimed)

    def record_step(
        self,
        job_id: int,
        step: Step,
        *,
        upload_state: dict[str, str] | None = None,
        sha256: str | None = None,
        bytes_sent: int | None = None,
        file_id: str | None = None,
        progressed: bool = True,
    ) -> None:
        """Commit that a job reached `step`, with what the server gave us for it."""
        sets = ["step = ?", "updated_at = ?"]
        params: list[object] = [step.value, self._clock()]
        if progressed:
            sets.append("retries = 0")
        for column, value in (
            ("upload_state", None if upload_state is None else json.dumps(upload_state, sort_keys=True)),
            ("sha256", sha256),
            ("bytes_sent", bytes_sent),
            ("file_id", file_id),
        ):
            if value is not None:
                sets.append(f"{column} = ?")
                params.append(value)
        with self._transaction() as conn:
            conn.execute(f"UPDATE jobs SET {', '.join(sets)} WHERE id = ?", [*params, job_id])

    def restart_upload(self, job_id: int) -> None:
        """Forget the server's upload slot (it expired): the next run begins again."""
        with self._transaction() as conn:
            conn.execute(
                """UPDATE jobs SET step = 'new', upload_state = '{}', sha256 = NULL, bytes_sent = 0,
                                  updated_at = ?
                   WHERE id = ? AND step != 'linked'""",
                (self._clock(), job_id),
            )

    def mark_done(
        self,
        job_id: int,
        *,
        file_id: str | None = None,
        sha256: str | None = None,
        stored_name: str | None = None,
        saved: Path | None = None,
    ) -> None:
        """`stored_name`: the name the service stored the file under, when it amended ours (kept in
        the upload state, read back as `Job.stored_name`); `saved`: where a download was saved
        (`Job.saved_path`; its size becomes the job's, which the file list may not have known)."""
        with self._transaction() as conn:
            if stored_name or saved is not None:
                row = conn.execute("SELECT upload_state FROM jobs WHERE id = ?", (job_id,)).fetchone()
                state = json.loads(row[0] or "{}") if row is not None else {}
                if stored_name:
                    state[STORED_NAME_KEY] = stored_name
                if saved is not None:
                    state = {SAVED_PATH_KEY: str(saved)}  # the .part and its validator are gone
                    try:
                        conn.execute("UPDATE jobs SET size = ? WHERE id = ?", (saved.stat().st_size, job_id))
                    except OSError:
                        pass  # moved already: the size stays the declared one
                conn.execute("UPDATE jobs SET upload_state = ? WHERE id = ?", (json.dumps(state), job_id))
            conn.execute(
                """UPDATE jobs SET state = 'done', step = 'linked', file_id = COALESCE(?, file_id),
                                  sha256 = COALESCE(?, sha256), bytes_sent = size, last_error = '',
                                  error_kind = '', runner = NULL, retry_at = NULL, updated_at = ?
                   WHERE id = ?""",
                (file_id, sha256, self._clock(), job_id),
            )

    def mark_failed(self, job_id: int, message: str, error_kind: str = "") -> None:
        self._end(job_id, JobState.FAILED, message, error_kind)

    def mark_cancelled(self, job_id: int) -> None:
        self._end(job_id, JobState.CANCELLED, "", "")

    def _end(self, job_id: int, state: JobState, message: str, error_kind: str) -> None:
        with self._transaction() as conn:
            conn.execute(
                """UPDATE jobs SET state = ?, last_error = ?, error_kind = ?, runner = NULL, retry_at = NULL,
                                  updated_at = ?
                   WHERE id = ?""",
                (state.value, message, error_kind, self._clock(), job_id),
            )

    def release(
        self,
        job_id: int,
        state: JobState,
        *,
        retry_at: float | None = None,
        error: str | None = None,
        error_kind: str = "",
        retries: int | None = None,
    ) -> None:
        """Hand a running job back: queued (to retry, perhaps later) or interrupted."""
        assert state in RUNNABLE
        sets = ["state = ?", "runner = NULL", "retry_at = ?", "updated_at = ?"]
        params: list[object] = [state.value, retry_at, self._clock()]
        if error is not None:
            sets += ["last_error = ?", "error_kind = ?"]
            params += [error, error_kind]
        if retries is not None:
            sets.append("retries = ?")
            params.append(retries)
        with self._transaction() as conn:
            conn.execute(f"UPDATE jobs SET {', '.join(sets)} WHERE id = ?", [*params, job_id])

    def cancel_waiting(self, ids: Iterable[int] | None = None) -> list[int]:
        """Cancel jobs no runner holds (queued or interrupted); return their ids."""
        where, params = _filters(RUNNABLE, ids)
        with self._transaction() as conn:
            cancelled = [row[0] for row in conn.execute(f"SELECT id FROM jobs {where}", params)]
            conn.execute(
                f"UPDATE jobs SET state = 'cancelled', retry_at = NULL, updated_at = ? {where}",
                [self._clock(), *params],
            )
        return cancelled

    def retry_failed(
        self, ids: Iterable[int] | None = None, *, stat: Callable[[Path], object] | None = None
    ) -> list[int]:
        """Queue failed jobs again, resuming from the step they reached."""
        return self.requeue(ids, states=(JobState.FAILED,), stat=stat)

    def requeue(
        self,
        ids: Iterable[int] | None = None,
        *,
        states: Iterable[JobState] = (JobState.FAILED, JobState.CANCELLED),
        stat: Callable[[Path], object] | None = None,
    ) -> list[int]:
        """Queue failed (or cancelled) jobs again, resuming from the step they reached.

        A job whose bytes were not sent yet takes the file as it is now: the user retrying
        after editing the file wants the edited content.
        """
        stat = stat or (lambda path: path.stat())
        where, params = _filters([JobState(state).value for state in states], ids)
        now = self._clock()
        retried = []
        with self._transaction() as conn:
            for row in conn.execute(f"SELECT * FROM jobs {where}", params).fetchall():
                job = _job(row)
                conn.execute(
                    """UPDATE jobs SET state = 'queued', retries = 0, retry_at = NULL, last_error = '',
                                      error_kind = '', updated_at = ? WHERE id = ?""",
                    (now, job.id),
                )
                if job.step in (Step.NEW, Step.BEGUN) and not job.is_download:
                    try:
                        info = stat(job.source)
                    except OSError:
                        pass  # still gone: the run fails again with the reason
                    else:
                        size, mtime_ns = info.st_size, info.st_mtime_ns  # type: ignore[attr-defined]
                        if (size, mtime_ns) != (job.size, job.mtime_ns):
                            conn.execute(
                                """UPDATE jobs SET size = ?, mtime_ns = ?, step = 'new', upload_state = '{}',
                                                  bytes_sent = 0 WHERE id = ?""",
                                (size, mtime_ns, job.id),
                            )
                retried.append(job.id)
        return retried

    def clear_finished(self, ids: Iterable[int] | None = None) -> list[int]:
        """Delete done, failed and cancelled jobs; return their ids."""
        where, params = _filters(FINISHED, ids)
        with self._transaction() as conn:
            cleared = [row[0] for row in conn.execute(f"SELECT id FROM jobs {where}", params)]
            conn.execute(f"DELETE FROM jobs {where}", params)
        return cleared

    def accounts(self) -> list[AccountRef]:
        """The accounts the journal holds jobs of."""
        with self._lock:
            rows = self._conn.execute("SELECT DISTINCT service, account FROM jobs").fetchall()
        return [AccountRef(service, account) for service, account in rows]

    def forget_accounts(self, refs: Iterable[AccountRef]) -> list[int]:
        """Delete these accounts' jobs that no runner holds (a built-in sandbox's, once it stopped:
        its server and its data are gone); return their ids. A running one is left to its runner."""
        wanted = list(dict.fromkeys(refs))
        if not wanted:
            return []
        where = " OR ".join("(service = ? AND account = ?)" for _ in wanted)
        params = [value for ref in wanted for value in (ref.service, ref.account)]
        with self._transaction() as conn:
            condition = f"state != 'running' AND ({where})"
            ids = [row[0] for row in conn.execute(f"SELECT id FROM jobs WHERE {condition}", params)]
            conn.execute(f"DELETE FROM jobs WHERE {condition}", params)
        return ids

    def interrupt_runner(self, runner: str) -> list[int]:
        """Mark every job `runner` still holds as interrupted (a clean shutdown)."""
        return self._interrupt("runner = ?", [runner])

    def recover_orphans(self, is_live: Callable[[str], bool]) -> list[int]:
        """Jobs left running by a runner that is gone (a crash) become interrupted."""
        with self._lock:
            runners = [row[0] for row in self._conn.execute("SELECT DISTINCT runner FROM jobs WHERE state = 'running'")]
        dead = [runner for runner in runners if runner is None or not is_live(runner)]
        interrupted = []
        for runner in dead:
            if runner is None:
                interrupted += self._interrupt("runner IS NULL", [])
            else:
                interrupted += self._interrupt("runner = ?", [runner])
        return interrupted

    def _interrupt(self, condition: str, params: list[object]) -> list[int]:
        with self._transaction() as conn:
            ids = [
                row[0] for row in conn.execute(f"SELECT id FROM jobs WHERE state = 'running' AND {condition}", params)
            ]
            conn.execute(
                f"""UPDATE jobs SET state = 'interrupted', runner = NULL, updated_at = ?
                    WHERE state = 'running' AND {condition}""",
                [self._clock(), *params],
            )
        return ids


def _without_accounts(refs: Iterable[AccountRef]) -> tuple[str, list[object]]:
    """SQL (to follow a WHERE clause) that leaves these accounts' jobs out, and its parameters."""
    skip = list(refs)
    sql = "".join(" AND NOT (service = ? AND account = ?)" for _ in skip)
    return sql, [value for ref in skip for value in (ref.service, ref.account)]


def _filters(states: Iterable[str] | None, ids: Iterable[int] | None) -> tuple[str, list[object]]:
    clauses: list[str] = []
    params: list[object] = []
    if states is not None:
        wanted = [str(state) for state in states]
        clauses.append(f"state IN ({', '.join('?' * len(wanted))})")
        params += wanted
    if ids is not None:
        numbers = [int(i) for i in ids]
        clauses.append(f"id IN ({', '.join('?' * len(numbers))})" if numbers else "0")
        params += numbers
    return ("WHERE " + " AND ".join(clauses) if clauses else ""), params


def _job(row: sqlite3.Row) -> Job:
    return Job(
        id=row["id"],
        state=JobState(row["state"]),
        step=Step(row["step"]),
        account=AccountRef(row["service"], row["account"]),
        target=EntityRef(EntityKind(row["entity_kind"]), row["entity_id"]),
        slot=Slot(row["slot"]),
        source=Path(row["source_path"]),
        name=row["file_name"],
        size=row["size"],
        mtime_ns=row["mtime_ns"],
        attempts=row["attempts"],
        retries=row["retries"],
        last_error=row["last_error"],
        error_kind=row["error_kind"],
        upload_state=json.loads(row["upload_state"]),
        file_id=row["file_id"],
        sha256=row["sha256"],
        bytes_sent=row["bytes_sent"],
        retry_at=row["retry_at"],
        runner=row["runner"],
        created_at=row["created_at"],
        updated_at=row["updated_at"],
        replaces=row["replaces"],
        direction=Direction(row["direction"]),
        remote_id=row["remote_file_id"],
        dest=Path(row["dest_path"]) if row["dest_path"] else None,
        replace_existing=bool(row["replace_existing"]),
    )
