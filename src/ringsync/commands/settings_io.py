"""``ringsync settings export|import``: move an account's sync settings through a file.

Export writes the settings in force. Import never changes what is in force by itself: it turns
the file into the account's draft and prints every problem; ``--save`` also saves the draft as a
new version, in the same transaction, only when it has no problem.
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import orjson
import typer
from sqlalchemy.exc import SQLAlchemyError

from ringsync.commands.exits import describe, fail, open_store, settings_or_exit
from ringsync.domain.sync_settings import export_document, import_file, save_draft
from ringsync.errors import Problem, RingsyncError, ValidationError

settings_app = typer.Typer(
    name="settings", help="Export or import an account's sync settings.", no_args_is_help=True
)

CLI_USER = "command line"
AccountOption = Annotated[int, typer.Option("--account", help="The account's id.", min=1)]


def _problem_lines(problems: list[Problem] | tuple[Problem, ...]) -> str:
    return "\n".join(f"  - {p.field}: {p.reason}" for p in problems)


@settings_app.command("export")
def settings_export(
    account: AccountOption,
    file: Annotated[Path, typer.Option("--file", help="Where to write (- for standard output).")],
    force: Annotated[bool, typer.Option("--force", help="Overwrite an existing file.")] = False,
) -> None:
    """Write the account's settings in force to a JSON file."""
    to_stdout = str(file) == "-"
    if not to_stdout:
        if file.is_dir():
            raise fail(f"{file} is a directory; name a file")
        if not file.parent.is_dir():
            raise fail(f"the folder {file.parent} does not exist")
        if file.exists() and not force:
            raise fail(f"{file} already exists (pass --force to overwrite it)")
    with open_store(settings_or_exit(), migrate=True) as database:
        try:
            with database.read() as session:
                document = export_document(session, account)
        except RingsyncError as exc:
            raise fail(describe(exc)) from None
        except SQLAlchemyError as exc:
            raise fail(f"cannot read the settings: {type(exc).__name__}") from None
    data = orjson.dumps(document, option=orjson.OPT_INDENT_2 | orjson.OPT_SORT_KEYS)
    if to_stdout:
        typer.echo(data.decode())
        return
    try:
        file.write_bytes(data + b"\n")
    except OSError as exc:
        raise fail(f"cannot write {file}: {exc.strerror or type(exc).__name__}") from None
    version = document.get("settings_version")
    shown = f"version {version}" if version is not None else "defaults, never saved"
    typer.echo(f"Exported account {account}'s settings ({shown}) to {file}.")


@settings_app.command("import")
def settings_import(
    account: AccountOption,
    file: Annotated[Path, typer.Option("--file", help="A file written by settings export.")],
    save: Annotated[
        bool, typer.Option("--save", help="Save the draft as a new version if it has no problem.")
    ] = False,
) -> None:
    """Load a settings file into the account's draft and list every problem in it."""
    if not file.is_file():
        raise fail(f"{file} does not exist or is not a file")
    with open_store(settings_or_exit(), migrate=True) as database:
        try:
            with database.write() as session:
                draft = import_file(session, account, file, imported_by=CLI_USER)
                saved = (
                    save_draft(session, account, saved_by=CLI_USER)
                    if save and not draft.problems
                    else None
                )
        except ValidationError as exc:
            if not exc.problems:
                raise fail(describe(exc)) from None
            raise fail(f"{exc.message}:\n{_problem_lines(exc.problems)}") from None
        except RingsyncError as exc:
            raise fail(describe(exc)) from None
        except OSError as exc:
            raise fail(f"cannot read {file}: {exc.strerror or type(exc).__name__}") from None
        except SQLAlchemyError as exc:
            raise fail(f"cannot store the draft: {type(exc).__name__}") from None
    if draft.problems:
        raise fail(
            f"the imported settings have {len(draft.problems)} problem(s); they are kept as "
            f"account {account}'s draft and nothing was saved:\n{_problem_lines(draft.problems)}"
        )
    if saved is not None:
        typer.echo(f"Imported {file} and saved it as settings version {saved.number}.")
    elif draft.unsaved_changes:
        typer.echo(
            f"Imported {file} as account {account}'s draft; it has no problems. "
            "Review it on the Salesforce tab, or run again with --save to save it."
        )
    else:
        typer.echo(f"Imported {file}: it equals the settings in force; nothing to save.")


__all__ = ["settings_app"]
