"""Rate limits beyond sign-in: events, the OAuth callback, admin actions spending Salesforce calls.

Each limit trips with 429, ``Retry-After`` and the one error shape (code ``too_many_requests``),
says what happened and when to try again, refills as the clock moves (a frozen clock, never a
sleep), and counts per account: another account is not affected. A refused event leaves no
trace, so sending it again later records it once. The Redis store is shared by two limiters as
it would be by two web processes; an unreachable Redis falls back to counting in memory.
"""

from __future__ import annotations

import logging
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from argon2 import PasswordHasher
from fastapi import FastAPI
from sqlalchemy import func, select
from starlette.testclient import TestClient

from fixtures.services import REDIS_URL
from fixtures.web import Person, World
from ringsync.clock import FrozenClock
from ringsync.domain.activities import get_stats
from ringsync.errors import TooManyRequestsError
from ringsync.settings import Settings, load_settings
from ringsync.store.db import Database
from ringsync.store.repositories import sync_failed
from ringsync.store.tables import Activity, OutboxEntry
from ringsync.web import create_app
from ringsync.web.api.admin_salesforce import STATE_ATTRIBUTE, SalesforceAccess
from ringsync.web.buckets import Bucket, MemoryBuckets, Rate, RedisBuckets, open_buckets
from ringsync.web.ratelimit import RateLimits, RatePolicy

A = "/api/v1/admin"
EVENTS = "/api/v1/events"
CALLBACK = f"{A}/integration/oauth/callback"
SMALL = {
    "rate_limit_store": "memory",
    "rate_limit_events_per_second": 1,
    "rate_limit_events_burst": 3,
    "rate_limit_token_events_per_second": 1,
    "rate_limit_token_events_burst": 3,
    "rate_limit_salesforce_actions_per_minute": 2,
    "rate_limit_oauth_callbacks_per_address": 3,
    "rate_limit_oauth_callbacks_per_account": 2,
}


@pytest.fixture
def clock() -> FrozenClock:
    """A clock of this module's own, so moving it never disturbs the shared app's tests."""
    return FrozenClock(datetime(2026, 3, 1, 12, 0, tzinfo=UTC))


@pytest.fixture
def limit_settings(request: pytest.FixtureRequest) -> dict[str, Any]:
    """Return small limits; a test may change some with indirect parametrize."""
    return {**SMALL, **getattr(request, "param", {})}


@pytest.fixture
def app(
    settings: Settings,
    database: Database,
    clock: FrozenClock,
    hasher: PasswordHasher,
    access: SalesforceAccess,
    limit_settings: dict[str, Any],
) -> FastAPI:
    """Build an app with small limits set through the settings, reaching this test's sfemu."""
    limited = Settings(**{**settings.model_dump(), **limit_settings})
    built = create_app(limited, session_factory=database, clock=clock, password_hasher=hasher)
    setattr(built.state, STATE_ATTRIBUTE, access)
    return built


def _token(person: Person) -> dict[str, str]:
    made = person.call("POST", "/api/v1/tokens", json={"name": "pbx"})
    assert made.status_code == 201, made.text
    return {"Authorization": f"Bearer {made.json()['token']}"}


def _contact(person: Person, phone: str) -> int:
    made = person.call("POST", "/api/v1/contacts", json={"phone": phone})
    assert made.status_code == 201, made.text
    contact_id: int = made.json()["id"]
    return contact_id


def _event(contact_id: int, key: str) -> dict[str, Any]:
    return {
        "type": "call.ended",
        "contact_id": contact_id,
        "direction": "outbound",
        "occurred_at": "2026-03-01T08:33:16-07:00",
        "duration_seconds": 42,
        "idempotency_key": key,
    }


def _limited(response: Any, expect_error: Any, seconds: int) -> str:
    """Check a 429 in the one shape with ``Retry-After``; return the message."""
    error = expect_error(response, 429, "too_many_requests")
    assert response.headers["Retry-After"] == str(seconds)
    unit = "second" if seconds == 1 else "seconds"
    assert error["message"].endswith(f"try again in {seconds} {unit}")
    message: str = error["message"]
    return message


def _rows(database: Database, account_id: int) -> tuple[int, int]:
    with database.read() as session:
        activities = session.scalar(
            select(func.count()).select_from(Activity).where(Activity.account_id == account_id)
        )
        outbox = session.scalar(
            select(func.count())
            .select_from(OutboxEntry)
            .where(OutboxEntry.account_id == account_id)
        )
    return int(activities or 0), int(outbox or 0)


# --- events ---------------------------------------------------------------------------------


def test_events_trip_per_account_and_a_refused_event_is_not_half_recorded(
    world: World,
    database: Database,
    clock: FrozenClock,
    secrets_seen: Any,
    expect_error: Any,
) -> None:
    headers = _token(world.admin)
    contact = _contact(world.admin, secrets_seen.add_phone("+14155550161"))
    for n in range(3):
        sent = world.anonymous.post(EVENTS, json=_event(contact, f"call-{n}"), headers=headers)
        assert sent.status_code == 201, sent.text
    before = _rows(database, world.admin.account_id)

    refused = world.anonymous.post(EVENTS, json=_event(contact, "call-3"), headers=headers)
    message = _limited(refused, expect_error, 1)
    assert message.startswith("too many events for this account (at most 1 a second, bursts of 3)")
    assert "this event was not recorded" in message
    # Nothing of the refused event exists: no activity, no outbox row, stats untouched.
    assert _rows(database, world.admin.account_id) == before
    with database.read() as session:
        assert get_stats(session, world.admin.account_id, contact).total_outbound_calls == 3

    # Another account sends as usual.
    other_contact = _contact(world.other_admin, secrets_seen.add_phone("+14155550162"))
    other = world.anonymous.post(
        EVENTS, json=_event(other_contact, "call-0"), headers=_token(world.other_admin)
    )
    assert other.status_code == 201, other.text

    # One second later one token is back: the same event is recorded once, not replayed.
    clock.advance(1)
    again = world.anonymous.post(EVENTS, json=_event(contact, "call-3"), headers=headers)
    assert again.status_code == 201, again.text
    assert "Idempotent-Replayed" not in again.headers
    _limited(
        world.anonymous.post(EVENTS, json=_event(contact, "call-4"), headers=headers),
        expect_error,
        1,
    )
    # After a full refill the whole burst is allowed again.
    clock.advance(3)
    for n in range(4, 7):
        sent = world.anonymous.post(EVENTS, json=_event(contact, f"call-{n}"), headers=headers)
        assert sent.status_code == 201, sent.text
    with database.read() as session:
        assert get_stats(session, world.admin.account_id, contact).total_outbound_calls == 7


@pytest.mark.parametrize(
    "limit_settings",
    [{"rate_limit_events_burst": 10, "rate_limit_token_events_burst": 2}],
    indirect=True,
)
def test_events_trip_per_api_token_while_the_accounts_other_tokens_go_on(
    world: World, secrets_seen: Any, expect_error: Any
) -> None:
    first, second = _token(world.admin), _token(world.admin)
    contact = _contact(world.admin, secrets_seen.add_phone("+14155550163"))
    for n in range(2):
        sent = world.anonymous.post(EVENTS, json=_event(contact, f"a-{n}"), headers=first)
        assert sent.status_code == 201, sent.text
    refused = world.anonymous.post(EVENTS, json=_event(contact, "a-2"), headers=first)
    message = _limited(refused, expect_error, 1)
    assert message.startswith("too many events from this API token")
    sent = world.anonymous.post(EVENTS, json=_event(contact, "b-0"), headers=second)
    assert sent.status_code == 201, sent.text


def test_the_default_event_limit_takes_a_contact_center_burst_of_2000_a_second_for_a_minute() -> (
    None
):
    clock = FrozenClock(datetime(2026, 3, 1, 12, 0, tzinfo=UTC))
    defaults = Settings(rate_limit_store="memory")
    limits = RateLimits.from_settings(defaults, clock)
    assert limits.policy.events_per_account == Rate(25_000, 2_500)
    for _ in range(60 * 20):  # 2,000 events a second for 60 s, in 50 ms steps, on one token
        clock.advance(0.05)
        for _ in range(100):
            limits.check_event(1, 7)
    # Four times the default rate is refused within seconds: the limit is real.
    waits: list[int] = []
    for _ in range(5 * 100):
        clock.advance(0.01)
        for _ in range(100):
            try:
                limits.check_event(2, 8)
            except TooManyRequestsError as exc:
                waits.append(exc.retry_after)
    refused = len(waits)
    assert set(waits) == {1}
    # 50,000 sent in 5 s; 25,000 (burst) + 5 x 2,500 (refill) = 37,500 allowed.
    assert 12_000 <= refused <= 13_000


# --- OAuth callback --------------------------------------------------------------------------


def _from_address(app: FastAPI, person: Person, address: str) -> Person:
    client = TestClient(app, base_url="http://localhost", client=(address, 50000))
    return Person(person.account_id, person.user_id, person.email, person.role, client).sign_in()


@pytest.mark.parametrize(
    "limit_settings", [{"rate_limit_oauth_callbacks_per_account": 10}], indirect=True
)
def test_the_oauth_callback_trips_per_client_address(
    app: FastAPI, world: World, clock: FrozenClock, expect_error: Any
) -> None:
    for person in (world.admin, world.admin, world.other_admin):
        expect_error(person.client.get(CALLBACK), 400, "oauth_state_invalid")
    refused = world.other_admin.client.get(CALLBACK)
    message = _limited(refused, expect_error, 200)  # 3 per 10 minutes: one back every 200 s
    assert message.startswith(
        "too many Salesforce sign-ins from this address (at most 3 in 10 minutes); "
        "nothing was stored"
    )
    elsewhere = _from_address(app, world.other_admin, "192.0.2.7")
    try:
        expect_error(elsewhere.client.get(CALLBACK), 400, "oauth_state_invalid")
    finally:
        elsewhere.client.close()
    clock.advance(timedelta(minutes=10))
    for person in (world.admin, world.admin, world.other_admin):
        expect_error(person.client.get(CALLBACK), 400, "oauth_state_invalid")


@pytest.mark.parametrize(
    "limit_settings", [{"rate_limit_oauth_callbacks_per_address": 10}], indirect=True
)
def test_the_oauth_callback_trips_per_account_and_sends_browsers_back_with_the_code(
    world: World, clock: FrozenClock, expect_error: Any
) -> None:
    for _ in range(2):
        expect_error(world.admin.client.get(CALLBACK), 400, "oauth_state_invalid")
    refused = world.admin.client.get(CALLBACK)
    message = _limited(refused, expect_error, 300)  # 2 per 10 minutes: one back every 300 s
    assert message.startswith("too many Salesforce sign-ins for this account")
    browser = world.admin.client.get(
        CALLBACK, headers={"Accept": "text/html"}, follow_redirects=False
    )
    assert browser.status_code == 303
    assert browser.headers["location"] == "/salesforce?connect_error=too_many_requests"
    expect_error(world.other_admin.client.get(CALLBACK), 400, "oauth_state_invalid")
    clock.advance(timedelta(minutes=5))
    expect_error(world.admin.client.get(CALLBACK), 400, "oauth_state_invalid")


# --- admin actions that spend Salesforce API calls ---------------------------------------------


def test_connection_checks_trip_per_account_and_come_back_after_a_minute(
    connected: World, connect: Any, clock: FrozenClock, expect_error: Any
) -> None:
    admin = connected.admin
    for _ in range(2):
        checked = admin.call("POST", f"{A}/integration/check")
        assert checked.status_code == 200, checked.text
    message = _limited(admin.call("POST", f"{A}/integration/check"), expect_error, 30)
    assert message == (
        "too many connection checks for this account (at most 2 a minute, to spare its "
        "Salesforce API budget); nothing was started; try again in 30 seconds"
    )
    assert connect(connected.other_admin).status_code == 200
    other = connected.other_admin.call("POST", f"{A}/integration/check")
    assert other.status_code == 200, other.text
    clock.advance(60)
    for _ in range(2):
        checked = admin.call("POST", f"{A}/integration/check")
        assert checked.status_code == 200, checked.text


def test_operation_runs_trip_per_account_and_start_nothing(
    connected: World, clock: FrozenClock, expect_error: Any
) -> None:
    admin = connected.admin
    for _ in range(2):
        started = admin.call("POST", f"{A}/operations/push_contacts/run", json={})
        assert started.status_code == 202, started.text
    refused = admin.call("POST", f"{A}/operations/push_contacts/run", json={})
    message = _limited(refused, expect_error, 30)
    assert message.startswith("too many operation runs and previews for this account")
    history = admin.client.get(f"{A}/operations").json()["items"]
    assert len(history) == 2  # the refused run left no operation behind
    # Previews spend calls too and share the bucket; sync users has its own.
    _limited(admin.call("POST", f"{A}/operations/pull_contacts/preview", json={}), expect_error, 30)
    users = admin.call("POST", f"{A}/users/sync")
    assert users.status_code == 202, users.text
    clock.advance(30)
    started = admin.call("POST", f"{A}/operations/push_contacts/run", json={})
    assert started.status_code == 202, started.text


def test_user_syncs_trip_per_account(connected: World, expect_error: Any) -> None:
    admin = connected.admin
    for _ in range(2):
        synced = admin.call("POST", f"{A}/users/sync")
        assert synced.status_code == 202, synced.text
    message = _limited(admin.call("POST", f"{A}/users/sync"), expect_error, 30)
    assert message.startswith("too many user syncs for this account (at most 2 a minute")


def test_failed_record_retries_trip_per_account_and_leave_the_record_failed(
    world: World, database: Database, clock: FrozenClock, secrets_seen: Any, expect_error: Any
) -> None:
    admin = world.admin
    failed: list[int] = []
    for n in range(3):
        contact = _contact(admin, secrets_seen.add_phone(f"+1415555017{n}"))
        with database.write() as session:
            failed.append(
                sync_failed.record_failure(
                    session,
                    admin.account_id,
                    contact_id=contact,
                    sobject="Lead",
                    record_id=None,
                    operation="update",
                    payload={"properties": ["first_name"]},
                    error_code="REQUIRED_FIELD_MISSING",
                    message="Salesforce said REQUIRED_FIELD_MISSING",
                    at=clock.now(),
                )
            )
    for failed_id in failed[:2]:
        retried = admin.call("POST", f"{A}/failed-records/{failed_id}/retry")
        assert retried.status_code == 200, retried.text
    refused = admin.call("POST", f"{A}/failed-records/{failed[2]}/retry")
    assert _limited(refused, expect_error, 30).startswith(
        "too many failed-record retries for this account"
    )
    listed = admin.client.get(f"{A}/failed-records?status=all").json()["items"]
    assert {f["id"]: f["status"] for f in listed}[failed[2]] == "failed"
    # Refusals that cost nothing do not spend the budget: an unknown record is still 404 later.
    clock.advance(30)
    expect_error(admin.call("POST", f"{A}/failed-records/987654/retry"), 404, "not_found")
    retried = admin.call("POST", f"{A}/failed-records/{failed[2]}/retry")
    assert retried.status_code == 200, retried.text


# --- stores and settings ----------------------------------------------------------------------

POLICY = RatePolicy(
    events_per_account=Rate(3, 1),
    events_per_token=Rate(0, 0),
    salesforce_actions=Rate(0, 0),
    oauth_per_address=Rate(0, 0),
    oauth_per_account=Rate(0, 0),
)


@pytest.mark.redis
def test_two_web_processes_share_the_buckets_in_redis(redis_prefix: str) -> None:
    clock = FrozenClock(datetime(2026, 3, 1, 12, 0, tzinfo=UTC))
    settings = Settings(
        rate_limit_store="redis",
        rate_limit_redis_url=REDIS_URL,
        rate_limit_key_prefix=redis_prefix,
        rate_limit_events_burst=3,
        rate_limit_events_per_second=1,
    )
    first = RateLimits.from_settings(settings, clock)
    second = RateLimits.from_settings(settings, clock)
    try:
        first.check_event(1, None)
        second.check_event(1, None)
        first.check_event(1, None)
        with pytest.raises(TooManyRequestsError) as refused:
            second.check_event(1, None)
        assert refused.value.retry_after == 1
        second.check_event(2, None)  # another account has its own bucket
        clock.advance(1)
        second.check_event(1, None)
        with pytest.raises(TooManyRequestsError):
            first.check_event(1, None)
    finally:
        first.close()
        second.close()


@pytest.mark.redis
def test_a_refusal_in_redis_takes_no_token_from_the_other_buckets(redis_prefix: str) -> None:
    clock = FrozenClock(datetime(2026, 3, 1, 12, 0, tzinfo=UTC))
    store = RedisBuckets(REDIS_URL, redis_prefix, clock)
    wide, narrow = Bucket("wide", Rate(5, 1)), Bucket("narrow", Rate(1, 1))
    now = clock.now().timestamp()
    try:
        assert store.take([wide, narrow], now) is None
        refusal = store.take([wide, narrow], now)
        assert refusal is not None
        assert (refusal.index, refusal.wait) == (1, 1.0)
        for _ in range(4):  # the refused request took nothing from "wide": 4 left, not 3
            assert store.take([wide], now) is None
        assert store.take([wide], now) is not None
    finally:
        store.close()


@pytest.mark.redis
@pytest.mark.parametrize("where", ["redis", "memory"])
def test_a_batch_takes_its_whole_cost_at_once_or_nothing(redis_prefix: str, where: str) -> None:
    clock = FrozenClock(datetime(2026, 3, 1, 12, 0, tzinfo=UTC))
    store = RedisBuckets(REDIS_URL, redis_prefix, clock) if where == "redis" else MemoryBuckets()
    bucket = Bucket("batch", Rate(10, 2))
    now = clock.now().timestamp()
    try:
        assert store.take([bucket], now, 6) is None  # 4 left
        refusal = store.take([bucket], now, 6)
        assert refusal is not None
        assert refusal.wait == 1.0  # 2 more tokens at 2 a second
        assert store.take([bucket], now, 4) is None  # the refusal took nothing
        assert store.take([bucket], now + 3, 6) is None  # refilled 6 in 3 s
    finally:
        store.close()


def test_an_unreachable_redis_falls_back_to_counting_in_memory(
    caplog: pytest.LogCaptureFixture,
) -> None:
    clock = FrozenClock(datetime(2026, 3, 1, 12, 0, tzinfo=UTC))
    store = RedisBuckets("redis://127.0.0.1:1/0", "unused:", clock)
    limits = RateLimits(clock, POLICY, store)
    with caplog.at_level(logging.WARNING, logger="ringsync.web.buckets"):
        for _ in range(3):
            limits.check_event(1, None)
        with pytest.raises(TooManyRequestsError):
            limits.check_event(1, None)
    warnings = [r.getMessage() for r in caplog.records if r.name == "ringsync.web.buckets"]
    assert len(warnings) == 1  # tried once, then left alone for a while
    assert "Redis is unreachable" in warnings[0]
    store.close()


def test_memory_buckets_refill_from_the_clock_and_zero_turns_a_limit_off() -> None:
    store = MemoryBuckets()
    bucket = Bucket("k", Rate.per_window(2, timedelta(minutes=1)))
    assert store.take([bucket], 0.0) is None
    assert store.take([bucket], 0.0) is None
    refusal = store.take([bucket], 10.0)
    assert refusal is not None
    assert refusal.wait == pytest.approx(20.0)
    assert store.take([bucket], 30.0) is None
    wide, narrow = Bucket("wide", Rate(5, 1)), Bucket("narrow", Rate(1, 1))
    assert store.take([wide, narrow], 0.0) is None
    refused = store.take([wide, narrow], 0.0)
    assert refused is not None
    assert refused.index == 1
    for _ in range(4):  # the refused request took nothing from "wide"
        assert store.take([wide], 0.0) is None
    assert store.take([wide], 0.0) is not None
    clock = FrozenClock(datetime(2026, 3, 1, 12, 0, tzinfo=UTC))
    off = RateLimits(clock, RatePolicy(Rate(0, 0), Rate(0, 0), Rate(0, 0), Rate(0, 0), Rate(0, 0)))
    for _ in range(1000):
        off.check_event(1, 1)


def test_rate_limit_settings_come_from_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    for name, value in {
        "RINGSYNC_RATE_LIMIT_STORE": "redis",
        "RINGSYNC_RATE_LIMIT_EVENTS_PER_SECOND": "4000",
        "RINGSYNC_RATE_LIMIT_EVENTS_BURST": "40000",
        "RINGSYNC_RATE_LIMIT_TOKEN_EVENTS_PER_SECOND": "3000",
        "RINGSYNC_RATE_LIMIT_TOKEN_EVENTS_BURST": "30000",
        "RINGSYNC_RATE_LIMIT_SALESFORCE_ACTIONS_PER_MINUTE": "6",
        "RINGSYNC_RATE_LIMIT_OAUTH_CALLBACKS_PER_ADDRESS": "12",
        "RINGSYNC_RATE_LIMIT_OAUTH_CALLBACKS_PER_ACCOUNT": "4",
    }.items():
        monkeypatch.setenv(name, value)
    policy = RatePolicy.from_settings(load_settings())
    assert policy.events_per_account == Rate(40_000, 4_000)
    assert policy.events_per_token == Rate(30_000, 3_000)
    assert policy.salesforce_actions == Rate(6, pytest.approx(0.1))
    assert policy.oauth_per_address == Rate(12, pytest.approx(0.02))
    assert policy.oauth_per_account.burst == 4
    assert load_settings().rate_limit_store == "redis"


def test_auto_shares_the_buckets_in_redis_only_with_the_celery_runner() -> None:
    clock = FrozenClock(datetime(2026, 3, 1, 12, 0, tzinfo=UTC))
    redis_url = "redis://127.0.0.1:6379/0"
    embedded = open_buckets(Settings(rate_limit_store="auto", runner="embedded"), clock)
    celery = open_buckets(
        Settings(rate_limit_store="auto", runner="celery", broker_url=redis_url), clock
    )
    amqp = open_buckets(
        Settings(rate_limit_store="auto", runner="celery", broker_url="amqp://broker//"), clock
    )
    forced = open_buckets(Settings(rate_limit_store="memory", runner="celery"), clock)
    assert isinstance(embedded, MemoryBuckets)
    assert isinstance(celery, RedisBuckets)  # connects on first use only
    assert isinstance(amqp, MemoryBuckets)
    assert isinstance(forced, MemoryBuckets)
