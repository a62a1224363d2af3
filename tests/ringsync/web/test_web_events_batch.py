"""Batches of events: one transaction, one result per event in order, nothing counted twice.

Runs on SQLite and Postgres. A bad event (schema, unknown contact, reused key) fails only
itself; events of one contact fold into its stats exactly as recording them one by one does
(a property over random events); one outbox row per contact; the rate limits count every
event and refuse a batch they cannot take before anything is written.
"""

from __future__ import annotations

import itertools
from dataclasses import asdict
from datetime import UTC, datetime, timedelta, timezone
from typing import Any

import pytest
from hypothesis import HealthCheck, given
from hypothesis import settings as hypothesis_settings
from hypothesis import strategies as st
from sqlalchemy import event as sa_event
from sqlalchemy import func, select

from ringsync.clock import FrozenClock
from ringsync.domain.accounts import create_account
from ringsync.domain.activities import (
    BatchItem,
    get_stats,
    record_activity,
    record_events,
)
from ringsync.domain.contacts import create_contact
from ringsync.domain.dispositions import create_disposition
from ringsync.domain.tracking import ActivityDirection, ActivityEvent, ActivityKind
from ringsync.settings import Settings
from ringsync.store.db import Database
from ringsync.store.repositories import outbox as outbox_repo
from ringsync.store.tables import Activity, OutboxEntry

BATCH = "/api/v1/events/batch"
SECRET_KEY = "test-secret-key-0123456789-abcdefghijklmnop"
_numbers = itertools.count(100)


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def database(request: pytest.FixtureRequest) -> Database:
    """Run every test of this module on SQLite and on Postgres."""
    db: Database = request.getfixturevalue(f"{request.param}_database")
    return db


@pytest.fixture
def settings(database: Database, request: pytest.FixtureRequest) -> Settings:
    """Settings on the test's store; a test may set rate limits by indirect parametrize."""
    url = database.engine.url.render_as_string(hide_password=False)
    extra: dict[str, Any] = getattr(request, "param", {})
    return Settings(secret_key=SECRET_KEY, database_url=url, **extra)


def _phone() -> str:
    return f"+1415555{next(_numbers) % 10_000:04d}"


@pytest.fixture
def integration(world: Any) -> dict[str, Any]:
    """An API token's headers and two contacts of account A (the second with its phone)."""
    admin = world.admin
    token = admin.client.post("/api/v1/tokens", json={"name": "pbx"}, headers=admin.headers)
    phones = [_phone(), _phone()]
    ids = [
        admin.client.post("/api/v1/contacts", json={"phone": p}, headers=admin.headers).json()["id"]
        for p in phones
    ]
    return {
        "headers": {"Authorization": f"Bearer {token.json()['token']}"},
        "contacts": ids,
        "phones": phones,
        "account_id": admin.account_id,
    }


def _call(contact_id: int, key: str, **extra: Any) -> dict[str, Any]:
    return {
        "type": "call.ended",
        "contact_id": contact_id,
        "direction": "outbound",
        "occurred_at": "2026-03-01T08:33:16-07:00",
        "duration_seconds": 42,
        "idempotency_key": key,
        **extra,
    }


def _text(phone: str, key: str, at: str = "2026-03-01T09:00:00+01:00") -> dict[str, Any]:
    return {
        "type": "sms.received",
        "phone": phone,
        "occurred_at": at,
        "body": "hello",
        "idempotency_key": key,
    }


def _activities(database: Database, account_id: int) -> int:
    with database.read() as session:
        stmt = select(func.count()).select_from(Activity).where(Activity.account_id == account_id)
        return int(session.scalar(stmt) or 0)


def _outbox(database: Database, account_id: int) -> int:
    with database.read() as session:
        stmt = (
            select(func.count())
            .select_from(OutboxEntry)
            .where(OutboxEntry.account_id == account_id)
        )
        return int(session.scalar(stmt) or 0)


def test_a_batch_records_every_event_once_and_wakes_the_runner_once(
    world: Any, integration: dict[str, Any], database: Database, runner: Any
) -> None:
    first, second = integration["contacts"]
    events = [
        _call(first, "b-1"),
        _text(integration["phones"][1], "b-2"),
        _call(first, "b-3", direction="inbound", occurred_at="2026-03-01T10:00:00Z"),
    ]
    runner.woken.clear()
    response = world.anonymous.post(BATCH, json={"events": events}, headers=integration["headers"])
    assert response.status_code == 207, response.text
    body = response.json()
    assert (body["created"], body["replayed"], body["failed"]) == (3, 0, 0)
    results = body["results"]
    assert [r["index"] for r in results] == [0, 1, 2]
    assert [r["status"] for r in results] == ["created"] * 3
    assert [r["contact_id"] for r in results] == [first, second, first]
    assert [r["idempotency_key"] for r in results] == ["b-1", "b-2", "b-3"]
    assert [r["type"] for r in results] == ["call.ended", "sms.received", "call.ended"]
    assert len({r["id"] for r in results}) == 3
    assert runner.woken == [integration["account_id"]]
    with database.read() as session:
        one = get_stats(session, integration["account_id"], first)
        two = get_stats(session, integration["account_id"], second)
    assert (one.total_outbound_calls, one.total_inbound_calls) == (1, 1)
    assert two.total_inbound_texts == 1


def test_the_same_batch_again_records_nothing_and_says_replayed(
    world: Any, integration: dict[str, Any], database: Database, runner: Any
) -> None:
    first, _ = integration["contacts"]
    account_id = integration["account_id"]
    events = [_call(first, "r-1"), _text(integration["phones"][0], "r-2")]
    headers = integration["headers"]
    sent = world.anonymous.post(BATCH, json={"events": events}, headers=headers).json()
    counts = (_activities(database, account_id), _outbox(database, account_id))
    runner.woken.clear()
    again = world.anonymous.post(BATCH, json={"events": events}, headers=headers)
    assert again.status_code == 207
    body = again.json()
    assert (body["created"], body["replayed"], body["failed"]) == (0, 2, 0)
    assert [r["status"] for r in body["results"]] == ["replayed", "replayed"]
    assert [r["id"] for r in body["results"]] == [r["id"] for r in sent["results"]]
    assert (_activities(database, account_id), _outbox(database, account_id)) == counts
    assert runner.woken == []
    with database.read() as session:
        stats = get_stats(session, account_id, first)
    assert (stats.total_outbound_calls, stats.total_inbound_texts) == (1, 1)


def test_bad_events_fail_alone_with_a_code_and_the_good_ones_are_recorded(
    world: Any, integration: dict[str, Any], database: Database
) -> None:
    first, _ = integration["contacts"]
    events: list[Any] = [
        _call(first, "m-good"),
        {"type": "fax.sent", "occurred_at": "2026-03-01T08:33:16", "idempotency_key": "m-schema"},
        _call(10**9, "m-nobody"),
        _text("+1 212 555 0199", "m-phone"),
        _call(first, "m-dispo", disposition="Never heard of it"),
        _call(first, ""),
        _call(first, "m-text-body", body="calls have no body"),
        "not an object",
        _text(integration["phones"][0], "m-good-2"),
    ]
    response = world.anonymous.post(BATCH, json={"events": events}, headers=integration["headers"])
    assert response.status_code == 207, response.text
    results = response.json()["results"]
    statuses = [(r["status"], (r["error"] or {}).get("code")) for r in results]
    assert statuses == [
        ("created", None),
        ("error", "validation_error"),
        ("error", "not_found"),
        ("error", "not_found"),
        ("error", "validation_error"),
        ("error", "validation_error"),
        ("error", "validation_error"),
        ("error", "validation_error"),
        ("created", None),
    ]
    schema_fields = sorted(d["field"] for d in results[1]["error"]["details"])
    assert schema_fields == ["occurred_at", "type"]
    assert results[2]["error"]["message"] == f"contact {10**9} does not exist"
    assert "0199" in results[3]["error"]["message"]
    assert "2125550199" not in response.text.replace(" ", "")
    assert results[4]["error"]["details"][0]["field"] == "disposition"
    assert results[5]["error"]["details"][0]["field"] == "idempotency_key"
    assert results[6]["error"]["details"][0]["field"] == "body"
    assert response.json()["failed"] == 7
    assert _activities(database, integration["account_id"]) == 2


def test_a_key_reused_for_another_event_is_a_conflict_within_and_across_requests(
    world: Any, integration: dict[str, Any], database: Database
) -> None:
    first, second = integration["contacts"]
    headers = {**integration["headers"], "Idempotency-Key": "k-single"}
    single = world.anonymous.post("/api/v1/events", json=_call(first, "k-single"), headers=headers)
    assert single.status_code == 201
    events = [
        _call(first, "k-single", occurred_at="2026-03-02T08:00:00Z"),  # stored: different event
        _call(first, "k-single"),  # stored: same event
        _call(second, "k-twice"),
        _call(second, "k-twice"),  # same key, same event, earlier in this batch
        _call(first, "k-twice"),  # same key, another contact
    ]
    response = world.anonymous.post(BATCH, json={"events": events}, headers=integration["headers"])
    results = response.json()["results"]
    assert [(r["status"], (r["error"] or {}).get("code")) for r in results] == [
        ("error", "conflict"),
        ("replayed", None),
        ("created", None),
        ("replayed", None),
        ("error", "conflict"),
    ]
    assert results[0]["error"]["message"] == (
        "this idempotency key was already used for a different event"
    )
    assert results[1]["id"] == single.json()["id"]
    assert results[3]["id"] == results[2]["id"]
    with database.read() as session:
        assert get_stats(session, integration["account_id"], first).total_outbound_calls == 1
        assert get_stats(session, integration["account_id"], second).total_outbound_calls == 1


def test_one_outbox_row_per_contact_with_every_changed_field(
    world: Any, integration: dict[str, Any], database: Database
) -> None:
    first, second = integration["contacts"]
    events = [_call(first, f"o-call-{n}", occurred_at=f"2026-03-01T0{n}:00:00Z") for n in range(5)]
    events += [_text(integration["phones"][1], f"o-text-{n}") for n in range(3)]
    events.append(_text(integration["phones"][0], "o-text-first"))
    account_id = integration["account_id"]
    with database.read() as session:
        before = {
            c: {r.id for r in outbox_repo.list_rows(session, account_id, contact_id=c)}
            for c in (first, second)
        }
    response = world.anonymous.post(BATCH, json={"events": events}, headers=integration["headers"])
    assert response.json()["created"] == 9
    with database.read() as session:
        rows = {
            c: [
                r
                for r in outbox_repo.list_rows(session, account_id, contact_id=c)
                if r.id not in before[c]
            ]
            for c in (first, second)
        }
    assert [len(rows[first]), len(rows[second])] == [1, 1]
    assert "total_outbound_calls" in rows[first][0].fields
    assert "total_inbound_texts" in rows[first][0].fields
    assert "total_inbound_texts" in rows[second][0].fields
    assert "total_outbound_calls" not in rows[second][0].fields
    assert len({r["contact_id"] for r in response.json()["results"]}) == 2


def test_another_accounts_contacts_are_not_found_and_nothing_leaks(
    world: Any, integration: dict[str, Any], database: Database
) -> None:
    first, _ = integration["contacts"]
    other = world.other_admin
    token = other.client.post("/api/v1/tokens", json={"name": "pbx"}, headers=other.headers)
    headers = {"Authorization": f"Bearer {token.json()['token']}"}
    events = [_call(first, "x-id"), _text(integration["phones"][0], "x-phone"), _call(10**9, "x-9")]
    response = world.anonymous.post(BATCH, json={"events": events}, headers=headers)
    results = response.json()["results"]
    assert [(r["status"], r["error"]["code"]) for r in results] == [("error", "not_found")] * 3
    assert results[0]["error"]["message"] == f"contact {first} does not exist"
    assert all(r["contact_id"] is None and r["id"] is None for r in results)
    assert integration["phones"][0][-7:] not in response.text
    with database.read() as session:
        assert get_stats(session, integration["account_id"], first).total_outbound_calls == 0
    assert _activities(database, integration["account_id"]) == 0


def test_a_batch_must_hold_1_to_500_events(
    world: Any, integration: dict[str, Any], expect_error: Any
) -> None:
    first, _ = integration["contacts"]
    headers = integration["headers"]
    expect_error(
        world.anonymous.post(BATCH, json={"events": []}, headers=headers), 422, "validation_error"
    )
    many = [_call(first, f"many-{n}") for n in range(501)]
    expect_error(
        world.anonymous.post(BATCH, json={"events": many}, headers=headers), 422, "validation_error"
    )


LIMITED = {
    "rate_limit_store": "memory",
    "rate_limit_events_per_second": 1,
    "rate_limit_events_burst": 10,
    "rate_limit_token_events_per_second": 1,
    "rate_limit_token_events_burst": 10,
}


@pytest.mark.parametrize("settings", [LIMITED], indirect=True)
def test_the_rate_limit_counts_every_event_and_refuses_a_batch_before_writing(
    world: Any, integration: dict[str, Any], database: Database, clock: FrozenClock, runner: Any
) -> None:
    first, _ = integration["contacts"]
    headers = integration["headers"]
    account_id = integration["account_id"]
    six = [_call(first, f"l-{n}", occurred_at=f"2026-03-01T0{n}:00:00Z") for n in range(6)]
    assert world.anonymous.post(BATCH, json={"events": six}, headers=headers).status_code == 207
    counts = (_activities(database, account_id), _outbox(database, account_id))
    runner.woken.clear()
    more = [_call(first, f"l2-{n}") for n in range(6)]  # 6 more, 4 tokens left
    refused = world.anonymous.post(BATCH, json={"events": more}, headers=headers)
    assert refused.status_code == 429
    # Nothing was taken: the bucket holds 4 and needs 2 more at 1 a second.
    assert int(refused.headers["Retry-After"]) == 2
    assert refused.json()["error"]["code"] == "too_many_requests"
    assert "none of its 6 events was recorded" in refused.json()["error"]["message"]
    assert (_activities(database, account_id), _outbox(database, account_id)) == counts
    assert runner.woken == []
    too_big = [_call(first, f"l3-{n}") for n in range(11)]
    refused = world.anonymous.post(BATCH, json={"events": too_big}, headers=headers)
    assert refused.status_code == 429
    assert "larger than the burst of 10" in refused.json()["error"]["message"]
    clock.advance(timedelta(seconds=2))
    retried = world.anonymous.post(BATCH, json={"events": more}, headers=headers)
    assert retried.json()["created"] == 6
    assert _activities(database, account_id) == counts[0] + 6


# --- batch vs one by one ------------------------------------------------------------------------

_KINDS = st.sampled_from(
    [
        (ActivityKind.CALL, ActivityDirection.INBOUND),
        (ActivityKind.CALL, ActivityDirection.OUTBOUND),
        (ActivityKind.SMS, ActivityDirection.INBOUND),
        (ActivityKind.SMS, ActivityDirection.OUTBOUND),
    ]
)
_EVENT = st.tuples(
    st.integers(0, 2),  # which contact
    _KINDS,
    st.integers(0, 5 * 24 * 60),  # minutes after the start: ties and reorderings happen
    st.sampled_from([-420, 0, 60, 330]),  # the event's UTC offset in minutes
    st.integers(0, 3600),
    st.sampled_from([None, "Voicemail"]),
    st.integers(0, 4),  # key: small range, so some keys repeat within a batch
)


def _events(drawn: list[tuple[Any, ...]]) -> list[tuple[int, ActivityEvent]]:
    start = datetime(2026, 3, 1, tzinfo=UTC)
    out: list[tuple[int, ActivityEvent]] = []
    for n, (who, (kind, direction), minutes, offset, seconds, dispo, key) in enumerate(drawn):
        at = (start + timedelta(minutes=minutes)).astimezone(timezone(timedelta(minutes=offset)))
        out.append(
            (
                who,
                ActivityEvent(
                    f"p-{key if key < 2 else n}",
                    kind,
                    direction,
                    at,
                    body=f"text {n}" if kind is ActivityKind.SMS else None,
                    disposition=dispo if kind is ActivityKind.CALL else None,
                    duration_seconds=seconds if kind is ActivityKind.CALL else 0,
                ),
            )
        )
    return out


def _account(database: Database, clock: FrozenClock) -> tuple[int, list[int]]:
    with database.write() as session:
        account_id = create_account(session, f"Fold {next(_numbers)}", clock=clock).id
        create_disposition(session, account_id, "Voicemail")
        contacts = [
            create_contact(session, account_id, {"phone": _phone()}, clock=clock).contact.id
            for _ in range(3)
        ]
    return account_id, contacts


@hypothesis_settings(
    max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(drawn=st.lists(_EVENT, min_size=1, max_size=12))
def test_a_batch_folds_like_recording_one_by_one(
    database: Database, clock: FrozenClock, drawn: list[tuple[Any, ...]]
) -> None:
    events = _events(drawn)
    one_by_one, contacts_a = _account(database, clock)
    batched, contacts_b = _account(database, clock)
    for who, event in events:  # a key seen before is a duplicate (or a conflict): skipped
        with database.write() as session:
            record_activity(session, one_by_one, contacts_a[who], event, clock=clock)
    items = [BatchItem(event, contact_id=contacts_b[who]) for who, event in events]
    with database.write() as session:
        outcomes = record_events(session, batched, items, clock=clock)
    assert sum(o.status == "created" for o in outcomes) == len({e.external_id for _, e in events})
    with database.read() as session:
        for a, b in zip(contacts_a, contacts_b, strict=True):
            assert asdict(get_stats(session, batched, b)) == asdict(
                get_stats(session, one_by_one, a)
            )


def test_a_batch_runs_a_fixed_number_of_statements_whatever_its_size(
    database: Database, clock: FrozenClock
) -> None:
    account_id, contacts = _account(database, clock)
    statements: list[str] = []

    def count(conn: Any, cursor: Any, statement: str, *args: Any) -> None:
        statements.append(statement)

    def run(size: int, prefix: str) -> int:
        start = datetime(2026, 3, 1, tzinfo=UTC)
        items = [
            BatchItem(
                ActivityEvent(
                    f"{prefix}-{n}",
                    ActivityKind.CALL,
                    ActivityDirection.OUTBOUND,
                    start + timedelta(minutes=n),
                    disposition="Voicemail",
                ),
                contact_id=contacts[n % 3],
            )
            for n in range(size)
        ]
        statements.clear()
        sa_event.listen(database.engine, "before_cursor_execute", count)
        try:
            with database.write() as session:
                outcomes = record_events(session, account_id, items, clock=clock)
        finally:
            sa_event.remove(database.engine, "before_cursor_execute", count)
        assert [o.status for o in outcomes] == ["created"] * size
        return len(statements)

    assert run(300, "big") == run(6, "small") <= 12
