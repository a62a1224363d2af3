"""Value conversion to and from Salesforce, per field type and refusal policy."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta, timezone
from decimal import Decimal
from typing import Any
from zoneinfo import ZoneInfo

import pytest

from ringsync.mapping.catalog import TooLongPolicy, ValueType
from ringsync.mapping.convert import (
    Conversion,
    Converted,
    Failed,
    Skipped,
    from_salesforce,
    to_salesforce,
    truncate_utf16,
    utf16_length,
)
from ringsync.mapping.fieldinfo import FieldInfo

T, S, F = TooLongPolicy.TRUNCATE, TooLongPolicy.SKIP_FIELD, TooLongPolicy.FAIL_RECORD
PDT = timezone(timedelta(hours=-7))
SEED_EVENT = datetime(2026, 3, 1, 8, 33, 16, tzinfo=PDT)


def fld(name: str, type_: str, **kw: Any) -> dict[str, Any]:
    return {"name": name, "type": type_, "nillable": True} | kw


TEXT3 = fld("Code__c", "string", length=3)
TEXT40 = fld("Last_Inbound_Call_Time__c", "string", length=40)
LONG = fld("Last_Inbound_Text__c", "textarea", length=32768)
STATUS = fld(
    "Status",
    "picklist",
    length=40,
    restrictedPicklist=True,
    picklistValues=[{"value": "Open", "active": True}, {"value": "Old", "active": False}],
)
SOURCE = fld("LeadSource", "picklist", length=5, picklistValues=[{"value": "Web"}])
MULTI = fld(
    "Tags__c",
    "multipicklist",
    length=255,
    restrictedPicklist=True,
    picklistValues=[{"value": "A"}, {"value": "B"}],
)
EMAIL = fld("Email", "email", length=80)
URL = fld("Website", "url", length=255)
PHONE = fld("Phone", "phone", length=40)
CHECK = fld("DNC__c", "boolean", nillable=False)
NUM = fld("Total_Inbound_Calls__c", "double", precision=18, scale=0)
MONEY = fld("Amount__c", "currency", precision=16, scale=2)
PCT = fld("Rate__c", "percent", precision=5, scale=2)
INT = fld("Count__c", "int", digits=9)
DATE = fld("Last_Inbound_Call_Date__c", "date")
DATETIME = fld("Last_Engagement__c", "datetime")
TIME = fld("Last_Outbound_Message_Time__c", "time")
OWNER = fld("OwnerId", "reference", nillable=False)
LAST = fld("LastName", "string", length=80, nillable=False)
ADDRESS = fld("Address", "address")

TOO_LONG = "Code__c: 6 characters exceed the field's length of 3"

OUTBOUND: list[tuple[str, Any, dict[str, Any], TooLongPolicy, Conversion]] = [
    ("text fits", "abc", TEXT3, F, Converted("abc")),
    ("text truncated", "abcdef", TEXT3, T, Converted("abc", f"{TOO_LONG}; truncated to 3")),
    ("text too long skipped", "abcdef", TEXT3, S, Skipped(TOO_LONG)),
    ("text too long fails", "abcdef", TEXT3, F, Failed(TOO_LONG)),
    ("emoji counts two", "ab😀", TEXT3, T,
     Converted("ab", "Code__c: 4 characters exceed the field's length of 3; truncated to 3")),
    ("long text area", "x" * 40000, LONG, T,
     Converted("x" * 32768, "Last_Inbound_Text__c: 40000 characters exceed the field's length of "
               "32768; truncated to 32768")),
    ("int as text", 42, TEXT3, F, Converted("42")),
    ("bool as text", True, fld("B", "string", length=5), F, Converted("true")),
    ("date as text", date(2026, 3, 1), TEXT40, F, Converted("2026-03-01")),
    ("aware time to Text(40)", time(8, 33, 16, tzinfo=PDT), TEXT40, F,
     Converted("08:33:16-07:00")),
    ("datetime as text keeps offset", SEED_EVENT, TEXT40, F,
     Converted("2026-03-01T08:33:16-07:00")),
    ("object cannot be text", object(), TEXT40, S,
     Skipped("Last_Inbound_Call_Time__c: a object cannot be written as text")),
    ("naive time as text refused", time(8, 33), TEXT40, S,
     Skipped("Last_Inbound_Call_Time__c: the value has no UTC offset; ringsync never guesses a "
             "time zone")),
    ("naive datetime as text refused", datetime(2026, 3, 1, 8, 33), TEXT40, F,
     Failed("Last_Inbound_Call_Time__c: the value has no UTC offset; ringsync never guesses a "
            "time zone")),
    ("restricted picklist ok", "Open", STATUS, F, Converted("Open")),
    ("restricted picklist refused", "Nope", STATUS, S,
     Skipped("Status: 'Nope' is not in the restricted picklist")),
    ("restricted picklist fails record", "Nope", STATUS, F,
     Failed("Status: 'Nope' is not in the restricted picklist")),
    ("inactive value refused", "Old", STATUS, T,
     Skipped("Status: 'Old' is not in the restricted picklist")),
    ("picklist case matters", "open", STATUS, S,
     Skipped("Status: 'open' is not in the restricted picklist")),
    ("unrestricted picklist free", "Event", SOURCE, F, Converted("Event")),
    ("unrestricted picklist length", "Webinar", SOURCE, T,
     Converted("Webin", "LeadSource: 7 characters exceed the field's length of 5; truncated to 5")),
    ("picklist needs text", 5, SOURCE, S, Skipped("LeadSource: a int is not a picklist value")),
    ("multipicklist list", ["A", "B"], MULTI, F, Converted("A;B")),
    ("multipicklist text", "B;A", MULTI, F, Converted("B;A")),
    ("multipicklist refused", ["A", "C"], MULTI, F,
     Failed("Tags__c: 'C' is not in the restricted picklist")),
    ("phone", "+14155550100", PHONE, F, Converted("+14155550100")),
    ("phone too long", "1" * 41, PHONE, S,
     Skipped("Phone: 41 characters exceed the field's length of 40")),
    ("email", " Ann@Example.co ", EMAIL, F, Converted("Ann@Example.co")),
    ("email bad", "ann@", EMAIL, S, Skipped("Email: not a valid email address")),
    ("email bad fails", "ann example.com", EMAIL, F, Failed("Email: not a valid email address")),
    ("url", " https://x.test/a?b=1 ", URL, F, Converted("https://x.test/a?b=1")),
    ("url with space", "https://x.test/a b", URL, S,
     Skipped("Website: a URL cannot contain spaces")),
    ("checkbox true", True, CHECK, F, Converted(True)),
    ("checkbox false", False, CHECK, F, Converted(False)),
    ("checkbox blank is false", None, CHECK, F,
     Converted(False, "DNC__c: blank written as false (checkbox)")),
    ("checkbox refuses 1", 1, CHECK, F,
     Failed("DNC__c: a checkbox needs true or false, not a int")),
    ("checkbox refuses yes", "yes", CHECK, S,
     Skipped("DNC__c: a checkbox needs true or false, not a str")),
    ("number", 3, NUM, F, Converted(3)),
    ("number rounds half up", 2.5, NUM, F,
     Converted(3, "Total_Inbound_Calls__c: rounded to 0 decimal places")),
    ("number too large", 10**18, NUM, S,
     Skipped("Total_Inbound_Calls__c: more than 18 digits before the point")),
    ("number refuses bool", True, NUM, F,
     Failed("Total_Inbound_Calls__c: a number field needs a number, not a bool")),
    ("number refuses text", "3", NUM, S,
     Skipped("Total_Inbound_Calls__c: a number field needs a number, not a str")),
    ("number refuses nan", float("nan"), NUM, F,
     Failed("Total_Inbound_Calls__c: not a finite number")),
    ("currency scale", 12.345, MONEY, F,
     Converted(12.35, "Amount__c: rounded to 2 decimal places")),
    ("currency decimal", Decimal("99999999999999.99"), MONEY, F, Converted(99999999999999.99)),
    ("currency too large", 10**14, MONEY, F,
     Failed("Amount__c: more than 14 digits before the point")),
    ("percent", 100.5, PCT, F, Converted(100.5)),
    ("int field", 5, INT, F, Converted(5)),
    ("int field digits", 10**9, INT, F, Failed("Count__c: more than 9 digits before the point")),
    ("date", date(2026, 3, 1), DATE, F, Converted("2026-03-01")),
    ("date of a late evening event keeps its own day",
     datetime(2026, 3, 1, 23, 30, tzinfo=PDT), DATE, F, Converted("2026-03-01")),
    ("date refuses naive datetime", datetime(2026, 3, 1, 23, 30), DATE, F,
     Failed("Last_Inbound_Call_Date__c: the value has no UTC offset; ringsync never guesses a "
            "time zone")),
    ("date refuses text", "2026-03-01", DATE, S,
     Skipped("Last_Inbound_Call_Date__c: a date field cannot take a str")),
    ("datetime is the UTC instant", SEED_EVENT, DATETIME, F, Converted("2026-03-01T15:33:16.000Z")),
    ("datetime keeps milliseconds", datetime(2026, 3, 1, 23, 30, 0, 123999, tzinfo=PDT),
     DATETIME, F, Converted("2026-03-02T06:30:00.123Z")),
    ("datetime refuses a date", date(2026, 3, 1), DATETIME, F,
     Failed("Last_Engagement__c: a datetime field cannot take a date")),
    ("seed time to Time is UTC", SEED_EVENT, TIME, F, Converted("15:33:16.000Z")),
    ("aware time to Time", time(8, 33, 16, tzinfo=PDT), TIME, F, Converted("15:33:16.000Z")),
    ("time wraps past midnight", time(20, 0, tzinfo=PDT), TIME, F, Converted("03:00:00.000Z")),
    ("time refuses naive", time(8, 33, 16), TIME, S,
     Skipped("Last_Outbound_Message_Time__c: the value has no UTC offset; ringsync never "
             "guesses a time zone")),
    ("time refuses offset seconds", time(8, 0, tzinfo=timezone(timedelta(seconds=30))), TIME, F,
     Failed("Last_Outbound_Message_Time__c: a UTC offset must be whole minutes")),
    ("owner id", "005000000000001AAA", OWNER, F, Converted("005000000000001AAA")),
    ("owner 15-char id", "005000000000001", OWNER, F, Converted("005000000000001")),
    ("owner bad id", "user-7", OWNER, F, Failed("OwnerId: not a Salesforce record id")),
    ("blank clears", None, TEXT40, F, Converted(None)),
    ("blank required skipped", None, LAST, S,
     Skipped("LastName: the field is required and cannot be blank")),
    ("blank required fails", None, OWNER, F,
     Failed("OwnerId: the field is required and cannot be blank")),
    ("compound address refused", "x", ADDRESS, S,
     Failed("Address: ringsync cannot write address fields")),
]  # fmt: skip


@pytest.mark.parametrize(
    ("value", "field", "policy", "expected"),
    [case[1:] for case in OUTBOUND],
    ids=[case[0] for case in OUTBOUND],
)
def test_to_salesforce(
    value: Any, field: dict[str, Any], policy: TooLongPolicy, expected: Conversion
) -> None:
    assert to_salesforce(value, field, policy) == expected


ZONED = datetime(2026, 7, 1, 8, 33, 16, tzinfo=ZoneInfo("America/Los_Angeles"))

BY_PROPERTY: list[tuple[str, Any, dict[str, Any], ValueType, Conversion]] = [
    ("seed time property to Text(40)", SEED_EVENT, TEXT40, ValueType.TIME,
     Converted("08:33:16-07:00")),
    ("seed time property to Time", SEED_EVENT, TIME, ValueType.TIME, Converted("15:33:16.000Z")),
    ("named zone time to Text(40)", ZONED, TEXT40, ValueType.TIME, Converted("08:33:16-07:00")),
    ("named zone time to Time", ZONED, TIME, ValueType.TIME, Converted("15:33:16.000Z")),
    ("date property from an event", datetime(2026, 3, 1, 23, 30, tzinfo=PDT), TEXT40,
     ValueType.DATE, Converted("2026-03-01")),
    ("datetime property to text keeps offset", SEED_EVENT, TEXT40, ValueType.DATETIME,
     Converted("2026-03-01T08:33:16-07:00")),
    ("naive time property refused", datetime(2026, 3, 1, 8, 0), TIME, ValueType.TIME,
     Failed("Last_Outbound_Message_Time__c: the value has no UTC offset; ringsync never guesses "
            "a time zone")),
]  # fmt: skip


@pytest.mark.parametrize(
    ("value", "field", "value_type", "expected"),
    [case[1:] for case in BY_PROPERTY],
    ids=[case[0] for case in BY_PROPERTY],
)
def test_to_salesforce_by_property_type(
    value: Any, field: dict[str, Any], value_type: ValueType, expected: Conversion
) -> None:
    assert to_salesforce(value, field, F, value_type) == expected


def test_to_salesforce_accepts_a_field_info_and_defaults_to_truncate() -> None:
    info = FieldInfo.from_describe(TEXT3)
    assert to_salesforce("abcdef", info) == to_salesforce("abcdef", TEXT3, T)


INBOUND: list[tuple[str, Any, dict[str, Any], ValueType, Conversion]] = [
    ("text", "Ann", fld("FirstName", "string"), ValueType.TEXT, Converted("Ann")),
    ("null", None, DATE, ValueType.DATE, Converted(None)),
    ("checkbox", True, CHECK, ValueType.BOOL, Converted(True)),
    ("checkbox from text", " TRUE ", TEXT40, ValueType.BOOL, Converted(True)),
    ("checkbox from bad text", "maybe", TEXT40, ValueType.BOOL,
     Failed("Last_Inbound_Call_Time__c: expected true or false")),
    ("number 18,0 arrives as float", 3.0, NUM, ValueType.INT, Converted(3)),
    ("number int", 7, INT, ValueType.INT, Converted(7)),
    ("number fraction refused", 2.5, NUM, ValueType.INT,
     Failed("Total_Inbound_Calls__c: expected a whole number")),
    ("number from text", "12", TEXT40, ValueType.INT, Converted(12)),
    ("number from bad text", "twelve", TEXT40, ValueType.INT,
     Failed("Last_Inbound_Call_Time__c: expected a whole number")),
    ("number refuses bool", True, NUM, ValueType.INT,
     Failed("Total_Inbound_Calls__c: expected a number, got a bool")),
    ("date", "2026-03-01", DATE, ValueType.DATE, Converted(date(2026, 3, 1))),
    ("bad date", "03/01/2026", DATE, ValueType.DATE,
     Failed("Last_Inbound_Call_Date__c: not a date: '03/01/2026'")),
    ("date must be text", 20260301, DATE, ValueType.DATE,
     Failed("Last_Inbound_Call_Date__c: expected text for a date, got a int")),
    ("datetime +0000", "2026-03-01T15:33:16.000+0000", DATETIME, ValueType.DATETIME,
     Converted(datetime(2026, 3, 1, 15, 33, 16, tzinfo=UTC))),
    ("datetime Z", "2026-03-01T15:33:16Z", DATETIME, ValueType.DATETIME,
     Converted(datetime(2026, 3, 1, 15, 33, 16, tzinfo=UTC))),
    ("bad datetime", "2026-03-01 15:33", DATETIME, ValueType.DATETIME,
     Failed("Last_Engagement__c: not a date-time with an offset: '2026-03-01 15:33'")),
    ("seed Time back", "15:33:16.000Z", TIME, ValueType.TIME,
     Converted(time(15, 33, 16, tzinfo=UTC))),
    ("seed Text(40) back", "08:33:16-07:00", TEXT40, ValueType.TIME,
     Converted(time(8, 33, 16, tzinfo=PDT))),
    ("naive time refused", "08:33:16", TEXT40, ValueType.TIME,
     Failed("Last_Inbound_Call_Time__c: not a time with an offset: '08:33:16'")),
    ("text from number", 42.0, NUM, ValueType.TEXT, Converted("42")),
    ("text from checkbox", False, CHECK, ValueType.TEXT, Converted("false")),
    ("text from list refused", ["a"], TEXT40, ValueType.TEXT,
     Failed("Last_Inbound_Call_Time__c: cannot read a list as text")),
    ("owner", "005000000000001AAA", OWNER, ValueType.REFERENCE, Converted("005000000000001AAA")),
]  # fmt: skip


@pytest.mark.parametrize(
    ("raw", "field", "value_type", "expected"),
    [case[1:] for case in INBOUND],
    ids=[case[0] for case in INBOUND],
)
def test_from_salesforce(
    raw: Any, field: dict[str, Any], value_type: ValueType, expected: Conversion
) -> None:
    assert from_salesforce(raw, field, value_type) == expected


def test_the_seed_time_example_both_ways() -> None:
    sent = to_salesforce(SEED_EVENT, TIME, value_type=ValueType.TIME)
    assert sent == Converted("15:33:16.000Z")
    back = from_salesforce("15:33:16.000Z", TIME, ValueType.TIME)
    assert isinstance(back, Converted)
    assert back.value == SEED_EVENT.timetz()  # same instant of the day, now in UTC
    assert back.value.utcoffset() == timedelta(0)
    as_text = to_salesforce(SEED_EVENT, TEXT40, value_type=ValueType.TIME)
    assert as_text == Converted("08:33:16-07:00")
    text_back = from_salesforce("08:33:16-07:00", TEXT40, ValueType.TIME)
    assert isinstance(text_back, Converted)
    assert text_back.value.utcoffset() == timedelta(hours=-7)  # the original offset survives


@pytest.mark.parametrize(
    ("text", "units", "cut_to_3"),
    [("abc", 3, "abc"), ("😀", 2, "😀"), ("a😀b", 4, "a😀"), ("ab😀", 4, "ab"), ("é", 1, "é")],
)
def test_utf16_counting(text: str, units: int, cut_to_3: str) -> None:
    assert utf16_length(text) == units
    assert truncate_utf16(text, 3) == cut_to_3


def test_field_info_reads_only_active_picklist_values() -> None:
    info = FieldInfo.from_describe(STATUS)
    assert info.picklist_values == ("Open",)
    assert info.restricted_picklist
    assert FieldInfo.from_describe({"name": "X"}).type == "string"


@pytest.mark.parametrize(
    ("field", "text"),
    [
        (TEXT40, "Text(40)"),
        (LONG, "Long Text Area(32768)"),
        (fld("D", "textarea", length=255), "Text Area(255)"),
        (NUM, "Number(18, 0)"),
        (MONEY, "Currency(16, 2)"),
        (CHECK, "Checkbox"),
        (DATETIME, "Date/Time"),
        (URL | {"length": 255}, "URL(255)"),
        (OWNER, "Lookup"),
        (fld("G", "geolocation"), "geolocation"),
    ],
)
def test_type_text_matches_setup_wording(field: dict[str, Any], text: str) -> None:
    assert FieldInfo.from_describe(field).type_text == text
