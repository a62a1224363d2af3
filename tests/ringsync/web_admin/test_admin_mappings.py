"""Field mappings through the admin API: legends, candidates, prohibited and locked refusals."""

from __future__ import annotations

from typing import Any

M = "/api/v1/admin/mappings"


def rows_by_property(view: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {row["ringsync_property"]: row for row in view["rows"]}


def test_rows_carry_their_legend_and_candidates_wait_for_a_connection(world: Any) -> None:
    view = world.admin.client.get(f"{M}/lead").json()
    rows = rows_by_property(view)
    assert view["object"] == "Lead"
    assert rows["phone"]["legend"] == ["locked"]
    assert rows["email"]["legend"] == ["deletable"]
    assert rows["total_inbound_calls"]["direction"] == "to_salesforce"
    assert view["connected"] is False
    assert view["candidates"] is None
    assert "connect Salesforce" in view["candidates_note"]
    contact = world.admin.client.get(f"{M}/contact").json()
    assert contact["object"] == "Contact"
    assert rows_by_property(contact)["city"]["salesforce_field"] == "MailingCity"


def test_connected_candidates_come_from_the_describe_with_prohibited_flags(
    connected: Any,
) -> None:
    view = connected.admin.client.get(f"{M}/lead").json()
    assert view["connected"] is True
    candidates = {c["name"]: c for c in view["candidates"]}
    assert candidates["Phone"]["prohibited"] is True
    assert candidates["Phone"]["legend"] == ["prohibited"]
    assert candidates["Phone"]["mapped_to"] == "phone"
    assert candidates["Title"]["prohibited"] is False
    assert candidates["Title"]["legend"] == []
    assert "Id" not in candidates  # ids cannot be mapped


def test_mapping_an_already_mapped_field_is_prohibited(world: Any, expect_error: Any) -> None:
    response = world.admin.call(
        "POST", f"{M}/lead", json={"ringsync_property": "fax", "salesforce_field": "phone"}
    )
    error = expect_error(response, 422, "validation_error")
    assert error["message"].startswith("prohibited: ")
    assert "cannot be mapped twice" in error["message"]
    assert "prohibited" in {d["code"] for d in error["details"]}


def test_the_locked_row_cannot_be_removed_or_changed(world: Any, expect_error: Any) -> None:
    admin = world.admin
    removed = expect_error(admin.call("DELETE", f"{M}/lead/phone"), 422, "validation_error")
    assert removed["details"][0]["code"] == "locked"
    changed = admin.call("PATCH", f"{M}/lead/Phone", json={"direction": "from_salesforce"})
    assert expect_error(changed, 422, "validation_error")["details"][0]["code"] == "locked"


def test_edits_change_the_draft_only_until_saved(world: Any) -> None:
    admin = world.admin
    removed = admin.call("DELETE", f"{M}/lead/fax")
    assert removed.status_code == 200, removed.text
    assert "fax" not in rows_by_property(removed.json())
    assert removed.json()["unsaved_changes"] is True
    assert admin.client.get("/api/v1/admin/settings/versions").json() == {"items": []}
    added = admin.call(
        "POST",
        f"{M}/lead",
        json={"ringsync_property": "fax", "salesforce_field": "Fax", "direction": "to_salesforce"},
    )
    assert added.status_code == 201, added.text
    assert rows_by_property(added.json())["fax"]["direction"] == "to_salesforce"
    changed = admin.call(
        "PATCH", f"{M}/lead/email", json={"direction": "from_salesforce", "too_long": "skip_field"}
    )
    assert changed.status_code == 200, changed.text
    email = rows_by_property(changed.json())["email"]
    assert (email["direction"], email["too_long"]) == ("from_salesforce", "skip_field")
    saved = admin.call("POST", "/api/v1/admin/settings/save").json()
    paths = {c["path"] for c in saved["changes"]}
    assert {"lead_mappings[Email]", "lead_mappings[Fax]"} <= paths


def test_a_connected_add_takes_the_label_and_type_from_the_describe(connected: Any) -> None:
    admin = connected.admin
    assert admin.call("DELETE", f"{M}/lead/website").status_code == 200
    added = admin.call(
        "POST", f"{M}/lead", json={"ringsync_property": "website", "salesforce_field": "website"}
    )
    assert added.status_code == 201, added.text
    row = rows_by_property(added.json())["website"]
    assert (row["salesforce_field"], row["salesforce_type"]) == ("Website", "URL(255)")


def test_an_incompatible_field_type_is_refused_when_connected(
    connected: Any, expect_error: Any
) -> None:
    admin = connected.admin
    assert admin.call("DELETE", f"{M}/lead/dnc").status_code == 200
    response = admin.call(
        "POST", f"{M}/lead", json={"ringsync_property": "dnc", "salesforce_field": "Email"}
    )
    error = expect_error(response, 422, "validation_error")
    assert "prohibited" in {d["code"] for d in error["details"]}
    response = admin.call(
        "POST",
        f"{M}/lead",
        json={"ringsync_property": "dnc", "salesforce_field": "EmailBouncedDate"},
    )
    error = expect_error(response, 422, "validation_error")
    assert {d["code"] for d in error["details"]} == {"incompatible_type"}


def test_unknown_objects_rows_and_empty_changes(world: Any, expect_error: Any) -> None:
    admin = world.admin
    expect_error(admin.client.get(f"{M}/account"), 422, "validation_error")
    expect_error(admin.call("DELETE", f"{M}/lead/nothing_here"), 404, "not_found")
    empty = expect_error(admin.call("PATCH", f"{M}/lead/email", json={}), 422, "validation_error")
    assert empty["details"][0]["field"] == "body"
    bad = admin.call("PATCH", f"{M}/lead/email", json={"direction": "sideways"})
    assert expect_error(bad, 422, "validation_error")["details"][0]["field"] == "direction"


def test_a_draft_whose_rows_cannot_be_read_says_how_to_fix_it(
    world: Any, expect_error: Any
) -> None:
    admin = world.admin
    put = admin.call(
        "PUT", "/api/v1/admin/settings/draft", json={"lead_mappings": [{"kind": "odd"}, 3]}
    )
    assert put.status_code == 200, put.text
    error = expect_error(admin.client.get(f"{M}/lead"), 422, "validation_error")
    assert "PUT /settings/draft" in error["message"]
    assert [d["field"] for d in error["details"]] == ["lead_mappings.0", "lead_mappings.1"]
    assert admin.client.get(f"{M}/contact").status_code == 200
