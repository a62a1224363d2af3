"""F9: PostgreSQL goes away for a while, or fails over in the middle of a run; nothing is lost.

Postgres is shared on these machines, so it is never restarted. An outage is a TCP proxy in
front of it (``tcp_proxy.py``), cut, plus ``pg_terminate_backend`` of every connection to the
test's own database; a failover is every connection to that database killed server-side
while a worker sits inside its settling transaction (held there by a table lock the test
takes), with the server available again at once.
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from generator import Activity, Edit, Event, Size, generate
from harness import live_rig, wait_for
from oracle import check, check_settled
from sqlalchemy import Engine, create_engine, make_url, select, text
from tcp_proxy import TcpProxy

from conftest import FULL, SEEDS
from fixtures.services import PG_ADMIN_URL, REDIS_URL
from ringsync.store.repositories.sync_log import RunStatus
from ringsync.store.tables import Activity as ActivityRow

DB_SEEDS = SEEDS if FULL else SEEDS[:1]
DB_SIZE = Size(12, 3, 16) if FULL else Size(6, 3, 6)
OUTAGE_SECONDS = 8.0 if FULL else 3.0
WORKERS = 2 if FULL else 1
ids = [f"seed{s:02d}" for s in DB_SEEDS]


@pytest.fixture
def admin() -> Iterator[Engine]:
    """Yield an engine on the server's admin database (to kill the test database's backends)."""
    engine = create_engine(PG_ADMIN_URL, isolation_level="AUTOCOMMIT")
    yield engine
    engine.dispose()


def terminate(admin: Engine, pg_url: str) -> int:
    """Kill every connection to the test's database server-side; return how many."""
    name = make_url(pg_url).database
    with admin.connect() as connection:
        killed = connection.execute(
            text(
                "SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity "
                "WHERE datname = :name AND pid <> pg_backend_pid()"
            ),
            {"name": name},
        ).scalar_one()
    return int(killed)


def lock_waiters(admin: Engine, pg_url: str) -> int:
    """Return how many backends of the test's database wait for a lock."""
    with admin.connect() as connection:
        return int(
            connection.execute(
                text(
                    "SELECT count(*) FROM pg_stat_activity "
                    "WHERE datname = :name AND wait_event_type = 'Lock'"
                ),
                {"name": make_url(pg_url).database},
            ).scalar_one()
        )


@pytest.mark.postgres
@pytest.mark.redis
@pytest.mark.timeout(240 if FULL else 90)
@pytest.mark.parametrize("seed", DB_SEEDS, ids=ids)
def test_postgres_down_events_get_a_retryable_error_and_nothing_is_lost(
    pg_url: str, redis_prefix: str, tmp_path: Path, admin: Engine, seed: int
) -> None:
    """F9a: while the store is unreachable the events API answers 503; afterwards all drains."""
    scenario = generate(seed, DB_SIZE)
    url = make_url(pg_url)
    proxy = TcpProxy(url.host or "127.0.0.1", url.port or 5432).start()
    proxied = url.set(host="127.0.0.1", port=proxy.port).render_as_string(hide_password=False)
    try:
        with live_rig(
            seed,
            pg_url=pg_url,
            prefix=redis_prefix,
            tmp_path=tmp_path,
            redis_url=REDIS_URL,
            product_pg_url=proxied,
        ) as rig:
            rig.baseline(scenario)
            rig.procs.start_workers(WORKERS)
            rig.procs.start_beat()
            for event in scenario.windows[0]:
                rig.apply(event)
            rig.settle("the first window")

            proxy.cut()
            killed = terminate(admin, pg_url)
            assert killed > 0, "no connection to kill: the outage would test nothing"
            started = time.monotonic()
            deferred: list[Event] = []
            refused: list[str] = []
            during = scenario.windows[1]
            for position, event in enumerate(during):
                if isinstance(event, Edit) and event.side == "theirs":
                    rig.world.apply(event)  # Salesforce is up; its users keep editing
                    continue
                deferred.append(event)  # our users' requests fail too; they retry later
                if isinstance(event, Activity):
                    response = rig.post(event)
                    assert response.status_code == 503, response.text
                    assert response.json()["error"]["code"] == "database_unavailable"
                    assert int(response.headers["Retry-After"]) > 0
                    refused.append(event.event_id)
                rig.runner.submit("sync_inbound", account_id=rig.account_id)
                pause = started + OUTAGE_SECONDS * (position + 1) / len(during)
                time.sleep(max(pause - time.monotonic(), 0.0))
            assert refused, f"seed {seed}: no event met the outage"
            assert proxy.refused > 0
            proxy.restore()

            # No partial write of a refused event. A refused re-delivery of an event recorded
            # before the outage is stored, of course: only first deliveries count here.
            first = {e.event_id for e in during if isinstance(e, Activity) and not e.redelivery}
            with rig.world.db.read() as session:
                stored = session.scalars(
                    select(ActivityRow.external_id).where(
                        ActivityRow.account_id == rig.account_id,
                        ActivityRow.external_id.in_(sorted(set(refused) & first)),
                    )
                ).all()
            assert not stored, f"refused events were stored: {stored}"
            for event in deferred:  # the retries, in their original order
                rig.apply(event)
            for window in scenario.windows[2:]:
                for event in window:
                    rig.apply(event)
            rig.settle("the runner to resume after the outage")
            rig.settle("a second quiet round")
            assert all(p.poll() is None for p in rig.procs.workers), rig.procs.tail()
            check(rig.world, scenario)
            check_settled(rig.world, scenario)
    finally:
        proxy.stop()


@pytest.mark.postgres
@pytest.mark.redis
@pytest.mark.timeout(240 if FULL else 90)
@pytest.mark.parametrize("seed", DB_SEEDS, ids=ids)
def test_a_failover_mid_settlement_is_retried_without_loss_or_duplicates(
    pg_url: str, redis_prefix: str, tmp_path: Path, admin: Engine, seed: int
) -> None:
    """F9b: every connection dies while a worker settles sent writes; the run is redone."""
    scenario = generate(seed, DB_SIZE)
    with live_rig(
        seed, pg_url=pg_url, prefix=redis_prefix, tmp_path=tmp_path, redis_url=REDIS_URL
    ) as rig:
        rig.baseline(scenario)
        for event in scenario.events():  # the wake-ups wait in Redis
            rig.apply(event)
        writes = rig.world.stats.write_calls_total
        after = rig.last_run()
        locker = create_engine(pg_url)
        try:
            with locker.connect() as connection:
                connection.execute(text("LOCK TABLE sync_log IN EXCLUSIVE MODE"))
                rig.procs.start_workers(WORKERS)
                rig.runner.wake(rig.account_id)
                wait_for(
                    lambda: (
                        rig.world.stats.write_calls_total > writes
                        and lock_waiters(admin, pg_url) > 0
                    ),
                    30,
                    "a worker to settle sent writes",
                    rig.procs.tail(),
                )
                assert terminate(admin, pg_url) > 0
                connection.invalidate()
        finally:
            locker.dispose()

        rig.settle("the interrupted run to be redone")
        rig.settle("a second quiet round")
        interrupted = [
            r
            for r in rig.runs_since(after)
            if r.direction == "outbound"
            and (
                r.status == RunStatus.ABANDONED
                or (r.status == RunStatus.FAILED and "unexpected" in (r.error or ""))
            )
        ]
        assert interrupted, f"seed {seed}: no outbound run was interrupted"
        check(rig.world, scenario)
        check_settled(rig.world, scenario)
