"""F12: both sides edit one field within one window: the policy decides, logged, then quiet."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from generator import generate
from harness import World
from oracle import check, check_settled

from conftest import SIZE, seeded
from ringsync.store.repositories.sync_log import list_entries


@pytest.mark.parametrize("policy", ["salesforce_wins", "ringsync_wins", "newest_wins"])
@seeded()
def test_edits_on_both_sides_follow_the_policy_without_flip_flop(
    make_world: Callable[..., World], seed: int, policy: str
) -> None:
    world = make_world(seed)
    world.configure(default_conflict_policy=policy)
    scenario = generate(seed, SIZE, conflicts=3)
    world.baseline(scenario)

    world.play(scenario)
    world.drain()

    check(world, scenario, policy=policy)
    check_settled(world, scenario)
    with world.db.read() as session:
        logged = {
            e.contact_id
            for e in list_entries(session, world.account_id, action="conflict", limit=10_000)
        }
    conflicted = {world.contacts[person] for person, _ in scenario.conflicts}
    assert conflicted <= logged, f"seed {seed}: conflicts not logged for {conflicted - logged}"
