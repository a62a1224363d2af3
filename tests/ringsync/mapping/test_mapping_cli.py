"""``ringsync mapping defaults``: JSON and table output, and what a bad option shows."""

from __future__ import annotations

import json

import pytest
from typer.testing import CliRunner

from ringsync.cli import app

KEYS = {
    "ringsync_property",
    "salesforce_field",
    "salesforce_label",
    "salesforce_type",
    "kind",
    "direction",
}


@pytest.mark.parametrize(
    ("obj", "count", "kinds"),
    [
        ("Lead", 41, {"locked": 1, "special": 1, "open": 17, "additional": 2, "tracking": 20}),
        ("contact", 39, {"locked": 1, "special": 1, "open": 15, "additional": 2, "tracking": 20}),
    ],
)
def test_json_lists_every_default_row(obj: str, count: int, kinds: dict[str, int]) -> None:
    result = CliRunner().invoke(app, ["mapping", "defaults", "--object", obj, "--format", "json"])
    assert result.exit_code == 0, result.output
    rows = json.loads(result.stdout)
    assert len(rows) == count
    assert all(set(row) == KEYS for row in rows)
    counted = {kind: sum(1 for r in rows if r["kind"] == kind) for kind in kinds}
    assert counted == kinds
    assert rows[0] == {
        "ringsync_property": "phone",
        "salesforce_field": "Phone",
        "salesforce_label": "Phone" if obj == "Lead" else "Business Phone",
        "salesforce_type": "Phone",
        "kind": "locked",
        "direction": "both",
    }
    directions = {r["direction"] for r in rows if r["kind"] == "tracking"}
    assert directions == {"to_salesforce"}


def test_table_is_the_default_format() -> None:
    result = CliRunner().invoke(app, ["mapping", "defaults", "--object", "Contact"])
    assert result.exit_code == 0, result.output
    assert "Default Contact mapping (39 fields)" in result.stdout
    assert "MailingPostalCode" in result.stdout
    assert "Last_Outbound_Engagement__c" in result.stdout
    assert "Company" not in result.stdout


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--object", "Account"], "Error: unknown object 'Account'; choose Lead or Contact\n"),
        (["--format", "xml"], "Error: unknown format 'xml'; choose json or table\n"),
    ],
)
def test_bad_options_print_one_clear_line_and_exit_2(args: list[str], message: str) -> None:
    result = CliRunner().invoke(app, ["mapping", "defaults", *args])
    assert result.exit_code == 2
    assert result.stderr == message
    assert result.stdout == ""
