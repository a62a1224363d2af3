"""F5: sessions expire mid-run, and many concurrent calls meet one expired token."""

from __future__ import annotations

import threading
from collections.abc import Callable

from generator import generate
from harness import World
from oracle import check, check_settled

from conftest import SIZE, seeded

THREADS = 8


@seeded()
def test_a_session_expiring_mid_run_is_refreshed_and_loses_nothing(
    make_world: Callable[..., World], seed: int
) -> None:
    world = make_world(seed)
    scenario = generate(seed, SIZE)
    world.baseline(scenario)
    rules = []

    def expiry(window: int) -> None:
        world.faults.clear()
        endpoint = "composite/*" if window % 2 == 0 else "query*"
        rules.append(world.faults.add({"kind": "session_expiry", "endpoint": endpoint, "count": 1}))

    world.play(scenario, between=expiry)
    world.drain()

    check(world, scenario)
    check_settled(world, scenario)
    assert sum(rule.fired for rule in rules) > 0, f"seed {seed}: no session expired"


@seeded()
def test_sessions_expiring_again_after_the_refresh_lose_nothing(
    make_world: Callable[..., World], seed: int
) -> None:
    world = make_world(seed)
    scenario = generate(seed, SIZE)
    world.baseline(scenario)

    def expiries(window: int) -> None:
        del window
        world.faults.clear()
        world.faults.add({"kind": "session_expiry", "probability": 0.3})

    world.play(scenario, between=expiries)
    world.drain()

    check(world, scenario)
    check_settled(world, scenario)


@seeded()
def test_concurrent_calls_on_an_expired_session_refresh_it_once(
    make_world: Callable[..., World], seed: int
) -> None:
    world = make_world(seed, socket=True)
    lead_id = world.org.create("Lead", {"LastName": "Once", "Company": "Initech"})
    world.client.get("Lead", lead_id, ["Id"])  # log in
    tokens = world.app.state.sfemu.tokens
    assert tokens.expire_all() == 1
    start = threading.Barrier(THREADS)
    names: list[str] = []
    failures: list[BaseException] = []

    def call() -> None:
        start.wait()
        try:
            names.append(str(world.client.get("Lead", lead_id, ["LastName"]).get("LastName")))
        except BaseException as exc:  # reported below with the seed
            failures.append(exc)

    threads = [threading.Thread(target=call) for _ in range(THREADS)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(30)

    assert failures == [], f"seed {seed}: {failures}"
    assert names == ["Once"] * THREADS
    assert len(tokens.sessions) == 1, f"seed {seed}: {len(tokens.sessions)} logins for one expiry"
