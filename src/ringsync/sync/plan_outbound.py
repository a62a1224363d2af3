"""Outbound planning: turn coalesced outbox entries into Salesforce writes, with no I/O.

For each contact with changed properties:

* a linked contact is updated only when the update direction is ``both``; the payload holds
  the changed, mapped, outbound fields whose value differs from the base (echo-free), with
  the owner sent through the user mapping (a blank owner is held back: Salesforce cannot
  blank ``OwnerId``); counters never go down, a DNC opt-out is not
  cleared unless a user did it explicitly, and under ``never_blank`` a blank is not sent over
  a value;
* an unlinked contact is created only when the create direction is ``both``, as the priority
  object (or the one synced object), with every mapped outbound non-blank value, the Lead
  fillers for blank required fields (left out of the base, so the filler comes back to the
  contact on the next inbound merge rather than a blank going out), and the phone spellings
  to search for first, so the engine does not create a duplicate.

Values stay ringsync values unless the caller passes ``convert`` (bind
:func:`ringsync.mapping.convert.to_salesforce` to the describe): ``Skipped`` leaves a field out
with a note, ``Failed`` skips the whole contact with the reason.
"""

from __future__ import annotations

from collections.abc import Callable, Collection, Mapping
from dataclasses import dataclass
from enum import StrEnum

from ringsync.mapping.catalog import FieldMapping, SyncObject
from ringsync.mapping.convert import Conversion, Failed, Skipped
from ringsync.sync.conflicts import ConflictPolicy
from ringsync.sync.fingerprint import ValueNormalizer
from ringsync.sync.matching import phone_search_formats
from ringsync.sync.merge import FieldRule, MergeField
from ringsync.sync.plan import ContactState, LinkState, PlanSettings, Skip
from ringsync.sync.priority import create_object, synced_objects

ConvertValue = Callable[[FieldMapping, object], Conversion]
"""Convert one property value for one mapping row into a Salesforce wire value."""

OWNER = "owner"


class WriteOp(StrEnum):
    """The kind of Salesforce write."""

    UPDATE = "update"
    CREATE = "create"


@dataclass(frozen=True)
class SalesforceWrite:
    """One record to write; ``base_update`` is what the link's base becomes on success."""

    op: WriteOp
    sobject: SyncObject
    contact_id: str
    record_id: str | None
    payload: dict[str, object]
    base_update: dict[str, object]
    phone_formats: tuple[str, ...] = ()
    notes: tuple[str, ...] = ()


OutboundAction = SalesforceWrite | Skip


@dataclass(frozen=True)
class _Context:
    settings: PlanSettings
    normalizer: ValueNormalizer
    user_mapping: Mapping[str, str]
    convert: ConvertValue | None


class _RecordFailedError(Exception):
    """A value the record cannot be written with."""


def plan_outbound(
    entries: Mapping[str, Collection[str]],
    *,
    contacts: Mapping[str, ContactState],
    links: Mapping[str, LinkState],
    settings: PlanSettings,
    normalizer: ValueNormalizer,
    user_mapping: Mapping[str, str],
    convert: ConvertValue | None = None,
) -> list[OutboundAction]:
    """Plan writes for coalesced outbox entries (contact id -> changed properties).

    ``links`` is keyed by contact id; ``user_mapping`` maps ringsync user ids to Salesforce
    user ids.
    """
    ctx = _Context(settings, normalizer, user_mapping, convert)
    actions: list[OutboundAction] = []
    for contact_id, changed in entries.items():
        contact = contacts.get(contact_id)
        if contact is None:
            actions.append(Skip("contact no longer exists", contact_id=contact_id))
            continue
        link = links.get(contact_id)
        if link is None:
            actions.append(_plan_create(ctx, contact))
        else:
            actions.append(_plan_update(ctx, contact, link, changed))
    return actions


def _rows(settings: PlanSettings, obj: SyncObject) -> list[tuple[FieldMapping, MergeField]]:
    rows = settings.mappings.get(obj, ())
    return list(zip(rows, settings.fields(obj), strict=True))


def _plan_update(
    ctx: _Context, contact: ContactState, link: LinkState, changed: Collection[str]
) -> OutboundAction:
    """Build an update of the changed fields, or say why nothing is sent."""
    if not ctx.settings.outbound_updates:
        reason = "update direction is inbound; nothing sent to Salesforce"
        return Skip(reason, link.record_id, contact.id)
    if link.sobject not in synced_objects(ctx.settings.object_mode):
        reason = f"{link.sobject} is not synced (object mode {ctx.settings.object_mode})"
        return Skip(reason, link.record_id, contact.id)
    payload: dict[str, object] = {}
    base_update: dict[str, object] = {}
    notes: list[str] = []
    for row, spec in _rows(ctx.settings, link.sobject):
        if spec.name not in changed:
            continue
        value = contact.values.get(spec.name)
        why_not = _hold_back(ctx, spec, value, link.base, contact)
        if why_not:
            notes.append(why_not)
            continue
        try:
            _put(ctx, row, value, payload, notes)
        except _RecordFailedError as exc:
            return Skip(str(exc), link.record_id, contact.id)
        if row.salesforce_field in payload:
            base_update[spec.name] = value
    if not payload:
        return Skip(_nothing_to_send(notes), link.record_id, contact.id)
    return SalesforceWrite(
        WriteOp.UPDATE,
        link.sobject,
        contact.id,
        link.record_id,
        payload,
        base_update,
        notes=tuple(notes),
    )


def _hold_back(
    ctx: _Context,
    spec: MergeField,
    value: object,
    base: Mapping[str, object],
    contact: ContactState,
) -> str:
    """Return why one changed field is not sent, or "" when it is."""
    name = spec.name
    if not spec.direction.outbound:
        return f"{name}: direction is from Salesforce only"
    has_base = name in base
    previous = base.get(name)
    if has_base and ctx.normalizer.equal(name, value, previous):
        return f"{name}: unchanged since last sync"
    if name == OWNER and ctx.normalizer.is_blank(name, value):
        return f"{OWNER}: Salesforce requires an owner; a blank owner is not sent"
    if spec.rule is FieldRule.COUNTER and _lower(value, previous):
        return f"{name}: a counter never goes down"
    if (
        spec.rule is FieldRule.STICKY_TRUE
        and not value
        and bool(previous)
        and name not in contact.explicit
    ):
        return f"{name}: the opt-out is sticky (only an explicit user opt-in clears it)"
    if (
        spec.policy is ConflictPolicy.NEVER_BLANK
        and ctx.normalizer.is_blank(name, value)
        and not ctx.normalizer.is_blank(name, previous)
    ):
        return f"{name}: a blank never overwrites a value"
    return ""


def _nothing_to_send(notes: list[str]) -> str:
    """Say why an update sends nothing, keeping the owner notes (an owner change was refused)."""
    held = [note for note in notes if note.startswith(f"{OWNER}:")]
    return "; ".join(["nothing to send", *held])


def _lower(value: object, previous: object) -> bool:
    numbers = (int, float)
    if isinstance(value, bool) or isinstance(previous, bool):
        return False
    if isinstance(value, numbers) and isinstance(previous, numbers):
        return value < previous
    return value is None and isinstance(previous, numbers)


def _put(
    ctx: _Context,
    row: FieldMapping,
    value: object,
    payload: dict[str, object],
    notes: list[str],
) -> None:
    """Add one field to the payload, through the user mapping and the converter."""
    if row.ringsync_property == OWNER and value is not None:
        owner = ctx.user_mapping.get(str(value))
        if owner is None:
            notes.append(f"{OWNER}: user {value} has no Salesforce user mapping")
            return
        value = owner
    if ctx.convert is None:
        payload[row.salesforce_field] = value
        return
    outcome = ctx.convert(row, value)
    if isinstance(outcome, Failed):
        raise _RecordFailedError(outcome.reason)
    if isinstance(outcome, Skipped):
        notes.append(outcome.reason)
        return
    if outcome.note:
        notes.append(outcome.note)
    payload[row.salesforce_field] = outcome.value


def _plan_create(ctx: _Context, contact: ContactState) -> OutboundAction:
    """Build a create of every mapped outbound value, or say why the contact stays here."""
    if not ctx.settings.outbound_creates:
        reason = "create direction is inbound; contact not created in Salesforce"
        return Skip(reason, contact_id=contact.id)
    phone = contact.values.get("phone")
    if not isinstance(phone, str) or not phone.strip():
        return Skip("no phone number; contact not created", contact_id=contact.id)
    obj = create_object(ctx.settings.object_mode, ctx.settings.priority)
    payload: dict[str, object] = {}
    base_update: dict[str, object] = {}
    notes: list[str] = []
    fillers = ctx.settings.lead_defaults if obj is SyncObject.LEAD else {}
    for row, spec in _rows(ctx.settings, obj):
        value = contact.values.get(spec.name)
        filled = ctx.normalizer.is_blank(spec.name, value)
        if filled:
            value = fillers.get(spec.name)
        if not spec.direction.outbound or ctx.normalizer.is_blank(spec.name, value):
            continue
        try:
            _put(ctx, row, value, payload, notes)
        except _RecordFailedError as exc:
            return Skip(str(exc), contact_id=contact.id)
        if row.salesforce_field in payload and not filled:
            base_update[spec.name] = value
    return SalesforceWrite(
        WriteOp.CREATE,
        obj,
        contact.id,
        None,
        payload,
        base_update,
        phone_formats=phone_search_formats(phone.strip()),
        notes=tuple(notes),
    )


__all__ = [
    "ConvertValue",
    "OutboundAction",
    "SalesforceWrite",
    "WriteOp",
    "plan_outbound",
]
