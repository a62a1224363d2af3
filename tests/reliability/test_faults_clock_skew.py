"""F10: sfemu's clock runs minutes ahead of or behind ours, and edits commit late.

Salesforce edits are stamped 4 seconds before the newest stamp the last inbound pass read (a
transaction that committed after our read, with an earlier SystemModstamp); the 5-second
overlap window must catch them. With
Salesforce ahead, records stamped in our future arrive once our clock passes their stamp
(the read is capped at the run's start), so the drain waits out the skew. With Salesforce set
back behind the last read, the read starts from Salesforce's own time (learnt from getUpdated),
not from the cursor, so edits stamped below the cursor are still read.
"""

from __future__ import annotations

from collections.abc import Callable

import pytest
from generator import generate
from harness import World
from oracle import check, check_settled

from conftest import SEEDS, SIZE

LATE_COMMIT = 4.0
CASES = [
    pytest.param(seed, skew, id=f"seed{seed:02d}-{name}")
    for seed in SEEDS
    for skew, name in [(0, "late-commit"), (300, "ahead5m"), (-300, "behind5m")]
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
