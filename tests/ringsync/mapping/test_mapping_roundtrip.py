"""Round trips: a value sent to Salesforce and read back is the value we started with."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta, timezone
from typing import Any

from hypothesis import given
from hypothesis import strategies as st

from ringsync.mapping.catalog import ValueType
from ringsync.mapping.convert import Converted, from_salesforce, to_salesforce, utf16_length
from ringsync.mapping.timezone import parse_datetime, parse_time, time_to_text

TEXT = {"name": "Custom_Field_1__c", "type": "string", "length": 255}
TEXT40 = {"name": "Last_Inbound_Call_Time__c", "type": "string", "length": 40}
LONG = {"name": "Last_Inbound_Text__c", "type": "textarea", "length": 32768}
NUMBER = {"name": "Total_Inbound_Calls__c", "type": "double", "precision": 18, "scale": 0}
CHECK = {"name": "DNC__c", "type": "boolean", "nillable": False}
DATE = {"name": "Last_Inbound_Call_Date__c", "type": "date"}
DATETIME = {"name": "Last_Engagement__c", "type": "datetime"}
TIME = {"name": "Last_Outbound_Message_Time__c", "type": "time"}

offsets = st.integers(min_value=-14 * 60 + 1, max_value=14 * 60 - 1).map(
    lambda minutes: timezone(timedelta(minutes=minutes))
)
instants = st.datetimes(
    min_value=datetime(1900, 1, 2),
    max_value=datetime(9998, 12, 30),
    timezones=offsets,
)


def _there_and_back(value: Any, field: dict[str, Any], value_type: ValueType) -> Any:
    sent = to_salesforce(value, field, value_type=value_type)
    assert isinstance(sent, Converted), sent
    back = from_salesforce(sent.value, field, value_type)
    assert isinstance(back, Converted), back
    return back.value


@given(st.text(max_size=255).filter(lambda t: utf16_length(t) <= 255))
def test_text_within_length_round_trips(text: str) -> None:
    assert _there_and_back(text, TEXT, ValueType.TEXT) == text


@given(st.text(min_size=1, max_size=400))
def test_text_is_never_longer_than_the_field(text: str) -> None:
    sent = to_salesforce(text, TEXT)
    assert isinstance(sent, Converted)
    assert utf16_length(sent.value) <= 255
    assert text.startswith(sent.value)


@given(st.integers(min_value=-(10**18) + 1, max_value=10**18 - 1))
def test_whole_numbers_round_trip(number: int) -> None:
    assert _there_and_back(number, NUMBER, ValueType.INT) == number


@given(st.integers(min_value=-(10**18) + 1, max_value=10**18 - 1))
def test_whole_numbers_round_trip_through_json_floats(number: int) -> None:
    sent = to_salesforce(number, NUMBER)
    assert isinstance(sent, Converted)
    if abs(number) < 2**53:  # Salesforce answers Number fields as JSON doubles
        assert from_salesforce(float(sent.value), NUMBER, ValueType.INT) == Converted(number)


@given(st.booleans())
def test_booleans_round_trip(flag: bool) -> None:
    assert _there_and_back(flag, CHECK, ValueType.BOOL) is flag


@given(st.dates())
def test_dates_round_trip(day: date) -> None:
    assert _there_and_back(day, DATE, ValueType.DATE) == day


@given(instants)
def test_event_dates_keep_the_callers_calendar_day(event: datetime) -> None:
    assert _there_and_back(event, DATE, ValueType.DATE) == event.date()


@given(instants)
def test_datetimes_round_trip_to_the_millisecond(event: datetime) -> None:
    back = _there_and_back(event, DATETIME, ValueType.DATETIME)
    assert back.utcoffset() == timedelta(0)
    assert back == event.replace(microsecond=event.microsecond // 1000 * 1000)


@given(instants.map(lambda e: e.replace(microsecond=0)))
def test_times_with_offsets_round_trip_through_text40(event: datetime) -> None:
    back = _there_and_back(event, TEXT40, ValueType.TIME)
    assert back == event.timetz()
    assert (
        back.utcoffset() == event.utcoffset()
    )  # the original offset is kept, not just the instant
    assert len(time_to_text(event)) <= 40


@given(instants)
def test_times_round_trip_through_a_time_field_as_utc(event: datetime) -> None:
    back = _there_and_back(event, TIME, ValueType.TIME)
    utc = event.astimezone(UTC)
    assert back == time(utc.hour, utc.minute, utc.second, utc.microsecond // 1000 * 1000, UTC)


@given(instants)
def test_parsers_accept_both_salesforce_offset_spellings(event: datetime) -> None:
    utc = event.astimezone(UTC).replace(microsecond=0)
    assert parse_datetime(f"{utc:%Y-%m-%dT%H:%M:%S}.000+0000") == utc
    assert parse_datetime(f"{utc:%Y-%m-%dT%H:%M:%S}Z") == utc
    assert parse_time(f"{utc:%H:%M:%S}.000+00:00") == utc.timetz()


FIELD_TYPES = ["string", "textarea", "phone", "email", "url", "picklist", "multipicklist",
               "boolean", "int", "double", "currency", "percent", "date", "datetime", "time",
               "reference", "address", "combobox"]  # fmt: skip
anything = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(),
    st.floats(),
    st.decimals(),
    st.text(max_size=50),
    st.dates(),
    st.datetimes(),
    st.times(),
    instants,
    st.lists(st.text(max_size=5), max_size=3),
)


@given(
    value=anything,
    field_type=st.sampled_from(FIELD_TYPES),
    length=st.integers(min_value=0, max_value=20),
    value_type=st.none() | st.sampled_from(list(ValueType)),
)
def test_conversion_never_raises(
    value: Any, field_type: str, length: int, value_type: ValueType | None
) -> None:
    field = {"name": "X__c", "type": field_type, "length": length, "precision": 18, "scale": 2,
             "restrictedPicklist": True, "picklistValues": [{"value": "A"}]}  # fmt: skip
    sent = to_salesforce(value, field, value_type=value_type)
    assert type(sent).__name__ in {"Converted", "Skipped", "Failed"}
    if value_type is not None:
        back = from_salesforce(value, field, value_type)
        assert type(back).__name__ in {"Converted", "Failed"}
