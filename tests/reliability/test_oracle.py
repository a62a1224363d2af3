"""The generator is deterministic and the oracle fails on a lost, duplicated or reverted value."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from generator import Activity, Edit, Size, generate
from harness import World
from hypothesis import given, settings
from hypothesis import strategies as st
from oracle import check, expected_totals, expected_values

from conftest import SIZE


@settings(max_examples=25, deadline=None)
@given(seed=st.integers(min_value=0, max_value=10_000), conflicts=st.integers(0, 4))
def test_a_seed_always_generates_the_same_scenario_with_unique_event_ids(
    seed: int, conflicts: int
) -> None:
    size = Size(people=5, windows=3, events_per_window=10)
    first = generate(seed, size, conflicts=conflicts)
    again = generate(seed, size, conflicts=conflicts)

    assert first.windows == again.windows
    fresh = [e.event_id for e in first.events() if not (isinstance(e, Activity) and e.redelivery)]
    assert len(fresh) == len(set(fresh))
    assert len({p.phone for p in first.people}) == len(first.people)
    for person, prop in first.conflicts:
        sides = sorted(e.side for e in first.edits() if (e.person, e.prop) == (person, prop))
        assert sides == ["ours", "theirs"]
    for edit in first.edits():
        key = (edit.person, edit.prop)
        assert key in first.conflicts or first.owners[key] == edit.side


def test_expected_values_follow_the_policy_and_totals_count_distinct_ids() -> None:
    scenario = generate(5, Size(people=4, windows=2, events_per_window=12), conflicts=2)
    ((person, prop), *_) = sorted(scenario.conflicts)
    by_side = {e.side: e.value for e in scenario.edits() if (e.person, e.prop) == (person, prop)}

    assert expected_values(scenario, "salesforce_wins")[person][prop] == by_side["theirs"]
    assert expected_values(scenario, "ringsync_wins")[person][prop] == by_side["ours"]
    distinct = {(a.person, a.event_id) for a in scenario.activities()}
    assert sum(sum(c.values()) for c in expected_totals(scenario).values()) == len(distinct)


@pytest.mark.parametrize("sabotage", ["lost-edit", "duplicate-lead", "reverted-ours"])
def test_the_oracle_names_the_seed_and_the_problem(
    make_world: Callable[..., World], sabotage: str
) -> None:
    world = make_world(11)
    scenario = generate(11, SIZE)
    world.baseline(scenario)
    world.play(scenario)
    world.drain()
    check(world, scenario)
    person = scenario.people[0]
    record_id = world.links()[world.contacts[person.index]]
    if sabotage == "lost-edit":
        world.org.update("Lead", record_id, {"City": "changed behind our back"})
        wanted = "Lead.City"
    elif sabotage == "duplicate-lead":
        world.org.create("Lead", {"LastName": "Twin", "Company": "C", "Phone": person.phone})
        wanted = "duplicate Leads"
    else:
        edit = Edit("x", "ours", person.index, "first_name", "not in the scenario")
        world.apply(edit)
        wanted = "ours.first_name"

    with pytest.raises(AssertionError, match="seed 11") as failure:
        check(world, scenario)
    assert wanted in str(failure.value)
