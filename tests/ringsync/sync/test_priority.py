"""Table tests of the Lead/Contact priority, conversions and the create-object choice."""

from __future__ import annotations

import pytest

from ringsync.errors import ConfigError
from ringsync.mapping.catalog import SyncObject
from ringsync.sync.priority import (
    ConversionFollow,
    RecordRef,
    SkippedRecord,
    apply_priority,
    choose_primary,
    conversion_outcome,
    create_object,
    synced_objects,
)

PHONE = "+14155550100"
LEAD = RecordRef(SyncObject.LEAD, "00Q000000000001", PHONE)
CONTACT = RecordRef(SyncObject.CONTACT, "003000000000001", PHONE)


def test_lead_priority_skips_contact_with_same_phone() -> None:
    result = apply_priority([CONTACT, LEAD], "both", "Lead")
    assert result.kept == [LEAD]
    assert result.skipped == [
        SkippedRecord(CONTACT, "phone +1******0100 is also Lead 00Q000000000001; Lead priority")
    ]


def test_contact_priority_skips_lead_with_same_phone() -> None:
    result = apply_priority([LEAD, CONTACT], "both", "Contact")
    assert result.kept == [CONTACT]
    assert result.skipped == [
        SkippedRecord(LEAD, "phone +1******0100 is also Contact 003000000000001; Contact priority")
    ]


def test_records_with_different_phones_all_sync() -> None:
    other = RecordRef(SyncObject.CONTACT, "003000000000002", "+14155550199")
    result = apply_priority([LEAD, other], "both", "Lead")
    assert result.kept == [LEAD, other]
    assert result.skipped == []


def test_same_object_duplicates_keep_the_oldest_id() -> None:
    newer = RecordRef(SyncObject.LEAD, "00Q000000000009", PHONE)
    result = apply_priority([newer, LEAD, CONTACT], "both", "Lead")
    assert result.kept == [LEAD]
    assert {s.record.id: s.reason for s in result.skipped} == {
        "00Q000000000009": "phone +1******0100 is also Lead 00Q000000000001; oldest kept",
        "003000000000001": "phone +1******0100 is also Lead 00Q000000000001; Lead priority",
    }


def test_record_without_phone_is_kept() -> None:
    bare = RecordRef(SyncObject.LEAD, "00Q000000000003", None)
    assert apply_priority([bare], "leads", None).kept == [bare]


@pytest.mark.parametrize(
    ("mode", "kept", "skipped_reason"),
    [
        ("leads", LEAD, "Contact is not synced (object mode leads)"),
        ("contacts", CONTACT, "Lead is not synced (object mode contacts)"),
    ],
)
def test_single_object_mode_ignores_the_other_object(
    mode: str, kept: RecordRef, skipped_reason: str
) -> None:
    result = apply_priority([LEAD, CONTACT], mode, None)
    assert result.kept == [kept]
    assert [s.reason for s in result.skipped] == [skipped_reason]


def test_both_mode_without_priority_is_a_config_error() -> None:
    with pytest.raises(ConfigError, match="priority"):
        apply_priority([LEAD, CONTACT], "both", None)


CONVERTED = RecordRef(SyncObject.LEAD, "00Q000000000004", PHONE, True, "003000000000001")


def test_converted_lead_is_followed_when_contacts_sync() -> None:
    result = apply_priority([CONVERTED], "both", "Lead")
    assert result.follow == [ConversionFollow(CONVERTED, "003000000000001")]
    assert result.kept == []


def test_converted_lead_is_skipped_when_only_leads_sync() -> None:
    result = apply_priority([CONVERTED], "leads", None)
    assert result.skipped == [SkippedRecord(CONVERTED, "converted (Contacts are not synced)")]
    assert result.follow == []


def test_converted_lead_without_contact_is_skipped() -> None:
    odd = RecordRef(SyncObject.LEAD, "00Q000000000005", PHONE, True, None)
    assert conversion_outcome(odd, "both") == SkippedRecord(odd, "converted without a Contact")
    assert conversion_outcome(LEAD, "both") is None


def test_converted_lead_does_not_compete_for_its_phone() -> None:
    result = apply_priority([CONVERTED, CONTACT], "both", "Lead")
    assert result.kept == [CONTACT]
    assert result.skipped == []


@pytest.mark.parametrize(
    ("mode", "priority", "expected"),
    [
        ("leads", None, SyncObject.LEAD),
        ("leads", "Contact", SyncObject.LEAD),
        ("contacts", None, SyncObject.CONTACT),
        ("both", "Lead", SyncObject.LEAD),
        ("both", "Contact", SyncObject.CONTACT),
    ],
)
def test_create_object_is_the_priority_object(
    mode: str, priority: str | None, expected: SyncObject
) -> None:
    assert create_object(mode, priority) is expected


def test_unknown_mode_is_refused() -> None:
    with pytest.raises(ValueError, match="everything"):
        synced_objects("everything")


def test_choose_primary_without_priority_takes_smallest_id() -> None:
    other = RecordRef(SyncObject.CONTACT, "003000000000000", PHONE)
    assert choose_primary([CONTACT, other], None) is other
