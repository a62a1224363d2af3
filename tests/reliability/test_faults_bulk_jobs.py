"""F13: Bulk API 2.0 jobs that fail part-way: an ingest job and a query job.

The first inbound read goes through a Bulk query (threshold 1) whose job ends ``Failed``; the
run fails and the next one reads everything. Updates go through Bulk ingest (threshold 1, so
every push of two or more updates is a job) and rows meet ``UNABLE_TO_LOCK_ROW`` at random
(failed rows). In the second test the first job of every window also ends ``Failed`` after
processing half its rows (the rest come back unprocessed). Only failed and unprocessed rows
may be sent again: the oracle checks that nothing is lost or counted twice, and the job
results show no row that succeeded was resubmitted with the same values.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from generator import Scenario, generate
from harness import World
from oracle import check, check_settled

from conftest import SIZE, seeded
from ringsync.sync.engine import EngineOptions
from ringsync.sync.inbound import InboundOptions
from ringsync.sync.outbound import OutboundOptions

INGEST_THRESHOLD = 1
"""Bulk ingest for any push of more than this many updates (the product's default is 2000)."""


def _bulk_everywhere(world: World) -> None:
    world.engine.options = EngineOptions(
        inbound=InboundOptions(bulk_threshold=1),
        outbound=OutboundOptions(ingest_threshold=INGEST_THRESHOLD),
    )


def _jobs(world: World, kind: str) -> list[Any]:
    return [job for job in world.app.state.sfemu.jobs.values() if job.kind == kind]


def _first_read_through_a_failing_query_job(world: World, scenario: Scenario) -> None:
    """Create the early people; the first read's Bulk query job fails, the next one works."""
    world.create_early(scenario)
    query_rule = world.faults.add({"kind": "bulk_job_failure", "endpoint": "jobs/query"})
    world.clock.advance(2)
    world.tick()
    seed = world.seed
    assert query_rule.fired == 1, f"seed {seed}: the first read used no Bulk query job"
    assert any("Bulk job" in e and "Failed" in e for e in world.errors), world.errors
    world.drain()
    world.adopt_early(scenario)
    assert any(job.state == "JobComplete" for job in _jobs(world, "query"))


@seeded()
def test_failed_query_job_and_locked_bulk_rows_lose_nothing(
    make_world: Callable[..., World], seed: int
) -> None:
    world = make_world(seed)
    _bulk_everywhere(world)
    scenario = generate(seed, SIZE)
    _first_read_through_a_failing_query_job(world, scenario)
    rules: list[Any] = []

    def faults(window: int) -> None:
        del window
        world.faults.clear()
        rules.append(world.faults.add({"kind": "unable_to_lock_row", "probability": 0.3}))

    world.play(scenario, between=faults)
    world.drain()

    check(world, scenario)
    check_settled(world, scenario)
    ingest = _jobs(world, "ingest")
    assert ingest, f"seed {seed}: no Bulk ingest job ran"
    locked = sum(
        1 for job in ingest for row in job.outcome.failed if "UNABLE_TO_LOCK_ROW" in row[1]
    )
    assert locked > 0, f"seed {seed}: no Bulk row met a lock error"
    _no_row_sent_twice_after_success(world, seed)


@seeded()
def test_ingest_jobs_failing_half_way_resend_only_the_rest(
    make_world: Callable[..., World], seed: int
) -> None:
    world = make_world(seed)
    _bulk_everywhere(world)
    scenario = generate(seed, SIZE)
    world.baseline(scenario)

    def faults(window: int) -> None:
        del window
        world.faults.clear()
        world.faults.add({"kind": "bulk_job_failure", "endpoint": "jobs/ingest", "count": 1})
        world.faults.add({"kind": "unable_to_lock_row", "probability": 0.3})

    world.play(scenario, between=faults)
    world.drain()

    failed = [job for job in _jobs(world, "ingest") if job.state == "Failed"]
    assert failed, f"seed {seed}: no ingest job failed part-way"
    assert any(job.outcome.unprocessed for job in failed), f"seed {seed}: nothing unprocessed"
    check(world, scenario)
    check_settled(world, scenario)
    _no_row_sent_twice_after_success(world, seed)


def _no_row_sent_twice_after_success(world: World, seed: int) -> None:
    """Assert no update row was resubmitted in a later job with the values it already had."""
    done: dict[str, list[tuple[str, ...]]] = {}
    for job in _jobs(world, "ingest"):  # in creation order
        outcome = job.outcome
        if outcome is None:
            continue
        header = ["sf__Id", "sf__Created", *outcome.header]
        for row in outcome.successful:
            values = dict(zip(header, row, strict=False))
            key = values["sf__Id"][:15]
            payload = tuple(f"{k}={v}" for k, v in sorted(values.items()) if k[:4] != "sf__")
            assert payload not in done.get(key, []), (
                f"seed {seed}: row {key} sent again after it succeeded: {payload}"
            )
            done.setdefault(key, []).append(payload)
