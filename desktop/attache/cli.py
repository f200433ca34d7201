"""`attache`: the GUI, the sandbox server, and headless commands on the same core.

Exit codes: 0 success, 1 a failure (one line on stderr), 2 a usage error.
Everything printed that may hold server text (names, paths, error messages) goes through
`printable`, JSON lines through `json_line`: a server's control characters are shown, never obeyed.
Heavy modules (Qt, the sandbox, the backends) are imported only by the command that needs them,
so `attache --help` and headless commands start fast.
"""

from __future__ import annotations

import argparse
import logging
import os
import sys
import threading
from collections.abc import Callable, Sequence
from dataclasses import asdict
from pathlib import Path
from typing import Any

from attache.appid import version
from attache.core.capabilities import Capability
from attache.core.errors import AttacheError, InvalidInputError, NotFoundError
from attache.core.models import Entity, EntityKind, EntityRef, FileRecord
from attache.core.services import DEFAULT_SERVICE, SERVICES, SignIn, service
from attache.core.text import json_line, printable

TOKEN_ENV = "ATTACHE_TOKEN"
SERVICE_CHOICES = tuple(SERVICES)


class UsageError(Exception):
    """A mistake in the command line itself (exit 2)."""


# ---------------------------------------------------------------- parser


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="attache",
        description="Attaché: browse projects, tasks, companies and users; attach files; set profile images.",
        epilog="attache FILE… opens the window (or hands the files to the one running) to choose where they go.",
    )
    parser.add_argument("--sandbox", action="store_true", help="open the window on a built-in local sandbox")
    parser.add_argument(
        "--service",
        dest="window_service",
        choices=SERVICE_CHOICES,
        default=DEFAULT_SERVICE,
        help=f"with --sandbox: which service's sandbox (default {DEFAULT_SERVICE})",
    )
    parser.add_argument("-v", "--verbose", action="store_true", help="log every request (secrets redacted)")
    parser.add_argument("--version", action="version", version=f"attache {version()}")
    parser.add_argument(
        "--palette",
        choices=("light", "dark"),
        help="the window's colours, whatever the system's scheme (default: follow the system)",
    )
    commands = parser.add_subparsers(dest="command", metavar="COMMAND")

    sandbox = commands.add_parser("sandbox", help="serve a local sandbox of a service in the foreground until Ctrl-C")
    sandbox.add_argument(
        "--service",
        choices=SERVICE_CHOICES,
        default=DEFAULT_SERVICE,
        help=f"which service to serve (default {DEFAULT_SERVICE})",
    )
    sandbox.add_argument("--host", default="127.0.0.1")
    sandbox.add_argument("--port", type=int, default=8765)
    sandbox.add_argument("--data", type=Path, help="keep the sandbox's data in DIR (default: temporary)")
    sandbox.add_argument("--token", help="a token to accept (default: a random one, printed)")
    sandbox.add_argument(
        "--stdin-token",
        action="store_true",
        help="read the token from the first line of standard input, and stop when standard input closes"
        " (how the window runs its sandbox: it ends with the window, however the window ends)",
    )
    sandbox.add_argument("--scale", type=_scale, help="seed N tasks (up to 100,000) for benchmarks")
    sandbox.add_argument(
        "--people",
        type=_people,
        default=0,
        metavar="N",
        help="add N colleagues with pictures (up to 10,000) for benchmarks",
    )
    sandbox.add_argument(
        "--faults",
        type=_rate,
        metavar="RATE",
        help="inject the service's own kinds of faults into RATE of requests (0–1)",
    )

    connection = argparse.ArgumentParser(add_help=False)
    connection.add_argument("--account", metavar="NAME", help="use this saved account (see 'attache account')")
    connection.add_argument(
        "--service",
        choices=SERVICE_CHOICES,
        default=os.environ.get("ATTACHE_SERVICE") or None,
        help=f"the service --url points at (default {DEFAULT_SERVICE})",
    )
    connection.add_argument(
        "--url",
        default=os.environ.get("ATTACHE_URL"),
        help=f"the service's base URL, with the token in ${TOKEN_ENV} (default {service(DEFAULT_SERVICE).default_url})",
    )

    account = commands.add_parser("account", help="add, list or remove saved accounts")
    account_actions = account.add_subparsers(dest="account_action", metavar="ACTION", required=True)
    account_add = account_actions.add_parser("add", help="save an account (then 'attache login NAME')")
    account_add.add_argument("name", metavar="NAME")
    account_add.add_argument("--service", default=DEFAULT_SERVICE, choices=SERVICE_CHOICES)
    account_add.add_argument("--url", help="the service's base URL (default: the service's own, where it has one)")
    account_add.add_argument("--user", metavar="LOGIN", help="for a password sign-in: your user name or e-mail")
    account_actions.add_parser("list", help="show saved accounts")
    account_remove = account_actions.add_parser("remove", help="forget an account and delete its secret")
    account_remove.add_argument("name", metavar="NAME")

    login = commands.add_parser(
        "login", help="sign in to a saved account: an API key from standard input, or --browser"
    )
    login.add_argument("name", metavar="NAME")
    login.add_argument("--browser", action="store_true", help="sign in in the system browser (OAuth)")
    login.add_argument(
        "--client-id",
        metavar="ID",
        help="with --browser, where the service needs an app you registered: its client id (remembered)",
    )
    login.add_argument(
        "--app-token",
        action="store_true",
        help="with --browser: read the registered app's token (client secret) from standard input",
    )
    login.add_argument(
        "--remember-password",
        action="store_true",
        help="for a password sign-in: keep the password in the keyring to sign in again when the token expires",
    )
    login.add_argument(
        "--session-only",
        action="store_true",
        help="when no keyring is usable, keep the secret in memory (useless for a one-shot command)",
    )

    ls = commands.add_parser("ls", parents=[connection], help="list projects, tasks, companies, users, …")
    ls.add_argument(
        "kind",
        type=_kind,
        metavar="KIND",
        help="projects, tasks, companies, contact-persons, users, project-templates or workspace",
    )
    ls.add_argument("--project", metavar="ID", help="with tasks: only the tasks of this project")
    ls.add_argument(
        "--search", metavar="TEXT", help="only what has every word of TEXT in its name (the server searches)"
    )
    ls.add_argument("--json", action="store_true", help="print JSON lines instead of a table")

    # Files are on tasks unless --kind says another kind (where the service keeps files there).
    target = argparse.ArgumentParser(add_help=False)
    target.add_argument(
        "--kind",
        type=_kind,
        default=EntityKind.TASK,
        metavar="KIND",
        help="what ID is: tasks (default), projects, companies or contact-persons",
    )

    files = commands.add_parser("files", parents=[connection, target], help="list the files attached to a task")
    files.add_argument("entity_id", metavar="ID")
    files.add_argument("--json", action="store_true")

    upload = commands.add_parser(
        "upload", parents=[connection, target], help="attach files to a task (through the durable transfer queue)"
    )
    upload.add_argument("entity_id", metavar="ID")
    upload.add_argument("paths", nargs="+", type=Path, metavar="FILE")
    upload.add_argument(
        "--template",
        metavar="ID",
        help="where files become documents of a template: the template to use (remembered for a saved account)",
    )
    upload.add_argument(
        "--new-version",
        metavar="FILE_ID",
        help="upload the one FILE as a new version of this file of the task (where the service keeps versions)",
    )
    upload.add_argument("--workers", type=int, default=4, help="parallel uploads (default 4)")
    upload.add_argument(
        "--limit-rate",
        type=_speed,
        metavar="RATE",
        help="keep all uploads together under RATE bytes/s, e.g. 500K or 2M",
    )

    queue = commands.add_parser("queue", parents=[connection], help="show or work the transfer queue")
    queue_action = queue.add_mutually_exclusive_group()
    queue_action.add_argument(
        "--run", action="store_true", help="process queued and interrupted jobs until none is left"
    )
    queue_action.add_argument("--retry-failed", action="store_true", help="queue failed jobs again")
    queue_action.add_argument("--retry", type=int, metavar="ID", help="queue a failed or cancelled job again")
    queue_action.add_argument("--cancel", type=int, metavar="ID", help="cancel a waiting job")
    queue_action.add_argument("--clear-finished", action="store_true", help="forget done, failed and cancelled jobs")
    queue.add_argument("--workers", type=int, default=4, help="with --run: parallel uploads (default 4)")
    queue.add_argument(
        "--limit-rate",
        type=_speed,
        metavar="RATE",
        help="with --run: keep all uploads together under RATE bytes/s, e.g. 500K or 2M",
    )

    download = commands.add_parser("download", parents=[connection, target], help="download a task's file")
    download.add_argument("entity_id", metavar="ID")
    download.add_argument("file_id", metavar="FILE_ID")
    download.add_argument(
        "-o",
        "--output",
        type=Path,
        default=Path.cwd(),
        metavar="PATH",
        help="a file name, or a folder to save into (default: the current folder)",
    )
    download.add_argument(
        "--overwrite",
        action="store_true",
        help='replace a file of that name (default: keep it and save as "name (2).ext")',
    )

    rm_file = commands.add_parser("rm-file", parents=[connection, target], help="delete a file from a task")
    rm_file.add_argument("entity_id", metavar="ID")
    rm_file.add_argument("file_id", metavar="FILE_ID")

    image = commands.add_parser("image", parents=[connection], help="get, set or remove a profile image")
    image.add_argument("action", choices=("get", "set", "rm"))
    image.add_argument("kind", type=_kind, metavar="KIND")
    image.add_argument("entity_id", metavar="ID")
    image.add_argument(
        "file",
        nargs="?",
        type=Path,
        metavar="FILE",
        help="set: the image to upload; get: where to save it (default: ID.<ext>)",
    )
    image.add_argument("--size", type=int, metavar="PX", help="get: ask the server for a square of PX pixels")
    return parser


def _kind(text: str) -> EntityKind:
    try:
        return EntityKind.parse(text)
    except ValueError as error:
        raise argparse.ArgumentTypeError(str(error)) from None


def _rate(text: str) -> float:
    value = float(text)
    if not 0 <= value <= 1:
        raise argparse.ArgumentTypeError("RATE is a fraction between 0 and 1, e.g. 0.2")
    return value


def _scale(text: str) -> int:
    value = int(text)
    if not 0 < value <= 100_000:
        raise argparse.ArgumentTypeError("N is between 1 and 100,000")
    return value


def _speed(text: str) -> float | None:
    from attache.core.errors import InvalidInputError
    from attache.transfers.throttle import parse_rate

    try:
        return parse_rate(text)
    except InvalidInputError as error:
        raise argparse.ArgumentTypeError(str(error)) from None


def _people(text: str) -> int:
    value = int(text)
    if not 0 <= value <= 10_000:
        raise argparse.ArgumentTypeError("N is between 0 and 10,000")
    return value


# ---------------------------------------------------------------- entry point


def split_open_files(argv: Sequence[str]) -> tuple[list[Path], list[str]]:
    """`attache [OPTIONS] FILE…` (the file manager's "Open with"): the files, and the rest for the
    parser. The first word that is neither an option nor its value decides: a subcommand's name
    is a subcommand (even if a file has that name), an existing path starts the files."""
    files: list[Path] = []
    rest: list[str] = []
    takes_value = {"--service", "--palette"}
    expecting_value = False
    for token in argv:
        if expecting_value:
            rest.append(token)
            expecting_value = False
        elif token.startswith("-") and token != "-" and not files:
            rest.append(token)
            expecting_value = token in takes_value
        elif not files and (token in _COMMANDS or not Path(token).exists()):
            return [], list(argv)  # a subcommand, or a mistake the parser names
        elif Path(token).exists():
            files.append(Path(token))
        else:
            raise UsageError(f"{token}: no such file")
    return files, rest


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    try:
        files, argv = split_open_files(list(sys.argv[1:] if argv is None else argv))
    except UsageError as error:
        parser.error(str(error))  # exits 2
    args = parser.parse_args(argv)
    if args.command not in (None, "sandbox"):
        from attache.logs import configure_logging

        configure_logging(verbose=args.verbose)
    if args.command is None:
        return _open_window(
            sandbox=args.sandbox,
            service_id=args.window_service,
            verbose=args.verbose,
            files=files,
            palette=args.palette,
        )
    handler = _COMMANDS[args.command]
    try:
        return handler(args)
    except BrokenPipeError:
        # The reader went away (`attache ls … | head`): stop quietly, as Unix tools do.
        _silence_stdout()
        return 0
    except UsageError as error:
        parser.error(str(error))  # exits 2
    except AttacheError as error:
        logging.getLogger("attache.cli").info("%s failed: %s (%s)", args.command, error, error.detail)
        print(f"attache: {printable(error)}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        print("attache: interrupted", file=sys.stderr)
        return 130
    return 0  # pragma: no cover


def _open_window(
    *, sandbox: bool, service_id: str, verbose: bool = False, files: Sequence[Path] = (), palette: str | None = None
) -> int:
    started = None
    if sandbox:  # first: it starts on the other core while the window loads and builds itself
        from attache.app.sandbox_process import start_early

        started = start_early(service_id)
    from attache.logs import configure_logging
    from attache.ui.app import run_app

    if palette:
        os.environ["ATTACHE_PALETTE"] = palette  # read by ui.theme
    configure_logging(verbose=verbose, echo=True)  # the log file, and the terminal the window was started from
    return run_app(sandbox=sandbox, service=service_id, files=list(files), sandbox_process=started)


def _silence_stdout() -> None:
    """Point stdout at /dev/null so the interpreter's final flush finds no closed pipe."""
    devnull = os.open(os.devnull, os.O_WRONLY)
    try:
        os.dup2(devnull, sys.stdout.fileno())
    finally:
        os.close(devnull)


# ---------------------------------------------------------------- commands


def _serve_sandbox(args: argparse.Namespace) -> int:
    token = args.token
    if args.stdin_token:
        if token:
            raise UsageError("give the token with --token or --stdin-token, not both")
        # read before the sandbox's imports: the window writes it as soon as it starts us
        token = sys.stdin.buffer.readline().decode("utf-8", "replace").strip()
        if not token:
            raise UsageError("--stdin-token: standard input closed before a token arrived")
    from attache.sandbox import serve_forever

    serve_forever(
        service=args.service,
        host=args.host,
        port=args.port,
        data_dir=args.data,
        token=token,
        scale=args.scale,
        people=args.people,
        faults_rate=args.faults,
        until_stdin_closes=args.stdin_token,
    )
    return 0


def _connection(args: argparse.Namespace, *, template: str | None = None):
    """A saved account (--account, or the only one), or --url with the token in $ATTACHE_TOKEN.
    `template`: a document template chosen for uploads (remembered by a saved account)."""
    from attache.app.resolve import resolve_connection
    from attache.core.accounts import DOCUMENT_TEMPLATE_OPTION

    options = {DOCUMENT_TEMPLATE_OPTION: template.strip()} if template and template.strip() else None
    return resolve_connection(service_id=args.service, account=args.account, url=args.url, options=options)


def _account(args: argparse.Namespace) -> int:
    from attache.core.accounts import Account, AccountStore

    store = AccountStore()
    if args.account_action == "add":
        entry = service(args.service)
        # Where a password is the only way in, the user name belongs to the account.
        if entry.sign_in == (SignIn.PASSWORD,) and not (args.user or "").strip():
            raise UsageError(f"{entry.name} signs in with a user name and password: give --user LOGIN")
        if not (args.url or entry.default_url):
            raise UsageError(f"give {entry.name}'s address with --url (for example {entry.url_example})")
        store.add(
            Account(
                name=args.name,
                service=entry.id,
                base_url=entry.normalise_url(args.url or ""),
                user=(args.user or "").strip(),
            )
        )
        print(printable(f"Added {args.name}. Sign in with: attache login {args.name}"))
    elif args.account_action == "list":
        for account in store.list():
            fields = (account.name, account.service, account.base_url, account.workspace)
            print("\t".join(map(printable, fields)))
    else:
        store.get(args.name)  # a clear message for an unknown name, before touching the keyring
        from attache.credentials import open_secret_store

        open_secret_store().delete(args.name)
        store.remove(args.name)
        print(printable(f"Removed {args.name} and its stored sign-in"))
    return 0


def _login(args: argparse.Namespace) -> int:
    """Check the secret with the service before saving it, and name the workspace it opens."""
    from attache.app.secrets import app_secrets
    from attache.app.sign_in import sign_in
    from attache.core.accounts import CLIENT_ID_OPTION, AccountStore

    account = AccountStore().get(args.name)
    entry = service(account.service)
    secrets = app_secrets()
    status = secrets.status()
    if not status.usable and not args.session_only:  # said before any secret is asked for
        from attache.credentials import KeyringUnavailableError

        raise KeyringUnavailableError(
            f"{status.message} With --session-only the sign-in is kept for this session only."
        )
    session_only = not status.usable  # memory only where no keyring can hold the secret
    if (args.client_id or args.app_token) and not args.browser:
        raise UsageError("--client-id and --app-token go with --browser")
    if args.browser:
        if SignIn.BROWSER not in entry.sign_in:
            raise InvalidInputError(f"{entry.name} has no sign-in in the browser")
        app_token = _read_secret_line(f"App token for {account.name}: ") if args.app_token else None
        if args.app_token and not app_token:
            raise InvalidInputError("No app token given on standard input")
        print(f"Opening {entry.name}'s sign-in page in your browser…", file=sys.stderr)
        result = sign_in(
            secrets,
            name=account.name,
            service=entry.id,
            base_url=account.base_url,
            session_only=session_only,
            existing=account,
            options={CLIENT_ID_OPTION: args.client_id.strip()} if args.client_id else None,
            client_secret=app_token,
        )
    elif SignIn.PASSWORD in entry.sign_in and (account.user or SignIn.API_KEY not in entry.sign_in):
        result = _password_login(secrets, account, session_only=session_only, remember=args.remember_password)
    else:
        key = _read_secret_line(f"{entry.texts.key_name} for {account.name}: ")
        if not key:
            raise InvalidInputError(f"No {entry.texts.key_name} given on standard input")
        result = sign_in(
            secrets,
            name=account.name,
            service=entry.id,
            base_url=account.base_url,
            session_only=session_only,
            api_key=key,
            existing=account,
        )
    print(printable(f"Signed in to {result.workspace} as {account.name}; the key is kept in {result.where}"))
    return 0


def _password_login(secrets: Any, account: Any, *, session_only: bool, remember: bool) -> Any:
    """The password from standard input (or asked on a terminal); a two-factor code, when the
    service asks for one, from the next line (or asked)."""
    from attache.app.sign_in import sign_in
    from attache.core.errors import SecondFactorRequired

    if not account.user:
        raise InvalidInputError(
            f"{account.name} has no user name: add it again with 'attache account add {account.name} --user LOGIN'"
        )
    password = _read_secret_line(f"Password for {account.user}: ", strip=False)
    if not password:
        raise InvalidInputError("No password given on standard input")
    options = {
        "name": account.name,
        "service": account.service,
        "base_url": account.base_url,
        "session_only": session_only,
        "existing": account,
        "user": account.user,
        "password": password,
        "remember_password": remember,
    }
    try:
        return sign_in(secrets, **options)
    except SecondFactorRequired as needed:
        where = f" (sent to {needed.hint})" if needed.hint else ""
        code = _read_secret_line(f"Two-factor code{where}: ")
        if not code:
            raise InvalidInputError(
                f"{service(account.service).name} asks for a two-factor code{where}: "
                "give it on the line after the password"
            ) from None
        return sign_in(secrets, code=code, **options)


def _read_secret_line(prompt: str, *, strip: bool = True) -> str:
    """A secret from the terminal without echo, or the next line of standard input. A password
    keeps its spaces (`strip=False`): only the line's end is cut."""
    if sys.stdin.isatty():
        import getpass

        text = getpass.getpass(prompt)
    else:
        text = sys.stdin.readline().rstrip("\r\n")
    return text.strip() if strip else text


def _ls(args: argparse.Namespace) -> int:
    if args.project and args.kind is not EntityKind.TASK:
        raise UsageError("--project goes with 'ls tasks'")
    parent = EntityRef(EntityKind.PROJECT, args.project) if args.project else None
    connection = _connection(args)
    _require(connection.service, args.kind, Capability.LIST)
    if args.search:
        _require(connection.service, args.kind, Capability.SEARCH)
    with _closing(connection.make_backend()) as backend:
        for page in backend.iter_pages(args.kind, parent=parent, search=args.search or None):
            for entity in page.items:
                print(_entity_json(entity) if args.json else _entity_line(entity))
            sys.stdout.flush()
    return 0


def _files(args: argparse.Namespace) -> int:
    connection = _connection(args)
    _require(connection.service, args.kind, Capability.LIST_FILES)
    with _closing(connection.make_backend()) as backend:
        for record in backend.list_files(EntityRef(args.kind, args.entity_id)):
            print(_file_json(record) if args.json else _file_line(record))
    return 0


def _upload(args: argparse.Namespace) -> int:
    from attache.core.sources import check_source
    from attache.transfers import JobState, Journal, cli_support

    for path in args.paths:
        check_source(path)  # every file is checked before anything is queued or sent
    if args.workers < 1:
        raise UsageError("--workers is at least 1")
    if args.new_version is not None and len(args.paths) != 1:
        raise UsageError("--new-version takes exactly one FILE")
    from attache.app.engine import backend_for_ref

    ref = EntityRef(args.kind, args.entity_id)
    connection = _connection(args, template=args.template)
    _require(connection.service, args.kind, Capability.ATTACH_FILE)
    if args.new_version is not None:
        _require(connection.service, args.kind, Capability.FILE_VERSIONS)
    with _closing(connection.make_backend()) as backend:
        backend.get_entity(ref)  # an unknown target fails before anything is queued
        if args.new_version is not None and all(f.id != args.new_version for f in backend.list_files(ref)):
            raise NotFoundError(printable(f"The {ref.kind.singular} {ref.id} has no file {args.new_version}"))

    def backend_for(account: Any) -> Any:  # this command's connection (its --template) for its own jobs
        return connection.make_backend() if account == connection.ref else backend_for_ref(account)

    with Journal() as journal, _QueueProgressLine() as progress:
        jobs = cli_support.upload(
            journal,
            backend_for,
            connection.ref,
            ref,
            args.paths,
            workers=args.workers,
            progress=progress,
            limit=args.limit_rate,
            replaces=None if args.new_version is None else [args.new_version],
        )
    for job in jobs:
        if job.state is JobState.DONE:
            print(f"{printable(job.file_id)}\t{printable(job.stored_name)}")  # as the service named it
        else:
            print(printable(f"attache: {job.name}: {job.last_error or job.state.value}"), file=sys.stderr)
    return 1 if any(job.state is not JobState.DONE for job in jobs) else 0


def _queue(args: argparse.Namespace) -> int:
    from attache.app.engine import backend_for_ref
    from attache.transfers import Journal, cli_support

    with Journal() as journal:
        if args.run:
            jobs = cli_support.run_queue(journal, backend_for_ref, workers=args.workers, limit=args.limit_rate)
            print(cli_support.format_queue(jobs) if jobs else "Nothing to do: no queued or interrupted jobs.")
            return 1 if cli_support.any_failed(jobs) else 0
        if args.retry_failed:
            print(f"Queued {len(cli_support.retry_failed(journal))} failed job(s) again; run 'attache queue --run'")
        elif args.retry is not None:
            job = cli_support.retry(journal, args.retry)
            print(printable(f"Queued job {job.id} ({job.name}) again; run 'attache queue --run'"))
        elif args.cancel is not None:
            job = cli_support.cancel(journal, args.cancel)
            print(printable(f"Cancelled job {job.id} ({job.name})"))
        elif args.clear_finished:
            print(f"Cleared {cli_support.clear_finished(journal)} finished job(s)")
        else:
            print(cli_support.format_queue(journal.jobs()))
    return 0


def _require(service_id: str, kind: EntityKind, capability: Capability) -> None:
    """Refuse what the service cannot do, in its own words, before any request is sent."""
    table = service(service_id).capabilities
    if capability not in table(kind):
        raise AttacheError(table.why_not(kind, capability))


def _download(args: argparse.Namespace) -> int:
    from attache.backends.streams import replacing_existing

    connection = _connection(args)
    _require(connection.service, args.kind, Capability.DOWNLOAD_FILE)
    with _closing(connection.make_backend()) as backend, replacing_existing(args.overwrite):
        path = backend.download_file(EntityRef(args.kind, args.entity_id), args.file_id, args.output)
    print(printable(path))
    return 0


def _rm_file(args: argparse.Namespace) -> int:
    connection = _connection(args)
    _require(connection.service, args.kind, Capability.DELETE_FILE)
    with _closing(connection.make_backend()) as backend:
        backend.delete_file(EntityRef(args.kind, args.entity_id), args.file_id)
    return 0


def _image(args: argparse.Namespace) -> int:
    ref = EntityRef(args.kind, args.entity_id)
    if args.action == "set" and args.file is None:
        raise UsageError("image set needs the FILE to upload")
    if args.action == "rm" and args.file is not None:
        raise UsageError("image rm takes no FILE")
    connection = _connection(args)
    needed = {"set": Capability.SET_IMAGE, "rm": Capability.DELETE_IMAGE, "get": Capability.GET_IMAGE}[args.action]
    _require(connection.service, args.kind, needed)
    with _closing(connection.make_backend()) as backend:
        if args.action == "set":
            from attache.core.sources import check_source

            check_source(args.file)
            with _progress_line(args.file.name, args.file.stat().st_size) as on_chunk:
                backend.set_image(ref, args.file, on_chunk=on_chunk)
        elif args.action == "rm":
            backend.delete_image(ref)
        else:
            size = args.size
            data = backend.get_image(ref, width=size, height=size, crop=bool(size))
            if data is None:
                raise AttacheError(f"The {ref.kind.singular} {ref.id} has no profile image")
            target = args.file or Path(f"{args.entity_id}{_image_suffix(data)}")
            from attache.backends.streams import write_atomically

            write_atomically(target, [data])
            print(printable(target))
    return 0


_COMMANDS: dict[str, Callable[[argparse.Namespace], int]] = {
    "sandbox": _serve_sandbox,
    "account": _account,
    "login": _login,
    "ls": _ls,
    "files": _files,
    "upload": _upload,
    "queue": _queue,
    "download": _download,
    "rm-file": _rm_file,
    "image": _image,
}


# ---------------------------------------------------------------- output helpers


def _entity_line(entity: Entity) -> str:
    marker = "◉" if entity.has_image else " "
    return f"{printable(entity.id)}\t{marker} {printable(entity.name)}\t{printable(entity.subtitle)}"


def _entity_json(entity: Entity) -> str:
    return json_line(
        {
            "kind": entity.kind.value,
            "id": entity.id,
            "name": entity.name,
            "subtitle": entity.subtitle,
            "has_image": entity.has_image,
            "parents": {k.value: v for k, v in entity.parents},
            "version": entity.version,
        }
    )


def _file_line(record: FileRecord) -> str:
    from attache.core.sources import human_size

    size = human_size(record.size) if record.size is not None else "?"
    when = record.created_on.strftime("%Y-%m-%d %H:%M") if record.created_on else ""
    return f"{printable(record.id)}\t{printable(record.name)}\t{size}\t{when}"


def _file_json(record: FileRecord) -> str:
    data: dict[str, Any] = asdict(record)
    return json_line(data, default=str)


def _image_suffix(data: bytes) -> str:
    from attache.images.formats import extension_for, sniff_image_type

    return extension_for(sniff_image_type(data[:64]) or "")


class _closing:
    """`with` for backends, which have close() but are not context managers themselves."""

    def __init__(self, backend) -> None:
        self.backend = backend

    def __enter__(self):
        return self.backend

    def __exit__(self, *exc) -> None:
        self.backend.close()


class _QueueProgressLine:
    """While the engine works, one line on stderr: files done, bytes, speed and time left.

    Only when stderr is a terminal; it reads the engine's progress numbers four times a second.
    """

    def __init__(self) -> None:
        from attache.transfers import ProgressBoard

        self.board = ProgressBoard()
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._draw, name="progress-line", daemon=True)

    def __enter__(self):
        if sys.stderr.isatty():
            self._thread.start()
        return self.board

    def _draw(self) -> None:
        from attache.core.sources import human_size

        while not self._stop.wait(0.25):
            totals = self.board.totals()
            eta = f", {totals.eta:.0f} s left" if totals.eta is not None else ""
            sys.stderr.write(
                f"\r\033[K{totals.finished}/{totals.jobs} files, {human_size(totals.bytes_sent)} of "
                f"{human_size(totals.total)} at {human_size(totals.speed)}/s{eta}"
            )
            sys.stderr.flush()

    def __exit__(self, *exc) -> None:
        if self._thread.is_alive():
            self._stop.set()
            self._thread.join()
            sys.stderr.write("\r\033[K")
            sys.stderr.flush()


class _progress_line:
    """A progress line on stderr while bytes go out, only when stderr is a terminal."""

    def __init__(self, name: str, total: int) -> None:
        self.name, self.total, self.sent = name, max(total, 1), 0
        self.enabled = sys.stderr.isatty()

    def __enter__(self) -> Callable[[bytes], None] | None:
        return self._on_chunk if self.enabled else None

    def _on_chunk(self, chunk: bytes) -> None:
        self.sent += len(chunk)
        percent = min(100, self.sent * 100 // self.total)
        sys.stderr.write(f"\r{printable(self.name)}: {percent:3d}%")
        sys.stderr.flush()

    def __exit__(self, *exc) -> None:
        if self.enabled:
            sys.stderr.write("\r\033[K")
            sys.stderr.flush()


if __name__ == "__main__":  # pragma: no cover
    raise SystemExit(main())
