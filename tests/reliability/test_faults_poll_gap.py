"""F11: long poll gaps: 4 days, and 31 days (past getDeleted's reach and past 30 days).

Besides the scenario's people, a few extra Leads are synced first. When the gap starts,
Salesforce deletes one and edits another; then nothing syncs for the whole gap; just before
the next poll Salesforce deletes a third. Salesforce refuses getDeleted for a start more than
15 days back (``INVALID_REPLICATION_DATE``; the recycle bin is purged after that), so after
the long gap the inbound deletion step must reconcile (read every linked record) instead of
silently skipping the deletions it can no longer list. The oracle checks the scenario; the
extras must show both deletions unlinked (contacts kept), the edit applied, the fourth still
linked.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta

import pytest
from generator import generate
from harness import World
from oracle import check, check_settled, rerun

from conftest import SIZE, seeded
from ringsync.domain.contacts import get_contact
from ringsync.errors import FatalSyncError
from ringsync.store.repositories import sync_log

GAP_WINDOW = 1
"""The gap comes right before this window's events."""
EXTRAS = 4


def _extra_leads(world: World) -> list[str]:
    return [
        str(
            world.org.create(
                "Lead",
                {
                    "LastName": f"Gap{world.seed}x{i}",
                    "Company": "Initech",
                    "Phone": f"+1415555{(world.seed * 37 + 500 + i) % 10_000:04d}",
                },
                user_id=world.rep_user_id,
            )
        )
        for i in range(EXTRAS)
    ]


def _reconciled_runs(world: World) -> list[int]:
    with world.db.read() as session:
        runs = sync_log.list_runs(session, world.account_id, limit=10_000)
    return [run.id for run in runs if run.totals.get("deletions_reconciled")]


@pytest.mark.parametrize("gap_days", [4, 31], ids=["gap4d", "gap31d"])
@seeded()
def test_a_long_poll_gap_misses_no_deletion_and_no_edit(
    make_world: Callable[..., World], seed: int, gap_days: int
) -> None:
    world = make_world(seed)
    scenario = generate(seed, SIZE)
    extras = _extra_leads(world)
    world.baseline(scenario)
    by_record = {world.org.normalize_id(r): c for c, r in world.links().items()}
    contacts = [by_record[world.org.normalize_id(r)] for r in extras]
    reconciled_before = _reconciled_runs(world)
    edited = f"gap-{seed}"

    def gap(window: int) -> None:
        if window != GAP_WINDOW:
            return
        world.org.delete(extras[0], user_id=world.rep_user_id)
        world.org.update("Lead", extras[1], {"FirstName": edited}, user_id=world.rep_user_id)
        world.clock.advance(timedelta(days=gap_days) - timedelta(minutes=1))
        world.org.delete(extras[2], user_id=world.rep_user_id)
        world.clock.advance(timedelta(minutes=1))

    world.play(scenario, between=gap)
    world.drain()

    check(world, scenario)
    check_settled(world, scenario)
    links = world.links()
    label = rerun(seed)
    assert contacts[0] not in links, f"{label}: deletion at the gap's start missed"
    assert contacts[2] not in links, f"{label}: deletion at the gap's end missed"
    assert links.get(contacts[3]) is not None, f"{label}: a live record was unlinked"
    with world.db.read() as session:
        kept = [get_contact(session, world.account_id, c) for c in contacts]
        assert kept[1].values.get("first_name") == edited, f"{label}: edit in the gap missed"
    reconciled = [r for r in _reconciled_runs(world) if r not in reconciled_before]
    if gap_days > 14:
        assert reconciled, f"{label}: no reconciliation read after a {gap_days}-day gap"
    else:
        assert not reconciled, f"{label}: getDeleted covers {gap_days} days; no full read needed"


@seeded()
def test_salesforce_refuses_get_deleted_beyond_its_window(
    make_world: Callable[..., World], seed: int
) -> None:
    world = make_world(seed)
    now = world.clock.now()
    world.client.get_deleted("Lead", now - timedelta(days=14), now)  # inside: answered
    with pytest.raises(FatalSyncError) as refused:
        world.client.get_deleted("Lead", now - timedelta(days=16 + seed), now)
    assert refused.value.context.get("error_code") == "INVALID_REPLICATION_DATE"
