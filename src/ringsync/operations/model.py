"""What one-time operations are: kinds, statuses, previews, item outcomes and operation views."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal
from enum import StrEnum
from typing import Any

from ringsync.errors import ConfigError, RingsyncError


class OperationKind(StrEnum):
    """The one-time operations an admin can start from the Salesforce tab."""

    PUSH_CONTACTS = "push_contacts"
    PULL_CONTACTS = "pull_contacts"
    PULL_LEAD_STATUSES = "pull_lead_statuses"
    SYNC_USERS = "sync_users"
    IMPORT_LIST = "import_list"
    PUSH_ONE = "push_one"


class OperationStatus(StrEnum):
    """Where an operation stands; ``queued`` and ``running`` are the active states."""

    QUEUED = "queued"
    RUNNING = "running"
    SUCCEEDED = "succeeded"
    FAILED = "failed"
    CANCELLED = "cancelled"

    @property
    def is_active(self) -> bool:
        """Tell whether the operation still holds its (account, kind) slot."""
        return self in (OperationStatus.QUEUED, OperationStatus.RUNNING)


class OperationRefusedError(ConfigError):
    """The operation cannot start: the settings forbid it or its parameters are wrong."""

    code = "operation_refused"


class OperationConflictError(RingsyncError):
    """An operation of the same kind is already queued or running for the account."""

    code = "operation_conflict"


class OperationStateError(RingsyncError):
    """The operation is not in a state that allows this (resume a finished one, cancel twice)."""

    code = "operation_state"


@dataclass(frozen=True)
class PlannedItem:
    """One thing an operation would do (preview) or did (outcome) to one item.

    ``action`` is a short verb (created, updated, removed, kept, mapped, matched, unmatched,
    skipped...), ``target`` names the item (an id), ``label`` is what the admin reads, ``reason``
    says why, and ``detail`` holds JSON-ready specifics (changed fields, Salesforce ids).
    """

    action: str
    target: str
    label: str
    reason: str = ""
    detail: Mapping[str, Any] = field(default_factory=dict)

    def as_dict(self) -> dict[str, Any]:
        """Return the item as JSON-ready data."""
        return {
            "action": self.action,
            "target": self.target,
            "label": self.label,
            "reason": self.reason,
            "detail": dict(self.detail),
        }


def count_actions(items: tuple[PlannedItem, ...] | list[PlannedItem]) -> dict[str, int]:
    """Return how many items carry each action."""
    counts: dict[str, int] = {}
    for item in items:
        counts[item.action] = counts.get(item.action, 0) + 1
    return counts


@dataclass(frozen=True)
class Preview:
    """A dry run: what an operation would touch, create and skip, and what it would cost."""

    kind: OperationKind
    account_id: int
    items: tuple[PlannedItem, ...]
    api_calls: int
    lrn_lookups: int = 0
    lrn_cost: Decimal = Decimal(0)
    notes: tuple[str, ...] = ()
    tallies: Mapping[str, int] = field(default_factory=dict)

    @property
    def counts(self) -> dict[str, int]:
        """Return how many items carry each action, plus the tallies not listed item by item."""
        counts = count_actions(self.items)
        for name, n in self.tallies.items():
            counts[name] = counts.get(name, 0) + n
        return counts

    def as_dict(self) -> dict[str, Any]:
        """Return the preview as JSON-ready data (the cost as a decimal string)."""
        return {
            "kind": self.kind.value,
            "account_id": self.account_id,
            "counts": self.counts,
            "api_calls": self.api_calls,
            "lrn_lookups": self.lrn_lookups,
            "lrn_cost": str(self.lrn_cost),
            "notes": list(self.notes),
            "items": [item.as_dict() for item in self.items],
        }


@dataclass(frozen=True)
class Operation:
    """One operation row as callers see it."""

    id: int
    account_id: int
    kind: OperationKind
    params: Mapping[str, Any]
    started_by: int | None
    status: OperationStatus
    progress_done: int
    progress_total: int | None
    cursor: Any
    counts: Mapping[str, int]
    errors: tuple[str, ...]
    attempts: int
    cancel_requested: bool
    created_at: datetime
    started_at: datetime | None
    finished_at: datetime | None

    def as_dict(self) -> dict[str, Any]:
        """Return the operation as JSON-ready data."""
        return {
            "id": self.id,
            "account_id": self.account_id,
            "kind": self.kind.value,
            "params": dict(self.params),
            "started_by": self.started_by,
            "status": self.status.value,
            "progress_done": self.progress_done,
            "progress_total": self.progress_total,
            "cursor": self.cursor,
            "counts": dict(self.counts),
            "errors": list(self.errors),
            "attempts": self.attempts,
            "cancel_requested": self.cancel_requested,
            "created_at": self.created_at.isoformat(),
            "started_at": self.started_at.isoformat() if self.started_at else None,
            "finished_at": self.finished_at.isoformat() if self.finished_at else None,
        }


def parse_kind(text: str) -> OperationKind:
    """Return the kind named by ``text`` (``pull-lead-statuses`` works too) or refuse it."""
    wanted = text.strip().lower().replace("-", "_")
    for kind in OperationKind:
        if kind.value == wanted:
            return kind
    choices = ", ".join(k.value for k in OperationKind)
    raise OperationRefusedError(f"unknown operation {text!r}; choose one of {choices}")


__all__ = [
    "Operation",
    "OperationConflictError",
    "OperationKind",
    "OperationRefusedError",
    "OperationStateError",
    "OperationStatus",
    "PlannedItem",
    "Preview",
    "count_actions",
    "parse_kind",
]
