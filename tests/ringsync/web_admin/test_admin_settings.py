"""Settings through the admin API: draft, every problem at once, explicit save, versions, files."""

from __future__ import annotations

from typing import Any

S = "/api/v1/admin/settings"


def put(admin: Any, changes: dict[str, Any]) -> dict[str, Any]:
    response = admin.call("PUT", f"{S}/draft", json=changes)
    assert response.status_code == 200, response.text
    body: dict[str, Any] = response.json()
    return body


def save(admin: Any) -> dict[str, Any]:
    response = admin.call("POST", f"{S}/save")
    assert response.status_code == 200, response.text
    body: dict[str, Any] = response.json()
    return body


def test_a_new_account_starts_from_valid_defaults_with_nothing_unsaved(world: Any) -> None:
    draft = world.admin.client.get(f"{S}/draft").json()
    assert draft["valid"] is True
    assert draft["problems"] == []
    assert draft["unsaved_changes"] is False
    assert draft["based_on"] is None
    assert draft["data"]["object_mode"] == "leads"
    assert world.admin.client.get(f"{S}/versions").json() == {"items": []}


def test_an_edit_stays_in_the_draft_until_saved_and_save_returns_what_changed(
    world: Any,
) -> None:
    admin = world.admin
    draft = put(admin, {"object_mode": "both"})
    assert draft["unsaved_changes"] is True
    assert [p["field"] for p in draft["problems"]] == ["priority"]
    assert admin.client.get(f"{S}/versions").json() == {"items": []}
    put(admin, {"priority": "Lead"})
    saved = save(admin)
    assert saved["version"]["number"] == 1
    assert saved["version"]["saved_by"] == admin.email
    assert saved["previous"] is None
    changes = {c["path"]: (c["before"], c["after"]) for c in saved["changes"]}
    assert changes == {"object_mode": ("leads", "both"), "priority": (None, "Lead")}
    after = admin.client.get(f"{S}/draft").json()
    assert after["unsaved_changes"] is False
    assert after["based_on"] == 1


def test_validate_and_save_list_every_problem_and_save_nothing(
    world: Any, expect_error: Any
) -> None:
    admin = world.admin
    put(admin, {"poll_interval_seconds": 5, "phone_region": "ZZ", "object_mode": "all"})
    checked = admin.call("POST", f"{S}/validate").json()
    assert checked["valid"] is False
    fields = {p["field"] for p in checked["problems"]}
    assert {"poll_interval_seconds", "phone_region", "object_mode"} <= fields
    error = expect_error(admin.call("POST", f"{S}/save"), 422, "validation_error")
    assert {d["field"] for d in error["details"]} == fields
    assert "nothing was saved" in error["message"]
    assert admin.client.get(f"{S}/versions").json() == {"items": []}


def test_versions_compare_and_restore_keep_history(world: Any, expect_error: Any) -> None:
    admin = world.admin
    put(admin, {"poll_interval_seconds": 600})
    save(admin)
    put(admin, {"poll_interval_seconds": 900})
    second = save(admin)
    assert second["previous"] == 1
    compared = admin.client.get(f"{S}/compare?a=1&b=2").json()
    assert compared["changes"] == [{"path": "poll_interval_seconds", "before": 600, "after": 900}]
    restored = admin.call("POST", f"{S}/versions/1/restore")
    assert restored.status_code == 200, restored.text
    assert restored.json()["version"]["number"] == 3
    assert restored.json()["changes"] == [
        {"path": "poll_interval_seconds", "before": 900, "after": 600}
    ]
    listed = admin.client.get(f"{S}/versions").json()["items"]
    assert [v["number"] for v in listed] == [3, 2, 1]
    detail = admin.client.get(f"{S}/versions/3").json()
    assert detail["data"]["poll_interval_seconds"] == 600
    expect_error(admin.client.get(f"{S}/versions/99"), 404, "not_found")
    expect_error(admin.client.get(f"{S}/compare?a=1&b=99"), 404, "not_found")
    expect_error(admin.call("POST", f"{S}/versions/99/restore"), 404, "not_found")


def test_export_downloads_a_file_that_import_turns_into_a_draft(world: Any) -> None:
    admin = world.admin
    put(admin, {"poll_interval_seconds": 1200})
    save(admin)
    exported = admin.client.get(f"{S}/export")
    assert exported.status_code == 200
    assert exported.headers["content-disposition"] == (
        'attachment; filename="ringsync-settings-v1.json"'
    )
    document = exported.json()
    assert document["format"] == "ringsync.sync-settings"
    assert document["settings"]["poll_interval_seconds"] == 1200
    other = world.other_admin
    imported = other.call("POST", f"{S}/import", json=document)
    assert imported.status_code == 200, imported.text
    assert imported.json()["data"]["poll_interval_seconds"] == 1200
    assert imported.json()["unsaved_changes"] is True
    assert other.client.get(f"{S}/versions").json() == {"items": []}


def test_import_of_a_file_with_bad_settings_makes_a_draft_listing_them(world: Any) -> None:
    document = {
        "format": "ringsync.sync-settings",
        "format_version": 1,
        "settings": {"object_mode": "both", "poll_interval_seconds": 1},
    }
    imported = world.admin.call("POST", f"{S}/import", json=document).json()
    assert imported["valid"] is False
    assert {"priority", "poll_interval_seconds"} <= {p["field"] for p in imported["problems"]}


def test_import_of_something_that_is_not_an_export_is_refused_with_every_reason(
    world: Any, expect_error: Any
) -> None:
    response = world.admin.call("POST", f"{S}/import", json={"format": "other", "settings": 3})
    error = expect_error(response, 422, "validation_error")
    assert {d["field"] for d in error["details"]} == {"format", "format_version", "settings"}
    assert world.admin.client.get(f"{S}/draft").json()["unsaved_changes"] is False


def test_bad_query_values_are_listed_in_the_error_shape(world: Any, expect_error: Any) -> None:
    error = expect_error(world.admin.client.get(f"{S}/compare?a=x"), 422, "validation_error")
    assert {d["field"] for d in error["details"]} == {"a", "b"}


def test_numbers_the_store_cannot_keep_are_refused_not_crashed_on(
    world: Any, expect_error: Any
) -> None:
    response = world.admin.call("PUT", f"{S}/draft", json={"poll_interval_seconds": 2**70})
    error = expect_error(response, 422, "validation_error")
    assert error["details"][0]["code"] == "bad_json"
    assert world.admin.client.get(f"{S}/draft").json()["unsaved_changes"] is False
