"""Accounts, users, dispositions and lists."""

import pytest

from ringsync.domain.accounts import create_account, get_account, update_account
from ringsync.domain.contacts import create_contact
from ringsync.domain.dispositions import (
    LeadStatus,
    create_disposition,
    delete_disposition,
    find_disposition,
    import_lead_statuses,
    list_dispositions,
    update_disposition,
)
from ringsync.domain.lists import (
    add_to_list,
    create_list,
    delete_list,
    list_lists,
    list_members,
    remove_from_list,
)
from ringsync.domain.users import (
    UserStatus,
    create_user,
    delete_user,
    find_user_by_email,
    get_user,
    list_users,
    update_user,
)
from ringsync.errors import NotFoundError, ValidationError
from ringsync.store.db import Database


def test_account_region_and_zone_are_checked(database: Database) -> None:
    with database.write() as s:
        account = create_account(s, "Acme", default_region="gb", time_zone="Europe/London")
    assert (account.default_region, account.time_zone) == ("GB", "Europe/London")
    with database.write() as s, pytest.raises(ValidationError) as caught:
        create_account(s, " ", default_region="ZZ", time_zone="Mars/Olympus")
    assert {p.field for p in caught.value.problems} == {"name", "default_region", "time_zone"}
    with database.write() as s:
        changed = update_account(s, account.id, time_zone="America/New_York")
        assert get_account(s, account.id) == changed
    with database.read() as s, pytest.raises(NotFoundError):
        get_account(s, 10**9)


def test_user_lifecycle(database: Database, account_id: int) -> None:
    with database.write() as s:
        user = create_user(s, account_id, email="Ann@Example.com", name="Ann", role="admin")
    assert user.can_own_contacts
    assert not user.has_password
    with database.write() as s:
        assert find_user_by_email(s, account_id, "ann@example.COM") == user
        suspended = update_user(s, account_id, user.id, {"status": "suspended"})
    assert suspended.status is UserStatus.SUSPENDED
    assert not suspended.can_own_contacts
    with database.write() as s:
        deleted = delete_user(s, account_id, user.id)
        assert get_user(s, account_id, user.id).status is UserStatus.DELETED
        assert [u.id for u in list_users(s, account_id, status="deleted")] == [deleted.id]


def test_user_problems_are_reported_together(database: Database, account_id: int) -> None:
    with database.write() as s:
        taken_user = create_user(s, account_id, email="taken@example.com")
    with database.write() as s, pytest.raises(ValidationError) as caught:
        create_user(s, account_id, email="nope", role="boss", kind="robot", status="gone")
    assert {p.field for p in caught.value.problems} == {"email", "role", "kind", "status"}
    with database.write() as s, pytest.raises(ValidationError) as taken:
        create_user(s, account_id, email="TAKEN@example.com")
    assert taken.value.problems[0].reason == "another user of this account has this email"
    with database.write() as s, pytest.raises(ValidationError) as unknown:
        update_user(s, account_id, taken_user.id, {"salary": 1})
    assert unknown.value.problems[0].code == "unknown"


def test_extension_users_cannot_own_contacts(database: Database, account_id: int) -> None:
    with database.write() as s:
        ext = create_user(s, account_id, email="ext-101@example.com", kind="extension")
    assert not ext.can_own_contacts


def test_dispositions_keep_one_default_and_import_lead_statuses(
    database: Database, account_id: int
) -> None:
    with database.write() as s:
        a = create_disposition(s, account_id, "Busy", sort_order=2, is_default=True)
        b = create_disposition(s, account_id, "Sale", sort_order=1, is_default=True)
        assert [d.name for d in list_dispositions(s, account_id)] == ["Sale", "Busy"]
        assert [d.is_default for d in list_dispositions(s, account_id)] == [True, False]
        update_disposition(s, account_id, a.id, {"is_default": True, "name": "Busy line"})
        assert find_disposition(s, account_id, "Sale") == find_disposition(s, account_id, "Sale")
        imported = import_lead_statuses(
            s,
            account_id,
            [
                LeadStatus("Open - Not Contacted", 1, is_default=True),
                LeadStatus("Closed - Converted", 9, is_converted=True),
                LeadStatus("Sale", 5),
            ],
        )
    assert [(d.name, d.is_default, d.is_converted, d.salesforce_status) for d in imported] == [
        ("Open - Not Contacted", True, False, "Open - Not Contacted"),
        ("Closed - Converted", False, True, "Closed - Converted"),
        ("Sale", False, False, "Sale"),
    ]
    with database.write() as s:
        defaults = [d.name for d in list_dispositions(s, account_id) if d.is_default]
        assert defaults == ["Open - Not Contacted"]
        delete_disposition(s, account_id, b.id)
        assert find_disposition(s, account_id, "Sale") is None


def test_disposition_names_are_unique(database: Database, account_id: int) -> None:
    with database.write() as s:
        create_disposition(s, account_id, "Busy")
    with database.write() as s, pytest.raises(ValidationError, match="cannot be created"):
        create_disposition(s, account_id, " Busy ")
    with database.write() as s, pytest.raises(NotFoundError):
        delete_disposition(s, account_id, 10**9)


def test_lists_hold_only_the_accounts_contacts(database: Database, account_id: int) -> None:
    with database.write() as s:
        other = create_account(s, "Other").id
        foreign = create_contact(s, other, {"phone": "4155550900"}).contact.id
        ids = [
            create_contact(s, account_id, {"phone": f"415555091{i}"}).contact.id for i in range(3)
        ]
        hot = create_list(s, account_id, "Hot leads")
        add_to_list(s, account_id, hot.id, [*ids, ids[0]])
    with database.write() as s, pytest.raises(ValidationError) as caught:
        add_to_list(s, account_id, hot.id, [foreign])
    assert caught.value.problems[0].reason == f"no such contacts in this account: {foreign}"
    with database.write() as s:
        assert list_members(s, account_id, hot.id) == sorted(ids)
        assert remove_from_list(s, account_id, hot.id, [ids[0]]).size == 2
        assert [(v.name, v.size) for v in list_lists(s, account_id)] == [("Hot leads", 2)]
        with pytest.raises(ValidationError, match="cannot be created"):
            create_list(s, account_id, "Hot leads")
        delete_list(s, account_id, hot.id)
        assert list_lists(s, account_id) == []
    with database.read() as s, pytest.raises(NotFoundError):
        list_members(s, other, hot.id)
