"""Field builders shared by the standard object definitions: Salesforce's defaults per type."""

from __future__ import annotations

from typing import Any

from sfemu.errors import SalesforceError
from sfemu.ids import KEY_PREFIXES
from sfemu.schema import FIELD_TYPES, FieldDef, ObjectDef, PicklistValue

# Lengths Salesforce uses when a field's describe gives none of its own.
_DEFAULT_LENGTH = {
    "id": 18,
    "reference": 18,
    "string": 255,
    "textarea": 255,
    "phone": 40,
    "email": 80,
    "url": 255,
    "picklist": 255,
    "multipicklist": 4099,
    "combobox": 255,
}

LEAD_SOURCES = ("Web", "Phone Inquiry", "Partner Referral", "Purchased List", "Other")
SALUTATIONS = ("Mr.", "Ms.", "Mrs.", "Dr.", "Prof.")
INDUSTRIES = (
    "Agriculture",
    "Banking",
    "Communications",
    "Consulting",
    "Education",
    "Healthcare",
    "Insurance",
    "Retail",
    "Technology",
    "Other",
)
RATINGS = ("Hot", "Warm", "Cold")
TIME_ZONES = (
    "America/Los_Angeles",
    "America/Denver",
    "America/Chicago",
    "America/New_York",
    "Europe/London",
    "Europe/Paris",
    "Asia/Tokyo",
    "GMT",
)
LOCALES = ("en_US", "en_GB", "fr_FR", "de_DE", "es_ES", "ja_JP")
LANGUAGES = ("en_US", "fr", "de", "es", "ja")
ENCODINGS = ("UTF-8", "ISO-8859-1")
USER_TYPES = (
    "Standard",
    "PowerPartner",
    "PowerCustomerSuccess",
    "CustomerSuccess",
    "CspLitePortal",
    "CsnOnly",
    "Guest",
)


def picklist(values: tuple[str, ...], default: str | None = None) -> list[PicklistValue]:
    """Return picklist entries for ``values``, marking ``default`` as the default one."""
    return [PicklistValue(value=v, label=v, default=v == default) for v in values]


def make_field(name: str, type_: str, label: str = "", **attrs: Any) -> FieldDef:
    """Return a field with Salesforce's default length and flags for its type."""
    attrs.setdefault("length", _DEFAULT_LENGTH.get(type_, 0))
    if type_ == "boolean":
        attrs.setdefault("nillable", False)
        attrs.setdefault("defaulted_on_create", True)
        attrs.setdefault("default_value", False)
    if type_ in ("double", "currency", "percent"):
        attrs.setdefault("precision", 18)
    if type_ == "int":
        attrs.setdefault("digits", 9)
    if type_ == "textarea" and attrs["length"] > 255:
        attrs.setdefault("filterable", False)
        attrs.setdefault("sortable", False)
    return FieldDef(name=name, type=type_, label=label, **attrs)


def read_only(name: str, type_: str, label: str = "", **attrs: Any) -> FieldDef:
    """Return a field that the API can neither create nor update."""
    return make_field(name, type_, label, createable=False, updateable=False, **attrs)


def reference(name: str, label: str, to: list[str], relationship: str, **attrs: Any) -> FieldDef:
    """Return a lookup field pointing at ``to`` through ``relationship``."""
    return make_field(
        name, "reference", label, reference_to=to, relationship_name=relationship, **attrs
    )


def head_fields(obj: ObjectDef) -> None:
    """Add Id and IsDeleted, the first fields of every object."""
    obj.add(
        read_only(
            "Id",
            "id",
            f"{obj.label} ID",
            nillable=False,
            defaulted_on_create=True,
            id_lookup=True,
        )
    )
    obj.add(read_only("IsDeleted", "boolean", "Deleted"))


def system_fields(obj: ObjectDef) -> None:
    """Add the audit fields every object carries."""
    for stamp, by, label in (
        ("CreatedDate", "CreatedById", "Created"),
        ("LastModifiedDate", "LastModifiedById", "Last Modified"),
    ):
        obj.add(
            read_only(stamp, "datetime", f"{label} Date", nillable=False, defaulted_on_create=True)
        )
        obj.add(
            reference(
                by,
                f"{label} By ID",
                ["User"],
                by[:-2],
                createable=False,
                updateable=False,
                nillable=False,
                defaulted_on_create=True,
            )
        )
    obj.add(
        read_only(
            "SystemModstamp",
            "datetime",
            "System Modstamp",
            nillable=False,
            defaulted_on_create=True,
        )
    )


def owner_fields(obj: ObjectDef, to: list[str]) -> None:
    """Add OwnerId, defaulted to the writing user."""
    obj.add(reference("OwnerId", "Owner ID", to, "Owner", nillable=False, defaulted_on_create=True))


def person_name_fields(obj: ObjectDef, *, last_required: bool = True) -> None:
    """Add the name parts and the read-only compound Name."""
    obj.add(make_field("LastName", "string", "Last Name", length=80, nillable=not last_required))
    obj.add(make_field("FirstName", "string", "First Name", length=40))
    obj.add(
        make_field("Salutation", "picklist", "Salutation", picklist_values=picklist(SALUTATIONS))
    )
    obj.add(make_field("MiddleName", "string", "Middle Name", length=40))
    obj.add(make_field("Suffix", "string", "Suffix", length=40))
    obj.add(read_only("Name", "string", "Full Name", length=121, nillable=False, name_field=True))


def address_fields(obj: ObjectDef, prefix: str, compound: str, label: str) -> None:
    """Add one address block: its parts and the read-only compound field."""
    parts = (
        ("Street", "textarea", 255, "Street"),
        ("City", "string", 40, "City"),
        ("State", "string", 80, "State/Province"),
        ("PostalCode", "string", 20, "Zip/Postal Code"),
        ("Country", "string", 80, "Country"),
    )
    for suffix, type_, length, part_label in parts:
        text = f"{label} {part_label}".strip()
        obj.add(
            make_field(prefix + suffix, type_, text, length=length, compound_field_name=compound)
        )
    for suffix in ("Latitude", "Longitude"):
        obj.add(
            make_field(
                prefix + suffix,
                "double",
                f"{label} {suffix}".strip(),
                precision=18,
                scale=15,
                compound_field_name=compound,
            )
        )
    obj.add(
        make_field(
            prefix + "GeocodeAccuracy",
            "picklist",
            f"{label} Geocode Accuracy".strip(),
            picklist_values=picklist(("Address", "NearAddress", "Block", "Street", "Zip", "City")),
            restricted_picklist=True,
            compound_field_name=compound,
        )
    )
    obj.add(
        read_only(compound, "address", f"{label} Address".strip(), filterable=True, sortable=False)
    )


def phones_fields(obj: ObjectDef, names: tuple[str, ...]) -> None:
    """Add free-text phone fields."""
    labels = {"MobilePhone": "Mobile Phone", "HomePhone": "Home Phone", "OtherPhone": "Other Phone"}
    labels["AssistantPhone"] = "Asst. Phone"
    for name in names:
        obj.add(make_field(name, "phone", labels.get(name, name)))


def new_object(name: str, label: str, plural: str, **flags: Any) -> ObjectDef:
    """Return an empty object definition with its key prefix."""
    obj = ObjectDef(
        name=name, key_prefix=KEY_PREFIXES[name], label=label, label_plural=plural, **flags
    )
    head_fields(obj)
    return obj


# Admin-API spellings (describe's camelCase) of FieldDef attributes.
_ATTR_ALIASES = {
    "externalId": "external_id",
    "caseSensitive": "case_sensitive",
    "defaultValue": "default_value",
    "defaultedOnCreate": "defaulted_on_create",
    "picklistValues": "picklist_values",
    "restrictedPicklist": "restricted_picklist",
    "referenceTo": "reference_to",
    "relationshipName": "relationship_name",
    "htmlFormatted": "html_formatted",
}
_CUSTOM_ATTRS = frozenset(
    {
        "label",
        "length",
        "precision",
        "scale",
        "digits",
        "nillable",
        "external_id",
        "unique",
        "case_sensitive",
        "default_value",
        "defaulted_on_create",
        "picklist_values",
        "restricted_picklist",
        "reference_to",
        "relationship_name",
        "html_formatted",
    }
)


def custom_field(name: str, type_: str, attrs: dict[str, Any]) -> FieldDef:
    """Return a custom field definition, ``__c`` appended when missing.

    ``attrs`` takes FieldDef attribute names or their describe spellings (``externalId``);
    ``picklist_values`` may be plain strings.
    """
    api_name = name if name.lower().endswith("__c") else f"{name}__c"
    if type_ not in FIELD_TYPES or type_ in ("id", "address"):
        raise SalesforceError("INVALID_TYPE", f"unsupported custom field type: {type_}")
    clean: dict[str, Any] = {}
    for key, value in attrs.items():
        canonical = _ATTR_ALIASES.get(key, key)
        if canonical not in _CUSTOM_ATTRS:
            raise SalesforceError("INVALID_INPUT", f"unknown custom field attribute: {key}")
        clean[canonical] = value
    values = clean.get("picklist_values")
    if values is not None:
        clean["picklist_values"] = [
            v if isinstance(v, PicklistValue) else PicklistValue(value=str(v), label=str(v))
            for v in values
        ]
    if type_ == "textarea":
        clean.setdefault("length", 32768)
    if type_ in ("double", "currency", "percent"):
        clean.setdefault("scale", 0)
    label = clean.pop("label", None) or api_name[:-3].replace("_", " ")
    if type_ == "reference" and not clean.get("relationship_name"):
        clean["relationship_name"] = api_name[:-3] + "__r"
    return make_field(api_name, type_, label, custom=True, **clean)
