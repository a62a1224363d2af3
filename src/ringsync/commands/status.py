"""``ringsync status``: what an operator checks first: schema, accounts, connections, backlog.

Read-only: it never migrates or creates a database. It exits 1 when something needs a hand
(schema not current, a connection whose last check failed or whose login Salesforce refused,
records in the failed list), so it also serves as a health check in scripts; ``--json`` prints
the same facts for machines.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from datetime import datetime
from typing import Annotated, Any
from urllib.parse import urlsplit

import orjson
import typer
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.orm import Session

from ringsync.clock import SystemClock
from ringsync.commands.db import SchemaReport, SchemaState, schema_report
from ringsync.commands.exits import database_failure, fail, open_store, safe_url, settings_or_exit
from ringsync.domain.connections import ConnectionState, ConnectionView, get_connection
from ringsync.runtime.leases import account_lease_key
from ringsync.settings import Settings
from ringsync.store.repositories import status_reads as reads

NEEDS_ATTENTION = 1


@dataclass(frozen=True)
class AccountStatus:
    """Everything status shows about one account (None: that feature's table is absent)."""

    id: int
    name: str
    connection: ConnectionView | None
    backlog: reads.Backlog
    failed_records: int | None
    last_runs: list[reads.RunSummary] | None
    sync_lease: reads.LeaseView | None
    active_operations: list[reads.ActiveOperation] | None
    problems: list[str] = field(default_factory=list)


def _broker(url: str) -> str:
    parts = urlsplit(url)
    host = parts.hostname or ""
    port = f":{parts.port}" if parts.port else ""
    return f"{parts.scheme}://{host}{port}{parts.path}"


def _problems(item: AccountStatus, connections_known: bool) -> list[str]:
    found: list[str] = []
    if connections_known and item.connection is None:
        found.append("no Salesforce connection (run ringsync connect)")
    if item.connection is not None and item.connection.state == ConnectionState.FAILED:
        found.append(f"the last login failed: {item.connection.last_error or 'unknown error'}")
    if item.connection is not None and item.connection.state == ConnectionState.NEEDS_REAUTH:
        since = item.connection.checked_at or "unknown time"
        found.append(
            f"Salesforce refused the stored login at {since}; reconnect it (the Salesforce tab "
            f"or ringsync connect): {item.connection.last_error or 'no reason given'}"
        )
    if item.failed_records:
        found.append(f"{item.failed_records} record(s) in the failed list")
    if item.backlog.failed:
        found.append(f"{item.backlog.failed} outbox row(s) given up on")
    return found


def _account_status(
    session: Session, present: frozenset[str], account_id: int, name: str
) -> AccountStatus:
    connections_known = reads.has_connections_table(present)
    item = AccountStatus(
        id=account_id,
        name=name,
        connection=get_connection(session, account_id) if connections_known else None,
        backlog=reads.backlog(session, account_id),
        failed_records=reads.open_failed_records(session, present, account_id),
        last_runs=reads.last_runs(session, present, account_id),
        sync_lease=reads.lease(session, present, account_lease_key(account_id)),
        active_operations=reads.active_operations(session, present, account_id),
    )
    item.problems.extend(_problems(item, connections_known))
    return item


def _when(value: datetime | None) -> str:
    return value.isoformat(timespec="seconds") if value else "-"


def _print_account(item: AccountStatus, now: datetime) -> None:
    typer.echo(f"\nAccount {item.id}: {item.name}")
    conn = item.connection
    if conn is None:
        typer.echo("  Salesforce: not connected")
    else:
        where = conn.instance_url or conn.login_url
        typer.echo(f"  Salesforce: {conn.state} via {conn.method} at {where}")
    backlog = item.backlog
    oldest = ""
    if backlog.oldest_pending_at is not None:
        age = int((now - backlog.oldest_pending_at).total_seconds())
        oldest = f", oldest {age}s old"
    typer.echo(f"  Outbox: {backlog.pending} pending{oldest}, {backlog.failed} failed")
    if item.failed_records is not None:
        typer.echo(f"  Failed records: {item.failed_records}")
    lease = item.sync_lease
    if lease is not None and lease.holder and lease.expires_at > now:
        typer.echo(f"  Syncing now: {lease.holder} (lease until {_when(lease.expires_at)})")
    for run in item.last_runs or []:
        totals = ", ".join(f"{k} {v}" for k, v in sorted(run.totals.items()))
        typer.echo(
            f"  Last {run.direction} {run.sobject or 'all'}: {run.status} at "
            f"{_when(run.finished_at or run.started_at)}" + (f" ({totals})" if totals else "")
        )
    for op in item.active_operations or []:
        total = f"/{op.progress_total}" if op.progress_total is not None else ""
        typer.echo(f"  Operation {op.id} {op.kind}: {op.status} {op.progress_done}{total}")
    for problem in item.problems:
        typer.echo(f"  Attention: {problem}")


def _json_default(value: Any) -> Any:
    if isinstance(value, datetime):
        return value.isoformat()
    raise TypeError


def _collect(
    settings: Settings, account: int | None
) -> tuple[SchemaReport, list[AccountStatus], datetime]:
    with open_store(settings, migrate=False) as database:
        try:
            report = schema_report(database.engine, safe_url(settings.database_url))
            if report.state is SchemaState.EMPTY:
                return report, [], SystemClock().now()
            with database.read() as session:
                present = reads.table_names(session)
                found = reads.accounts(session, account)
                if account is not None and not found:
                    raise fail(f"account {account} does not exist")
                items = [_account_status(session, present, i, n) for i, n in found]
        except SQLAlchemyError as exc:
            raise database_failure(settings.database_url, exc) from None
    return report, items, SystemClock().now()


def status(
    account: Annotated[
        int | None, typer.Option("--account", help="Only this account.", min=1)
    ] = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON.")] = False,
) -> None:
    """Show the database revision, runner, and each account's connection, backlog and runs."""
    settings = settings_or_exit()
    report, items, now = _collect(settings, account)
    attention = report.state is not SchemaState.CURRENT or any(i.problems for i in items)
    if as_json:
        document = {
            "database": {**asdict(report), "advice": report.advice()},
            "runner": settings.runner,
            "broker": _broker(settings.broker_url),
            "accounts": [asdict(i) for i in items],
            "attention": attention,
        }
        typer.echo(orjson.dumps(document, default=_json_default).decode())
    else:
        typer.echo(f"Database: {report.database}")
        typer.echo(f"Schema: {', '.join(report.current) or 'none'} ({report.advice()})")
        typer.echo(f"Runner: {settings.runner} (broker {_broker(settings.broker_url)})")
        if report.state is not SchemaState.EMPTY and not items:
            typer.echo("No accounts yet (ringsync account create NAME).")
        for item in items:
            _print_account(item, now)
    if attention:
        raise typer.Exit(code=NEEDS_ATTENTION)


__all__ = ["AccountStatus", "status"]
