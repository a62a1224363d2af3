"""Tests of value normalization and record fingerprints."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta, timezone
from decimal import Decimal

import pytest

from ringsync.domain.phones import try_normalize
from ringsync.sync.fingerprint import (
    ValueNormalizer,
    canonical_json,
    default_normalizer,
    fingerprint,
)


def _e164(raw: str) -> str | None:
    found = try_normalize(raw)
    return found.e164 if found else None


NORM = ValueNormalizer(phone=_e164)
PACIFIC = timezone(timedelta(hours=-7))


@pytest.mark.parametrize(
    ("prop", "left", "right"),
    [
        ("first_name", "  Ada ", "Ada"),
        ("first_name", "", None),
        ("first_name", "   ", None),
        ("phone", "(415) 555-0100", "+14155550100"),
        ("mobile_phone", "415.555.0100", "+1 415-555-0100"),
        ("total_inbound_calls", 3, 3.0),
        ("total_inbound_calls", Decimal("3.00"), 3),
        ("last_engagement_at", datetime(2026, 3, 1, 15, 33, 16, 900, tzinfo=UTC),
         datetime(2026, 3, 1, 8, 33, 16, tzinfo=PACIFIC)),
        ("last_outbound_message_time", time(8, 33, 16, tzinfo=PACIFIC),
         time(15, 33, 16, tzinfo=UTC)),
        ("last_inbound_text_date", date(2026, 3, 1), date(2026, 3, 1)),
    ],
)  # fmt: skip
def test_equal_meaning_compares_equal(prop: str, left: object, right: object) -> None:
    assert NORM.equal(prop, left, right)


@pytest.mark.parametrize(
    ("prop", "left", "right"),
    [
        ("first_name", "Ada", "ada"),
        ("total_inbound_calls", 3, 3.5),
        ("dnc", True, 1.5),
        ("dnc", False, None),
        ("first_name", "(415) 555-0100", "+14155550100"),  # not a phone property: text
        ("last_engagement_at", datetime(2026, 3, 1, 15, 33, 16, tzinfo=UTC),
         datetime(2026, 3, 1, 15, 33, 17, tzinfo=UTC)),
        ("last_inbound_text_date", date(2026, 3, 1), "2026-03-01"),
    ],
)  # fmt: skip
def test_different_meaning_compares_different(prop: str, left: object, right: object) -> None:
    assert not NORM.equal(prop, left, right)


def test_naive_datetime_is_refused_with_the_property_name() -> None:
    with pytest.raises(ValueError, match="last_engagement_at: a date-time must carry a time zone"):
        NORM.canonical("last_engagement_at", datetime(2026, 3, 1, 12, 0))


def test_unreadable_phone_compares_as_text() -> None:
    assert NORM.canonical("phone", " not a phone ") == "not a phone"


def test_fingerprint_is_blake2b_128_hex_and_ignores_key_order_and_blanks() -> None:
    one = fingerprint({"first_name": "Ada", "last_name": "Lovelace", "city": ""}, NORM)
    two = fingerprint({"last_name": " Lovelace", "first_name": "Ada"}, NORM)
    assert one == two
    assert len(one) == 32
    int(one, 16)


def test_fingerprint_changes_with_any_value() -> None:
    assert fingerprint({"first_name": "Ada"}, NORM) != fingerprint({"first_name": "Ida"}, NORM)
    assert fingerprint({"dnc": True}, NORM) != fingerprint({"dnc": 1}, NORM)


def test_fingerprint_is_stable_across_runs() -> None:
    values = {
        "phone": "(415) 555-0100",
        "total_inbound_calls": 3.0,
        "last_engagement_at": datetime(2026, 3, 1, 8, 33, 16, tzinfo=PACIFIC),
    }
    assert canonical_json(values, NORM) == (
        '{"last_engagement_at":{"datetime":"2026-03-01T15:33:16+00:00"},'
        '"phone":"+14155550100","total_inbound_calls":3}'
    )
    assert fingerprint(values, NORM) == "178f4dc2e62c6dbe8f77382bc3a16784"


def test_default_normalizer_uses_the_account_region() -> None:
    london = default_normalizer("GB")
    assert london.canonical("phone", "020 7946 0958") == "+442079460958"
    assert default_normalizer().canonical("phone", "(415) 555-0100") == "+14155550100"
