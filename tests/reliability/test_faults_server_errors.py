"""F1: bursts of 500 and 503 (some calls, then every call) lose nothing and duplicate nothing."""

from __future__ import annotations

from collections.abc import Callable

from generator import generate
from harness import World
from oracle import check, check_settled

from conftest import SIZE, seeded

BURSTS = [("http_503", 0.4), ("http_500", 1.0), ("http_503", 0.7)]


@seeded()
def test_server_error_bursts_lose_nothing(make_world: Callable[..., World], seed: int) -> None:
    world = make_world(seed)
    scenario = generate(seed, SIZE)
    world.baseline(scenario)
    fired: list[int] = []

    def burst(window: int) -> None:
        fired.extend(rule.fired for rule in world.faults.rules)
        world.faults.clear()
        kind, probability = BURSTS[window % len(BURSTS)]
        world.faults.add({"kind": kind, "probability": probability})

    world.play(scenario, between=burst)
    burst(0)
    world.drain()

    check(world, scenario)
    check_settled(world, scenario)
    assert sum(fired) > 0
    assert any("SERVER_UNAVAILABLE" in e or "UNKNOWN_EXCEPTION" in e for e in world.errors), (
        f"seed {seed}: no run failed under a 100% burst: {world.errors}"
    )
