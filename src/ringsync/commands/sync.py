"""``ringsync sync``: run one sync pass of an account now and show what it did.

The pass runs in this process under the account's lease, so it never overlaps a worker's run
of the same account (a busy account ends the command with a clear message instead). Without
``--inbound`` or ``--outbound`` it reads Salesforce first, then sends the outbox.
"""

from __future__ import annotations

import json
import logging
import os
import socket
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from typing import Annotated, Any

import typer
from rich.console import Console
from rich.table import Table

from ringsync.commands.exits import describe, fail, open_store, settings_or_exit
from ringsync.domain.accounts import get_account
from ringsync.errors import RingsyncError
from ringsync.logs import configure_logging
from ringsync.runtime.leases import LeaseRepository, account_lease_key
from ringsync.runtime.wiring import Product, build_product
from ringsync.store.db import Database
from ringsync.store.repositories import connections as connection_repo
from ringsync.sync.engine import RunSummary

RUN_FAILED = 1
LEASE_SECONDS = 600.0
COLUMNS = ("read", "created", "updated", "skipped", "conflict", "failed")
HEADINGS = ("Read", "Created", "Updated", "Skipped", "Conflicts", "Failed")
TABLE_WIDTH = 100


@contextmanager
def _lease(database: Database, account_id: int) -> Iterator[None]:
    """Hold the account's lease for the pass, or end the command when a worker holds it."""
    leases = LeaseRepository(database)
    key = account_lease_key(account_id)
    holder = f"cli:{socket.gethostname()[:80]}:{os.getpid()}"
    lease = leases.acquire(key, holder, LEASE_SECONDS)
    if lease is None:
        current = leases.current(key)
        who = f" (held by {current.holder})" if current is not None else ""
        typer.echo(
            f"Error: account {account_id} is being synced right now{who}; try again shortly",
            err=True,
        )
        raise typer.Exit(RUN_FAILED)
    try:
        yield
    finally:
        leases.release(lease)


def _check_account(database: Database, account_id: int) -> None:
    try:
        with database.read() as session:
            get_account(session, account_id)
            connected = connection_repo.get(session, account_id) is not None
    except RingsyncError as exc:
        raise fail(describe(exc)) from None
    if not connected:
        raise fail(
            f"account {account_id} has no Salesforce connection (run: ringsync connect "
            f"--account {account_id} ...)"
        )


def _run(product: Product, account_id: int, inbound: bool, outbound: bool) -> list[RunSummary]:
    summaries: list[RunSummary] = []
    if inbound:
        summaries += product.engine.run_inbound(account_id)
    if outbound:
        summaries.append(product.engine.run_outbound(account_id))
    return summaries


def _as_json(account_id: int, summaries: Sequence[RunSummary], api_calls: int) -> str:
    runs: list[dict[str, Any]] = [
        {
            "run_id": s.run_id,
            "direction": s.direction,
            "object": s.sobject,
            "status": s.status.value,
            "totals": dict(s.totals),
            "error": s.error,
        }
        for s in summaries
    ]
    return json.dumps({"account_id": account_id, "runs": runs, "api_calls": api_calls}, indent=2)


def _print_table(account_id: int, summaries: Sequence[RunSummary], api_calls: int) -> None:
    table = Table(title=f"Sync of account {account_id}")
    table.add_column("Run", no_wrap=True)
    table.add_column("Status", no_wrap=True)
    for heading in HEADINGS:
        table.add_column(heading, justify="right")
    for s in summaries:
        name = f"{s.direction} {s.sobject}" if s.sobject else s.direction
        status = f"[red]{s.status.value}[/red]" if s.error else "[green]ok[/green]"
        cells = [str(s.totals.get(column, 0)) for column in COLUMNS]
        table.add_row(name, status, *cells)
    console = Console(width=TABLE_WIDTH) if not Console().is_terminal else Console()
    console.print(table)
    console.print(f"Salesforce API calls: {api_calls}")
    for s in summaries:
        if s.error:
            console.print(f"[red]{s.direction} {s.sobject or ''} failed:[/red] {s.error}")


def sync(
    account: Annotated[int, typer.Option("--account", help="The account's id.")],
    inbound: Annotated[
        bool, typer.Option("--inbound", help="Only read changes from Salesforce.")
    ] = False,
    outbound: Annotated[
        bool, typer.Option("--outbound", help="Only send our changes to Salesforce.")
    ] = False,
    as_json: Annotated[bool, typer.Option("--json", help="Print the result as JSON.")] = False,
) -> None:
    """Run one sync pass of an account now (both directions unless one is chosen)."""
    if inbound and outbound:
        raise fail("--inbound and --outbound exclude each other (give neither for both)")
    if account < 1:
        raise fail(f"--account must be a positive account id, got {account}")
    settings = settings_or_exit()
    configure_logging(settings.log_level)
    logging.getLogger("alembic").setLevel(logging.WARNING)
    with open_store(settings, migrate=True) as database:
        _check_account(database, account)
        product = build_product(settings, database=database)
        try:
            with _lease(database, account):
                summaries = _run(product, account, not outbound, not inbound)
            api_calls = product.client(account).budget_snapshot.our_calls
        except RingsyncError as exc:
            typer.echo(f"Error: {describe(exc)}", err=True)
            raise typer.Exit(RUN_FAILED) from None
        finally:
            product.close()
    if as_json:
        typer.echo(_as_json(account, summaries, api_calls))
    else:
        _print_table(account, summaries, api_calls)
    if any(s.error for s in summaries):
        raise typer.Exit(RUN_FAILED)


__all__ = ["sync"]
