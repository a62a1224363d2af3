"""Mapping rules: every rule with its exact message, legends and the candidate list."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace
from typing import Any

import pytest

from ringsync.errors import Problem, ValidationError
from ringsync.mapping.catalog import (
    PROPERTIES,
    Direction,
    FieldKind,
    FieldMapping,
    PropertyDef,
    SyncObject,
    TooLongPolicy,
    ValueType,
    default_mapping,
)
from ringsync.mapping.rules import (
    DELETABLE,
    LOCKED,
    PROHIBITED,
    add_mapping,
    available_fields,
    change_direction,
    change_field,
    change_policy,
    custom_mapping,
    legend,
    remove_mapping,
    validate_mappings,
)

LEAD = default_mapping(SyncObject.LEAD)


def _row(prop: str, field: str, **kw: Any) -> FieldMapping:
    base = FieldMapping(prop, field, field, "Text(255)", FieldKind.CUSTOM, Direction.BOTH)
    return replace(base, **kw)


def _problems(exc: pytest.ExceptionInfo[ValidationError]) -> list[tuple[str, str, str]]:
    return [(p.field, p.code, p.reason) for p in exc.value.problems]


def test_the_default_mappings_are_valid_against_the_describe(
    lead_describe: dict[str, Any],
) -> None:
    assert validate_mappings(LEAD, lead_describe) == []
    assert validate_mappings(default_mapping(SyncObject.CONTACT)) == []


# --- locked --------------------------------------------------------------------------------


def test_the_locked_row_cannot_be_removed() -> None:
    with pytest.raises(ValidationError, match="Phone cannot be removed") as exc:
        remove_mapping(LEAD, "Phone")
    assert _problems(exc) == [("Phone", "locked", "Phone is locked and cannot be removed")]


@pytest.mark.parametrize("direction", [Direction.TO_SALESFORCE, Direction.FROM_SALESFORCE])
def test_the_locked_row_direction_cannot_change(direction: Direction) -> None:
    with pytest.raises(ValidationError) as exc:
        change_direction(LEAD, "phone", direction)  # API names match in any case
    assert _problems(exc) == [("Phone", "locked", "Phone is locked and cannot be changed")]


def test_the_locked_row_field_cannot_change() -> None:
    with pytest.raises(ValidationError) as exc:
        change_field(LEAD, "Phone", "MobilePhone")
    assert _problems(exc) == [("Phone", "locked", "Phone is locked and cannot be changed")]


def test_a_mapping_without_the_locked_row_is_invalid() -> None:
    rows = tuple(r for r in LEAD if r.kind is not FieldKind.LOCKED)
    assert validate_mappings(rows) == [
        Problem("Phone", "the locked Phone Number <-> Phone mapping is missing", "locked")
    ]


def test_the_locked_field_cannot_be_given_to_another_property() -> None:
    rows = (*LEAD[1:], _row("mobile_phone", "Phone"))
    rows = tuple(r for r in rows if r.salesforce_field != "MobilePhone")
    assert validate_mappings(rows) == [
        Problem("Phone", "the locked Phone Number <-> Phone mapping is missing", "locked")
    ]


def test_an_edited_locked_row_is_invalid() -> None:
    rows = tuple(replace(r, direction=Direction.FROM_SALESFORCE) if r.kind is FieldKind.LOCKED
                 else r for r in LEAD)  # fmt: skip
    assert validate_mappings(rows) == [
        Problem("Phone", "Phone is locked to Phone Number (both ways) and cannot be changed",
                "locked")
    ]  # fmt: skip


def test_no_other_row_can_be_locked() -> None:
    with pytest.raises(ValidationError) as exc:
        add_mapping(LEAD, _row("custom_field_1", "Notes__c", kind=FieldKind.LOCKED))
    # custom_field_1 is already mapped, so both problems come back together
    assert _problems(exc) == [
        ("Notes__c", "locked", "only Phone Number <-> Phone is a locked field"),
        (
            "Notes__c",
            "prohibited",
            "ringsync property custom_field_1 is already mapped to Custom_Field_1__c; "
            "a property cannot be mapped twice",
        ),
    ]


# --- prohibited (mapped twice) ---------------------------------------------------------------


def test_a_salesforce_field_cannot_be_mapped_twice() -> None:
    rows = remove_mapping(LEAD, "Custom_Field_2__c")
    with pytest.raises(ValidationError, match="custom_field_1__C cannot be mapped") as exc:
        add_mapping(rows, _row("custom_field_2", "custom_field_1__C"))
    assert _problems(exc) == [
        (
            "custom_field_1__C",
            "prohibited",
            "Salesforce field Custom_Field_1__c is already mapped to custom_field_1; "
            "a field cannot be mapped twice",
        )
    ]


def test_a_property_cannot_be_mapped_twice() -> None:
    with pytest.raises(ValidationError) as exc:
        add_mapping(LEAD, _row("email", "Notes__c"))
    assert _problems(exc) == [
        (
            "Notes__c",
            "prohibited",
            "ringsync property email is already mapped to Email; a property cannot be mapped twice",
        )
    ]


def test_validate_reports_every_problem_at_once() -> None:
    rows = (*LEAD, _row("email", "Notes__c"), _row("nope", "FirstName"),
            _row("total_inbound_calls", "Calls__c"))  # fmt: skip
    codes = [(p.field, p.code) for p in validate_mappings(rows)]
    assert codes == [
        ("FirstName", "unknown_property"),
        ("Calls__c", "tracking_outbound_only"),
        ("Notes__c", "prohibited"),
        ("FirstName", "prohibited"),
        ("Calls__c", "prohibited"),
    ]


# --- tracking --------------------------------------------------------------------------------


@pytest.mark.parametrize("direction", [Direction.BOTH, Direction.FROM_SALESFORCE])
def test_tracking_fields_are_outbound_only(direction: Direction) -> None:
    with pytest.raises(ValidationError) as exc:
        change_direction(LEAD, "Last_Inbound_Call_Date__c", direction)
    assert _problems(exc) == [
        (
            "Last_Inbound_Call_Date__c",
            "tracking_outbound_only",
            "Last inbound call date is a tracking field and syncs to Salesforce only",
        )
    ]


def test_a_tracking_field_can_be_removed_and_added_back() -> None:
    rows = remove_mapping(LEAD, "Total_Inbound_Calls__c")
    assert "total_inbound_calls" not in {r.ringsync_property for r in rows}
    back = next(r for r in LEAD if r.ringsync_property == "total_inbound_calls")
    assert add_mapping(rows, back)[-1] == back


# --- special owner -----------------------------------------------------------------------------

OWNER_REASON = (
    "Contact Owner maps only to OwnerId (through the user mapping), and OwnerId only to "
    "Contact Owner"
)


def test_owner_maps_only_to_owner_id() -> None:
    rows = remove_mapping(LEAD, "OwnerId")
    with pytest.raises(ValidationError) as exc:
        add_mapping(rows, _row("owner", "Notes__c"))
    assert _problems(exc) == [("Notes__c", "special", OWNER_REASON)]
    with pytest.raises(ValidationError) as exc:
        add_mapping(rows, _row("custom_field_1", "OwnerId"))
    assert ("OwnerId", "special", OWNER_REASON) in _problems(exc)


def test_owner_direction_is_configurable() -> None:
    rows = change_direction(LEAD, "OwnerId", Direction.FROM_SALESFORCE)
    assert next(r for r in rows if r.salesforce_field == "OwnerId").direction is (
        Direction.FROM_SALESFORCE
    )


# --- open and custom fields ----------------------------------------------------------------------


def test_open_fields_can_be_removed_changed_and_redirected(lead_describe: dict[str, Any]) -> None:
    rows = remove_mapping(LEAD, "Company")
    assert len(rows) == len(LEAD) - 1
    rows = change_direction(rows, "FirstName", Direction.FROM_SALESFORCE, lead_describe)
    rows = change_field(rows, "Custom_Field_2__c", "notes__c", lead_describe)
    changed = {r.ringsync_property: r for r in rows}
    assert changed["first_name"].direction is Direction.FROM_SALESFORCE
    assert changed["custom_field_2"].salesforce_field == "Notes__c"  # canonical case from describe
    assert changed["custom_field_2"].salesforce_type == "Text(255)"
    assert validate_mappings(rows, lead_describe) == []
    assert LEAD[4].ringsync_property == "company"  # the input is never changed


def test_a_custom_field_can_be_added_and_removed(lead_describe: dict[str, Any]) -> None:
    rows = remove_mapping(LEAD, "Custom_Field_1__c")
    score = next(f for f in lead_describe["fields"] if f["name"] == "Notes__c")
    row = custom_mapping("custom_field_1", score)
    assert row == FieldMapping(
        "custom_field_1", "Notes__c", "Notes__c", "Text(255)", FieldKind.CUSTOM, Direction.BOTH,
        TooLongPolicy.TRUNCATE, "Custom Field 1",
    )  # fmt: skip
    added = add_mapping(rows, row, lead_describe)
    assert added[-1] == row
    assert remove_mapping(added, "NOTES__C") == rows


def test_custom_properties_can_be_registered() -> None:
    props = dict(PROPERTIES) | {"vip": PropertyDef("vip", "VIP", ValueType.BOOL, standard=False)}
    rows = add_mapping(LEAD, _row("vip", "Vip__c"), properties=props)
    assert rows[-1].ringsync_property == "vip"
    with pytest.raises(ValidationError, match="Vip__c cannot be mapped") as exc:
        add_mapping(LEAD, _row("vip", "Vip__c"))
    assert _problems(exc) == [("Vip__c", "unknown_property", "unknown ringsync property 'vip'")]


def test_a_blank_salesforce_field_is_refused() -> None:
    rows = remove_mapping(LEAD, "Custom_Field_1__c")
    with pytest.raises(ValidationError) as exc:
        add_mapping(rows, _row("custom_field_1", " "))
    assert _problems(exc) == [(" ", "required", "a Salesforce field is required")]


def test_changing_an_unmapped_field_says_it_is_not_mapped() -> None:
    operations: list[Callable[[], object]] = [
        lambda: remove_mapping(LEAD, "Nope__c"),
        lambda: change_direction(LEAD, "Nope__c", Direction.BOTH),
        lambda: change_field(LEAD, "Nope__c", "Notes__c"),
        lambda: change_policy(LEAD, "Nope__c", TooLongPolicy.SKIP_FIELD),
    ]
    for operation in operations:
        with pytest.raises(ValidationError) as exc:
            operation()
        assert _problems(exc) == [("Nope__c", "not_found", "Nope__c is not mapped")]


def test_change_policy_sets_the_refusal_policy() -> None:
    rows = change_policy(LEAD, "FirstName", TooLongPolicy.FAIL_RECORD)
    assert rows[2].too_long is TooLongPolicy.FAIL_RECORD
    assert LEAD[2].too_long is TooLongPolicy.TRUNCATE


# --- against the describe -------------------------------------------------------------------------


def test_a_field_missing_from_the_org_is_reported(lead_describe: dict[str, Any]) -> None:
    rows = remove_mapping(LEAD, "Custom_Field_1__c")
    with pytest.raises(ValidationError) as exc:
        add_mapping(rows, _row("custom_field_1", "Gone__c"), lead_describe)
    assert _problems(exc) == [
        ("Gone__c", "unknown_field", "Salesforce has no field Gone__c on this object")
    ]


@pytest.mark.parametrize(
    ("prop", "field", "direction", "reason"),
    [
        ("dnc", "Score__c", Direction.BOTH,
         "Salesforce field Score__c is a double field and cannot sync both with DNC (bool)"),
        ("first_name", "TCPA_Approved__c", Direction.TO_SALESFORCE,
         "Salesforce field TCPA_Approved__c is a boolean field and cannot sync to_salesforce "
         "with First Name (text)"),
        ("last_engagement_at", "Last_Inbound_Call_Date__c", Direction.FROM_SALESFORCE,
         "Salesforce field Last_Inbound_Call_Date__c is a date field and cannot sync "
         "from_salesforce with Last inbound and outbound engagement (datetime)"),
        ("custom_field_1", "OwnerId", Direction.BOTH,
         "Salesforce field OwnerId is a reference field and cannot sync both with Custom Field 1 "
         "(text)"),
    ],
)  # fmt: skip
def test_incompatible_types_are_reported(
    lead_describe: dict[str, Any], prop: str, field: str, direction: Direction, reason: str
) -> None:
    rows = tuple(r for r in LEAD if r.ringsync_property != prop and r.salesforce_field != field)
    row = _row(prop, field, direction=direction)
    problems = validate_mappings((*rows, row), lead_describe)
    assert Problem(field, reason, "incompatible_type") in problems


def test_a_read_only_field_cannot_be_written(lead_describe: dict[str, Any]) -> None:
    rows = remove_mapping(LEAD, "Custom_Field_1__c")
    reason = "Salesforce field Formula__c is read-only; map it from Salesforce only"
    with pytest.raises(ValidationError) as exc:
        add_mapping(rows, _row("custom_field_1", "Formula__c"), lead_describe)
    assert _problems(exc) == [("Formula__c", "not_writable", reason)]
    inbound = _row("custom_field_1", "Formula__c", direction=Direction.FROM_SALESFORCE)
    assert add_mapping(rows, inbound, lead_describe)[-1] == inbound


def test_a_direction_change_is_checked_against_the_describe(
    lead_describe: dict[str, Any],
) -> None:
    rows = remove_mapping(LEAD, "Custom_Field_1__c")
    rows = add_mapping(
        rows,
        _row("custom_field_1", "Formula__c", direction=Direction.FROM_SALESFORCE),
        lead_describe,
    )
    with pytest.raises(ValidationError) as exc:
        change_direction(rows, "Formula__c", Direction.BOTH, lead_describe)
    assert [p.code for p in exc.value.problems] == ["not_writable"]


# --- legends and candidates -----------------------------------------------------------------------


def test_legends_of_mapped_rows() -> None:
    assert legend(LEAD[0], LEAD) == {LOCKED}
    assert all(legend(r, LEAD) == {DELETABLE} for r in LEAD[1:])


def test_legends_of_candidates() -> None:
    assert legend(_row("custom_field_1", "Notes__c"), LEAD) == {PROHIBITED}  # property taken
    assert legend(_row("vip", "email"), LEAD) == {PROHIBITED}  # field taken (any case)
    assert legend(_row("vip", "Notes__c"), LEAD) == set()


def test_available_fields_flags_mapped_ones(lead_describe: dict[str, Any]) -> None:
    candidates = {c.name: c for c in available_fields(lead_describe, LEAD)}
    assert "Id" not in candidates  # ids and compound addresses are never offered
    assert "Address" not in candidates
    assert candidates["Email"].prohibited
    assert candidates["Email"].mapped_to == "email"
    assert candidates["Email"].legends == {PROHIBITED}
    assert not candidates["Notes__c"].prohibited
    assert candidates["Notes__c"].legends == set()
    assert candidates["Formula__c"].writable is False
    labels = [c.label.lower() for c in available_fields(lead_describe, LEAD)]
    assert labels == sorted(labels)


def test_available_fields_accepts_a_bare_field_list(lead_describe: dict[str, Any]) -> None:
    assert available_fields(lead_describe["fields"], LEAD) == available_fields(lead_describe, LEAD)
