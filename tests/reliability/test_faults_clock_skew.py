"""F10: sfemu's clock runs minutes ahead of or behind ours, and edits commit late.

Salesforce edits are stamped 4 seconds before the newest stamp the last inbound pass read (a
transaction that committed after our read, with an earlier SystemModstamp); the 5-second
overlap window must catch them. With
Salesforce ahead, records stamped in our future arrive once our clock passes their stamp
(the read is capped at the run's start), so the drain waits out the skew.
"""

from __future__ import annotations

from collections.abc import Callable

import pytest
from generator import generate
from harness import World
from oracle import check, check_settled

from conftest import FULL, SEEDS, SIZE

LATE_COMMIT = 4.0
BEHIND = (
    "engine defect: the read cursor keeps the newest SystemModstamp read before Salesforce's "
    "clock was set back 5 minutes; edits stamped below it (cursor minus overlap) are never read"
)
BEHIND_SEEDS = SEEDS if FULL else SEEDS[:1]  # every seed shows the defect; CI runs one
CASES = [
    pytest.param(seed, skew, id=f"seed{seed:02d}-{name}", marks=marks)
    for seed in SEEDS
    for skew, name, marks in [
        (0, "late-commit", []),
        (300, "ahead5m", []),
        (-300, "behind5m", [pytest.mark.xfail(strict=True, reason=BEHIND)]),
    ]
    if skew != -300 or seed in BEHIND_SEEDS
]


@pytest.mark.parametrize(("seed", "skew"), CASES)
def test_skewed_clocks_and_late_commits_skip_nothing(
    make_world: Callable[..., World], seed: int, skew: int
) -> None:
    world = make_world(seed)
    scenario = generate(seed, SIZE)
    world.baseline(scenario)
    world.org.advance_clock(skew)
    world.late_commit = LATE_COMMIT
    assert abs((world.org.now() - world.clock.now()).total_seconds() - skew) < 1

    world.play(scenario)
    world.drain()
    world.clock.advance(abs(skew) + 60)
    world.drain()

    check(world, scenario)
    check_settled(world, scenario)
