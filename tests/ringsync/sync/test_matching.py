"""Table tests of record-to-contact matching and the phone spellings searched before a create."""

from __future__ import annotations

import pytest
from hypothesis import assume, given
from hypothesis import strategies as st

from ringsync.domain.phones import try_normalize
from ringsync.sync.matching import (
    Ambiguous,
    ContactIndex,
    LinkedElsewhere,
    Matched,
    MatchedBy,
    NoMatch,
    match_record,
    phone_search_formats,
)


def _e164(raw: str) -> str | None:
    found = try_normalize(raw)
    return found.e164 if found else None


INDEX = ContactIndex.build(
    links={"00Q000000000001": "c1"},
    contact_phones={
        "c1": ["+14155550100"],
        "c2": ["+14155550111"],
        "c3": ["+14155550122"],
        "c4": ["+14155550122"],
    },
)


def test_link_wins_over_phone() -> None:
    found = match_record("00Q000000000001", [("Phone", "415 555 0111")], INDEX, _e164)
    assert found == Matched("c1", MatchedBy.LINK)


def test_match_by_normalized_phone() -> None:
    found = match_record("00Q000000000002", [("Phone", "(415) 555-0111")], INDEX, _e164)
    assert found == Matched("c2", MatchedBy.PHONE, "Phone")


def test_match_by_mobile_phone_when_phone_does_not_match() -> None:
    phones = [("Phone", "+1 212 555 0199"), ("MobilePhone", "415.555.0111")]
    found = match_record("00Q000000000002", phones, INDEX, _e164)
    assert found == Matched("c2", MatchedBy.OTHER_PHONE, "MobilePhone")


def test_other_phones_can_be_turned_off() -> None:
    phones = [("Phone", "+1 212 555 0199"), ("MobilePhone", "415.555.0111")]
    found = match_record("00Q000000000002", phones, INDEX, _e164, other_phones=False)
    assert found == NoMatch("+12125550199")


def test_shared_phone_is_ambiguous() -> None:
    found = match_record("00Q000000000002", [("Phone", "4155550122")], INDEX, _e164)
    assert found == Ambiguous(("c3", "c4"), "phone +1******0122 (Phone) matches 2 contacts")


def test_contact_linked_to_another_record_is_reported() -> None:
    found = match_record("003000000000009", [("Phone", "+14155550100")], INDEX, _e164)
    assert found == LinkedElsewhere("c1", "00Q000000000001", "+14155550100")


@pytest.mark.parametrize("raw", [None, "", "   ", "not a phone", 42])
def test_unusable_phone_is_no_match_without_phone(raw: object) -> None:
    assert match_record("00Q000000000002", [("Phone", raw)], INDEX, _e164) == NoMatch(None)


def test_no_match_carries_the_normalized_phone() -> None:
    found = match_record("00Q000000000002", [("Phone", "212-555-0199")], INDEX, _e164)
    assert found == NoMatch("+12125550199")


def test_phone_search_formats_for_a_north_american_number() -> None:
    formats = phone_search_formats("+14155550100")
    for spelling in (
        "(415) 555-0100",
        "+1 415-555-0100",
        "4155550100",
        "+14155550100",
        "415-555-0100",
        "415.555.0100",
        "1 (415) 555-0100",
    ):
        assert spelling in formats
    assert len(formats) == len(set(formats))
    assert all(_e164(f) == "+14155550100" for f in formats)


def test_phone_search_formats_for_an_international_number() -> None:
    assert phone_search_formats("+442079460958") == (
        "+442079460958",
        "442079460958",
        "+44 20 7946 0958",
        "020 7946 0958",
        "02079460958",
    )


@given(exchange=st.integers(200, 999), line=st.integers(0, 9999))
def test_every_searched_spelling_is_the_same_number(exchange: int, line: int) -> None:
    e164 = f"+1415{exchange:03d}{line:04d}"
    assume(_e164(e164) == e164)
    formats = phone_search_formats(e164)
    assert len(formats) == 10
    assert {_e164(f) for f in formats} == {e164}
