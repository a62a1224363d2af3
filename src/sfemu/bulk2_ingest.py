"""Bulk API 2.0 CSV: dialects, result files, and applying an ingest upload row by row."""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from typing import Any

from sfemu.bulk2_refs import ParentRef, parent_column, resolve_parent
from sfemu.collections import lock_error
from sfemu.errors import SalesforceError
from sfemu.faults import FaultPlan
from sfemu.org import Org
from sfemu.schema import FieldDef, ObjectDef
from sfemu.stats import Stats

DELIMITERS = {
    "COMMA": ",",
    "TAB": "\t",
    "PIPE": "|",
    "SEMICOLON": ";",
    "CARET": "^",
    "BACKQUOTE": "`",
}
LINE_ENDINGS = {"LF": "\n", "CRLF": "\r\n"}
NULL_MARKER = "#N/A"
_TRUE = frozenset({"true", "1", "yes"})
_FALSE = frozenset({"false", "0", "no"})
_NUMBER_TYPES = frozenset({"double", "currency", "percent"})


def csv_text(rows: Iterable[list[str]], delimiter: str, line_ending: str) -> Iterator[str]:
    """Yield RFC 4180 CSV text in chunks, every value quoted as Salesforce writes it."""
    buffer = io.StringIO()
    writer = csv.writer(
        buffer,
        delimiter=DELIMITERS[delimiter],
        lineterminator=LINE_ENDINGS[line_ending],
        quoting=csv.QUOTE_ALL,
    )
    for count, row in enumerate(rows, 1):
        writer.writerow(row)
        if count % 1000 == 0:
            yield buffer.getvalue()
            buffer.seek(0)
            buffer.truncate()
    tail = buffer.getvalue()
    if tail:
        yield tail


def cell(value: Any) -> str:
    """Render one wire value as a CSV cell (null is empty)."""
    if value is None:
        return ""
    if value is True:
        return "true"
    if value is False:
        return "false"
    return str(value)


class InvalidBatchError(Exception):
    """An upload Salesforce would fail as a whole (the job ends Failed)."""


@dataclass
class IngestOutcome:
    """The three result files of an ingest job, as rows of cells."""

    header: list[str] = field(default_factory=list)
    successful: list[list[str]] = field(default_factory=list)
    failed: list[list[str]] = field(default_factory=list)
    unprocessed: list[list[str]] = field(default_factory=list)


@dataclass
class IngestSpec:
    """What one ingest job does: object, operation, optional external id field, who runs it."""

    sobject: str
    operation: str
    external_id_field: str | None
    user_id: str
    delimiter: str


def read_rows(uploads: list[bytes], delimiter: str) -> Iterator[list[str]]:
    """Yield the rows of every uploaded chunk; each chunk starts with the header row."""
    for index, chunk in enumerate(uploads):
        stream = io.TextIOWrapper(io.BytesIO(chunk), encoding="utf-8-sig", newline="")
        reader = csv.reader(stream, delimiter=DELIMITERS[delimiter])
        for row_number, row in enumerate(reader):
            if row_number == 0 and index > 0:
                continue
            if row:
                yield row


def _convert(fdef: FieldDef, raw: str) -> Any:
    if raw == NULL_MARKER:
        return None
    kind = fdef.type
    try:
        if kind == "boolean":
            lowered = raw.strip().lower()
            if lowered in _TRUE:
                return True
            if lowered in _FALSE:
                return False
        elif kind == "int":
            return int(raw)
        elif kind in _NUMBER_TYPES:
            return float(raw)
    except ValueError:
        return raw
    return raw


def _columns(org: Org, obj: ObjectDef, header: list[str]) -> list[FieldDef | ParentRef]:
    columns: list[FieldDef | ParentRef] = []
    for name in header:
        column: FieldDef | ParentRef | None = obj.field(name.strip())
        if column is None:
            column = parent_column(org, obj, name.strip())
        if column is None:
            raise InvalidBatchError(f"InvalidBatchError : Field name not found : {name.strip()}")
        columns.append(column)
    return columns


def apply_upload(
    org: Org,
    stats: Stats,
    spec: IngestSpec,
    uploads: list[bytes],
    *,
    faults: FaultPlan | None = None,
    fail_halfway: bool = False,
) -> IngestOutcome:
    """Apply every uploaded row; collect successful and failed rows with their results.

    ``faults`` may refuse rows with UNABLE_TO_LOCK_ROW (``unable_to_lock_row`` rules, as in
    Collections). With ``fail_halfway`` only the first half of the rows is processed and the
    rest is left unprocessed (the caller then ends the job Failed).
    """
    obj = org.sobject(spec.sobject)
    rows = read_rows(uploads, spec.delimiter)
    header = next(rows, None)
    if header is None:
        raise InvalidBatchError("InvalidBatchError : Empty CSV file")
    columns = _columns(org, obj, header)
    outcome = IngestOutcome(header=header)
    ext = obj.field(spec.external_id_field) if spec.external_id_field else None
    if spec.operation == "upsert" and ext is None:
        raise InvalidBatchError(
            f"InvalidBatchError : External ID field not found : {spec.external_id_field}"
        )
    limit: int | None = None
    if fail_halfway:
        data = list(rows)
        limit = len(data) // 2
        rows = iter(data)
    for index, row in enumerate(rows):
        if limit is not None and index >= limit:
            outcome.unprocessed.append(row)
            continue
        values: dict[str, Any] = {}
        parents: list[tuple[ParentRef, str]] = []
        for column, raw in zip(columns, row, strict=False):
            if raw == "":
                continue
            if isinstance(column, ParentRef):
                parents.append((column, raw))
            else:
                values[column.name] = _convert(column, raw)
        record_id = _row_id(values)
        try:
            if faults is not None and record_id and faults.lock_error_for(record_id):
                raise lock_error()
            for parent, raw in parents:
                resolved = None if raw == NULL_MARKER else resolve_parent(org, parent, raw)
                values[parent.field.name] = resolved
            record_id, created = _apply_row(org, spec, obj, ext, values)
        except SalesforceError as exc:
            outcome.failed.append([record_id or "", exc.bulk_error(), *row])
            continue
        stats.count_records(written=1)
        outcome.successful.append([record_id, "true" if created else "false", *row])
    return outcome


def _row_id(values: dict[str, Any]) -> str:
    raw = values.get("Id")
    return raw if isinstance(raw, str) else ""


def _missing_id(operation: str) -> SalesforceError:
    return SalesforceError(
        "MISSING_ARGUMENT", f"Id not specified in an {operation} call", fields=["Id"]
    )


def _apply_row(
    org: Org,
    spec: IngestSpec,
    obj: ObjectDef,
    ext: FieldDef | None,
    values: dict[str, Any],
) -> tuple[str, bool]:
    operation = spec.operation
    user = spec.user_id
    if operation == "insert":
        return org.create(obj.name, values, user_id=user), True
    if operation in ("update", "delete", "hardDelete"):
        raw_id = values.pop("Id", None)
        if not raw_id:
            raise _missing_id(operation)
        record_id = org.normalize_id(str(raw_id), obj.name)
        if operation == "update":
            org.update(obj.name, record_id, values, user_id=user)
        else:
            org.delete(record_id, sobject=obj.name, user_id=user)
        return record_id, False
    assert ext is not None
    if ext.name == "Id":
        raw_id = values.pop("Id", None)
        if not raw_id:
            return org.create(obj.name, values, user_id=user), True
        record_id = org.normalize_id(str(raw_id), obj.name)
        org.update(obj.name, record_id, values, user_id=user)
        return record_id, False
    ext_value = values.get(ext.name)
    if ext_value is None or ext_value == "":
        raise SalesforceError("MISSING_ARGUMENT", f"{ext.name} not specified", fields=[ext.name])
    matches = org.find_by_field(obj.name, ext.name, ext_value)
    if len(matches) > 1:
        raise SalesforceError(
            "DUPLICATE_EXTERNAL_ID",
            f"{ext.name}: more than one record found for external id field: [{', '.join(matches)}]",
            fields=[ext.name],
        )
    return org.upsert(obj.name, ext.name, str(ext_value), values, user_id=user)
