"""Date and dateTime literals, fixed and relative, against a fixed "now" (UTC as user zone)."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, date, datetime, timedelta, timezone
from typing import Any

import pytest

from sfemu.soql.dates import (
    date_range,
    datetime_wire,
    parse_date_literal,
    parse_datetime_literal,
    parse_time_literal,
)

NOW = datetime(2026, 3, 18, 15, 30, tzinfo=UTC)  # Wednesday; the week began Sunday 15 March


def d(text: str) -> date:
    return date.fromisoformat(text)


@pytest.mark.parametrize(
    ("name", "n", "start", "end"),
    [
        ("YESTERDAY", None, "2026-03-17", "2026-03-18"),
        ("TODAY", None, "2026-03-18", "2026-03-19"),
        ("TOMORROW", None, "2026-03-19", "2026-03-20"),
        ("LAST_WEEK", None, "2026-03-08", "2026-03-15"),
        ("THIS_WEEK", None, "2026-03-15", "2026-03-22"),
        ("NEXT_WEEK", None, "2026-03-22", "2026-03-29"),
        ("LAST_MONTH", None, "2026-02-01", "2026-03-01"),
        ("THIS_MONTH", None, "2026-03-01", "2026-04-01"),
        ("NEXT_MONTH", None, "2026-04-01", "2026-05-01"),
        ("LAST_90_DAYS", None, "2025-12-18", "2026-03-19"),
        ("NEXT_90_DAYS", None, "2026-03-19", "2026-06-17"),
        ("LAST_YEAR", None, "2025-01-01", "2026-01-01"),
        ("THIS_YEAR", None, "2026-01-01", "2027-01-01"),
        ("NEXT_YEAR", None, "2027-01-01", "2028-01-01"),
        ("LAST_N_DAYS", 1, "2026-03-17", "2026-03-19"),
        ("LAST_N_DAYS", 30, "2026-02-16", "2026-03-19"),
        ("NEXT_N_DAYS", 1, "2026-03-19", "2026-03-20"),
        ("NEXT_N_DAYS", 7, "2026-03-19", "2026-03-26"),
        ("LAST_N_WEEKS", 2, "2026-03-01", "2026-03-15"),
        ("NEXT_N_WEEKS", 2, "2026-03-22", "2026-04-05"),
        ("LAST_N_MONTHS", 2, "2026-01-01", "2026-03-01"),
        ("NEXT_N_MONTHS", 2, "2026-04-01", "2026-06-01"),
        ("LAST_N_YEARS", 2, "2024-01-01", "2026-01-01"),
        ("NEXT_N_YEARS", 1, "2027-01-01", "2028-01-01"),
    ],
)
def test_relative_ranges(name: str, n: int | None, start: str, end: str) -> None:
    assert date_range(name, n, NOW) == (d(start), d(end))


def test_month_ranges_cross_the_year() -> None:
    january = datetime(2026, 1, 10, tzinfo=UTC)
    assert date_range("LAST_MONTH", None, january) == (d("2025-12-01"), d("2026-01-01"))
    december = datetime(2025, 12, 31, 23, 59, tzinfo=UTC)
    assert date_range("NEXT_MONTH", None, december) == (d("2026-01-01"), d("2026-02-01"))
    assert date_range("LAST_N_MONTHS", 13, january) == (d("2024-12-01"), d("2026-01-01"))


def test_a_sunday_starts_its_own_week() -> None:
    sunday = datetime(2026, 3, 15, 0, 0, tzinfo=UTC)
    assert date_range("THIS_WEEK", None, sunday) == (d("2026-03-15"), d("2026-03-22"))
    saturday = datetime(2026, 3, 21, 23, 59, tzinfo=UTC)
    assert date_range("THIS_WEEK", None, saturday) == (d("2026-03-15"), d("2026-03-22"))


def test_now_in_another_zone_is_read_in_utc() -> None:
    evening_in_new_york = datetime(2026, 3, 18, 23, 30, tzinfo=timezone(timedelta(hours=-5)))
    assert date_range("TODAY", None, evening_in_new_york) == (d("2026-03-19"), d("2026-03-20"))


@pytest.mark.parametrize(
    ("literal", "wire"),
    [
        ("2026-01-01T00:00:00Z", "2026-01-01T00:00:00.000+0000"),
        ("2026-01-01T00:00:00.5Z", "2026-01-01T00:00:00.500+0000"),
        ("2026-01-01T00:00:00.123456Z", "2026-01-01T00:00:00.123+0000"),
        ("2026-01-01T00:00:00.000+0000", "2026-01-01T00:00:00.000+0000"),
        ("2026-01-01T05:30:00+05:30", "2026-01-01T00:00:00.000+0000"),
        ("2026-01-01T05:30:00+0530", "2026-01-01T00:00:00.000+0000"),
        ("2025-12-31T16:00:00-08:00", "2026-01-01T00:00:00.000+0000"),
    ],
)
def test_datetime_literals_normalize_to_utc_wire(literal: str, wire: str) -> None:
    assert parse_datetime_literal(literal) == wire


@pytest.mark.parametrize(
    "literal",
    ["2026-13-01T00:00:00Z", "2026-01-01T24:00:00Z", "2026-01-01T00:00:00+24:00", "2026-01-01"],
)
def test_impossible_datetime_literals(literal: str) -> None:
    with pytest.raises(ValueError, match="2026"):
        parse_datetime_literal(literal)


def test_date_and_time_literals() -> None:
    assert parse_date_literal("2024-02-29") == "2024-02-29"
    with pytest.raises(ValueError, match="day"):
        parse_date_literal("2026-02-29")
    assert parse_time_literal("10:30:00Z") == "10:30:00.000Z"
    assert parse_time_literal("10:30:00.5Z") == "10:30:00.500Z"
    with pytest.raises(ValueError, match="25"):
        parse_time_literal("25:00:00Z")


def test_wire_format_keeps_milliseconds_in_utc() -> None:
    moment = datetime(2026, 3, 18, 10, 0, 0, 123999, tzinfo=timezone(timedelta(hours=2)))
    assert datetime_wire(moment) == "2026-03-18T08:00:00.123+0000"


@pytest.fixture
def stamped(store: Any) -> list[dict[str, Any]]:
    stamps = [
        ("a", "2026-03-17T23:59:59.000+0000", "2026-03-17"),
        ("b", "2026-03-18T00:00:00.000+0000", "2026-03-18"),
        ("c", "2026-03-18T23:59:59.000+0000", "2026-03-18"),
        ("d", "2026-03-19T00:00:00.000+0000", "2026-03-19"),
        ("e", "2026-02-16T00:00:00.000+0000", "2026-02-16"),
        ("f", "2026-02-15T23:59:59.000+0000", "2026-02-15"),
    ]
    rows = [
        store.add("Lead", n, LastName=name, CreatedDate=created, ConvertedDate=day)
        for n, (name, created, day) in enumerate(stamps)
    ]
    rows.append(store.add("Lead", 99, LastName="null"))
    return rows


@pytest.mark.parametrize(
    ("where", "expected"),
    [
        ("CreatedDate = TODAY", "bc"),
        ("CreatedDate != TODAY", "adef|null"),
        ("CreatedDate < TODAY", "aef"),
        ("CreatedDate <= TODAY", "abcef"),
        ("CreatedDate > TODAY", "d"),
        ("CreatedDate >= TODAY", "bcd"),
        ("CreatedDate = YESTERDAY", "a"),
        ("CreatedDate = LAST_N_DAYS:30", "abce"),
        ("CreatedDate = NEXT_N_DAYS:1", "d"),
        ("CreatedDate IN (YESTERDAY, TOMORROW)", "ad"),
        ("ConvertedDate = TODAY", "bc"),
        ("ConvertedDate = LAST_N_DAYS:30", "abce"),
        ("ConvertedDate < YESTERDAY", "ef"),
        ("ConvertedDate = THIS_MONTH", "abcd"),
        ("ConvertedDate = LAST_MONTH", "ef"),
        ("ConvertedDate NOT IN (TODAY)", "adef|null"),
    ],
)
def test_relative_literals_in_queries(
    compile_soql: Callable[..., Any], store: Any, stamped: list[Any], where: str, expected: str
) -> None:
    query = compile_soql(f"SELECT Id FROM Lead WHERE {where}")
    got = [r["LastName"] for r in query.run(stamped, store.context(NOW))]
    letters, _, tail = expected.partition("|")
    assert got == list(letters) + ([tail] if tail else [])
