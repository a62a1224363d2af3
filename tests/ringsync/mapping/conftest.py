"""A small Lead describe, shaped like Salesforce's, for the mapping tests."""

from __future__ import annotations

from typing import Any

import pytest


def _field(name: str, type_: str, label: str = "", **extra: Any) -> dict[str, Any]:
    base: dict[str, Any] = {
        "name": name,
        "type": type_,
        "label": label or name,
        "length": 0,
        "precision": 0,
        "scale": 0,
        "digits": 0,
        "nillable": True,
        "createable": True,
        "updateable": True,
        "calculated": False,
        "picklistValues": [],
        "restrictedPicklist": False,
    }
    return base | extra


def lead_fields() -> list[dict[str, Any]]:
    """Return the Lead fields the default mapping needs plus a few to test against."""
    text = [
        ("FirstName", 40), ("LastName", 80), ("Company", 255), ("City", 40), ("State", 80),
        ("Country", 80), ("PostalCode", 20), ("Custom_Field_1__c", 255),
        ("Custom_Field_2__c", 255), ("Ringsync_Contact_ID__c", 40),
        ("Last_Inbound_Call_Time__c", 40), ("Last_Outbound_Call_Time__c", 40),
        ("Last_Inbound_Message_Time__c", 40), ("Last_Call_Disposition__c", 40),
        ("Last_Inbound_Call_Disposition__c", 40), ("Last_Outbound_Call_Disposition__c", 40),
        ("Notes__c", 255),
    ]  # fmt: skip
    fields = [_field("Id", "id", "Lead ID", createable=False, updateable=False)]
    fields += [_field(name, "string", length=length) for name, length in text]
    fields += [
        _field(n, "phone", length=40) for n in ("Phone", "MobilePhone", "Fax", "Incoming_Number__c")
    ]
    fields += [
        _field("OwnerId", "reference", "Owner ID", length=18, nillable=False),
        _field("Email", "email", length=80),
        _field("Website", "url", length=255),
        _field("Ringsync_Link__c", "url", length=255),
        _field(
            "LeadSource",
            "picklist",
            "Lead Source",
            length=255,
            picklistValues=[{"value": "Web", "active": True}, {"value": "Phone", "active": True}],
        ),
        _field(
            "Status",
            "picklist",
            "Lead Status",
            length=255,
            restrictedPicklist=True,
            nillable=False,
            picklistValues=[{"value": "Open", "active": True}, {"value": "Old", "active": False}],
        ),
        _field("TCPA_Approved__c", "boolean", nillable=False),
        _field("DNC__c", "boolean", nillable=False),
        _field("Address", "address", createable=False, updateable=False),
        _field("Score__c", "double", precision=18, scale=0),
        _field("Formula__c", "string", length=255, calculated=True, createable=False,
               updateable=False),
        _field("CreatedDate", "datetime", createable=False, updateable=False),
        _field("Last_Inbound_Text__c", "textarea", length=32768),
        _field("Last_Outbound_Text__c", "textarea", length=32768),
        _field("Last_Outbound_Message_Time__c", "time"),
    ]  # fmt: skip
    for name in ("Last_Inbound_Text_Date__c", "Last_Outbound_Text_Date__c",
                 "Last_Inbound_Call_Date__c", "Last_Outbound_Call_Date__c"):  # fmt: skip
        fields.append(_field(name, "date"))
    for name in ("Total_Inbound_Texts__c", "Total_Outbound_Texts__c", "Total_Inbound_Calls__c",
                 "Total_Outbound_Calls__c"):  # fmt: skip
        fields.append(_field(name, "double", precision=18, scale=0))
    for name in ("Last_Engagement__c", "Last_Inbound_Engagement__c",
                 "Last_Outbound_Engagement__c"):  # fmt: skip
        fields.append(_field(name, "datetime"))
    return fields


@pytest.fixture
def lead_describe() -> dict[str, Any]:
    """Return a Lead sObject describe (the ``fields`` list is what ringsync reads)."""
    return {"name": "Lead", "fields": lead_fields()}
