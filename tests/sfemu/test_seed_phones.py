"""Seeded phone numbers: distinct for a million draws, valid, fictional first, deterministic."""

from __future__ import annotations

import random
import re

import phonenumbers
import pytest

from sfemu.clock import ManualClock
from sfemu.org import Org
from sfemu.seed import UK_NUMBERS, PhoneBook, iter_phone_formats, seed_org, valid_area_codes

DRAWS = 1_000_000


def e164(rendered: str) -> str:
    """Return the E.164 form of a rendered number (extension dropped), as ringsync keys it."""
    text = re.split(r" x| ext\.", rendered)[0]
    parsed = phonenumbers.parse(text, "GB" if text.startswith("0") else "US")
    assert phonenumbers.is_valid_number(parsed), rendered
    return phonenumbers.format_number(parsed, phonenumbers.PhoneNumberFormat.E164)


def test_a_million_draws_are_all_distinct() -> None:
    book = PhoneBook(random.Random(11))
    numbers = {book.next_digits() for _ in range(DRAWS)}
    assert len(numbers) == DRAWS


def test_first_numbers_are_fictional_then_555_information_lines() -> None:
    book = PhoneBook(random.Random(3))
    fictional = 100 * len(valid_area_codes())
    first = [book.next_digits() for _ in range(fictional)]
    later = [book.next_digits() for _ in range(50_000)]
    assert all(d[3:8] == "55501" for d in first if not d.startswith("44|"))
    us_later = [d for d in later if not d.startswith("44|")]
    assert all(d[3:6] == "555" and d[6:8] != "01" and d[6:] != "1212" for d in us_later)
    assert len({d[:3] for d in us_later}) == len(valid_area_codes())


def test_british_numbers_stop_when_the_drama_ranges_run_out() -> None:
    book = PhoneBook(random.Random(5))
    draws = [book.next_digits() for _ in range(20 * UK_NUMBERS + 10_000)]
    british = [d for d in draws if d.startswith("44|")]
    assert len(british) == len(set(british)) == UK_NUMBERS
    assert not any(d.startswith("44|") for d in draws[20 * UK_NUMBERS :])


def test_rendered_numbers_from_every_phase_are_valid_and_keep_their_identity() -> None:
    book = PhoneBook(random.Random(9))
    seen: dict[str, str] = {}
    for n in range(300_000):
        digits = book.next_digits()
        if n % 97 == 0 or (n % 20 == 19 and n < 2_000):
            key = e164(book.render(digits))
            assert seen.setdefault(key, digits) == digits
    assert len(seen) > 3_000


def test_area_codes_are_those_phonenumbers_accepts() -> None:
    codes = valid_area_codes()
    assert 400 <= len(codes) <= 700
    assert 212 in codes
    assert 211 not in codes  # an N11 service code, never an area code


def test_same_seed_same_numbers_other_seed_other_order() -> None:
    assert list(iter_phone_formats(4, 200)) == list(iter_phone_formats(4, 200))
    assert list(iter_phone_formats(4, 200)) != list(iter_phone_formats(5, 200))


@pytest.fixture(scope="module")
def seeded() -> Org:
    """Return an org seeded with 3,000 leads and 1,000 contacts."""
    org = Org(clock=ManualClock())
    seed_org(org, leads=3_000, contacts=1_000, users=5, seed=21)
    return org


def test_seeded_leads_and_contacts_share_only_the_deliberate_numbers(seeded: Org) -> None:
    def key(record: dict[str, object]) -> str:
        return e164(str(record["Phone"]))

    leads = [key(r) for r in seeded.iter_records("Lead") if not r["IsConverted"]]
    contacts = [key(r) for r in seeded.iter_records("Contact")]
    assert len(set(leads)) == len(leads)
    shared = set(leads) & set(contacts)
    converted = sum(1 for r in seeded.iter_records("Lead") if r["IsConverted"])
    # Converted leads' contacts keep their lead's number; about 5% more are shared on purpose.
    assert len(set(contacts)) == len(contacts)
    assert 0.02 * 4_000 <= len(shared) <= 0.09 * 4_000
    assert converted == 150
