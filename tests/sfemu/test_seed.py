"""Seed data: deterministic per seed, exact counts, realistic phones, contact-center fields."""

from __future__ import annotations

import re
from typing import Any

import pytest

from sfemu.clock import ManualClock
from sfemu.org import Org
from sfemu.seed import CONTACT_CENTER_FIELDS, iter_phone_formats, seed_org


def _seeded(seed: int, **counts: Any) -> Org:
    org = Org(clock=ManualClock())
    args = {"leads": 400, "contacts": 150, "users": 20, **counts}
    seed_org(org, seed=seed, **args)
    return org


def _dump(org: Org) -> dict[str, list[dict[str, Any]]]:
    return {
        name: list(org.iter_records(name, include_deleted=True))
        for name in ("User", "Lead", "Contact", "Account")
    }


@pytest.fixture(scope="module")
def seeded() -> Org:
    return _seeded(7)


def test_same_seed_same_data_and_other_seed_other_data(seeded: Org) -> None:
    assert _dump(_seeded(7)) == _dump(seeded)
    other = _dump(_seeded(8))
    assert [r["Phone"] for r in other["Lead"]] != [r["Phone"] for r in _dump(seeded)["Lead"]]


def test_exact_counts_including_conversions(seeded: Org) -> None:
    assert seeded.count("Lead") == 400
    assert seeded.count("Contact") == 150
    assert seeded.count("User") == 21  # the admin plus 20
    converted = [r for r in seeded.iter_records("Lead") if r["IsConverted"]]
    assert len(converted) == 20  # 5% of 400
    for lead in converted:
        assert seeded.get(lead["ConvertedContactId"])["Phone"] == lead["Phone"]
        assert lead["Status"] == "Closed - Converted"
    assert all(r.get("AccountId") for r in seeded.iter_records("Contact"))


def test_conversions_never_exceed_the_contact_budget() -> None:
    org = _seeded(1, leads=200, contacts=3, users=2)
    assert org.count("Contact") == 3
    assert sum(1 for r in org.iter_records("Lead") if r["IsConverted"]) == 3
    empty = _seeded(1, leads=0, contacts=0, users=0)
    assert (empty.count("Lead"), empty.count("Contact"), empty.count("User")) == (0, 0, 1)


def test_users_some_inactive_and_able_to_log_in(seeded: Org) -> None:
    users = [u for u in seeded.iter_records("User") if u["Id"] != seeded.admin_user_id]
    inactive = [u for u in users if not u["IsActive"]]
    assert 1 <= len(inactive) <= 10
    assert seeded.check_password(users[0]["Id"], "sfemu")
    assert len({u["Username"] for u in users}) == 20


def test_owners_spread_over_active_users_and_the_queue(seeded: Org) -> None:
    owners = [r["OwnerId"] for r in seeded.iter_records("Lead")]
    assert seeded.queue_id in owners
    user_owners = {o for o in owners if o.startswith("005")}
    assert len(user_owners) >= 5
    assert all(seeded.get(o)["IsActive"] for o in user_owners)
    assert all(r["OwnerId"].startswith("005") for r in seeded.iter_records("Contact"))


def test_phone_numbers_come_in_many_real_formats(seeded: Org) -> None:
    phones = [r["Phone"] for r in seeded.iter_records("Lead")]
    patterns = {
        "paren": r"^\(\d{3}\) 555-01\d\d",
        "plus1_dash": r"^\+1 \d{3}-555-01\d\d",
        "digits": r"^\d{3}55501\d\d",
        "dots": r"^\d{3}\.555\.01\d\d",
        "uk": r"^(\+44 |0)(20 7946 0|113 496 0|7700 900)\d{3}$",
        "extension": r"( x\d{3}| ext\. \d{2})$",
    }
    for label, pattern in patterns.items():
        assert any(re.search(pattern, p) for p in phones), label
    us = [p for p in phones if "555" in p]
    assert all("555-01" in p or "55501" in p or "555.01" in p for p in us)


def test_some_numbers_exist_as_both_lead_and_contact(seeded: Org) -> None:
    def digits(phone: str) -> str:
        return re.sub(r"\D", "", phone.split(" x")[0].split(" ext.")[0])[-10:]

    lead_numbers = {digits(r["Phone"]) for r in seeded.iter_records("Lead") if not r["IsConverted"]}
    contact_numbers = {digits(r["Phone"]) for r in seeded.iter_records("Contact")}
    shared = lead_numbers & contact_numbers
    assert 3 <= len(shared) <= 60


def test_contact_center_fields_are_defined_on_both_objects(seeded: Org) -> None:
    assert len(CONTACT_CENTER_FIELDS) == 27
    for sobject in ("Lead", "Contact"):
        obj = seeded.sobject(sobject)
        for name, type_, *_ in CONTACT_CENTER_FIELDS:
            f = obj.field(name)
            assert f is not None, (sobject, name)
            assert (f.name, f.type, f.custom) == (name, type_, True)
    lead_id_field = seeded.sobject("Lead").field("Ringsync_Contact_ID__c")
    contact_link = seeded.sobject("Contact").field("Ringsync_Link__c")
    assert lead_id_field is not None
    assert contact_link is not None
    assert (lead_id_field.external_id, lead_id_field.unique, lead_id_field.length) == (
        True,
        True,
        40,
    )
    assert lead_id_field.label == "ringsync Lead ID"
    assert contact_link.label == "ringsync Contact Link"
    time_field = seeded.sobject("Lead").field("Last_Outbound_Message_Time__c")
    assert time_field is not None
    assert time_field.type == "time"
    tracked = [r for r in seeded.iter_records("Lead") if "Total_Outbound_Calls__c" in r]
    assert tracked
    assert all(isinstance(r["TCPA_Approved__c"], bool) for r in seeded.iter_records("Lead"))


def test_without_contact_center_fields() -> None:
    org = Org(clock=ManualClock())
    seed_org(org, leads=20, contacts=5, users=2, seed=3, contact_center_fields=False)
    assert org.sobject("Lead").field("DNC__c") is None
    assert org.count("Lead") == 20


def test_negative_counts_are_refused() -> None:
    with pytest.raises(ValueError, match="negative"):
        seed_org(Org(clock=ManualClock()), leads=-1, contacts=0, users=0, seed=1)


def test_phone_format_preview_is_deterministic() -> None:
    assert list(iter_phone_formats(5, 10)) == list(iter_phone_formats(5, 10))
    assert len(set(iter_phone_formats(5, 50))) > 40
