"""SOQL quoting and the allow-listed SELECT builder."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta, timezone
from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from ringsync.errors import MappingError
from ringsync.salesforce.soql import (
    AllOf,
    AllowList,
    AnyOf,
    Cond,
    quote_date,
    quote_datetime,
    quote_like,
    quote_list,
    quote_string,
    quote_value,
    select,
)

ESCAPES = {"n": "\n", "r": "\r", "t": "\t", "b": "\b", "f": "\f", '"': '"', "'": "'", "\\": "\\"}


def read_literal(soql: str, start: int = 0) -> tuple[str, int]:
    """Decode one quoted SOQL literal at ``start``; return (value, index after it)."""
    assert soql[start] == "'"
    out: list[str] = []
    i = start + 1
    while True:
        ch = soql[i]
        if ch == "\\":
            nxt = soql[i + 1]
            out.append(ESCAPES.get(nxt.lower(), "\\" + nxt))
            i += 2
        elif ch == "'":
            return "".join(out), i + 1
        else:
            out.append(ch)
            i += 1


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("O'Brien", r"'O\'Brien'"),
        ("back\\slash", r"'back\\slash'"),
        ("line\nbreak", r"'line\nbreak'"),
        ("tab\there", r"'tab\there'"),
        ('say "hi"', r"'say \"hi\"'"),
        ("100%_done", "'100%_done'"),
        ("", "''"),
    ],
)
def test_quote_string_examples(text: str, expected: str) -> None:
    assert quote_string(text) == expected


@given(st.text())
def test_quoted_string_is_one_literal_holding_exactly_the_text(text: str) -> None:
    literal = quote_string(text)
    value, end = read_literal(literal + " AND Id != null")
    assert value == text
    assert end == len(literal)


@given(st.text())
def test_injection_cannot_leave_the_literal(text: str) -> None:
    payload = text + "' OR Id != null OR Name='"
    prefix = "SELECT Id FROM Lead WHERE Name = "
    soql = prefix + quote_string(payload)
    value, end = read_literal(soql, len(prefix))
    assert end == len(soql)
    assert value.endswith("' OR Id != null OR Name='")


def test_quote_like_escapes_wildcards_and_adds_requested_ones() -> None:
    assert quote_like("50%_off") == r"'50\%\_off'"
    assert quote_like("a'b", "prefix") == r"'a\'b%'"
    assert quote_like("x", "suffix") == "'%x'"
    assert quote_like("x", "contains") == "'%x%'"


def test_quote_datetime_is_utc_whole_seconds() -> None:
    pacific = timezone(timedelta(hours=-7))
    when = datetime(2026, 3, 1, 8, 33, 16, 999_000, tzinfo=pacific)
    assert quote_datetime(when) == "2026-03-01T15:33:16Z"
    with pytest.raises(ValueError, match="aware"):
        quote_datetime(datetime(2026, 3, 1))


def test_quote_date_and_values() -> None:
    assert quote_date(date(2026, 2, 28)) == "2026-02-28"
    with pytest.raises(TypeError):
        quote_date(datetime(2026, 2, 28, tzinfo=UTC))
    assert quote_value(None) == "null"
    assert quote_value(True) == "true"
    assert quote_value(False) == "false"
    assert quote_value(42) == "42"
    assert quote_value(Decimal("1.50")) == "1.50"
    assert quote_value(2.5) == "2.5"
    assert quote_value(datetime(2026, 1, 1, tzinfo=UTC)) == "2026-01-01T00:00:00Z"
    with pytest.raises(ValueError, match="NaN"):
        quote_value(float("nan"))
    with pytest.raises(TypeError):
        quote_value(object())  # type: ignore[arg-type]  # the point of the test


def test_quote_list() -> None:
    assert quote_list(["a'b", 1, None]) == r"('a\'b', 1, null)"
    with pytest.raises(ValueError, match="at least one"):
        quote_list([])


ALLOWED = AllowList({"Lead": ["Id", "Phone", "Email", "SystemModstamp", "OwnerId", "Owner"]})


def test_select_builds_quoted_statement() -> None:
    since = datetime(2026, 1, 1, tzinfo=UTC)
    soql = select(
        ["Id", "phone", "Owner.Name"],
        "Lead",
        allowed=ALLOWED,
        where=AnyOf(
            (
                Cond("SystemModstamp", ">", since),
                AllOf((Cond("SystemModstamp", "=", since), Cond("Id", ">", "00Q1"))),
            )
        ),
        order_by=["SystemModstamp", "Id desc"],
        limit=200,
    )
    assert soql == (
        "SELECT Id, phone, Owner.Name FROM Lead WHERE (SystemModstamp > 2026-01-01T00:00:00Z OR "
        "(SystemModstamp = 2026-01-01T00:00:00Z AND Id > '00Q1')) "
        "ORDER BY SystemModstamp, Id DESC LIMIT 200"
    )


def test_select_in_and_like_and_count() -> None:
    soql = select(
        ["COUNT()"],
        "Lead",
        allowed=ALLOWED,
        where=AllOf((Cond("Phone", "IN", ["+1", "x'y"]), Cond("Email", "LIKE", "a_b%"))),
    )
    assert (
        soql == r"SELECT COUNT() FROM Lead WHERE (Phone IN ('+1', 'x\'y') AND Email LIKE 'a\_b\%')"
    )


@pytest.mark.parametrize(
    ("fields", "sobject"),
    [
        (["Id"], "Account"),
        (["Name"], "Lead"),
        (["Id, (SELECT Id FROM Tasks)"], "Lead"),
        (["Id"], "Lead WHERE Id != null"),
        (["Owner.Name; DROP"], "Lead"),
    ],
)
def test_select_refuses_names_outside_the_describe(fields: list[str], sobject: str) -> None:
    with pytest.raises(MappingError):
        select(fields, sobject, allowed=ALLOWED)


def test_select_refuses_unknown_fields_in_where_and_order_by() -> None:
    with pytest.raises(MappingError):
        select(["Id"], "Lead", allowed=ALLOWED, where=Cond("Secret__c", "=", 1))
    with pytest.raises(MappingError):
        select(["Id"], "Lead", allowed=ALLOWED, order_by=["Secret__c"])
    with pytest.raises(ValueError, match="direction"):
        select(["Id"], "Lead", allowed=ALLOWED, order_by=["Id sideways"])


def test_select_rejects_misused_operators() -> None:
    with pytest.raises(TypeError):
        select(["Id"], "Lead", allowed=ALLOWED, where=Cond("Phone", "IN", "abc"))
    with pytest.raises(TypeError):
        select(["Id"], "Lead", allowed=ALLOWED, where=Cond("Phone", "=", ["a"]))
    with pytest.raises(ValueError, match="at least one"):
        select(["Id"], "Lead", allowed=ALLOWED, where=AllOf(()))
