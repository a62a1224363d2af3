"""F6: a validation rule refuses some records: they are listed with the reason; the rest sync."""

from __future__ import annotations

from collections.abc import Callable

from generator import generate
from harness import World
from oracle import Rejection, check, check_settled, expected_values

from conftest import SIZE, seeded
from ringsync.store.repositories.sync_log import list_entries

REJECTION = Rejection("city", "Nowhere", "FIELD_CUSTOM_VALIDATION_EXCEPTION")


@seeded()
def test_refused_records_are_listed_with_their_reason_and_the_rest_sync(
    make_world: Callable[..., World], seed: int
) -> None:
    world = make_world(seed)
    world.org.add_validation_rule_spec(
        "Lead",
        {
            "name": "No_Nowhere",
            "field": "City",
            "operator": "equals",
            "value": "Nowhere",
            "message": "City cannot be Nowhere",
        },
    )
    scenario = generate(seed, SIZE, poison=("city", "Nowhere"), poisoned=2)
    world.baseline(scenario)

    world.play(scenario)
    world.drain()

    check(world, scenario, rejection=REJECTION)
    check_settled(world, scenario)
    failed = world.engine.list_failed(world.account_id)
    refused = [
        p
        for p, values in expected_values(scenario, "salesforce_wins").items()
        if values["city"] == "Nowhere"
    ]
    with world.db.read() as session:
        refusals = [
            entry
            for entry in list_entries(session, world.account_id, action="failed", limit=5000)
            if entry.error_code == REJECTION.error_code
        ]
    # A refused value replaced later closes its failed record (the write carrying the other
    # fields went through), so a seed may end with nothing refused; it must refuse on the way.
    assert refusals, f"seed {seed}: Salesforce refused nothing"
    assert len(failed) == len(refused)
    assert all("City cannot be Nowhere" in f.message for f in failed), failed
