"""Drive events at a target rate: producer threads, the settle watcher, and the baseline sender.

Producers: ``--producers`` threads share one schedule (event ``i`` is due at ``start + i /
rate``); a thread that falls behind fires its next event at once, so the achieved rate is what
the product accepts, never more. With catch-up (the default) the producers go on after the
window until every event due in it was accepted, as a caller that queues and retries would;
the figures tell the events accepted inside the window from the rest.

Acceptance of one event is what ``POST /api/v1/events`` does inside its request: the shared
``record_event`` (contact id as given, ``record_activity``: contact lock, activity row,
tracking stats, outbox row) in one transaction, and after the commit ``wake`` the runner. With
``--batch N`` the producers send groups of N events the way ``POST /api/v1/events/batch`` does:
``record_events`` (one transaction, one outbox row per contact) and one ``wake``; a group is
sent when its last event is due (a caller cannot send an event before it happened). The accept
time is taken right after the commit.

Settling: a watcher thread reads, every 10 ms, which outbox rows at or above the oldest
unsettled one are no longer pending, and stamps each with the time it first read it settled.
The engine settles a row in the transaction after the Collections call returned, so
accept -> settle covers the debounce, the run, the Salesforce write and the settle commit
(plus up to 10 ms of polling). Baseline: the same schedule, each event one PATCH of its Lead
from a plain httpx client per producer thread; its latency ends when the PATCH returned.
"""

from __future__ import annotations

import heapq
import threading
import time
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

import sqlalchemy as sa

from bench.load_world import Linked, LoadWorld
from bench.runtime_fleet import busy_percent, host_cpu
from bench.sync_wiring import VERSION, percentiles, token
from ringsync.domain.activities import BatchItem, record_event, record_events
from ringsync.domain.tracking import ActivityDirection, ActivityEvent, ActivityKind
from ringsync.store.db import Database
from ringsync.store.tables import OutboxEntry

Fire = Callable[[range], float]  # accept the events of these indexes; return when accepted


@dataclass
class Produced:
    """What the producers offered and what was accepted, with timings."""

    offered: int
    accepted: int
    accepted_in_window: int
    errors: Counter[str]
    window_seconds: float
    last_accept_seconds: float
    lag: list[float]
    cpu_seconds: float
    host_busy_percent: float
    window_end: float

    def accepted_in_window_shortfall(self) -> int:
        """Return the events due in the window that were not accepted inside it."""
        return self.offered - self.accepted_in_window

    def figures(self, rate: float) -> dict[str, Any]:
        """Return the acceptance figures."""
        lag = percentiles(self.lag)
        failed = sum(self.errors.values())
        return {
            "target_rate_per_second": rate,
            "offered": self.offered,
            "accepted": self.accepted,
            "accepted_in_window": self.accepted_in_window,
            "never_accepted": self.offered - self.accepted - failed,
            "errors": dict(self.errors),
            "window_seconds": round(self.window_seconds, 2),
            "accepted_per_second_in_window": round(
                self.accepted_in_window / max(self.window_seconds, 1e-9), 1
            ),
            "seconds_to_accept_all": round(self.last_accept_seconds, 2),
            "accepted_per_second_overall": round(
                self.accepted / max(self.last_accept_seconds, 1e-9), 1
            ),
            "schedule_lag_median_ms": lag["median_ms"],
            "schedule_lag_p95_ms": lag["p95_ms"],
            "schedule_lag_max_ms": lag["max_ms"],
            "process_cpu_ms_per_accepted_event": round(
                1000 * self.cpu_seconds / max(self.accepted, 1), 3
            ),
            "host_cpu_busy_percent": self.host_busy_percent,
        }


def produce(
    rate: float,
    seconds: float,
    producers: int,
    fire: Fire,
    *,
    catch_up: bool,
    at_window_end: Callable[[], None] | None = None,
    batch: int = 1,
) -> Produced:
    """Fire events on the shared schedule from ``producers`` threads for ``seconds``.

    With ``catch_up`` every event due in the window is offered, however late (a caller that
    queues and retries); without, no event is offered after the window. ``at_window_end`` runs
    on its own thread when the window closes (a snapshot of the backlog). With ``batch`` > 1
    the threads fire groups of that many consecutive events, each when its last one is due;
    the schedule lag is measured from that moment.
    """
    offered = max(1, int(rate * seconds))
    size = max(1, batch)
    groups = [range(start, min(start + size, offered)) for start in range(0, offered, size)]
    accepted = [0] * producers
    in_window = [0] * producers
    lags: list[list[float]] = [[] for _ in range(producers)]
    last: list[float] = [0.0] * producers
    errors: Counter[str] = Counter()
    lock = threading.Lock()
    cpu, host = time.process_time(), host_cpu()
    started = time.perf_counter() + 0.05
    end = started + seconds

    def work(slot: int) -> None:
        for group in groups[slot::producers]:
            due = started + group[-1] / rate
            now = time.perf_counter()
            if now >= end and not catch_up:
                return
            if due > now:
                time.sleep(due - now)
            begun = time.perf_counter()
            try:
                done = fire(group)
            except Exception as exc:  # counted and reported; the load goes on
                with lock:
                    errors[type(exc).__name__] += len(group)
                continue
            accepted[slot] += len(group)
            in_window[slot] += len(group) if done <= end else 0
            lags[slot].extend([begun - due] * len(group))
            last[slot] = done - started

    threads = [
        threading.Thread(target=work, args=(slot,), name=f"bench-load-producer-{slot}")
        for slot in range(producers)
    ]
    snapshot = None
    if at_window_end is not None:
        snapshot = threading.Timer(end - time.perf_counter(), at_window_end)
        snapshot.start()
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    if snapshot is not None:
        snapshot.join()
    return Produced(
        window_end=end,
        offered=offered,
        accepted=sum(accepted),
        accepted_in_window=sum(in_window),
        errors=errors,
        window_seconds=seconds,
        last_accept_seconds=max(last),
        lag=[x for part in lags for x in part],
        cpu_seconds=time.process_time() - cpu,
        host_busy_percent=busy_percent(host, host_cpu()),
    )


class SettleWatch:
    """Stamp each outbox row with the time it was accepted and the time it first read settled."""

    def __init__(self, database: Database, account_id: int, interval: float = 0.01) -> None:
        """Watch ``account_id``'s outbox rows in ``database``."""
        self.database = database
        self.account_id = account_id
        self.interval = interval
        self.accepted: dict[int, float] = {}
        self.events: dict[int, int] = {}  # events behind each row (a batch: one row per contact)
        self.settled: dict[int, float] = {}
        self.status: dict[int, str] = {}
        self._waiting: list[int] = []  # a heap of registered ids, lazily cleared of settled ones
        self._settled_registered = 0
        self.lock = threading.Lock()
        self.stop = threading.Event()
        self.thread = threading.Thread(target=self._loop, name="bench-load-watch", daemon=True)

    def add(self, outbox_id: int, at: float, events: int = 1) -> None:
        """Register the outbox row of ``events`` accepted events (one, or a batch's contact)."""
        with self.lock:
            self.accepted[outbox_id] = at
            self.events[outbox_id] = events
            if outbox_id in self.settled:
                self._settled_registered += 1
            else:
                heapq.heappush(self._waiting, outbox_id)

    def unsettled(self) -> int:
        """Return how many registered rows have not been seen settled."""
        with self.lock:
            return len(self.accepted) - self._settled_registered

    def _low(self) -> int | None:
        with self.lock:
            while self._waiting and self._waiting[0] in self.settled:
                heapq.heappop(self._waiting)
            return self._waiting[0] if self._waiting else None

    def _loop(self) -> None:
        c = OutboxEntry
        while not self.stop.is_set():
            low = self._low()
            if low is not None:
                stmt = sa.select(c.id, c.status).where(
                    c.account_id == self.account_id, c.id >= low, c.status != "pending"
                )
                with self.database.read() as session:
                    rows = session.execute(stmt).all()
                now = time.perf_counter()
                with self.lock:
                    for outbox_id, status in rows:
                        key = int(outbox_id)
                        if key not in self.settled:
                            self.settled[key] = now
                            self.status[key] = str(status)
                            if key in self.accepted:
                                self._settled_registered += 1
            self.stop.wait(self.interval)

    def start(self) -> None:
        """Start watching."""
        self.thread.start()

    def close(self) -> None:
        """Stop watching."""
        self.stop.set()
        self.thread.join()

    @property
    def statuses(self) -> Counter[str]:
        """Return how many registered events' rows were seen in each settled status."""
        with self.lock:
            counts: Counter[str] = Counter()
            for i in self.accepted:
                if i in self.status:
                    counts[self.status[i]] += self.events[i]
            return counts

    def latencies(self) -> list[float]:
        """Return accept -> settled seconds of every registered event whose row read settled.

        A row read settled before its producer registered it (a few microseconds after the
        commit) counts as 0. A row standing for several events counts once per event.
        """
        with self.lock:
            return [
                max(self.settled[i] - at, 0.0)
                for i, at in self.accepted.items()
                if i in self.settled
                for _ in range(self.events[i])
            ]

    def last_settled(self) -> float | None:
        """Return when the last registered row was seen settled."""
        with self.lock:
            times = [self.settled[i] for i in self.accepted if i in self.settled]
        return max(times) if times else None


def make_event(phase: str, index: int) -> ActivityEvent:
    """Return event ``index`` of a phase: calls and texts alternate, all outbound."""
    now = datetime.now(UTC)
    if index % 2 == 0:
        return ActivityEvent(
            f"load-{phase}-{index}",
            ActivityKind.CALL,
            ActivityDirection.OUTBOUND,
            now,
            duration_seconds=30 + index % 90,
        )
    return ActivityEvent(
        f"load-{phase}-{index}",
        ActivityKind.SMS,
        ActivityDirection.OUTBOUND,
        now,
        body=f"bench text {index}",
    )


def accept_events(
    world: LoadWorld, phase: str, wake: Callable[[int], None], watch: SettleWatch, batch: int = 1
) -> Fire:
    """Return the producer's ``fire``: accept events as the events API does.

    One event per call (``batch`` 1) as ``POST /api/v1/events``: ``record_event`` then
    ``wake``. Several as ``POST /api/v1/events/batch``: ``record_events`` then one ``wake``.
    The HTTP layer (JSON parsing, authentication, the rate limit) is not included.
    """
    database, account_id, contacts = world.database, world.account_id, world.contacts

    def fire_one(indexes: range) -> float:
        (index,) = indexes
        contact_id = contacts[index % len(contacts)][0]
        event = make_event(phase, index)
        with database.write() as session:
            result = record_event(session, account_id, event, contact_id=contact_id)
        at = time.perf_counter()
        if result.outbox_id is None:
            raise RuntimeError(f"event {event.external_id} was taken for a duplicate")
        watch.add(result.outbox_id, at)
        wake(account_id)
        return at

    def fire_batch(indexes: range) -> float:
        items = [
            BatchItem(make_event(phase, i), contact_id=contacts[i % len(contacts)][0])
            for i in indexes
        ]
        with database.write() as session:
            outcomes = record_events(session, account_id, items)
        at = time.perf_counter()
        per_row: Counter[int] = Counter()
        for outcome in outcomes:
            if outcome.status != "created" or outcome.outbox_id is None:
                raise RuntimeError(f"a batch event was not created: {outcome.code}")
            per_row[outcome.outbox_id] += 1
        for outbox_id, events in per_row.items():
            watch.add(outbox_id, at, events)
        wake(account_id)
        return at

    return fire_one if batch <= 1 else fire_batch


@dataclass
class BaselineSender:
    """One PATCH per event from a plain httpx client per producer thread."""

    world: LoadWorld
    contacts: Linked
    latencies: list[float] = field(default_factory=list)
    failures: int = 0
    counts: Counter[str] = field(default_factory=Counter)
    lock: threading.Lock = field(default_factory=threading.Lock)
    local: threading.local = field(default_factory=threading.local)
    clients: list[Any] = field(default_factory=list)

    def __post_init__(self) -> None:
        """Log in once; every thread's client sends the same bearer token."""
        self.bearer = f"Bearer {token(self.world.org)}"

    def fire(self, indexes: range) -> float:
        """Send each event of ``indexes`` as one PATCH; return when the last response arrived."""
        done = 0.0
        for index in indexes:
            done = self._send(index)
        return done

    def _send(self, index: int) -> float:
        """Send event ``index`` as one PATCH; return when the response arrived."""
        http = getattr(self.local, "http", None)
        if http is None:
            http = self.world.org.http(timeout=60)
            http.headers["Authorization"] = self.bearer
            self.local.http = http
            with self.lock:
                self.clients.append(http)
        record_id = self.contacts[index % len(self.contacts)][2]
        with self.lock:
            self.counts[record_id] += 1
            value = self.counts[record_id]
        begun = time.perf_counter()
        reply = http.patch(
            f"/services/data/{VERSION}/sobjects/Lead/{record_id}",
            json={"Total_Outbound_Texts__c": value},
        )
        done = time.perf_counter()
        with self.lock:
            self.latencies.append(done - begun)
            if reply.status_code != 204:
                self.failures += 1
        return done

    def close(self) -> None:
        """Close every thread's client."""
        for http in self.clients:
            http.close()


__all__ = [
    "BaselineSender",
    "Produced",
    "SettleWatch",
    "accept_events",
    "make_event",
    "produce",
]
