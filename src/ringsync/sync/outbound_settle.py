"""Settle outbound results: every claimed outbox row ends done, released or failed, and logged.

Successes are settled in bulk: their link bases, resolved failures, new links and done outbox
rows are held while the group is settled and written by `Settler.flush` as one statement each
(one SELECT and one executemany for the bases, IN lists for the rest), in the same
transaction as the log rows.

A write whose outcome is unknown (the call failed as a whole: Salesforce may have applied it)
adds its values to the contact's in-flight values; a successful update of a field drops that
field's in-flight values (Salesforce now holds the newer value).
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import timedelta

from sqlalchemy.orm import Session

from ringsync.mapping.catalog import SyncObject
from ringsync.salesforce.responses import mask_phone_numbers
from ringsync.store.repositories import outbox as outbox_repo
from ringsync.store.repositories import sync_failed, sync_in_flight, sync_links, sync_state
from ringsync.store.repositories.outbox import OutboxRow
from ringsync.store.repositories.sync_in_flight import InFlight
from ringsync.store.repositories.sync_links import LinkRow
from ringsync.store.repositories.sync_log import LogAction, LogEntry
from ringsync.sync.inbound_apply import BatchContext
from ringsync.sync.merge import add_in_flight
from ringsync.sync.outbound_send import SendResult
from ringsync.sync.plan import Skip
from ringsync.sync.plan_outbound import SalesforceWrite, WriteOp

OUTBOUND = "outbound"


@dataclass(frozen=True)
class SettleOptions:
    """How long to wait before retrying, and how many attempts a change gets."""

    retry_delay: timedelta = timedelta(minutes=1)
    max_attempts: int = 5


@dataclass
class Claimed:
    """Claimed outbox rows and the properties they name, per contact id."""

    rows: dict[str, list[OutboxRow]] = field(default_factory=lambda: defaultdict(list))
    fields: dict[str, set[str]] = field(default_factory=lambda: defaultdict(set))

    def add(self, row: OutboxRow) -> None:
        """Add one claimed row."""
        key = str(row.contact_id)
        self.rows[key].append(row)
        self.fields[key].update(row.fields)


class Settler:
    """Settle outbox rows and write links, failures and log rows in one transaction."""

    def __init__(
        self,
        session: Session,
        ctx: BatchContext,
        claimed: Claimed,
        opts: SettleOptions,
        in_flight: dict[int, InFlight] | None = None,
        refused: Mapping[str, set[str]] | None = None,
    ) -> None:
        """Settle into ``session`` (the caller's transaction).

        ``in_flight`` holds the claimed contacts' in-flight values (updated in place);
        ``refused`` names, per contact, the objects of its open failed writes (their fields
        were claimed again, so a success resolves them too).
        """
        self.session = session
        self.ctx = ctx
        self.claimed = claimed
        self.opts = opts
        self.in_flight = in_flight if in_flight is not None else {}
        self.refused = refused or {}
        self.done_ids: list[int] = []
        self.bases: dict[int, dict[str, object]] = {}
        self.new_links: dict[int, LinkRow] = {}
        self.resolved: dict[str, set[int]] = defaultdict(set)
        self.in_flight_changed: set[int] = set()

    def ids(self, contact_id: str) -> list[int]:
        """Return the claimed outbox row ids of one contact."""
        return [r.id for r in self.claimed.rows.get(contact_id, [])]

    def log(
        self,
        action: LogAction,
        reason: str,
        *,
        sobject: str | None = None,
        record_id: str | None = None,
        contact_id: int | None = None,
        fields: Mapping[str, tuple[object, object]] | None = None,
        error_code: str | None = None,
        error_message: str | None = None,
    ) -> None:
        """Count and queue one outbound log row."""
        self.ctx.totals[action.value] += 1
        self.ctx.entries.append(
            LogEntry(
                OUTBOUND,
                action,
                reason,
                sobject=sobject,
                record_id=record_id,
                contact_id=contact_id,
                fields=dict(fields or {}),
                error_code=error_code,
                error_message=error_message,
                at=self.ctx.at,
                run_id=self.ctx.run_id,
            )
        )

    def done(self, contact_id: str) -> None:
        """Mark a contact's rows done (at the next flush)."""
        self.done_ids.extend(self.ids(contact_id))

    def flush(self) -> None:
        """Write the held successes: link bases, new links, resolved failures, done rows."""
        session, account_id, at = self.session, self.ctx.account_id, self.ctx.at
        sync_links.update_bases(session, account_id, self.bases, at)
        sync_links.insert_many(session, account_id, list(self.new_links.values()), at)
        for sobject, contact_ids in sorted(self.resolved.items()):
            sync_failed.resolve_for_contacts(session, account_id, sorted(contact_ids), sobject, at)
        outbox_repo.settle(session, account_id, self.done_ids)
        changed = {c: self.in_flight.get(c, {}) for c in self.in_flight_changed}
        sync_in_flight.save_many(session, account_id, changed, at)
        self.done_ids, self.bases, self.new_links = [], {}, {}
        self.resolved = defaultdict(set)
        self.in_flight_changed = set()

    def resolve(self, contact_id: str, sobject: str) -> None:
        """Close a contact's open failed writes (at the next flush): nothing of them is lost."""
        for name in {sobject, *self.refused.get(contact_id, set())}:
            self.resolved[name].add(int(contact_id))

    def unknown(self, result: SendResult) -> None:
        """Keep the values of a write whose outcome is unknown in flight (it may be applied)."""
        write = result.write
        if not write.base_update:
            return
        contact_id = int(write.contact_id)
        current = self.in_flight.get(contact_id, {})
        self.in_flight[contact_id] = add_in_flight(current, write.base_update)
        self.in_flight_changed.add(contact_id)

    def skipped(self, skip: Skip, sobject: str | None) -> None:
        """Settle a contact the plan did not send, logging why."""
        contact = skip.contact_id or ""
        self.done(contact)
        self.log(
            LogAction.SKIPPED,
            skip.reason,
            sobject=sobject,
            record_id=skip.record_id,
            contact_id=int(contact) if contact else None,
        )

    def failed(
        self,
        contact_id: str,
        sobject: str,
        record_id: str | None,
        op: str,
        payload: Mapping[str, object],
        code: str | None,
        message: str,
    ) -> None:
        """Keep a refused write in failed records and mark its rows failed."""
        props = sorted(self.claimed.fields.get(contact_id, set()))
        sync_failed.record_failure(
            self.session,
            self.ctx.account_id,
            contact_id=int(contact_id),
            sobject=sobject,
            record_id=record_id,
            operation=op,
            payload={"properties": props, "salesforce": _masked(payload)},
            error_code=code,
            message=message,
            at=self.ctx.at,
        )
        outbox_repo.settle(
            self.session,
            self.ctx.account_id,
            self.ids(contact_id),
            status=outbox_repo.FAILED,
            error=f"{code}: {message}",
        )
        self.log(
            LogAction.FAILED,
            f"{op} refused by Salesforce; kept in failed records",
            sobject=sobject,
            record_id=record_id,
            contact_id=int(contact_id),
            error_code=code,
            error_message=message,
        )

    def retry(self, result: SendResult) -> bool:
        """Release a transiently failed write for a later attempt; False when out of attempts.

        A write refused for the session (``auth_failed``) is always released, never failed.
        """
        contact_id = result.write.contact_id
        rows = self.claimed.rows.get(contact_id, [])
        if result.auth_failed:  # a refused session is no verdict on the record: always wait
            self.wait(contact_id, f"{result.error_code}: {result.message}")
            return True
        if not result.retryable or any(r.attempts >= self.opts.max_attempts for r in rows):
            return False
        outbox_repo.release(
            self.session,
            self.ctx.account_id,
            self.ids(contact_id),
            retry_at=self.ctx.at + self.opts.retry_delay,
            error=f"{result.error_code}: {result.message}",
        )
        self.log(
            LogAction.SKIPPED,
            f"temporary Salesforce error; will retry ({result.error_code})",
            sobject=result.write.sobject.value,
            record_id=result.write.record_id,
            contact_id=int(contact_id),
            error_code=result.error_code,
            error_message=result.message,
        )
        return True

    def wait(self, contact_id: str, why: str, *, now: bool = False) -> None:
        """Release a contact's rows for a later run (after the retry delay, or at once)."""
        outbox_repo.release(
            self.session,
            self.ctx.account_id,
            self.ids(contact_id),
            retry_at=None if now else self.ctx.at + self.opts.retry_delay,
            error=why,
        )

    def sent(self, result: SendResult, base: Mapping[str, object]) -> None:
        """Record a successful write: link or base, failures resolved, rows done, log row."""
        write = result.write
        contact_id = int(write.contact_id)
        sobject = write.sobject.value
        if write.op is WriteOp.CREATE:
            assert result.record_id is not None  # send_creates reports an id on success
            link = LinkRow(contact_id, sobject, result.record_id, write.base_update)
            self.new_links[contact_id] = link
            phone = e164_of(self.ctx, write)
            if phone:
                sync_state.complete(self.session, self.ctx.account_id, phone, result.record_id)
        else:
            self.bases.setdefault(contact_id, {}).update(write.base_update)
        pending = self.in_flight.get(contact_id)
        if pending and pending.keys() & write.base_update.keys():
            self.in_flight[contact_id] = {
                p: vs for p, vs in pending.items() if p not in write.base_update
            }
            self.in_flight_changed.add(contact_id)
        self.resolve(write.contact_id, sobject)
        self.done(write.contact_id)
        fields = {p: (base.get(p), v) for p, v in write.base_update.items()}
        verb = "created in" if write.op is WriteOp.CREATE else "sent to"
        reason = "; ".join([f"{verb} Salesforce", *write.notes, *_fillers(self.ctx, write)])
        action = LogAction.CREATED if write.op is WriteOp.CREATE else LogAction.UPDATED
        self.log(
            action,
            reason,
            sobject=sobject,
            record_id=result.record_id,
            contact_id=contact_id,
            fields=fields,
        )


def _masked(payload: Mapping[str, object]) -> dict[str, object]:
    """Return the payload with phone-like text masked (failed records are shown to admins)."""
    return {k: mask_phone_numbers(v) if isinstance(v, str) else v for k, v in payload.items()}


def _fillers(ctx: BatchContext, write: SalesforceWrite) -> list[str]:
    """Name the Lead fields a create filled with the configured defaults."""
    if write.op is not WriteOp.CREATE or write.sobject is not SyncObject.LEAD:
        return []
    return [
        f"{prop} filled with the Lead default {filler!r}"
        for prop, filler in ctx.settings.lead_defaults.items()
        if prop not in write.base_update and filler in write.payload.values()
    ]


def e164_of(ctx: BatchContext, write: SalesforceWrite) -> str:
    """Return the E.164 number a create is for ("" when it has none)."""
    for spelling in write.phone_formats:
        found = ctx.phone(spelling)
        if found:
            return found
    return ""


__all__ = ["OUTBOUND", "Claimed", "SettleOptions", "Settler", "e164_of"]
