"""Upsert many contacts at once: Core statements, 2,000 rows per batch, one round trip each.

Per batch: clean every row, read the existing contacts of the batch in one query, compute the
changed properties in Python, then write new and changed rows with one
``INSERT .. ON CONFLICT (account_id, phone, extension) DO UPDATE`` and, for our own changes,
the outbox rows. Unchanged rows are not written at all. Rows with problems are reported by
their index and skipped; the others still land. The caller owns the transaction.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from itertools import islice
from typing import Any

from sqlalchemy.orm import Session

from ringsync.clock import Clock, SystemClock
from ringsync.domain.contact_values import (
    STANDARD_PROPERTIES,
    Known,
    Origin,
    clean_values,
    column_of,
    masked_previous,
)
from ringsync.domain.contacts import provenance_entry
from ringsync.domain.tracking import same_value
from ringsync.errors import NotFoundError, Problem
from ringsync.store.repositories import accounts as account_repo
from ringsync.store.repositories import contacts as repo
from ringsync.store.repositories import dispositions as dispositions_repo
from ringsync.store.repositories import outbox as outbox_repo
from ringsync.store.repositories import users as users_repo

BATCH_SIZE = 2_000
_COLUMNS = tuple(column_of(p) for p in STANDARD_PROPERTIES)
_UPDATED = (
    *(c for c in _COLUMNS if c not in ("phone", "extension")),
    "custom_values",
    "provenance",
    "updated_at",
)
_DEFAULTS: dict[str, Any] = dict.fromkeys(_COLUMNS)
_DEFAULTS.update({"extension": "", "dnc": False, "tcpa_approved": False})


@dataclass(frozen=True)
class RowProblem:
    """One input row that was skipped, and why."""

    index: int
    problems: tuple[Problem, ...]


@dataclass
class BulkResult:
    """Counts of what a bulk upsert did, plus the rows it skipped."""

    inserted: int = 0
    updated: int = 0
    unchanged: int = 0
    outbox_rows: int = 0
    rejected: list[RowProblem] = field(default_factory=list)
    ids: dict[tuple[str, str], int] = field(default_factory=dict)


def _batches(rows: Iterable[Mapping[str, Any]], size: int) -> Iterator[list[Mapping[str, Any]]]:
    iterator = iter(rows)
    while batch := list(islice(iterator, size)):
        yield batch


def _known(session: Session, account_id: int) -> Known:
    account = account_repo.get(session, account_id)
    if account is None:
        raise NotFoundError(f"account {account_id} does not exist", account_id=account_id)
    return Known(
        region=account.default_region,
        user_ids={u.id for u in users_repo.list_all(session, account_id)},
        disposition_ids={d.id for d in dispositions_repo.list_all(session, account_id)},
        custom_types={n: d.value_type for n, d in repo.custom_defs(session, account_id).items()},
    )


def _clean_batch(
    batch: list[Mapping[str, Any]], offset: int, known: Known, result: BulkResult
) -> dict[tuple[str, str], dict[str, Any]]:
    """Clean rows and merge duplicates of one identity (later rows win)."""
    merged: dict[tuple[str, str], dict[str, Any]] = {}
    for index, raw in enumerate(batch, start=offset):
        clean, problems = clean_values(raw, known)
        if "phone" not in raw:
            problems.append(Problem("phone", "phone is required", "required"))
        if problems:
            result.rejected.append(RowProblem(index, tuple(problems)))
            continue
        key = (clean["phone"], clean.get("extension") or "")
        clean["extension"] = key[1]
        merged.setdefault(key, {}).update(clean)
    return merged


_PROPERTY_COLUMNS: dict[str, str] = {p: column_of(p) for p in STANDARD_PROPERTIES}


def _stored_value(existing: Mapping[str, Any], prop: str) -> Any:
    column = _PROPERTY_COLUMNS.get(prop)
    if column is not None:
        return existing[column]
    return (existing["custom_values"] or {}).get(prop)


@dataclass(frozen=True)
class _Write:
    """What every row of one upsert call shares."""

    account_id: int
    origin: Origin
    now: datetime
    fresh: dict[str, Any]  # provenance of a property written for the first time

    def provenance(self, previous: str | None) -> dict[str, Any]:
        """Return the provenance entry of a property this call overwrites."""
        return {**self.fresh, "previous": previous}


def _row_for(
    key: tuple[str, str],
    clean: dict[str, Any],
    existing: Mapping[str, Any] | None,
    context: _Write,
) -> tuple[dict[str, Any] | None, list[str]]:
    """Build the full row to write and the changed properties (None when nothing changed)."""
    account_id, now = context.account_id, context.now
    if existing is None:
        row = dict(_DEFAULTS)
        custom: dict[str, Any] = {}
        changed = sorted(p for p, v in clean.items() if v not in (None, "", False) or p == "phone")
        provenance = dict.fromkeys(changed, context.fresh)
        row["created_at"] = now
    else:
        changed = sorted(
            p for p, v in clean.items() if not same_value(_stored_value(existing, p), v)
        )
        if not changed:
            return None, []
        row = {column: existing[column] for column in _COLUMNS}
        custom = dict(existing["custom_values"] or {})
        provenance = dict(existing["provenance"] or {})
        for prop in changed:
            previous = masked_previous(prop, _stored_value(existing, prop))
            provenance[prop] = context.provenance(previous)
        row["created_at"] = existing["created_at"]
    for prop, value in clean.items():
        column = _PROPERTY_COLUMNS.get(prop)
        if column is not None:
            row[column] = value
        else:
            custom[prop] = value
    row.update(
        account_id=account_id,
        phone=key[0],
        extension=key[1],
        custom_values=custom,
        provenance=provenance,
        updated_at=now,
        version=1,
    )
    return row, changed


def upsert_contacts(
    session: Session,
    account_id: int,
    rows: Iterable[Mapping[str, Any]],
    *,
    origin: Origin,
    clock: Clock | None = None,
    batch_size: int = BATCH_SIZE,
) -> BulkResult:
    """Insert or update contacts by phone identity, in batches; report skipped rows by index."""
    known = _known(session, account_id)
    result = BulkResult()
    now = (clock or SystemClock()).now()
    context = _Write(account_id, origin, now, provenance_entry(origin, now, None))
    offset = 0
    for batch in _batches(rows, batch_size):
        merged = _clean_batch(batch, offset, known, result)
        offset += len(batch)
        existing = repo.existing_for(
            session, account_id, merged, ("custom_values", "provenance", "created_at", *_COLUMNS)
        )
        to_write: list[dict[str, Any]] = []
        changes: dict[tuple[str, str], list[str]] = {}
        for key, clean in merged.items():
            row, changed = _row_for(key, clean, existing.get(key), context)
            if row is None:
                result.unchanged += 1
                result.ids[key] = int(existing[key]["id"])
                continue
            to_write.append(row)
            changes[key] = changed
            if key in existing:
                result.updated += 1
            else:
                result.inserted += 1
        repo.bulk_upsert(session, to_write, _UPDATED)
        ids = {key: int(existing[key]["id"]) for key in changes if key in existing}
        ids.update(repo.ids_for(session, account_id, [k for k in changes if k not in existing]))
        result.ids.update(ids)
        if origin is Origin.RINGSYNC:
            outbox = [
                {
                    "account_id": account_id,
                    "contact_id": ids[key],
                    "fields": fields,
                    "origin": origin.value,
                    "created_at": now,
                    "attempts": 0,
                    "status": outbox_repo.PENDING,
                }
                for key, fields in changes.items()
                if fields
            ]
            outbox_repo.add_many(session, outbox)
            result.outbox_rows += len(outbox)
    return result
