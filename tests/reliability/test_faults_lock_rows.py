"""F3: UNABLE_TO_LOCK_ROW on random records inside Collections batches.

Only the locked records are retried; the rest of each batch is settled once.
"""

from __future__ import annotations

from collections.abc import Callable

from generator import generate
from harness import World
from oracle import check, check_settled

from conftest import SIZE, seeded


@seeded()
def test_locked_rows_inside_batches_are_retried_alone(
    make_world: Callable[..., World], seed: int
) -> None:
    world = make_world(seed)
    scenario = generate(seed, SIZE)
    world.baseline(scenario)
    rules = []

    def locks(window: int) -> None:
        del window
        world.faults.clear()
        rules.append(world.faults.add({"kind": "unable_to_lock_row", "probability": 0.4}))

    world.play(scenario, between=locks)
    world.drain()

    check(world, scenario)
    check_settled(world, scenario)
    assert sum(rule.fired for rule in rules) > 0, f"seed {seed}: no row was ever locked"
