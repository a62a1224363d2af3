"""List views: the ListView object, the REST list/describe/results resources, the admin API."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from starlette.testclient import TestClient

from sfemu.app import EmulatorApp, create_emulator_app
from sfemu.org import Org

V = "/services/data/v62.0"


@pytest.fixture
def app(org: Org) -> EmulatorApp:
    return create_emulator_app(org)


@pytest.fixture
def client(app: EmulatorApp) -> Iterator[TestClient]:
    state = app.state.sfemu
    session = state.tokens.issue_session(
        state.org.admin_user_id, "sfemu-client", "api", state.org.now(), 7200
    )
    with TestClient(app, base_url="https://sfemu.test") as test_client:
        test_client.headers["Authorization"] = f"Bearer {session.token}"
        yield test_client


def _lead(org: Org, last: str, company: str = "Acme", **values: Any) -> str:
    return org.create("Lead", {"LastName": last, "Company": company, **values})


def _views(client: TestClient, sobject: str) -> dict[str, dict[str, Any]]:
    reply = client.get(f"{V}/sobjects/{sobject}/listviews")
    assert reply.status_code == 200, reply.text
    return {v["developerName"]: v for v in reply.json()["listviews"]}


def _define(client: TestClient, **spec: Any) -> dict[str, Any]:
    reply = client.post("/__sfemu/list-views", json=spec)
    assert reply.status_code == 201, reply.text
    body: dict[str, Any] = reply.json()
    return body


def _cells(record: dict[str, Any]) -> dict[str, Any]:
    return {c["fieldNameOrPath"]: c["value"] for c in record["columns"]}


def test_a_new_org_lists_the_default_lead_and_contact_views(client: TestClient) -> None:
    reply = client.get(f"{V}/sobjects/Lead/listviews")
    body = reply.json()
    leads = {v["developerName"]: v for v in body["listviews"]}
    contacts = _views(client, "Contact")

    assert (body["done"], body["nextRecordsUrl"], body["sobjectType"]) == (True, None, "Lead")
    assert body["size"] == 4
    assert set(leads) == {"AllOpenLeads", "MyUnreadLeads", "TodaysLeads", "RecentlyViewedLeads"}
    assert {"AllContacts", "MyContacts", "RecentlyViewedContacts"} <= set(contacts)
    view = leads["AllOpenLeads"]
    assert view["id"].startswith("00B")
    assert view["label"] == "All Open Leads"
    assert view["url"] == f"{V}/sobjects/Lead/listviews/{view['id']}"
    assert view["describeUrl"] == f"{view['url']}/describe"
    assert view["resultsUrl"] == f"{view['url']}/results"
    assert view["soqlCompatible"] is True
    assert contacts["RecentlyViewedContacts"]["soqlCompatible"] is False
    assert client.get(view["url"]).json() == view


def test_list_views_are_listview_records_soql_can_read(client: TestClient) -> None:
    soql = "SELECT Id, Name, DeveloperName, SobjectType FROM ListView WHERE SobjectType = 'Contact'"

    rows = client.get(f"{V}/query", params={"q": soql}).json()["records"]

    names = {r["DeveloperName"]: r for r in rows}
    assert set(names) == {"AllContacts", "MyContacts", "NewThisWeek", "RecentlyViewedContacts"}
    assert names["AllContacts"]["Name"] == "All Contacts"
    assert names["AllContacts"]["Id"] == _views(client, "Contact")["AllContacts"]["id"]
    describe = client.get(f"{V}/sobjects/ListView/describe").json()
    assert describe["keyPrefix"] == "00B"
    assert describe["createable"] is False


def test_describe_gives_the_query_columns_and_order(client: TestClient, org: Org) -> None:
    view = _views(client, "Lead")["MyUnreadLeads"]

    body = client.get(view["describeUrl"]).json()

    assert body["id"] == view["id"]
    assert body["sobjectType"] == "Lead"
    assert body["scope"] == "mine"
    assert body["query"] == (
        "SELECT Name, Company, Phone, Status, Id, CreatedDate, LastModifiedDate, SystemModstamp "
        "FROM Lead WHERE (IsUnreadByOwner = true AND IsConverted = false) "
        f"AND OwnerId = '{org.admin_user_id}' ORDER BY Name ASC NULLS FIRST, Id ASC NULLS FIRST"
    )
    columns = {c["fieldNameOrPath"]: c for c in body["columns"]}
    assert [c["fieldNameOrPath"] for c in body["columns"]][:4] == [
        "Name",
        "Company",
        "Phone",
        "Status",
    ]
    assert columns["Id"]["hidden"] is True
    assert columns["Name"]["hidden"] is False
    assert columns["Name"]["sortDirection"] == "ascending"
    assert columns["Status"]["selectListItem"] == "toLabel(Status)"
    assert columns["Phone"]["type"] == "phone"
    assert body["orderBy"][0] == {
        "fieldNameOrPath": "Name",
        "nullsPosition": "first",
        "sortDirection": "ascending",
    }


def test_results_run_the_filter_and_page_with_limit_and_offset(
    client: TestClient, org: Org
) -> None:
    for n in range(5):
        _lead(org, f"Buyer{n}", company="Acme", Phone=f"415-555-010{n}")
    _lead(org, "Other", company="Globex", Phone="415-555-0199")
    view = _define(
        client,
        sobject="Lead",
        label="Acme Leads",
        developer_name="Acme_Leads",
        columns=["LastName", "Phone", "DoNotCall"],
        filter="Company = 'Acme'",
    )

    first = client.get(view["resultsUrl"], params={"limit": 2}).json()
    last = client.get(view["resultsUrl"], params={"limit": 2, "offset": 4}).json()

    assert (first["size"], first["done"], first["label"]) == (2, False, "Acme Leads")
    assert first["developerName"] == "Acme_Leads"
    assert [c["fieldNameOrPath"] for c in first["columns"]] == [
        "LastName",
        "Phone",
        "DoNotCall",
        "Id",
        "CreatedDate",
        "LastModifiedDate",
        "SystemModstamp",
    ]
    rows = [_cells(r) for r in first["records"]]
    assert [r["LastName"] for r in rows] == ["Buyer0", "Buyer1"]
    assert rows[0]["Phone"] == "415-555-0100"
    assert rows[0]["DoNotCall"] == "false"
    assert rows[0]["Id"].startswith("00Q")
    assert (last["size"], last["done"]) == (1, True)
    assert _cells(last["records"][0])["LastName"] == "Buyer4"


def test_default_results_page_has_25_rows(client: TestClient, org: Org) -> None:
    for n in range(30):
        _lead(org, f"Lead{n:02d}")
    view = _views(client, "Lead")["AllOpenLeads"]

    body = client.get(view["resultsUrl"]).json()

    assert (body["size"], body["done"]) == (25, False)


def test_mine_scope_shows_only_the_callers_records(client: TestClient, org: Org) -> None:
    other = org.create(
        "User",
        {
            "Username": "rep@sfemu.test",
            "LastName": "Rep",
            "Email": "rep@sfemu.test",
            "Alias": "rep",
            "ProfileId": org.standard_profile_id,
        },
    )
    _lead(org, "Mine", IsUnreadByOwner=True)
    _lead(org, "Read", IsUnreadByOwner=False)
    _lead(org, "Theirs", OwnerId=other, IsUnreadByOwner=True)
    view = _views(client, "Lead")["MyUnreadLeads"]

    rows = [_cells(r) for r in client.get(view["resultsUrl"]).json()["records"]]

    assert [r["Name"] for r in rows] == ["Mine"]


def test_admin_defined_views_are_listed_and_survive_no_reset(client: TestClient) -> None:
    made = _define(
        client,
        sobject="contact",
        label="Chicago Contacts",
        developer_name="Chicago",
        columns=["LastName", "MailingCity"],
        filter="MailingCity = 'Chicago'",
        soql_compatible=False,
    )

    assert made["soqlCompatible"] is False
    assert "Chicago" in _views(client, "Contact")
    assert client.post("/__sfemu/reset", json={}).status_code == 200
    assert "Chicago" not in _views(client, "Contact")
    assert "AllContacts" in _views(client, "Contact")


@pytest.mark.parametrize(
    ("spec", "message"),
    [
        ({"sobject": "Nope", "label": "X", "developer_name": "X"}, "not a queryable object"),
        ({"sobject": "Lead", "developer_name": "X"}, "label is required"),
        ({"sobject": "Lead", "label": "X", "developer_name": "1x"}, "developer_name must"),
        (
            {"sobject": "Lead", "label": "X", "developer_name": "AllOpenLeads"},
            "already exists",
        ),
        (
            {"sobject": "Lead", "label": "X", "developer_name": "X", "columns": ["Nope__c"]},
            "No such column 'Nope__c' on entity 'Lead'",
        ),
        (
            {"sobject": "Lead", "label": "X", "developer_name": "X", "filter": "Company = "},
            "the list view's query is not valid",
        ),
        (
            {"sobject": "Lead", "label": "X", "developer_name": "X", "scope": "team"},
            "scope must be one of everything, mine",
        ),
    ],
    ids=["object", "label", "dev-name", "duplicate", "column", "filter", "scope"],
)
def test_bad_definitions_are_refused_with_the_reason(
    client: TestClient, spec: dict[str, Any], message: str
) -> None:
    reply = client.post("/__sfemu/list-views", json=spec)

    assert reply.status_code == 400
    assert message in reply.json()["error"]


def test_unknown_views_and_bad_paging_answer_salesforce_errors(client: TestClient) -> None:
    lead_view = _views(client, "Lead")["AllOpenLeads"]

    missing = client.get(f"{V}/sobjects/Lead/listviews/00BDn00000000zzzzz/describe")
    wrong_object = client.get(f"{V}/sobjects/Contact/listviews/{lead_view['id']}/results")
    too_many = client.get(lead_view["resultsUrl"], params={"limit": 2001})
    not_a_number = client.get(lead_view["resultsUrl"], params={"offset": "x"})

    assert missing.status_code == 404
    assert missing.json()[0]["errorCode"] == "NOT_FOUND"
    assert wrong_object.status_code == 404
    assert too_many.status_code == 400
    assert too_many.json()[0]["errorCode"] == "NUMBER_OUTSIDE_VALID_RANGE"
    assert not_a_number.status_code == 400


def test_list_view_calls_count_as_api_calls(client: TestClient) -> None:
    view = _views(client, "Lead")["AllOpenLeads"]
    client.get(view["describeUrl"])
    client.get(view["resultsUrl"])

    calls = client.get("/__sfemu/stats").json()["calls"]

    assert sum(calls["sobjects/{sobject}/listviews"].values()) == 1
    assert sum(calls["sobjects/{sobject}/listviews/{view_id}/describe"].values()) == 1
    assert sum(calls["sobjects/{sobject}/listviews/{view_id}/results"].values()) == 1
