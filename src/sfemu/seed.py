"""Seed an org with realistic, deterministic contact-center data: users, leads, contacts.

Everything derives from one integer seed (a seeded Faker instance and a private
``random.Random``), so the same seed always yields the same records. Records are created one at
a time through the normal validated write path, so seeding a million leads streams.

Phone numbers never look like anyone's real number. The first ~45,000 come from the ranges set
aside for fiction: US ``555-0100``..``555-0199`` in every area code ``phonenumbers`` accepts,
and the UK's Ofcom drama ranges. Past them, US numbers continue in the rest of the 555
exchange (``555-0000``..``555-9999`` but 01xx and the ``555-1212`` directory number), which
NANPA keeps for directory and information services rather than people, and which
``phonenumbers.is_valid_number`` accepts: about 4.4 million distinct numbers, so a million
leads and contacts get a number each. All are rendered in many real-world formats.
"""

from __future__ import annotations

import random
from array import array
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import timedelta
from functools import cache
from typing import Any

import phonenumbers
from faker import Faker

from sfemu.object_fields import INDUSTRIES, LEAD_SOURCES, TIME_ZONES
from sfemu.org import Org

SEED_PASSWORD = "sfemu"  # noqa: S105 - every seeded user's documented demo password

# (API name, describe type, Lead label, Contact label, extra attributes): the shared naming
# table of the contact-center custom fields (Lead and Contact carry the same API names).
CONTACT_CENTER_FIELDS: tuple[tuple[str, str, str, str, dict[str, Any]], ...] = (
    ("Incoming_Number__c", "phone", "Incoming Number", "Incoming Number", {"length": 40}),
    ("Custom_Field_1__c", "string", "Custom Field 1", "Custom Field 1", {"length": 255}),
    ("Custom_Field_2__c", "string", "Custom Field 2", "Custom Field 2", {"length": 255}),
    ("TCPA_Approved__c", "boolean", "TCPA Approved", "TCPA Approved", {}),
    ("DNC__c", "boolean", "DNC", "DNC", {}),
    ("Ringsync_Link__c", "url", "ringsync Lead Link", "ringsync Contact Link", {"length": 255}),
    (
        "Ringsync_Contact_ID__c",
        "string",
        "ringsync Lead ID",
        "ringsync Contact ID",
        {"length": 40, "external_id": True, "unique": True},
    ),
    ("Last_Inbound_Text_Date__c", "date", "Last inbound text message date", "", {}),
    ("Last_Outbound_Text_Date__c", "date", "Last outbound text message date", "", {}),
    ("Last_Inbound_Text__c", "textarea", "Last inbound text message", "", {"length": 32768}),
    ("Last_Outbound_Text__c", "textarea", "Last outbound text message", "", {"length": 32768}),
    ("Total_Inbound_Texts__c", "double", "Total inbound text messages", "", {"precision": 18}),
    ("Total_Outbound_Texts__c", "double", "Total outbound text messages", "", {"precision": 18}),
    ("Last_Inbound_Call_Date__c", "date", "Last inbound call date", "", {}),
    ("Last_Outbound_Call_Date__c", "date", "Last outbound call date", "", {}),
    ("Total_Inbound_Calls__c", "double", "Total inbound calls", "", {"precision": 18}),
    ("Total_Outbound_Calls__c", "double", "Total outbound calls", "", {"precision": 18}),
    ("Last_Inbound_Call_Time__c", "string", "Last inbound call time", "", {"length": 40}),
    ("Last_Outbound_Call_Time__c", "string", "Last outbound call time", "", {"length": 40}),
    ("Last_Inbound_Message_Time__c", "string", "Last inbound message time", "", {"length": 40}),
    ("Last_Outbound_Message_Time__c", "time", "Last outbound message time", "", {}),
    ("Last_Call_Disposition__c", "string", "Last call disposition", "", {"length": 40}),
    (
        "Last_Inbound_Call_Disposition__c",
        "string",
        "Last inbound call disposition",
        "",
        {"length": 40},
    ),
    (
        "Last_Outbound_Call_Disposition__c",
        "string",
        "Last outbound call disposition",
        "",
        {"length": 40},
    ),
    ("Last_Engagement__c", "datetime", "Last inbound and outbound engagement", "", {}),
    ("Last_Inbound_Engagement__c", "datetime", "Last inbound engagement", "", {}),
    ("Last_Outbound_Engagement__c", "datetime", "Last outbound engagement", "", {}),
)

CONVERTED_SHARE = 0.05
INACTIVE_USER_SHARE = 0.20
SHARED_PHONE_SHARE = 0.05
_DISPOSITIONS = ("Answered", "No Answer", "Voicemail", "Busy", "Wrong Number", "Callback")
_OPEN_STATUSES = ("Open - Not Contacted", "Working - Contacted", "Closed - Not Converted")
# Ofcom drama ranges: (international prefix, national prefix); three digits complete a number.
# Only geographic ones: ``phonenumbers`` rejects the 07700 900 mobile drama range.
_UK_BLOCKS = (("20 7946 0", "020 7946 0"), ("113 496 0", "0113 496 0"), ("161 496 0", "0161 496 0"))
# Every twentieth number is British while the drama ranges last (1,000 numbers per block).
UK_EVERY = 20
UK_NUMBERS = 1000 * len(_UK_BLOCKS)
# The 555 lines handed out once the fictional 555-01xx lines are used up in every area code.
_INFO_LINES = tuple(
    f"{line:04d}" for line in range(10_000) if not 100 <= line <= 199 and line != 1212
)


@cache
def valid_area_codes() -> tuple[int, ...]:
    """Return the US area codes in which ``phonenumbers`` accepts a 555 number, ascending."""
    return tuple(
        area
        for area in range(201, 990)
        if phonenumbers.is_valid_number(phonenumbers.parse(f"+1{area}5550100"))
    )


def define_contact_center_fields(org: Org) -> None:
    """Add the contact-center custom fields to Lead and Contact (skipping existing ones)."""
    for sobject in ("Lead", "Contact"):
        obj = org.sobject(sobject)
        for name, type_, lead_label, contact_label, attrs in CONTACT_CENTER_FIELDS:
            if obj.field(name) is not None:
                continue
            label = lead_label if sobject == "Lead" else (contact_label or lead_label)
            org.add_custom_field(sobject, name, type_, label=label, **attrs)


@dataclass
class _Pools:
    """Name and place pools drawn once from the seeded Faker (shared strings keep memory low)."""

    first: list[str]
    last: list[str]
    companies: list[str]
    cities: list[tuple[str, str, str]]
    titles: list[str]


def _pools(fake: Faker) -> _Pools:
    """Draw the pools from a seeded Faker."""
    return _Pools(
        first=[fake.first_name() for _ in range(400)],
        last=[fake.last_name() for _ in range(600)],
        companies=[fake.company() for _ in range(500)],
        cities=[(fake.city(), fake.state_abbr(), fake.postcode()) for _ in range(300)],
        titles=[fake.job()[:128] for _ in range(120)],
    )


class PhoneBook:
    """Hand out distinct fictional phone numbers, each rendered in a random real-world format.

    Draw ``n`` is British when ``n % 20 == 19`` and drama numbers are left; otherwise it is
    ``555-01xx`` in the ``n // 100``-th area code while those last, then a 555 information
    line. The mapping from ``n`` to a number is one-to-one up to about 4.4 million draws.
    """

    def __init__(self, rng: random.Random) -> None:
        """Shuffle the area codes and 555 lines so each seed walks the number space its own way."""
        self.rng = rng
        self.area_codes = list(valid_area_codes())
        rng.shuffle(self.area_codes)
        self.info_lines = list(_INFO_LINES)
        rng.shuffle(self.info_lines)
        self.fictional = 100 * len(self.area_codes)
        self.count = 0

    def next_digits(self) -> str:
        """Return the next national number: 10 US digits, or a UK number with a leading '44'."""
        self.count += 1
        return self.digits(self.count - 1)

    def digits(self, n: int) -> str:
        """Return the number of draw ``n`` (the same every time it is asked)."""
        if n % UK_EVERY == UK_EVERY - 1 and n // UK_EVERY < UK_NUMBERS:
            k = n // UK_EVERY
            return f"44|{k % len(_UK_BLOCKS)}|{k // len(_UK_BLOCKS):03d}"
        areas = self.area_codes
        if n < self.fictional:
            return f"{areas[n // 100]}5550{100 + n % 100}"
        m = n - self.fictional
        line = self.info_lines[m // len(areas) % len(self.info_lines)]
        return f"{areas[m % len(areas)]}555{line}"

    def render(self, digits: str) -> str:
        """Return a number in one of the formats people really type, sometimes with an extension."""
        rng = self.rng
        if digits.startswith("44|"):
            _, block, tail = digits.split("|")
            intl, national = _UK_BLOCKS[int(block)]
            return rng.choice((f"+44 {intl}{tail}", f"{national}{tail}"))
        a, b, c = digits[:3], digits[3:6], digits[6:]
        text = rng.choice(
            (
                f"({a}) {b}-{c}",
                f"+1 {a}-{b}-{c}",
                f"{a}{b}{c}",
                f"{a}.{b}.{c}",
                f"{a}-{b}-{c}",
                f"+1{a}{b}{c}",
                f"1 ({a}) {b}-{c}",
            )
        )
        roll = rng.random()
        if roll < 0.04:
            text += f" x{rng.randint(100, 999)}"
        elif roll < 0.07:
            text += f" ext. {rng.randint(10, 99)}"
        return text


def _activity(rng: random.Random, org: Org) -> dict[str, Any]:
    """Return contact-center tracking values for about a third of the records."""
    if rng.random() > 0.3:
        return {"TCPA_Approved__c": rng.random() < 0.6, "DNC__c": rng.random() < 0.05}
    when = org.now() - timedelta(days=rng.randint(0, 60), minutes=rng.randint(0, 1439))
    calls_in, calls_out = rng.randint(0, 12), rng.randint(1, 20)
    return {
        "TCPA_Approved__c": rng.random() < 0.6,
        "DNC__c": rng.random() < 0.05,
        "Total_Inbound_Calls__c": calls_in,
        "Total_Outbound_Calls__c": calls_out,
        "Total_Inbound_Texts__c": rng.randint(0, 8),
        "Total_Outbound_Texts__c": rng.randint(0, 8),
        "Last_Outbound_Call_Date__c": when.date(),
        "Last_Call_Disposition__c": rng.choice(_DISPOSITIONS),
        "Last_Outbound_Call_Disposition__c": rng.choice(_DISPOSITIONS),
        "Last_Engagement__c": when,
        "Last_Outbound_Engagement__c": when,
    }


class _Seeder:
    """The state of one seeding run."""

    def __init__(self, org: Org, seed: int, tracking: bool) -> None:
        """Seed the generators and draw the pools."""
        fake = Faker("en_US")
        fake.seed_instance(seed)
        self.org = org
        self.rng = random.Random(seed)  # noqa: S311 - reproducible test data, not secrets
        self.pools = _pools(fake)
        self.phones = PhoneBook(self.rng)
        self.tracking = tracking
        self.user_owners: list[str] = [org.admin_user_id]
        # Draw numbers of the open leads' phones, for contacts that share a lead's number.
        self.lead_draws = array("L")

    def person(self) -> dict[str, Any]:
        """Return name, email and place fields of one random person."""
        rng, pools = self.rng, self.pools
        first, last = rng.choice(pools.first), rng.choice(pools.last)
        city, state, postcode = rng.choice(pools.cities)
        local = f"{first}.{last}".lower().replace("'", "").replace(" ", "")
        return {
            "FirstName": first,
            "LastName": last,
            "Email": f"{local}{rng.randint(1, 9999)}@example.com",
            "Title": rng.choice(pools.titles),
            "LeadSource": rng.choice(LEAD_SOURCES),
            "_place": (city, state, postcode),
        }

    def users(self, count: int) -> None:
        """Create ``count`` users, about a fifth of them inactive."""
        for i in range(1, count + 1):
            person = self.person()
            first, last = person["FirstName"], person["LastName"]
            active = self.rng.random() >= INACTIVE_USER_SHARE
            username = f"{first}.{last}.{i}@users.sfemu.test".lower().replace("'", "")
            user_id = self.org.create(
                "User",
                {
                    "Username": username.replace(" ", ""),
                    "FirstName": first,
                    "LastName": last,
                    "Email": username.replace(" ", ""),
                    "Alias": f"{first[0]}{last[:4]}{i % 100}"[:8],
                    "CommunityNickname": f"{first}{i}"[:40],
                    "IsActive": active,
                    "ProfileId": self.org.standard_profile_id,
                    "TimeZoneSidKey": self.rng.choice(TIME_ZONES),
                    "Extension": str(100 + i),
                    "Phone": self.phones.render(self.phones.next_digits()),
                },
            )
            self.org.set_password(user_id, SEED_PASSWORD)
            if active:
                self.user_owners.append(user_id)

    def lead_values(self) -> dict[str, Any]:
        """Return the values of one new lead."""
        rng = self.rng
        person = self.person()
        city, state, postcode = person.pop("_place")
        self.lead_draws.append(self.phones.count)
        digits = self.phones.next_digits()
        owner = self.org.queue_id if rng.random() < 0.15 else rng.choice(self.user_owners)
        values = {
            **person,
            "Company": rng.choice(self.pools.companies),
            "Phone": self.phones.render(digits),
            "City": city,
            "State": state,
            "PostalCode": postcode,
            "Country": "United States" if not digits.startswith("44|") else "United Kingdom",
            "Status": rng.choice(_OPEN_STATUSES),
            "Industry": rng.choice(INDUSTRIES),
            "OwnerId": owner,
        }
        if rng.random() < 0.3:
            values["MobilePhone"] = self.phones.render(self.phones.next_digits())
        if self.tracking:
            values.update(_activity(rng, self.org))
        return values

    def leads(self, count: int, converted: int) -> None:
        """Create ``count`` leads and convert exactly ``converted`` of them, evenly spread."""
        for i in range(count):
            values = self.lead_values()
            convert = (i + 1) * converted // count > i * converted // count if count else False
            if convert:
                values["Status"] = "Working - Contacted"
                values["OwnerId"] = self.rng.choice(self.user_owners)
                self.lead_draws.pop()
            lead_id = self.org.create("Lead", values)
            if convert:
                self.org.convert_lead(lead_id)

    def contacts(self, count: int, leads: int) -> None:
        """Create ``count`` contacts, grouped one to three per account; some share lead phones."""
        rng = self.rng
        share = 0.0
        if leads and count:
            share = min(1.0, SHARED_PHONE_SHARE * (leads + count) / (1.05 * count))
        account_id, left = "", 0
        for _ in range(count):
            person = self.person()
            city, state, postcode = person.pop("_place")
            owner = rng.choice(self.user_owners)
            if left == 0:
                account_id = self.org.create(
                    "Account",
                    {
                        "Name": rng.choice(self.pools.companies),
                        "BillingCity": city,
                        "BillingState": state,
                        "Industry": rng.choice(INDUSTRIES),
                        "OwnerId": owner,
                    },
                )
                left = rng.randint(1, 3)
            left -= 1
            draws = self.lead_draws
            if draws and rng.random() < share:
                at = rng.randrange(len(draws))
                digits = self.phones.digits(draws[at])
                draws[at] = draws[-1]  # each lead number is shared by one contact at most
                draws.pop()
            else:
                digits = self.phones.next_digits()
            values = {
                **person,
                "AccountId": account_id,
                "Phone": self.phones.render(digits),
                "MailingCity": city,
                "MailingState": state,
                "MailingPostalCode": postcode,
                "OwnerId": owner,
            }
            if self.tracking:
                values.update(_activity(rng, self.org))
            self.org.create("Contact", values)


def seed_org(
    org: Org,
    *,
    leads: int,
    contacts: int,
    users: int,
    seed: int,
    contact_center_fields: bool = True,
) -> None:
    """Fill ``org`` with exactly ``users`` extra users, ``leads`` leads and ``contacts`` contacts.

    About 5% of the leads are converted; their contacts come out of the ``contacts`` budget,
    so the org ends with exactly ``contacts`` Contact records.
    """
    if min(leads, contacts, users) < 0:
        raise ValueError("record counts cannot be negative")
    if contact_center_fields:
        define_contact_center_fields(org)
    seeder = _Seeder(org, seed, contact_center_fields)
    seeder.users(users)
    converted = min(round(leads * CONVERTED_SHARE), contacts)
    seeder.leads(leads, converted)
    seeder.contacts(contacts - converted, leads)


def iter_phone_formats(seed: int, count: int) -> Iterator[str]:
    """Yield ``count`` seeded phone numbers as the seed data renders them (docs and tests)."""
    book = PhoneBook(random.Random(seed))  # noqa: S311 - reproducible test data
    for _ in range(count):
        yield book.render(book.next_digits())
