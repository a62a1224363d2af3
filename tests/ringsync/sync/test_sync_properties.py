"""Hypothesis properties of the merge: idempotence, no echo writes, convergence, symmetry."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, invariant, precondition, rule

from ringsync.domain.phones import try_normalize
from ringsync.mapping.catalog import Direction
from ringsync.sync.conflicts import ConflictPolicy, Side
from ringsync.sync.fingerprint import ValueNormalizer, fingerprint
from ringsync.sync.merge import FieldRule, MergeField, MergeResult, OursSide, TheirsSide, merge


def _e164(raw: str) -> str | None:
    found = try_normalize(raw)
    return found.e164 if found else None


NORM = ValueNormalizer(phone=_e164)
T0 = datetime(2026, 3, 1, tzinfo=UTC)

VALUES: dict[FieldRule, st.SearchStrategy[object]] = {
    FieldRule.PLAIN: st.sampled_from([None, "", " ", "Ada", " Ada ", "Grace", "Linus"]),
    FieldRule.COUNTER: st.one_of(st.none(), st.integers(0, 4), st.integers(0, 4).map(float)),
    FieldRule.STICKY_TRUE: st.sampled_from([None, True, False]),
}
PHONES = st.sampled_from([None, "", "+14155550100", "(415) 555-0100", "+14155550199", "junk"])
NAMES = {
    FieldRule.PLAIN: "first_name",
    FieldRule.COUNTER: "total_inbound_calls",
    FieldRule.STICKY_TRUE: "dnc",
}
TIMES = st.one_of(st.none(), st.integers(0, 3).map(lambda h: T0 + timedelta(hours=h)))


@st.composite
def fields(draw: st.DrawFn) -> list[MergeField]:
    specs = [
        MergeField(
            NAMES[rule],
            draw(st.sampled_from(list(Direction))),
            draw(st.sampled_from(list(ConflictPolicy))),
            rule,
        )
        for rule in FieldRule
    ]
    specs.append(
        MergeField(
            "phone",
            draw(st.sampled_from(list(Direction))),
            draw(st.sampled_from(list(ConflictPolicy))),
        )
    )
    return specs


def _values(draw: st.DrawFn, specs: list[MergeField]) -> dict[str, object]:
    return {s.name: draw(PHONES if s.name == "phone" else VALUES[s.rule]) for s in specs}


Scenario = tuple[list[MergeField], dict[str, object] | None, OursSide, TheirsSide, bool]


@st.composite
def scenarios(draw: st.DrawFn) -> Scenario:
    specs = draw(fields())
    base: dict[str, object] | None = None
    if draw(st.booleans()):
        base = {k: v for k, v in _values(draw, specs).items() if draw(st.booleans()) or k == "dnc"}
    ours_values = _values(draw, specs)
    changed_at = {k: t for k in ours_values if (t := draw(TIMES)) is not None}
    explicit = frozenset(k for k in ours_values if draw(st.booleans()))
    theirs = TheirsSide(_values(draw, specs), draw(TIMES))
    return specs, base, OursSide(ours_values, changed_at, explicit), theirs, draw(st.booleans())


def _run(
    specs: list[MergeField],
    base: dict[str, object] | None,
    ours: OursSide,
    theirs: TheirsSide,
    outbound: bool,
) -> MergeResult:
    return merge(base, ours, theirs, specs, outbound_updates=outbound, normalizer=NORM)


def _applied(
    ours: OursSide, theirs: TheirsSide, result: MergeResult
) -> tuple[OursSide, TheirsSide]:
    return (
        OursSide({**ours.values, **result.to_ringsync}, ours.changed_at, ours.explicit),
        TheirsSide({**theirs.values, **result.to_salesforce}, theirs.modified_at),
    )


@given(scenarios())
def test_a_second_sync_after_a_sync_changes_nothing(scenario: Scenario) -> None:
    specs, base, ours, theirs, outbound = scenario
    first = _run(specs, base, ours, theirs, outbound)
    ours2, theirs2 = _applied(ours, theirs, first)
    second = _run(specs, first.new_base, ours2, theirs2, outbound)
    assert second.to_ringsync == {}
    assert second.to_salesforce == {}
    assert second.conflicts == []
    assert fingerprint(second.new_base, NORM) == fingerprint(first.new_base, NORM)


@given(scenarios())
def test_merge_never_writes_a_value_the_side_already_holds(scenario: Scenario) -> None:
    specs, base, ours, theirs, outbound = scenario
    result = _run(specs, base, ours, theirs, outbound)
    rules = {s.name: s.rule for s in specs}
    for name, value in result.to_ringsync.items():
        assert not _same(rules[name], name, value, ours.values.get(name))
    for name, value in result.to_salesforce.items():
        assert not _same(rules[name], name, value, theirs.values.get(name))
    if not outbound:
        assert result.to_salesforce == {}


def _same(rule: FieldRule, name: str, left: object, right: object) -> bool:
    if rule is FieldRule.STICKY_TRUE:
        return bool(left) == bool(right)
    return NORM.equal(name, left, right)


@given(scenarios())
def test_two_way_fields_converge_when_updates_go_both_ways(scenario: Scenario) -> None:
    specs, base, ours, theirs, _ = scenario
    specs = [MergeField(s.name, Direction.BOTH, s.policy, s.rule) for s in specs]
    result = _run(specs, base, ours, theirs, True)
    ours2, theirs2 = _applied(ours, theirs, result)
    for spec in specs:
        assert _same(spec.rule, spec.name, ours2.values[spec.name], theirs2.values[spec.name])
        assert _same(spec.rule, spec.name, result.new_base[spec.name], ours2.values[spec.name])


@given(scenarios())
def test_equal_to_base_is_an_echo_and_one_sided_changes_flow_one_way(scenario: Scenario) -> None:
    specs, base, ours, theirs, outbound = scenario
    result = _run(specs, base, ours, theirs, outbound)
    for spec in specs:
        name = spec.name
        if base is None or name not in base:
            continue
        if NORM.equal(name, theirs.values[name], base[name]):
            assert name in result.echoes
        untouched = spec.rule is FieldRule.PLAIN and spec.policy is not ConflictPolicy.NEVER_BLANK
        if untouched and name in result.echoes:
            assert name not in result.to_ringsync


PLAIN_VALUES = st.sampled_from([None, "Ada", "Grace", "Linus", " Grace"])


@given(
    base=st.one_of(st.none(), PLAIN_VALUES),
    left=PLAIN_VALUES,
    right=PLAIN_VALUES,
    left_hour=st.integers(0, 3),
    right_hour=st.integers(0, 3),
    policy=st.sampled_from([ConflictPolicy.NEWEST_WINS, ConflictPolicy.NEVER_BLANK]),
)
def test_merge_is_symmetric_for_symmetric_policies(
    base: str | None,
    left: str | None,
    right: str | None,
    left_hour: int,
    right_hour: int,
    policy: ConflictPolicy,
) -> None:
    if left_hour == right_hour:
        right_hour += 10  # newest_wins breaks ties for Salesforce; keep the times distinct
    spec = [MergeField("first_name", Direction.BOTH, policy)]
    left_at, right_at = T0 + timedelta(hours=left_hour), T0 + timedelta(hours=right_hour)
    base_map = None if base is None else {"first_name": base}

    def run(
        ours: str | None, ours_at: datetime, theirs: str | None, theirs_at: datetime
    ) -> MergeResult:
        return merge(
            base_map,
            OursSide({"first_name": ours}, {"first_name": ours_at}),
            TheirsSide({"first_name": theirs}, theirs_at),
            spec,
            outbound_updates=True,
            normalizer=NORM,
        )

    forward = run(left, left_at, right, right_at)
    backward = run(right, right_at, left, left_at)
    assert forward.to_ringsync == backward.to_salesforce
    assert forward.to_salesforce == backward.to_ringsync
    assert [c.winner for c in forward.conflicts] == [
        Side.SALESFORCE if c.winner is Side.RINGSYNC else Side.RINGSYNC for c in backward.conflicts
    ]


@given(
    st.dictionaries(
        st.sampled_from(["first_name", "last_name", "phone", "total_inbound_calls"]),
        st.one_of(st.none(), st.text(max_size=5), st.integers(-3, 3)),
    )
)
def test_fingerprint_ignores_key_order_and_padding(values: dict[str, object]) -> None:
    reordered = dict(reversed(list(values.items())))
    padded = {k: f" {v} " if isinstance(v, str) else v for k, v in values.items()}
    assert fingerprint(values, NORM) == fingerprint(reordered, NORM)
    assert fingerprint(values, NORM) == fingerprint(padded, NORM)


class TwoSidedEdits(RuleBasedStateMachine):
    """Interleave edits on both sides with syncs; check what every sync guarantees."""

    SPECS = (
        MergeField("first_name", Direction.BOTH, ConflictPolicy.NEWEST_WINS),
        MergeField("city", Direction.BOTH, ConflictPolicy.NEVER_BLANK),
        MergeField("dnc", Direction.BOTH, rule=FieldRule.STICKY_TRUE),
        MergeField("total_inbound_calls", Direction.TO_SALESFORCE, rule=FieldRule.COUNTER),
    )

    def __init__(self) -> None:
        super().__init__()
        self.ours: dict[str, object] = {"first_name": None, "city": None, "dnc": False,
                                        "total_inbound_calls": 0}  # fmt: skip
        self.theirs: dict[str, object] = dict(self.ours)
        self.base: dict[str, object] | None = None
        self.changed_at: dict[str, datetime] = {}
        self.explicit: set[str] = set()
        self.theirs_at = T0
        self.clock = T0
        self.synced = False
        self.max_counter_sent = 0.0

    def _tick(self) -> datetime:
        self.clock += timedelta(minutes=1)
        self.synced = False
        return self.clock

    @rule(name=st.sampled_from(["first_name", "city"]), value=PLAIN_VALUES)
    def edit_ours(self, name: str, value: str | None) -> None:
        self.ours[name] = value
        self.changed_at[name] = self._tick()

    @rule(name=st.sampled_from(["first_name", "city"]), value=PLAIN_VALUES)
    def edit_theirs(self, name: str, value: str | None) -> None:
        self.theirs[name] = value
        self.theirs_at = self._tick()

    @rule(value=st.booleans(), explicit=st.booleans())
    def set_dnc_ours(self, value: bool, explicit: bool) -> None:
        self.ours["dnc"] = value
        self.changed_at["dnc"] = self._tick()
        if explicit:
            self.explicit.add("dnc")
        else:
            self.explicit.discard("dnc")

    @rule(value=st.booleans())
    def set_dnc_theirs(self, value: bool) -> None:
        self.theirs["dnc"] = value
        self.theirs_at = self._tick()

    @rule(calls=st.integers(1, 3))
    def calls_happen(self, calls: int) -> None:
        current = self.ours["total_inbound_calls"]
        assert isinstance(current, int | float)
        self.ours["total_inbound_calls"] = current + calls
        self.changed_at["total_inbound_calls"] = self._tick()

    @rule()
    def sync(self) -> None:
        dnc_true_before = bool(self.ours["dnc"]) or bool(self.theirs["dnc"])
        opt_in = "dnc" in self.explicit and not self.ours["dnc"]
        result = merge(
            self.base,
            OursSide(dict(self.ours), dict(self.changed_at), frozenset(self.explicit)),
            TheirsSide(dict(self.theirs), self.theirs_at),
            self.SPECS,
            outbound_updates=True,
            normalizer=NORM,
        )
        self.ours.update(result.to_ringsync)
        self.theirs.update(result.to_salesforce)
        self.base = result.new_base
        # What Salesforce wrote is now Salesforce-origin: no longer an explicit user action.
        if "dnc" in result.to_ringsync:
            self.explicit.discard("dnc")
        if dnc_true_before and not opt_in:
            assert self.ours["dnc"] is True
            assert self.theirs["dnc"] is True
        self.synced = True

    @precondition(lambda self: self.synced)
    @rule()
    def sync_again_changes_nothing(self) -> None:
        result = merge(
            self.base,
            OursSide(dict(self.ours), dict(self.changed_at), frozenset(self.explicit)),
            TheirsSide(dict(self.theirs), self.theirs_at),
            self.SPECS,
            outbound_updates=True,
            normalizer=NORM,
        )
        assert not result.changes_anything
        assert result.conflicts == []

    @invariant()
    def synced_sides_agree(self) -> None:
        if not self.synced:
            return
        for name in ("first_name", "city", "total_inbound_calls"):
            assert NORM.equal(name, self.ours[name], self.theirs[name]), name
        assert bool(self.ours["dnc"]) == bool(self.theirs["dnc"])

    @invariant()
    def salesforce_counter_never_goes_down(self) -> None:
        sent = self.theirs["total_inbound_calls"]
        assert isinstance(sent, int | float)
        assert sent >= self.max_counter_sent
        self.max_counter_sent = float(sent)


TestTwoSidedEdits = TwoSidedEdits.TestCase
TestTwoSidedEdits.settings = settings(max_examples=60, stateful_step_count=25, deadline=None)
