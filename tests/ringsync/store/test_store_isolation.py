"""No query crosses accounts: every statement on an account's tables names the account.

The one allowed exception is the ORM's own UPDATE/DELETE of a row it loaded, addressed by
primary key only: that row was read through an account-filtered SELECT in the same session
(which this test checks too), so the key cannot point into another account.
"""

import re
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path

from sqlalchemy import event

from ringsync.clock import FrozenClock
from ringsync.domain.accounts import create_account
from ringsync.domain.activities import get_stats, history, record_activity
from ringsync.domain.contact_values import Origin
from ringsync.domain.contacts import (
    create_contact,
    define_custom_property,
    find_contact_by_phone,
    get_contact,
    list_contacts,
    update_contact,
)
from ringsync.domain.contacts_bulk import upsert_contacts
from ringsync.domain.dispositions import (
    LeadStatus,
    create_disposition,
    import_lead_statuses,
    list_dispositions,
    update_disposition,
)
from ringsync.domain.lists import add_to_list, create_list, list_members, remove_from_list
from ringsync.domain.sync_settings import (
    compare_versions,
    edit_draft,
    export_to_file,
    import_file,
    restore_version,
    save_draft,
)
from ringsync.domain.tracking import ActivityDirection, ActivityEvent, ActivityKind
from ringsync.domain.users import create_user, delete_user, find_user_by_email, update_user
from ringsync.store.db import Database
from ringsync.store.repositories import outbox
from ringsync.store.tables import ACCOUNT_SCOPED_TABLES, Base

_TABLE_REF = re.compile(r"\b(?:from|join|update|into)\s+\"?(\w+)\"?", re.IGNORECASE)


@contextmanager
def captured(database: Database) -> Iterator[list[str]]:
    statements: list[str] = []

    def remember(_c: object, _cur: object, statement: str, *_args: object) -> None:
        statements.append(statement)

    event.listen(database.engine, "before_cursor_execute", remember)
    try:
        yield statements
    finally:
        event.remove(database.engine, "before_cursor_execute", remember)


def run_everything(database: Database, account_id: int, clock: FrozenClock, tmp: Path) -> None:
    """Call every service once, the way the API and the sync engine will."""
    with database.write() as s:
        user = create_user(s, account_id, email="agent@example.com")
        update_user(s, account_id, user.id, {"name": "Agent"})
        find_user_by_email(s, account_id, "agent@example.com")
        disposition = create_disposition(s, account_id, "Busy", is_default=True)
        update_disposition(s, account_id, disposition.id, {"sort_order": 3})
        import_lead_statuses(s, account_id, [LeadStatus("Open", is_default=True)])
        list_dispositions(s, account_id)
        define_custom_property(s, account_id, "tier", label="Tier", value_type="text")
        contact = create_contact(
            s, account_id, {"phone": "4155550100", "owner": user.id, "tier": "gold"}
        ).contact
        update_contact(
            s, account_id, contact.id, {"disposition_id": disposition.id}, origin=Origin.RINGSYNC
        )
        upsert_contacts(
            s,
            account_id,
            [{"phone": "4155550101"}, {"phone": "4155550100"}],
            origin=Origin.RINGSYNC,
        )
        find_contact_by_phone(s, account_id, "4155550100")
        get_contact(s, account_id, contact.id)
        list_contacts(s, account_id)
        event_ = ActivityEvent(
            "e1",
            ActivityKind.CALL,
            ActivityDirection.INBOUND,
            datetime(2026, 3, 1, tzinfo=UTC),
            disposition="Busy",
        )
        record_activity(s, account_id, contact.id, event_)
        record_activity(s, account_id, contact.id, event_)
        get_stats(s, account_id, contact.id)
        history(s, account_id, contact.id)
        hot = create_list(s, account_id, "Hot")
        add_to_list(s, account_id, hot.id, [contact.id])
        list_members(s, account_id, hot.id)
        remove_from_list(s, account_id, hot.id, [contact.id])
        claimed = outbox.claim(s, account_id, "worker-1", clock.now())
        outbox.settle(s, account_id, [row.id for row in claimed])
        edit_draft(s, account_id, {"poll_interval_seconds": 60}, edited_by="a")
        save_draft(s, account_id, saved_by="a")
        save_draft(s, account_id, saved_by="a")
        compare_versions(s, account_id, 1, 2)
        restore_version(s, account_id, 1, restored_by="a")
        path = export_to_file(s, account_id, tmp / f"{account_id}.json")
        import_file(s, account_id, path, imported_by="a")
        delete_user(s, account_id, user.id)


def test_every_statement_on_account_tables_filters_by_account(
    database: Database, account_id: int, clock: FrozenClock, tmp_path: Path
) -> None:
    with captured(database) as statements:
        run_everything(database, account_id, clock, tmp_path)
    scoped = set(ACCOUNT_SCOPED_TABLES)
    checked = 0
    for statement in statements:
        tables = {t.lower() for t in _TABLE_REF.findall(statement)} & scoped
        if tables and not _unit_of_work_by_key(statement):
            checked += 1
            assert _names_the_account(statement), statement
    assert checked > 50


def _names_the_account(statement: str) -> bool:
    """Inserts must set account_id; everything else must filter on it in WHERE."""
    if statement.lstrip().upper().startswith("INSERT"):
        return "account_id" in statement.split(")")[0]
    parts = re.split(r"\sWHERE\s", statement, maxsplit=1)
    return len(parts) == 2 and "account_id" in parts[1]


def _unit_of_work_by_key(statement: str) -> bool:
    """Tell whether this is the ORM writing back a loaded row by its primary key alone."""
    match = re.match(r"^(?:UPDATE (\w+) SET .*|DELETE FROM (\w+)) WHERE (.*)$", statement, re.S)
    if match is None:
        return False
    table = Base.metadata.tables[match.group(1) or match.group(2)]
    keys = {column.name for column in table.primary_key.columns}
    terms = [term.strip() for term in match.group(3).split(" AND ")]
    names = {re.sub(r"^\w+\.", "", term.split(" = ")[0]) for term in terms}
    return all(" = " in term for term in terms) and names == keys


def test_one_account_never_sees_or_changes_anothers_rows(
    database: Database, clock: FrozenClock, tmp_path: Path
) -> None:
    with database.write() as s:
        first = create_account(s, "First").id
        second = create_account(s, "Second").id
    run_everything(database, first, clock, tmp_path)
    run_everything(database, second, clock, tmp_path)  # same phones, emails, names, ids
    with database.read() as s:
        mine = find_contact_by_phone(s, first, "4155550100")
        theirs = find_contact_by_phone(s, second, "4155550100")
        assert mine is not None
        assert theirs is not None
        assert mine.id != theirs.id
        assert {c.account_id for c in list_contacts(s, first)} == {first}
        assert get_stats(s, first, mine.id).total_inbound_calls == 1
        assert {row.account_id for row in outbox.list_rows(s, second)} == {second}
