"""Every lookup and write of links by contact or record uses an index on both columns.

A statement on ``sync_links`` whose plan narrows rows by the account alone reads every link of
the account: each inbound batch then costs time in proportion to the links already stored, and
a pull of a million leads slows to a crawl as it goes. SQLite's query plans of the statements
the repository really issues are read here (the same indexes exist on Postgres); only listing
all links may read them all.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

import pytest
from sqlalchemy import event
from sqlalchemy.engine import Connection

from ringsync.clock import FrozenClock
from ringsync.domain.contact_values import Origin
from ringsync.domain.contacts_bulk import create_contacts
from ringsync.store.db import Database
from ringsync.store.repositories import sync_links
from ringsync.store.repositories.sync_links import LinkRow

Plans = dict[str, list[str]]


@pytest.fixture
def database(sqlite_database: Database) -> Database:
    """SQLite only: its query plans are exact; Postgres plans follow its table statistics."""
    return sqlite_database


@pytest.fixture
def sqlite_only(database: Database) -> Database:
    return database


@pytest.fixture
def plans(sqlite_only: Database) -> Iterator[Plans]:
    """Collect the query plan of every statement that reads or changes ``sync_links``."""
    seen: Plans = {}

    def explain(
        conn: Connection, _cursor: Any, statement: str, params: Any, _ctx: Any, many: bool
    ) -> None:
        verb = statement.lstrip()[:7].upper()
        if "sync_links" not in statement or verb.startswith(("INSERT", "EXPLAIN")):
            return
        bound = params[0] if many and params else params
        rows = conn.exec_driver_sql(f"EXPLAIN QUERY PLAN {statement}", bound).fetchall()
        seen[" ".join(statement.split())] = [str(row[-1]) for row in rows]

    engine = sqlite_only.engine
    event.listen(engine, "before_cursor_execute", explain)
    yield seen
    event.remove(engine, "before_cursor_execute", explain)


def _contacts(database: Database, account_id: int, count: int) -> list[int]:
    rows = [{"phone": f"+1415555{800 + i:04d}"} for i in range(count)]
    with database.write() as s:
        ids = create_contacts(s, account_id, rows, origin=Origin.SALESFORCE)
    return [int(i) for i in ids]  # type: ignore[arg-type]  # all valid rows


def _account_wide(plan: list[str]) -> bool:
    """Tell whether a plan reads the account's links by the account alone (or all links)."""
    return any(
        step.startswith("SCAN sync_links") or step.endswith("(account_id=?)") for step in plan
    )


USES: dict[str, Callable[[Any, int, list[int], Any], object]] = {
    "by_records": lambda s, acct, _ids, _at: sync_links.by_records(s, acct, ["00QA", "00QB"]),
    "by_contacts": lambda s, acct, ids, _at: sync_links.by_contacts(s, acct, ids),
    "insert_many": lambda s, acct, ids, at: sync_links.insert_many(
        s, acct, [LinkRow(ids[0], "Lead", "00QA"), LinkRow(ids[1], "Contact", "003B")], at
    ),
    "save": lambda s, acct, ids, at: sync_links.save(s, acct, LinkRow(ids[2], "Lead", "00QC"), at),
    "update_base": lambda s, acct, ids, at: sync_links.update_base(s, acct, ids[2], {"c": 1}, at),
    "set_fingerprint": lambda s, acct, _ids, at: sync_links.set_fingerprint(
        s, acct, "00QC", "fp", at
    ),
    "remove": lambda s, acct, _ids, _at: sync_links.remove(s, acct, "00QA"),
}


@pytest.mark.parametrize("use", sorted(USES))
def test_link_statements_narrow_by_contact_or_record_through_an_index(
    use: str, plans: Plans, sqlite_only: Database, account_id: int, clock: FrozenClock
) -> None:
    ids = _contacts(sqlite_only, account_id, 3)
    with sqlite_only.write() as s:  # something to find, replace and remove
        sync_links.insert_many(s, account_id, [LinkRow(ids[0], "Lead", "00QA")], clock.now())
    plans.clear()

    with sqlite_only.write() as s:
        USES[use](s, account_id, ids, clock.now())

    assert plans, f"{use} issued no statement on sync_links"
    wide = {statement: plan for statement, plan in plans.items() if _account_wide(plan)}
    assert wide == {}


def test_the_check_sees_a_statement_that_reads_every_link_of_the_account(
    plans: Plans, sqlite_only: Database, account_id: int
) -> None:
    with sqlite_only.read() as s:
        sync_links.list_links(s, account_id)

    assert any(_account_wide(plan) for plan in plans.values())
