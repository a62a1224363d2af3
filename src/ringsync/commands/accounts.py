"""``ringsync account create`` and ``ringsync user create``: set up tenants and their people.

Both call the same services as the API. Bad input ends with one clear message and exit code 2.
Passwords are read from a hidden prompt or from standard input (``--password-stdin``), never
from the command line, where other users of the machine could read them.
"""

from __future__ import annotations

import sys
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Annotated

import typer
from sqlalchemy.exc import SQLAlchemyError

from ringsync.domain.accounts import create_account, get_account
from ringsync.domain.users import Role, create_user
from ringsync.errors import RingsyncError, ValidationError
from ringsync.settings import load_settings
from ringsync.store.db import Database
from ringsync.web.api.users import password_problems
from ringsync.web.app import open_store
from ringsync.web.security import Passwords

account_app = typer.Typer(name="account", help="Create accounts (tenants).", no_args_is_help=True)
user_app = typer.Typer(name="user", help="Create users of an account.", no_args_is_help=True)


def _fail(message: str) -> typer.Exit:
    """Print one error line to stderr and return the exit (code 2: bad input)."""
    typer.echo(f"Error: {message}", err=True)
    return typer.Exit(code=2)


def _describe(exc: RingsyncError) -> str:
    if isinstance(exc, ValidationError) and exc.problems:
        details = "; ".join(f"{p.field}: {p.reason}" for p in exc.problems)
        return f"{exc.message} ({details})"
    return exc.message


@contextmanager
def _store() -> Iterator[Database]:
    try:
        database = open_store(load_settings().database_url)
    except SQLAlchemyError as exc:
        raise _fail(f"cannot open the database: {type(exc).__name__}") from None
    try:
        yield database
    finally:
        database.dispose()


@account_app.command("create")
def account_create(
    name: Annotated[str, typer.Argument(help="The contact center's name.")],
    region: Annotated[str, typer.Option(help="Default phone region (ISO 3166).")] = "US",
    time_zone: Annotated[str, typer.Option(help="IANA time zone, e.g. America/New_York.")] = "UTC",
) -> None:
    """Create an account and print its id."""
    with _store() as database:
        try:
            with database.write() as session:
                account = create_account(session, name, default_region=region, time_zone=time_zone)
        except RingsyncError as exc:
            raise _fail(_describe(exc)) from None
    typer.echo(f"Created account {account.id} ({account.name}).")


def _read_password(from_stdin: bool) -> str:
    if from_stdin:
        return sys.stdin.readline().rstrip("\r\n")
    return str(typer.prompt("Password", hide_input=True, confirmation_prompt=True))


@user_app.command("create")
def user_create(
    account: Annotated[int, typer.Option("--account", help="The account's id.")],
    email: Annotated[str, typer.Option(help="The user's email (their sign-in name).")],
    name: Annotated[str, typer.Option(help="The user's display name.")] = "",
    role: Annotated[str, typer.Option(help="admin or agent.")] = Role.AGENT.value,
    password_stdin: Annotated[
        bool, typer.Option("--password-stdin", help="Read the password from standard input.")
    ] = False,
    no_password: Annotated[
        bool, typer.Option("--no-password", help="Create the user without a password.")
    ] = False,
) -> None:
    """Create a user of an account (asks for the password unless --no-password)."""
    password = None if no_password else _read_password(password_stdin)
    problems = password_problems(password)
    if problems:
        raise _fail(f"the user cannot be created (password: {problems[0].reason})")
    password_hash = Passwords().hash(password) if password else None
    with _store() as database:
        try:
            with database.write() as session:
                get_account(session, account)
                user = create_user(
                    session,
                    account,
                    email=email,
                    name=name,
                    role=role,
                    password_hash=password_hash,
                )
        except RingsyncError as exc:
            raise _fail(_describe(exc)) from None
    typer.echo(f"Created {user.role.value} {user.id} ({user.email}) in account {account}.")
