"""The ringsync command line (Typer): a thin layer over the same services the API uses."""

from __future__ import annotations

import typer

from ringsync import __version__
from ringsync.commands.accounts import account_app, user_app
from ringsync.commands.connect import connect
from ringsync.commands.db import db_app
from ringsync.commands.demo import demo
from ringsync.commands.emulator import emulator
from ringsync.commands.exits import EnvFileOption, use_env_file
from ringsync.commands.keys import keys_app
from ringsync.commands.mapping import mapping_app
from ringsync.commands.operations import op_app, users_app
from ringsync.commands.runtime import PASS_THROUGH, beat, worker
from ringsync.commands.serve import serve
from ringsync.commands.settings_io import settings_app
from ringsync.commands.status import status
from ringsync.commands.sync import sync

app = typer.Typer(
    name="ringsync",
    help="Keep contact-center contacts in two-way sync with Salesforce Leads and Contacts.",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
)
app.add_typer(mapping_app, name="mapping")
app.add_typer(account_app, name="account")
app.add_typer(user_app, name="user")
app.add_typer(op_app, name="op")
app.add_typer(users_app, name="users")
app.command()(serve)
app.command()(emulator)
app.command()(demo)
app.add_typer(db_app, name="db")
app.add_typer(settings_app, name="settings")
app.add_typer(keys_app, name="keys")
app.command()(connect)
app.command()(status)
app.command()(sync)
app.command(context_settings=PASS_THROUGH)(worker)
app.command(context_settings=PASS_THROUGH)(beat)


@app.callback()
def _root(env_file: EnvFileOption = None) -> None:
    """Keep contact-center contacts in two-way sync with Salesforce Leads and Contacts."""
    use_env_file(env_file)


@app.command()
def version() -> None:
    """Print the ringsync version."""
    typer.echo(__version__)


def main() -> None:
    """Run the command line."""
    app()
