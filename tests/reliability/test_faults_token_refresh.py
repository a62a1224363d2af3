"""F5 (refresh endpoint): the token endpoint fails with 500s, then refuses the refresh token.

The account is connected the product's way (an OAuth refresh token stored encrypted; the
engine's client comes from ``SalesforceAccess``). Each window starts with every session
expired, so each run must refresh. First windows: the token endpoint answers 500 (runs fail as
unavailable, changes wait). Then it answers ``invalid_grant`` once, which kills the refresh
token for good: every later run fails with ``auth_error`` and its "reconnect" message, the
outbox keeps every change, nothing goes to the failed records. After the admin reconnects
(a new refresh token), everything drains and the oracle holds.

The connection itself shows it: the 500s leave it ``connected`` (they are retried), the refusal
marks it ``needs_reauth`` with Salesforce's error and "Reconnect", and the reconnect clears it.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from generator import Scenario, generate
from harness import World
from oracle import check, check_settled
from sf_connection import Connected, connected

from conftest import SIZE, seeded
from ringsync.salesforce.tokens import generate_key
from ringsync.store.repositories import sync_admin


def _play_with_refresh_faults(
    world: World, seed: int, states: list[tuple[int, str]] | None = None
) -> tuple[Scenario, Connected, list[Any]]:
    """Baseline through the stored connection, then 500s from the token endpoint, then a
    refused refresh token from the middle window on. ``states`` gets, before each window,
    the connection's state after the previous window's runs."""
    scenario = generate(seed, SIZE)
    conn = connected(world, [generate_key()])
    world.baseline(scenario)
    rules: list[Any] = []
    refused_from = max(1, len(scenario.windows) // 2)

    def faults(window: int) -> None:
        if states is not None:
            states.append((window, conn.state()[0]))
        world.faults.clear()
        world.app.state.sfemu.tokens.expire_all()
        if window < refused_from:
            rules.append(world.faults.add({"kind": "token_500", "grant_type": "refresh_token"}))
        elif window == refused_from:
            rules.append(
                world.faults.add(
                    {"kind": "token_invalid_grant", "grant_type": "refresh_token", "count": 1}
                )
            )

    world.play(scenario, between=faults)
    return scenario, conn, rules


@seeded()
def test_refused_refresh_keeps_every_change_until_reconnected(
    make_world: Callable[..., World], seed: int
) -> None:
    world = make_world(seed)
    scenario, conn, rules = _play_with_refresh_faults(world, seed)
    try:
        assert all(rule.fired > 0 for rule in rules), f"seed {seed}: {rules}"
        # While the token is dead: the runs say why and how to fix it; nothing is dropped.
        assert any(e.startswith("unavailable") for e in world.errors), world.errors
        with world.db.read() as session:
            newest = sync_admin.last_runs(session, world.account_id)
        assert newest, f"seed {seed}: no runs recorded"
        for run in newest:
            assert run.error is not None, f"seed {seed}: a run succeeded on a dead token: {run}"
            assert run.error.startswith("auth_error"), run.error
            assert "invalid_grant" in run.error, run.error
            assert "Reconnect Salesforce" in run.error, run.error
        assert world.pending(), f"seed {seed}: outbox emptied while the token was dead"
        assert world.engine.list_failed(world.account_id) == [], f"seed {seed}: failed records"
        # Still dead after the faults are gone (the refused token stays refused).
        world.faults.clear()
        world.tick()
        assert world.errors[-1].startswith("auth_error"), world.errors[-1]
        assert conn.state()[0] == "needs_reauth", conn.state()

        conn.connect()  # the admin reconnects
        world.drain()
        assert conn.state() == ("connected", None), "the reconnect did not clear the mark"

        check(world, scenario)
        check_settled(world, scenario)
    finally:
        conn.close()


def test_a_refused_refresh_token_shows_on_the_connection(
    make_world: Callable[..., World],
) -> None:
    world = make_world(1)
    states: list[tuple[int, str]] = []
    scenario, conn, _rules = _play_with_refresh_faults(world, 1, states)
    try:
        refused_from = max(1, len(scenario.windows) // 2)
        # Windows 1..refused_from follow runs that met only 500s: still connected.
        transient = [state for window, state in states if window <= refused_from]
        assert transient, states
        assert set(transient) == {"connected"}, f"a transient failure marked it: {states}"
        state, last_error = conn.state()
        assert state == "needs_reauth", "the connection does not say it needs reconnecting"
        assert last_error is not None, "the connection shows no error"
        assert "invalid_grant" in last_error
        assert "Reconnect" in last_error
    finally:
        conn.close()
