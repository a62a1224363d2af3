"""The bulk upsert's fast path changes speed, never results.

Phone parsing takes a shortcut for plain digits (``phones._split_digits``); these tests hold it
to ``phonenumbers.parse`` on a large generated corpus (every region's example numbers with
prefixes added, dropped and garbled, plus random digit strings), hold the whole normaliser to
the reference path, and hold the bulk upsert to the single-record path. The store side (ids
read back by RETURNING, shared provenance dicts, timestamp text) is checked on real databases.
"""

from __future__ import annotations

import random
from collections.abc import Iterator
from pathlib import Path

import phonenumbers
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from phonenumbers.phonemetadata import PhoneMetadata
from sqlalchemy import select, text

from ringsync.clock import FrozenClock
from ringsync.domain import phones
from ringsync.domain.accounts import create_account
from ringsync.domain.contact_values import Origin
from ringsync.domain.contacts import (
    create_contact,
    define_custom_property,
    find_contact_by_phone,
    list_contacts,
    update_contact,
)
from ringsync.domain.contacts_bulk import upsert_contacts
from ringsync.errors import ValidationError
from ringsync.store.db import Database, open_database
from ringsync.store.repositories.dialect import insert_many_returning, upsert_insert
from ringsync.store.tables import Contact, table_of

REGIONS = ["US", "CA", "GB", "DE", "FR", "IT", "BR", "AR", "MX", "JP", "CN", "AU", "IN", "RU"]
TYPES = [
    phonenumbers.PhoneNumberType.FIXED_LINE,
    phonenumbers.PhoneNumberType.MOBILE,
    phonenumbers.PhoneNumberType.TOLL_FREE,
    phonenumbers.PhoneNumberType.PREMIUM_RATE,
    phonenumbers.PhoneNumberType.VOIP,
    phonenumbers.PhoneNumberType.PERSONAL_NUMBER,
]


def _examples() -> Iterator[tuple[str, int, str]]:
    """Yield (home region, country code, national significant number) of example numbers."""
    for region in sorted(phonenumbers.SUPPORTED_REGIONS):
        for kind in TYPES:
            number = phonenumbers.example_number_for_type(region, kind)
            if number is not None:
                yield region, number.country_code, phonenumbers.national_significant_number(number)
    for code in sorted(phonenumbers.COUNTRY_CODES_FOR_NON_GEO_REGIONS):
        number = phonenumbers.example_number_for_non_geo_entity(code)
        if number is not None:
            yield "US", code, phonenumbers.national_significant_number(number)


def _digit_corpus() -> list[tuple[str, str]]:
    """Return (digits, region) pairs: example numbers dressed every way a caller writes them."""
    corpus: list[tuple[str, str]] = []
    for home, code, nsn in _examples():
        metadata = PhoneMetadata.metadata_for_region(home, None)
        prefix = (metadata.national_prefix if metadata else None) or ""
        idd = (metadata.international_prefix if metadata else None) or "00"
        dialled_abroad = idd if idd.isdigit() else "00"  # 810 in Tajikistan, 119 in Cuba
        variants = [
            f"+{code}{nsn}",
            nsn,
            f"{prefix}{nsn}",
            f"{code}{nsn}",
            f"{code}{prefix}{nsn}",
            f"{code}{code}{nsn}",
            f"00{code}{nsn}",
            f"011{code}{nsn}",
            f"{dialled_abroad}{code}{nsn}",
            f"+{code}0{nsn}",
            f"+{code}{nsn[:-1]}",
            f"+{code}{nsn}7",
            nsn[:-1],
            f"{nsn}3",
            f"0{nsn}",
        ]
        for region in (home, "US", "GB"):
            corpus.extend((variant, region) for variant in variants)
    rng = random.Random(20260301)
    regions = sorted(phonenumbers.SUPPORTED_REGIONS)
    for _ in range(20_000):
        region = rng.choice(regions)
        digits = "".join(rng.choice("0123456789") for _ in range(rng.randint(1, 19)))
        lead = rng.choice(["", "+", str(phonenumbers.country_code_for_region(region))])
        corpus.append((lead + digits, region))
    return corpus


def _parsed(digits: str, region: str) -> phonenumbers.PhoneNumber | None:
    try:
        return phonenumbers.parse(digits, region)
    except phonenumbers.NumberParseException:
        return None


def test_the_digit_shortcut_agrees_with_the_parser_on_a_large_corpus() -> None:
    corpus = _digit_corpus()
    taken = 0
    for digits, region in corpus:
        split = phones._split_digits(digits, region)
        if split is not None:
            taken += 1
            assert split == _parsed(digits, region), (digits, region)
    assert len(corpus) > 50_000
    # The shortcut must carry the bulk of the load, or it buys nothing.
    assert taken > len(corpus) // 3


@pytest.mark.parametrize(
    ("digits", "region"),
    [
        ("+14155550100", "US"),  # "+1 (415) 555-0100"
        ("4155550100", "US"),  # "415.555.0100"
        ("14155550100", "US"),  # "1-415-555-0100"
        ("14165550123", "CA"),
        ("+442079460958", "US"),
        ("2079460958", "GB"),
    ],
)
def test_the_usual_spellings_take_the_shortcut(digits: str, region: str) -> None:
    assert phones._split_digits(digits, region) == phonenumbers.parse(digits, region)


@pytest.mark.parametrize(
    ("digits", "region", "why"),
    [
        ("1415555010", "US", "may start with the region's own country code"),
        ("01144207946095", "US", "starts with the international dialling prefix"),
        ("02079460958", "GB", "starts with the national prefix"),
        ("611831412345678", "CC", "carries a carrier code Australia's rules strip"),
        ("+390612345678", "US", "keeps an Italian leading zero"),
        ("+9991234567", "US", "has no known country code"),
        ("+12", "US", "is too short after the plus"),
        ("+1４１５５５５０１００", "US", "is not ASCII"),
    ],
)
def test_anything_more_than_a_split_is_left_to_the_parser(
    digits: str, region: str, why: str
) -> None:
    assert phones._split_digits(digits, region) is None, why


@settings(max_examples=200, deadline=None)
@given(
    digits=st.from_regex(r"\+?[0-9]{0,19}", fullmatch=True),
    region=st.sampled_from(REGIONS),
)
def test_the_digit_shortcut_never_disagrees_with_the_parser(digits: str, region: str) -> None:
    split = phones._split_digits(digits, region)
    if split is not None:
        assert split == _parsed(digits, region)


def _raw_corpus(count: int, seed: int) -> list[str]:
    """Return free-form phone inputs, each a different number, valid and invalid mixed."""
    rng = random.Random(seed)
    shapes = (
        "+1 ({a}) {b}-{c}",
        "{a}.{b}.{c}",
        "1{a}{b}{c}",
        "({a}) {b} {c} x{e}",
        "+44 20 {b}{c}",
        "011 44 20 {b} {c}",
        "{a}-{b}-{c}{e}",
        "+{a}{b}",
        "tel:+1-{a}-{b}-{c}",
        "{a} {b} call me",
        "+1 {a} {b}+{c}",
        "０{a}{b}{c}",
    )
    corpus = []
    for index in range(count):
        area = rng.choice(["415", "212", "020", "555", "911", "100", f"{rng.randint(200, 999)}"])
        corpus.append(
            rng.choice(shapes).format(
                a=area, b=f"{rng.randint(0, 999):03d}", c=f"{index:04d}", e=rng.randint(1, 99)
            )
        )
    return corpus


def test_normalisation_matches_the_parser_only_path(monkeypatch: pytest.MonkeyPatch) -> None:
    corpus = [(raw, region) for raw in _raw_corpus(4_000, seed=3) for region in ("US", "GB")]
    uncached = phones._normalize_cached.__wrapped__
    fast = [uncached(raw, region) for raw, region in corpus]
    monkeypatch.setattr(phones, "_parse_digits", phonenumbers.parse)
    reference = [uncached(raw, region) for raw, region in corpus]
    assert fast == reference
    accepted = sum(isinstance(r, phones.PhoneIdentity) for r in fast)
    assert 0 < accepted < len(corpus)


def _problem_codes(exc: ValidationError) -> list[str]:
    return sorted(p.code for p in exc.problems)


def test_bulk_and_single_record_paths_accept_the_same_numbers(
    database: Database, clock: FrozenClock
) -> None:
    corpus = _raw_corpus(600, seed=11)
    with database.write() as s:
        bulk_account = create_account(s, "bulk path", clock=clock).id
        single_account = create_account(s, "single path", clock=clock).id
    phones._normalize_cached.cache_clear()
    with database.write() as s:
        result = upsert_contacts(
            s, bulk_account, [{"phone": raw} for raw in corpus], origin=Origin.SALESFORCE
        )
    phones._normalize_cached.cache_clear()
    refused: dict[int, list[str]] = {}
    with database.write() as s:
        for index, raw in enumerate(corpus):
            try:
                create_contact(s, single_account, {"phone": raw}, origin=Origin.SALESFORCE)
            except ValidationError as exc:
                refused[index] = _problem_codes(exc)
    rejected = {r.index: sorted(p.code for p in r.problems) for r in result.rejected}
    assert rejected == refused
    assert 0 < len(rejected) < len(corpus)
    with database.read() as s:
        stored = {
            account: {(c.phone, c.extension) for c in list_contacts(s, account, limit=10_000)}
            for account in (bulk_account, single_account)
        }
    assert stored[bulk_account] == stored[single_account] == set(result.ids)
    assert result.inserted == len(corpus) - len(rejected)


def test_ids_come_back_for_new_and_changed_rows_across_statements(
    database: Database, account_id: int
) -> None:
    first = [{"phone": f"+1628555{i:04d}", "city": "Reno"} for i in range(200)]
    with database.write() as s:
        upsert_contacts(s, account_id, first, origin=Origin.SALESFORCE)
    # 2,600 rows in one batch: more than one multi-row statement on SQLite.
    mixed = [{**row, "city": "Elko" if i % 2 else "Reno"} for i, row in enumerate(first)]
    mixed += [{"phone": f"+1775555{i:04d}"} for i in range(2_400)]
    with database.write() as s:
        result = upsert_contacts(s, account_id, mixed, origin=Origin.RINGSYNC, batch_size=3_000)
    contacts = table_of(Contact)
    with database.read() as s:
        rows = s.execute(
            select(contacts.c.id, contacts.c.phone, contacts.c.extension).where(
                contacts.c.account_id == account_id
            )
        ).all()
    assert (result.inserted, result.updated, result.unchanged) == (2_400, 100, 100)
    assert result.ids == {(phone, ext): row_id for row_id, phone, ext in rows}
    assert result.outbox_rows == 2_500


def test_new_contacts_do_not_share_provenance_or_custom_values(
    database: Database, account_id: int, clock: FrozenClock
) -> None:
    with database.write() as s:
        define_custom_property(s, account_id, "score", label="Score", value_type="number")
        upsert_contacts(
            s,
            account_id,
            [
                {"phone": "+14155550001", "first_name": "A", "score": 5},
                {"phone": "+14155550002", "first_name": "B"},
                {"phone": "+14155550003", "first_name": "C"},
                {"phone": "+14155550004", "first_name": "D", "score": 7},
            ],
            origin=Origin.SALESFORCE,
            clock=clock,
        )
    clock.advance(60)
    with database.write() as s:
        second = find_contact_by_phone(s, account_id, "+14155550002")
        assert second is not None
        update_contact(
            s, account_id, second.id, {"first_name": "Bea"}, origin=Origin.RINGSYNC, clock=clock
        )
    with database.read() as s:
        found = [find_contact_by_phone(s, account_id, f"+1415555000{i}") for i in range(1, 5)]
    views = [view for view in found if view is not None]
    assert [v.values["first_name"] for v in views] == ["A", "Bea", "C", "D"]
    assert [v.values.get("score") for v in views] == [5, None, None, 7]
    assert [v.provenance["first_name"].origin for v in views] == [
        Origin.SALESFORCE,
        Origin.RINGSYNC,
        Origin.SALESFORCE,
        Origin.SALESFORCE,
    ]
    assert views[2].provenance["first_name"].previous is None


def test_bulk_rows_store_timestamps_as_the_orm_does(tmp_path: Path, clock: FrozenClock) -> None:
    database = open_database(f"sqlite:///{tmp_path / 'stamps.db'}")
    try:
        with database.write() as s:
            account_id = create_account(s, "stamps", clock=clock).id
            upsert_contacts(
                s, account_id, [{"phone": "+14155550100"}], origin=Origin.SALESFORCE, clock=clock
            )
            create_contact(s, account_id, {"phone": "+14155550101"}, clock=clock)
        with database.read() as s:
            stamps = s.execute(
                text("SELECT created_at, updated_at FROM contacts ORDER BY phone")
            ).all()
    finally:
        database.dispose()
    assert [tuple(row) for row in stamps] == [("2026-03-01 12:00:00.000000",) * 2] * 2


def test_an_insert_it_cannot_batch_is_refused_by_name(tmp_path: Path) -> None:
    database = open_database(f"sqlite:///{tmp_path / 'refuse.db'}")
    contacts = table_of(Contact)
    try:
        with database.write() as s:
            # A bound value after VALUES (here in the SET clause) defeats the row repetition.
            stmt = upsert_insert(s, contacts)
            stmt = stmt.on_conflict_do_update(
                index_elements=["account_id", "phone", "extension"], set_={"city": "Oakland"}
            ).returning(contacts.c.id)
            with pytest.raises(NotImplementedError, match="cannot batch this INSERT"):
                insert_many_returning(s, stmt, contacts, [{"account_id": 1, "phone": "+1"}])
    finally:
        database.dispose()
