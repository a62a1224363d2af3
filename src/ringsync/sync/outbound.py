"""Outbound run: claim outbox rows, plan per object, look before creating, send, settle.

Every claimed outbox row ends settled: done (sent, or nothing to send, with the reason logged),
released for a retry (a transient error), or failed with a failed-records entry holding the
Salesforce error (listable and retryable). The fields of a contact's open failed write are
claimed again with its next change, so they are re-sent with it: the failed record closes only
when a write carrying them is accepted (or none of them needs sending any more), and a refusal
keeps it open with every field it names.

Sending goes in batches of ``send_batch`` contacts per object, each settled in its own
transaction. Between batches the run renews the account lease it works under (``keep_lease``);
when the lease is lost the run stops before sending more, and the unsent rows stay claimed until
their claim lapses, for the new holder. Before each batch the run also extends the claim on the
rows it has not settled yet once half of the claim lease has run out, so no other claimer (a
push, another worker's sweep) takes them while it is still sending; a contact one of whose rows
was taken over anyway is left to its new holder: not sent, its other rows given back, logged.

An update whose call failed as a whole (a lost response) may have been applied: its values are
kept in flight (``sync_in_flight``) until the record is read again or a later write of the field
succeeds, so the read takes them as our echo, not as a Salesforce edit.

Before creating, one ``Phone IN (...)`` query per batch looks for an existing record under every
common spelling of each number; a found record is linked through the inbound path instead, and
the pending-create registry keeps two quick events (or two workers) from creating two records
for one number.
"""

from __future__ import annotations

import logging
from collections import defaultdict
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from ringsync.clock import Clock, SystemClock
from ringsync.errors import AuthError
from ringsync.mapping.catalog import FieldMapping, SyncObject
from ringsync.mapping.convert import Conversion, Failed
from ringsync.mapping.converters import RowConverter, outbound_converter
from ringsync.salesforce.client import SalesforceClient
from ringsync.salesforce.describe import SObjectDescribe
from ringsync.store.db import Database
from ringsync.store.repositories import outbox as outbox_repo
from ringsync.store.repositories import (
    sync_failed,
    sync_in_flight,
    sync_links,
    sync_log,
    sync_reads,
    sync_state,
)
from ringsync.store.repositories.sync_failed import INBOUND_OPERATION
from ringsync.store.repositories.sync_in_flight import InFlight
from ringsync.store.repositories.sync_log import LogAction, LogEntry
from ringsync.sync.inbound import take_echoes
from ringsync.sync.inbound_apply import BatchContext, apply_batch
from ringsync.sync.outbound_send import SendResult, send_creates, send_updates
from ringsync.sync.outbound_settle import (
    OUTBOUND,
    Claimed,
    SettleOptions,
    Settler,
    e164_of,
)
from ringsync.sync.plan import ContactState, LinkState, Skip
from ringsync.sync.plan_outbound import SalesforceWrite, WriteOp, plan_outbound
from ringsync.sync.priority import create_object
from ringsync.sync.records import ReadSchema, describe_fields, to_record
from ringsync.sync.states import link_state, load_states

PHONE_FORMATS_PER_QUERY = 300
CONVERSION_FAILED = "CONVERSION"
NOTHING_TO_SEND = "nothing to send"
CLAIM_LOST = "claim_lost"
CLAIM_LOST_REASON = "not sent by this run: its outbox claim was taken over by another run"

logger = logging.getLogger(__name__)

KeepLease = Callable[[], None]
"""Called between send batches: renew the account lease when due; raise LeaseLostError if lost."""


def no_lease() -> None:
    """Keep nothing (a run without a runner's lease)."""


@dataclass(frozen=True)
class OutboundOptions:
    """Knobs of outbound sending."""

    worker: str = "ringsync"
    claim_limit: int = 1000
    max_claims: int = 50  # claims per run: a larger backlog continues on the next wake or sweep
    lease: timedelta = timedelta(minutes=5)
    ingest_threshold: int = 2000
    retry_delay: timedelta = timedelta(minutes=1)
    max_attempts: int = 5
    send_batch: int = 200
    clock: Clock | None = None  # times the claim extensions; None: the system clock

    @property
    def settle(self) -> SettleOptions:
        """Return the settling part of the options."""
        return SettleOptions(self.retry_delay, self.max_attempts)


@dataclass(frozen=True)
class ObjectTools:
    """What outbound needs per object: the describe and the read schema for adopting records."""

    describe: SObjectDescribe
    schema: ReadSchema


def claim(
    db: Database, ctx: BatchContext, opts: OutboundOptions, now: datetime | None = None
) -> Claimed:
    """Claim pending outbox rows (SKIP LOCKED on Postgres, an immediate transaction on SQLite).

    ``now`` is when the claim is taken (the run's start, ``ctx.at``, when not given).
    """
    claimed = Claimed()
    at = ctx.at if now is None else now
    with db.write() as session:
        rows = outbox_repo.claim(
            session, ctx.account_id, opts.worker, at, lease=opts.lease, limit=opts.claim_limit
        )
    for row in rows:
        claimed.add(row)
    return claimed


def _capturing(convert: RowConverter, failures: set[str]) -> RowConverter:
    """Wrap a converter so the engine can tell a failed record from any other skip."""

    def wrapped(row: FieldMapping, value: object) -> Conversion:
        outcome = convert(row, value)
        if isinstance(outcome, Failed):
            failures.add(outcome.reason)
        return outcome

    return wrapped


@dataclass
class _RunClock:
    """The run's time: its start (``ctx.at``, read from the engine's clock) plus the time
    elapsed since, measured on ``clock``, so claims stay in the engine's timeline."""

    start: datetime
    clock: Clock
    origin: datetime = field(init=False)

    def __post_init__(self) -> None:
        self.origin = self.clock.now()

    def now(self) -> datetime:
        """Return the run's current time."""
        return self.start + (self.clock.now() - self.origin)


@dataclass
class _Hold:
    """The claim a pass holds on its rows: when it ends and when it was last taken or extended."""

    until: datetime
    renewed: datetime


@dataclass
class _Pass:
    """One outbound pass over claimed rows: the loaded states and the collaborators."""

    client: SalesforceClient
    db: Database
    ctx: BatchContext
    claimed: Claimed
    owners: Mapping[str, int]
    opts: OutboundOptions
    hold: _Hold
    states: Mapping[str, ContactState] = field(default_factory=dict)
    links: Mapping[str, LinkState] = field(default_factory=dict)
    user_mapping: Mapping[str, str] = field(default_factory=dict)
    in_flight: dict[int, InFlight] = field(default_factory=dict)
    refused: dict[str, set[str]] = field(default_factory=dict)
    requeued: bool = False  # rows given back to send at once (a record adopted by phone)

    def load(self) -> None:
        """Load the claimed contacts' states, links, in-flight values, open failed writes and
        the user mapping; the fields of an open failed write are claimed again (re-sent)."""
        ids = [int(c) for c in self.claimed.rows]
        account_id = self.ctx.account_id
        with self.db.read() as session:
            contacts = sync_reads.contacts_by_ids(session, account_id, ids)
            self.states = load_states(session, account_id, contacts, self.ctx.link_base_url)
            stored = sync_links.by_contacts(session, account_id, ids)
            self.links = {str(c): link_state(link) for c, link in stored.items()}
            self.user_mapping = sync_state.salesforce_ids(session, account_id)
            self.in_flight = sync_in_flight.load(session, account_id, ids)
            failed = sync_failed.list_failed(session, account_id)
        for record in failed:
            key = str(record.contact_id)
            if record.operation == INBOUND_OPERATION or key not in self.claimed.rows:
                continue
            props = record.payload.get("properties") if record.payload else None
            if isinstance(props, list):
                self.claimed.fields[key].update(str(p) for p in props)
            self.refused.setdefault(key, set()).add(record.sobject)

    def keep_claims(self, contacts: Sequence[str], now: datetime) -> None:
        """Extend the claim on the rows of ``contacts`` (not settled yet) once half of the
        claim lease has run out.

        A contact one of whose rows another claimer took over is left to it: not sent by this
        run, its other rows given back at once (not settled), a log row and ``claim_lost``.
        """
        if now - self.hold.renewed < self.opts.lease / 2:
            return
        rows = self.claimed.rows
        ids = [r.id for c in contacts for r in rows.get(c, [])]
        until = now + self.opts.lease
        ctx = self.ctx
        with self.db.write() as session:
            held = outbox_repo.extend_claims(
                session,
                ctx.account_id,
                self.opts.worker,
                ids,
                held_until=self.hold.until,
                until=until,
            )
            lost = [c for c in contacts if any(r.id not in held for r in rows.get(c, []))]
            if lost:
                mine = [r.id for c in lost for r in rows[c] if r.id in held]
                outbox_repo.release(
                    session, ctx.account_id, mine, retry_at=None, error=CLAIM_LOST_REASON
                )
                entries = [
                    LogEntry(
                        OUTBOUND,
                        LogAction.SKIPPED,
                        CLAIM_LOST_REASON,
                        contact_id=int(c),
                        run_id=ctx.run_id,
                    )
                    for c in lost
                ]
                sync_log.add_entries(session, ctx.account_id, entries, now)
        self.hold = _Hold(until, now)
        if not lost:
            return
        for contact_id in lost:
            rows.pop(contact_id, None)
            self.claimed.fields.pop(contact_id, None)
            self.refused.pop(contact_id, None)  # its open failed write stays for the holder
        ctx.totals[CLAIM_LOST] += len(lost)
        logger.warning(
            "account %s: %d contact(s) of outbound run %s not sent, their outbox claim was "
            "taken over by another run",
            ctx.account_id,
            len(lost),
            ctx.run_id,
        )

    def batches(self) -> list[tuple[SyncObject, list[str]]]:
        """Split each object's contacts into send batches (one batch above the Bulk threshold)."""
        out: list[tuple[SyncObject, list[str]]] = []
        for sobject, members in self.groups().items():
            bulk = len(members) > self.opts.ingest_threshold
            size = len(members) if bulk else max(1, self.opts.send_batch)
            out.extend(
                (sobject, members[start : start + size]) for start in range(0, len(members), size)
            )
        return out

    def groups(self) -> dict[SyncObject, list[str]]:
        """Split contacts by the object they write: their link's, else the create object."""
        target = create_object(self.ctx.settings.object_mode, self.ctx.settings.priority)
        groups: dict[SyncObject, list[str]] = defaultdict(list)
        for contact_id in self.claimed.rows:
            link = self.links.get(contact_id)
            groups[link.sobject if link is not None else target].append(contact_id)
        return groups

    def run_group(self, sobject: SyncObject, members: Sequence[str], tool: ObjectTools) -> None:
        """Plan, look before creating, send and settle the contacts that write ``sobject``."""
        failures: set[str] = set()
        convert = _capturing(outbound_converter(describe_fields(tool.describe)), failures)
        actions = plan_outbound(
            {c: self.claimed.fields[c] for c in members},
            contacts=self.states,
            links=self.links,
            settings=self.ctx.settings,
            normalizer=self.ctx.normalizer,
            user_mapping=self.user_mapping,
            convert=convert,
        )
        writes = [a for a in actions if isinstance(a, SalesforceWrite)]
        updates = [w for w in writes if w.op is WriteOp.UPDATE]
        creates = [w for w in writes if w.op is WriteOp.CREATE]
        adopted, creates, waiting = self.look_before_create(tool, creates)
        threshold = self.opts.ingest_threshold
        results = send_updates(self.client, sobject.value, updates, ingest_threshold=threshold)
        results += send_creates(self.client, sobject.value, creates)
        skips = [a for a in actions if isinstance(a, Skip)]
        self.settle(sobject, skips, failures, adopted, waiting, results)

    def settle(
        self,
        sobject: SyncObject,
        skips: Sequence[Skip],
        failures: set[str],
        adopted: Mapping[str, str],
        waiting: Sequence[str],
        results: Sequence[SendResult],
    ) -> None:
        """Settle every contact of a group in one transaction, with its log rows."""
        ctx = self.ctx
        with self.db.write() as session:
            settler = Settler(
                session, ctx, self.claimed, self.opts.settle, self.in_flight, self.refused
            )
            for skip in skips:
                contact = skip.contact_id
                if contact in self.refused and skip.reason.startswith(NOTHING_TO_SEND):
                    # Nothing of its open failed write needs sending any more: nothing is lost.
                    settler.resolve(str(contact), sobject.value)
                if skip.reason in failures and skip.contact_id:
                    op = WriteOp.UPDATE if skip.record_id else WriteOp.CREATE
                    settler.failed(
                        skip.contact_id,
                        sobject.value,
                        skip.record_id,
                        op.value,
                        {},
                        CONVERSION_FAILED,
                        skip.reason,
                    )
                else:
                    settler.skipped(skip, sobject.value)
            # A contact linked to the record found by its phone still has its own changes to
            # send (the record was read, not written): its rows go back for the next run,
            # which updates the record against the new link's base. One not linked (the
            # record went elsewhere by priority) is done, as nothing would change.
            linked = sync_links.by_contacts(session, ctx.account_id, [int(c) for c in adopted])
            for contact_id, reason in adopted.items():
                if int(contact_id) in linked:
                    settler.wait(contact_id, "linked to an existing record; sent next", now=True)
                    self.requeued = True
                else:
                    settler.done(contact_id)
                settler.log(
                    LogAction.SKIPPED, reason, sobject=sobject.value, contact_id=int(contact_id)
                )
            for contact_id in waiting:
                settler.wait(contact_id, "a create for this phone is in flight")
            for result in results:
                self.settle_result(settler, result)
            settler.flush()
            sync_log.add_entries(session, ctx.account_id, ctx.entries, ctx.at)
            ctx.entries.clear()
        refused = next((r for r in results if r.auth_failed), None)
        if refused is not None:  # the rows are released; the run fails as a whole
            raise AuthError(refused.message, error_code=refused.error_code)

    def settle_result(self, settler: Settler, result: SendResult) -> None:
        """Settle one sent write: success, retry later, or failed records."""
        write = result.write
        if result.success:
            link = self.links.get(write.contact_id)
            settler.sent(result, link.base if link is not None else {})
            return
        phone = e164_of(self.ctx, write)
        if write.op is WriteOp.CREATE and phone:
            sync_state.release(settler.session, self.ctx.account_id, phone)
        if result.unknown_outcome:
            settler.unknown(result)
        if not settler.retry(result):
            settler.failed(
                write.contact_id,
                write.sobject.value,
                write.record_id,
                write.op.value,
                write.payload,
                result.error_code,
                result.message,
            )

    def look_before_create(
        self, tool: ObjectTools, creates: list[SalesforceWrite]
    ) -> tuple[dict[str, str], list[SalesforceWrite], list[str]]:
        """Link contacts whose number already has a record; reserve the rest.

        Returns (contact id -> why not created, the writes to send, contact ids whose create
        is in flight elsewhere: reserved less than a claim lease ago and not finished).
        """
        if not creates:
            return {}, [], []
        ctx = self.ctx
        formats = sorted({f for w in creates for f in w.phone_formats})
        found: list[dict[str, object]] = []
        for start in range(0, len(formats), PHONE_FORMATS_PER_QUERY):
            chunk = tuple(formats[start : start + PHONE_FORMATS_PER_QUERY])
            found += [dict(r) for r in self.client.iter_query(tool.schema.by_phones(chunk))]
        reads = [to_record(raw, tool.schema, self.owners, ctx.normalizer) for raw in found]
        existing = {ctx.phone(str(r.record.values.get("phone") or "")) for r in reads}
        adopted: dict[str, str] = {}
        send: list[SalesforceWrite] = []
        waiting: list[str] = []
        with self.db.write() as session:
            if reads:
                for contact_id in take_echoes(session, ctx, reads, tool.schema):
                    self.in_flight.pop(contact_id, None)  # settled by the read
                apply_batch(session, ctx, reads, schema=tool.schema)
            for write in creates:
                e164 = e164_of(ctx, write)
                if e164 in existing:
                    adopted[write.contact_id] = (
                        "a record with this phone already exists; linked, not created"
                    )
                    continue
                contact_id = int(write.contact_id)
                sobject = write.sobject.value
                taken = sync_state.reserve(
                    session, ctx.account_id, e164, sobject, contact_id, ctx.at
                )
                in_flight = (
                    taken is not None
                    and taken.record_id is None
                    and taken.created_at > ctx.at - self.opts.lease
                )
                if in_flight:
                    waiting.append(write.contact_id)
                    continue
                if taken is not None:
                    # Stale: its create died, or its record no longer has this phone (the
                    # search above found none), so creating is safe.
                    sync_state.take_over(session, ctx.account_id, e164, sobject, contact_id, ctx.at)
                send.append(write)
            sync_log.add_entries(session, ctx.account_id, ctx.entries, ctx.at)
            ctx.entries.clear()
        return adopted, send, waiting


def run_outbound(
    client: SalesforceClient,
    db: Database,
    ctx: BatchContext,
    tools: Callable[[SyncObject], ObjectTools],
    owners: Mapping[str, int],
    opts: OutboundOptions,
    keep_lease: KeepLease = no_lease,
) -> None:
    """Send every pending change of one account in batches and settle each outbox row.

    Rows are claimed ``claim_limit`` at a time; a full claim is followed by another (up to
    ``max_claims`` in one run), so a backlog larger than one claim drains in one wake-up instead
    of waiting for the account's next event; so is a claim that gave rows back to send at once
    (a contact linked to the record found by its phone, updated in the next round).
    ``keep_lease`` is called between batches; when it raises (the lease was lost) the run
    stops before the next send and the rows not yet sent stay claimed until their claim lapses.
    Before each batch, once half of the claim lease has run out (on ``opts.clock``), the claim
    on the rows not settled yet is extended; a contact whose row was taken over is not sent.
    """
    made: dict[SyncObject, ObjectTools] = {}
    clock = _RunClock(ctx.at, opts.clock or SystemClock())
    for round_number in range(opts.max_claims):
        if round_number:
            keep_lease()
        now = clock.now()
        claimed = claim(db, ctx, opts, now)
        if not claimed.rows:
            return
        full = len(claimed.rows) >= opts.claim_limit
        outbound = _Pass(client, db, ctx, claimed, owners, opts, _Hold(now + opts.lease, now))
        outbound.load()
        batches = outbound.batches()
        for number, (sobject, members) in enumerate(batches):
            if number:
                keep_lease()
            unsettled = [c for _, later in batches[number:] for c in later]
            outbound.keep_claims(unsettled, clock.now())
            members = [c for c in members if c in claimed.rows]  # less those taken over
            if not members:
                continue
            if sobject not in made:
                made[sobject] = tools(sobject)
            outbound.run_group(sobject, members, made[sobject])
        if not full and not outbound.requeued:
            return


__all__ = [
    "CLAIM_LOST",
    "CLAIM_LOST_REASON",
    "NOTHING_TO_SEND",
    "OUTBOUND",
    "KeepLease",
    "ObjectTools",
    "OutboundOptions",
    "claim",
    "no_lease",
    "run_outbound",
]
