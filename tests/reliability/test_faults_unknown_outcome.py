"""F2: the connection drops after Salesforce applied the write (an unknown outcome).

sfemu runs on a real TLS socket so the drop is a real closed connection. The retry must be
idempotent: exactly one Lead per phone and totals counted once, and reading back a write whose
response was lost must not count as a Salesforce edit (it would revert a newer edit of ours).
"""

from __future__ import annotations

from collections.abc import Callable

from generator import generate
from harness import World
from oracle import check, check_settled

from conftest import SIZE, seeded


@seeded()
def test_dropped_connection_after_write_duplicates_nothing(
    make_world: Callable[..., World], seed: int
) -> None:
    world = make_world(seed, socket=True)
    scenario = generate(seed, SIZE)
    world.baseline(scenario)
    rules = []

    def drops(window: int) -> None:
        del window
        world.faults.clear()
        rules.append(
            world.faults.add(
                {"kind": "drop_after_write", "endpoint": "composite/*", "probability": 0.5}
            )
        )

    world.play(scenario, between=drops)
    world.drain()

    check(world, scenario)
    check_settled(world, scenario)
    assert sum(rule.fired for rule in rules) > 0, f"seed {seed}: no write was dropped"
