"""Table tests of the three-way merge rules, one test per rule."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from ringsync.domain.phones import try_normalize
from ringsync.mapping.catalog import Direction, SyncObject, default_mapping
from ringsync.sync.conflicts import Conflict, ConflictPolicy, Side, policy_for
from ringsync.sync.fingerprint import ValueNormalizer
from ringsync.sync.merge import (
    FieldRule,
    MergeField,
    MergeResult,
    OursSide,
    TheirsSide,
    fields_from_mapping,
    merge,
    rule_for,
)

T0 = datetime(2026, 3, 1, 12, 0, tzinfo=UTC)
EARLIER = T0 - timedelta(hours=1)
LATER = T0 + timedelta(hours=1)


def _e164(raw: str) -> str | None:
    found = try_normalize(raw)
    return found.e164 if found else None


NORM = ValueNormalizer(phone=_e164)


def run(
    field: MergeField,
    *,
    base: object = None,
    ours: object = None,
    theirs: object = None,
    has_base: bool = True,
    ours_at: datetime | None = None,
    theirs_at: datetime | None = None,
    explicit: bool = False,
    outbound: bool = True,
) -> MergeResult:
    """Merge one field with the given values."""
    name = field.name
    return merge(
        {name: base} if has_base else None,
        OursSide(
            {name: ours},
            {name: ours_at} if ours_at else {},
            frozenset({name}) if explicit else frozenset(),
        ),
        TheirsSide({name: theirs}, theirs_at),
        [field],
        outbound_updates=outbound,
        normalizer=NORM,
    )


PLAIN = MergeField("first_name")


def test_equal_to_base_is_echo() -> None:
    result = run(PLAIN, base="Ada", ours="Ada", theirs="Ada")
    assert result.echoes == {"first_name"}
    assert not result.changes_anything
    assert result.conflicts == []
    assert result.new_base == {"first_name": "Ada"}


def test_echo_of_our_own_write_after_normalization_changes_nothing() -> None:
    result = run(MergeField("phone"), base="+14155550100", ours="+14155550100",
                 theirs="(415) 555-0100")  # fmt: skip
    assert result.echoes == {"phone"}
    assert not result.changes_anything


def test_only_salesforce_changed_is_taken() -> None:
    result = run(PLAIN, base="Ada", ours="Ada", theirs="Grace")
    assert result.to_ringsync == {"first_name": "Grace"}
    assert result.to_salesforce == {}
    assert result.echoes == set()
    assert result.new_base == {"first_name": "Grace"}


def test_only_ringsync_changed_is_sent_when_update_direction_both() -> None:
    result = run(PLAIN, base="Ada", ours="Grace", theirs="Ada")
    assert result.to_salesforce == {"first_name": "Grace"}
    assert result.to_ringsync == {}
    assert result.new_base == {"first_name": "Grace"}


def test_inbound_only_update_direction_sends_nothing() -> None:
    result = run(PLAIN, base="Ada", ours="Grace", theirs="Ada", outbound=False)
    assert result.to_salesforce == {}
    assert result.to_ringsync == {}
    # The base stays at Salesforce's value, so the change is still pending if the setting flips.
    assert result.new_base == {"first_name": "Ada"}


def test_inbound_only_update_direction_still_takes_salesforce_changes() -> None:
    result = run(PLAIN, base="Ada", ours="Ada", theirs="Grace", outbound=False)
    assert result.to_ringsync == {"first_name": "Grace"}
    assert result.to_salesforce == {}


def test_from_salesforce_field_is_never_sent() -> None:
    field = MergeField("city", Direction.FROM_SALESFORCE)
    result = run(field, base="Paris", ours="Lyon", theirs="Paris")
    assert result.to_salesforce == {}
    assert result.to_ringsync == {}
    assert result.new_base == {"city": "Paris"}


def test_from_salesforce_field_overrides_our_change_when_salesforce_changes() -> None:
    field = MergeField("city", Direction.FROM_SALESFORCE)
    result = run(field, base="Paris", ours="Lyon", theirs="Nice")
    assert result.to_ringsync == {"city": "Nice"}
    assert result.conflicts == []


def test_to_salesforce_field_is_never_taken() -> None:
    field = MergeField("custom_field_1", Direction.TO_SALESFORCE)
    result = run(field, base="a", ours="a", theirs="edited in Salesforce")
    assert result.to_ringsync == {}
    assert result.to_salesforce == {}
    assert result.new_base == {"custom_field_1": "a"}


def test_to_salesforce_field_sends_our_change() -> None:
    field = MergeField("custom_field_1", Direction.TO_SALESFORCE)
    result = run(field, base="a", ours="b", theirs="edited in Salesforce")
    assert result.to_salesforce == {"custom_field_1": "b"}
    assert result.conflicts == []


@pytest.mark.parametrize(
    ("ours_at", "theirs_at", "winner", "to_ringsync", "to_salesforce"),
    [
        (LATER, T0, Side.RINGSYNC, {}, {"first_name": "Grace"}),
        (EARLIER, T0, Side.SALESFORCE, {"first_name": "Linus"}, {}),
        (T0, T0, Side.SALESFORCE, {"first_name": "Linus"}, {}),
        (None, T0, Side.SALESFORCE, {"first_name": "Linus"}, {}),
    ],
)
def test_conflict_newest_wins_logs_conflict(
    ours_at: datetime | None,
    theirs_at: datetime,
    winner: Side,
    to_ringsync: dict[str, object],
    to_salesforce: dict[str, object],
) -> None:
    result = run(PLAIN, base="Ada", ours="Grace", theirs="Linus", ours_at=ours_at,
                 theirs_at=theirs_at)  # fmt: skip
    assert result.to_ringsync == to_ringsync
    assert result.to_salesforce == to_salesforce
    assert len(result.conflicts) == 1
    conflict = result.conflicts[0]
    assert (conflict.field, conflict.ours, conflict.theirs, conflict.base) == (
        "first_name", "Grace", "Linus", "Ada")  # fmt: skip
    assert conflict.policy is ConflictPolicy.NEWEST_WINS
    assert conflict.winner is winner


@pytest.mark.parametrize(
    ("policy", "winner", "value"),
    [
        (ConflictPolicy.SALESFORCE_WINS, Side.SALESFORCE, "Linus"),
        (ConflictPolicy.RINGSYNC_WINS, Side.RINGSYNC, "Grace"),
    ],
)
def test_conflict_side_wins_regardless_of_time(
    policy: ConflictPolicy, winner: Side, value: str
) -> None:
    field = MergeField("first_name", policy=policy)
    for ours_at, theirs_at in ((LATER, T0), (EARLIER, T0)):
        result = run(field, base="Ada", ours="Grace", theirs="Linus", ours_at=ours_at,
                     theirs_at=theirs_at)  # fmt: skip
        assert result.conflicts[0].winner is winner
        assert result.new_base == {"first_name": value}


def test_conflict_won_by_ringsync_under_inbound_only_is_logged_once() -> None:
    field = MergeField("first_name", policy=ConflictPolicy.RINGSYNC_WINS)
    first = run(field, base="Ada", ours="Grace", theirs="Linus", outbound=False)
    assert first.to_salesforce == {}
    assert first.to_ringsync == {}
    assert len(first.conflicts) == 1
    again = run(field, base=first.new_base["first_name"], ours="Grace", theirs="Linus",
                outbound=False)  # fmt: skip
    assert again.conflicts == []
    assert not again.changes_anything


@pytest.mark.parametrize(
    ("base", "ours", "theirs", "to_ringsync", "to_salesforce"),
    [
        ("Ada", "Ada", "", {}, {"first_name": "Ada"}),  # Salesforce cleared it
        ("Ada", None, "Ada", {"first_name": "Ada"}, {}),  # we cleared it
        ("Ada", "  ", "Linus", {"first_name": "Linus"}, {}),  # both changed, ours blank
        ("Ada", "Grace", None, {}, {"first_name": "Grace"}),  # both changed, theirs blank
    ],
)
def test_blank_never_overwrites_value(
    base: str, ours: str | None, theirs: str | None,
    to_ringsync: dict[str, object], to_salesforce: dict[str, object],
) -> None:  # fmt: skip
    field = MergeField("first_name", policy=ConflictPolicy.NEVER_BLANK)
    result = run(field, base=base, ours=ours, theirs=theirs, ours_at=LATER, theirs_at=T0)
    assert result.to_ringsync == to_ringsync
    assert result.to_salesforce == to_salesforce


def test_blank_does_overwrite_under_other_policies() -> None:
    result = run(PLAIN, base="Ada", ours="Ada", theirs="")
    assert result.to_ringsync == {"first_name": ""}


def test_never_blank_between_two_values_uses_newest() -> None:
    field = MergeField("first_name", policy=ConflictPolicy.NEVER_BLANK)
    result = run(field, base="Ada", ours="Grace", theirs="Linus", ours_at=LATER, theirs_at=T0)
    assert result.to_salesforce == {"first_name": "Grace"}
    assert result.conflicts[0].winner is Side.RINGSYNC


DNC = MergeField("dnc", rule=FieldRule.STICKY_TRUE)


def test_dnc_opt_out_is_sticky() -> None:
    # Salesforce clears DNC (a stale or careless edit): the opt-out stays and goes back.
    result = run(DNC, base=True, ours=True, theirs=False)
    assert result.to_ringsync == {}
    assert result.to_salesforce == {"dnc": True}
    assert result.new_base == {"dnc": True}


def test_dnc_opt_out_from_salesforce_is_taken() -> None:
    result = run(DNC, base=False, ours=False, theirs=True)
    assert result.to_ringsync == {"dnc": True}


def test_dnc_cleared_here_without_user_action_is_restored() -> None:
    result = run(DNC, base=True, ours=False, theirs=True)
    assert result.to_ringsync == {"dnc": True}
    assert result.to_salesforce == {}


def test_dnc_explicit_user_opt_in_is_propagated() -> None:
    result = run(DNC, base=True, ours=False, theirs=True, explicit=True)
    assert result.to_salesforce == {"dnc": False}
    assert result.to_ringsync == {}
    assert result.new_base == {"dnc": False}


def test_dnc_explicit_opt_in_does_not_beat_a_new_salesforce_opt_out() -> None:
    result = run(DNC, base=False, ours=False, theirs=True, explicit=True)
    assert result.to_ringsync == {"dnc": True}


COUNTER = MergeField("total_inbound_calls", Direction.TO_SALESFORCE, rule=FieldRule.COUNTER)


@pytest.mark.parametrize(
    ("base", "ours", "theirs", "to_salesforce"),
    [
        (3, 5, 3, {"total_inbound_calls": 5}),
        (3, 5, 4.0, {"total_inbound_calls": 5}),
        (3, 3, 9, {}),  # Salesforce is higher: never lowered, nothing taken (outbound only)
        (3, 2, 3, {}),  # ours went down (a reset): Salesforce keeps the larger number
        (None, 7, None, {"total_inbound_calls": 7}),
        (3, 3, 3.0, {}),
    ],
)
def test_counter_only_goes_up(
    base: int | None, ours: int, theirs: float | None, to_salesforce: dict[str, object]
) -> None:
    result = run(COUNTER, base=base, ours=ours, theirs=theirs)
    assert result.to_salesforce == to_salesforce
    assert result.to_ringsync == {}


def test_counter_both_ways_takes_the_larger_number_here() -> None:
    field = MergeField("total_inbound_calls", rule=FieldRule.COUNTER)
    result = run(field, base=3, ours=3, theirs=9)
    assert result.to_ringsync == {"total_inbound_calls": 9}


def test_new_link_without_base_fills_blanks_both_ways() -> None:
    result = merge(
        None,
        OursSide({"first_name": "Ada", "last_name": None}),
        TheirsSide({"first_name": None, "last_name": "Lovelace"}),
        [MergeField("first_name"), MergeField("last_name")],
        outbound_updates=True,
        normalizer=NORM,
    )
    assert result.to_ringsync == {"last_name": "Lovelace"}
    assert result.to_salesforce == {"first_name": "Ada"}
    assert result.conflicts == []
    assert result.new_base == {"first_name": "Ada", "last_name": "Lovelace"}


def test_new_link_with_two_values_is_a_conflict() -> None:
    result = run(PLAIN, has_base=False, ours="Ada", theirs="Grace", theirs_at=T0)
    assert result.conflicts == [
        Conflict("first_name", "Ada", "Grace", None, ConflictPolicy.NEWEST_WINS,
                 Side.SALESFORCE, "newest change wins (salesforce)")
    ]  # fmt: skip
    assert result.to_ringsync == {"first_name": "Grace"}


def test_field_missing_from_record_is_left_alone() -> None:
    result = merge(
        {"first_name": "Ada"},
        OursSide({"first_name": "Grace"}),
        TheirsSide({}),
        [PLAIN],
        outbound_updates=True,
        normalizer=NORM,
    )
    assert not result.changes_anything
    assert result.new_base == {"first_name": "Ada"}


@pytest.mark.parametrize(
    ("field", "base", "theirs"),
    [
        ("first_name", "Ada", "  Ada  "),
        ("first_name", None, ""),
        ("phone", "+14155550100", "415.555.0100"),
        ("total_inbound_calls", 3, 3.0),
        ("last_engagement_at", T0, T0.replace(microsecond=999_999)),
        ("last_engagement_at", T0, T0.astimezone(ZoneInfo("Asia/Tokyo"))),
    ],
)
def test_normalized_equal_values_are_echoes(field: str, base: object, theirs: object) -> None:
    result = run(MergeField(field), base=base, ours=base, theirs=theirs)
    assert result.echoes == {field}
    assert not result.changes_anything


def test_fields_from_mapping_applies_rules_and_policies() -> None:
    specs = {
        s.name: s
        for s in fields_from_mapping(
            default_mapping(SyncObject.LEAD), {"email": "never_blank"}, "salesforce_wins"
        )
    }
    assert specs["dnc"].rule is FieldRule.STICKY_TRUE
    assert specs["total_outbound_texts"].rule is FieldRule.COUNTER
    assert specs["total_outbound_texts"].direction is Direction.TO_SALESFORCE
    assert specs["last_inbound_call_time"].rule is FieldRule.PLAIN
    assert specs["email"].policy is ConflictPolicy.NEVER_BLANK
    assert specs["first_name"].policy is ConflictPolicy.SALESFORCE_WINS
    assert rule_for("first_name") is FieldRule.PLAIN


def test_unknown_policy_is_refused() -> None:
    with pytest.raises(ValueError, match="last_wins"):
        policy_for("email", {"email": "last_wins"})


def test_merge_field_accepts_setting_strings() -> None:
    spec = MergeField("city", "from_salesforce", "never_blank", "plain")  # type: ignore[arg-type]  # settings hold strings
    assert spec.direction is Direction.FROM_SALESFORCE
    assert spec.policy is ConflictPolicy.NEVER_BLANK
    with pytest.raises(ValueError, match="sideways"):
        MergeField("city", "sideways")  # type: ignore[arg-type]  # the bad input under test
