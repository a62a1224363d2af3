"""Custom fields, validation rules, upsert by external id, and user passwords."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from sfemu.errors import MultipleMatchesError, SalesforceError
from sfemu.org import Org

LEAD = {"LastName": "Smith", "Company": "Acme"}


def _fails(call: Callable[..., object], *args: Any, **kwargs: Any) -> SalesforceError:
    with pytest.raises(SalesforceError) as info:
        call(*args, **kwargs)
    return info.value


def test_custom_fields_are_defined_validated_and_stored(org: Org) -> None:
    f = org.add_custom_field("Lead", "Score", "double", precision=5, scale=1, label="Lead Score")
    assert (f.name, f.custom, f.label) == ("Score__c", True, "Lead Score")
    org.add_custom_field(
        "Lead", "Tier__c", "picklist", picklistValues=["Gold", "Silver"], restrictedPicklist=True
    )
    org.add_custom_field("Lead", "Note", "textarea")
    lead_id = org.create("Lead", {**LEAD, "score__c": "12.34", "Tier__c": "gold", "Note__c": "n"})
    assert org.get(lead_id)["Score__c"] == 12.3
    assert org.get(lead_id)["Tier__c"] == "Gold"
    note = org.sobject("Lead").field("note__c")
    assert note is not None
    assert note.length == 32768
    err = _fails(org.update, "Lead", lead_id, {"Tier__c": "Bronze"})
    assert err.message == "Tier: bad value for restricted picklist field: Bronze"


def test_custom_field_definition_errors(org: Org) -> None:
    org.add_custom_field("Lead", "Dup", "string")
    assert _fails(org.add_custom_field, "Lead", "Dup__c", "string").error_code == (
        "DUPLICATE_DEVELOPER_NAME"
    )
    assert _fails(org.add_custom_field, "Lead", "X", "blob").error_code == "INVALID_TYPE"
    assert _fails(org.add_custom_field, "Lead", "Y", "string", colour="red").error_code == (
        "INVALID_INPUT"
    )
    assert _fails(org.add_custom_field, "Nope", "Z", "string").error_code == "NOT_FOUND"


def test_new_unique_field_indexes_existing_records(org: Org) -> None:
    org.add_custom_field("Lead", "Legacy", "string", length=10)
    lead_id = org.create("Lead", {**LEAD, "Legacy__c": "L-1"})
    assert org.find_by_field("Lead", "Legacy__c", "l-1") == [lead_id]  # scanned
    org.add_custom_field("Lead", "Key", "string", length=10, externalId=True, unique=True)
    org.update("Lead", lead_id, {"Key__c": "K-1"})
    assert org.find_by_field("Lead", "Key__c", "K-1") == [lead_id]  # indexed
    err = _fails(org.create, "Lead", {**LEAD, "Key__c": "k-1"})
    assert err.error_code == "DUPLICATE_VALUE"
    assert err.message == (
        f"duplicate value found: Key__c duplicates value on record with id: {lead_id[:15]}"
    )
    org.update("Lead", lead_id, {"Key__c": "K-2"})
    assert org.find_by_field("Lead", "Key__c", "K-1") == []
    assert org.create("Lead", {**LEAD, "Key__c": "K-1"})


def test_upsert_creates_then_updates(org: Org) -> None:
    org.add_custom_field("Lead", "Ext", "string", length=20, external_id=True, unique=True)
    lead_id, created = org.upsert("Lead", "Ext__c", "E1", {**LEAD, "City": "Oslo"})
    assert created is True
    assert org.get(lead_id)["Ext__c"] == "E1"
    same_id, created = org.upsert("Lead", "ext__c", "e1", {"City": "Bergen", "Ext__c": "E1"})
    assert (same_id, created) == (lead_id, False)
    assert org.get(lead_id)["City"] == "Bergen"
    err = _fails(org.upsert, "Lead", "Ext__c", "E1", {"Ext__c": "E2"})
    assert err.error_code == "INVALID_FIELD"
    err = _fails(org.upsert, "Lead", "City", "Oslo", LEAD)
    assert (err.error_code, err.status) == ("NOT_FOUND", 404)
    assert err.message == "Provided external ID field does not exist or is not accessible: City"


def test_upsert_with_several_matches_is_a_300(org: Org) -> None:
    org.add_custom_field("Lead", "Shared", "string", length=20, external_id=True)
    a = org.create("Lead", {**LEAD, "Shared__c": "S"})
    b = org.create("Lead", {**LEAD, "Shared__c": "S"})
    with pytest.raises(MultipleMatchesError) as info:
        org.upsert("Lead", "Shared__c", "S", {"City": "x"})
    assert info.value.status == 300
    assert info.value.ids == [a, b]


def test_upsert_by_id(org: Org) -> None:
    lead_id, created = org.upsert("Lead", "Id", "", LEAD)
    assert created is True
    assert org.upsert("Lead", "Id", lead_id[:15], {"City": "Nice"}) == (lead_id, False)
    assert org.get(lead_id)["City"] == "Nice"


def test_validation_rule_with_a_predicate(org: Org) -> None:
    rule = org.add_validation_rule(
        "Lead",
        "phone_needed",
        "Phone is required for web leads",
        lambda r: r.get("LeadSource") == "Web" and not r.get("Phone"),
        field="phone",
    )
    assert rule.field == "Phone"
    err = _fails(org.create, "Lead", {**LEAD, "LeadSource": "Web"})
    assert err.rest_body() == [
        {
            "message": "Phone is required for web leads",
            "errorCode": "FIELD_CUSTOM_VALIDATION_EXCEPTION",
            "fields": ["Phone"],
        }
    ]
    lead_id = org.create("Lead", {**LEAD, "LeadSource": "Web", "Phone": "1"})
    err = _fails(org.update, "Lead", lead_id, {"Phone": None})  # checked on the record after
    assert err.error_code == "FIELD_CUSTOM_VALIDATION_EXCEPTION"
    assert org.get(lead_id)["Phone"] == "1"
    assert org.remove_validation_rule("Lead", "phone_needed") is True
    assert org.remove_validation_rule("Lead", "phone_needed") is False
    org.update("Lead", lead_id, {"Phone": None})


@pytest.mark.parametrize(
    ("operator", "value", "bad", "good"),
    [
        ("blank", None, {}, {"City": "x"}),
        ("not_blank", None, {"City": "x"}, {}),
        ("equals", "Paris", {"City": "Paris"}, {"City": "Rome"}),
        ("not_equals", "Paris", {"City": "Rome"}, {"City": "Paris"}),
        ("matches", r"^\d+$", {"City": "123"}, {"City": "a1"}),
        ("longer_than", 3, {"City": "Paris"}, {"City": "Rio"}),
    ],
)
def test_declarative_rules(
    org: Org, operator: str, value: object, bad: dict[str, Any], good: dict[str, Any]
) -> None:
    org.add_validation_rule_spec(
        "Lead",
        {"name": "r", "field": "city", "operator": operator, "value": value, "message": "Bad city"},
    )
    err = _fails(org.create, "Lead", {**LEAD, **bad})
    assert (err.error_code, err.message, err.fields) == (
        "FIELD_CUSTOM_VALIDATION_EXCEPTION",
        "Bad city",
        ["City"],
    )
    assert org.create("Lead", {**LEAD, **good})
    assert [r.name for r in org.validation_rules("Lead")] == ["r"]


@pytest.mark.parametrize(
    ("spec", "code"),
    [
        ({"field": "City", "operator": "blank", "message": "m"}, "INVALID_INPUT"),
        ({"name": "r", "field": "City", "operator": "blank"}, "INVALID_INPUT"),
        ({"name": "r", "field": "Nope", "operator": "blank", "message": "m"}, "INVALID_FIELD"),
        ({"name": "r", "field": "City", "operator": "huge", "message": "m"}, "INVALID_INPUT"),
        (
            {"name": "r", "field": "City", "operator": "matches", "value": "(", "message": "m"},
            "INVALID_INPUT",
        ),
        (
            {"name": "r", "field": "City", "operator": "longer_than", "value": "3", "message": "m"},
            "INVALID_INPUT",
        ),
    ],
)
def test_malformed_rule_specs(org: Org, spec: dict[str, Any], code: str) -> None:
    assert _fails(org.add_validation_rule_spec, "Lead", spec).error_code == code


def test_passwords(org: Org) -> None:
    user = org.create(
        "User", {"Username": "p@x.test", "LastName": "P", "Email": "p@x.test", "Alias": "p"}
    )
    assert org.check_password(user, "anything") is False
    org.set_password(user, "s3cret")
    assert org.check_password(user, "s3cret") is True
    assert org.check_password(user, "S3cret") is False
    lead_id = org.create("Lead", LEAD)
    assert _fails(org.set_password, lead_id, "x").error_code == "NOT_FOUND"


def test_predicate_rule_on_unknown_field_or_object(org: Org) -> None:
    err = _fails(org.add_validation_rule, "Lead", "r", "m", lambda r: False, field="Nope")
    assert (err.error_code, err.message) == (
        "INVALID_FIELD",
        "No such column 'Nope' on sobject of type Lead",
    )
    assert _fails(org.add_validation_rule, "Nope", "r", "m", lambda r: False).status == 404
