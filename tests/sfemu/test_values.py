"""Value coercion per field type: wire formats, leniency, and Salesforce-worded failures."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta, timezone

import pytest
from hypothesis import given
from hypothesis import strategies as st

from sfemu.errors import SalesforceError
from sfemu.object_fields import make_field, picklist
from sfemu.schema import FieldDef
from sfemu.values import coerce, format_datetime, parse_wire_datetime

DT = make_field("When__c", "datetime", "When")
D = make_field("Day__c", "date", "Day")
T = make_field("At__c", "time", "At")
B = make_field("Flag__c", "boolean", "Flag")
I = make_field("Count__c", "int", "Count", digits=3)  # noqa: E741 - short table name
N = make_field("Amount__c", "double", "Amount", precision=5, scale=2)
S = make_field("Code__c", "string", "Code", length=5)
E = make_field("Email", "email", "Email", length=80)
P = make_field("Tier__c", "picklist", "Tier", picklist_values=picklist(("Gold", "Silver")))
RP = make_field(
    "Grade__c", "picklist", "Grade", picklist_values=picklist(("A", "B")), restricted_picklist=True
)
MP = make_field(
    "Tags__c",
    "multipicklist",
    "Tags",
    picklist_values=picklist(("x", "y")),
    restricted_picklist=True,
)


def _error(field: FieldDef, value: object) -> SalesforceError:
    with pytest.raises(SalesforceError) as info:
        coerce(field, value)
    return info.value


@pytest.mark.parametrize(
    ("raw", "wire"),
    [
        ("2024-03-05T10:20:30Z", "2024-03-05T10:20:30.000+0000"),
        ("2024-03-05T10:20:30.789Z", "2024-03-05T10:20:30.000+0000"),
        ("2024-03-05T10:20:30+0000", "2024-03-05T10:20:30.000+0000"),
        ("2024-03-05T10:20:30.000+0000", "2024-03-05T10:20:30.000+0000"),
        ("2024-03-05T03:20:30-07:00", "2024-03-05T10:20:30.000+0000"),
        ("2024-03-05T23:20:30-0700", "2024-03-06T06:20:30.000+0000"),
        ("2024-03-05T10:20:30+05:30", "2024-03-05T04:50:30.000+0000"),
        ("2024-03-05T10:20:30", "2024-03-05T10:20:30.000+0000"),
        (datetime(2024, 3, 5, 10, 20, 30, 999_000, tzinfo=UTC), "2024-03-05T10:20:30.000+0000"),
    ],
)
def test_datetimes_are_stored_in_utc_whole_seconds(raw: object, wire: str) -> None:
    assert coerce(DT, raw) == wire


@pytest.mark.parametrize("raw", ["2024-13-01T00:00:00Z", "yesterday", "2024-03-05", 5, True, {}])
def test_bad_datetimes_fail_as_json_parser_errors(raw: object) -> None:
    err = _error(DT, raw)
    assert err.error_code == "JSON_PARSER_ERROR"
    assert "Cannot deserialize instance of datetime" in err.message


def test_dates_and_times() -> None:
    assert coerce(D, "2024-02-29") == "2024-02-29"
    assert coerce(D, date(2024, 1, 2)) == "2024-01-02"
    assert _error(D, "2023-02-29").error_code == "JSON_PARSER_ERROR"
    assert _error(D, "2024-01-02T00:00:00Z").error_code == "JSON_PARSER_ERROR"
    assert coerce(T, "15:33:16Z") == "15:33:16.000Z"
    assert coerce(T, "15:33:16.5Z") == "15:33:16.500Z"
    assert coerce(T, "08:33:16-07:00") == "15:33:16.000Z"
    assert coerce(T, "23:30:00-02:00") == "01:30:00.000Z"
    assert _error(T, "25:00:00Z").error_code == "JSON_PARSER_ERROR"


def test_booleans_never_null_and_accept_strings() -> None:
    assert coerce(B, None) is False
    assert coerce(B, "TRUE") is True
    assert coerce(B, "false") is False
    assert coerce(B, True) is True
    err = _error(B, "yes")
    assert err.error_code == "JSON_PARSER_ERROR"
    assert err.message == (
        "Cannot deserialize instance of boolean from VALUE_STRING value yes "
        "or request may be missing a required field"
    )


def test_numbers() -> None:
    assert coerce(I, "42") == 42
    assert coerce(I, 42.0) == 42
    assert coerce(N, "12.345") == 12.35
    assert coerce(N, 7) == 7.0
    assert coerce(N, "") is None
    assert _error(I, 4.5).error_code == "JSON_PARSER_ERROR"
    assert _error(I, True).error_code == "JSON_PARSER_ERROR"
    assert _error(N, "abc").error_code == "JSON_PARSER_ERROR"
    err = _error(I, 1000)
    assert err.error_code == "NUMBER_OUTSIDE_VALID_RANGE"
    assert err.message == "Count: value outside of valid range on numeric field: 1000"
    assert _error(N, 1000.0).error_code == "NUMBER_OUTSIDE_VALID_RANGE"


def test_text_length_and_empty_string_is_null() -> None:
    assert coerce(S, "abcde") == "abcde"
    assert coerce(S, 123) == "123"
    assert coerce(S, "") is None
    err = _error(S, "abcdef")
    assert err.error_code == "STRING_TOO_LONG"
    assert err.message == "Code: data value too large: abcdef (max length=5)"
    assert err.fields == ["Code__c"]
    assert _error(S, ["a"]).error_code == "JSON_PARSER_ERROR"


def test_email_syntax() -> None:
    assert coerce(E, "a.b+c@example.co.uk") == "a.b+c@example.co.uk"
    for bad in ("nope", "a@b", "a b@example.com", "@example.com"):
        err = _error(E, bad)
        assert err.error_code == "INVALID_EMAIL_ADDRESS"
        assert err.message == f"Email: invalid email address: {bad}"
        assert err.fields == ["Email"]


def test_picklists() -> None:
    assert coerce(P, "Platinum") == "Platinum"  # unrestricted: anything goes
    assert coerce(P, "gold") == "Gold"  # canonical spelling kept
    assert coerce(RP, "a") == "A"
    err = _error(RP, "Z")
    assert err.error_code == "INVALID_OR_NULL_FOR_RESTRICTED_PICKLIST"
    assert err.message == "Grade: bad value for restricted picklist field: Z"
    assert coerce(MP, "x;Y") == "x;y"
    assert _error(MP, "x;q").error_code == "INVALID_OR_NULL_FOR_RESTRICTED_PICKLIST"


def test_format_datetime_requires_aware_values() -> None:
    with pytest.raises(ValueError, match="naive"):
        format_datetime(datetime(2024, 1, 1))


@given(
    st.datetimes(
        min_value=datetime(1971, 1, 1),
        max_value=datetime(2999, 12, 31),
        timezones=st.just(UTC),
    ),
    st.integers(min_value=-14 * 60, max_value=14 * 60),
)
def test_any_offset_spelling_lands_on_the_same_utc_second(
    moment: datetime, offset_min: int
) -> None:
    local = moment.astimezone(timezone(timedelta(minutes=offset_min)))
    sign = "+" if offset_min >= 0 else "-"
    hh, mm = divmod(abs(offset_min), 60)
    text = local.strftime("%Y-%m-%dT%H:%M:%S") + f".123{sign}{hh:02d}:{mm:02d}"
    wire = coerce(DT, text)
    assert wire == format_datetime(moment)
    assert parse_wire_datetime(wire) == moment.replace(microsecond=0)
