"""Writes of unknown outcome: a value read back that we sent is our echo, not a Salesforce edit."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone
from decimal import ROUND_HALF_UP, Decimal

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from ringsync.mapping.catalog import SyncObject, default_mapping
from ringsync.salesforce.describe import SObjectDescribe
from ringsync.sync.fingerprint import default_normalizer
from ringsync.sync.inbound import stored_form
from ringsync.sync.merge import add_in_flight, in_flight_echoes
from ringsync.sync.records import ReadSchema, read_schema

NORM = default_normalizer("US")


def test_a_value_read_back_that_we_sent_with_an_unknown_outcome_is_our_echo() -> None:
    echoes = in_flight_echoes(
        {"city": "Firsttown", "first_name": "Ann"},
        {"city": "Oldtown", "first_name": "Ann"},
        {"city": ["Firsttown"]},
        NORM,
    )
    assert echoes == {"city": "Firsttown"}


def test_any_of_several_values_sent_counts_and_the_normalizer_decides_equality() -> None:
    sent = {"city": ["Firsttown", "Secondtown"]}
    assert in_flight_echoes({"city": "Secondtown "}, {"city": "Oldtown"}, sent, NORM) == {
        "city": "Secondtown "
    }


def test_a_value_we_did_not_send_is_a_salesforce_edit() -> None:
    assert in_flight_echoes({"city": "Repstown"}, {"city": "Oldtown"}, {"city": ["X"]}, NORM) == {}


def test_a_value_equal_to_the_base_or_a_field_not_read_needs_no_echo() -> None:
    sent = {"city": ["Oldtown"], "last_name": ["Lee"]}
    assert in_flight_echoes({"city": "Oldtown"}, {"city": "Oldtown"}, sent, NORM) == {}


def test_a_first_value_without_a_base_still_counts_as_ours() -> None:
    assert in_flight_echoes({"city": "Firsttown"}, {}, {"city": ["Firsttown"]}, NORM) == {
        "city": "Firsttown"
    }


def test_adding_a_write_keeps_every_value_sent_once_and_leaves_the_input_alone() -> None:
    before = {"city": ["Firsttown"]}
    after = add_in_flight(before, {"city": "Secondtown", "first_name": None})
    again = add_in_flight(after, {"city": "Firsttown"})
    assert after == {"city": ["Firsttown", "Secondtown"], "first_name": [None]}
    assert again == after
    assert before == {"city": ["Firsttown"]}


# --- defect L: a value Salesforce stores in another form than we sent it --------------------

LENGTH = 40


def _cut(prop: str, value: object) -> object:
    """Store text cut to ``LENGTH`` characters, as a Text(40) field under ``truncate``."""
    return value[:LENGTH] if isinstance(value, str) else value


def _stored(prop: str, value: object) -> object:
    """A describe stand-in: cut text, a Number(18, 2), a picklist defined as ``Web``."""
    if prop == "score" and isinstance(value, float):
        return float(Decimal(str(value)).quantize(Decimal("0.01"), rounding=ROUND_HALF_UP))
    if prop == "lead_source" and isinstance(value, str) and value.lower() == "web":
        return "Web"
    return _cut(prop, value)


LONG = "Llanfairpwllgwyngyllgogerychwyrndrobwllllantysiliogogogoch"


@pytest.mark.parametrize(
    ("prop", "read", "sent"),
    [
        pytest.param("city", LONG[:LENGTH], LONG, id="text-cut-to-the-field-length"),
        pytest.param("score", 12.35, 12.345, id="number-rounded-to-the-scale"),
        pytest.param("score", 3.0, 2.999, id="number-rounded-up-to-a-whole"),
        pytest.param("lead_source", "Web", "web", id="picklist-in-its-defined-case"),
    ],
)
def test_a_value_read_back_in_the_form_salesforce_stored_it_is_our_echo(
    prop: str, read: object, sent: object
) -> None:
    theirs, base, in_flight = {prop: read}, {prop: "old"}, {prop: [sent]}
    assert in_flight_echoes(theirs, base, in_flight, NORM, _stored) == {prop: read}
    assert in_flight_echoes(theirs, base, in_flight, NORM) == {}  # as sent only: not ours


@pytest.mark.parametrize(
    ("prop", "read", "sent"),
    [
        pytest.param(
            "last_engagement_at",
            datetime(2026, 3, 2, 15, 0, 1, tzinfo=UTC),
            datetime(2026, 3, 2, 8, 0, 1, 731000, tzinfo=timezone(timedelta(hours=-7))),
            id="date-time-cut-to-whole-seconds",
        ),
        pytest.param("phone", "(415) 555-0961", "+14155550961", id="phone-formatted"),
        pytest.param("city", " Firsttown", "Firsttown", id="text-with-spaces"),
    ],
)
def test_forms_the_normalizer_already_equates_need_no_stored_form(
    prop: str, read: object, sent: object
) -> None:
    theirs, in_flight = {prop: read}, {prop: [sent]}
    assert in_flight_echoes(theirs, {}, in_flight, NORM) == {prop: read}


def test_a_salesforce_edit_that_is_no_stored_form_of_a_value_sent_is_not_our_echo() -> None:
    sent = {"city": [LONG], "score": [12.345], "lead_source": ["web"]}
    theirs = {"city": LONG[: LENGTH - 1], "score": 12.34, "lead_source": "Other"}
    assert in_flight_echoes(theirs, {}, sent, NORM, _stored) == {}


def test_the_stored_form_is_asked_only_when_a_changed_value_does_not_match_as_sent() -> None:
    asked: list[tuple[str, object]] = []

    def spy(prop: str, value: object) -> object:
        asked.append((prop, value))
        return value

    sent = {"city": ["Firsttown"], "state": ["CA"]}
    echoes = in_flight_echoes(
        {"city": "Firsttown", "state": "NY"}, {"state": "NY"}, sent, NORM, spy
    )
    assert echoes == {"city": "Firsttown"}
    assert asked == []


TEXT = st.text(alphabet=st.characters(codec="utf-8", exclude_categories=("Cs",)), max_size=90)


@given(sent=st.lists(TEXT, min_size=1, max_size=3), other=TEXT, pick=st.integers(0, 2))
@settings(max_examples=200, deadline=None)
def test_any_value_sent_is_recognised_in_its_stored_form_and_nothing_else_is(
    sent: list[str], other: str, pick: int
) -> None:
    read = _cut("city", sent[pick % len(sent)])
    base = {"city": "Oldtown"}
    if NORM.equal("city", read, "Oldtown"):
        return  # equal to the base: nothing to take, echo or not
    assert in_flight_echoes({"city": read}, base, {"city": sent}, NORM, _cut) == {"city": read}
    stored = {NORM.canonical("city", _cut("city", v)) for v in sent}
    stored |= {NORM.canonical("city", v) for v in sent}
    mine = in_flight_echoes({"city": other}, base, {"city": sent}, NORM, _cut)
    assert bool(mine) == (
        NORM.canonical("city", other) in stored and not NORM.equal("city", other, "Oldtown")
    )


def _lead_schema() -> ReadSchema:
    text = {"type": "string", "createable": True, "updateable": True, "nillable": True}
    describe = SObjectDescribe.from_json(
        {
            "name": "Lead",
            "fields": [
                {"name": "Id", "type": "id"},
                {"name": "Phone", **text, "type": "phone", "length": 40},
                {"name": "City", **text, "length": LENGTH},
                {"name": "LastName", **text, "length": 80},
                {
                    "name": "LeadSource",
                    **text,
                    "type": "picklist",
                    "length": 255,
                    "picklistValues": [
                        {"value": "Web", "active": True},
                        {"value": "Other", "active": True},
                    ],
                },
                {"name": "OwnerId", **text, "type": "reference", "referenceTo": ["User"]},
            ],
        }
    )
    return read_schema(SyncObject.LEAD, describe, default_mapping(SyncObject.LEAD))


@pytest.mark.parametrize(
    ("prop", "sent", "stored"),
    [
        pytest.param("city", LONG, LONG[:LENGTH], id="text-cut-under-truncate"),
        pytest.param("city", "Firsttown", "Firsttown", id="text-that-fits"),
        pytest.param("lead_source", "web", "Web", id="picklist-case-of-the-describe"),
        pytest.param("lead_source", "Referral", "Referral", id="picklist-value-not-defined"),
        pytest.param("phone", "+14155550961", "+14155550961", id="phone-as-sent"),
        pytest.param("owner", "42", "42", id="owner-goes-through-the-user-mapping"),
        pytest.param("first_name", "Ann", "Ann", id="field-not-in-the-describe"),
        pytest.param("city", None, None, id="blank"),
    ],
)
def test_the_stored_form_follows_the_describe_and_the_outbound_conversion(
    prop: str, sent: object, stored: object
) -> None:
    assert stored_form(_lead_schema())(prop, sent) == stored
