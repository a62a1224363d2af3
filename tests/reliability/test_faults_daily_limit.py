"""F4: the daily API limit is spent, then restored: the engine pauses, loses nothing, resumes."""

from __future__ import annotations

from collections.abc import Callable

from generator import generate
from harness import World
from oracle import check, check_settled

from conftest import SIZE, seeded


@seeded()
def test_spent_daily_limit_pauses_then_resumes_with_nothing_lost(
    make_world: Callable[..., World], seed: int
) -> None:
    world = make_world(seed)
    scenario = generate(seed, SIZE)
    world.baseline(scenario)
    restored = world.org.daily_api_limit
    queued: list[int] = []

    def spend(window: int) -> None:
        if window == 0:
            world.org.daily_api_limit = world.stats.daily_used
        else:
            queued.append(len(world.pending()))

    world.play(scenario, between=spend)
    queued.append(len(world.pending()))
    assert world.org.count("Lead") <= len([p for p in scenario.people if not p.late])
    assert world.errors, f"seed {seed}: no run reported the spent limit"
    assert all("REQUEST_LIMIT" in e or "budget" in e.lower() for e in world.errors), world.errors
    assert max(queued) > 0, f"seed {seed}: nothing queued while the limit was spent"

    world.org.daily_api_limit = restored
    world.drain()

    check(world, scenario)
    check_settled(world, scenario)
