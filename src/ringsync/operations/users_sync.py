"""Sync users (the "Sync users" button) as a batched, resumable operation.

Phases, each in batches of our users ordered by id (the resume cursor names the phase and the
last user id done):

1. ``cleanup``: every existing mapping is checked against our user and the Salesforce user it
   names (one ``Id IN (...)`` query per batch); invalid ones are removed with the reason;
2. ``match``: every user of ours without a mapping is matched by email (one ``Email IN (...)``
   query per batch; Salesforce compares strings case-insensitively);
3. ``owners``: the active Salesforce owners no user of ours is mapped to are listed, and the
   time and counts of this sync are stored (``users_sync_runs``).

Our users are only read, never created or changed.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy.orm import Session

from ringsync.domain.accounts import get_account
from ringsync.operations import store
from ringsync.operations import users_plan as plan
from ringsync.operations.handler import Batch, OperationEnv
from ringsync.operations.model import (
    Operation,
    OperationKind,
    OperationRefusedError,
    PlannedItem,
    Preview,
    count_actions,
)
from ringsync.salesforce.client import SalesforceClient
from ringsync.salesforce.soql import AllowList, Cond, Condition
from ringsync.salesforce.soql import select as soql_select
from ringsync.store.repositories import sync_state
from ringsync.store.repositories import users as users_repo

DEFAULT_BATCH_SIZE = 200
MAX_BATCH_SIZE = 500
_FIELDS = ("Id", "Email", "Name", "IsActive", "UserType")
_ALLOWED = AllowList({"User": _FIELDS})
_PAGE = 2_000


def salesforce_users(
    client: SalesforceClient, where: Condition | None = None
) -> list[plan.SalesforceUser]:
    """Read Salesforce users (all, or those matching ``where``), ordered by id."""
    soql = soql_select(list(_FIELDS), "User", allowed=_ALLOWED, where=where, order_by=["Id"])
    return [
        plan.SalesforceUser(
            id=str(r["Id"]),
            email=str(r.get("Email") or ""),
            name=str(r.get("Name") or ""),
            is_active=bool(r.get("IsActive")),
            user_type=r.get("UserType"),
        )
        for r in client.iter_query(soql, batch_size=_PAGE)
    ]


def our_users(session: Session, account_id: int) -> list[plan.OurUser]:
    """Read every user of the account (any status or kind), ordered by id."""
    return [
        plan.OurUser(u.id, u.email, u.name, u.status, u.kind)
        for u in users_repo.list_all(session, account_id)
    ]


def current_mappings(session: Session, account_id: int) -> dict[int, str]:
    """Return our user id -> Salesforce user id for the account's mappings."""
    return {int(k): v for k, v in sync_state.salesforce_ids(session, account_id).items()}


def _batch_size(params: Mapping[str, Any]) -> int:
    value = params.get("batch_size", DEFAULT_BATCH_SIZE)
    if isinstance(value, bool) or not isinstance(value, int) or not 1 <= value <= MAX_BATCH_SIZE:
        raise OperationRefusedError(f"batch_size must be a whole number from 1 to {MAX_BATCH_SIZE}")
    return value


@dataclass(frozen=True)
class _Payload:
    phase: str
    user_ids: tuple[int, ...]
    salesforce: tuple[plan.SalesforceUser, ...]


def _chunks(count: int, size: int) -> int:
    return -(-count // size)


class UsersSyncHandler:
    """Match our users to Salesforce owners by email and clean up stale mappings."""

    kind = OperationKind.SYNC_USERS

    def check(self, session: Session, account_id: int, params: Mapping[str, Any]) -> None:
        """Refuse unknown parameters and a bad batch size; the account must exist."""
        get_account(session, account_id)
        unknown = sorted(set(params) - {"batch_size"})
        if unknown:
            raise OperationRefusedError(f"sync_users takes no parameter {unknown[0]!r}")
        _batch_size(params)

    def preview(self, env: OperationEnv, account_id: int, params: Mapping[str, Any]) -> Preview:
        """Plan the whole sync over one read of every Salesforce user; write nothing."""
        size = _batch_size(params)
        sf = salesforce_users(env.salesforce)
        with env.database.read() as session:
            users = our_users(session, account_id)
            mappings = current_mappings(session, account_id)
        items = plan.plan(users, mappings, sf)
        removed = {i.target for i in items if i.action == plan.REMOVED}
        unmapped = [u for u in users if u.id not in mappings or f"user:{u.id}" in removed]
        match_calls = sum(
            1
            for start in range(0, len(unmapped), size)
            if any(plan.ineligible_reason(u) is None for u in unmapped[start : start + size])
        )
        owner_pages = max(1, _chunks(sum(1 for u in sf if u.is_active), _PAGE))
        return Preview(
            self.kind,
            account_id,
            tuple(items),
            api_calls=_chunks(len(mappings), size) + match_calls + owner_pages,
            notes=("our users are never created; only mappings change",),
        )

    def fetch(self, env: OperationEnv, operation: Operation) -> Batch | None:
        """Read the next batch of the current phase, moving on when a phase is done."""
        size = _batch_size(operation.params)
        cursor = dict(operation.cursor or {"phase": "cleanup", "after": 0})
        with env.database.read() as session:
            users = our_users(session, operation.account_id)
            mappings = current_mappings(session, operation.account_id)
        total = len(users) + len(mappings)
        if cursor["phase"] == "cleanup":
            chunk = [u for u in users if u.id in mappings and u.id > cursor["after"]][:size]
            if chunk:
                ids = sorted({mappings[u.id] for u in chunk})
                sf = salesforce_users(env.salesforce, Cond("Id", "IN", ids))
                return self._batch("cleanup", chunk, sf, total)
            cursor = {"phase": "match", "after": 0}
        if cursor["phase"] == "match":
            chunk = [u for u in users if u.id not in mappings and u.id > cursor["after"]][:size]
            if chunk:
                emails = sorted(
                    {u.email.strip() for u in chunk if plan.ineligible_reason(u) is None}
                )
                sf = salesforce_users(env.salesforce, Cond("Email", "IN", emails)) if emails else []
                return self._batch("match", chunk, sf, total)
            cursor = {"phase": "owners"}
        if cursor["phase"] == "owners":
            sf = salesforce_users(env.salesforce, Cond("IsActive", "=", True))
            payload = _Payload("owners", (), tuple(sf))
            return Batch(payload, {"phase": "done"}, total=None, last=True)
        return None

    @staticmethod
    def _batch(
        phase: str, chunk: Sequence[plan.OurUser], sf: Sequence[plan.SalesforceUser], total: int
    ) -> Batch:
        payload = _Payload(phase, tuple(u.id for u in chunk), tuple(sf))
        return Batch(payload, {"phase": phase, "after": chunk[-1].id}, total=total)

    def apply(
        self, session: Session, env: OperationEnv, operation: Operation, batch: Batch
    ) -> Sequence[PlannedItem]:
        """Apply one batch's decisions against the mappings as they are now."""
        payload: _Payload = batch.payload
        account_id = operation.account_id
        now = env.clock.now()
        mappings = current_mappings(session, account_id)
        if payload.phase == "owners":
            items = plan.unsynchronized_owners(payload.salesforce, mappings.values())
            counts = dict(operation.counts)
            for action, n in count_actions(items).items():
                counts[action] = counts.get(action, 0) + n
            store.add_users_sync_run(session, account_id, operation.id, now, {"counts": counts})
            return items
        users = {u.id: u for u in our_users(session, account_id)}
        items = []
        if payload.phase == "cleanup":
            by_id = {u.id: u for u in payload.salesforce}
            for user_id in payload.user_ids:
                user, mapped_to = users.get(user_id), mappings.get(user_id)
                if user is None or mapped_to is None:
                    continue
                item = plan.check_mapping(user, mapped_to, by_id)
                if item.action == plan.REMOVED:
                    sync_state.unmap_users(session, account_id, [user_id])
                items.append(item)
            return items
        by_email = plan.index_by_email(payload.salesforce)
        taken = set(mappings.values())
        for user_id in payload.user_ids:
            user = users.get(user_id)
            if user is None or user_id in mappings:
                continue
            item = plan.match_user(user, by_email, taken)
            if item.action == plan.MAPPED:
                sf_id = str(item.detail["salesforce_user_id"])
                sync_state.map_user(session, account_id, user_id, sf_id, user.email, now)
                taken.add(sf_id)
            items.append(item)
        return items


@dataclass(frozen=True)
class UsersSyncResult:
    """What the last sync users did, grouped the way the admin page shows it."""

    operation_id: int | None
    at: datetime | None
    matched: tuple[PlannedItem, ...]
    mapped: tuple[PlannedItem, ...]
    removed: tuple[PlannedItem, ...]
    unmatched: tuple[PlannedItem, ...]
    skipped: tuple[PlannedItem, ...]
    unsynchronized_owners: tuple[PlannedItem, ...]

    def as_dict(self) -> dict[str, Any]:
        """Return the result as JSON-ready data."""
        groups = {
            "matched": self.matched,
            "mapped": self.mapped,
            "removed": self.removed,
            "unmatched": self.unmatched,
            "skipped": self.skipped,
            "unsynchronized_owners": self.unsynchronized_owners,
        }
        return {
            "operation_id": self.operation_id,
            "last_synced_at": self.at.isoformat() if self.at else None,
            "counts": {name: len(items) for name, items in groups.items()},
            **{name: [i.as_dict() for i in items] for name, items in groups.items()},
        }


def group_items(
    items: Sequence[PlannedItem], operation_id: int | None, at: datetime | None
) -> UsersSyncResult:
    """Group sync users items (from a preview or a run) by what happened."""

    def pick(action: str) -> tuple[PlannedItem, ...]:
        return tuple(i for i in items if i.action == action)

    return UsersSyncResult(
        operation_id,
        at,
        pick(plan.MATCHED),
        pick(plan.MAPPED),
        pick(plan.REMOVED),
        pick(plan.UNMATCHED),
        pick(plan.SKIPPED),
        pick(plan.UNSYNCED_OWNER),
    )


def result_of(session: Session, account_id: int, operation_id: int) -> UsersSyncResult:
    """Return the grouped result of one sync users operation (finished or not)."""
    at = store.users_sync_at(session, account_id, operation_id)
    return group_items(store.items(session, account_id, operation_id), operation_id, at)


def last_result(session: Session, account_id: int) -> UsersSyncResult | None:
    """Return the result of the account's last finished sync users, or None before the first."""
    latest = store.last_users_sync_run(session, account_id)
    if latest is None:
        return None
    at, operation_id = latest
    items = store.items(session, account_id, operation_id) if operation_id is not None else []
    return group_items(items, operation_id, at)


__all__ = [
    "DEFAULT_BATCH_SIZE",
    "UsersSyncHandler",
    "UsersSyncResult",
    "current_mappings",
    "group_items",
    "last_result",
    "our_users",
    "result_of",
    "salesforce_users",
]
