"""Replace an emulator's org with a fresh (optionally seeded) one, keeping its clock and apps."""

from __future__ import annotations

from typing import Any

from sfemu.oauth import TokenStore
from sfemu.org import Org
from sfemu.state import EmulatorState


def rebuild_org(state: EmulatorState, counts: dict[str, int]) -> Org:
    """Swap in a fresh org with default contents, seeded when ``counts`` names any records.

    The clock and the daily API limit carry over; data cursors, bulk jobs and traffic
    statistics are cleared. Sessions survive when the new org keeps the same org id.
    """
    old = state.org
    clock = getattr(old, "clock", None) or getattr(old, "_clock", None)
    new = Org(clock=clock, name=old.name, daily_api_limit=old.daily_api_limit)
    if any(counts.get(k) for k in ("leads", "contacts", "users")):
        from sfemu.seed import seed_org

        seed_org(
            new,
            leads=counts.get("leads", 0),
            contacts=counts.get("contacts", 0),
            users=counts.get("users", 0),
            seed=counts.get("seed", 0),
        )
    state.org = new
    if new.org_id != old.org_id:
        apps: dict[str, Any] = dict(state.tokens.apps)
        state.tokens = TokenStore(new.org_id)
        state.tokens.apps.update(apps)
    state.cursors.clear()
    state.jobs.clear()
    state.stats.reset()
    return new
