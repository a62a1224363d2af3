"""Describe JSON: the describe-global entry and the full sObject describe, as REST returns them.

Functions take an :class:`ObjectDef` and the API version of the request (``"66.0"``) and return
plain dicts, so the REST layer only serializes them.
"""

from __future__ import annotations

from typing import Any

from sfemu.schema import FieldDef, ObjectDef

_SOAP_TYPES = {
    "id": "tns:ID",
    "reference": "tns:ID",
    "boolean": "xsd:boolean",
    "int": "xsd:int",
    "double": "xsd:double",
    "currency": "xsd:double",
    "percent": "xsd:double",
    "date": "xsd:date",
    "datetime": "xsd:dateTime",
    "time": "xsd:time",
    "address": "urn:address",
}
_TEXT_TYPES = frozenset(
    {
        "id",
        "reference",
        "string",
        "textarea",
        "phone",
        "email",
        "url",
        "picklist",
        "multipicklist",
        "combobox",
    }
)
_AGGREGATABLE = frozenset(
    {
        "id",
        "reference",
        "string",
        "phone",
        "email",
        "url",
        "picklist",
        "combobox",
        "int",
        "double",
        "currency",
        "percent",
        "date",
        "datetime",
        "time",
    }
)
_SYSTEM_FIELDS = frozenset(
    {
        "Id",
        "IsDeleted",
        "CreatedDate",
        "CreatedById",
        "LastModifiedDate",
        "LastModifiedById",
        "SystemModstamp",
    }
)


def soap_type(f: FieldDef) -> str:
    """Return the SOAP type describe reports for a field."""
    return f.soap_type or _SOAP_TYPES.get(f.type, "xsd:string")


def sobject_urls(obj: ObjectDef, api_version: str) -> dict[str, str]:
    """Return the ``urls`` map of an object for one API version."""
    base = f"/services/data/v{api_version}/sobjects/{obj.name}"
    return {
        "compactLayouts": f"{base}/describe/compactLayouts",
        "rowTemplate": f"{base}/{{ID}}",
        "approvalLayouts": f"{base}/describe/approvalLayouts",
        "defaultValues": f"{base}/defaultValues?recordTypeId&fields",
        "listviews": f"{base}/listviews",
        "describe": f"{base}/describe",
        "quickActions": f"{base}/quickActions",
        "layouts": f"{base}/describe/layouts",
        "sobject": base,
    }


def global_entry(obj: ObjectDef, api_version: str) -> dict[str, Any]:
    """Return the object's entry in describe global (``GET /sobjects``)."""
    return {
        "activateable": False,
        "associateEntityType": None,
        "associateParentEntity": None,
        "createable": obj.createable,
        "custom": obj.custom,
        "customSetting": False,
        "deepCloneable": False,
        "deletable": obj.deletable,
        "deprecatedAndHidden": False,
        "feedEnabled": obj.name in ("Lead", "Contact", "Account", "User"),
        "hasSubtypes": False,
        "idEnabled": True,
        "isInterface": False,
        "isSubtype": False,
        "keyPrefix": obj.key_prefix,
        "label": obj.label,
        "labelPlural": obj.label_plural,
        "layoutable": obj.createable,
        "mergeable": obj.name in ("Lead", "Contact", "Account"),
        "mruEnabled": obj.createable,
        "name": obj.name,
        "queryable": obj.queryable,
        "replicateable": obj.replicateable,
        "retrieveable": True,
        "searchable": obj.createable,
        "triggerable": obj.createable,
        "undeletable": obj.undeletable,
        "updateable": obj.updateable,
        "urls": sobject_urls(obj, api_version),
    }


def describe_global(objects: list[ObjectDef], api_version: str) -> dict[str, Any]:
    """Return the ``GET /sobjects`` body."""
    return {
        "encoding": "UTF-8",
        "maxBatchSize": 200,
        "sobjects": [global_entry(obj, api_version) for obj in objects],
    }


def _default_value(f: FieldDef) -> Any:
    """Return describe's ``defaultValue`` (checkboxes report theirs; picklists use entries)."""
    if f.type == "picklist":
        return None
    return f.default_value


def describe_field(f: FieldDef) -> dict[str, Any]:
    """Return one entry of a describe's ``fields`` array."""
    text = f.type in _TEXT_TYPES
    length = f.length if text else 0
    return {
        "aggregatable": f.type in _AGGREGATABLE,
        "aiPredictionField": False,
        "autoNumber": False,
        "byteLength": length * 3 if text else 0,
        "calculated": f.calculated,
        "calculatedFormula": None,
        "cascadeDelete": False,
        "caseSensitive": f.case_sensitive,
        "compoundFieldName": f.compound_field_name,
        "controllerName": None,
        "createable": f.createable,
        "custom": f.custom,
        "defaultValue": _default_value(f),
        "defaultValueFormula": None,
        "defaultedOnCreate": f.defaulted_on_create,
        "dependentPicklist": False,
        "deprecatedAndHidden": False,
        "digits": f.digits if f.type == "int" else 0,
        "displayLocationInDecimal": False,
        "encrypted": False,
        "externalId": f.external_id,
        "extraTypeInfo": _extra_type_info(f),
        "filterable": f.filterable,
        "filteredLookupInfo": None,
        "formulaTreatNullNumberAsZero": False,
        "groupable": f.type in _AGGREGATABLE and f.type not in ("double", "currency", "percent"),
        "highScaleNumber": False,
        "htmlFormatted": f.html_formatted,
        "idLookup": f.id_lookup or f.external_id,
        "inlineHelpText": None,
        "label": f.label,
        "length": length,
        "mask": None,
        "maskType": None,
        "name": f.name,
        "nameField": f.name_field,
        "namePointing": len(f.reference_to) > 1,
        "nillable": f.nillable,
        "permissionable": f.nillable and (f.createable or f.updateable),
        "picklistValues": [
            {
                "active": p.active,
                "defaultValue": p.default,
                "label": p.label or p.value,
                "validFor": None,
                "value": p.value,
            }
            for p in f.picklist_values
        ],
        "polymorphicForeignKey": len(f.reference_to) > 1,
        "precision": f.precision if f.type in ("double", "currency", "percent") else 0,
        "queryByDistance": False,
        "referenceTargetField": None,
        "referenceTo": list(f.reference_to),
        "relationshipName": f.relationship_name,
        "relationshipOrder": None,
        "restrictedDelete": False,
        "restrictedPicklist": f.restricted_picklist,
        "scale": f.scale if f.type in ("double", "currency", "percent") else 0,
        "searchPrefilterable": f.type == "reference",
        "soapType": soap_type(f),
        "sortable": f.sortable,
        "type": f.type,
        "unique": f.unique,
        "updateable": f.updateable,
        "writeRequiresMasterRead": False,
    }


def _extra_type_info(f: FieldDef) -> str | None:
    """Return describe's ``extraTypeInfo`` for the few fields that carry one."""
    if f.type == "textarea":
        return "richtextarea" if f.html_formatted else ("plaintextarea" if f.length > 255 else None)
    if f.type == "url" and f.name == "PhotoUrl":
        return "imageurl"
    if f.name in ("Name", "FirstName", "LastName") and f.type == "string":
        return "personname" if f.name != "Name" or not f.createable else None
    return None


def _child_relationships(obj: ObjectDef, catalog: list[ObjectDef]) -> list[dict[str, Any]]:
    """Return the relationships of other objects that point at ``obj``."""
    out = []
    for other in catalog:
        for f in other.fields.values():
            if (
                f.type == "reference"
                and obj.name in f.reference_to
                and f.name not in _SYSTEM_FIELDS
            ):
                out.append(
                    {
                        "cascadeDelete": False,
                        "childSObject": other.name,
                        "deprecatedAndHidden": False,
                        "field": f.name,
                        "junctionIdListNames": [],
                        "junctionReferenceTo": [],
                        "relationshipName": _child_name(other, f),
                        "restrictedDelete": False,
                    }
                )
    return out


def _child_name(child: ObjectDef, f: FieldDef) -> str | None:
    """Return the plural relationship name Salesforce uses for a lookup (e.g. ``Contacts``)."""
    if f.name in ("OwnerId", "MasterRecordId") or f.name.startswith("Converted"):
        return None
    if f.custom:
        return f"{child.label_plural.replace(' ', '_')}__r"
    return child.label_plural.replace(" ", "")


def describe_sobject(
    obj: ObjectDef, api_version: str, catalog: list[ObjectDef] | None = None
) -> dict[str, Any]:
    """Return the ``GET /sobjects/{name}/describe`` body.

    ``catalog`` (every object of the org) lets the describe list child relationships.
    """
    body = global_entry(obj, api_version)
    body.update(
        {
            "actionOverrides": [],
            "childRelationships": _child_relationships(obj, catalog or []),
            "compactLayoutable": obj.createable,
            "defaultImplementation": None,
            "extendedBy": None,
            "extendsInterfaces": None,
            "fields": [describe_field(f) for f in obj.fields.values()],
            "implementedBy": None,
            "implementsInterfaces": None,
            "listviewable": None,
            "lookupLayoutable": None,
            "namedLayoutInfos": [],
            "networkScopeFieldName": None,
            "recordTypeInfos": [
                {
                    "active": True,
                    "available": True,
                    "defaultRecordTypeMapping": True,
                    "developerName": "Master",
                    "master": True,
                    "name": "Master",
                    "recordTypeId": "012000000000000AAA",
                    "urls": {
                        "layout": f"/services/data/v{api_version}/sobjects/{obj.name}"
                        "/describe/layouts/012000000000000AAA"
                    },
                }
            ]
            if obj.createable
            else [],
            "searchLayoutable": obj.createable,
            "sobjectDescribeOption": "FULL",
            "supportedScopes": [{"label": "All " + obj.label_plural.lower(), "name": "everything"}],
        }
    )
    return dict(sorted(body.items()))


def object_summary(obj: ObjectDef, api_version: str) -> dict[str, Any]:
    """Return the ``GET /sobjects/{name}`` body: the global entry and recent items."""
    return {"objectDescribe": global_entry(obj, api_version), "recentItems": []}
