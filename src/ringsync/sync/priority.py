"""Lead/Contact priority: which Salesforce record is primary for one phone number.

With object mode ``both`` the admin picks a priority object. When one normalized phone number
exists as a Lead and as a Contact, the priority object's record is the primary one and the others
are skipped with a reason ("phone +1******0100 is also Lead 00Q...; Lead priority"). Two records
of the same object sharing a number keep the one with the smallest id (Salesforce ids grow with
creation, so that is the oldest) and skip the rest.

A converted Lead (``IsConverted`` with a ``ConvertedContactId``) is followed to its Contact when
Contacts are synced; when only Leads are synced it is skipped as "converted".

The priority also picks the object that creates use (the push button, outbound creates, list
imports): the priority object with mode ``both``, else the one synced object.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field

from ringsync.domain.phones import mask
from ringsync.errors import ConfigError
from ringsync.mapping.catalog import SyncObject
from ringsync.sync.config import ObjectMode


def synced_objects(mode: str) -> frozenset[SyncObject]:
    """Return the objects synced under ``mode``."""
    chosen = ObjectMode(mode)
    if chosen is ObjectMode.LEADS:
        return frozenset({SyncObject.LEAD})
    if chosen is ObjectMode.CONTACTS:
        return frozenset({SyncObject.CONTACT})
    return frozenset({SyncObject.LEAD, SyncObject.CONTACT})


def create_object(mode: str, priority: str | None) -> SyncObject:
    """Return the object that creates use: the priority object, or the one synced object."""
    chosen = ObjectMode(mode)
    if chosen is ObjectMode.LEADS:
        return SyncObject.LEAD
    if chosen is ObjectMode.CONTACTS:
        return SyncObject.CONTACT
    if priority is None:
        raise ConfigError("a priority (Lead or Contact) is required when both objects are synced")
    return SyncObject(priority)


@dataclass(frozen=True)
class RecordRef:
    """What priority needs to know about one Salesforce record."""

    sobject: SyncObject
    id: str
    phone: str | None = None  # normalized E.164, or None when the record has no usable phone
    is_converted: bool = False
    converted_contact_id: str | None = None


@dataclass(frozen=True)
class SkippedRecord:
    """A record that will not sync, and why (phones masked)."""

    record: RecordRef
    reason: str


@dataclass(frozen=True)
class ConversionFollow:
    """A converted Lead whose link moves to the Contact it became."""

    lead: RecordRef
    contact_record_id: str


@dataclass
class PriorityResult:
    """The records to sync, the ones skipped, and the conversions to follow."""

    kept: list[RecordRef] = field(default_factory=list)
    skipped: list[SkippedRecord] = field(default_factory=list)
    follow: list[ConversionFollow] = field(default_factory=list)


def conversion_outcome(record: RecordRef, mode: str) -> ConversionFollow | SkippedRecord | None:
    """Return what happens to a converted Lead under ``mode``; None when it is not converted."""
    if record.sobject is not SyncObject.LEAD or not record.is_converted:
        return None
    if SyncObject.CONTACT not in synced_objects(mode):
        return SkippedRecord(record, "converted (Contacts are not synced)")
    if not record.converted_contact_id:
        return SkippedRecord(record, "converted without a Contact")
    return ConversionFollow(record, record.converted_contact_id)


def apply_priority(records: Iterable[RecordRef], mode: str, priority: str | None) -> PriorityResult:
    """Split records into kept, skipped and conversions to follow, under mode and priority."""
    synced = synced_objects(mode)
    result = PriorityResult()
    by_phone: dict[str, list[RecordRef]] = {}
    for record in records:
        if record.sobject not in synced:
            result.skipped.append(
                SkippedRecord(record, f"{record.sobject} is not synced (object mode {mode})")
            )
            continue
        outcome = conversion_outcome(record, mode)
        if isinstance(outcome, SkippedRecord):
            result.skipped.append(outcome)
        elif isinstance(outcome, ConversionFollow):
            result.follow.append(outcome)
        elif record.phone is None:
            result.kept.append(record)
        else:
            by_phone.setdefault(record.phone, []).append(record)
    preferred = _priority_object(mode, priority)
    for phone, group in by_phone.items():
        primary = choose_primary(group, preferred)
        result.kept.append(primary)
        result.skipped.extend(
            SkippedRecord(other, skip_reason(phone, primary, other))
            for other in group
            if other is not primary
        )
    return result


def _priority_object(mode: str, priority: str | None) -> SyncObject | None:
    """Return the priority object when both objects are synced; None otherwise."""
    if ObjectMode(mode) is not ObjectMode.BOTH:
        return None
    return create_object(mode, priority)


def choose_primary(group: Sequence[RecordRef], preferred: SyncObject | None) -> RecordRef:
    """Return the primary record of a non-empty group sharing one phone number."""
    candidates = [r for r in group if r.sobject is preferred] or list(group)
    return min(candidates, key=lambda r: r.id)


def skip_reason(phone: str, primary: RecordRef, other: RecordRef) -> str:
    """Explain why ``other`` lost to ``primary`` for ``phone`` (the phone masked)."""
    why = f"{primary.sobject} priority" if other.sobject is not primary.sobject else "oldest kept"
    return f"phone {mask(phone)} is also {primary.sobject} {primary.id}; {why}"


__all__ = [
    "ConversionFollow",
    "PriorityResult",
    "RecordRef",
    "SkippedRecord",
    "apply_priority",
    "choose_primary",
    "conversion_outcome",
    "create_object",
    "skip_reason",
    "synced_objects",
]
