"""The ringsync command line (Typer): a thin layer over the same services the API uses."""

from __future__ import annotations

import typer

from ringsync import __version__
from ringsync.commands.emulator import demo, emulator
from ringsync.commands.mapping import mapping_app

app = typer.Typer(
    name="ringsync",
    help="Keep contact-center contacts in two-way sync with Salesforce Leads and Contacts.",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
)
app.add_typer(mapping_app, name="mapping")
app.command()(emulator)
app.command()(demo)


@app.callback()
def _root() -> None:
    """Keep contact-center contacts in two-way sync with Salesforce Leads and Contacts."""


@app.command()
def version() -> None:
    """Print the ringsync version."""
    typer.echo(__version__)


def main() -> None:
    """Run the command line."""
    app()
