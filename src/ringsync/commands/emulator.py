"""``ringsync emulator`` and ``ringsync demo``: run sfemu from the ringsync command line.

This is the one place ringsync imports sfemu: the demo needs a Salesforce org, and sfemu is it.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Annotated, Any

import typer

from sfemu.cli import CliInputError, EmulatorOptions, serve_forever

DEMO_LEADS = 500
DEMO_CONTACTS = 250
DEMO_USERS = 12
DEMO_SEED = 42


def run_emulator(options: EmulatorOptions, echo: Callable[[str], Any] = typer.echo) -> None:
    """Serve sfemu until Ctrl-C; bad input ends with one message and exit code 2."""
    try:
        serve_forever(options, echo=echo)
    except CliInputError as exc:
        typer.echo(f"Error: {exc}", err=True)
        raise typer.Exit(2) from None
    except KeyboardInterrupt:
        typer.echo("stopped.")


def emulator(
    host: Annotated[str, typer.Option(help="Interface to listen on.")] = "127.0.0.1",
    port: Annotated[int, typer.Option(help="Port (0 picks a free one).", min=0, max=65535)] = 8765,
    tls: Annotated[bool, typer.Option("--tls", help="Serve HTTPS with a fresh test CA.")] = False,
    cert_dir: Annotated[Path | None, typer.Option(help="Where to write TLS files.")] = None,
    leads: Annotated[int, typer.Option(help="Seed this many leads.", min=0)] = 0,
    contacts: Annotated[int, typer.Option(help="Seed this many contacts.", min=0)] = 0,
    users: Annotated[int, typer.Option(help="Seed this many users.", min=0)] = 0,
    seed: Annotated[int, typer.Option(help="Random seed for the seeded data.")] = 0,
) -> None:
    """Run the Salesforce emulator (the same as ``sfemu serve``)."""
    run_emulator(
        EmulatorOptions(
            host=host,
            port=port,
            tls=tls,
            cert_dir=cert_dir,
            leads=leads,
            contacts=contacts,
            users=users,
            seed=seed,
        )
    )


def demo(
    port: Annotated[int, typer.Option(help="Port for the emulator.", min=0, max=65535)] = 8765,
) -> None:
    """Start sfemu with sample data and print how to connect to it."""
    typer.echo("ringsync demo: starting sfemu, a local Salesforce org with sample data.")
    typer.echo(
        f"  {DEMO_LEADS} leads, {DEMO_CONTACTS} contacts, {DEMO_USERS} users "
        f"(seed {DEMO_SEED}); some phone numbers are both a Lead and a Contact."
    )

    def echo(line: str) -> None:
        typer.echo(line)
        if line.startswith("sfemu listening on "):
            base = line.removeprefix("sfemu listening on ").strip()
            typer.echo("  try it:")
            typer.echo(
                f"    curl -s {base}/services/oauth2/token -d grant_type=password "
                "-d client_id=sfemu-client -d client_secret=sfemu-secret "
                "-d username=admin@sfemu.test -d password=sfemu"
            )
            typer.echo(
                f"    curl -s -H 'Authorization: Bearer TOKEN' "
                f"'{base}/services/data/v66.0/query?q=SELECT+Id,Name,Phone+FROM+Lead+LIMIT+5'"
            )

    run_emulator(
        EmulatorOptions(
            port=port,
            leads=DEMO_LEADS,
            contacts=DEMO_CONTACTS,
            users=DEMO_USERS,
            seed=DEMO_SEED,
        ),
        echo=echo,
    )
