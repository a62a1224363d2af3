"""``ringsync demo``: the whole product on a laptop, against a seeded Salesforce emulator.

The demo starts sfemu (TLS, a few hundred Leads and Contacts, some sharing a phone number),
creates a fresh SQLite store under ``var/demo/`` with one account and an admin whose generated
password is printed, connects the account to the emulator, saves two-way sync settings, pulls
every record, then serves the admin page and the API with the embedded runner while a
background thread keeps recording calls and texts, so automatic sync can be watched.
``--check`` runs a fixed script of changes on both sides instead of serving, and exits 0 only
when both sides agree afterwards.
"""

from __future__ import annotations

import logging
from pathlib import Path
from typing import Annotated

import typer
import uvicorn
from rich.console import Console
from rich.panel import Panel
from rich.table import Table

from ringsync.commands.demo_check import CheckReport, DemoCheck
from ringsync.commands.demo_events import Simulation, pick_contacts
from ringsync.commands.demo_setup import (
    DEFAULT_DATA_DIR,
    DemoOptions,
    DemoWorld,
    initial_pull,
    start_world,
)
from ringsync.commands.exits import describe, fail
from ringsync.errors import RingsyncError
from ringsync.logs import configure_logging
from ringsync.runtime.serving import create_product_app
from sfemu.server import bind_socket

logger = logging.getLogger(__name__)

SIMULATED_CONTACTS = 5
MAX_PROBLEMS_SHOWN = 40


def _start(options: DemoOptions, console: Console) -> DemoWorld:
    console.print("[bold]ringsync demo[/bold]: starting sfemu, a local Salesforce org ...")
    try:
        return start_world(options)
    except RingsyncError as exc:
        raise fail(f"the demo could not start: {describe(exc)}") from None
    except (OSError, RuntimeError) as exc:
        raise fail(f"the demo could not start: {exc}") from None


def _pull(world: DemoWorld, console: Console) -> None:
    pulled = initial_pull(world, console)
    for summary in pulled:
        if summary.error:
            raise fail(f"the initial pull of {summary.sobject} failed: {summary.error}")
    created = sum(s.totals.get("created", 0) for s in pulled)
    console.print(f"Initial pull done: {created} contacts created from Salesforce.")


def _summary(report: CheckReport, console: Console) -> None:
    table = Table(title="ringsync demo --check")
    table.add_column("What")
    table.add_column("Count", justify="right")
    rows = (
        ("Records pulled (created or updated here)", report.total("inbound", "created", "updated")),
        (
            "Records pushed (created or updated in Salesforce)",
            report.total("outbound", "created", "updated"),
        ),
        (
            "Conflicts resolved",
            report.total("inbound", "conflict") + report.total("outbound", "conflict"),
        ),
        ("Failed records", report.failed_records),
        ("Activity events recorded", len(report.events)),
        ("Linked contacts compared", report.compared),
        ("Sync rounds after the script", report.rounds),
        ("Salesforce API calls (sfemu)", report.api_calls),
    )
    for label, value in rows:
        table.add_row(label, str(value))
    console.print(table)


def run_check(options: DemoOptions, console: Console) -> CheckReport:
    """Run the scripted check on a fresh demo world and return its report."""
    world = _start(options, console)
    try:
        pulled = initial_pull(world, console)
        return DemoCheck(world).run(pulled)
    finally:
        world.close()


def _check(options: DemoOptions, console: Console) -> None:
    report = run_check(options, console)
    _summary(report, console)
    if report.agree:
        console.print("[green]Both sides agree.[/green]")
        return
    console.print(f"[red]{len(report.problems)} difference(s) between the two sides:[/red]")
    for problem in report.problems[:MAX_PROBLEMS_SHOWN]:
        console.print(f"  - {problem}", markup=False)
    if len(report.problems) > MAX_PROBLEMS_SHOWN:
        console.print(f"  ... and {len(report.problems) - MAX_PROBLEMS_SHOWN} more")
    raise typer.Exit(1)


def _serve(options: DemoOptions, host: str, port: int, every: float, console: Console) -> None:
    try:
        sock = bind_socket(host, port)
    except (OSError, OverflowError) as exc:
        raise fail(f"cannot listen on {host}:{port}: {exc}") from None
    world: DemoWorld | None = None
    simulation: Simulation | None = None
    try:
        world = _start(options, console)
        _pull(world, console)
        app = create_product_app(world.product)
        contacts = pick_contacts(world.product.database, world.account_id, SIMULATED_CONTACTS)
        simulation = Simulation(
            world.product.database,
            world.account_id,
            contacts,
            world.product.runner.wake,
            every_seconds=every,
        )
        bound = sock.getsockname()[1]
        console.print(
            Panel.fit(
                f"Admin page:  http://{host}:{bound}/\n"
                f"  email:     {world.admin_email}\n"
                f"  password:  {world.admin_password}\n"
                f"sfemu:       {world.sfemu_url}  (CA: {world.server.ca_path})\n"
                f"  stats:     {world.sfemu_url}/__sfemu/stats\n"
                f"Simulating a call or text every {every:g} s for {len(contacts)} contacts; "
                "watch the logs and the Salesforce records.\nPress Ctrl-C to stop.",
                title="ringsync demo is running",
            )
        )
        simulation.start()
        config = uvicorn.Config(
            app, host=host, port=bound, log_config=None, access_log=False, lifespan="on"
        )
        uvicorn.Server(config).run(sockets=[sock])
    finally:
        if simulation is not None:
            simulation.stop()
        if world is not None:
            world.close()
        sock.close()
        console.print("ringsync demo stopped.")


def demo(
    check: Annotated[
        bool,
        typer.Option(
            "--check", help="Run a scripted check instead of serving; exit 1 on a difference."
        ),
    ] = False,
    host: Annotated[str, typer.Option(help="Interface the admin page listens on.")] = "127.0.0.1",
    port: Annotated[int, typer.Option(help="Port of the admin page.", min=0, max=65535)] = 8000,
    data_dir: Annotated[
        Path, typer.Option(help="Where the demo keeps its store (emptied at every start).")
    ] = DEFAULT_DATA_DIR,
    leads: Annotated[int, typer.Option(help="Leads to seed in sfemu.", min=0)] = 300,
    contacts: Annotated[int, typer.Option(help="Contacts to seed in sfemu.", min=0)] = 150,
    every: Annotated[
        float, typer.Option(help="Seconds between simulated calls and texts.", min=0.5)
    ] = 4.0,
) -> None:
    """Run ringsync against a seeded local Salesforce emulator (one command, no set-up)."""
    configure_logging("WARNING" if check else "INFO")
    logging.getLogger("alembic").setLevel(logging.WARNING)
    console = Console()
    options = DemoOptions(data_dir=data_dir, leads=leads, contacts=contacts)
    if check:
        _check(options, console)
    else:
        _serve(options, host, port, every, console)


__all__ = ["demo", "run_check"]
