"""Lead conversion: new and existing account/contact, custom fields, and refused conversions."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from sfemu.clock import ManualClock
from sfemu.errors import SalesforceError
from sfemu.org import Org

LEAD = {
    "FirstName": "Ann",
    "LastName": "Lee",
    "Company": "Acme",
    "Email": "ann@acme.test",
    "Phone": "(415) 555-0100",
    "MobilePhone": "415.555.0101",
    "LeadSource": "Web",
    "Street": "1 Main St",
    "City": "Springfield",
    "PostalCode": "12345",
}


def _fails(call: Callable[..., object], *args: Any, **kwargs: Any) -> SalesforceError:
    with pytest.raises(SalesforceError) as info:
        call(*args, **kwargs)
    return info.value


def test_convert_creates_account_and_contact(org: Org, clock: ManualClock) -> None:
    org.add_custom_field("Lead", "DNC", "boolean")
    org.add_custom_field("Contact", "DNC", "boolean")
    org.add_custom_field("Lead", "Lead_Only", "string", length=10)
    lead_id = org.create("Lead", {**LEAD, "DNC__c": True, "Lead_Only__c": "x"})
    clock.advance(3600)
    result = org.convert_lead(lead_id)
    assert result == {
        "leadId": lead_id,
        "accountId": result["accountId"],
        "contactId": result["contactId"],
        "opportunityId": None,
        "success": True,
    }
    account = org.get(result["accountId"])
    assert account["Name"] == "Acme"
    assert account["BillingCity"] == "Springfield"
    contact = org.get(result["contactId"])
    assert contact["Name"] == "Ann Lee"
    assert contact["AccountId"] == result["accountId"]
    assert contact["Email"] == "ann@acme.test"
    assert contact["Phone"] == "(415) 555-0100"
    assert contact["MobilePhone"] == "415.555.0101"
    assert contact["LeadSource"] == "Web"
    assert (contact["MailingStreet"], contact["MailingPostalCode"]) == ("1 Main St", "12345")
    assert contact["DNC__c"] is True
    assert contact["OwnerId"] == org.admin_user_id
    lead = org.get(lead_id)
    assert lead["IsConverted"] is True
    assert lead["Status"] == "Closed - Converted"
    assert lead["ConvertedDate"] == "2026-01-15"
    assert lead["ConvertedAccountId"] == result["accountId"]
    assert lead["ConvertedContactId"] == result["contactId"]
    assert lead["SystemModstamp"] == "2026-01-15T13:00:00.000+0000"


def test_convert_into_existing_account_and_contact_fills_only_empty_fields(org: Org) -> None:
    account_id = org.create("Account", {"Name": "Existing Co", "Website": "https://x.test"})
    contact_id = org.create(
        "Contact", {"LastName": "Keep", "Email": "keep@x.test", "AccountId": account_id}
    )
    lead_id = org.create("Lead", {**LEAD, "Website": "https://lead.test"})
    result = org.convert_lead(lead_id, account_id=account_id, contact_id=contact_id)
    assert (result["accountId"], result["contactId"]) == (account_id, contact_id)
    contact = org.get(contact_id)
    assert contact["LastName"] == "Keep"
    assert contact["Email"] == "keep@x.test"
    assert contact["Phone"] == "(415) 555-0100"  # was empty: filled from the lead
    account = org.get(account_id)
    assert account["Name"] == "Existing Co"
    assert account["Website"] == "https://x.test"
    assert account["BillingCity"] == "Springfield"
    assert org.count("Account") == 1
    assert org.count("Contact") == 1


def test_convert_with_a_chosen_status_and_user(org: Org) -> None:
    org.add_lead_status("Qualified", sort_order=5, is_converted=True)
    user = org.create(
        "User", {"Username": "rep@x.test", "LastName": "Rep", "Email": "r@x.test", "Alias": "rep"}
    )
    lead_id = org.create("Lead", {**LEAD, "OwnerId": org.queue_id})
    result = org.convert_lead(lead_id, converted_status="qualified", user_id=user)
    lead = org.get(lead_id)
    assert lead["Status"] == "Qualified"
    assert lead["LastModifiedById"] == user
    # a queue cannot own a contact: the converting user does
    assert org.get(result["contactId"])["OwnerId"] == user


def test_refused_conversions(org: Org) -> None:
    lead_id = org.create("Lead", LEAD)
    err = _fails(org.convert_lead, lead_id, converted_status="Working - Contacted")
    assert err.error_code == "INVALID_STATUS"
    assert org.get(lead_id)["IsConverted"] is False
    org.convert_lead(lead_id)
    err = _fails(org.convert_lead, lead_id)
    assert (err.error_code, err.message) == (
        "CANNOT_UPDATE_CONVERTED_LEAD",
        "cannot reference converted lead",
    )
    contact_id = org.create("Contact", {"LastName": "C"})
    assert _fails(org.convert_lead, contact_id).error_code == "MALFORMED_ID"
    other = org.create("Lead", LEAD)
    err = _fails(org.convert_lead, other, account_id="001Dn0000000999")
    assert err.error_code == "INVALID_CROSS_REFERENCE_KEY"
    assert org.get(other)["IsConverted"] is False


def test_updates_to_a_converted_lead_fail(org: Org) -> None:
    lead_id = org.create("Lead", LEAD)
    org.convert_lead(lead_id)
    err = _fails(org.update, "Lead", lead_id, {"Phone": "1"})
    assert (err.error_code, err.message, err.status) == (
        "CANNOT_UPDATE_CONVERTED_LEAD",
        "cannot reference converted lead",
        400,
    )


def test_failed_contact_leaves_no_new_account_behind(org: Org) -> None:
    org.add_validation_rule(
        "Contact",
        "no_acme",
        "Contacts from Acme are blocked",
        lambda r: r.get("Email") == "ann@acme.test",
    )
    lead_id = org.create("Lead", LEAD)
    err = _fails(org.convert_lead, lead_id)
    assert (err.error_code, err.message) == (
        "FIELD_CUSTOM_VALIDATION_EXCEPTION",
        "Contacts from Acme are blocked",
    )
    assert org.count("Account", include_deleted=True) == 0
    assert org.get(lead_id)["IsConverted"] is False
