"""Every default row, for Lead and for Contact, against the seed's tables and the naming table."""

from __future__ import annotations

import pytest

from ringsync.mapping.catalog import (
    PROPERTIES,
    TRACKING_PROPERTIES,
    Direction,
    FieldKind,
    FieldMapping,
    SyncObject,
    TooLongPolicy,
    ValueType,
    default_mapping,
)

B = "both"
OUT = "to_salesforce"

# (property, Salesforce field, Salesforce label, type text, kind, direction)
LEAD_ROWS = [
    ("phone", "Phone", "Phone", "Phone", "locked", B),
    ("owner", "OwnerId", "Lead Owner", "Lookup(User)", "special", B),
    ("first_name", "FirstName", "First Name", "Text(40)", "open", B),
    ("last_name", "LastName", "Last Name", "Text(80)", "open", B),
    ("company", "Company", "Company", "Text(255)", "open", B),
    ("email", "Email", "Email", "Email", "open", B),
    ("lead_source", "LeadSource", "Lead Source", "Picklist", "open", B),
    ("city", "City", "Address", "Address", "open", B),
    ("state", "State", "Address", "Address", "open", B),
    ("country", "Country", "Address", "Address", "open", B),
    ("zipcode", "PostalCode", "Address", "Address", "open", B),
    ("website", "Website", "Website", "URL(255)", "open", B),
    ("incoming_number", "Incoming_Number__c", "Incoming Number", "Phone", "open", B),
    ("custom_field_1", "Custom_Field_1__c", "Custom Field 1", "Text(255)", "open", B),
    ("custom_field_2", "Custom_Field_2__c", "Custom Field 2", "Text(255)", "open", B),
    ("tcpa_approved", "TCPA_Approved__c", "TCPA Approved", "Checkbox", "open", B),
    ("dnc", "DNC__c", "DNC", "Checkbox", "open", B),
    ("contact_link", "Ringsync_Link__c", "ringsync Lead Link", "URL(255)", "open", B),
    ("contact_id", "Ringsync_Contact_ID__c", "ringsync Lead ID", "Text(40)", "open", B),
    ("mobile_phone", "MobilePhone", "Mobile", "Phone", "additional", B),
    ("fax", "Fax", "Fax", "Fax", "additional", B),
]

CONTACT_ROWS = [
    ("phone", "Phone", "Business Phone", "Phone", "locked", B),
    ("owner", "OwnerId", "Contact Owner", "Lookup(User)", "special", B),
    ("first_name", "FirstName", "First Name", "Text(40)", "open", B),
    ("last_name", "LastName", "Last Name", "Text(80)", "open", B),
    ("email", "Email", "Email", "Email", "open", B),
    ("lead_source", "LeadSource", "Lead Source", "Picklist", "open", B),
    ("city", "MailingCity", "Mailing Address", "Address", "open", B),
    ("state", "MailingState", "Mailing Address", "Address", "open", B),
    ("country", "MailingCountry", "Mailing Address", "Address", "open", B),
    ("zipcode", "MailingPostalCode", "Mailing Address", "Address", "open", B),
    ("incoming_number", "Incoming_Number__c", "Incoming Number", "Phone", "open", B),
    ("custom_field_1", "Custom_Field_1__c", "Custom Field 1", "Text(255)", "open", B),
    ("custom_field_2", "Custom_Field_2__c", "Custom Field 2", "Text(255)", "open", B),
    ("tcpa_approved", "TCPA_Approved__c", "TCPA Approved", "Checkbox", "open", B),
    ("dnc", "DNC__c", "DNC", "Checkbox", "open", B),
    ("contact_link", "Ringsync_Link__c", "ringsync Contact Link", "URL(255)", "open", B),
    ("contact_id", "Ringsync_Contact_ID__c", "ringsync Contact ID", "Text(40)", "open", B),
    ("mobile_phone", "MobilePhone", "Mobile Phone", "Phone", "additional", B),
    ("fax", "Fax", "Business Fax", "Fax", "additional", B),
]

TRACKING_ROWS = [
    ("last_inbound_text_date", "Last_Inbound_Text_Date__c", "Last inbound text message date",
     "Date"),
    ("last_outbound_text_date", "Last_Outbound_Text_Date__c", "Last outbound text message date",
     "Date"),
    ("last_inbound_text", "Last_Inbound_Text__c", "Last inbound text message",
     "Long Text Area(32768)"),
    ("last_outbound_text", "Last_Outbound_Text__c", "Last outbound text message",
     "Long Text Area(32768)"),
    ("total_inbound_texts", "Total_Inbound_Texts__c", "Total inbound text messages",
     "Number(18, 0)"),
    ("total_outbound_texts", "Total_Outbound_Texts__c", "Total outbound text messages",
     "Number(18, 0)"),
    ("last_inbound_call_date", "Last_Inbound_Call_Date__c", "Last inbound call date", "Date"),
    ("last_outbound_call_date", "Last_Outbound_Call_Date__c", "Last outbound call date", "Date"),
    ("total_inbound_calls", "Total_Inbound_Calls__c", "Total inbound calls", "Number(18, 0)"),
    ("total_outbound_calls", "Total_Outbound_Calls__c", "Total outbound calls", "Number(18, 0)"),
    ("last_inbound_call_time", "Last_Inbound_Call_Time__c", "Last inbound call time", "Text(40)"),
    ("last_outbound_call_time", "Last_Outbound_Call_Time__c", "Last outbound call time",
     "Text(40)"),
    ("last_inbound_message_time", "Last_Inbound_Message_Time__c", "Last inbound message time",
     "Text(40)"),
    ("last_outbound_message_time", "Last_Outbound_Message_Time__c", "Last outbound message time",
     "Time"),
    ("last_call_disposition", "Last_Call_Disposition__c", "Last call disposition", "Text(40)"),
    ("last_inbound_call_disposition", "Last_Inbound_Call_Disposition__c",
     "Last inbound call disposition", "Text(40)"),
    ("last_outbound_call_disposition", "Last_Outbound_Call_Disposition__c",
     "Last outbound call disposition", "Text(40)"),
    ("last_engagement_at", "Last_Engagement__c", "Last inbound and outbound engagement",
     "Date/Time"),
    ("last_inbound_engagement_at", "Last_Inbound_Engagement__c", "Last inbound engagement",
     "Date/Time"),
    ("last_outbound_engagement_at", "Last_Outbound_Engagement__c", "Last outbound engagement",
     "Date/Time"),
]  # fmt: skip

EXPECTED = {
    SyncObject.LEAD: LEAD_ROWS + [(*row, "tracking", OUT) for row in TRACKING_ROWS],
    SyncObject.CONTACT: CONTACT_ROWS + [(*row, "tracking", OUT) for row in TRACKING_ROWS],
}


def _as_tuple(row: FieldMapping) -> tuple[str, ...]:
    return (
        row.ringsync_property,
        row.salesforce_field,
        row.salesforce_label,
        row.salesforce_type,
        row.kind.value,
        row.direction.value,
    )


@pytest.mark.parametrize(
    ("obj", "index", "expected"),
    [(obj, i, row) for obj, rows in EXPECTED.items() for i, row in enumerate(rows)],
    ids=lambda v: v if isinstance(v, str) else None,
)
def test_every_default_row_matches_the_seed(
    obj: SyncObject, index: int, expected: tuple[str, ...]
) -> None:
    assert _as_tuple(default_mapping(obj)[index]) == expected


@pytest.mark.parametrize(("obj", "count"), [(SyncObject.LEAD, 41), (SyncObject.CONTACT, 39)])
def test_default_mapping_has_exactly_the_seed_rows(obj: SyncObject, count: int) -> None:
    rows = default_mapping(obj)
    assert len(rows) == count == len(EXPECTED[obj])
    assert [_as_tuple(r) for r in rows] == EXPECTED[obj]


def test_contact_leaves_company_and_website_unmapped() -> None:
    props = {r.ringsync_property for r in default_mapping(SyncObject.CONTACT)}
    assert "company" not in props
    assert "website" not in props
    fields = {r.salesforce_field for r in default_mapping(SyncObject.CONTACT)}
    assert not fields & {"Company", "Website", "City", "PostalCode"}


def test_default_mapping_accepts_the_plain_object_name() -> None:
    assert default_mapping(SyncObject("Contact")) == default_mapping(SyncObject.CONTACT)


@pytest.mark.parametrize("obj", list(SyncObject))
def test_every_row_names_a_known_property_once(obj: SyncObject) -> None:
    rows = default_mapping(obj)
    props = [r.ringsync_property for r in rows]
    assert len(set(props)) == len(props)
    assert set(props) <= set(PROPERTIES)
    assert len({r.salesforce_field.lower() for r in rows}) == len(rows)


@pytest.mark.parametrize("obj", list(SyncObject))
def test_tracking_rows_are_outbound_only_and_cover_every_tracking_property(
    obj: SyncObject,
) -> None:
    tracking = [r for r in default_mapping(obj) if r.kind is FieldKind.TRACKING]
    assert {r.ringsync_property for r in tracking} == TRACKING_PROPERTIES
    assert len(tracking) == 20
    assert {r.direction for r in tracking} == {Direction.TO_SALESFORCE}


def test_our_side_labels_follow_the_seed() -> None:
    lead = {r.ringsync_property: r.label for r in default_mapping(SyncObject.LEAD)}
    assert lead["phone"] == "Phone Number"
    assert lead["owner"] == "Contact Owner"  # the seed keeps "Contact Owner" even for Leads
    assert lead["contact_link"] == "ringsync Lead Link"
    assert lead["contact_id"] == "ringsync Contact ID"
    contact = {r.ringsync_property: r.label for r in default_mapping(SyncObject.CONTACT)}
    assert contact["contact_link"] == "ringsync Contact Link"


@pytest.mark.parametrize(
    ("prop", "policy"),
    [
        ("first_name", TooLongPolicy.TRUNCATE),
        ("contact_id", TooLongPolicy.FAIL_RECORD),
        ("contact_link", TooLongPolicy.SKIP_FIELD),
        ("dnc", TooLongPolicy.FAIL_RECORD),
        ("last_inbound_text", TooLongPolicy.TRUNCATE),
    ],
)
def test_default_policies_protect_identifiers_and_consent(prop: str, policy: TooLongPolicy) -> None:
    rows = {r.ringsync_property: r for r in default_mapping(SyncObject.LEAD)}
    assert rows[prop].too_long is policy


@pytest.mark.parametrize(
    ("name", "value_type", "tracking"),
    [
        ("phone", ValueType.PHONE, False),
        ("owner", ValueType.REFERENCE, False),
        ("lead_source", ValueType.PICKLIST, False),
        ("dnc", ValueType.BOOL, False),
        ("website", ValueType.URL, False),
        ("email", ValueType.EMAIL, False),
        ("last_inbound_call_time", ValueType.TIME, True),
        ("last_inbound_call_date", ValueType.DATE, True),
        ("total_inbound_calls", ValueType.INT, True),
        ("last_engagement_at", ValueType.DATETIME, True),
        ("last_outbound_text", ValueType.TEXT, True),
    ],
)
def test_property_value_types(name: str, value_type: ValueType, tracking: bool) -> None:
    prop = PROPERTIES[name]
    assert (prop.value_type, prop.tracking) == (value_type, tracking)


def test_properties_cannot_be_modified() -> None:
    with pytest.raises(TypeError):
        PROPERTIES["x"] = PROPERTIES["phone"]  # type: ignore[index]


def test_field_mapping_round_trips_through_a_dict() -> None:
    for row in default_mapping(SyncObject.LEAD):
        data = row.to_dict()
        assert data["kind"] == row.kind.value
        assert FieldMapping.from_dict(data) == row


def test_field_mapping_from_a_bad_dict_names_the_bad_value() -> None:
    data = default_mapping(SyncObject.LEAD)[2].to_dict() | {"direction": "sideways"}
    with pytest.raises(ValueError, match="sideways"):
        FieldMapping.from_dict(data)
