"""``ringsync op preview|run|status|cancel|resume KIND`` and ``ringsync users sync``.

Each command calls the same operation runner as the admin page. The Salesforce org is the
account's stored connection (``ringsync connect``); ``--salesforce-url`` and friends (or the
``RINGSYNC_SALESFORCE_*`` variables, password grant) override it for one command. Bad input
ends with one clear message and exit code 2; an operation that fails exits with 1.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager, contextmanager
from dataclasses import dataclass
from typing import Annotated, Any

import httpx2
import typer
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn
from rich.table import Table

from ringsync.clock import SystemClock
from ringsync.errors import RingsyncError, ValidationError
from ringsync.operations.handler import OperationEnv
from ringsync.operations.model import (
    Operation,
    OperationKind,
    OperationRefusedError,
    OperationStatus,
    Preview,
    parse_kind,
)
from ringsync.operations.runner import OperationRunner, create_runner
from ringsync.operations.users_sync import result_of
from ringsync.runtime.wiring import build_product
from ringsync.salesforce.auth import PasswordAuth
from ringsync.salesforce.budget import ApiBudget
from ringsync.salesforce.client import SalesforceClient
from ringsync.salesforce.hosts import HostPolicy
from ringsync.salesforce.retry import RetryPolicy
from ringsync.settings import load_settings
from ringsync.store.db import open_database

op_app = typer.Typer(
    name="op", help="Preview, run, inspect and cancel one-time operations.", no_args_is_help=True
)
users_app = typer.Typer(
    name="users", help="Map ringsync users to Salesforce owners.", no_args_is_help=True
)

RunnerFactory = Callable[[int], AbstractContextManager[OperationRunner]]


@dataclass(frozen=True)
class OperationsWiring:
    """How the commands get a runner for an account (tests hand one in through ``obj``)."""

    open_runner: RunnerFactory


@dataclass(frozen=True)
class SalesforceLogin:
    """Password-grant credentials of the org the commands work on."""

    url: str | None
    username: str | None
    password: str | None
    client_id: str | None
    client_secret: str | None


def _fail(message: str) -> typer.Exit:
    """Print one error line to stderr and return the exit (code 2: bad input)."""
    typer.echo(f"Error: {message}", err=True)
    return typer.Exit(code=2)


def _describe(exc: RingsyncError) -> str:
    if isinstance(exc, ValidationError) and exc.problems:
        return f"{exc.message} ({'; '.join(p.reason for p in exc.problems)})"
    return exc.message


def _login_runner(login: SalesforceLogin) -> RunnerFactory:
    """Open runners whose Salesforce client logs in with the given password-grant login."""

    @contextmanager
    def open_runner(account_id: int) -> Iterator[OperationRunner]:
        del account_id
        values = {k: v for k, v in vars(login).items() if v}
        missing = [k for k in vars(login) if k not in values]
        if missing:
            names = ", ".join(f"RINGSYNC_SALESFORCE_{m.upper()}" for m in missing)
            raise _fail(f"an incomplete Salesforce login was given; also set {names}")
        settings = load_settings()
        clock = SystemClock()
        database = open_database(settings.database_url)
        http = httpx2.Client(timeout=60.0)
        try:
            url = values["url"]
            hosts = HostPolicy([*settings.salesforce_allowed_hosts.split(","), _host(url)])
            auth = PasswordAuth(
                http,
                url,
                hosts,
                client_id=values["client_id"],
                client_secret=values["client_secret"],
                username=values["username"],
                password=values["password"],
            )
            client = SalesforceClient(
                http, auth, retry=RetryPolicy(), budget=ApiBudget(clock), clock=clock
            )
            yield create_runner(OperationEnv(database, client, clock))
        finally:
            http.close()
            database.dispose()

    return open_runner


@contextmanager
def _stored_connection_runner(account_id: int) -> Iterator[OperationRunner]:
    """Open a runner over the account's stored Salesforce connection and the product's engine."""
    product = build_product(load_settings())
    try:
        client = product.client(account_id)
        env = OperationEnv(product.database, client, product.clock, engine=product.engine)
        yield create_runner(env)
    finally:
        product.close()


def _host(url: str) -> str:
    return httpx2.URL(url).host


@op_app.callback()
@users_app.callback()
def _connect(
    ctx: typer.Context,
    salesforce_url: Annotated[
        str | None,
        typer.Option(envvar="RINGSYNC_SALESFORCE_URL", help="Login URL of the org."),
    ] = None,
    salesforce_username: Annotated[
        str | None, typer.Option(envvar="RINGSYNC_SALESFORCE_USERNAME", help="Org username.")
    ] = None,
    salesforce_password: Annotated[
        str | None,
        typer.Option(envvar="RINGSYNC_SALESFORCE_PASSWORD", help="Password (prefer the variable)."),
    ] = None,
    salesforce_client_id: Annotated[
        str | None,
        typer.Option(envvar="RINGSYNC_SALESFORCE_CLIENT_ID", help="Connected app client id."),
    ] = None,
    salesforce_client_secret: Annotated[
        str | None,
        typer.Option(envvar="RINGSYNC_SALESFORCE_CLIENT_SECRET", help="Connected app secret."),
    ] = None,
) -> None:
    """Choose the Salesforce org: the account's stored connection unless a login is given."""
    if isinstance(ctx.obj, OperationsWiring):
        return
    login = SalesforceLogin(
        salesforce_url,
        salesforce_username,
        salesforce_password,
        salesforce_client_id,
        salesforce_client_secret,
    )
    given = any(vars(login).values())
    ctx.obj = OperationsWiring(_login_runner(login) if given else _stored_connection_runner)


def _wiring(ctx: typer.Context) -> OperationsWiring:
    wiring = ctx.obj
    if not isinstance(wiring, OperationsWiring):  # pragma: no cover - the callback sets it
        raise _fail("the operations commands are not wired")
    return wiring


def _kind(text: str) -> OperationKind:
    try:
        return parse_kind(text)
    except OperationRefusedError as exc:
        raise _fail(exc.message) from None


def _params(pairs: list[str] | None) -> dict[str, Any]:
    params: dict[str, Any] = {}
    for pair in pairs or []:
        key, sep, raw = pair.partition("=")
        if not sep or not key.strip():
            raise _fail(f"--param takes key=value, got {pair!r}")
        try:
            params[key.strip()] = json.loads(raw)
        except json.JSONDecodeError:
            params[key.strip()] = raw
    return params


Account = Annotated[int, typer.Option("--account", help="The account's id.")]
AsJson = Annotated[bool, typer.Option("--json", help="Print JSON instead of text.")]
Kind = Annotated[str, typer.Argument(help="push_contacts, pull_lead_statuses, sync_users, ...")]
Params = Annotated[
    list[str] | None, typer.Option("--param", help="An operation parameter as key=value.")
]
OperationId = Annotated[
    int | None, typer.Option("--id", help="The operation (default: the newest of this kind).")
]


def _print_json(data: Any) -> None:
    typer.echo(json.dumps(data, indent=2, sort_keys=True))


def _console() -> Console:
    console = Console()
    return console if console.is_terminal else Console(width=160)


def _print_preview(preview: Preview) -> None:
    console = _console()
    console.print(f"Preview of {preview.kind.value} (nothing was changed)")
    for action, n in sorted(preview.counts.items()):
        console.print(f"  {action}: {n}")
    console.print(f"  Salesforce API calls: {preview.api_calls}")
    if preview.lrn_lookups:
        console.print(f"  LRN lookups: {preview.lrn_lookups} (cost {preview.lrn_cost})")
    for note in preview.notes:
        console.print(f"  Note: {note}")
    table = Table("Action", "Item", "Reason")
    for item in preview.items:
        table.add_row(item.action, item.label, item.reason)
    console.print(table)


def _print_operation(operation: Operation) -> None:
    total = "?" if operation.progress_total is None else str(operation.progress_total)
    typer.echo(
        f"Operation {operation.id} ({operation.kind.value}): {operation.status.value}, "
        f"{operation.progress_done}/{total} done"
    )
    for action, n in sorted(operation.counts.items()):
        typer.echo(f"  {action}: {n}")
    for error in operation.errors:
        typer.echo(f"  error: {error}")


@contextmanager
def _runner(ctx: typer.Context, account_id: int) -> Iterator[OperationRunner]:
    try:
        with _wiring(ctx).open_runner(account_id) as runner:
            yield runner
    except RingsyncError as exc:
        raise _fail(_describe(exc)) from None


def _drive(run: Callable[..., Operation], as_json: bool) -> Operation:
    if as_json:
        return run(on_progress=None)
    with Progress(
        TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(), transient=True
    ) as progress:
        task = progress.add_task("running", total=None)

        def update(operation: Operation) -> None:
            progress.update(task, completed=operation.progress_done, total=operation.progress_total)

        return run(on_progress=update)


def _finish(operation: Operation, as_json: bool) -> None:
    if as_json:
        _print_json(operation.as_dict())
    else:
        _print_operation(operation)
    if operation.status is OperationStatus.FAILED:
        raise typer.Exit(code=1)


def _pick(runner: OperationRunner, account: int, kind: OperationKind, op_id: int | None) -> int:
    if op_id is not None:
        return op_id
    latest = runner.latest(account, kind)
    if latest is None:
        raise _fail(f"account {account} has no {kind.value} operation yet")
    return latest.id


@op_app.command("preview")
def preview_cmd(
    ctx: typer.Context, kind: Kind, account: Account, param: Params = None, as_json: AsJson = False
) -> None:
    """Show what an operation would do now, and what it would cost; change nothing."""
    chosen, params = _kind(kind), _params(param)
    with _runner(ctx, account) as runner:
        preview = runner.preview(account, chosen, params)
    if as_json:
        _print_json(preview.as_dict())
    else:
        _print_preview(preview)


@op_app.command("run")
def run_cmd(
    ctx: typer.Context, kind: Kind, account: Account, param: Params = None, as_json: AsJson = False
) -> None:
    """Start an operation and follow it to the end with a progress bar."""
    chosen, params = _kind(kind), _params(param)
    with _runner(ctx, account) as runner:
        queued = runner.start(account, chosen, params)  # refusals print before any progress bar
        done = _drive(
            lambda on_progress: runner.execute(account, queued.id, on_progress=on_progress),
            as_json,
        )
    _finish(done, as_json)


@op_app.command("resume")
def resume_cmd(
    ctx: typer.Context,
    kind: Kind,
    account: Account,
    op_id: OperationId = None,
    as_json: AsJson = False,
) -> None:
    """Continue a failed or interrupted operation from where it stopped."""
    chosen = _kind(kind)
    with _runner(ctx, account) as runner:
        target = _pick(runner, account, chosen, op_id)
        done = _drive(
            lambda on_progress: runner.resume(account, target, on_progress=on_progress),
            as_json,
        )
    _finish(done, as_json)


@op_app.command("status")
def status_cmd(
    ctx: typer.Context,
    kind: Kind,
    account: Account,
    op_id: OperationId = None,
    as_json: AsJson = False,
) -> None:
    """Show an operation's status, progress, counts and errors."""
    chosen = _kind(kind)
    with _runner(ctx, account) as runner:
        operation = runner.status(account, _pick(runner, account, chosen, op_id))
    if as_json:
        _print_json(operation.as_dict())
    else:
        _print_operation(operation)


@op_app.command("cancel")
def cancel_cmd(
    ctx: typer.Context,
    kind: Kind,
    account: Account,
    op_id: OperationId = None,
    as_json: AsJson = False,
) -> None:
    """Cancel a queued operation, or stop a running one before its next batch."""
    chosen = _kind(kind)
    with _runner(ctx, account) as runner:
        operation = runner.cancel(account, _pick(runner, account, chosen, op_id))
    if as_json:
        _print_json(operation.as_dict())
    elif operation.status is OperationStatus.CANCELLED:
        typer.echo(f"Operation {operation.id} cancelled.")
    else:
        typer.echo(f"Operation {operation.id} will stop before its next batch.")


@users_app.command("sync")
def users_sync_cmd(ctx: typer.Context, account: Account, as_json: AsJson = False) -> None:
    """Map our users to Salesforce owners by email and clean up stale mappings."""
    with _runner(ctx, account) as runner:
        queued = runner.start(account, OperationKind.SYNC_USERS)
        done = _drive(
            lambda on_progress: runner.execute(account, queued.id, on_progress=on_progress),
            as_json,
        )
        with runner.env.database.read() as session:
            result = result_of(session, account, done.id)
    if done.status is OperationStatus.FAILED:
        _finish(done, as_json)
    if as_json:
        _print_json(result.as_dict())
        return
    at = result.at.isoformat() if result.at else "never"
    typer.echo(f"Users synced at {at}")
    groups = result.as_dict()
    for name in ("matched", "mapped", "removed", "unmatched", "skipped", "unsynchronized_owners"):
        entries = groups[name]
        typer.echo(f"{name.replace('_', ' ')}: {len(entries)}")
        for entry in entries:
            reason = f" ({entry['reason']})" if entry["reason"] else ""
            typer.echo(f"  {entry['label']}{reason}")


__all__ = ["OperationsWiring", "op_app", "users_app"]
