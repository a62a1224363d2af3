"""Org writes: create/update/get/render, system fields, and each validation error users see."""

from __future__ import annotations

import threading
from collections.abc import Callable
from datetime import datetime
from typing import Any

import pytest

from sfemu.clock import ManualClock
from sfemu.errors import SalesforceError
from sfemu.org import Org

LEAD = {"LastName": "Smith", "Company": "Acme"}


def _fails(call: Callable[..., object], *args: Any, **kwargs: Any) -> SalesforceError:
    with pytest.raises(SalesforceError) as info:
        call(*args, **kwargs)
    return info.value


def test_default_contents(org: Org) -> None:
    admin = org.get(org.admin_user_id)
    assert admin["Username"] == "admin@sfemu.test"
    assert admin["Name"] == "Admin User"
    assert admin["IsActive"] is True
    assert org.get(admin["ProfileId"])["Name"] == "System Administrator"
    assert org.check_password(org.admin_user_id, "sfemu")
    assert not org.check_password(org.admin_user_id, "wrong")
    queue = org.get(org.queue_id)
    assert (queue["Name"], queue["Type"]) == ("Sales Queue", "Queue")
    statuses = sorted(org.iter_records("LeadStatus"), key=lambda r: r["SortOrder"])
    assert [(s["MasterLabel"], s["IsDefault"], s["IsConverted"]) for s in statuses] == [
        ("Open - Not Contacted", True, False),
        ("Working - Contacted", False, False),
        ("Closed - Converted", False, True),
        ("Closed - Not Converted", False, False),
    ]
    assert org.get(org.org_id)["Name"] == "sfemu Org"
    assert org.org_id.startswith("00D")


def test_create_sets_defaults_system_fields_and_canonical_names(org: Org) -> None:
    lead_id = org.create("lead", {"lastname": "Smith", "COMPANY": "Acme", "firstName": "Ann"})
    lead = org.get(lead_id)
    assert lead_id.startswith("00Q")
    assert len(lead_id) == 18
    assert (lead["LastName"], lead["FirstName"]) == ("Smith", "Ann")
    assert lead["Name"] == "Ann Smith"
    assert lead["Status"] == "Open - Not Contacted"
    assert lead["OwnerId"] == org.admin_user_id
    assert (lead["IsDeleted"], lead["IsConverted"], lead["DoNotCall"]) == (False, False, False)
    assert lead["CreatedDate"] == lead["SystemModstamp"] == "2026-01-15T12:00:00.000+0000"
    assert lead["CreatedById"] == lead["LastModifiedById"] == org.admin_user_id
    assert "Email" not in lead  # nulls are not stored


def test_update_bumps_stamps_and_records_the_editing_user(org: Org, clock: ManualClock) -> None:
    user_id = org.create(
        "User",
        {"Username": "u@x.test", "LastName": "Agent", "Email": "u@x.test", "Alias": "agent"},
    )
    lead_id = org.create("Lead", LEAD)
    clock.advance(61.7)
    org.update("Lead", lead_id, {"Phone": "(415) 555-0100", "FirstName": "Jo"}, user_id=user_id)
    lead = org.get(lead_id)
    assert lead["Phone"] == "(415) 555-0100"
    assert lead["Name"] == "Jo Smith"
    assert lead["LastModifiedDate"] == lead["SystemModstamp"] == "2026-01-15T12:01:01.000+0000"
    assert lead["LastModifiedById"] == user_id
    assert lead["CreatedById"] == org.admin_user_id
    org.update(None, lead_id, {"Phone": None})
    assert "Phone" not in org.get(lead_id)


def test_writes_in_one_second_share_system_modstamp(org: Org, clock: ManualClock) -> None:
    a = org.create("Lead", LEAD)
    clock.advance(0.4)
    b = org.create("Lead", LEAD)
    assert org.get(a)["SystemModstamp"] == org.get(b)["SystemModstamp"]


def test_ids_in_any_form_reach_the_record(org: Org) -> None:
    lead_id = org.create("Lead", LEAD)
    assert org.get(lead_id[:15])["Id"] == lead_id
    assert org.get(lead_id.lower())["Id"] == lead_id
    assert org.normalize_id(lead_id.upper(), "Lead") == lead_id
    org.update("Lead", lead_id[:15], {"City": "Paris"})
    assert org.get(lead_id)["City"] == "Paris"


def test_malformed_and_unknown_ids(org: Org) -> None:
    err = _fails(org.get, "not-an-id")
    assert (err.error_code, err.status, err.fields) == ("MALFORMED_ID", 400, ["Id"])
    contact_id = org.create("Contact", {"LastName": "X"})
    err = _fails(org.update, "Lead", contact_id, {"City": "x"})
    assert err.error_code == "MALFORMED_ID"
    assert err.message == f"Lead ID: id value of incorrect type: {contact_id}"
    err = _fails(org.get, "00QDn0000000999")
    assert (err.error_code, err.status) == ("NOT_FOUND", 404)
    assert err.rest_body() == [
        {"message": "The requested resource does not exist", "errorCode": "NOT_FOUND"}
    ]
    assert _fails(org.create, "Nope", {}).error_code == "NOT_FOUND"


def test_required_fields_missing_lists_every_field(org: Org) -> None:
    err = _fails(org.create, "Lead", {"FirstName": "A"})
    assert err.error_code == "REQUIRED_FIELD_MISSING"
    assert err.message == "Required fields are missing: [LastName, Company]"
    assert err.fields == ["LastName", "Company"]
    lead_id = org.create("Lead", LEAD)
    err = _fails(org.update, "Lead", lead_id, {"LastName": None})
    assert (err.error_code, err.fields) == ("REQUIRED_FIELD_MISSING", ["LastName"])
    assert org.get(lead_id)["LastName"] == "Smith"


def test_string_too_long(org: Org) -> None:
    err = _fails(org.create, "Lead", {**LEAD, "FirstName": "x" * 41})
    assert err.error_code == "STRING_TOO_LONG"
    assert err.message == f"First Name: data value too large: {'x' * 41} (max length=40)"
    assert err.fields == ["FirstName"]


def test_restricted_picklist_and_email(org: Org) -> None:
    err = _fails(org.create, "Lead", {**LEAD, "Status": "Bogus"})
    assert err.error_code == "INVALID_OR_NULL_FOR_RESTRICTED_PICKLIST"
    assert err.message == "Status: bad value for restricted picklist field: Bogus"
    err = _fails(org.create, "Lead", {**LEAD, "Email": "not-an-email"})
    assert (err.error_code, err.fields) == ("INVALID_EMAIL_ADDRESS", ["Email"])
    assert org.create("Lead", {**LEAD, "LeadSource": "Billboard"})  # unrestricted picklist


def test_unknown_and_read_only_fields(org: Org) -> None:
    err = _fails(org.create, "Lead", {**LEAD, "Shoe_Size__c": 9})
    assert err.error_code == "INVALID_FIELD"
    assert err.message == "No such column 'Shoe_Size__c' on sobject of type Lead"
    err = _fails(org.create, "Lead", {**LEAD, "IsConverted": True, "Name": "x"})
    assert err.error_code == "INVALID_FIELD_FOR_INSERT_UPDATE"
    assert err.message.startswith("Unable to create/update fields: IsConverted, Name.")
    assert err.fields == ["IsConverted", "Name"]
    err = _fails(org.create, "Lead", {**LEAD, "Id": "00QDn0000000001"})
    assert err.error_code == "INVALID_FIELD_FOR_INSERT_UPDATE"
    lead_id = org.create("Lead", {**LEAD, "attributes": {"type": "Lead"}})
    org.update("Lead", lead_id, {"Id": lead_id, "City": "Rome"})  # its own Id is harmless
    assert _fails(org.update, "Lead", lead_id, {"CreatedDate": "2020-01-01T00:00:00Z"}).fields == [
        "CreatedDate"
    ]


def test_json_type_errors(org: Org) -> None:
    err = _fails(org.create, "Lead", {**LEAD, "DoNotCall": "maybe"})
    assert err.error_code == "JSON_PARSER_ERROR"
    assert err.message.startswith("Cannot deserialize instance of boolean from VALUE_STRING")
    assert "value maybe" in err.message
    err = _fails(org.create, "Lead", {**LEAD, "NumberOfEmployees": "many"})
    assert err.error_code == "JSON_PARSER_ERROR"


def test_owner_validation(org: Org) -> None:
    err = _fails(org.create, "Lead", {**LEAD, "OwnerId": "garbage"})
    assert err.error_code == "MALFORMED_ID"
    assert err.message == "Owner ID: id value of incorrect type: garbage"
    account_id = org.create("Account", {"Name": "Acme"})
    err = _fails(org.create, "Lead", {**LEAD, "OwnerId": account_id})
    assert (err.error_code, err.fields) == ("FIELD_INTEGRITY_EXCEPTION", ["OwnerId"])
    assert err.message == f"Owner ID: id value of incorrect type: {account_id}"
    err = _fails(org.create, "Lead", {**LEAD, "OwnerId": "005Dn0000000099"})
    assert (err.error_code, err.message) == (
        "INVALID_CROSS_REFERENCE_KEY",
        "invalid cross reference id",
    )
    inactive = org.create(
        "User",
        {
            "Username": "gone@x.test",
            "LastName": "Gone",
            "Email": "g@x.test",
            "Alias": "g",
            "IsActive": False,
        },
    )
    err = _fails(org.create, "Lead", {**LEAD, "OwnerId": inactive})
    assert err.error_code == "INACTIVE_OWNER_OR_USER"
    assert err.message == (
        f"operation performed with inactive user [{inactive[:15]}] as owner of lead"
    )
    queued = org.create("Lead", {**LEAD, "OwnerId": org.queue_id})
    assert org.get(queued)["OwnerId"] == org.queue_id
    err = _fails(org.create, "Contact", {"LastName": "C", "OwnerId": org.queue_id})
    assert err.error_code == "FIELD_INTEGRITY_EXCEPTION"  # contacts are owned by users only


def test_users_cannot_be_deleted_and_leadstatus_is_query_only(org: Org) -> None:
    err = _fails(org.delete, org.admin_user_id)
    assert err.error_code == "INVALID_TYPE_FOR_OPERATION"
    assert err.message == "entity type cannot be deleted: User"
    err = _fails(org.create, "LeadStatus", {"MasterLabel": "New"})
    assert err.error_code == "INVALID_TYPE_FOR_OPERATION"


def test_unknown_acting_user_is_refused(org: Org) -> None:
    err = _fails(org.create, "Lead", LEAD, user_id="005Dn0000000777")
    assert err.error_code == "INVALID_CROSS_REFERENCE_KEY"


def test_render_includes_every_field_with_nulls_and_the_address(org: Org) -> None:
    lead_id = org.create("Lead", {**LEAD, "City": "Lyon", "Country": "France"})
    body = org.render(org.get(lead_id), "66.0")
    assert body["attributes"] == {
        "type": "Lead",
        "url": f"/services/data/v66.0/sobjects/Lead/{lead_id}",
    }
    assert list(body)[1:3] == ["Id", "IsDeleted"]
    assert body["Email"] is None
    assert body["Address"] == {
        "city": "Lyon",
        "country": "France",
        "geocodeAccuracy": None,
        "latitude": None,
        "longitude": None,
        "postalCode": None,
        "state": None,
        "street": None,
    }
    assert set(body) == {"attributes"} | {f.name for f in org.sobject("Lead").fields.values()}
    only = org.render(org.get(lead_id), "59.0", ["lastname", "City"])
    assert list(only) == ["attributes", "LastName", "City"]
    assert _fails(org.render, org.get(lead_id), "59.0", ["Nope"]).error_code == "INVALID_FIELD"


def test_unique_values_and_find_by_field(org: Org) -> None:
    err = _fails(
        org.create,
        "User",
        {"Username": "ADMIN@sfemu.test", "LastName": "Dup", "Email": "d@x.test", "Alias": "d"},
    )
    assert err.error_code == "DUPLICATE_VALUE"
    assert err.message == (
        f"duplicate value found: Username duplicates value on record with id: "
        f"{org.admin_user_id[:15]}"
    )
    assert org.find_user_by_username("Admin@SFEMU.test") is not None
    assert org.find_user_by_username("nobody@x.test") is None
    lead_id = org.create("Lead", {**LEAD, "Email": "a@b.co"})
    assert org.find_by_field("Lead", "email", "A@B.co") == [lead_id]
    assert org.find_by_field("Lead", "Email", None) == []
    assert org.find_by_field("Lead", "OwnerId", org.admin_user_id.lower()) == [lead_id]
    assert org.find_by_field("Lead", "OwnerId", "garbage") == []
    assert org.find_by_field("Lead", "NumberOfEmployees", "many") == []
    assert _fails(org.find_by_field, "Lead", "Nope", "x").error_code == "INVALID_FIELD"


def test_iter_records_is_a_snapshot(org: Org) -> None:
    for _ in range(3):
        org.create("Lead", LEAD)
    seen = 0
    for _record in org.iter_records("Lead"):
        org.create("Lead", LEAD)  # writing while iterating must not break the loop
        seen += 1
    assert seen == 3
    assert org.count("Lead") == 6


def test_clock_controls(org: Org) -> None:
    start = org.now()
    org.advance_clock(90)
    assert (org.now() - start).total_seconds() == 90
    assert org.clock() == org.now()
    successor = Org(clock=org.clock)
    assert successor.now() == org.now()


def test_read_only_object_types_refuse_writes(org: Org) -> None:
    status = next(org.iter_records("LeadStatus"))
    err = _fails(org.update, "LeadStatus", status["Id"], {"SortOrder": 9})
    assert (err.error_code, err.message) == (
        "INVALID_TYPE_FOR_OPERATION",
        "entity type cannot be updated: Lead Status Value",
    )
    assert _fails(org.delete, org.org_id).error_code == "INVALID_TYPE_FOR_OPERATION"


def test_manual_clock_needs_aware_times() -> None:
    with pytest.raises(ValueError, match="aware"):
        ManualClock(datetime(2026, 1, 1))
    clock = ManualClock()
    with pytest.raises(ValueError, match="aware"):
        clock.set(datetime(2026, 1, 1))


def test_concurrent_writers_keep_records_and_indexes_consistent(org: Org) -> None:
    org.add_custom_field("Lead", "Key", "string", length=20, external_id=True, unique=True)

    def writer(n: int) -> None:
        for i in range(200):
            org.upsert("Lead", "Key__c", f"{n}-{i % 50}", {**LEAD, "City": str(i)})

    threads = [threading.Thread(target=writer, args=(n,)) for n in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert org.count("Lead") == 200  # 4 writers x 50 distinct keys
    for n in range(4):
        for k in range(50):
            assert len(org.find_by_field("Lead", "Key__c", f"{n}-{k}")) == 1
