"""Upsert many contacts at once: Core statements, 2,000 rows per batch, a few statements each.

Per batch: clean every row, read the existing contacts of the batch in one query, compute the
changed properties in Python, then write new and changed rows with
``INSERT .. ON CONFLICT (account_id, phone, extension) DO UPDATE .. RETURNING id`` (multi-row
VALUES on SQLite, so the ids need no second query) and, for our own changes, the outbox rows.
Unchanged rows are not written at all. Rows with problems are reported by their index and
skipped; the others still land. The caller owns the transaction. Rows stream through in
batches, so memory holds one batch (plus the ids of the result), whatever the input size.

Speed (issue 3: 20,000 upserts/s on SQLite with new phone numbers): phone validation is about
a third of an insert and SQLite's own work another third; the rest is kept lean (shared
provenance dicts for alike new rows, one JSON parameter for the existing-row look-up, the
collector paused per batch). See bench/bench_store.py for the figures.
"""

from __future__ import annotations

import gc
from collections.abc import Iterable, Iterator, Mapping, Sequence
from contextlib import contextmanager
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
from ringsync.domain.phones import mask
from ringsync.domain.tracking import same_value
from ringsync.errors import NotFoundError, Problem, ValidationError
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


def known_all(session: Session, account_id: int) -> Known:
    """Load everything a batch of values may refer to: region, users, dispositions, customs."""
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
        prior = merged.get(key)
        if prior is None:
            merged[key] = clean
        else:
            prior.update(clean)
    return merged


_PROPERTY_COLUMNS: dict[str, str] = {p: column_of(p) for p in STANDARD_PROPERTIES}


def _stored_value(existing: Mapping[str, Any], prop: str) -> Any:
    column = _PROPERTY_COLUMNS.get(prop)
    if column is not None:
        return existing[column]
    return (existing["custom_values"] or {}).get(prop)


@dataclass(frozen=True)
class _Write:
    """What every row of one upsert call shares.

    New contacts that write the same properties share one provenance dict and one empty
    custom-values dict (nobody mutates a row once built), so the writer serialises each once
    per run of alike rows instead of once per row.
    """

    account_id: int
    origin: Origin
    now: datetime
    fresh: dict[str, Any]  # provenance of a property written for the first time
    no_custom: dict[str, Any] = field(default_factory=dict)
    _written: dict[tuple[str, ...], tuple[list[str], dict[str, Any]]] = field(default_factory=dict)

    def provenance(self, previous: str | None) -> dict[str, Any]:
        """Return the provenance entry of a property this call overwrites."""
        return {**self.fresh, "previous": previous}

    def first_written(self, props: tuple[str, ...]) -> tuple[list[str], dict[str, Any]]:
        """Return the sorted properties of a new contact and its (shared) provenance."""
        found = self._written.get(props)
        if found is None:
            changed = sorted(props)
            found = self._written[props] = (changed, dict.fromkeys(changed, self.fresh))
        return found


def _new_row(
    key: tuple[str, str], clean: dict[str, Any], context: _Write
) -> tuple[dict[str, Any], list[str]]:
    """Build the row of a contact that is not stored yet and the properties it sets."""
    row = _DEFAULTS.copy()
    custom = context.no_custom
    for prop, value in clean.items():
        column = _PROPERTY_COLUMNS.get(prop)
        if column is not None:
            row[column] = value
        else:
            if custom is context.no_custom:
                custom = {}
            custom[prop] = value
    written = tuple(p for p, v in clean.items() if v not in (None, "", False) or p == "phone")
    changed, provenance = context.first_written(written)
    row["account_id"] = context.account_id
    row["phone"], row["extension"] = key
    row["custom_values"] = custom
    row["provenance"] = provenance
    row["created_at"] = row["updated_at"] = context.now
    row["version"] = 1
    return row, changed


def _row_for(
    key: tuple[str, str],
    clean: dict[str, Any],
    existing: Mapping[str, Any] | None,
    context: _Write,
) -> tuple[dict[str, Any] | None, list[str]]:
    """Build the full row to write and the changed properties (None when nothing changed)."""
    if existing is None:
        return _new_row(key, clean, context)
    changed = sorted(p for p, v in clean.items() if not same_value(_stored_value(existing, p), v))
    if not changed:
        return None, []
    row = {column: existing[column] for column in _COLUMNS}
    custom = dict(existing["custom_values"] or {})
    provenance = dict(existing["provenance"] or {})
    for prop in changed:
        previous = masked_previous(prop, _stored_value(existing, prop))
        provenance[prop] = context.provenance(previous)
    for prop, value in clean.items():
        column = _PROPERTY_COLUMNS.get(prop)
        if column is not None:
            row[column] = value
        else:
            custom[prop] = value
    row.update(
        account_id=context.account_id,
        phone=key[0],
        extension=key[1],
        custom_values=custom,
        provenance=provenance,
        created_at=existing["created_at"],
        updated_at=context.now,
        version=1,
    )
    return row, changed


@contextmanager
def _collector_paused() -> Iterator[None]:
    """Hold Python's cyclic garbage collector off for one batch.

    A batch allocates tens of thousands of small acyclic dicts and tuples, which set off full
    collections that walk the whole heap: about an eighth of an insert's time, measured.
    Reference counting frees them all the same. The switch is process-wide, so it stays off
    for one batch (~50-100 ms) at a time, and it is left off if it was off before.
    """
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was_enabled:
            gc.enable()


def _upsert_batch(
    session: Session,
    merged: dict[tuple[str, str], dict[str, Any]],
    context: _Write,
    result: BulkResult,
) -> None:
    """Write one batch of cleaned rows and its outbox rows; count what happened."""
    account_id = context.account_id
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
    ids = repo.bulk_upsert_ids(session, to_write, _UPDATED)
    result.ids.update(ids)
    if context.origin is Origin.RINGSYNC:
        outbox = [
            {
                "account_id": account_id,
                "contact_id": ids[key],
                "fields": fields,
                "origin": context.origin.value,
                "created_at": context.now,
                "attempts": 0,
                "status": outbox_repo.PENDING,
            }
            for key, fields in changes.items()
            if fields
        ]
        outbox_repo.add_many(session, outbox)
        result.outbox_rows += len(outbox)


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
    known = known_all(session, account_id)
    result = BulkResult()
    now = (clock or SystemClock()).now()
    context = _Write(account_id, origin, now, provenance_entry(origin, now, None))
    offset = 0
    for batch in _batches(rows, batch_size):
        with _collector_paused():
            merged = _clean_batch(batch, offset, known, result)
            _upsert_batch(session, merged, context, result)
        offset += len(batch)
    return result


def _refusals(
    session: Session, account_id: int, rows: Sequence[Mapping[str, Any]], known: Known
) -> list[dict[str, Any] | ValidationError]:
    """Clean rows like `create_contact`; refuse problems and identities taken or repeated."""
    cleaned: list[tuple[dict[str, Any], list[Problem]]] = []
    for values in rows:
        clean, problems = clean_values(values, known)
        if "phone" not in values:
            problems.append(Problem("phone", "phone is required", "required"))
        cleaned.append((clean, problems))
    keys = {(c["phone"], c.get("extension") or "") for c, _ in cleaned if c.get("phone")}
    taken = set(repo.existing_for(session, account_id, keys, ()))
    out: list[dict[str, Any] | ValidationError] = []
    for clean, problems in cleaned:
        key = (str(clean.get("phone") or ""), str(clean.get("extension") or ""))
        if key[0] and key in taken:
            problems.append(Problem("phone", f"another contact has phone {mask(key[0])}", "taken"))
        if problems:
            out.append(
                ValidationError("the contact cannot be created", problems, account_id=account_id)
            )
            continue
        taken.add(key)
        clean["extension"] = key[1]
        out.append(clean)
    return out


def create_contacts(
    session: Session,
    account_id: int,
    rows: Sequence[Mapping[str, Any]],
    *,
    origin: Origin,
    known: Known | None = None,
    clock: Clock | None = None,
) -> list[int | ValidationError]:
    """Create many contacts under `create_contact`'s rules; return each row's id or refusal.

    One look-up of the stored identities, one multi-row INSERT, and (ours only) one outbox
    insert, instead of about ten statements a contact. A phone identity stored already, or
    taken by an earlier row of the same call, is refused as `create_contact` refuses it.
    """
    if not rows:
        return []
    known = known or known_all(session, account_id)
    now = (clock or SystemClock()).now()
    context = _Write(account_id, origin, now, provenance_entry(origin, now, None))
    with _collector_paused():
        outcomes = _refusals(session, account_id, rows, known)
        new: list[dict[str, Any]] = []
        written: dict[tuple[str, str], list[str]] = {}
        for outcome in outcomes:
            if isinstance(outcome, dict):
                key = (outcome["phone"], outcome["extension"])
                row, written[key] = _new_row(key, outcome, context)
                new.append(row)
        ids = repo.insert_new_ids(session, new)
        if origin is Origin.RINGSYNC:
            outbox_repo.add_many(
                session,
                [
                    {
                        "account_id": account_id,
                        "contact_id": ids[key],
                        "fields": fields,
                        "origin": origin.value,
                        "created_at": now,
                        "attempts": 0,
                        "status": outbox_repo.PENDING,
                    }
                    for key, fields in written.items()
                    if key in ids
                ],
            )
    return [_result(outcome, ids, account_id) for outcome in outcomes]


def _result(
    outcome: dict[str, Any] | ValidationError, ids: Mapping[tuple[str, str], int], account_id: int
) -> int | ValidationError:
    """Return a created row's id, or why it was not created (a writer that got there first)."""
    if not isinstance(outcome, dict):
        return outcome
    key = (outcome["phone"], outcome["extension"])
    if key in ids:
        return ids[key]
    problem = Problem("phone", f"another contact has phone {mask(key[0])}", "taken")
    return ValidationError("the contact cannot be created", [problem], account_id=account_id)
