"""The SystemModstamp index: kept in step by every write, and answering exactly as a scan does."""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from datetime import timedelta
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from sfemu.clock import DEFAULT_START, ManualClock
from sfemu.errors import SalesforceError
from sfemu.modstamp_index import SortedKeys
from sfemu.org import Org
from sfemu.query import eval_context, matching_rows
from sfemu.soql import compile_query
from sfemu.values import format_datetime

ORG_EXAMPLES = settings(
    max_examples=100,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)


def wire(second: int) -> str:
    """Return the wire stamp ``second`` seconds after the default clock start."""
    return format_datetime(DEFAULT_START + timedelta(seconds=second))


def literal(second: int) -> str:
    """Return a SOQL dateTime literal ``second`` seconds after the default clock start."""
    return (DEFAULT_START + timedelta(seconds=second)).strftime("%Y-%m-%dT%H:%M:%SZ")


# --- the sorted key structure ------------------------------------------------------------------

keys_st = st.tuples(st.sampled_from(["a", "b", "c", "d", "e"]), st.text("xyz", max_size=3))


@given(
    st.lists(st.tuples(st.booleans(), keys_st), max_size=120),
    st.one_of(st.none(), st.sampled_from("abcdef")),
    st.one_of(st.none(), st.sampled_from("abcdef")),
    st.booleans(),
)
def test_sorted_keys_behave_like_a_sorted_set(
    ops: list[tuple[bool, tuple[str, str]]], low: str | None, high: str | None, descending: bool
) -> None:
    keys = SortedKeys(bucket_size=2)
    model: set[tuple[str, str]] = set()
    for add, key in ops:
        if add and key not in model:
            keys.add(key)
            model.add(key)
        elif not add:
            assert keys.discard(key) == (key in model)
            model.discard(key)
    expected = sorted(
        k for k in model if (low is None or k[0] >= low) and (high is None or k[0] <= high)
    )
    if descending:
        expected.reverse()
    assert list(keys.window(low, high, descending=descending)) == expected
    assert len(keys) == len(model)


def test_window_of_an_empty_index_is_empty() -> None:
    assert list(SortedKeys().window(None, None, descending=False)) == []


def test_window_with_low_after_high_is_empty() -> None:
    keys = SortedKeys()
    keys.add(("b", "1"))
    assert list(keys.window("c", "a", descending=True)) == []


# --- the org keeps it in step: random writes, then indexed and scanned queries compared --------

op_st = st.one_of(
    st.tuples(st.just("create"), st.integers(0, 3)),
    st.tuples(st.sampled_from(["update", "delete", "undelete", "snapshot"]), st.integers(0, 50)),
    st.tuples(st.sampled_from(["rollback", "convert", "purge"]), st.integers(0, 50)),
    st.tuples(st.just("back"), st.integers(1, 6)),
    st.tuples(st.just("tick"), st.integers(1, 4)),
)

query_st = st.fixed_dictionaries(
    {
        "low": st.one_of(
            st.none(), st.tuples(st.sampled_from([">=", ">", "="]), st.integers(-2, 40))
        ),
        "high": st.one_of(st.none(), st.tuples(st.sampled_from(["<=", "<"]), st.integers(-2, 40))),
        "order": st.sampled_from(
            ["SystemModstamp, Id", "SystemModstamp DESC, Id DESC", "SystemModstamp", ""]
        ),
        "limit": st.one_of(st.none(), st.integers(1, 12)),
        "offset": st.one_of(st.none(), st.integers(0, 4)),
        "all_rows": st.booleans(),
        "extra": st.booleans(),
        "count": st.booleans(),
    }
)


def apply_ops(org: Org, clock: ManualClock, ops: list[tuple[str, int]]) -> None:
    """Run random writes; writes Salesforce refuses are simply skipped."""
    ids: list[str] = []
    images: list[tuple[str, dict[str, Any]]] = []
    for n, (kind, arg) in enumerate(ops):
        pick = ids[arg % len(ids)] if ids else None
        try:
            if kind == "create":
                clock.advance(arg)
                ids.append(org.create("Lead", {"LastName": f"L{n % 3}", "Company": "Acme"}))
            elif kind == "tick":
                clock.advance(arg)
            elif kind == "back":
                clock.set(clock() - timedelta(seconds=arg))
            elif pick is None:
                continue
            elif kind == "update":
                org.update("Lead", pick, {"LastName": f"U{n % 3}"})
            elif kind == "delete":
                org.delete(pick)
            elif kind == "undelete":
                org.undelete(pick)
            elif kind == "snapshot":
                images.append((pick, org.get(pick, include_deleted=True)))
            elif kind == "rollback" and images:
                record_id, image = images[arg % len(images)]
                org.restore_record(record_id, image)
            elif kind == "convert":
                org.convert_lead(pick)
            elif kind == "purge":
                org.purge(pick)
                ids.remove(pick)
        except SalesforceError:
            continue


def soql(query: dict[str, Any]) -> str:
    """Build the query text a drawn query dict describes."""
    conditions = []
    if query["low"] is not None:
        op, second = query["low"]
        conditions.append(f"SystemModstamp {op} {literal(second)}")
    if query["high"] is not None:
        op, second = query["high"]
        conditions.append(f"SystemModstamp {op} {literal(second)}")
    if query["extra"]:
        conditions.append("LastName != 'U1'")
    text = "SELECT COUNT() FROM Lead" if query["count"] else "SELECT Id FROM Lead"
    if conditions:
        text += " WHERE " + " AND ".join(conditions)
    if query["order"] and not query["count"]:
        text += f" ORDER BY {query['order']}"
    if query["limit"] is not None:
        text += f" LIMIT {query['limit']}"
    if query["offset"] is not None and not query["count"]:
        text += f" OFFSET {query['offset']}"
    return text


@ORG_EXAMPLES
@given(st.lists(op_st, max_size=60), st.lists(query_st, min_size=1, max_size=8))
def test_indexed_queries_return_what_a_scan_returns(
    ops: list[tuple[str, int]], queries: list[dict[str, Any]]
) -> None:
    clock = ManualClock()
    org = Org(clock=clock)
    apply_ops(org, clock, ops)
    for query in queries:
        compiled = compile_query(soql(query), org, all_rows=query["all_rows"])
        ctx = eval_context(org, "59.0")
        scanned = compiled.run(org.iter_records("Lead", include_deleted=query["all_rows"]), ctx)
        served = matching_rows(org, compiled, ctx)
        if query["count"]:
            assert len(served) == len(scanned), compiled.text  # only the count is answered
        else:
            assert [r["Id"] for r in served] == [r["Id"] for r in scanned], compiled.text


@ORG_EXAMPLES
@given(st.lists(op_st, max_size=60), st.integers(0, 30), st.integers(1, 30))
def test_get_updated_lists_exactly_the_live_records_of_the_window(
    ops: list[tuple[str, int]], start: int, length: int
) -> None:
    clock = ManualClock()
    org = Org(clock=clock)
    apply_ops(org, clock, ops)
    clock.set(DEFAULT_START + timedelta(hours=1))
    begin = DEFAULT_START + timedelta(minutes=start)
    end = begin + timedelta(minutes=length)
    low, high = format_datetime(begin), format_datetime(min(end, clock()))
    expected = {r["Id"] for r in org.iter_records("Lead") if low <= r["SystemModstamp"] < high}
    body = org.get_updated("Lead", begin, end)
    assert set(body["ids"]) == expected
    assert len(body["ids"]) == len(expected)


# --- it reads only the window ---------------------------------------------------------------


class ScanCountingOrg(Org):
    """An org that counts full scans of a table."""

    scans = 0

    def iter_records(
        self, sobject: str, *, include_deleted: bool = False
    ) -> Iterator[dict[str, Any]]:
        """Count the scan, then scan."""
        self.scans += 1
        return super().iter_records(sobject, include_deleted=include_deleted)


@pytest.fixture
def busy_org() -> ScanCountingOrg:
    """Return an org with 100 leads per second over 20 seconds."""
    clock = ManualClock()
    org = ScanCountingOrg(clock=clock)
    for _ in range(20):
        for i in range(100):
            org.create("Lead", {"LastName": f"N{i}", "Company": "Acme"})
        clock.advance(1)
    org.scans = 0
    return org


def run(org: Org, text: str) -> list[Mapping[str, Any]]:
    """Run a query the way /query does and return its rows."""
    compiled = compile_query(text, org)
    return matching_rows(org, compiled, eval_context(org, "59.0"))


def test_window_query_reads_only_its_window(busy_org: ScanCountingOrg) -> None:
    seen: list[str] = []

    def accept(record: Mapping[str, Any]) -> bool:
        seen.append(record["Id"])
        return True

    rows = busy_org.modstamp_window("Lead", (wire(5), wire(6)), accept)
    assert len(rows) == 200
    assert len(seen) == 200
    assert {r["SystemModstamp"] for r in rows} == {wire(5), wire(6)}


def test_limit_stops_the_walk_early(busy_org: ScanCountingOrg) -> None:
    seen: list[str] = []

    def accept(record: Mapping[str, Any]) -> bool:
        seen.append(record["Id"])
        return True

    rows = busy_org.modstamp_window("Lead", (wire(3), None), accept, wanted=7)
    assert len(rows) == len(seen) == 7
    assert rows == sorted(rows, key=lambda r: (r["SystemModstamp"], r["Id"]))


def test_sync_window_query_uses_the_index_not_a_scan(busy_org: ScanCountingOrg) -> None:
    rows = run(
        busy_org,
        f"SELECT Id FROM Lead WHERE SystemModstamp >= {literal(10)} "
        f"AND SystemModstamp <= {literal(12)} ORDER BY SystemModstamp, Id LIMIT 250",
    )
    assert busy_org.scans == 0
    assert len(rows) == 250
    assert rows[0]["SystemModstamp"] == wire(10)
    assert rows[-1]["SystemModstamp"] == wire(12)
    assert [r["Id"] for r in rows] == sorted(r["Id"] for r in rows)


def test_other_orders_fall_back_to_a_scan(busy_org: ScanCountingOrg) -> None:
    rows = run(
        busy_org,
        f"SELECT Id FROM Lead WHERE SystemModstamp >= {literal(19)} ORDER BY SystemModstamp",
    )
    assert busy_org.scans == 1
    assert len(rows) == 100


def test_query_without_a_modstamp_bound_scans(busy_org: ScanCountingOrg) -> None:
    rows = run(busy_org, "SELECT Id FROM Lead WHERE LastName = 'N5' ORDER BY SystemModstamp, Id")
    assert busy_org.scans == 1
    assert len(rows) == 20


def test_count_in_a_window_uses_the_index(busy_org: ScanCountingOrg) -> None:
    compiled = compile_query(
        f"SELECT COUNT() FROM Lead WHERE SystemModstamp > {literal(17)}", busy_org
    )
    rows = matching_rows(busy_org, compiled, eval_context(busy_org, "59.0"))
    assert busy_org.scans == 0
    assert len(rows) == 200


def test_index_follows_an_update_to_the_newest_stamp(org: Org, clock: ManualClock) -> None:
    first = org.create("Lead", {"LastName": "A", "Company": "Acme"})
    clock.advance(5)
    org.create("Lead", {"LastName": "B", "Company": "Acme"})
    clock.advance(5)
    org.update("Lead", first, {"LastName": "A2"})
    rows = run(
        org, f"SELECT Id FROM Lead WHERE SystemModstamp >= {literal(8)} ORDER BY SystemModstamp, Id"
    )
    assert [r["Id"] for r in rows] == [first]


def test_rolled_back_record_returns_to_its_old_place(org: Org, clock: ManualClock) -> None:
    lead = org.create("Lead", {"LastName": "A", "Company": "Acme"})
    image = org.get(lead)
    clock.advance(60)
    org.update("Lead", lead, {"LastName": "B"})
    org.restore_record(lead, image)
    late = run(
        org,
        f"SELECT Id FROM Lead WHERE SystemModstamp >= {literal(30)} ORDER BY SystemModstamp, Id",
    )
    early = run(
        org, f"SELECT Id FROM Lead WHERE SystemModstamp <= {literal(1)} ORDER BY SystemModstamp, Id"
    )
    assert late == []
    assert [r["Id"] for r in early] == [lead]


def test_purged_record_leaves_the_index(org: Org) -> None:
    lead = org.create("Lead", {"LastName": "A", "Company": "Acme"})
    org.purge(lead)
    compiled = compile_query(
        f"SELECT Id FROM Lead WHERE SystemModstamp >= {literal(-5)} ORDER BY SystemModstamp, Id",
        org,
        all_rows=True,
    )
    assert matching_rows(org, compiled, eval_context(org, "59.0")) == []
