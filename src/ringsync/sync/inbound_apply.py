"""Apply one inbound batch in the caller's transaction: contacts, links, outbox and sync log.

Contacts change through the domain services with origin ``salesforce``, so nothing echoes back.
A field the merge decided to send to Salesforce gets an outbox row, and its base keeps the
Salesforce value until the outbound write succeeds. A record the domain refuses (for example a
phone number another contact already has) is logged as failed and left unlinked; the batch goes
on (the domain checks every rule before it writes anything).

New contacts are created together through the bulk path, and links, fingerprints, outbox rows
and resolved failures are written a few statements per batch (see `inbound_writes`). The held
back writes are flushed before any step that removes links or changes a phone number, and log
rows keep the order of the planned actions.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import datetime

from sqlalchemy.orm import Session

from ringsync.domain.contact_values import Origin
from ringsync.domain.contacts import update_contact
from ringsync.domain.contacts_bulk import create_contacts
from ringsync.errors import RingsyncError, ValidationError
from ringsync.mapping.catalog import SyncObject
from ringsync.store.repositories import sync_failed, sync_links, sync_reads
from ringsync.store.repositories.sync_links import LinkRow
from ringsync.store.repositories.sync_log import LogAction, LogEntry
from ringsync.sync.fingerprint import PhoneNormalizer, ValueNormalizer, fingerprint
from ringsync.sync.inbound_writes import BatchWrites
from ringsync.sync.plan import (
    ConflictFound,
    Create,
    FollowConversion,
    PlanSettings,
    Skip,
    Unlink,
    Update,
    plan_inbound,
)
from ringsync.sync.records import ReadRecord, ReadSchema
from ringsync.sync.states import link_state, load_states

INBOUND = "inbound"
_IDENTITY = frozenset({"phone", "extension"})


@dataclass
class BatchContext:
    """What applying a batch needs besides the records."""

    account_id: int
    settings: PlanSettings
    normalizer: ValueNormalizer
    phone: PhoneNormalizer
    at: datetime
    run_id: int | None = None
    link_base_url: str | None = None
    totals: Counter[str] = field(default_factory=Counter)
    entries: list[LogEntry] = field(default_factory=list)


def _error_text(exc: RingsyncError) -> str:
    if isinstance(exc, ValidationError) and exc.problems:
        return "; ".join(p.reason for p in exc.problems)
    return exc.message


class _Applier:
    """Apply planned actions in order, holding back the writes that can go out in bulk."""

    def __init__(
        self,
        session: Session,
        ctx: BatchContext,
        reads: Mapping[str, ReadRecord],
        links: Mapping[str, LinkRow],
    ) -> None:
        """Apply into ``session``; ``reads`` and the stored ``links`` are keyed by record id."""
        self.session = session
        self.ctx = ctx
        self.reads = reads
        self.links = links
        self.noted: set[str] = set()
        self.writes = BatchWrites(session, ctx.account_id, ctx.at, links)
        self.creates: list[tuple[Create, int]] = []
        self.entries: list[LogEntry | None] = []
        self.slot: int | None = None

    def log(
        self,
        action: LogAction,
        reason: str,
        *,
        record_id: str | None = None,
        contact_id: str | int | None = None,
        sobject: str | None = None,
        fields: Mapping[str, tuple[object, object]] | None = None,
        error_code: str | None = None,
    ) -> None:
        """Queue one inbound log row; the record's read notes go on its first row."""
        read = self.reads.get(record_id or "")
        if read is not None and read.notes and record_id not in self.noted:
            self.noted.add(read.record.id)
            reason = "; ".join([reason, *read.notes])
        if sobject is None and read is not None:
            sobject = read.record.sobject.value
        self.ctx.totals[action.value] += 1
        entry = LogEntry(
            INBOUND,
            action,
            reason,
            sobject=sobject,
            record_id=record_id,
            contact_id=int(contact_id) if contact_id is not None else None,
            fields=dict(fields or {}),
            error_code=error_code,
            error_message=reason if action is LogAction.FAILED else None,
            at=self.ctx.at,
            run_id=self.ctx.run_id,
        )
        if self.slot is None:
            self.entries.append(entry)
        else:
            self.entries[self.slot] = entry

    def failed(
        self,
        record_id: str,
        contact_id: int | None,
        values: Mapping[str, object],
        exc: RingsyncError,
        reason: str,
    ) -> None:
        """Keep a record our side refused in failed records (retry re-reads it) and log it."""
        read = self.reads.get(record_id)
        sobject = read.record.sobject.value if read is not None else ""
        sync_failed.record_failure(
            self.session,
            self.ctx.account_id,
            contact_id=contact_id,
            sobject=sobject,
            record_id=record_id,
            operation=sync_failed.INBOUND_OPERATION,
            payload={"properties": sorted(values)},
            error_code=exc.code,
            message=reason,
            at=self.ctx.at,
        )
        self.log(
            LogAction.FAILED,
            reason,
            record_id=record_id,
            contact_id=contact_id,
            error_code=exc.code,
        )

    def applied(self, record_id: str) -> None:
        """Resolve an earlier inbound failure of a record that now went through."""
        self.writes.resolve(record_id)

    def seen_fingerprint(self, record_id: str) -> str | None:
        """Return the fingerprint of a record as read (its next identical read is an echo)."""
        read = self.reads.get(record_id)
        if read is None:
            return None
        return read.values_key or fingerprint(read.record.values, self.ctx.normalizer)

    def create(self, action: Create) -> None:
        """Hold a create for the next flush, keeping its place in the log."""
        self.entries.append(None)
        self.creates.append((action, len(self.entries) - 1))

    def flush(self) -> None:
        """Create the held contacts (origin ``salesforce``) and write every held-back row."""
        if self.creates:
            creates, self.creates = self.creates, []
            outcomes = create_contacts(
                self.session,
                self.ctx.account_id,
                [action.values for action, _ in creates],
                origin=Origin.SALESFORCE,
                known=self.writes.known(),
            )
            for (action, slot), outcome in zip(creates, outcomes, strict=True):
                self.slot = slot
                try:
                    self.created(action, outcome)
                finally:
                    self.slot = None
        self.writes.flush()

    def created(self, action: Create, outcome: int | ValidationError) -> None:
        """Link a created contact, or log why it was not created."""
        if isinstance(outcome, ValidationError):
            reason = f"contact not created: {_error_text(outcome)}"
            self.failed(action.record_id, None, action.values, outcome, reason)
            return
        contact_id = outcome
        link = LinkRow(
            contact_id,
            action.sobject.value,
            action.record_id,
            action.new_base,
            self.seen_fingerprint(action.record_id),
        )
        self.writes.link(link)
        self.applied(action.record_id)
        fields = {k: (None, v) for k, v in action.values.items()}
        self.log(
            LogAction.CREATED,
            "contact created from Salesforce",
            record_id=action.record_id,
            contact_id=contact_id,
            fields=fields,
        )

    def update(self, action: Update) -> None:
        """Apply a merge: contact changes, outbox for Salesforce-bound fields, link base."""
        contact_id = int(action.contact_id)
        if action.replaces is not None or _IDENTITY & set(action.to_ringsync):
            self.flush()
        if action.replaces is not None:
            sync_links.remove(self.session, self.ctx.account_id, action.replaces)
            self.writes.removed(action.replaces)
            self.log(
                LogAction.UNLINKED,
                f"the contact now follows {action.sobject} {action.record_id} (priority)",
                record_id=action.replaces,
                contact_id=contact_id,
            )
        before: Mapping[str, object] = {}
        if action.to_ringsync:
            try:  # every rule is checked before the first write: no savepoint needed
                change = update_contact(
                    self.session,
                    self.ctx.account_id,
                    contact_id,
                    action.to_ringsync,
                    origin=Origin.SALESFORCE,
                    known=self.writes.known(),
                )
            except RingsyncError as exc:
                reason = f"contact not updated: {_error_text(exc)}"
                self.failed(action.record_id, contact_id, action.to_ringsync, exc, reason)
                return
            before = {p: change.contact.provenance[p].previous for p in change.changed}
        base = dict(action.new_base)
        stored = self.links.get(action.record_id)
        old_base = stored.base if stored is not None else {}
        for prop in action.to_salesforce:
            if prop in old_base:
                base[prop] = old_base[prop]
            else:
                base.pop(prop, None)
        if action.to_salesforce:
            self.writes.queue_outbox(contact_id, sorted(action.to_salesforce))
        link = LinkRow(
            contact_id,
            action.sobject.value,
            action.record_id,
            base,
            self.seen_fingerprint(action.record_id),
        )
        self.writes.link(link)
        self.applied(action.record_id)
        fields = {p: (before.get(p), v) for p, v in action.to_ringsync.items()}
        reason = "updated from Salesforce" if action.to_ringsync else "in sync"
        if action.matched_by.value != "link":
            reason = f"linked by {action.matched_by.value}; {reason}"
        if action.to_salesforce:
            reason += "; queued for Salesforce: " + ", ".join(sorted(action.to_salesforce))
        self.log(
            LogAction.UPDATED,
            reason,
            record_id=action.record_id,
            contact_id=contact_id,
            fields=fields,
        )

    def skip(self, action: Skip) -> None:
        """Log a skip; an echo or a no-change read refreshes the link's fingerprint."""
        if action.record_id is not None and action.reason.startswith(("echo", "no changes")):
            fp = self.seen_fingerprint(action.record_id)
            if fp is not None:
                self.writes.fingerprint(action.record_id, fp)
        self.log(
            LogAction.SKIPPED,
            action.reason,
            record_id=action.record_id,
            contact_id=action.contact_id,
        )

    def unlink(self, action: Unlink) -> None:
        """Remove a link (deleted or superseded record); the contact stays."""
        self.flush()
        sync_links.remove(self.session, self.ctx.account_id, action.record_id)
        self.writes.removed(action.record_id)
        deleted = action.reason.startswith("deleted")
        reason = action.reason + ("; link removed, contact kept" if deleted else "")
        self.log(
            LogAction.DELETED if deleted else LogAction.UNLINKED,
            reason,
            record_id=action.record_id,
            contact_id=action.contact_id,
        )

    def follow(self, action: FollowConversion) -> None:
        """Move a converted Lead's link and base to its Contact."""
        self.flush()
        old = sync_links.remove(self.session, self.ctx.account_id, action.lead_id)
        self.writes.removed(action.lead_id)
        self.writes.removed(action.contact_record_id, int(action.contact_id))
        base = old.base if old is not None else {}
        link = LinkRow(
            int(action.contact_id), SyncObject.CONTACT.value, action.contact_record_id, base
        )
        sync_links.save(self.session, self.ctx.account_id, link, self.ctx.at)
        self.log(
            LogAction.UNLINKED,
            f"Lead converted to Contact {action.contact_record_id}; the link follows the Contact",
            record_id=action.lead_id,
            contact_id=action.contact_id,
            sobject=SyncObject.LEAD.value,
        )

    def conflict(self, action: ConflictFound) -> None:
        """Log a conflict settled by policy, with both values."""
        c = action.conflict
        reason = f"{c.field}: both sides changed; {c.policy.value}: {c.reason}; {c.winner} kept"
        self.log(
            LogAction.CONFLICT,
            reason,
            record_id=action.record_id,
            contact_id=action.contact_id,
            fields={c.field: (c.ours, c.theirs)},
        )


def _phones(reads: Sequence[ReadRecord], phone: PhoneNormalizer) -> set[str]:
    found: set[str] = set()
    for read in reads:
        raws = [read.record.values.get("phone"), *(v for _, v in read.record.other_phones)]
        for raw in raws:
            e164 = phone(raw.strip()) if isinstance(raw, str) and raw.strip() else None
            if e164:
                found.add(e164)
    return found


def _project(
    read: ReadRecord, base: Mapping[str, object], schema: ReadSchema, ctx: BatchContext
) -> ReadRecord:
    """Replace values that are our own (truncated or rounded) write coming back by the base."""
    values = dict(read.record.values)
    changed = False
    for prop, theirs in read.record.values.items():
        if prop not in base or ctx.normalizer.equal(prop, theirs, base[prop]):
            continue
        if schema.written_as(prop, base[prop], theirs, ctx.normalizer):
            values[prop] = base[prop]
            changed = True
    if not changed:
        return read
    return replace(read, record=replace(read.record, values=values))


def apply_batch(
    session: Session,
    ctx: BatchContext,
    reads: Sequence[ReadRecord],
    *,
    deleted: Sequence[str] = (),
    schema: ReadSchema | None = None,
) -> None:
    """Plan and apply one batch of records (and deletions) in the session's transaction."""
    record_ids = [r.record.id for r in reads] + list(deleted)
    record_ids += [r.record.converted_contact_id for r in reads if r.record.converted_contact_id]
    links = sync_links.by_records(session, ctx.account_id, record_ids)
    by_phone = sync_reads.contacts_by_phones(session, ctx.account_id, _phones(reads, ctx.phone))
    contact_ids = {link.contact_id for link in links.values()} | {c.id for c in by_phone}
    for link in sync_links.by_contacts(session, ctx.account_id, contact_ids).values():
        links.setdefault(link.record_id, link)
    if schema is not None:
        reads = [
            _project(r, links[r.record.id].base, schema, ctx) if r.record.id in links else r
            for r in reads
        ]
    contacts = sync_reads.contacts_by_ids(session, ctx.account_id, contact_ids)
    states = load_states(session, ctx.account_id, contacts, ctx.link_base_url)
    actions = plan_inbound(
        [r.record for r in reads],
        links={rid: link_state(link) for rid, link in links.items()},
        contacts=states,
        settings=ctx.settings,
        normalizer=ctx.normalizer,
        phone=ctx.phone,
        deleted=deleted,
    )
    applier = _Applier(session, ctx, {r.record.id: r for r in reads}, links)
    for action in actions:
        if isinstance(action, Create):
            applier.create(action)
        elif isinstance(action, Update):
            applier.update(action)
        elif isinstance(action, Skip):
            applier.skip(action)
        elif isinstance(action, Unlink):
            applier.unlink(action)
        elif isinstance(action, FollowConversion):
            applier.follow(action)
        else:
            applier.conflict(action)
    applier.flush()
    ctx.entries.extend(entry for entry in applier.entries if entry is not None)


__all__ = ["INBOUND", "BatchContext", "apply_batch"]
