"""Writes of unknown outcome: a value read back that we sent is our echo, not a Salesforce edit."""

from __future__ import annotations

from ringsync.sync.fingerprint import default_normalizer
from ringsync.sync.merge import add_in_flight, in_flight_echoes

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
