"""Properties: quoting round-trips, LIKE escaping, ordering against a reference, date ranges."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime, timedelta, timezone
from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from sfemu.soql import ast
from sfemu.soql.dates import date_range, datetime_wire, parse_datetime_literal
from sfemu.soql.parser import decode_string, like_regex, parse_query

FIXTURES = settings(suppress_health_check=[HealthCheck.function_scoped_fixture], max_examples=60)


def quote(text: str) -> str:
    """Escape text the way a careful client does (backslash and quote only)."""
    return text.replace("\\", "\\\\").replace("'", "\\'")


def quote_all(text: str) -> str:
    """Escape every character, using the named escapes where they exist and \\uXXXX otherwise."""
    named = {"\n": "\\n", "\r": "\\r", "\t": "\\t", "\b": "\\b", "\f": "\\f", '"': '\\"'}
    out = []
    for ch in text:
        if ch in named:
            out.append(named[ch])
        elif ch in "\\'":
            out.append("\\" + ch)
        else:
            out.append(f"\\u{ord(ch):04x}")
    return "".join(out)


def quote_like(text: str) -> str:
    """Escape text for a LIKE pattern that must match exactly that text."""
    return quote(text).replace("%", "\\%").replace("_", "\\_")


def literal_of(text: str) -> str:
    where = parse_query(f"SELECT Id FROM Lead WHERE LastName = '{text}'").where
    assert isinstance(where, ast.Comparison)
    assert isinstance(where.value, ast.StringLit)
    return decode_string(where.value.raw)


@given(st.text())
def test_quoted_text_round_trips(text: str) -> None:
    assert literal_of(quote(text)) == text


@given(st.text(alphabet=st.characters(max_codepoint=0xFFFF, exclude_categories=["Cs"])))
def test_fully_escaped_text_round_trips(text: str) -> None:
    assert literal_of(quote_all(text)) == text


@given(st.text(), st.text(min_size=1))
def test_like_with_escaped_wildcards_matches_only_that_text(text: str, extra: str) -> None:
    regex = like_regex(quote_like(text))
    assert regex.fullmatch(text)
    assert not regex.fullmatch(text + extra)


@FIXTURES
@given(st.text(min_size=1).filter(lambda t: t.strip() != ""))
def test_equality_on_an_escaped_literal_finds_the_record(
    compile_soql: Callable[..., Any], store: Any, text: str
) -> None:
    query = compile_soql(f"SELECT Id FROM Lead WHERE LastName = '{quote(text)}'")
    ctx = store.context()
    assert query.matches({"Id": "00Q000000000001AAA", "LastName": text}, ctx)
    assert not query.matches({"Id": "00Q000000000001AAA", "LastName": text + "x"}, ctx)


def reference_order(
    rows: list[dict[str, Any]], descending: bool, nulls_first: bool
) -> list[dict[str, Any]]:
    """Sort as Salesforce does, written plainly: nulls apart, then values, stable."""
    nulls = [r for r in rows if r.get("Score__c") is None]
    values = sorted(
        (r for r in rows if r.get("Score__c") is not None),
        key=lambda r: r["Score__c"],
        reverse=descending,
    )
    return nulls + values if nulls_first else values + nulls


@FIXTURES
@given(
    scores=st.lists(st.none() | st.integers(-5, 5), max_size=40),
    descending=st.booleans(),
    nulls=st.sampled_from(["", " NULLS FIRST", " NULLS LAST"]),
    limit=st.none() | st.integers(0, 12),
    offset=st.integers(0, 5),
)
def test_order_limit_offset_match_a_reference(
    compile_soql: Callable[..., Any],
    store: Any,
    scores: list[int | None],
    descending: bool,
    nulls: str,
    limit: int | None,
    offset: int,
) -> None:
    rows: list[dict[str, Any]] = []
    for n, score in enumerate(scores):
        row: dict[str, Any] = {"Id": f"00Q{n:015d}", "IsDeleted": False}
        if score is not None:
            row["Score__c"] = score
        rows.append(row)
    text = f"SELECT Id FROM Lead ORDER BY Score__c {'DESC' if descending else 'ASC'}{nulls}"
    if limit is not None:
        text += f" LIMIT {limit}"
    text += f" OFFSET {offset}"
    nulls_first = nulls == " NULLS FIRST" or (nulls == "" and not descending)
    expected = reference_order(rows, descending, nulls_first)
    end = None if limit is None else offset + limit
    got = compile_soql(text).run(rows, store.context())
    # Ties may come out in any order; compare the sort keys, then the chosen set for unique keys.
    assert [r.get("Score__c") for r in got] == [r.get("Score__c") for r in expected[offset:end]]


@given(
    st.datetimes(
        min_value=datetime(1971, 1, 1),
        max_value=datetime(2999, 12, 31),
        timezones=st.just(UTC),
    ),
    st.sampled_from(["LAST_N_DAYS", "NEXT_N_DAYS", "LAST_N_MONTHS", "NEXT_N_WEEKS"]),
    st.integers(0, 400),
)
def test_relative_ranges_are_non_empty_and_ordered(now: datetime, name: str, n: int) -> None:
    start, end = date_range(name, n, now)
    assert start <= end
    if name == "LAST_N_DAYS":
        assert (end - start).days == n + 1
        assert start <= now.date() < end


@given(
    st.datetimes(
        min_value=datetime(1971, 1, 1),
        max_value=datetime(2999, 12, 31),
        timezones=st.just(UTC),
    ),
    st.integers(-14 * 60, 14 * 60),
)
def test_datetime_literal_with_any_offset_normalizes_to_utc(moment: datetime, minutes: int) -> None:
    zone = timezone(timedelta(minutes=minutes))
    local = moment.astimezone(zone).replace(microsecond=0)
    sign = "-" if minutes < 0 else "+"
    hours, mins = divmod(abs(minutes), 60)
    literal = local.strftime("%Y-%m-%dT%H:%M:%S") + f"{sign}{hours:02d}:{mins:02d}"
    assert parse_datetime_literal(literal) == datetime_wire(local)
