"""Inbound planning: turn a batch of Salesforce records into actions on contacts, with no I/O.

The engine reads records, links and contacts, calls :func:`plan_inbound`, and applies the actions
in one transaction. Per record, in order:

1. deleted records unlink their contact (the contact itself stays);
2. object mode and Lead/Contact priority drop records that are not primary for their phone;
   converted Leads are followed to their Contact (or skipped when Contacts are not synced);
3. the record is matched: by link, then by normalized phone, then by other phones;
4. a linked or matched record is merged three-way against the link's base (the update
   direction decides whether anything may go back to Salesforce); an unmatched record with a
   valid phone becomes a new contact (inbound creates are always allowed);
5. a record whose fingerprint equals the link's stored fingerprint is an echo and is skipped.

The record's Phone reaches the contact as E.164; a blank or unreadable Phone is not taken (the
contact keeps its number, the base keeps its value).

Nothing is dropped silently: every record yields an action, a skip with a reason at least.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime

from ringsync.domain.phones import mask
from ringsync.mapping.catalog import FieldMapping, SyncObject
from ringsync.sync.config import ObjectMode, SyncDirection, SyncSettings
from ringsync.sync.conflicts import Conflict, ConflictPolicy
from ringsync.sync.fingerprint import PhoneNormalizer, ValueNormalizer, fingerprint
from ringsync.sync.matching import (
    Ambiguous,
    ContactIndex,
    LinkedElsewhere,
    Matched,
    MatchedBy,
    NoMatch,
    match_record,
)
from ringsync.sync.merge import MergeField, OursSide, TheirsSide, fields_from_mapping, merge
from ringsync.sync.priority import RecordRef, apply_priority


@dataclass(frozen=True)
class PlanSettings:
    """The settings planning needs, as plain values (built from SyncSettings by the engine)."""

    object_mode: str = ObjectMode.LEADS
    create_direction: str = SyncDirection.INBOUND
    update_direction: str = SyncDirection.BOTH
    priority: str | None = None
    mappings: Mapping[SyncObject, Sequence[FieldMapping]] = field(default_factory=dict)
    policies: Mapping[str, str] = field(default_factory=dict)
    default_policy: str = ConflictPolicy.SALESFORCE_WINS
    lead_defaults: Mapping[str, str] = field(default_factory=dict)
    _specs: dict[tuple[SyncObject, int, int], tuple[MergeField, ...]] = field(
        default_factory=dict, init=False, repr=False, compare=False
    )

    @classmethod
    def from_sync_settings(cls, settings: SyncSettings) -> PlanSettings:
        """Take what planning needs from an account's saved SyncSettings."""
        return cls(
            object_mode=settings.object_mode,
            create_direction=settings.create_direction,
            update_direction=settings.update_direction,
            priority=settings.priority,
            mappings={obj: settings.mappings_for(obj) for obj in SyncObject},
            policies=dict(settings.conflict_policies),
            default_policy=settings.default_conflict_policy,
            lead_defaults=settings.lead_defaults.model_dump(),
        )

    @property
    def outbound_creates(self) -> bool:
        """Tell whether contacts may be created in Salesforce."""
        return SyncDirection(self.create_direction) is SyncDirection.BOTH

    @property
    def outbound_updates(self) -> bool:
        """Tell whether contact updates may be sent to Salesforce."""
        return SyncDirection(self.update_direction) is SyncDirection.BOTH

    def fields(self, obj: SyncObject) -> tuple[MergeField, ...]:
        """Return the merge spec of ``obj``'s mapping (built once: outbound asks per contact)."""
        rows = self.mappings.get(obj, ())
        key = (obj, id(rows), len(rows))
        specs = self._specs.get(key)
        if specs is None:
            specs = self._specs[key] = fields_from_mapping(rows, self.policies, self.default_policy)
        return specs


@dataclass(frozen=True)
class InboundRecord:
    """One Salesforce record already mapped to property names and ringsync value types."""

    sobject: SyncObject
    id: str
    values: Mapping[str, object]
    modified_at: datetime | None = None
    is_converted: bool = False
    converted_contact_id: str | None = None
    other_phones: Sequence[tuple[str, object]] = ()  # e.g. (("MobilePhone", "+1 415..."),)


@dataclass(frozen=True)
class LinkState:
    """A contact paired with a record, the base (last synced values) and the last fingerprint."""

    contact_id: str
    sobject: SyncObject
    record_id: str
    base: Mapping[str, object] = field(default_factory=dict)
    fingerprint: str | None = None


@dataclass(frozen=True)
class ContactState:
    """A contact's current values, per-property change times and explicit user actions."""

    id: str
    values: Mapping[str, object]
    changed_at: Mapping[str, datetime] = field(default_factory=dict)
    explicit: frozenset[str] = frozenset()


@dataclass(frozen=True)
class Create:
    """Create a contact from a record and link them; ``new_base`` is the link's first base."""

    record_id: str
    sobject: SyncObject
    values: dict[str, object]
    new_base: dict[str, object]


@dataclass(frozen=True)
class Update:
    """Apply a merge to a linked (or newly matched) pair."""

    contact_id: str
    record_id: str
    sobject: SyncObject
    to_ringsync: dict[str, object]
    to_salesforce: dict[str, object]
    new_base: dict[str, object]
    matched_by: MatchedBy = MatchedBy.LINK
    replaces: str | None = None  # the record id whose link this one takes over


@dataclass(frozen=True)
class Skip:
    """Do nothing with this record or contact, and log why."""

    reason: str
    record_id: str | None = None
    contact_id: str | None = None


@dataclass(frozen=True)
class ConflictFound:
    """A field conflict settled by policy, for the sync log."""

    contact_id: str
    record_id: str
    conflict: Conflict


@dataclass(frozen=True)
class Unlink:
    """Remove the link of a record deleted (or superseded) in Salesforce; the contact stays."""

    record_id: str
    contact_id: str
    reason: str


@dataclass(frozen=True)
class FollowConversion:
    """Move a converted Lead's link (and its base) to the Contact it became."""

    lead_id: str
    contact_record_id: str
    contact_id: str


InboundAction = Create | Update | Skip | ConflictFound | Unlink | FollowConversion


@dataclass
class _Batch:
    """Working state of one planning pass (links move as conversions are followed)."""

    settings: PlanSettings
    links: dict[str, LinkState]
    contacts: Mapping[str, ContactState]
    normalizer: ValueNormalizer
    phone: PhoneNormalizer
    actions: list[InboundAction] = field(default_factory=list)
    record_links: dict[str, str] = field(default_factory=dict)  # record id -> contact id
    contact_links: dict[str, str] = field(default_factory=dict)  # contact id -> record id
    specs: dict[SyncObject, tuple[MergeField, ...]] = field(default_factory=dict)

    def fields(self, obj: SyncObject) -> tuple[MergeField, ...]:
        """Return the merge spec of ``obj``, built once per batch."""
        if obj not in self.specs:
            self.specs[obj] = self.settings.fields(obj)
        return self.specs[obj]

    def link(self, state: LinkState) -> None:
        """Record a link made during planning so later records in the batch see it."""
        self.links[state.record_id] = state
        self.record_links[state.record_id] = state.contact_id
        self.contact_links[state.contact_id] = state.record_id

    def unlink(self, record_id: str) -> LinkState | None:
        """Forget a link during planning; return it when it existed."""
        state = self.links.pop(record_id, None)
        self.record_links.pop(record_id, None)
        if state is not None and self.contact_links.get(state.contact_id) == record_id:
            del self.contact_links[state.contact_id]
        return state


def plan_inbound(
    records: Sequence[InboundRecord],
    *,
    links: Mapping[str, LinkState],
    contacts: Mapping[str, ContactState],
    settings: PlanSettings,
    normalizer: ValueNormalizer,
    phone: PhoneNormalizer,
    deleted: Sequence[str] = (),
) -> list[InboundAction]:
    """Plan one inbound batch; ``links`` is keyed by record id, ``contacts`` by contact id."""
    batch = _Batch(settings, {}, contacts, normalizer, phone)
    for state in links.values():
        batch.link(state)
    for record_id in deleted:
        gone = batch.unlink(record_id)
        if gone is None:
            batch.actions.append(Skip("deleted in Salesforce; not linked", record_id))
        else:
            batch.actions.append(Unlink(record_id, gone.contact_id, "deleted in Salesforce"))
    deleted_ids = set(deleted)
    live = [r for r in records if r.id not in deleted_ids]
    refs = {r.id: _ref(r, phone) for r in live}
    outcome = apply_priority(refs.values(), settings.object_mode, settings.priority)
    for skipped in outcome.skipped:
        batch.actions.append(Skip(skipped.reason, skipped.record.id))
    for follow in outcome.follow:
        _follow(batch, follow.lead.id, follow.contact_record_id)
    kept = {ref.id for ref in outcome.kept}
    index = _index(batch)
    for record in live:
        if record.id in kept:
            _plan_record(batch, index, record)
    return batch.actions


def _ref(record: InboundRecord, phone: PhoneNormalizer) -> RecordRef:
    raw = record.values.get("phone")
    e164 = phone(raw.strip()) if isinstance(raw, str) and raw.strip() else None
    return RecordRef(
        record.sobject, record.id, e164, record.is_converted, record.converted_contact_id
    )


def _follow(batch: _Batch, lead_id: str, contact_record_id: str) -> None:
    """Move the Lead's link to its Contact unless that Contact is already linked."""
    lead_link = batch.links.get(lead_id)
    if lead_link is None:
        reason = f"converted to Contact {contact_record_id}; that Contact syncs on its own"
        batch.actions.append(Skip(reason, lead_id))
        return
    taken = batch.links.get(contact_record_id)
    batch.unlink(lead_id)
    if taken is not None:
        reason = f"converted to Contact {contact_record_id}, which is already linked"
        batch.actions.append(Unlink(lead_id, lead_link.contact_id, reason))
        return
    batch.link(
        LinkState(lead_link.contact_id, SyncObject.CONTACT, contact_record_id, lead_link.base)
    )
    batch.actions.append(FollowConversion(lead_id, contact_record_id, lead_link.contact_id))


def _index(batch: _Batch) -> ContactIndex:
    """Index the batch's links and contact phones once; the link maps stay live."""
    phones: dict[str, list[str]] = {}
    for contact in batch.contacts.values():
        raw = contact.values.get("phone")
        e164 = batch.phone(raw.strip()) if isinstance(raw, str) and raw.strip() else None
        if e164:
            phones.setdefault(e164, []).append(contact.id)
    return ContactIndex(batch.record_links, phones, batch.contact_links)


def _plan_record(batch: _Batch, index: ContactIndex, record: InboundRecord) -> None:
    """Match, then merge or create one record that survived priority."""
    phones = [("Phone", record.values.get("phone")), *record.other_phones]
    found = match_record(record.id, phones, index, batch.phone)
    if isinstance(found, Matched):
        _merge_into(batch, record, found.contact_id, found.by)
    elif isinstance(found, LinkedElsewhere):
        _linked_elsewhere(batch, record, found)
    elif isinstance(found, Ambiguous):
        batch.actions.append(Skip(found.reason, record.id))
    elif isinstance(found, NoMatch):
        _create(batch, record, found.phone)


def _linked_elsewhere(batch: _Batch, record: InboundRecord, found: LinkedElsewhere) -> None:
    """Take over the link when this record has priority over the linked one; else skip."""
    other = batch.links.get(found.record_id)
    other_object = other.sobject if other is not None else record.sobject
    preferred = (
        SyncObject(batch.settings.priority)
        if ObjectMode(batch.settings.object_mode) is ObjectMode.BOTH and batch.settings.priority
        else None
    )
    shown = mask(found.phone)
    if preferred is record.sobject and other_object is not record.sobject:
        _merge_into(batch, record, found.contact_id, MatchedBy.PHONE, replaces=found.record_id)
        return
    why = f"{other_object} priority" if other_object is preferred else "already linked"
    reason = f"phone {shown} is also {other_object} {found.record_id}; {why}"
    batch.actions.append(Skip(reason, record.id, found.contact_id))


def _merge_into(
    batch: _Batch,
    record: InboundRecord,
    contact_id: str,
    by: MatchedBy,
    replaces: str | None = None,
) -> None:
    """Merge a record into its contact and emit the update and any conflicts."""
    contact = batch.contacts.get(contact_id)
    if contact is None:
        batch.actions.append(Skip("the linked contact no longer exists", record.id, contact_id))
        return
    link = batch.links.get(record.id) if by is MatchedBy.LINK else None
    if link is not None and link.fingerprint is not None:
        seen = fingerprint(record.values, batch.normalizer)
        if seen == link.fingerprint:
            batch.actions.append(Skip("echo: same values as last synced", record.id, contact_id))
            return
    theirs = dict(record.values)
    raw_phone = theirs.pop("phone", None)
    e164 = batch.phone(raw_phone.strip()) if isinstance(raw_phone, str) else None
    if e164:  # a blank or unreadable Phone never replaces the contact's number
        theirs["phone"] = e164
    result = merge(
        link.base if link is not None else None,
        OursSide(contact.values, contact.changed_at, contact.explicit),
        TheirsSide(theirs, record.modified_at),
        batch.fields(record.sobject),
        outbound_updates=batch.settings.outbound_updates,
        normalizer=batch.normalizer,
    )
    batch.actions.extend(ConflictFound(contact_id, record.id, c) for c in result.conflicts)
    old_base = dict(link.base) if link is not None else None
    if link is not None and not result.changes_anything and result.new_base == old_base:
        batch.actions.append(Skip("no changes", record.id, contact_id))
        return
    batch.actions.append(
        Update(
            contact_id,
            record.id,
            record.sobject,
            result.to_ringsync,
            result.to_salesforce,
            result.new_base,
            by,
            replaces,
        )
    )
    if link is None:
        if replaces is not None:
            batch.unlink(replaces)
        batch.link(LinkState(contact_id, record.sobject, record.id, result.new_base))


def _create(batch: _Batch, record: InboundRecord, phone: str | None) -> None:
    """Create a contact from an unmatched record with a valid phone."""
    if phone is None:
        batch.actions.append(Skip("no valid phone number; contact not created", record.id))
        return
    values: dict[str, object] = {}
    for spec in batch.fields(record.sobject):
        value = record.values.get(spec.name)
        if spec.direction.inbound and not batch.normalizer.is_blank(spec.name, value):
            values[spec.name] = value
    values["phone"] = phone
    batch.actions.append(Create(record.id, record.sobject, values, dict(values)))


__all__ = [
    "ConflictFound",
    "ContactState",
    "Create",
    "FollowConversion",
    "InboundAction",
    "InboundRecord",
    "LinkState",
    "PlanSettings",
    "Skip",
    "Unlink",
    "Update",
    "plan_inbound",
]
