"""The contents every new org starts with: Organization, profiles, admin, queue, statuses."""

from __future__ import annotations

from typing import TYPE_CHECKING

from sfemu.listviews import install_defaults as install_list_views
from sfemu.schema import PicklistValue

if TYPE_CHECKING:
    from sfemu.org import Org

ADMIN_USERNAME = "admin@sfemu.test"
ADMIN_PASSWORD = "sfemu"  # noqa: S105 - the emulator's documented demo password
QUEUE_NAME = "Sales Queue"
ADMIN_PROFILE = "System Administrator"
STANDARD_PROFILE = "Standard User"
# (label, sort order, default, converted): a new Salesforce org's Lead Status values.
LEAD_STATUSES = (
    ("Open - Not Contacted", 1, True, False),
    ("Working - Contacted", 2, False, False),
    ("Closed - Converted", 3, False, True),
    ("Closed - Not Converted", 4, False, False),
)


def install(org: Org) -> None:
    """Create the default records of a fresh org."""
    org.admin_user_id = org.ids.next_id("005")
    org.org_id = org.insert_system_record(
        "Organization",
        {
            "Name": org.name,
            "InstanceName": "EMU1",
            "IsSandbox": False,
            "OrganizationType": "Developer Edition",
            "TimeZoneSidKey": "America/Los_Angeles",
            "DefaultLocaleSidKey": "en_US",
            "LanguageLocaleKey": "en_US",
        },
    )
    org.admin_profile_id = org.insert_system_record(
        "Profile", {"Name": ADMIN_PROFILE, "UserType": "Standard"}
    )
    org.standard_profile_id = org.insert_system_record(
        "Profile", {"Name": STANDARD_PROFILE, "UserType": "Standard"}
    )
    org.insert_system_record(
        "User",
        {
            "Username": ADMIN_USERNAME,
            "FirstName": "Admin",
            "LastName": "User",
            "Email": ADMIN_USERNAME,
            "Alias": "admin",
            "CommunityNickname": "admin",
            "IsActive": True,
            "UserType": "Standard",
            "ProfileId": org.admin_profile_id,
            "CreatedById": org.admin_user_id,
        },
        record_id=org.admin_user_id,
    )
    org.set_password(org.admin_user_id, ADMIN_PASSWORD)
    org.queue_id = org.insert_system_record(
        "Group", {"Name": QUEUE_NAME, "DeveloperName": "Sales_Queue", "Type": "Queue"}
    )
    for label, order, is_default, is_converted in LEAD_STATUSES:
        add_lead_status(
            org, label, sort_order=order, is_default=is_default, is_converted=is_converted
        )
    install_list_views(org)


def add_lead_status(
    org: Org, label: str, *, sort_order: int, is_default: bool, is_converted: bool
) -> str:
    """Add a LeadStatus record and refresh Lead.Status's picklist values from all of them."""
    if is_default:
        for record in org.iter_records("LeadStatus"):
            if record.get("IsDefault"):
                org.set_system_fields(record["Id"], {"IsDefault": False})
    status_id = org.insert_system_record(
        "LeadStatus",
        {
            "MasterLabel": label,
            "ApiName": label,
            "SortOrder": sort_order,
            "IsDefault": is_default,
            "IsConverted": is_converted,
        },
    )
    lead = org.sobject("Lead")
    status = lead.field("Status")
    assert status is not None
    rows = sorted(org.iter_records("LeadStatus"), key=lambda r: r.get("SortOrder", 0))
    status.picklist_values = [
        PicklistValue(value=r["MasterLabel"], label=r["MasterLabel"], default=bool(r["IsDefault"]))
        for r in rows
    ]
    org.schema_changed(lead)
    return status_id
