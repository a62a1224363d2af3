"""Time sfemu's SOQL evaluator on synthetic Lead records (run by hand, not a test).

Usage: .venv/bin/python bench/soql_selfcheck.py [N]   (default 1,000,000 records)
"""

from __future__ import annotations

import random
import sys
import time
from datetime import UTC, datetime, timedelta
from typing import Any

from sfemu.schema import FieldDef, ObjectDef
from sfemu.soql import EvalContext, compile_query

TEXT_FIELDS = [
    "FirstName",
    "LastName",
    "Company",
    "Email",
    "Phone",
    "MobilePhone",
    "Status",
    "LeadSource",
    "City",
    "State",
    "Country",
]


class _Catalog:
    def __init__(self) -> None:
        lead = ObjectDef("Lead", "00Q", "Lead", "Leads")
        lead.add(FieldDef("Id", "id"))
        lead.add(FieldDef("IsDeleted", "boolean"))
        lead.add(FieldDef("SystemModstamp", "datetime"))
        lead.add(FieldDef("CreatedDate", "datetime"))
        lead.add(FieldDef("OwnerId", "reference", reference_to=["User"]))
        for name in TEXT_FIELDS:
            lead.add(FieldDef(name, "string"))
        self.lead = lead

    def find_sobject(self, name: str) -> ObjectDef | None:
        return self.lead if name.lower() == "lead" else None


def _records(n: int) -> list[dict[str, Any]]:
    rng = random.Random(7)
    base = datetime(2026, 1, 1, tzinfo=UTC)
    rows = []
    for i in range(n):
        stamp = (base + timedelta(seconds=rng.randrange(30 * 86400))).strftime(
            "%Y-%m-%dT%H:%M:%S.000+0000"
        )
        row: dict[str, Any] = {
            "Id": f"00Q{i:012d}AAA",
            "IsDeleted": i % 50 == 0,
            "SystemModstamp": stamp,
            "CreatedDate": stamp,
            "OwnerId": "005000000000001AAA",
        }
        for name in TEXT_FIELDS:
            row[name] = f"{name[:3]}{i % 997}"
        rows.append(row)
    return rows


def _time(label: str, fn: Any) -> Any:
    start = time.perf_counter()
    result = fn()
    took = time.perf_counter() - start
    print(f"{label:<70} {took:7.3f} s")
    return result


def main() -> None:
    n = int(sys.argv[1]) if len(sys.argv) > 1 else 1_000_000
    catalog = _Catalog()
    rows = _time(f"build {n:,} synthetic records", lambda: _records(n))
    ctx = EvalContext(lambda _id: None, lambda _id: None, datetime.now(UTC))
    fields = ", ".join(["Id", "SystemModstamp", "CreatedDate", *TEXT_FIELDS[:12]])
    full = compile_query(f"SELECT {fields} FROM Lead ORDER BY SystemModstamp", catalog)
    result = _time("filter (IsDeleted) + sort by SystemModstamp", lambda: full.run(rows, ctx))

    def project_in_pages() -> int:
        served = 0
        for start in range(0, len(result), 2000):
            page = [full.project(r, ctx) for r in result[start : start + 2000]]
            served += len(page)
        return served

    _time(f"project {len(result):,} rows as REST rows, 2,000 per page", project_in_pages)
    keyset = compile_query(
        "SELECT Id FROM Lead WHERE SystemModstamp >= 2026-01-15T00:00:00Z "
        "ORDER BY SystemModstamp, Id LIMIT 2000",
        catalog,
    )
    _time(
        "WHERE SystemModstamp >= X ORDER BY SystemModstamp, Id LIMIT 2000",
        lambda: keyset.run(rows, ctx),
    )
    text = compile_query(
        "SELECT Id FROM Lead WHERE LastName LIKE 'Las1%' AND Status != 'x' ORDER BY LastName DESC",
        catalog,
    )
    _time("WHERE LIKE AND != ORDER BY text DESC (case-insensitive)", lambda: text.run(rows, ctx))
    _time(
        "compile (parse cached) x1000",
        lambda: [compile_query(f"SELECT {fields} FROM Lead", catalog) for _ in range(1000)],
    )


if __name__ == "__main__":
    main()
