"""``ringsync sync``: one pass now, a summary table or JSON, and one-line refusals."""

from __future__ import annotations

import json

from typer.testing import CliRunner

from ringsync.cli import app
from ringsync.commands.demo_setup import DemoWorld
from ringsync.domain.accounts import create_account
from ringsync.runtime.leases import LeaseRepository, account_lease_key
from ringsync.store.repositories.sync_links import list_links


def _sync(env: dict[str, str], *args: str) -> tuple[int, str]:
    result = CliRunner().invoke(app, ["sync", *args], env=env)
    return result.exit_code, result.output


def test_sync_pulls_the_org_and_prints_a_summary(
    world: DemoWorld, world_env: dict[str, str]
) -> None:
    code, output = _sync(world_env, "--account", str(world.account_id))

    assert code == 0, output
    assert f"Sync of account {world.account_id}" in output
    assert "inbound Lead" in output
    assert "inbound Contact" in output
    assert "outbound" in output
    assert "Salesforce API calls:" in output
    with world.product.database.read() as session:
        assert len(list_links(session, world.account_id)) > 40


def test_sync_json_parses_and_counts_what_was_created(
    world: DemoWorld, world_env: dict[str, str]
) -> None:
    code, output = _sync(world_env, "--account", str(world.account_id), "--inbound", "--json")

    assert code == 0, output
    body = json.loads(output)
    assert body["account_id"] == world.account_id
    assert [(r["direction"], r["object"]) for r in body["runs"]] == [
        ("inbound", "Lead"),
        ("inbound", "Contact"),
    ]
    assert all(r["status"] == "succeeded" and r["error"] is None for r in body["runs"])
    created = sum(r["totals"].get("created", 0) for r in body["runs"])
    with world.product.database.read() as session:
        assert created == len(list_links(session, world.account_id))
    assert body["api_calls"] > 0


def test_a_second_outbound_pass_has_nothing_to_send(
    world: DemoWorld, world_env: dict[str, str]
) -> None:
    _sync(world_env, "--account", str(world.account_id))

    code, output = _sync(world_env, "--account", str(world.account_id), "--outbound", "--json")

    assert code == 0, output
    (run,) = json.loads(output)["runs"]
    assert run["direction"] == "outbound"
    assert not any(run["totals"].get(k) for k in ("created", "updated", "failed"))


def test_an_unknown_account_ends_with_one_line_and_exit_2(world_env: dict[str, str]) -> None:
    code, output = _sync(world_env, "--account", "999")

    assert code == 2
    assert output.strip() == "Error: account 999 does not exist"


def test_an_account_without_a_connection_says_how_to_connect(
    world: DemoWorld, world_env: dict[str, str]
) -> None:
    with world.product.database.write() as session:
        other = create_account(session, "Not connected").id

    code, output = _sync(world_env, "--account", str(other))

    assert code == 2
    assert output.strip().startswith(f"Error: account {other} has no Salesforce connection")
    assert "ringsync connect" in output


def test_inbound_and_outbound_together_are_refused() -> None:
    code, output = _sync({}, "--account", "1", "--inbound", "--outbound")

    assert code == 2
    assert "exclude each other" in output


def test_a_busy_account_is_not_synced_twice(world: DemoWorld, world_env: dict[str, str]) -> None:
    leases = LeaseRepository(world.product.database)
    held = leases.acquire(account_lease_key(world.account_id), "worker-7", 60)
    assert held is not None

    code, output = _sync(world_env, "--account", str(world.account_id))

    assert code == 1
    assert "is being synced right now (held by worker-7)" in output
    with world.product.database.read() as session:
        assert list_links(session, world.account_id) == []


def test_an_unreachable_salesforce_fails_the_run_with_its_reason(
    world: DemoWorld, world_env: dict[str, str]
) -> None:
    world.server.stop()

    code, output = _sync(world_env, "--account", str(world.account_id), "--inbound")

    assert code == 1
    assert "inbound Lead failed: unavailable: Salesforce's token endpoint could not be reached" in (
        output
    )
    assert "Traceback" not in output
