"""``ringsync mapping``: inspect the field catalog from the command line."""

from __future__ import annotations

import json

import typer
from rich.console import Console
from rich.table import Table

from ringsync.mapping.catalog import FieldMapping, SyncObject, default_mapping

mapping_app = typer.Typer(
    name="mapping",
    help="Inspect field mappings between ringsync properties and Salesforce fields.",
    no_args_is_help=True,
)

_FORMATS = ("json", "table")
_JSON_KEYS = (
    "ringsync_property",
    "salesforce_field",
    "salesforce_label",
    "salesforce_type",
    "kind",
    "direction",
)


def _fail(message: str) -> typer.Exit:
    """Print one clear error line to stderr and return the exit (code 2: bad usage)."""
    typer.echo(f"Error: {message}", err=True)
    return typer.Exit(code=2)


def _parse_object(text: str) -> SyncObject:
    """Accept ``Lead`` or ``Contact`` in any letter case."""
    for obj in SyncObject:
        if obj.value.lower() == text.strip().lower():
            return obj
    choices = " or ".join(o.value for o in SyncObject)
    raise _fail(f"unknown object {text!r}; choose {choices}")


def _as_json(rows: tuple[FieldMapping, ...]) -> str:
    """Return the rows as a JSON list of plain objects."""
    data = [{key: row.to_dict()[key] for key in _JSON_KEYS} for row in rows]
    return json.dumps(data, indent=2)


def _print_table(obj: SyncObject, rows: tuple[FieldMapping, ...]) -> None:
    """Print the rows as a Rich table (wide enough when the output is not a terminal)."""
    console = Console()
    if not console.is_terminal:
        console = Console(width=160)
    table = Table(title=f"Default {obj.value} mapping ({len(rows)} fields)")
    for heading in ("ringsync property", "Salesforce field", "Salesforce label", "Type"):
        table.add_column(heading)
    table.add_column("Kind")
    table.add_column("Direction")
    arrows = {"both": "↔ both", "to_salesforce": "→ to Salesforce", "from_salesforce": "← from"}
    for row in rows:
        table.add_row(
            row.label or row.ringsync_property,
            row.salesforce_field,
            row.salesforce_label,
            row.salesforce_type,
            row.kind.value,
            arrows[row.direction.value],
        )
    console.print(table)


@mapping_app.command("defaults")
def defaults(
    object_name: str = typer.Option(
        "Lead", "--object", "-o", help="Salesforce object: Lead or Contact."
    ),
    output: str = typer.Option("table", "--format", "-f", help="Output format: json or table."),
) -> None:
    """Print the default field mapping for Lead or Contact."""
    obj = _parse_object(object_name)
    fmt = output.strip().lower()
    if fmt not in _FORMATS:
        raise _fail(f"unknown format {output!r}; choose json or table")
    rows = default_mapping(obj)
    if fmt == "json":
        typer.echo(_as_json(rows))
    else:
        _print_table(obj, rows)


__all__ = ["mapping_app"]
