"""Setup and marketing objects: User, Group, LeadStatus, Profile, Organization, Campaign(Member)."""

from __future__ import annotations

from sfemu.object_fields import (
    ENCODINGS,
    LANGUAGES,
    LOCALES,
    TIME_ZONES,
    USER_TYPES,
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


def user() -> ObjectDef:
    """Return the User object (users are deactivated, never deleted)."""
    obj = new_object("User", "User", "Users", deletable=False, undeletable=False)
    obj.add(
        make_field(
            "Username", "string", "Username", length=80, nillable=False, unique=True, id_lookup=True
        )
    )
    person_name_fields(obj)
    obj.add(make_field("CompanyName", "string", "Company Name", length=80))
    obj.add(make_field("Division", "string", "Division", length=80))
    obj.add(make_field("Department", "string", "Department", length=80))
    obj.add(make_field("Title", "string", "Title", length=80))
    address_fields(obj, "", "Address", "")
    obj.add(make_field("Email", "email", "Email", length=128, nillable=False))
    phones_fields(obj, ("Phone", "Fax", "MobilePhone"))
    obj.add(make_field("Extension", "phone", "Extension", length=40))
    obj.add(make_field("Alias", "string", "Alias", length=8, nillable=False))
    obj.add(make_field("CommunityNickname", "string", "Nickname", length=40, unique=True))
    obj.add(make_field("IsActive", "boolean", "Active", default_value=True))
    for name, label, values, default in (
        ("TimeZoneSidKey", "Time Zone", TIME_ZONES, "America/Los_Angeles"),
        ("LocaleSidKey", "Locale", LOCALES, "en_US"),
        ("EmailEncodingKey", "Email Encoding", ENCODINGS, "UTF-8"),
        ("LanguageLocaleKey", "Language", LANGUAGES, "en_US"),
    ):
        obj.add(
            make_field(
                name,
                "picklist",
                label,
                length=40,
                nillable=False,
                defaulted_on_create=True,
                default_value=default,
                picklist_values=picklist(values, default),
                restricted_picklist=True,
            )
        )
    obj.add(
        reference(
            "ProfileId",
            "Profile ID",
            ["Profile"],
            "Profile",
            nillable=False,
            defaulted_on_create=True,
        )
    )
    obj.add(reference("ManagerId", "Manager ID", ["User"], "Manager"))
    obj.add(
        read_only(
            "UserType",
            "picklist",
            "User Type",
            length=40,
            picklist_values=picklist(USER_TYPES, "Standard"),
            restricted_picklist=True,
        )
    )
    obj.add(make_field("EmployeeNumber", "string", "Employee Number", length=20))
    obj.add(make_field("FederationIdentifier", "string", "SAML Federation ID", length=512))
    obj.add(read_only("LastLoginDate", "datetime", "Last Login"))
    system_fields(obj)
    return obj


def group() -> ObjectDef:
    """Return the Group object: queues and public groups."""
    obj = new_object("Group", "Group", "Groups")
    obj.add(make_field("Name", "string", "Name", length=40, nillable=False, name_field=True))
    obj.add(make_field("DeveloperName", "string", "Developer Name", length=80))
    obj.add(
        make_field(
            "Type",
            "picklist",
            "Type",
            length=40,
            nillable=False,
            defaulted_on_create=True,
            default_value="Regular",
            picklist_values=picklist(("Queue", "Regular"), "Regular"),
            restricted_picklist=True,
            updateable=False,
        )
    )
    obj.add(make_field("Email", "email", "Email", length=255))
    obj.add(make_field("DoesSendEmailToMembers", "boolean", "Send Email to Members"))
    system_fields(obj)
    return obj


def lead_status() -> ObjectDef:
    """Return LeadStatus: the Lead Status picklist's values, query-only through the API."""
    obj = new_object(
        "LeadStatus",
        "Lead Status Value",
        "Lead Status Values",
        createable=False,
        updateable=False,
        deletable=False,
        undeletable=False,
        replicateable=False,
    )
    obj.add(read_only("MasterLabel", "string", "Master Label", length=255, name_field=True))
    obj.add(read_only("ApiName", "string", "Api Name", length=255, id_lookup=True))
    obj.add(read_only("SortOrder", "int", "Sort Order", digits=9))
    obj.add(read_only("IsDefault", "boolean", "Is Default"))
    obj.add(read_only("IsConverted", "boolean", "Is Converted"))
    system_fields(obj)
    return obj


def profile() -> ObjectDef:
    """Return Profile (read-only here; sfemu ships two profiles)."""
    obj = new_object(
        "Profile",
        "Profile",
        "Profiles",
        createable=False,
        updateable=False,
        deletable=False,
        undeletable=False,
    )
    obj.add(read_only("Name", "string", "Name", length=255, name_field=True))
    obj.add(read_only("UserType", "picklist", "User Type", picklist_values=picklist(USER_TYPES)))
    obj.add(read_only("Description", "string", "Description", length=255))
    system_fields(obj)
    return obj


def organization() -> ObjectDef:
    """Return Organization: one read-only record describing the org."""
    obj = new_object(
        "Organization",
        "Organization",
        "Organizations",
        createable=False,
        updateable=False,
        deletable=False,
        undeletable=False,
        replicateable=False,
    )
    obj.add(read_only("Name", "string", "Name", length=80, name_field=True))
    obj.add(read_only("Division", "string", "Division", length=80))
    phones_fields(obj, ("Phone", "Fax"))
    obj.add(read_only("PrimaryContact", "string", "Primary Contact", length=80))
    obj.add(
        read_only("DefaultLocaleSidKey", "picklist", "Locale", picklist_values=picklist(LOCALES))
    )
    obj.add(
        read_only("LanguageLocaleKey", "picklist", "Language", picklist_values=picklist(LANGUAGES))
    )
    obj.add(
        read_only("TimeZoneSidKey", "picklist", "Time Zone", picklist_values=picklist(TIME_ZONES))
    )
    obj.add(read_only("InstanceName", "string", "Instance Name", length=5))
    obj.add(read_only("IsSandbox", "boolean", "Is Sandbox"))
    obj.add(
        read_only(
            "OrganizationType",
            "picklist",
            "Edition",
            picklist_values=picklist(("Developer Edition", "Enterprise Edition")),
        )
    )
    obj.add(read_only("NamespacePrefix", "string", "Namespace Prefix", length=15))
    obj.add(read_only("TrialExpirationDate", "datetime", "Trial Expiration Date"))
    system_fields(obj)
    return obj


def campaign() -> ObjectDef:
    """Return Campaign."""
    obj = new_object("Campaign", "Campaign", "Campaigns")
    obj.add(make_field("Name", "string", "Name", length=80, nillable=False, name_field=True))
    obj.add(reference("ParentId", "Parent Campaign ID", ["Campaign"], "Parent"))
    obj.add(
        make_field(
            "Type",
            "picklist",
            "Type",
            picklist_values=picklist(("Email", "Webinar", "Telemarketing", "Other")),
        )
    )
    obj.add(
        make_field(
            "Status",
            "picklist",
            "Status",
            picklist_values=picklist(("Planned", "In Progress", "Completed", "Aborted")),
        )
    )
    obj.add(make_field("StartDate", "date", "Start Date"))
    obj.add(make_field("EndDate", "date", "End Date"))
    obj.add(make_field("IsActive", "boolean", "Active"))
    obj.add(make_field("Description", "textarea", "Description", length=32000))
    obj.add(read_only("NumberOfLeads", "int", "Leads in Campaign"))
    obj.add(read_only("NumberOfContacts", "int", "Contacts in Campaign"))
    owner_fields(obj, ["User"])
    system_fields(obj)
    return obj


def campaign_member() -> ObjectDef:
    """Return CampaignMember, which ties a Lead or Contact to a Campaign."""
    obj = new_object("CampaignMember", "Campaign Member", "Campaign Members", undeletable=False)
    obj.add(
        reference(
            "CampaignId", "Campaign ID", ["Campaign"], "Campaign", nillable=False, updateable=False
        )
    )
    obj.add(reference("LeadId", "Lead ID", ["Lead"], "Lead", updateable=False))
    obj.add(reference("ContactId", "Contact ID", ["Contact"], "Contact", updateable=False))
    obj.add(
        make_field(
            "Status",
            "picklist",
            "Status",
            defaulted_on_create=True,
            default_value="Sent",
            picklist_values=picklist(("Sent", "Responded"), "Sent"),
        )
    )
    obj.add(read_only("HasResponded", "boolean", "Responded"))
    obj.add(read_only("FirstRespondedDate", "date", "First Responded Date"))
    system_fields(obj)
    return obj
