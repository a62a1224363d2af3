"""Table tests of inbound and outbound planning, named after the rules they check."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace
from datetime import UTC, datetime
from typing import Any

import pytest

from ringsync.domain.phones import try_normalize
from ringsync.errors import ConfigError
from ringsync.mapping.catalog import Direction, FieldMapping, SyncObject, default_mapping
from ringsync.mapping.convert import Conversion, Converted, Failed, Skipped
from ringsync.sync.config import SyncSettings
from ringsync.sync.conflicts import ConflictPolicy, Side
from ringsync.sync.fingerprint import ValueNormalizer, fingerprint
from ringsync.sync.matching import MatchedBy
from ringsync.sync.plan import (
    ConflictFound,
    ContactState,
    Create,
    FollowConversion,
    InboundAction,
    InboundRecord,
    LinkState,
    PlanSettings,
    Skip,
    Unlink,
    Update,
    plan_inbound,
)
from ringsync.sync.plan_outbound import (
    ConvertValue,
    OutboundAction,
    SalesforceWrite,
    WriteOp,
    plan_outbound,
)

T0 = datetime(2026, 3, 1, 12, 0, tzinfo=UTC)
LEAD_ID = "00Q000000000001"
CONTACT_ID = "003000000000001"
MAPPINGS = {obj: default_mapping(obj) for obj in SyncObject}


def _e164(raw: str) -> str | None:
    found = try_normalize(raw)
    return found.e164 if found else None


NORM = ValueNormalizer(phone=_e164)


BASE_SETTINGS = PlanSettings(
    object_mode="both",
    create_direction="inbound",
    update_direction="both",
    priority="Lead",
    mappings=MAPPINGS,
    default_policy="newest_wins",
)


def settings(**overrides: Any) -> PlanSettings:
    """Return plan settings: both objects, Lead priority, two-way updates, by default."""
    return replace(BASE_SETTINGS, **overrides)


def lead(record_id: str = LEAD_ID, **values: object) -> InboundRecord:
    return InboundRecord(SyncObject.LEAD, record_id, {"phone": "(415) 555-0100", **values}, T0)


def contact_record(record_id: str = CONTACT_ID, **values: object) -> InboundRecord:
    return InboundRecord(SyncObject.CONTACT, record_id, {"phone": "415.555.0100", **values}, T0)


def inbound(
    records: list[InboundRecord],
    *,
    links: Sequence[LinkState] = (),
    contacts: Sequence[ContactState] = (),
    deleted: tuple[str, ...] = (),
    **overrides: Any,
) -> list[InboundAction]:
    return plan_inbound(
        records,
        links={link.record_id: link for link in links},
        contacts={c.id: c for c in contacts},
        settings=settings(**overrides),
        normalizer=NORM,
        phone=_e164,
        deleted=deleted,
    )


ADA = ContactState("c1", {"phone": "+14155550100", "first_name": "Ada", "last_name": "Lovelace"})


# ---- inbound ----------------------------------------------------------------------------


def test_new_record_creates_contact_with_inbound_fields_only() -> None:
    record = lead(first_name="Grace", last_name="", total_inbound_calls=7.0, city="Paris")
    actions = inbound([record])
    assert actions == [
        Create(
            LEAD_ID,
            SyncObject.LEAD,
            {"phone": "+14155550100", "first_name": "Grace", "city": "Paris"},
            {"phone": "+14155550100", "first_name": "Grace", "city": "Paris"},
        )
    ]


def test_inbound_creates_are_allowed_whatever_the_create_direction() -> None:
    for direction in ("inbound", "both"):
        assert isinstance(inbound([lead()], create_direction=direction)[0], Create)


def test_record_without_valid_phone_is_skipped() -> None:
    record = InboundRecord(SyncObject.LEAD, LEAD_ID, {"phone": "n/a", "first_name": "Grace"})
    assert inbound([record]) == [Skip("no valid phone number; contact not created", LEAD_ID)]


def test_lead_priority_skips_contact_with_same_phone() -> None:
    actions = inbound([contact_record(), lead()])
    assert actions[0] == Skip(
        f"phone +1******0100 is also Lead {LEAD_ID}; Lead priority", CONTACT_ID
    )
    assert isinstance(actions[1], Create)
    assert actions[1].sobject is SyncObject.LEAD
    assert len(actions) == 2


def test_contact_priority_creates_only_the_contact() -> None:
    actions = inbound([contact_record(), lead()], priority="Contact")
    creates = [a for a in actions if isinstance(a, Create)]
    assert [c.record_id for c in creates] == [CONTACT_ID]


def test_contact_is_skipped_when_its_phone_is_linked_to_a_priority_lead() -> None:
    link = LinkState("c1", SyncObject.LEAD, LEAD_ID, {"phone": "+14155550100"})
    actions = inbound([contact_record()], links=[link], contacts=[ADA])
    assert actions == [
        Skip(f"phone +1******0100 is also Lead {LEAD_ID}; Lead priority", CONTACT_ID, "c1")
    ]


def test_priority_lead_takes_over_a_link_held_by_a_contact() -> None:
    link = LinkState("c1", SyncObject.CONTACT, CONTACT_ID, {"phone": "+14155550100"})
    actions = inbound([lead(first_name="Ada")], links=[link], contacts=[ADA])
    assert len(actions) == 1
    update = actions[0]
    assert isinstance(update, Update)
    assert (update.contact_id, update.record_id, update.replaces) == ("c1", LEAD_ID, CONTACT_ID)
    assert update.matched_by is MatchedBy.PHONE


def test_same_object_already_linked_is_skipped() -> None:
    link = LinkState("c1", SyncObject.LEAD, LEAD_ID, {"phone": "+14155550100"})
    other = lead("00Q000000000002")
    actions = inbound([other], links=[link], contacts=[ADA], object_mode="leads")
    assert actions == [
        Skip(f"phone +1******0100 is also Lead {LEAD_ID}; already linked", other.id, "c1")
    ]


def test_ambiguous_phone_is_skipped_with_reason() -> None:
    twin = ContactState("c2", {"phone": "+1 415 555 0100"})
    actions = inbound([lead()], contacts=[ADA, twin])
    assert actions == [Skip("phone +1******0100 (Phone) matches 2 contacts", LEAD_ID)]


def test_matched_by_phone_links_and_merges_without_base() -> None:
    actions = inbound([lead(first_name="Ada", last_name=None, city="Paris")], contacts=[ADA])
    assert actions == [
        Update(
            "c1",
            LEAD_ID,
            SyncObject.LEAD,
            {"city": "Paris"},
            {"last_name": "Lovelace"},
            {
                "phone": "+14155550100",
                "first_name": "Ada",
                "last_name": "Lovelace",
                "city": "Paris",
            },
            MatchedBy.PHONE,
        )
    ]


def test_linked_record_change_is_taken() -> None:
    base = {"phone": "+14155550100", "first_name": "Ada", "last_name": "Lovelace"}
    link = LinkState("c1", SyncObject.LEAD, LEAD_ID, base)
    actions = inbound([lead(first_name="Augusta", last_name="Lovelace")], links=[link],
                      contacts=[ADA])  # fmt: skip
    assert len(actions) == 1
    update = actions[0]
    assert isinstance(update, Update)
    assert update.to_ringsync == {"first_name": "Augusta"}
    assert update.to_salesforce == {}
    assert update.matched_by is MatchedBy.LINK


def test_inbound_only_update_direction_sends_nothing() -> None:
    base = {"phone": "+14155550100", "first_name": "Ada", "last_name": "Byron"}
    link = LinkState("c1", SyncObject.LEAD, LEAD_ID, base)
    record = lead(first_name="Augusta", last_name="Byron")
    for direction, sent in (("inbound", {}), ("both", {"last_name": "Lovelace"})):
        (update,) = inbound([record], links=[link], contacts=[ADA], update_direction=direction)
        assert isinstance(update, Update)
        assert update.to_salesforce == sent
        assert update.to_ringsync == {"first_name": "Augusta"}


def test_conflict_newest_wins_logs_conflict() -> None:
    base = {"phone": "+14155550100", "first_name": "Augusta", "last_name": "Lovelace"}
    link = LinkState("c1", SyncObject.LEAD, LEAD_ID, base)
    ours = ContactState("c1", {**ADA.values}, {"first_name": datetime(2026, 3, 2, tzinfo=UTC)})
    actions = inbound([lead(first_name="Countess", last_name="Lovelace")], links=[link],
                      contacts=[ours])  # fmt: skip
    conflict = next(a for a in actions if isinstance(a, ConflictFound))
    assert conflict.conflict.field == "first_name"
    assert conflict.conflict.winner is Side.RINGSYNC
    assert conflict.conflict.policy is ConflictPolicy.NEWEST_WINS
    update = next(a for a in actions if isinstance(a, Update))
    assert update.to_salesforce == {"first_name": "Ada"}


def test_unchanged_linked_record_is_skipped() -> None:
    base = {"phone": "+14155550100", "first_name": "Ada", "last_name": "Lovelace"}
    link = LinkState("c1", SyncObject.LEAD, LEAD_ID, base)
    actions = inbound([lead(first_name="Ada", last_name="Lovelace")], links=[link],
                      contacts=[ADA])  # fmt: skip
    assert actions == [Skip("no changes", LEAD_ID, "c1")]


def test_echo_with_same_fingerprint_is_skipped() -> None:
    record = lead(first_name="Changed", last_name="Lovelace")
    seen = fingerprint(record.values, NORM)
    link = LinkState("c1", SyncObject.LEAD, LEAD_ID, {}, seen)
    actions = inbound([record], links=[link], contacts=[ADA])
    assert actions == [Skip("echo: same values as last synced", LEAD_ID, "c1")]


def test_linked_contact_that_no_longer_exists_is_skipped() -> None:
    link = LinkState("gone", SyncObject.LEAD, LEAD_ID, {})
    assert inbound([lead()], links=[link]) == [
        Skip("the linked contact no longer exists", LEAD_ID, "gone")
    ]


def test_deleted_record_unlinks_its_contact() -> None:
    link = LinkState("c1", SyncObject.LEAD, LEAD_ID, {})
    actions = inbound([], links=[link], contacts=[ADA], deleted=(LEAD_ID, "00Q000000000404"))
    assert actions == [
        Unlink(LEAD_ID, "c1", "deleted in Salesforce"),
        Skip("deleted in Salesforce; not linked", "00Q000000000404"),
    ]


def test_deleted_record_in_the_same_batch_is_not_recreated() -> None:
    assert inbound([lead()], deleted=(LEAD_ID,)) == [
        Skip("deleted in Salesforce; not linked", LEAD_ID)
    ]


def test_converted_lead_link_moves_to_its_contact() -> None:
    base = {"phone": "+14155550100", "first_name": "Ada", "last_name": "Lovelace"}
    link = LinkState("c1", SyncObject.LEAD, LEAD_ID, base)
    converted = InboundRecord(
        SyncObject.LEAD, LEAD_ID, {"phone": "+14155550100"}, T0, True, CONTACT_ID
    )
    became = contact_record(first_name="Ada", last_name="King")
    actions = inbound([converted, became], links=[link], contacts=[ADA])
    assert actions[0] == FollowConversion(LEAD_ID, CONTACT_ID, "c1")
    update = actions[1]
    assert isinstance(update, Update)
    assert (update.contact_id, update.record_id, update.matched_by) == (
        "c1", CONTACT_ID, MatchedBy.LINK)  # fmt: skip
    assert update.to_ringsync == {"last_name": "King"}


def test_converted_lead_is_skipped_when_only_leads_sync() -> None:
    converted = InboundRecord(SyncObject.LEAD, LEAD_ID, {"phone": "+14155550100"}, T0, True,
                              CONTACT_ID)  # fmt: skip
    assert inbound([converted], object_mode="leads") == [
        Skip("converted (Contacts are not synced)", LEAD_ID)
    ]


def test_unlinked_converted_lead_leaves_the_contact_to_sync_alone() -> None:
    converted = InboundRecord(SyncObject.LEAD, LEAD_ID, {"phone": "+14155550100"}, T0, True,
                              CONTACT_ID)  # fmt: skip
    assert inbound([converted]) == [
        Skip(f"converted to Contact {CONTACT_ID}; that Contact syncs on its own", LEAD_ID)
    ]


def test_converted_lead_whose_contact_is_linked_elsewhere_is_unlinked() -> None:
    lead_link = LinkState("c1", SyncObject.LEAD, LEAD_ID, {})
    contact_link = LinkState("c2", SyncObject.CONTACT, CONTACT_ID, {})
    converted = InboundRecord(SyncObject.LEAD, LEAD_ID, {"phone": "+14155550100"}, T0, True,
                              CONTACT_ID)  # fmt: skip
    actions = inbound([converted], links=[lead_link, contact_link], contacts=[ADA])
    assert actions == [
        Unlink(LEAD_ID, "c1", f"converted to Contact {CONTACT_ID}, which is already linked")
    ]


# ---- outbound ---------------------------------------------------------------------------

LINK = LinkState(
    "c1", SyncObject.LEAD, LEAD_ID, {"phone": "+14155550100", "first_name": "Augusta",
                                     "last_name": "Lovelace", "total_inbound_calls": 5,
                                     "dnc": True, "owner": "u1"}
)  # fmt: skip


def outbound(
    entries: dict[str, set[str]],
    contacts: list[ContactState],
    *,
    links: Sequence[LinkState] = (),
    user_mapping: dict[str, str] | None = None,
    convert: ConvertValue | None = None,
    **overrides: Any,
) -> list[OutboundAction]:
    return plan_outbound(
        entries,
        contacts={c.id: c for c in contacts},
        links={link.contact_id: link for link in links},
        settings=settings(**overrides),
        normalizer=NORM,
        user_mapping=user_mapping or {"u1": "005000000000001", "u2": "005000000000002"},
        convert=convert,
    )


def test_update_sends_only_changed_mapped_fields() -> None:
    ours = ContactState("c1", {**ADA.values, "city": "London", "company": "Engines"})
    (write,) = outbound({"c1": {"first_name", "company", "not_mapped"}}, [ours], links=[LINK])
    assert write == SalesforceWrite(
        WriteOp.UPDATE,
        SyncObject.LEAD,
        "c1",
        LEAD_ID,
        {"FirstName": "Ada", "Company": "Engines"},
        {"first_name": "Ada", "company": "Engines"},
    )


def test_outbound_inbound_only_update_direction_sends_nothing() -> None:
    actions = outbound({"c1": {"first_name"}}, [ADA], links=[LINK], update_direction="inbound")
    assert actions == [
        Skip("update direction is inbound; nothing sent to Salesforce", LEAD_ID, "c1")
    ]


def test_value_equal_to_base_is_not_sent() -> None:
    actions = outbound({"c1": {"last_name"}}, [ADA], links=[LINK])
    assert actions == [Skip("nothing to send", LEAD_ID, "c1")]


def test_owner_goes_through_the_user_mapping() -> None:
    ours = ContactState("c1", {**ADA.values, "owner": "u2"})
    (write,) = outbound({"c1": {"owner"}}, [ours], links=[LINK])
    assert isinstance(write, SalesforceWrite)
    assert write.payload == {"OwnerId": "005000000000002"}
    assert write.base_update == {"owner": "u2"}


def test_owner_without_user_mapping_is_left_out_with_a_note() -> None:
    ours = ContactState("c1", {**ADA.values, "owner": "u9", "first_name": "Ada"})
    (write,) = outbound({"c1": {"owner", "first_name"}}, [ours], links=[LINK])
    assert isinstance(write, SalesforceWrite)
    assert write.payload == {"FirstName": "Ada"}
    assert write.notes == ("owner: user u9 has no Salesforce user mapping",)


def test_counter_only_goes_up_outbound() -> None:
    lower = ContactState("c1", {**ADA.values, "total_inbound_calls": 4})
    assert outbound({"c1": {"total_inbound_calls"}}, [lower], links=[LINK]) == [
        Skip("nothing to send", LEAD_ID, "c1")
    ]
    higher = ContactState("c1", {**ADA.values, "total_inbound_calls": 6})
    (write,) = outbound({"c1": {"total_inbound_calls"}}, [higher], links=[LINK])
    assert isinstance(write, SalesforceWrite)
    assert write.payload == {"Total_Inbound_Calls__c": 6}


def test_tracking_fields_are_sent_even_with_inbound_mapping_rows() -> None:
    rows = tuple(
        FieldMapping(r.ringsync_property, r.salesforce_field, r.salesforce_label,
                     r.salesforce_type, r.kind, Direction.FROM_SALESFORCE)
        if r.ringsync_property == "total_inbound_calls" else r
        for r in default_mapping(SyncObject.LEAD)
    )  # fmt: skip
    higher = ContactState("c1", {**ADA.values, "total_inbound_calls": 6})
    mappings = {**MAPPINGS, SyncObject.LEAD: rows}
    (write,) = outbound({"c1": {"total_inbound_calls"}}, [higher], links=[LINK], mappings=mappings)
    assert isinstance(write, SalesforceWrite)
    assert write.payload == {"Total_Inbound_Calls__c": 6}


def test_dnc_opt_out_is_sticky_outbound() -> None:
    cleared = ContactState("c1", {**ADA.values, "dnc": False})
    (skip,) = outbound({"c1": {"dnc"}}, [cleared], links=[LINK])
    assert skip == Skip("nothing to send", LEAD_ID, "c1")
    explicit = ContactState("c1", {**ADA.values, "dnc": False}, explicit=frozenset({"dnc"}))
    (write,) = outbound({"c1": {"dnc"}}, [explicit], links=[LINK])
    assert isinstance(write, SalesforceWrite)
    assert write.payload == {"DNC__c": False}


def test_from_salesforce_field_is_not_sent() -> None:
    rows = tuple(
        FieldMapping(r.ringsync_property, r.salesforce_field, r.salesforce_label,
                     r.salesforce_type, r.kind, Direction.FROM_SALESFORCE)
        if r.ringsync_property == "first_name" else r
        for r in default_mapping(SyncObject.LEAD)
    )  # fmt: skip
    (skip,) = outbound({"c1": {"first_name"}}, [ADA], links=[LINK],
                       mappings={**MAPPINGS, SyncObject.LEAD: rows})  # fmt: skip
    assert skip == Skip("nothing to send", LEAD_ID, "c1")


def test_blank_never_overwrites_value_outbound() -> None:
    cleared = ContactState("c1", {**ADA.values, "first_name": " "})
    never = outbound({"c1": {"first_name"}}, [cleared], links=[LINK],
                     policies={"first_name": "never_blank"})  # fmt: skip
    assert never == [Skip("nothing to send", LEAD_ID, "c1")]
    (write,) = outbound({"c1": {"first_name"}}, [cleared], links=[LINK])
    assert isinstance(write, SalesforceWrite)
    assert write.payload == {"FirstName": " "}


def test_link_to_an_object_no_longer_synced_is_skipped() -> None:
    actions = outbound({"c1": {"first_name"}}, [ADA], links=[LINK], object_mode="contacts")
    assert actions == [Skip("Lead is not synced (object mode contacts)", LEAD_ID, "c1")]


def test_missing_contact_is_skipped() -> None:
    assert outbound({"c9": {"first_name"}}, []) == [
        Skip("contact no longer exists", contact_id="c9")
    ]


def test_create_needs_create_direction_both() -> None:
    assert outbound({"c1": {"first_name"}}, [ADA]) == [
        Skip("create direction is inbound; contact not created in Salesforce", contact_id="c1")
    ]


@pytest.mark.parametrize(
    ("mode", "priority", "sobject", "payload"),
    [
        ("both", "Contact", SyncObject.CONTACT,
         {"Phone": "+14155550100", "FirstName": "Ada", "LastName": "Lovelace",
          "MailingCity": "London"}),
        ("both", "Lead", SyncObject.LEAD,
         {"Phone": "+14155550100", "FirstName": "Ada", "LastName": "Lovelace",
          "Company": "Engines", "City": "London"}),
        ("leads", None, SyncObject.LEAD,
         {"Phone": "+14155550100", "FirstName": "Ada", "LastName": "Lovelace",
          "Company": "Engines", "City": "London"}),
    ],
)  # fmt: skip
def test_create_uses_the_priority_object_and_searches_phone_formats(
    mode: str, priority: str | None, sobject: SyncObject, payload: dict[str, object]
) -> None:
    ours = ContactState("c1", {**ADA.values, "city": "London", "company": "Engines"})
    (write,) = outbound({"c1": {"first_name"}}, [ours], create_direction="both",
                        object_mode=mode, priority=priority)  # fmt: skip
    assert isinstance(write, SalesforceWrite)
    assert write.op is WriteOp.CREATE
    assert write.sobject is sobject
    assert write.record_id is None
    assert write.payload == payload
    assert "(415) 555-0100" in write.phone_formats


def test_lead_create_fills_required_fields_but_keeps_them_out_of_the_base() -> None:
    bare = ContactState("c1", {"phone": "+14155550100"})
    (write,) = outbound({"c1": {"phone"}}, [bare], create_direction="both",
                        lead_defaults={"last_name": "Unknown", "company": "Unknown"})  # fmt: skip
    assert isinstance(write, SalesforceWrite)
    assert write.payload == {"Phone": "+14155550100", "LastName": "Unknown", "Company": "Unknown"}
    assert write.base_update == {"phone": "+14155550100"}


def test_create_without_phone_is_skipped() -> None:
    bare = ContactState("c1", {"first_name": "Ada"})
    assert outbound({"c1": {"first_name"}}, [bare], create_direction="both") == [
        Skip("no phone number; contact not created", contact_id="c1")
    ]


def _convert(row: FieldMapping, value: object) -> Conversion:
    if row.salesforce_field == "FirstName":
        return Converted(str(value).upper(), note="FirstName: shouted")
    if row.salesforce_field == "City":
        return Skipped("City: not allowed")
    if row.salesforce_field == "Company":
        return Failed("Company: required")
    return Converted(value)


def test_converter_results_shape_the_payload() -> None:
    ours = ContactState("c1", {**ADA.values, "city": "London"})
    (write,) = outbound({"c1": {"first_name", "city"}}, [ours], links=[LINK], convert=_convert)
    assert isinstance(write, SalesforceWrite)
    assert write.payload == {"FirstName": "ADA"}
    assert write.base_update == {"first_name": "Ada"}
    assert write.notes == ("FirstName: shouted", "City: not allowed")


def test_converter_failure_skips_the_record_with_its_reason() -> None:
    ours = ContactState("c1", {**ADA.values, "company": "Engines"})
    actions = outbound({"c1": {"first_name", "company"}}, [ours], links=[LINK], convert=_convert)
    assert actions == [Skip("Company: required", LEAD_ID, "c1")]


def test_salesforce_phone_reaches_the_contact_as_e164() -> None:
    base = {"phone": "+14155550100", "first_name": "Ada", "last_name": "Lovelace"}
    link = LinkState("c1", SyncObject.LEAD, LEAD_ID, base)
    record = InboundRecord(SyncObject.LEAD, LEAD_ID, {"phone": "(415) 555-0199"}, T0)
    (update,) = inbound([record], links=[link], contacts=[ADA])
    assert isinstance(update, Update)
    assert update.to_ringsync == {"phone": "+14155550199"}


@pytest.mark.parametrize("raw", ["", "call me", None])
def test_blank_or_unreadable_salesforce_phone_is_not_taken(raw: str | None) -> None:
    base = {"phone": "+14155550100", "first_name": "Ada"}
    link = LinkState("c1", SyncObject.LEAD, LEAD_ID, base)
    record = InboundRecord(SyncObject.LEAD, LEAD_ID, {"phone": raw, "first_name": "Ida"}, T0)
    (update,) = inbound([record], links=[link], contacts=[ADA])
    assert isinstance(update, Update)
    assert update.to_ringsync == {"first_name": "Ida"}
    assert update.new_base["phone"] == "+14155550100"


def test_both_objects_without_priority_is_a_config_error() -> None:
    with pytest.raises(ConfigError, match="a priority \\(Lead or Contact\\) is required"):
        inbound([lead()], priority=None)


def test_second_inbound_pass_after_applying_the_first_changes_nothing() -> None:
    base = {"phone": "+14155550100", "first_name": "Augusta", "last_name": "Byron"}
    records = [
        lead(first_name="Augusta", last_name="King", city="London"),
        InboundRecord(SyncObject.LEAD, "00Q000000000002", {"phone": "+1 212 555 0199",
                      "first_name": "Grace", "dnc": True}, T0),
    ]  # fmt: skip
    links = {LEAD_ID: LinkState("c1", SyncObject.LEAD, LEAD_ID, base)}
    contacts = {"c1": ContactState("c1", dict(ADA.values), {"first_name": T0})}
    by_id = {r.id: r for r in records}
    for attempt in range(2):
        actions = plan_inbound(
            list(by_id.values()), links=links, contacts=contacts, settings=settings(),
            normalizer=NORM, phone=_e164,
        )  # fmt: skip
        if attempt == 1:
            assert actions == [
                Skip("no changes", LEAD_ID, "c1"),
                Skip("no changes", "00Q000000000002", "new-00Q000000000002"),
            ]
        for action in actions:
            if isinstance(action, Create):
                new_id = f"new-{action.record_id}"
                contacts[new_id] = ContactState(new_id, dict(action.values))
                links[action.record_id] = LinkState(
                    new_id, action.sobject, action.record_id, action.new_base
                )
            elif isinstance(action, Update):
                old = contacts[action.contact_id]
                contacts[action.contact_id] = ContactState(
                    old.id, {**old.values, **action.to_ringsync}, old.changed_at
                )
                record = by_id[action.record_id]
                by_id[action.record_id] = replace(
                    record, values={**record.values, **action.to_salesforce}
                )
                links[action.record_id] = replace(links[action.record_id], base=action.new_base)
    assert contacts["c1"].values["last_name"] == "King"
    assert contacts["c1"].values["city"] == "London"
    assert by_id[LEAD_ID].values["first_name"] == "Ada"  # only we changed the first name
    assert contacts["new-00Q000000000002"].values["dnc"] is True


def test_plan_settings_come_from_saved_sync_settings() -> None:
    saved = SyncSettings.model_validate(
        {
            "object_mode": "both",
            "priority": "Contact",
            "create_direction": "both",
            "update_direction": "inbound",
            "conflict_policies": {"email": "never_blank"},
        }
    )
    plan = PlanSettings.from_sync_settings(saved)
    assert (plan.object_mode, plan.priority) == ("both", "Contact")
    assert plan.outbound_creates
    assert not plan.outbound_updates
    assert plan.lead_defaults == {"last_name": "Unknown", "company": "Unknown"}
    specs = {s.name: s for s in plan.fields(SyncObject.CONTACT)}
    assert specs["email"].policy is ConflictPolicy.NEVER_BLANK
    assert specs["first_name"].policy is ConflictPolicy.SALESFORCE_WINS
    assert "company" not in specs
