"""Standard objects and their describe JSON: every documented key, flags and picklists."""

from __future__ import annotations

import json

import pytest

from sfemu.describe import describe_field, describe_global, describe_sobject, object_summary
from sfemu.objects import standard_objects
from sfemu.org import Org
from sfemu.schema import ObjectDef

GLOBAL_KEYS = {
    "activateable", "createable", "custom", "customSetting", "deepCloneable", "deletable",
    "deprecatedAndHidden", "feedEnabled", "hasSubtypes", "idEnabled", "isInterface", "isSubtype",
    "keyPrefix", "label", "labelPlural", "layoutable", "mergeable", "mruEnabled", "name",
    "queryable", "replicateable", "retrieveable", "searchable", "triggerable", "undeletable",
    "updateable", "urls",
}  # fmt: skip
DESCRIBE_KEYS = GLOBAL_KEYS | {
    "actionOverrides", "childRelationships", "compactLayoutable", "fields", "listviewable",
    "lookupLayoutable", "namedLayoutInfos", "networkScopeFieldName", "recordTypeInfos",
    "searchLayoutable", "supportedScopes",
}  # fmt: skip
FIELD_KEYS = {
    "aggregatable", "autoNumber", "byteLength", "calculated", "calculatedFormula",
    "cascadeDelete", "caseSensitive", "compoundFieldName", "controllerName", "createable",
    "custom", "defaultValue", "defaultValueFormula", "defaultedOnCreate", "dependentPicklist",
    "deprecatedAndHidden", "digits", "displayLocationInDecimal", "encrypted", "externalId",
    "extraTypeInfo", "filterable", "filteredLookupInfo", "groupable", "highScaleNumber",
    "htmlFormatted", "idLookup", "inlineHelpText", "label", "length", "mask", "maskType", "name",
    "nameField", "namePointing", "nillable", "permissionable", "picklistValues", "precision",
    "queryByDistance", "referenceTargetField", "referenceTo", "relationshipName",
    "relationshipOrder", "restrictedDelete", "restrictedPicklist", "scale", "soapType",
    "sortable", "type", "unique", "updateable", "writeRequiresMasterRead",
}  # fmt: skip


def _required(obj: ObjectDef) -> set[str]:
    return {
        f.name
        for f in obj.fields.values()
        if f.createable and not f.nillable and not f.defaulted_on_create
    }


def _field(body: dict[str, object], name: str) -> dict[str, object]:
    fields = body["fields"]
    assert isinstance(fields, list)
    return next(f for f in fields if f["name"] == name)


def test_standard_objects_and_prefixes() -> None:
    objects = {o.name: o for o in standard_objects()}
    assert {n: o.key_prefix for n, o in objects.items()} == {
        "Account": "001",
        "Campaign": "701",
        "CampaignMember": "00v",
        "Contact": "003",
        "Group": "00G",
        "Lead": "00Q",
        "LeadStatus": "01J",
        "ListView": "00B",
        "Organization": "00D",
        "Profile": "00e",
        "User": "005",
    }
    assert _required(objects["Lead"]) == {"LastName", "Company"}
    assert _required(objects["Contact"]) == {"LastName"}
    assert _required(objects["Account"]) == {"Name"}
    assert _required(objects["User"]) == {"Username", "LastName", "Email", "Alias"}
    assert _required(objects["CampaignMember"]) == {"CampaignId"}
    assert objects["User"].deletable is False
    status = objects["LeadStatus"]
    assert (status.createable, status.updateable, status.deletable) == (False, False, False)


def test_every_object_has_system_fields() -> None:
    system = {"Id", "IsDeleted", "CreatedDate", "CreatedById", "LastModifiedDate",
              "LastModifiedById", "SystemModstamp"}  # fmt: skip
    for obj in standard_objects():
        assert system <= {f.name for f in obj.fields.values()}, obj.name
        for name in system:
            f = obj.field(name)
            assert f is not None
            assert not f.createable
            assert not f.updateable


def test_global_describe_has_every_documented_key() -> None:
    objects = standard_objects()
    body = describe_global(objects, "66.0")
    assert body["encoding"] == "UTF-8"
    assert body["maxBatchSize"] == 200
    lead = next(e for e in body["sobjects"] if e["name"] == "Lead")
    assert set(lead) >= GLOBAL_KEYS
    assert lead["urls"]["sobject"] == "/services/data/v66.0/sobjects/Lead"
    assert lead["urls"]["describe"] == "/services/data/v66.0/sobjects/Lead/describe"
    assert lead["urls"]["rowTemplate"] == "/services/data/v66.0/sobjects/Lead/{ID}"
    summary = object_summary(objects[0], "59.0")
    assert set(summary) == {"objectDescribe", "recentItems"}
    assert summary["objectDescribe"]["name"] == objects[0].name
    assert summary["objectDescribe"]["urls"]["sobject"].startswith("/services/data/v59.0/")


@pytest.mark.parametrize("obj", standard_objects(), ids=lambda o: o.name)
def test_full_describe_has_every_documented_key(obj: ObjectDef) -> None:
    body = describe_sobject(obj, "60.0", standard_objects())
    assert set(body) >= DESCRIBE_KEYS
    for f in body["fields"]:
        assert set(f) >= FIELD_KEYS, f["name"]
    json.dumps(body)  # plain JSON values only


def test_lead_field_describes(org: Org) -> None:
    body = describe_sobject(org.sobject("Lead"), "66.0", org.sobjects())
    last = _field(body, "LastName")
    assert (last["type"], last["length"], last["nillable"], last["createable"]) == (
        "string",
        80,
        False,
        True,
    )
    assert last["soapType"] == "xsd:string"
    assert last["byteLength"] == 240
    owner = _field(body, "OwnerId")
    assert owner["referenceTo"] == ["Group", "User"]
    assert owner["relationshipName"] == "Owner"
    assert owner["namePointing"] is True
    assert owner["soapType"] == "tns:ID"
    assert owner["defaultedOnCreate"] is True
    status = _field(body, "Status")
    values = status["picklistValues"]
    assert isinstance(values, list)
    assert [p["value"] for p in values] == [
        "Open - Not Contacted", "Working - Contacted", "Closed - Converted",
        "Closed - Not Converted",
    ]  # fmt: skip
    assert values[0]["defaultValue"] is True
    assert status["restrictedPicklist"] is True
    assert _field(body, "LeadSource")["restrictedPicklist"] is False
    address = _field(body, "Address")
    assert (address["type"], address["createable"], address["soapType"]) == (
        "address",
        False,
        "urn:address",
    )
    assert _field(body, "City")["compoundFieldName"] == "Address"
    name = _field(body, "Name")
    assert (name["createable"], name["updateable"], name["nameField"]) == (False, False, True)
    for ro in ("IsConverted", "ConvertedDate", "ConvertedAccountId", "ConvertedContactId"):
        assert _field(body, ro)["createable"] is False
        assert _field(body, ro)["updateable"] is False
    assert _field(body, "DoNotCall")["nillable"] is False
    assert _field(body, "DoNotCall")["defaultValue"] is False
    assert _field(body, "CreatedDate")["soapType"] == "xsd:dateTime"


def test_contact_and_account_describes(org: Org) -> None:
    contact = describe_sobject(org.sobject("Contact"), "66.0", org.sobjects())
    assert _field(contact, "OwnerId")["referenceTo"] == ["User"]
    assert _field(contact, "AccountId")["relationshipName"] == "Account"
    assert _field(contact, "MailingCity")["compoundFieldName"] == "MailingAddress"
    account = describe_sobject(org.sobject("Account"), "66.0", org.sobjects())
    children = {(c["childSObject"], c["field"]): c["relationshipName"]
                for c in account["childRelationships"]}  # fmt: skip
    assert children[("Contact", "AccountId")] == "Contacts"


def test_custom_field_describe(org: Org) -> None:
    f = org.add_custom_field(
        "Lead", "Ringsync_Contact_ID", "string", length=40, external_id=True, unique=True
    )
    body = describe_field(f)
    assert body["name"] == "Ringsync_Contact_ID__c"
    assert (body["custom"], body["externalId"], body["unique"], body["idLookup"]) == (
        True,
        True,
        True,
        True,
    )
    assert body["length"] == 40
    assert describe_field(org.add_custom_field("Lead", "Total", "double"))["precision"] == 18
