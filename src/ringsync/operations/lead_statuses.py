"""Pull lead statuses: mirror Salesforce's LeadStatus values as dispositions.

Each status is matched to a disposition by the status id (kept in ``lead_status_links``), then
by its API name, then (for a disposition not yet linked) by name, case-insensitively. A matched
disposition takes the status's label (a rename), sort order, default and converted flags; an
unmatched status becomes a new disposition. A disposition that mirrored a status no longer in
Salesforce is deleted when nothing uses it, and kept and flagged (``missing_since``) when a
contact or an activity uses it: a disposition in use is never deleted. Dispositions an admin
made by hand (never linked to a status) are left alone.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy.orm import Session

from ringsync.domain import dispositions as domain
from ringsync.domain.accounts import get_account
from ringsync.operations import status_links
from ringsync.operations.handler import Batch, OperationEnv
from ringsync.operations.model import (
    Operation,
    OperationKind,
    OperationRefusedError,
    PlannedItem,
    Preview,
)
from ringsync.salesforce.client import SalesforceClient
from ringsync.salesforce.soql import AllowList
from ringsync.salesforce.soql import select as soql_select

CREATED = "created"
UPDATED = "updated"
UNCHANGED = "unchanged"
REMOVED = "removed"
KEPT = "kept"
SKIPPED = "skipped"
_FIELDS = ("Id", "MasterLabel", "ApiName", "SortOrder", "IsDefault", "IsConverted")
_ALLOWED = AllowList({"LeadStatus": _FIELDS})


@dataclass(frozen=True)
class SalesforceStatus:
    """One LeadStatus value."""

    id: str
    label: str
    api_name: str
    sort_order: int
    is_default: bool
    is_converted: bool

    @property
    def name(self) -> str:
        """Return the disposition name this status gets (labels longer than allowed are cut)."""
        return self.label.strip()[: domain.MAX_NAME]


@dataclass(frozen=True)
class LocalDisposition:
    """A disposition with what pull lead statuses needs to know about it."""

    id: int
    name: str
    sort_order: int
    is_default: bool
    is_converted: bool
    salesforce_status: str | None
    link: status_links.StatusLink | None
    uses: int

    @property
    def from_salesforce(self) -> bool:
        """Tell whether the disposition mirrors (or mirrored) a Salesforce status."""
        return self.link is not None or self.salesforce_status is not None


def read_statuses(client: SalesforceClient) -> list[SalesforceStatus]:
    """Read every LeadStatus value, in Salesforce's sort order."""
    soql = soql_select(list(_FIELDS), "LeadStatus", allowed=_ALLOWED, order_by=["SortOrder", "Id"])
    return [
        SalesforceStatus(
            id=str(r["Id"]),
            label=str(r.get("MasterLabel") or ""),
            api_name=str(r.get("ApiName") or r.get("MasterLabel") or ""),
            sort_order=int(r.get("SortOrder") or 0),
            is_default=bool(r.get("IsDefault")),
            is_converted=bool(r.get("IsConverted")),
        )
        for r in client.iter_query(soql)
    ]


def read_dispositions(session: Session, account_id: int) -> list[LocalDisposition]:
    """Read the account's dispositions with their status links and how often each is used."""
    links = status_links.status_links(session, account_id)
    usage = status_links.disposition_usage(session, account_id)
    return [
        LocalDisposition(
            d.id,
            d.name,
            d.sort_order,
            d.is_default,
            d.is_converted,
            d.salesforce_status,
            links.get(d.id),
            usage.get(d.id, 0),
        )
        for d in domain.list_dispositions(session, account_id)
    ]


def _match_rank(status: SalesforceStatus, d: LocalDisposition) -> int | None:
    """Rank how ``d`` matches ``status``: 0 by id, 1 by API name, 2 by stored status, 3 by name."""
    if d.link is not None:
        if d.link.salesforce_status_id == status.id:
            return 0
        return 1 if d.link.api_name == status.api_name else None
    if d.salesforce_status == status.api_name:
        return 2
    return 3 if d.name.casefold() == status.name.casefold() else None


def match_statuses(
    statuses: Sequence[SalesforceStatus], dispositions: Sequence[LocalDisposition]
) -> tuple[list[tuple[LocalDisposition, SalesforceStatus]], list[SalesforceStatus]]:
    """Pair statuses with dispositions, strongest evidence first (ids before names)."""
    free = {d.id: d for d in dispositions}
    found: dict[str, LocalDisposition] = {}
    for rank in range(4):
        for status in statuses:
            if status.id in found:
                continue
            for d in sorted(free.values(), key=lambda x: x.id):
                if _match_rank(status, d) == rank:
                    found[status.id] = free.pop(d.id)
                    break
    pairs = [(found[s.id], s) for s in statuses if s.id in found]
    return pairs, [s for s in statuses if s.id not in found]


def _changes(status: SalesforceStatus, disposition: LocalDisposition) -> dict[str, Any]:
    wanted: dict[str, Any] = {
        "name": status.name,
        "sort_order": status.sort_order,
        "is_default": status.is_default,
        "is_converted": status.is_converted,
        "salesforce_status": status.api_name,
    }
    return {k: v for k, v in wanted.items() if getattr(disposition, k) != v}


def _status_detail(status: SalesforceStatus, **extra: Any) -> dict[str, Any]:
    return {"salesforce_status_id": status.id, "api_name": status.api_name, **extra}


def _item(action: str, target: str, label: str, reason: str, **detail: Any) -> PlannedItem:
    return PlannedItem(action, target, label, reason, detail)


def plan(
    statuses: Sequence[SalesforceStatus], dispositions: Sequence[LocalDisposition]
) -> list[PlannedItem]:
    """Return what pulling ``statuses`` does to ``dispositions``, in the order it is applied.

    Order: removals and flags first (they free names), then updates, then creations. A rename
    or a creation whose name another remaining disposition has (now or after this pull) is
    skipped with the reason rather than half-applied.
    """
    pairs, new = match_statuses(statuses, dispositions)
    paired = {d.id for d, _ in pairs}
    gone = [d for d in dispositions if d.id not in paired and d.from_salesforce]
    removed = {d.id for d in gone if not d.uses}
    taken: dict[str, set[int]] = {}
    for d in dispositions:
        if d.id not in removed:
            taken.setdefault(d.name.casefold(), set()).add(d.id)
    for d, status in pairs:
        taken.setdefault(status.name.casefold(), set()).add(d.id)

    def clash(name: str, own: int | None) -> bool:
        return bool(taken.get(name.casefold(), set()) - {own})

    items: list[PlannedItem] = []
    for d in gone:
        target = f"disposition:{d.id}"
        if d.uses:
            reason = (
                f"no longer in Salesforce; kept and flagged because {d.uses} contact(s) "
                "or activity(ies) use it"
            )
            items.append(_item(KEPT, target, d.name, reason, uses=d.uses))
        else:
            items.append(_item(REMOVED, target, d.name, "no longer in Salesforce and unused"))
    for d, status in pairs:
        items.append(_update_item(d, status, clash(status.name, d.id)))
    for status in new:
        target = f"status:{status.id}"
        detail = _status_detail(status)
        if clash(status.name, None):
            reason = f"another disposition is already named {status.name!r}"
            items.append(PlannedItem(SKIPPED, target, status.name, reason, detail))
        else:
            items.append(PlannedItem(CREATED, target, status.name, "new in Salesforce", detail))
    return items


def _update_item(d: LocalDisposition, status: SalesforceStatus, name_clash: bool) -> PlannedItem:
    target = f"disposition:{d.id}"
    changes = _changes(status, d)
    if "name" in changes and name_clash:
        reason = f"cannot rename to {status.name!r}: another disposition has that name"
        return PlannedItem(SKIPPED, target, d.name, reason, _status_detail(status))
    linked = (
        d.link is not None and d.link.salesforce_status_id == status.id and not d.link.missing_since
    )
    if not changes and linked:
        return PlannedItem(UNCHANGED, target, d.name, "already up to date", _status_detail(status))
    fields = {k: [getattr(d, k), v] for k, v in changes.items()}
    reason = f"renamed from {d.name!r}" if "name" in changes else "matches the Salesforce status"
    return PlannedItem(UPDATED, target, status.name, reason, _status_detail(status, fields=fields))


class LeadStatusesHandler:
    """Import Salesforce lead statuses as dispositions in one batch."""

    kind = OperationKind.PULL_LEAD_STATUSES

    def check(self, session: Session, account_id: int, params: Mapping[str, Any]) -> None:
        """The account must exist; this operation takes no parameters."""
        get_account(session, account_id)
        if params:
            raise OperationRefusedError(
                f"pull_lead_statuses takes no parameter {sorted(params)[0]!r}"
            )

    def preview(self, env: OperationEnv, account_id: int, params: Mapping[str, Any]) -> Preview:
        """Plan the import against the dispositions as they are now; write nothing."""
        del params
        statuses = read_statuses(env.salesforce)
        with env.database.read() as session:
            items = plan(statuses, read_dispositions(session, account_id))
        return Preview(self.kind, account_id, tuple(items), api_calls=1)

    def fetch(self, env: OperationEnv, operation: Operation) -> Batch | None:
        """Read every status (one query) unless the import is already done."""
        if operation.cursor == {"done": True}:
            return None
        statuses = read_statuses(env.salesforce)
        return Batch(tuple(statuses), {"done": True}, total=None, last=True)

    def apply(
        self, session: Session, env: OperationEnv, operation: Operation, batch: Batch
    ) -> Sequence[PlannedItem]:
        """Plan against the dispositions as they are inside this transaction, then do it."""
        account_id = operation.account_id
        statuses: tuple[SalesforceStatus, ...] = batch.payload
        by_id = {s.id: s for s in statuses}
        now = env.clock.now()
        items = plan(statuses, read_dispositions(session, account_id))
        for item in items:
            kind, _, raw_id = item.target.partition(":")
            if item.action == REMOVED:
                domain.delete_disposition(session, account_id, int(raw_id))
            elif item.action == KEPT:
                status_links.flag_status_missing(session, account_id, int(raw_id), now)
            elif item.action in (UPDATED, UNCHANGED):
                status = by_id[str(item.detail["salesforce_status_id"])]
                changes = {k: v[1] for k, v in dict(item.detail.get("fields", {})).items()}
                if changes:
                    domain.update_disposition(session, account_id, int(raw_id), changes)
                status_links.put_status_link(
                    session, account_id, int(raw_id), status.id, status.api_name, now
                )
            elif item.action == CREATED and kind == "status":
                status = by_id[raw_id]
                created = domain.create_disposition(
                    session,
                    account_id,
                    status.name,
                    sort_order=status.sort_order,
                    is_default=status.is_default,
                    is_converted=status.is_converted,
                    salesforce_status=status.api_name,
                )
                status_links.put_status_link(
                    session, account_id, created.id, status.id, status.api_name, now
                )
        return items


__all__ = [
    "LeadStatusesHandler",
    "LocalDisposition",
    "SalesforceStatus",
    "match_statuses",
    "plan",
    "read_dispositions",
    "read_statuses",
]
