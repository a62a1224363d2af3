import json
from pathlib import Path

import pytest

from ringsync.clock import FrozenClock
from ringsync.domain.accounts import create_account
from ringsync.domain.sync_settings import (
    EXPORT_FORMAT,
    FieldDiff,
    active_settings,
    compare_versions,
    discard_draft,
    edit_draft,
    export_document,
    export_to_file,
    get_draft,
    import_document,
    import_file,
    list_versions,
    restore_version,
    save_draft,
    version_data,
)
from ringsync.errors import NotFoundError, ValidationError
from ringsync.mapping.catalog import SyncObject
from ringsync.store.db import Database
from ringsync.sync.config import (
    ConflictPolicy,
    ObjectMode,
    SyncDirection,
    SyncSettings,
    default_settings,
    settings_problems,
)

ADMIN = "admin@example.com"


def test_defaults_are_valid_and_follow_the_seed() -> None:
    settings = default_settings()
    assert settings_problems(settings.as_data()) == (settings, [])
    assert settings.object_mode is ObjectMode.LEADS
    assert settings.create_direction is SyncDirection.INBOUND  # creating in Salesforce: opt-in
    assert settings.update_direction is SyncDirection.BOTH
    assert settings.mappings_for(SyncObject.LEAD)[0].salesforce_field == "Phone"
    assert settings.objects() == (SyncObject.LEAD,)
    assert settings.policy_for("email") is ConflictPolicy.SALESFORCE_WINS


def test_validation_reports_every_problem_at_once() -> None:
    data = default_settings().as_data()
    data.update(
        object_mode="both",
        poll_interval_seconds=10,
        phone_region="ZZ",
        create_direction="sideways",
        conflict_policies={"nickname": "ringsync_wins", "total_inbound_calls": "never_blank"},
        lead_mappings=data["lead_mappings"][1:],  # drops the locked Phone row
        lrn_price_per_lookup="-1",
        surprise=True,
    )
    settings, problems = settings_problems(data)
    assert settings is None
    assert {(p.field, p.code) for p in problems} == {
        ("poll_interval_seconds", "greater_than_equal"),
        ("create_direction", "enum"),
        ("lrn_price_per_lookup", "greater_than_equal"),
        ("surprise", "extra_forbidden"),
        ("priority", "required"),
        ("phone_region", "bad_region"),
        ("conflict_policies.nickname", "unknown"),
        ("conflict_policies.total_inbound_calls", "tracking"),
        ("lead_mappings.Phone", "locked"),
    }
    assert "priority: choose Lead or Contact when both objects sync" in [p.reason for p in problems]


def test_bad_mapping_rows_are_named_by_position() -> None:
    data = default_settings().as_data()
    data["contact_mappings"] = [*data["contact_mappings"], {"ringsync_property": "x"}]
    _, problems = settings_problems(data)
    index = len(data["contact_mappings"]) - 1
    assert [p.field for p in problems] == [f"contact_mappings.{index}"]


def test_both_objects_put_the_priority_first() -> None:
    settings = SyncSettings(object_mode=ObjectMode.BOTH, priority=SyncObject.CONTACT)
    assert settings.objects() == (SyncObject.CONTACT, SyncObject.LEAD)


def test_a_draft_is_never_applied_until_saved(
    database: Database, account_id: int, clock: FrozenClock
) -> None:
    with database.write() as s:
        state = edit_draft(s, account_id, {"poll_interval_seconds": 60}, edited_by=ADMIN)
        assert state.unsaved_changes
        assert state.problems == ()
        assert active_settings(s, account_id).poll_interval_seconds == 300
        version = save_draft(s, account_id, saved_by=ADMIN, clock=clock)
    assert (version.number, version.saved_by, version.saved_at) == (1, ADMIN, clock.now())
    with database.read() as s:
        assert active_settings(s, account_id).poll_interval_seconds == 60
        assert not get_draft(s, account_id).unsaved_changes


def test_an_invalid_draft_is_kept_but_cannot_be_saved(database: Database, account_id: int) -> None:
    with database.write() as s:
        state = edit_draft(
            s, account_id, {"object_mode": "both", "poll_interval_seconds": 1}, edited_by=ADMIN
        )
    assert {p.field for p in state.problems} == {"priority", "poll_interval_seconds"}
    with database.write() as s, pytest.raises(ValidationError) as caught:
        save_draft(s, account_id, saved_by=ADMIN)
    assert str(caught.value) == "the settings have 2 problem(s); nothing was saved"
    with database.write() as s:
        assert list_versions(s, account_id) == []
        assert get_draft(s, account_id).data["poll_interval_seconds"] == 1  # still there to fix
        discard_draft(s, account_id)
        assert not get_draft(s, account_id).unsaved_changes


def test_versions_compare_and_restore(
    database: Database, account_id: int, clock: FrozenClock
) -> None:
    with database.write() as s:
        save_draft(s, account_id, saved_by=ADMIN, clock=clock)
        clock.advance(60)
        lead = default_settings().as_data()["lead_mappings"]
        lead[2] = {**lead[2], "direction": "from_salesforce"}
        edit_draft(
            s,
            account_id,
            {"object_mode": "both", "priority": "Contact", "lead_mappings": lead},
            edited_by="other@example.com",
        )
        save_draft(s, account_id, saved_by="other@example.com", clock=clock)
    with database.read() as s:
        diffs = compare_versions(s, account_id, 1, 2)
    assert diffs == [
        FieldDiff(
            "lead_mappings[FirstName]",
            lead[2] | {"direction": "both"},
            lead[2],
        ),
        FieldDiff("object_mode", "leads", "both"),
        FieldDiff("priority", None, "Contact"),
    ]
    with database.write() as s:
        restored = restore_version(s, account_id, 1, restored_by=ADMIN, clock=clock)
        assert restored.number == 3
        assert version_data(s, account_id, 3) == version_data(s, account_id, 1)
        assert [v.number for v in list_versions(s, account_id)] == [3, 2, 1]
        assert active_settings(s, account_id).object_mode is ObjectMode.LEADS
    with database.read() as s, pytest.raises(NotFoundError, match="version 9 does not exist"):
        restore_version(s, account_id, 9, restored_by=ADMIN)


def test_export_then_import_round_trips_into_a_draft(
    database: Database, account_id: int, clock: FrozenClock, tmp_path: Path
) -> None:
    with database.write() as s:
        edit_draft(s, account_id, {"poll_interval_seconds": 120}, edited_by=ADMIN)
        save_draft(s, account_id, saved_by=ADMIN)
        path = export_to_file(s, account_id, tmp_path / "settings.json", clock=clock)
    document = json.loads(path.read_text())
    assert (document["format"], document["format_version"]) == (EXPORT_FORMAT, 1)
    assert document["settings"]["poll_interval_seconds"] == 120
    with database.write() as s:
        other_account = create_account(s, "Imported").id
        state = import_file(s, other_account, path, imported_by=ADMIN)
        assert state.unsaved_changes
        assert state.problems == ()
        assert active_settings(s, other_account).poll_interval_seconds == 300  # not applied
        save_draft(s, other_account, saved_by=ADMIN)
        assert active_settings(s, other_account) == active_settings(s, account_id)


def test_import_reports_all_problems_and_only_makes_a_draft(
    database: Database, account_id: int
) -> None:
    with database.read() as s:
        document = export_document(s, account_id)
    document["settings"]["poll_interval_seconds"] = 5
    document["settings"]["object_mode"] = "everything"
    with database.write() as s:
        state = import_document(s, account_id, document, imported_by=ADMIN)
        assert {p.field for p in state.problems} == {"poll_interval_seconds", "object_mode"}
        assert list_versions(s, account_id) == []


@pytest.mark.parametrize(
    ("document", "fields"),
    [
        ([1, 2], {"document"}),
        ({"format": "other", "format_version": 1, "settings": {}}, {"format"}),
        ({"format": EXPORT_FORMAT, "format_version": 99, "settings": {}}, {"format_version"}),
        ({"format": EXPORT_FORMAT, "format_version": 1, "settings": "x"}, {"settings"}),
    ],
)
def test_foreign_files_are_refused_without_touching_the_draft(
    database: Database, account_id: int, document: object, fields: set[str]
) -> None:
    with database.write() as s, pytest.raises(ValidationError) as caught:
        import_document(s, account_id, document, imported_by=ADMIN)
    assert {p.field for p in caught.value.problems} == fields
    with database.read() as s:
        assert not get_draft(s, account_id).unsaved_changes


def test_a_file_that_is_not_json_is_refused(
    database: Database, account_id: int, tmp_path: Path
) -> None:
    path = tmp_path / "broken.json"
    path.write_text("{not json")
    with database.write() as s, pytest.raises(ValidationError, match="not valid JSON"):
        import_file(s, account_id, path, imported_by=ADMIN)
