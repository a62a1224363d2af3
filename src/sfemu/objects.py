"""Standard object definitions: Lead, Contact and Account here, the others in setup_objects.

Each org builds its own fresh set with :func:`standard_objects`, because custom fields are added
to an org's definitions at run time.
"""

from __future__ import annotations

from sfemu.listviews import list_view_object
from sfemu.object_fields import (
    INDUSTRIES,
    LEAD_SOURCES,
    RATINGS,
    address_fields,
    make_field,
    new_object,
    owner_fields,
    person_name_fields,
    phones_fields,
    picklist,
    read_only,
    reference,
    system_fields,
)
from sfemu.schema import ObjectDef
from sfemu.setup_objects import (
    campaign,
    campaign_member,
    group,
    lead_status,
    organization,
    profile,
    user,
)


def lead() -> ObjectDef:
    """Return the Lead object."""
    obj = new_object("Lead", "Lead", "Leads")
    obj.add(
        reference(
            "MasterRecordId",
            "Master Record ID",
            ["Lead"],
            "MasterRecord",
            createable=False,
            updateable=False,
        )
    )
    person_name_fields(obj)
    obj.add(make_field("Title", "string", "Title", length=128))
    obj.add(make_field("Company", "string", "Company", length=255, nillable=False))
    address_fields(obj, "", "Address", "")
    phones_fields(obj, ("Phone", "MobilePhone", "Fax"))
    obj.add(make_field("Email", "email", "Email", length=80, id_lookup=True))
    obj.add(make_field("Website", "url", "Website", length=255))
    obj.add(read_only("PhotoUrl", "url", "Photo URL", length=255))
    obj.add(make_field("Description", "textarea", "Description", length=32000))
    obj.add(
        make_field("LeadSource", "picklist", "Lead Source", picklist_values=picklist(LEAD_SOURCES))
    )
    obj.add(
        make_field(
            "Status",
            "picklist",
            "Status",
            nillable=False,
            defaulted_on_create=True,
            restricted_picklist=True,
        )
    )
    obj.add(make_field("Industry", "picklist", "Industry", picklist_values=picklist(INDUSTRIES)))
    obj.add(make_field("Rating", "picklist", "Rating", picklist_values=picklist(RATINGS)))
    obj.add(make_field("AnnualRevenue", "currency", "Annual Revenue", precision=18, scale=0))
    obj.add(make_field("NumberOfEmployees", "int", "Employees", digits=8))
    owner_fields(obj, ["Group", "User"])
    obj.add(make_field("HasOptedOutOfEmail", "boolean", "Email Opt Out"))
    obj.add(read_only("IsConverted", "boolean", "Converted"))
    obj.add(read_only("ConvertedDate", "date", "Converted Date"))
    for target, label in (
        ("Account", "Account"),
        ("Contact", "Contact"),
        ("Opportunity", "Opportunity"),
    ):
        obj.add(
            reference(
                f"Converted{target}Id",
                f"Converted {label} ID",
                [target],
                f"Converted{target}",
                createable=False,
                updateable=False,
            )
        )
    obj.add(make_field("IsUnreadByOwner", "boolean", "Unread By Owner"))
    system_fields(obj)
    obj.add(read_only("LastActivityDate", "date", "Last Activity"))
    obj.add(make_field("DoNotCall", "boolean", "Do Not Call"))
    obj.add(make_field("HasOptedOutOfFax", "boolean", "Fax Opt Out"))
    obj.add(read_only("LastViewedDate", "datetime", "Last Viewed Date"))
    obj.add(read_only("LastReferencedDate", "datetime", "Last Referenced Date"))
    obj.add(make_field("Jigsaw", "string", "Data.com Key", length=20))
    obj.add(read_only("JigsawContactId", "string", "Jigsaw Contact ID", length=20))
    obj.add(make_field("EmailBouncedReason", "string", "Email Bounced Reason", length=255))
    obj.add(make_field("EmailBouncedDate", "datetime", "Email Bounced Date"))
    return obj


def contact() -> ObjectDef:
    """Return the Contact object."""
    obj = new_object("Contact", "Contact", "Contacts")
    obj.add(
        reference(
            "MasterRecordId",
            "Master Record ID",
            ["Contact"],
            "MasterRecord",
            createable=False,
            updateable=False,
        )
    )
    obj.add(reference("AccountId", "Account ID", ["Account"], "Account"))
    person_name_fields(obj)
    address_fields(obj, "Other", "OtherAddress", "Other")
    address_fields(obj, "Mailing", "MailingAddress", "Mailing")
    phones_fields(obj, ("Phone", "Fax", "MobilePhone", "HomePhone", "OtherPhone", "AssistantPhone"))
    obj.add(reference("ReportsToId", "Reports To ID", ["Contact"], "ReportsTo"))
    obj.add(make_field("Email", "email", "Email", length=80, id_lookup=True))
    obj.add(make_field("Title", "string", "Title", length=128))
    obj.add(make_field("Department", "string", "Department", length=80))
    obj.add(make_field("AssistantName", "string", "Assistant's Name", length=40))
    obj.add(
        make_field("LeadSource", "picklist", "Lead Source", picklist_values=picklist(LEAD_SOURCES))
    )
    obj.add(make_field("Birthdate", "date", "Birthdate"))
    obj.add(make_field("Description", "textarea", "Contact Description", length=32000))
    owner_fields(obj, ["User"])
    obj.add(make_field("HasOptedOutOfEmail", "boolean", "Email Opt Out"))
    obj.add(make_field("HasOptedOutOfFax", "boolean", "Fax Opt Out"))
    obj.add(make_field("DoNotCall", "boolean", "Do Not Call"))
    system_fields(obj)
    obj.add(read_only("LastActivityDate", "date", "Last Activity"))
    obj.add(read_only("LastViewedDate", "datetime", "Last Viewed Date"))
    obj.add(read_only("LastReferencedDate", "datetime", "Last Referenced Date"))
    obj.add(make_field("EmailBouncedReason", "string", "Email Bounced Reason", length=255))
    obj.add(make_field("EmailBouncedDate", "datetime", "Email Bounced Date"))
    obj.add(read_only("IsEmailBounced", "boolean", "Is Email Bounced"))
    obj.add(read_only("PhotoUrl", "url", "Photo URL", length=255))
    obj.add(make_field("Jigsaw", "string", "Data.com Key", length=20))
    obj.add(read_only("JigsawContactId", "string", "Jigsaw Contact ID", length=20))
    return obj


def account() -> ObjectDef:
    """Return the Account object."""
    obj = new_object("Account", "Account", "Accounts")
    obj.add(
        reference(
            "MasterRecordId",
            "Master Record ID",
            ["Account"],
            "MasterRecord",
            createable=False,
            updateable=False,
        )
    )
    obj.add(
        make_field("Name", "string", "Account Name", length=255, nillable=False, name_field=True)
    )
    obj.add(
        make_field(
            "Type",
            "picklist",
            "Account Type",
            picklist_values=picklist(("Prospect", "Customer - Direct", "Partner", "Other")),
        )
    )
    obj.add(reference("ParentId", "Parent Account ID", ["Account"], "Parent"))
    address_fields(obj, "Billing", "BillingAddress", "Billing")
    address_fields(obj, "Shipping", "ShippingAddress", "Shipping")
    phones_fields(obj, ("Phone", "Fax"))
    obj.add(make_field("AccountNumber", "string", "Account Number", length=40))
    obj.add(make_field("Website", "url", "Website", length=255))
    obj.add(make_field("Industry", "picklist", "Industry", picklist_values=picklist(INDUSTRIES)))
    obj.add(make_field("AnnualRevenue", "currency", "Annual Revenue", precision=18, scale=0))
    obj.add(make_field("NumberOfEmployees", "int", "Employees", digits=8))
    obj.add(make_field("Description", "textarea", "Account Description", length=32000))
    obj.add(make_field("Site", "string", "Account Site", length=80))
    obj.add(
        make_field(
            "AccountSource", "picklist", "Account Source", picklist_values=picklist(LEAD_SOURCES)
        )
    )
    owner_fields(obj, ["User"])
    system_fields(obj)
    obj.add(read_only("LastActivityDate", "date", "Last Activity"))
    return obj


def standard_objects() -> list[ObjectDef]:
    """Return a fresh set of every standard object, in describe-global order."""
    return [
        account(),
        campaign(),
        campaign_member(),
        contact(),
        group(),
        lead(),
        lead_status(),
        list_view_object(),
        organization(),
        profile(),
        user(),
    ]
