"""The field catalog: ringsync's contact properties and the default Lead and Contact mappings.

The rows come from the lead field-mapping seed (locked Phone, special owner, default open
fields, additional fields, outbound-only tracking fields) with the custom field API names of the
shared naming table. Contact uses its own field names (``MailingCity``...); ``company`` and
``website`` have no writable Contact field and stay unmapped there. Email is a default open field:
the seed names it among the synced fields although its table leaves it out.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import asdict, dataclass
from enum import StrEnum
from types import MappingProxyType
from typing import Any


class Direction(StrEnum):
    """Which way one field's values may travel."""

    BOTH = "both"
    TO_SALESFORCE = "to_salesforce"
    FROM_SALESFORCE = "from_salesforce"

    @property
    def outbound(self) -> bool:
        """Tell whether values may be written to Salesforce."""
        return self is not Direction.FROM_SALESFORCE

    @property
    def inbound(self) -> bool:
        """Tell whether values may be read from Salesforce."""
        return self is not Direction.TO_SALESFORCE


class FieldKind(StrEnum):
    """Where a mapping row comes from, which decides what the admin may do with it."""

    LOCKED = "locked"
    SPECIAL = "special"
    OPEN = "open"
    ADDITIONAL = "additional"
    TRACKING = "tracking"
    CUSTOM = "custom"


class TooLongPolicy(StrEnum):
    """Choose what happens to a value Salesforce would refuse (too long, not allowed...)."""

    TRUNCATE = "truncate"
    SKIP_FIELD = "skip_field"
    FAIL_RECORD = "fail_record"


class SyncObject(StrEnum):
    """The Salesforce objects ringsync keeps in sync with contacts."""

    LEAD = "Lead"
    CONTACT = "Contact"


class ValueType(StrEnum):
    """The Python shape of a ringsync property's value."""

    TEXT = "text"  # str
    PHONE = "phone"  # str, E.164 where ringsync normalized it
    EMAIL = "email"  # str
    URL = "url"  # str
    BOOL = "bool"  # bool
    INT = "int"  # int
    DATE = "date"  # datetime.date
    TIME = "time"  # aware datetime (original offset) or aware datetime.time
    DATETIME = "datetime"  # aware datetime
    PICKLIST = "picklist"  # str
    REFERENCE = "reference"  # str: a Salesforce record id (owner, after the user mapping)


@dataclass(frozen=True)
class PropertyDef:
    """One ringsync contact property: its name, label and value type."""

    name: str
    label: str
    value_type: ValueType
    tracking: bool = False
    standard: bool = True


@dataclass(frozen=True)
class FieldMapping:
    """One row of a field mapping: a ringsync property paired with a Salesforce field."""

    ringsync_property: str
    salesforce_field: str
    salesforce_label: str
    salesforce_type: str
    kind: FieldKind
    direction: Direction
    too_long: TooLongPolicy = TooLongPolicy.TRUNCATE
    label: str = ""

    def to_dict(self) -> dict[str, str]:
        """Return the row as JSON-ready data (enums as their values)."""
        return {key: str(value) for key, value in asdict(self).items()}

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> FieldMapping:
        """Build a row from :meth:`to_dict` output; raise ValueError/KeyError on bad data."""
        return cls(
            ringsync_property=str(data["ringsync_property"]),
            salesforce_field=str(data["salesforce_field"]),
            salesforce_label=str(data.get("salesforce_label", "")),
            salesforce_type=str(data.get("salesforce_type", "")),
            kind=FieldKind(data["kind"]),
            direction=Direction(data["direction"]),
            too_long=TooLongPolicy(data.get("too_long", TooLongPolicy.TRUNCATE)),
            label=str(data.get("label", "")),
        )


_T = ValueType
_PROPERTY_ROWS: tuple[tuple[str, str, ValueType], ...] = (
    ("phone", "Phone Number", _T.PHONE),
    ("owner", "Contact Owner", _T.REFERENCE),
    ("first_name", "First Name", _T.TEXT),
    ("last_name", "Last Name", _T.TEXT),
    ("company", "Company", _T.TEXT),
    ("email", "Email", _T.EMAIL),
    ("lead_source", "Lead Source", _T.PICKLIST),
    ("city", "City", _T.TEXT),
    ("state", "State", _T.TEXT),
    ("country", "Country", _T.TEXT),
    ("zipcode", "Zipcode", _T.TEXT),
    ("website", "Website", _T.URL),
    ("incoming_number", "Incoming Number", _T.PHONE),
    ("custom_field_1", "Custom Field 1", _T.TEXT),
    ("custom_field_2", "Custom Field 2", _T.TEXT),
    ("tcpa_approved", "TCPA Approved", _T.BOOL),
    ("dnc", "DNC", _T.BOOL),
    ("contact_link", "ringsync Contact Link", _T.URL),
    ("contact_id", "ringsync Contact ID", _T.TEXT),
    ("mobile_phone", "Mobile Phone", _T.PHONE),
    ("fax", "Fax", _T.PHONE),
)

# (property, label, value type, Salesforce API name, Salesforce type text)
_TRACKING_ROWS: tuple[tuple[str, str, ValueType, str, str], ...] = (
    ("last_inbound_text_date", "Last inbound text message date", _T.DATE,
     "Last_Inbound_Text_Date__c", "Date"),
    ("last_outbound_text_date", "Last outbound text message date", _T.DATE,
     "Last_Outbound_Text_Date__c", "Date"),
    ("last_inbound_text", "Last inbound text message", _T.TEXT,
     "Last_Inbound_Text__c", "Long Text Area(32768)"),
    ("last_outbound_text", "Last outbound text message", _T.TEXT,
     "Last_Outbound_Text__c", "Long Text Area(32768)"),
    ("total_inbound_texts", "Total inbound text messages", _T.INT,
     "Total_Inbound_Texts__c", "Number(18, 0)"),
    ("total_outbound_texts", "Total outbound text messages", _T.INT,
     "Total_Outbound_Texts__c", "Number(18, 0)"),
    ("last_inbound_call_date", "Last inbound call date", _T.DATE,
     "Last_Inbound_Call_Date__c", "Date"),
    ("last_outbound_call_date", "Last outbound call date", _T.DATE,
     "Last_Outbound_Call_Date__c", "Date"),
    ("total_inbound_calls", "Total inbound calls", _T.INT,
     "Total_Inbound_Calls__c", "Number(18, 0)"),
    ("total_outbound_calls", "Total outbound calls", _T.INT,
     "Total_Outbound_Calls__c", "Number(18, 0)"),
    ("last_inbound_call_time", "Last inbound call time", _T.TIME,
     "Last_Inbound_Call_Time__c", "Text(40)"),
    ("last_outbound_call_time", "Last outbound call time", _T.TIME,
     "Last_Outbound_Call_Time__c", "Text(40)"),
    ("last_inbound_message_time", "Last inbound message time", _T.TIME,
     "Last_Inbound_Message_Time__c", "Text(40)"),
    ("last_outbound_message_time", "Last outbound message time", _T.TIME,
     "Last_Outbound_Message_Time__c", "Time"),
    ("last_call_disposition", "Last call disposition", _T.TEXT,
     "Last_Call_Disposition__c", "Text(40)"),
    ("last_inbound_call_disposition", "Last inbound call disposition", _T.TEXT,
     "Last_Inbound_Call_Disposition__c", "Text(40)"),
    ("last_outbound_call_disposition", "Last outbound call disposition", _T.TEXT,
     "Last_Outbound_Call_Disposition__c", "Text(40)"),
    ("last_engagement_at", "Last inbound and outbound engagement", _T.DATETIME,
     "Last_Engagement__c", "Date/Time"),
    ("last_inbound_engagement_at", "Last inbound engagement", _T.DATETIME,
     "Last_Inbound_Engagement__c", "Date/Time"),
    ("last_outbound_engagement_at", "Last outbound engagement", _T.DATETIME,
     "Last_Outbound_Engagement__c", "Date/Time"),
)  # fmt: skip


def _build_properties() -> Mapping[str, PropertyDef]:
    """Collect every ringsync contact property, standard ones first, then tracking ones."""
    defs = [PropertyDef(name, label, vtype) for name, label, vtype in _PROPERTY_ROWS]
    defs += [PropertyDef(row[0], row[1], row[2], tracking=True) for row in _TRACKING_ROWS]
    return MappingProxyType({d.name: d for d in defs})


PROPERTIES: Mapping[str, PropertyDef] = _build_properties()
"""Every ringsync contact property by name (read-only)."""

TRACKING_PROPERTIES: frozenset[str] = frozenset(row[0] for row in _TRACKING_ROWS)


_B = Direction.BOTH
_K = FieldKind
_P = TooLongPolicy

# (property, Lead field, Lead label, Contact field, Contact label, type text, kind, policy);
# a None Contact field means "not mapped on Contact by default".
_DEFAULT_ROWS: tuple[tuple[str, str, str, str | None, str, str, FieldKind, TooLongPolicy], ...] = (
    ("phone", "Phone", "Phone", "Phone", "Business Phone", "Phone", _K.LOCKED, _P.TRUNCATE),
    ("owner", "OwnerId", "Lead Owner", "OwnerId", "Contact Owner", "Lookup(User)", _K.SPECIAL,
     _P.FAIL_RECORD),
    ("first_name", "FirstName", "First Name", "FirstName", "First Name", "Text(40)", _K.OPEN,
     _P.TRUNCATE),
    ("last_name", "LastName", "Last Name", "LastName", "Last Name", "Text(80)", _K.OPEN,
     _P.TRUNCATE),
    ("company", "Company", "Company", None, "", "Text(255)", _K.OPEN, _P.TRUNCATE),
    ("email", "Email", "Email", "Email", "Email", "Email", _K.OPEN, _P.SKIP_FIELD),
    ("lead_source", "LeadSource", "Lead Source", "LeadSource", "Lead Source", "Picklist", _K.OPEN,
     _P.SKIP_FIELD),
    ("city", "City", "Address", "MailingCity", "Mailing Address", "Address", _K.OPEN,
     _P.TRUNCATE),
    ("state", "State", "Address", "MailingState", "Mailing Address", "Address", _K.OPEN,
     _P.TRUNCATE),
    ("country", "Country", "Address", "MailingCountry", "Mailing Address", "Address", _K.OPEN,
     _P.TRUNCATE),
    ("zipcode", "PostalCode", "Address", "MailingPostalCode", "Mailing Address", "Address",
     _K.OPEN, _P.TRUNCATE),
    ("website", "Website", "Website", None, "", "URL(255)", _K.OPEN, _P.SKIP_FIELD),
    ("incoming_number", "Incoming_Number__c", "Incoming Number", "Incoming_Number__c",
     "Incoming Number", "Phone", _K.OPEN, _P.TRUNCATE),
    ("custom_field_1", "Custom_Field_1__c", "Custom Field 1", "Custom_Field_1__c",
     "Custom Field 1", "Text(255)", _K.OPEN, _P.TRUNCATE),
    ("custom_field_2", "Custom_Field_2__c", "Custom Field 2", "Custom_Field_2__c",
     "Custom Field 2", "Text(255)", _K.OPEN, _P.TRUNCATE),
    ("tcpa_approved", "TCPA_Approved__c", "TCPA Approved", "TCPA_Approved__c", "TCPA Approved",
     "Checkbox", _K.OPEN, _P.FAIL_RECORD),
    ("dnc", "DNC__c", "DNC", "DNC__c", "DNC", "Checkbox", _K.OPEN, _P.FAIL_RECORD),
    ("contact_link", "Ringsync_Link__c", "ringsync Lead Link", "Ringsync_Link__c",
     "ringsync Contact Link", "URL(255)", _K.OPEN, _P.SKIP_FIELD),
    ("contact_id", "Ringsync_Contact_ID__c", "ringsync Lead ID", "Ringsync_Contact_ID__c",
     "ringsync Contact ID", "Text(40)", _K.OPEN, _P.FAIL_RECORD),
    ("mobile_phone", "MobilePhone", "Mobile", "MobilePhone", "Mobile Phone", "Phone",
     _K.ADDITIONAL, _P.TRUNCATE),
    ("fax", "Fax", "Fax", "Fax", "Business Fax", "Fax", _K.ADDITIONAL, _P.TRUNCATE),
)  # fmt: skip

# Our side's label where it differs by object (the seed calls the Lead link "Lead Link").
_LEAD_LABELS = {"contact_link": "ringsync Lead Link"}


def _tracking_mappings() -> tuple[FieldMapping, ...]:
    """Return the outbound-only tracking rows; Lead and Contact share their API names."""
    return tuple(
        FieldMapping(
            ringsync_property=name,
            salesforce_field=api_name,
            salesforce_label=label,
            salesforce_type=type_text,
            kind=FieldKind.TRACKING,
            direction=Direction.TO_SALESFORCE,
            label=label,
        )
        for name, label, _vtype, api_name, type_text in _TRACKING_ROWS
    )


def default_mapping(obj: SyncObject) -> tuple[FieldMapping, ...]:
    """Return the default mapping rows for ``obj`` in the seed's order."""
    obj = SyncObject(obj)
    rows: list[FieldMapping] = []
    for (
        prop,
        lead_field,
        lead_label,
        contact_field,
        contact_label,
        type_text,
        kind,
        policy,
    ) in _DEFAULT_ROWS:
        if obj is SyncObject.LEAD:
            field, sf_label = lead_field, lead_label
            label = _LEAD_LABELS.get(prop, PROPERTIES[prop].label)
        elif contact_field is None:
            continue
        else:
            field, sf_label, label = contact_field, contact_label, PROPERTIES[prop].label
        rows.append(FieldMapping(prop, field, sf_label, type_text, kind, _B, policy, label))
    return (*rows, *_tracking_mappings())


__all__ = [
    "PROPERTIES",
    "TRACKING_PROPERTIES",
    "Direction",
    "FieldKind",
    "FieldMapping",
    "PropertyDef",
    "SyncObject",
    "TooLongPolicy",
    "ValueType",
    "default_mapping",
]
