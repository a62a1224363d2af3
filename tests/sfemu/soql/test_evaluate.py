"""Running compiled queries: filters, ordering, paging, parents, REST rows and CSV rows."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from sfemu.errors import SalesforceError
from sfemu.soql import EvalContext

Compile = Callable[..., Any]


@pytest.fixture
def leads(store: Any) -> list[dict[str, Any]]:
    profile = store.add("Profile", 1, Name="Sales Rep")
    alice = store.add(
        "User", 1, Name="Alice", Email="alice@example.com", IsActive=True, ProfileId=profile["Id"]
    )
    store.add("User", 2, Name="Bob", Email="bob@example.com", IsActive=False)
    queue = store.add("Group", 1, Name="Inbound Queue", Email="queue@example.com")
    acme = store.add("Account", 1, Name="Acme")
    rows = [
        store.add(
            "Lead",
            1,
            FirstName="Ann",
            LastName="smith",
            Email="ann@acme.test",
            Status="Open",
            Score__c=10.5,
            NumberOfEmployees=50,
            DoNotCall=False,
            CreatedDate="2026-03-18T09:00:00.000+0000",
            SystemModstamp="2026-03-18T09:00:00.000+0000",
            ConvertedDate="2026-03-17",
            Interests__c="Voice;SMS",
            OwnerId=alice["Id"],
            ConvertedAccountId=acme["Id"],
            CallTime__c="09:30:00.000Z",
        ),
        store.add(
            "Lead",
            2,
            FirstName="Bea",
            LastName="Smith",
            Status="Working",
            Score__c=3,
            NumberOfEmployees=5,
            DoNotCall=True,
            CreatedDate="2026-03-17T23:59:59.000+0000",
            SystemModstamp="2026-03-18T09:00:00.000+0000",
            Interests__c="Email",
            OwnerId=queue["Id"],
        ),
        store.add(
            "Lead",
            3,
            LastName="Jones_Ltd",
            Company="100% Co",
            Email="j@jones.test",
            Status="Open",
            DoNotCall=False,
            CreatedDate="2026-02-01T00:00:00.000+0000",
            SystemModstamp="2026-02-01T00:00:00.000+0000",
            OwnerId=store.add("User", 9, Name="Ghost")["Id"][:-3] + "ZZZ",  # dangling
        ),
        store.add(
            "Lead",
            4,
            LastName="adams",
            Status="Closed",
            DoNotCall=False,
            CreatedDate="2025-12-31T12:00:00.000+0000",
            SystemModstamp="2026-03-01T10:00:00.000+0000",
            OwnerId=alice["Id"],
        ),
        store.add(
            "Lead",
            5,
            LastName="Deleted",
            IsDeleted=True,
            Status="Open",
            DoNotCall=False,
            SystemModstamp="2026-03-10T10:00:00.000+0000",
        ),
    ]
    return rows


def names(rows: list[Any]) -> list[str]:
    return [r["LastName"] for r in rows]


def run(compile_soql: Compile, store: Any, leads: list[Any], text: str, **kw: Any) -> list[str]:
    return names(compile_soql(text, **kw).run(leads, store.context()))


@pytest.mark.parametrize(
    ("where", "expected"),
    [
        ("LastName = 'SMITH'", ["smith", "Smith"]),
        ("LastName != 'smith'", ["Jones_Ltd", "adams"]),
        ("LastName <> 'smith'", ["Jones_Ltd", "adams"]),
        ("Email = null", ["Smith", "adams"]),
        ("Email != null", ["smith", "Jones_Ltd"]),
        ("Email != 'ann@acme.test'", ["Smith", "Jones_Ltd", "adams"]),
        ("Company = ''", ["smith", "Smith", "adams"]),
        ("LastName > 'M'", ["smith", "Smith"]),
        ("LastName <= 'jones_ltd'", ["Jones_Ltd", "adams"]),
        ("LastName LIKE 'sm%'", ["smith", "Smith"]),
        ("LastName LIKE 'S_ith'", ["smith", "Smith"]),
        ("LastName LIKE '%\\_Ltd'", ["Jones_Ltd"]),
        ("LastName LIKE '%_Ltd'", ["Jones_Ltd"]),
        ("Company LIKE '100\\%%'", ["Jones_Ltd"]),
        ("Company LIKE '100%'", ["Jones_Ltd"]),
        ("NOT Company LIKE '100%'", ["smith", "Smith", "adams"]),
        ("Status IN ('open', 'Closed')", ["smith", "Jones_Ltd", "adams"]),
        ("Status NOT IN ('Open')", ["Smith", "adams"]),
        ("Email IN ('ann@acme.test', null)", ["smith", "Smith", "adams"]),
        ("Email NOT IN ('ann@acme.test')", ["Smith", "Jones_Ltd", "adams"]),
        ("NOT LastName = 'smith'", ["Jones_Ltd", "adams"]),
        ("NOT (LastName = 'smith' OR Status = 'Closed')", ["Jones_Ltd"]),
        ("(Status = 'Open' OR Status = 'Working') AND DoNotCall = false", ["smith", "Jones_Ltd"]),
        ("DoNotCall = true", ["Smith"]),
        ("DoNotCall != true", ["smith", "Jones_Ltd", "adams"]),
        ("Score__c > 5", ["smith"]),
        ("Score__c >= 3 AND Score__c < 10.5", ["Smith"]),
        ("Score__c = 3.0", ["Smith"]),
        ("Score__c IN (3, 10.5)", ["smith", "Smith"]),
        ("NumberOfEmployees >= 6", ["smith"]),
        ("Score__c = null", ["Jones_Ltd", "adams"]),
        ("CreatedDate >= 2026-03-18T00:00:00Z", ["smith"]),
        ("CreatedDate >= 2026-03-18T01:00:00+01:00", ["smith"]),
        ("CreatedDate > 2026-03-17T23:59:58.999Z", ["smith", "Smith"]),
        ("CreatedDate < 2026-01-01T00:00:00-05:00", ["adams"]),
        ("CreatedDate = 2026-02-01T00:00:00.000+0000", ["Jones_Ltd"]),
        ("ConvertedDate = 2026-03-17", ["smith"]),
        ("ConvertedDate < 2026-03-18 AND ConvertedDate > 2026-03-16", ["smith"]),
        ("CallTime__c < 10:00:00Z", ["smith"]),
        ("Interests__c INCLUDES ('sms')", ["smith"]),
        ("Interests__c INCLUDES ('voice;sms', 'Fax')", ["smith"]),
        ("Interests__c INCLUDES ('Voice;Fax')", []),
        ("Interests__c INCLUDES ('Fax', 'email')", ["Smith"]),
        ("Interests__c EXCLUDES ('SMS')", ["Smith", "Jones_Ltd", "adams"]),
        ("Interests__c = 'sms;voice'", ["smith"]),
        ("Owner.Email = 'ALICE@example.com'", ["smith", "adams"]),
        ("Owner.Email LIKE 'queue@%'", ["Smith"]),
        ("Owner.IsActive = true", ["smith", "adams"]),
        ("Owner.Profile.Name = 'Sales Rep'", ["smith", "adams"]),
        ("Owner.Email = null", ["Jones_Ltd"]),
        ("ConvertedAccount.Name != null", ["smith"]),
        ("Lead.LastName = 'adams'", ["adams"]),
    ],
)
def test_where(
    compile_soql: Compile, store: Any, leads: list[Any], where: str, expected: list[str]
) -> None:
    assert run(compile_soql, store, leads, f"SELECT Id FROM Lead WHERE {where}") == expected


def test_id_literals_match_in_15_and_18_char_form(
    compile_soql: Compile, store: Any, leads: list[Any]
) -> None:
    owner = "005000000000001"  # an id whose checksum suffix is AAA (no capitals)
    assert leads[0]["OwnerId"] == owner + "AAA"
    for literal in (owner, owner + "AAA"):
        text = f"SELECT Id FROM Lead WHERE OwnerId = '{literal}'"
        assert run(compile_soql, store, leads, text) == ["smith", "adams"]


def test_deleted_rows_are_excluded_unless_all_rows(
    compile_soql: Compile, store: Any, leads: list[Any]
) -> None:
    text = "SELECT Id FROM Lead WHERE Status = 'Open'"
    assert run(compile_soql, store, leads, text) == ["smith", "Jones_Ltd"]
    assert run(compile_soql, store, leads, text, all_rows=True) == [
        "smith",
        "Jones_Ltd",
        "Deleted",
    ]
    deleted = "SELECT Id FROM Lead WHERE IsDeleted = true"
    assert run(compile_soql, store, leads, deleted) == []
    assert run(compile_soql, store, leads, deleted, all_rows=True) == ["Deleted"]


def test_matches_applies_where_and_deletion(
    compile_soql: Compile, store: Any, leads: list[Any]
) -> None:
    query = compile_soql("SELECT Id FROM Lead WHERE Status = 'Open'")
    ctx = store.context()
    assert [query.matches(r, ctx) for r in leads] == [True, False, True, False, False]
    everything = compile_soql("SELECT Id FROM Lead", all_rows=True)
    assert all(everything.matches(r, ctx) for r in leads)


@pytest.mark.parametrize(
    ("order", "expected"),
    [
        ("LastName", ["adams", "Jones_Ltd", "smith", "Smith"]),
        ("LastName DESC", ["smith", "Smith", "Jones_Ltd", "adams"]),
        ("Email", ["Smith", "adams", "smith", "Jones_Ltd"]),
        ("Email ASC NULLS LAST", ["smith", "Jones_Ltd", "Smith", "adams"]),
        ("Email DESC", ["Jones_Ltd", "smith", "Smith", "adams"]),
        ("Email DESC NULLS FIRST", ["Smith", "adams", "Jones_Ltd", "smith"]),
        ("Score__c DESC, LastName", ["smith", "Smith", "adams", "Jones_Ltd"]),
        ("SystemModstamp DESC, FirstName DESC", ["Smith", "smith", "adams", "Jones_Ltd"]),
        ("SystemModstamp, FirstName DESC", ["Jones_Ltd", "adams", "Smith", "smith"]),
        ("SystemModstamp, Id", ["Jones_Ltd", "adams", "smith", "Smith"]),
        ("DoNotCall DESC, LastName DESC", ["Smith", "smith", "Jones_Ltd", "adams"]),
        ("Owner.Email NULLS LAST, LastName", ["adams", "smith", "Smith", "Jones_Ltd"]),
        ("Owner.Profile.Name DESC, LastName", ["adams", "smith", "Jones_Ltd", "Smith"]),
    ],
)
def test_order_by(
    compile_soql: Compile, store: Any, leads: list[Any], order: str, expected: list[str]
) -> None:
    assert run(compile_soql, store, leads, f"SELECT Id FROM Lead ORDER BY {order}") == expected


def test_limit_and_offset_page_the_sorted_rows(
    compile_soql: Compile, store: Any, leads: list[Any]
) -> None:
    base = "SELECT Id FROM Lead ORDER BY LastName"
    assert run(compile_soql, store, leads, base + " LIMIT 2") == ["adams", "Jones_Ltd"]
    assert run(compile_soql, store, leads, base + " LIMIT 2 OFFSET 1") == ["Jones_Ltd", "smith"]
    assert run(compile_soql, store, leads, base + " OFFSET 3") == ["Smith"]
    assert run(compile_soql, store, leads, base + " LIMIT 0") == []
    assert run(compile_soql, store, leads, base + " LIMIT 10 OFFSET 10") == []
    assert run(compile_soql, store, leads, "SELECT Id FROM Lead LIMIT 1") == ["smith"]


def test_heap_selection_equals_a_full_sort(compile_soql: Compile, store: Any) -> None:
    rows = [
        {"Id": f"00Q{n:015d}", "IsDeleted": False, "LastName": f"n{(n * 7919) % 101}"}
        for n in range(400)
    ]
    for n in range(0, 400, 9):
        rows[n].pop("LastName")
    ctx = store.context()
    full = compile_soql("SELECT Id FROM Lead ORDER BY LastName DESC, Id").run(rows, ctx)
    top = compile_soql("SELECT Id FROM Lead ORDER BY LastName DESC, Id LIMIT 20 OFFSET 5")
    assert top.run(rows, ctx) == full[5:25]


def test_count_queries(compile_soql: Compile, store: Any, leads: list[Any]) -> None:
    ctx = store.context()
    assert len(compile_soql("SELECT COUNT() FROM Lead").run(leads, ctx)) == 4
    assert len(compile_soql("SELECT COUNT() FROM Lead", all_rows=True).run(leads, ctx)) == 5
    assert len(compile_soql("SELECT COUNT() FROM Lead WHERE Status = 'Open'").run(leads, ctx)) == 2
    count_email = compile_soql("SELECT COUNT(Email) FROM Lead")
    assert count_email.is_count
    assert len(count_email.run(leads, ctx)) == 2


def test_project_nests_parents_and_keeps_nulls(
    compile_soql: Compile, store: Any, leads: list[Any]
) -> None:
    query = compile_soql(
        "SELECT Id, LastName, Email, Owner.Email, Owner.Name, Owner.Profile.Name, "
        "ConvertedAccount.Name FROM Lead ORDER BY LastName"
    )
    ctx = EvalContext(store.lookup, store.object_for_id, store.context().now, api_version="59.0")
    by_name = {r["LastName"]: query.project(r, ctx) for r in query.run(leads, ctx)}
    lead1 = leads[0]
    assert by_name["smith"] == {
        "attributes": {"type": "Lead", "url": f"/services/data/v59.0/sobjects/Lead/{lead1['Id']}"},
        "Id": lead1["Id"],
        "LastName": "smith",
        "Email": "ann@acme.test",
        "Owner": {
            "attributes": {
                "type": "User",
                "url": f"/services/data/v59.0/sobjects/User/{lead1['OwnerId']}",
            },
            "Email": "alice@example.com",
            "Name": "Alice",
            "Profile": {
                "attributes": {
                    "type": "Profile",
                    "url": "/services/data/v59.0/sobjects/Profile/00e000000000001AAA",
                },
                "Name": "Sales Rep",
            },
        },
        "ConvertedAccount": {
            "attributes": {
                "type": "Account",
                "url": "/services/data/v59.0/sobjects/Account/001000000000001AAA",
            },
            "Name": "Acme",
        },
    }
    assert list(by_name["smith"]) == [
        "attributes",
        "Id",
        "LastName",
        "Email",
        "Owner",
        "ConvertedAccount",
    ]
    # Polymorphic owner: a queue (Group) has no Profile relationship.
    assert by_name["Smith"]["Owner"] == {
        "attributes": {
            "type": "Group",
            "url": "/services/data/v59.0/sobjects/Group/00G000000000001AAA",
        },
        "Email": "queue@example.com",
        "Name": "Inbound Queue",
        "Profile": None,
    }
    assert by_name["Smith"]["Email"] is None
    assert by_name["Smith"]["ConvertedAccount"] is None
    # A reference to a record that does not exist renders as a null parent.
    assert by_name["Jones_Ltd"]["Owner"] is None


def test_project_of_a_count_query_is_only_attributes(
    compile_soql: Compile, store: Any, leads: list[Any]
) -> None:
    row = compile_soql("SELECT COUNT() FROM Lead").project(leads[0], store.context())
    assert list(row) == ["attributes"]


def test_flat_row_resolves_parent_paths(
    compile_soql: Compile, store: Any, leads: list[Any]
) -> None:
    query = compile_soql("SELECT LastName, Owner.Email, Owner.Profile.Name, Score__c FROM Lead")
    ctx = store.context()
    assert [query.flat_row(r, ctx) for r in leads[:3]] == [
        ["smith", "alice@example.com", "Sales Rep", 10.5],
        ["Smith", "queue@example.com", None, 3],
        ["Jones_Ltd", None, None, None],
    ]


@pytest.mark.parametrize(
    ("where", "hint"),
    [
        (
            "SystemModstamp >= 2026-03-01T00:00:00Z",
            ("SystemModstamp", ">=", "2026-03-01T00:00:00.000+0000"),
        ),
        (
            "systemmodstamp > 2026-03-01T01:00:00+01:00 AND Status = 'Open'",
            ("SystemModstamp", ">", "2026-03-01T00:00:00.000+0000"),
        ),
        (
            "Status = 'Open' AND CreatedDate < 2026-01-01T00:00:00Z",
            ("CreatedDate", "<", "2026-01-01T00:00:00.000+0000"),
        ),
        ("Id = '00Q000000000001AAA'", ("Id", "=", "00Q000000000001AAA")),
        ("LastName >= 'a'", None),
        ("SystemModstamp >= 2026-03-01T00:00:00Z OR Status = 'Open'", None),
        ("CreatedDate = TODAY", None),
        ("SystemModstamp != 2026-03-01T00:00:00Z", None),
        ("Owner.Email = 'x'", None),
    ],
)
def test_keyset_hint(compile_soql: Compile, where: str, hint: Any) -> None:
    assert compile_soql(f"SELECT Id FROM Lead WHERE {where}").keyset_hint() == hint


def test_keyset_hint_is_none_without_where(compile_soql: Compile) -> None:
    assert compile_soql("SELECT Id FROM Lead ORDER BY SystemModstamp").keyset_hint() is None


def test_a_new_context_rebinds_the_closures(
    compile_soql: Compile, store: Any, leads: list[Any]
) -> None:
    query = compile_soql("SELECT Id FROM Lead WHERE CreatedDate = TODAY")
    assert names(query.run(leads, store.context())) == ["smith"]
    later = store.context(now=store.context().now.replace(day=17))
    assert names(query.run(leads, later)) == ["Smith"]


def test_project_without_parents_lists_selected_fields_with_nulls(
    compile_soql: Compile, store: Any, leads: list[Any]
) -> None:
    query = compile_soql("SELECT email, LastName, Id FROM lead")
    row = query.project(leads[1], store.context())
    assert row == {
        "attributes": {
            "type": "Lead",
            "url": f"/services/data/v66.0/sobjects/Lead/{leads[1]['Id']}",
        },
        "Email": None,
        "LastName": "Smith",
        "Id": leads[1]["Id"],
    }
    assert list(row) == ["attributes", "Email", "LastName", "Id"]


def test_records_without_is_deleted_count_as_live(compile_soql: Compile, store: Any) -> None:
    rows = [{"Id": "00Q000000000001AAA", "LastName": "x"}]
    assert compile_soql("SELECT Id FROM Lead").run(rows, store.context()) == rows


def test_compound_address_is_rendered_from_its_parts(compile_soql: Compile, store: Any) -> None:
    query = compile_soql("SELECT Address, Owner.Name FROM Lead")
    ctx = store.context()
    placed = store.add("Lead", 7, City="Lyon", Street="1 Rue", Latitude=45.76)
    assert query.project(placed, ctx)["Address"] == {
        "city": "Lyon",
        "latitude": 45.76,
        "postalCode": None,
        "street": "1 Rue",
    }
    assert query.project(store.add("Lead", 8), ctx)["Address"] is None
    direct = compile_soql("SELECT Id, Address FROM Lead")
    assert list(direct.project(placed, ctx)) == ["attributes", "Id", "Address"]
    assert direct.project(placed, ctx)["Address"]["city"] == "Lyon"


def test_compound_address_cannot_be_filtered(compile_soql: Compile) -> None:
    with pytest.raises(SalesforceError) as info:
        compile_soql("SELECT Id FROM Lead WHERE Address = 'x'")
    assert info.value.message.endswith("\nfield 'Address' can not be filtered in a query call")
