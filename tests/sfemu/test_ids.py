"""Record ids: checksum vectors, 15/18 conversion, letter-case repair, generation."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from sfemu.errors import SalesforceError
from sfemu.ids import BASE62, KEY_PREFIXES, IdGenerator, checksum, malformed_id, parse_id, to18

VECTORS = [
    ("a01M00000062mPg", "IAI"),
    ("001M000000qfPyS", "IAU"),
    ("a0FE000000D6r3F", "MAR"),
    ("0F9E000000092w2", "KAA"),
    ("aaaaaaaaaaaaaaa", "AAA"),
    ("AbCdEfGhIjKlMnO", "VKV"),
    ("aBcDEfgHIJKLMNO", "025"),
    ("500x000000003TR", "AAY"),
    ("a0RE000000IJmcN", "MAT"),
]


@pytest.mark.parametrize(("id15", "suffix"), VECTORS)
def test_checksum_matches_published_vectors(id15: str, suffix: str) -> None:
    assert checksum(id15) == suffix
    assert to18(id15) == id15 + suffix


@pytest.mark.parametrize(("id15", "suffix"), VECTORS)
def test_parse_accepts_15_and_18_char_forms(id15: str, suffix: str) -> None:
    assert parse_id(id15) == id15 + suffix
    assert parse_id(id15 + suffix) == id15 + suffix


@pytest.mark.parametrize(("id15", "suffix"), VECTORS)
def test_parse_repairs_an_18_char_id_typed_in_another_case(id15: str, suffix: str) -> None:
    full = id15 + suffix
    assert parse_id(full.lower()) == full
    assert parse_id(full.upper()) == full
    assert parse_id(full.swapcase()) == full


@pytest.mark.parametrize(
    "bad",
    ["", "00Q", "00QDn000000000", "00QDn00000000001A", "00QDn0000000001!AA", "00QDn0000000001IA$"],
)
def test_parse_rejects_malformed_ids(bad: str) -> None:
    assert parse_id(bad) is None


def test_parse_rejects_suffix_that_marks_a_digit_upper_case() -> None:
    # 'B' = bit 0 set: the first char of the chunk ('0') would have to be a capital letter.
    assert parse_id("000000000000000BAA") is None


def test_generator_hands_out_distinct_valid_ids_per_prefix() -> None:
    gen = IdGenerator()
    leads = [gen.next_id("00Q") for _ in range(200)]
    contact = gen.next_id("003")
    assert len(set(leads)) == 200
    assert all(parse_id(i) == i and i.startswith("00QDn0") for i in leads)
    assert leads[0] == "00QDn0000000001" + checksum("00QDn0000000001")
    assert contact.startswith("003Dn0000000001")


def test_known_prefixes() -> None:
    assert KEY_PREFIXES["Lead"] == "00Q"
    assert KEY_PREFIXES["Contact"] == "003"
    assert KEY_PREFIXES["User"] == "005"
    assert KEY_PREFIXES["LeadStatus"] == "01J"


def test_malformed_id_error_is_worded_like_salesforce() -> None:
    err = malformed_id("Lead", "abc")
    assert isinstance(err, SalesforceError)
    assert err.rest_body() == [
        {
            "message": "Lead ID: id value of incorrect type: abc",
            "errorCode": "MALFORMED_ID",
            "fields": ["Id"],
        }
    ]


@given(st.text(alphabet=BASE62, min_size=15, max_size=15))
def test_any_15_char_id_round_trips_through_any_letter_case(id15: str) -> None:
    full = to18(id15)
    assert parse_id(full) == full
    assert parse_id(full.lower()) == full
    assert parse_id(full.upper()) == full
    assert full[:15] == id15
