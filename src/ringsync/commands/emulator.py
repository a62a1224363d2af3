"""``ringsync emulator``: run sfemu from the ringsync command line.

ringsync imports sfemu only here and in the demo (``commands/demo*.py``): the demo needs a
Salesforce org, and sfemu is it.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Annotated, Any

import typer

from sfemu.cli import CliInputError, EmulatorOptions, serve_forever


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
