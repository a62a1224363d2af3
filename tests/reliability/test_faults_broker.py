"""F8: the Redis broker goes away, comes back empty, or delivers a message twice; nothing is lost.

Redis is shared on these machines, so it is never restarted: the product (worker processes,
beat, the web app's runner) reaches it through a TCP proxy (``tcp_proxy.py``) that the test
cuts and restores, and a "restart that lost its data" deletes this test's own keys (its key
prefix) while the proxy is cut. Activities arrive through ``POST /api/v1/events``; edits on
our side are written by the domain, edits in Salesforce by the rep. Outbound recovery after
the fault is left to the beat's sweep (the test nudges inbound passes only), so the test fails
if a change depends on a queue message.
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from contextlib import AbstractContextManager
from pathlib import Path

import pytest
import redis
from generator import Size, generate
from harness import Rig, live_rig, wait_for
from oracle import check, check_settled
from tcp_proxy import TcpProxy

from conftest import FULL, SEEDS
from fixtures.services import REDIS_URL

BROKER_SEEDS = SEEDS if FULL else SEEDS[:1]
BROKER_SIZE = Size(12, 3, 16) if FULL else Size(6, 3, 6)
OUTAGE_SECONDS = 8.0 if FULL else 3.0
WORKERS = 2 if FULL else 1
QUEUE = "ringsync"
ids = [f"seed{s:02d}" for s in BROKER_SEEDS]


@pytest.fixture
def broker_proxy() -> Iterator[TcpProxy]:
    """Yield a proxy in front of the shared Redis."""
    url = redis.connection.parse_url(REDIS_URL)
    proxy = TcpProxy(str(url.get("host", "127.0.0.1")), int(url.get("port", 6379))).start()
    yield proxy
    proxy.stop()


def _proxied(proxy: TcpProxy) -> str:
    """Return the broker URL through ``proxy`` (same database number)."""
    db = redis.connection.parse_url(REDIS_URL).get("db", 0)
    return f"redis://127.0.0.1:{proxy.port}/{db}"


def _rig(
    seed: int, pg_url: str, prefix: str, tmp_path: Path, proxy: TcpProxy
) -> AbstractContextManager[Rig]:
    return live_rig(
        seed,
        pg_url=pg_url,
        prefix=prefix,
        tmp_path=tmp_path,
        redis_url=REDIS_URL,
        product_redis_url=_proxied(proxy),
    )


def _survivors(rig: Rig) -> None:
    """Fail unless every worker and beat survived the fault."""
    dead = [p.pid for p in rig.procs.workers if p.poll() is not None]
    beat = rig.procs.beat
    assert not dead, f"workers {dead} died\n{rig.procs.tail()}"
    assert beat is not None
    assert beat.poll() is None, f"beat died\n{rig.procs.tail()}"


@pytest.mark.postgres
@pytest.mark.redis
@pytest.mark.timeout(240 if FULL else 90)
@pytest.mark.parametrize("seed", BROKER_SEEDS, ids=ids)
def test_redis_down_for_a_while_events_still_accepted_and_drained(
    pg_url: str, redis_prefix: str, tmp_path: Path, broker_proxy: TcpProxy, seed: int
) -> None:
    """F8a: Redis unreachable while events keep arriving; after it returns, all drains."""
    scenario = generate(seed, BROKER_SIZE)
    with _rig(seed, pg_url, redis_prefix, tmp_path, broker_proxy) as rig:
        rig.baseline(scenario)
        rig.procs.start_workers(WORKERS)
        rig.procs.start_beat()
        for event in scenario.windows[0]:
            rig.apply(event)
        rig.settle("the first window")

        broker_proxy.cut()
        started = time.monotonic()
        later = [event for window in scenario.windows[1:] for event in window]
        for position, event in enumerate(later):
            rig.apply(event)  # every activity must still be recorded: 201
            # spread the events over the outage
            pause = started + OUTAGE_SECONDS * (position + 1) / len(later) - time.monotonic()
            time.sleep(max(pause, 0.0))
        assert rig.world.pending(), f"seed {seed}: the outage left nothing to send"
        assert broker_proxy.refused > 0, "nobody tried to reach Redis during the outage"
        broker_proxy.restore()

        rig.settle("the outbox to drain after Redis returned", wake=False)
        rig.settle("a second quiet round", wake=False)
        _survivors(rig)
        check(rig.world, scenario)
        check_settled(rig.world, scenario)


@pytest.mark.postgres
@pytest.mark.redis
@pytest.mark.timeout(240 if FULL else 90)
@pytest.mark.parametrize("seed", BROKER_SEEDS, ids=ids)
def test_redis_restart_losing_the_queue_is_recovered_from_the_outbox(
    pg_url: str, redis_prefix: str, tmp_path: Path, broker_proxy: TcpProxy, seed: int
) -> None:
    """F8b: queued wake-ups are lost with Redis's data; the beat's sweep sends every change."""
    scenario = generate(seed, BROKER_SIZE)
    keys = redis.Redis.from_url(REDIS_URL)
    with _rig(seed, pg_url, redis_prefix, tmp_path, broker_proxy) as rig:
        rig.baseline(scenario)
        rig.procs.start_beat()  # no worker yet: wake-ups wait in Redis
        for event in scenario.events():
            rig.apply(event)
        queued = keys.llen(f"{redis_prefix}{QUEUE}")
        assert queued > 0, f"seed {seed}: no wake-up was queued"

        broker_proxy.cut()  # the restart: connections drop, the data is gone
        ours = list(keys.scan_iter(match=f"{redis_prefix}*"))
        keys.delete(*ours)
        assert keys.llen(f"{redis_prefix}{QUEUE}") == 0
        broker_proxy.restore()
        keys.close()

        rig.procs.start_workers(WORKERS)
        rig.settle("the sweep to send the outbox", wake=False)
        rig.settle("a second quiet round", wake=False)
        _survivors(rig)
        check(rig.world, scenario)
        check_settled(rig.world, scenario)


@pytest.mark.postgres
@pytest.mark.redis
@pytest.mark.timeout(240 if FULL else 90)
@pytest.mark.parametrize("seed", BROKER_SEEDS, ids=ids)
def test_a_task_message_delivered_twice_changes_nothing(
    pg_url: str, redis_prefix: str, tmp_path: Path, broker_proxy: TcpProxy, seed: int
) -> None:
    """F8c: every sync message is published twice under one id, during and after the run."""
    scenario = generate(seed, BROKER_SIZE)
    keys = redis.Redis.from_url(REDIS_URL)

    def twice(rig: Rig, tag: str) -> None:
        for task in ("sync_outbound", "sync_inbound"):
            task_id = f"{task}:{rig.account_id}:dup-{tag}"
            for _ in range(2):
                rig.celery.send_task(
                    f"ringsync.{task}", kwargs={"account_id": rig.account_id}, task_id=task_id
                )

    def consumed() -> bool:
        return keys.llen(f"{redis_prefix}{QUEUE}") == 0 and keys.hlen(f"{redis_prefix}unacked") == 0

    with _rig(seed, pg_url, redis_prefix, tmp_path, broker_proxy) as rig:
        rig.baseline(scenario)
        rig.procs.start_workers(2)  # two consumers, so duplicates can meet
        for number, window in enumerate(scenario.windows):
            for event in window:
                rig.apply(event)
            twice(rig, f"w{number}")
        rig.settle("the duplicates to be consumed")
        rig.settle("a second quiet round")
        check(rig.world, scenario)

        writes = rig.world.stats.write_calls_total
        before = {lead["Id"]: dict(lead) for lead in rig.world.leads()}
        after_run = rig.last_run()
        twice(rig, "after")
        wait_for(consumed, 30, "the duplicate messages to be consumed", rig.procs.tail())
        # Each id ran at most once at a time; the others found the account busy and left.
        assert rig.runs_since(after_run), "no duplicate message ran"
        assert rig.world.stats.write_calls_total == writes, "a duplicate message wrote again"
        after = {lead["Id"]: dict(lead) for lead in rig.world.leads()}
        assert after.keys() == before.keys()
        check(rig.world, scenario)
        check_settled(rig.world, scenario)
    keys.close()
