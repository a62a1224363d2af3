"""Match Salesforce records to contacts, and list the phone spellings to look for before a create.

Inbound, a record matches a contact by its link (the Salesforce id) first, then by its normalized
Phone, then (optionally) by its other phone fields such as MobilePhone. A phone shared by several
contacts is reported as ambiguous, never guessed; a contact already linked to another record is
reported as such, so that priority can decide.

Outbound, Salesforce stores phones as typed, so before creating a record we search for every
common spelling of the number (``phone_search_formats``) and create only when none exists.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from enum import StrEnum

import phonenumbers

from ringsync.domain.phones import mask
from ringsync.sync.fingerprint import PhoneNormalizer


class MatchedBy(StrEnum):
    """Which key found the contact."""

    LINK = "link"
    PHONE = "phone"
    OTHER_PHONE = "other_phone"


@dataclass(frozen=True)
class Matched:
    """The record belongs to ``contact_id``; ``field`` names the record field that matched."""

    contact_id: str
    by: MatchedBy
    field: str = ""


@dataclass(frozen=True)
class NoMatch:
    """No contact has this record; ``phone`` is its normalized Phone for a create (or None)."""

    phone: str | None


@dataclass(frozen=True)
class Ambiguous:
    """Several contacts share the record's phone; a human must choose."""

    contact_ids: tuple[str, ...]
    reason: str


@dataclass(frozen=True)
class LinkedElsewhere:
    """The contact with this phone is already linked to another record."""

    contact_id: str
    record_id: str
    phone: str


MatchResult = Matched | NoMatch | Ambiguous | LinkedElsewhere


@dataclass(frozen=True)
class ContactIndex:
    """Links and phones of an account's contacts, as lookups for matching."""

    contact_by_record: Mapping[str, str] = field(default_factory=dict)
    contacts_by_phone: Mapping[str, Sequence[str]] = field(default_factory=dict)
    record_by_contact: Mapping[str, str] = field(default_factory=dict)

    @classmethod
    def build(
        cls, links: Mapping[str, str], contact_phones: Mapping[str, Iterable[str]]
    ) -> ContactIndex:
        """Index links (record id -> contact id) and each contact's E.164 numbers."""
        by_phone: dict[str, list[str]] = {}
        for contact_id, phones in contact_phones.items():
            for phone in phones:
                owners = by_phone.setdefault(phone, [])
                if contact_id not in owners:
                    owners.append(contact_id)
        reverse = {contact_id: record_id for record_id, contact_id in links.items()}
        return cls(dict(links), by_phone, reverse)


def match_record(
    record_id: str,
    phones: Sequence[tuple[str, object]],
    index: ContactIndex,
    normalize: PhoneNormalizer,
    *,
    other_phones: bool = True,
) -> MatchResult:
    """Match one record: by link, then by its first phone, then by the other phones if allowed.

    ``phones`` lists (record field, raw value) pairs, the primary Phone first.
    """
    linked = index.contact_by_record.get(record_id)
    if linked is not None:
        return Matched(linked, MatchedBy.LINK)
    primary: str | None = None
    for position, (field_name, raw) in enumerate(phones):
        if position > 0 and not other_phones:
            break
        e164 = normalize(raw.strip()) if isinstance(raw, str) and raw.strip() else None
        if position == 0:
            primary = e164
        if e164 is None:
            continue
        candidates = tuple(dict.fromkeys(index.contacts_by_phone.get(e164, ())))
        if len(candidates) > 1:
            reason = f"phone {mask(e164)} ({field_name}) matches {len(candidates)} contacts"
            return Ambiguous(candidates, reason)
        if candidates:
            contact_id = candidates[0]
            other = index.record_by_contact.get(contact_id)
            if other is not None and other != record_id:
                return LinkedElsewhere(contact_id, other, e164)
            by = MatchedBy.PHONE if position == 0 else MatchedBy.OTHER_PHONE
            return Matched(contact_id, by, field_name)
    return NoMatch(primary)


def phone_search_formats(e164: str) -> tuple[str, ...]:
    """Return the spellings of ``e164`` to search for in Salesforce before creating a record."""
    digits = e164.removeprefix("+")
    if e164.startswith("+1") and len(digits) == 11 and digits.isdigit():
        area, exchange, line = digits[1:4], digits[4:7], digits[7:]
        spellings = [
            f"({area}) {exchange}-{line}",
            f"+1 {area}-{exchange}-{line}",
            f"{area}{exchange}{line}",
            e164,
            f"{area}-{exchange}-{line}",
            f"{area}.{exchange}.{line}",
            f"1 ({area}) {exchange}-{line}",
            f"1{area}{exchange}{line}",
            f"+1 ({area}) {exchange}-{line}",
            f"{area} {exchange} {line}",
        ]
        return tuple(dict.fromkeys(spellings))
    spellings = [e164, digits]
    try:
        parsed = phonenumbers.parse(e164, None)
    except phonenumbers.NumberParseException:
        return tuple(dict.fromkeys(spellings))
    for style in (
        phonenumbers.PhoneNumberFormat.INTERNATIONAL,
        phonenumbers.PhoneNumberFormat.NATIONAL,
    ):
        text = phonenumbers.format_number(parsed, style)
        spellings += [text, "".join(ch for ch in text if ch.isdigit() or ch == "+")]
    return tuple(dict.fromkeys(spellings))


__all__ = [
    "Ambiguous",
    "ContactIndex",
    "LinkedElsewhere",
    "MatchResult",
    "Matched",
    "MatchedBy",
    "NoMatch",
    "match_record",
    "phone_search_formats",
]
