"""Lead conversion (SOAP ``convertLead`` in Salesforce; an admin/test hook in sfemu).

Converting creates an Account and a Contact from the lead, or fills only the empty fields of an
existing account and contact, then marks the lead converted. Every write is validated as a
normal write by the converting user; if the contact cannot be written, a newly created account
is removed again so a failed conversion leaves nothing behind.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from sfemu.errors import SalesforceError
from sfemu.ids import malformed_id

if TYPE_CHECKING:
    from sfemu.org import Org

# Lead field -> Account field.
ACCOUNT_FIELDS = {
    "Company": "Name",
    "Website": "Website",
    "Industry": "Industry",
    "AnnualRevenue": "AnnualRevenue",
    "NumberOfEmployees": "NumberOfEmployees",
    "Phone": "Phone",
    "Fax": "Fax",
    "LeadSource": "AccountSource",
    "Street": "BillingStreet",
    "City": "BillingCity",
    "State": "BillingState",
    "PostalCode": "BillingPostalCode",
    "Country": "BillingCountry",
}
# Lead field -> Contact field (custom fields with the same API name are added at run time).
CONTACT_FIELDS = {
    "Salutation": "Salutation",
    "FirstName": "FirstName",
    "MiddleName": "MiddleName",
    "LastName": "LastName",
    "Suffix": "Suffix",
    "Title": "Title",
    "Email": "Email",
    "Phone": "Phone",
    "MobilePhone": "MobilePhone",
    "Fax": "Fax",
    "LeadSource": "LeadSource",
    "Description": "Description",
    "HasOptedOutOfEmail": "HasOptedOutOfEmail",
    "HasOptedOutOfFax": "HasOptedOutOfFax",
    "DoNotCall": "DoNotCall",
    "Street": "MailingStreet",
    "City": "MailingCity",
    "State": "MailingState",
    "PostalCode": "MailingPostalCode",
    "Country": "MailingCountry",
    "Latitude": "MailingLatitude",
    "Longitude": "MailingLongitude",
    "GeocodeAccuracy": "MailingGeocodeAccuracy",
}


def _copy(lead: Mapping[str, Any], mapping: Mapping[str, str]) -> dict[str, Any]:
    """Return the target values a lead supplies through ``mapping`` (nulls left out)."""
    return {
        target: lead[source] for source, target in mapping.items() if lead.get(source) is not None
    }


def _contact_mapping(org: Org) -> dict[str, str]:
    """Return the lead -> contact field map, including same-named writable custom fields."""
    mapping = dict(CONTACT_FIELDS)
    contact = org.sobject("Contact")
    for f in org.sobject("Lead").fields.values():
        target = contact.field(f.name)
        if f.custom and target is not None and target.createable:
            mapping[f.name] = target.name
    return mapping


def _converted_status(org: Org, wanted: str | None) -> str:
    """Return the converted Lead Status label to use, or raise INVALID_STATUS."""
    rows = sorted(
        (r for r in org.iter_records("LeadStatus") if r.get("IsConverted")),
        key=lambda r: r.get("SortOrder", 0),
    )
    if wanted is None:
        if rows:
            return str(rows[0]["MasterLabel"])
    else:
        for row in rows:
            if str(row["MasterLabel"]).lower() == wanted.lower():
                return str(row["MasterLabel"])
    raise SalesforceError(
        "INVALID_STATUS", f"invalid convertedStatus: {wanted}", fields=["ConvertedStatus"]
    )


def _existing(org: Org, record_id: str, sobject: str) -> dict[str, Any]:
    """Return a live record of the given type the conversion merges into."""
    canonical = org.normalize_id(record_id, sobject)
    record = org.lookup(canonical)
    if record is None or record.get("IsDeleted"):
        raise SalesforceError(
            "INVALID_CROSS_REFERENCE_KEY",
            "invalid cross reference id",
            fields=[f"{sobject}Id"],
        )
    return dict(record)


def _fill_empty(
    org: Org, sobject: str, record: Mapping[str, Any], values: Mapping[str, Any], user_id: str
) -> None:
    """Write only the values whose target field is empty; booleans only when false."""
    missing = {k: v for k, v in values.items() if record.get(k) in (None, False)}
    if missing:
        org.update(sobject, record["Id"], missing, user_id=user_id)


def convert_lead(
    org: Org,
    lead_id: str,
    *,
    account_id: str | None,
    contact_id: str | None,
    converted_status: str | None,
    user_id: str,
) -> dict[str, Any]:
    """Convert a lead; return ``{leadId, accountId, contactId, opportunityId, success}``."""
    canonical = org.normalize_id(lead_id)
    if canonical[:3] != org.sobject("Lead").key_prefix:
        raise malformed_id("Lead", lead_id)
    lead = org.get(canonical)
    if lead.get("IsConverted"):
        raise SalesforceError(
            "CANNOT_UPDATE_CONVERTED_LEAD", "cannot reference converted lead", fields=[]
        )
    status = _converted_status(org, converted_status)
    owner = lead.get("OwnerId")
    if not owner or owner[:3] != "005":
        owner = user_id  # a queue cannot own accounts or contacts
    account_values = _copy(lead, ACCOUNT_FIELDS)
    contact_values = _copy(lead, _contact_mapping(org))
    created_account: str | None = None
    if account_id is not None:
        account = _existing(org, account_id, "Account")
        _fill_empty(org, "Account", account, account_values, user_id)
        account_id = account["Id"]
    else:
        account_values.setdefault("Name", lead.get("LastName"))
        account_values["OwnerId"] = owner
        account_id = created_account = org.create("Account", account_values, user_id=user_id)
    try:
        if contact_id is not None:
            contact = _existing(org, contact_id, "Contact")
            if not contact.get("AccountId"):
                contact_values["AccountId"] = account_id
            _fill_empty(org, "Contact", contact, contact_values, user_id)
            contact_id = contact["Id"]
        else:
            contact_values["AccountId"] = account_id
            contact_values["OwnerId"] = owner
            contact_id = org.create("Contact", contact_values, user_id=user_id)
    except SalesforceError:
        if created_account is not None:
            org.purge(created_account)
        raise
    org.set_system_fields(
        canonical,
        {
            "IsConverted": True,
            "ConvertedDate": org.now().date().isoformat(),
            "ConvertedAccountId": account_id,
            "ConvertedContactId": contact_id,
            "Status": status,
        },
        user_id=user_id,
    )
    return {
        "leadId": canonical,
        "accountId": account_id,
        "contactId": contact_id,
        "opportunityId": None,
        "success": True,
    }
