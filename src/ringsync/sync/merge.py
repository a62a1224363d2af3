"""Three-way merge of one linked pair, field by field, against the last synced values (the base).

Per field the merge first decides the value both sides should hold, then writes it to each side
that differs and may be written:

* a value equal to the base changed nothing; when Salesforce's value equals the base the field is
  an *echo* (often our own write coming back) and nothing is taken from it;
* a field only Salesforce changed is taken when the direction allows inbound (``both`` or
  ``from_salesforce``); a field only we changed is sent when the direction allows outbound
  (``both`` or ``to_salesforce``) *and* the update direction setting is ``both``;
* a one-way field ignores changes on the side it does not read from;
* a field both sides changed to different values goes through its conflict policy and is
  logged as a :class:`~ringsync.sync.conflicts.Conflict`;
* without a base (a new link) a value beats a blank, and two different values are a conflict;
* under ``never_blank`` a blank never overwrites a value, even as a one-sided change;
* **sticky DNC** (``FieldRule.STICKY_TRUE``): once DNC is true on either side the merged value is
  true. The only way back to false is an explicit ringsync user action (``OursSide.explicit``)
  that cleared a base of true while Salesforce still says true; that opt-in is propagated;
* **counters** (``FieldRule.COUNTER``): the larger number wins, so totals only go up.

A write whose response was lost may have been applied. The values it sent are kept *in flight*
until the record is read again; :func:`in_flight_echoes` says which fields read back one of
them, as sent or in the form Salesforce stored it (cut, rounded...): those are our own write
coming back, so the base becomes that value (an echo) instead of the value counting as a
Salesforce edit that could revert a newer edit of ours.

The new base for a field is the shared value when both sides end equal. When a write is blocked
(direction or setting) the new base is the blocked side's value, so the next merge sees the same
one-sided change and decides the same way: merging twice changes nothing and logs no conflict
twice.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum

from ringsync.mapping.catalog import (
    PROPERTIES,
    TRACKING_PROPERTIES,
    Direction,
    FieldMapping,
    ValueType,
)
from ringsync.sync.conflicts import Conflict, ConflictPolicy, Side, policy_for, resolve
from ringsync.sync.fingerprint import ValueNormalizer


class FieldRule(StrEnum):
    """Special behaviour of a field beyond direction and policy."""

    PLAIN = "plain"
    STICKY_TRUE = "sticky_true"
    COUNTER = "counter"


@dataclass(frozen=True)
class MergeField:
    """How one property merges: its direction, conflict policy and rule."""

    name: str
    direction: Direction = Direction.BOTH
    policy: ConflictPolicy = ConflictPolicy.NEWEST_WINS
    rule: FieldRule = FieldRule.PLAIN

    def __post_init__(self) -> None:
        """Accept plain strings from settings and keep enums inside."""
        object.__setattr__(self, "direction", Direction(self.direction))
        object.__setattr__(self, "policy", ConflictPolicy(self.policy))
        object.__setattr__(self, "rule", FieldRule(self.rule))


@dataclass(frozen=True)
class OursSide:
    """ringsync's current values, when each property last changed, and explicit user actions."""

    values: Mapping[str, object]
    changed_at: Mapping[str, datetime] = field(default_factory=dict)
    explicit: frozenset[str] = frozenset()


@dataclass(frozen=True)
class TheirsSide:
    """Salesforce's values mapped to property names, and the record's LastModifiedDate."""

    values: Mapping[str, object]
    modified_at: datetime | None = None


@dataclass
class MergeResult:
    """What to write where, what was decided by policy, and the base to store afterwards."""

    to_ringsync: dict[str, object] = field(default_factory=dict)
    to_salesforce: dict[str, object] = field(default_factory=dict)
    conflicts: list[Conflict] = field(default_factory=list)
    echoes: set[str] = field(default_factory=set)
    new_base: dict[str, object] = field(default_factory=dict)

    @property
    def changes_anything(self) -> bool:
        """Tell whether either side receives a write."""
        return bool(self.to_ringsync or self.to_salesforce)


STICKY_TRUE_PROPERTIES: frozenset[str] = frozenset({"dnc"})
"""Consent flags whose opt-out (true) is sticky."""


def rule_for(prop: str) -> FieldRule:
    """Return the rule of ``prop``: DNC is sticky, tracking totals are counters."""
    if prop in STICKY_TRUE_PROPERTIES:
        return FieldRule.STICKY_TRUE
    definition = PROPERTIES.get(prop)
    if prop in TRACKING_PROPERTIES and definition and definition.value_type is ValueType.INT:
        return FieldRule.COUNTER
    return FieldRule.PLAIN


def fields_from_mapping(
    mappings: Sequence[FieldMapping],
    policies: Mapping[str, str] | None = None,
    default_policy: str = ConflictPolicy.NEWEST_WINS,
) -> tuple[MergeField, ...]:
    """Build the merge spec of a mapping; tracking fields stay outbound only whatever a row says."""
    specs: list[MergeField] = []
    for row in mappings:
        prop = row.ringsync_property
        direction = Direction(row.direction)
        if prop in TRACKING_PROPERTIES:
            direction = Direction.TO_SALESFORCE
        policy = policy_for(prop, policies or {}, default_policy)
        specs.append(MergeField(prop, direction, policy, rule_for(prop)))
    return tuple(specs)


class _Missing:
    """Mark a property that has no base value (never synced)."""

    def __repr__(self) -> str:
        return "MISSING"


MISSING = _Missing()


@dataclass(frozen=True)
class _Decision:
    """The value both sides should hold (``None`` value with ``keep`` means: decide nothing)."""

    value: object
    keep: Side | None = None  # when set: no decision; the base becomes this side's value
    conflict: Conflict | None = None


def _rule_sticky(spec: MergeField, ours: OursSide, base: object, theirs_value: object) -> _Decision:
    """Decide a sticky opt-out flag: true wins unless we explicitly cleared a true base."""
    our_flag = bool(ours.values.get(spec.name))
    their_flag = bool(theirs_value)
    if our_flag == their_flag:
        return _Decision(our_flag)
    opted_in = (
        not our_flag
        and base is not MISSING
        and bool(base)
        and spec.name in ours.explicit
        and spec.direction.outbound
    )
    return _Decision(not opted_in)


def _rule_counter(spec: MergeField, ours: OursSide, theirs_value: object) -> _Decision:
    """Decide a counter: the larger number wins; blanks do not count."""
    numbers = [
        v
        for v in (ours.values.get(spec.name), theirs_value)
        if isinstance(v, int | float) and not isinstance(v, bool)
    ]
    if not numbers:
        return _Decision(None, keep=Side.RINGSYNC)
    return _Decision(max(numbers))


def _rule_plain(
    spec: MergeField,
    ours: OursSide,
    theirs: TheirsSide,
    base: object,
    norm: ValueNormalizer,
) -> _Decision:
    """Decide a plain field from the base, the direction and the conflict policy."""
    name = spec.name
    ours_value = ours.values.get(name)
    theirs_value = theirs.values.get(name)
    if norm.equal(name, ours_value, theirs_value):
        return _Decision(ours_value)
    ours_blank = norm.is_blank(name, ours_value)
    theirs_blank = norm.is_blank(name, theirs_value)
    if base is MISSING:
        ours_changed = not ours_blank
        theirs_changed = not theirs_blank
    else:
        ours_changed = not norm.equal(name, ours_value, base)
        theirs_changed = not norm.equal(name, theirs_value, base)
    if spec.direction is Direction.TO_SALESFORCE:
        return _Decision(ours_value) if ours_changed else _Decision(None, keep=Side.RINGSYNC)
    if spec.direction is Direction.FROM_SALESFORCE:
        return _Decision(theirs_value) if theirs_changed else _Decision(None, keep=Side.SALESFORCE)
    if ours_changed and theirs_changed:
        winner, reason = resolve(
            spec.policy,
            ours_blank=ours_blank,
            theirs_blank=theirs_blank,
            ours_at=ours.changed_at.get(name),
            theirs_at=theirs.modified_at,
        )
        value = ours_value if winner is Side.RINGSYNC else theirs_value
        conflict = Conflict(
            field=name,
            ours=ours_value,
            theirs=theirs_value,
            base=None if base is MISSING else base,
            policy=spec.policy,
            winner=winner,
            reason=reason,
        )
        return _Decision(value, conflict=conflict)
    # Exactly one side changed (equal values returned above, so not neither).
    changed, other = (ours_value, theirs_value) if ours_changed else (theirs_value, ours_value)
    if spec.policy is ConflictPolicy.NEVER_BLANK and norm.is_blank(name, changed):
        return _Decision(other)
    return _Decision(changed)


def merge(
    base: Mapping[str, object] | None,
    ours: OursSide,
    theirs: TheirsSide,
    fields: Sequence[MergeField],
    *,
    outbound_updates: bool,
    normalizer: ValueNormalizer,
) -> MergeResult:
    """Merge one linked pair field by field; see the module docstring for the rules.

    ``outbound_updates`` is the update direction setting (True for ``both``). A property absent
    from ``theirs.values`` was not read from Salesforce and is left alone.
    """
    base = base or {}
    result = MergeResult()
    for spec in fields:
        name = spec.name
        if name not in theirs.values:
            if name in base:
                result.new_base[name] = base[name]
            continue
        base_value = base.get(name, MISSING)
        theirs_value = theirs.values[name]
        if base_value is not MISSING and normalizer.equal(name, theirs_value, base_value):
            result.echoes.add(name)
        if spec.rule is FieldRule.STICKY_TRUE:
            decision = _rule_sticky(spec, ours, base_value, theirs_value)
        elif spec.rule is FieldRule.COUNTER:
            decision = _rule_counter(spec, ours, theirs_value)
        else:
            decision = _rule_plain(spec, ours, theirs, base_value, normalizer)
        _apply(spec, decision, ours, theirs_value, result, outbound_updates, normalizer)
    return result


def _apply(
    spec: MergeField,
    decision: _Decision,
    ours: OursSide,
    theirs_value: object,
    result: MergeResult,
    outbound_updates: bool,
    norm: ValueNormalizer,
) -> None:
    """Write the decided value where allowed and record the new base and any conflict."""
    name = spec.name
    ours_value = ours.values.get(name)
    if decision.keep is not None:
        result.new_base[name] = ours_value if decision.keep is Side.RINGSYNC else theirs_value
        return
    if decision.conflict is not None:
        result.conflicts.append(decision.conflict)
    value = decision.value
    ours_after, theirs_after = ours_value, theirs_value
    if not _same(spec, norm, ours_value, value) and spec.direction.inbound:
        result.to_ringsync[name] = value
        ours_after = value
    outbound = spec.direction.outbound and outbound_updates
    if not _same(spec, norm, theirs_value, value) and outbound:
        result.to_salesforce[name] = value
        theirs_after = value
    if _same(spec, norm, ours_after, theirs_after):
        result.new_base[name] = value
    elif _same(spec, norm, ours_after, value):
        result.new_base[name] = theirs_after
    else:
        result.new_base[name] = ours_after


StoredForm = Callable[[str, object], object]
"""Return the value Salesforce holds after we send a value for a property, as read back.

Salesforce may store what we send in another form: cut to the field's length, rounded to its
scale, a picklist value in the letter case of its definition. The caller binds this to the
describe; a value Salesforce stores as sent is returned as it is.
"""


def in_flight_echoes(
    theirs: Mapping[str, object],
    base: Mapping[str, object],
    in_flight: Mapping[str, Sequence[object]],
    normalizer: ValueNormalizer,
    stored_form: StoredForm | None = None,
) -> dict[str, object]:
    """Return the fields whose Salesforce value is a value we sent with an unknown outcome.

    ``in_flight`` maps a property to every value sent for it whose response was lost (our own
    values, before conversion). A field that reads back one of them, or the form Salesforce
    stores it in (``stored_form``), and differs from the base is our own write coming back:
    the caller makes the value read the field's base before merging, so it is an echo, not a
    Salesforce edit.
    """
    echoes: dict[str, object] = {}
    for name, sent in in_flight.items():
        if name not in theirs:
            continue
        value = theirs[name]
        if name in base and normalizer.equal(name, value, base[name]):
            continue
        if any(normalizer.equal(name, value, candidate) for candidate in sent) or (
            stored_form is not None
            and any(normalizer.equal(name, value, stored_form(name, c)) for c in sent)
        ):
            echoes[name] = value
    return echoes


def add_in_flight(
    in_flight: Mapping[str, Sequence[object]], sent: Mapping[str, object]
) -> dict[str, list[object]]:
    """Return ``in_flight`` with the values of one more write of unknown outcome added."""
    merged = {name: list(values) for name, values in in_flight.items()}
    for name, value in sent.items():
        values = merged.setdefault(name, [])
        if value not in values:
            values.append(value)
    return merged


def _same(spec: MergeField, norm: ValueNormalizer, left: object, right: object) -> bool:
    """Compare two values the way the field's rule sees them."""
    if spec.rule is FieldRule.STICKY_TRUE:
        return bool(left) == bool(right)
    return norm.equal(spec.name, left, right)


__all__ = [
    "MISSING",
    "STICKY_TRUE_PROPERTIES",
    "FieldRule",
    "MergeField",
    "MergeResult",
    "OursSide",
    "StoredForm",
    "TheirsSide",
    "add_in_flight",
    "fields_from_mapping",
    "in_flight_echoes",
    "merge",
    "rule_for",
]
