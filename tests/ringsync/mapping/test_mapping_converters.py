"""Converters bound to a describe: each default row converts by its own field, policy and type."""

from __future__ import annotations

from datetime import date, datetime, time, timedelta, timezone
from typing import Any

from ringsync.mapping.catalog import FieldMapping, SyncObject, default_mapping
from ringsync.mapping.convert import Converted, Failed, Skipped
from ringsync.mapping.converters import inbound_converter, outbound_converter

PDT = timezone(timedelta(hours=-7))
EVENT = datetime(2026, 3, 1, 8, 33, 16, tzinfo=PDT)
ROWS = {r.ringsync_property: r for r in default_mapping(SyncObject.LEAD)}


def test_outbound_uses_each_rows_field_type_and_policy(lead_describe: dict[str, Any]) -> None:
    convert = outbound_converter(lead_describe)
    assert convert(ROWS["last_inbound_call_time"], EVENT) == Converted("08:33:16-07:00")
    assert convert(ROWS["last_outbound_message_time"], EVENT) == Converted("15:33:16.000Z")
    assert convert(ROWS["last_inbound_call_date"], EVENT) == Converted("2026-03-01")
    assert convert(ROWS["last_engagement_at"], EVENT) == Converted("2026-03-01T15:33:16.000Z")
    assert convert(ROWS["total_inbound_calls"], 4) == Converted(4)
    assert convert(ROWS["dnc"], True) == Converted(True)
    # contact_id is an external id: too long fails the record instead of being cut
    assert convert(ROWS["contact_id"], "x" * 41) == Failed(
        "Ringsync_Contact_ID__c: 41 characters exceed the field's length of 40"
    )
    assert convert(ROWS["website"], "https://a b") == Skipped(
        "Website: a URL cannot contain spaces"
    )


def test_inbound_reads_each_row_as_its_property_type(lead_describe: dict[str, Any]) -> None:
    convert = inbound_converter(lead_describe)
    assert convert(ROWS["total_inbound_calls"], 4.0) == Converted(4)
    assert convert(ROWS["last_inbound_call_date"], "2026-03-01") == Converted(date(2026, 3, 1))
    assert convert(ROWS["last_outbound_message_time"], "15:33:16.000Z") == Converted(
        time(8, 33, 16, tzinfo=PDT)
    )
    assert convert(ROWS["first_name"], "Ann") == Converted("Ann")


def test_a_row_missing_from_the_describe_fails_clearly(lead_describe: dict[str, Any]) -> None:
    gone = FieldMapping("custom_field_1", "Gone__c", "Gone", "Text(10)", ROWS["dnc"].kind,
                        ROWS["dnc"].direction)  # fmt: skip
    unknown = FieldMapping("vip", "Notes__c", "Notes", "Text(10)", ROWS["dnc"].kind,
                           ROWS["dnc"].direction)  # fmt: skip
    for convert in (outbound_converter(lead_describe), inbound_converter(lead_describe)):
        assert convert(gone, "x") == Failed("Gone__c: the field is not in the object's describe")
        assert convert(unknown, "x") == Failed("Notes__c: unknown ringsync property")
