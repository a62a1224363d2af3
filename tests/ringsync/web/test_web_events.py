"""Activity events: counted once per idempotency key, same answer on retry, every error shown."""

from __future__ import annotations

from typing import Any

import pytest

from ringsync.domain.activities import get_stats
from ringsync.store.db import Database


@pytest.fixture
def integration(world: Any) -> dict[str, Any]:
    """Return an API token's headers and a contact of account A."""
    admin = world.admin
    token = admin.client.post("/api/v1/tokens", json={"name": "pbx"}, headers=admin.headers)
    contact = admin.client.post(
        "/api/v1/contacts", json={"phone": "+14155550177"}, headers=admin.headers
    )
    return {
        "headers": {"Authorization": f"Bearer {token.json()['token']}"},
        "contact_id": contact.json()["id"],
        "account_id": admin.account_id,
    }


def _call(contact_id: int, **extra: Any) -> dict[str, Any]:
    return {
        "type": "call.ended",
        "contact_id": contact_id,
        "direction": "outbound",
        "occurred_at": "2026-03-01T08:33:16-07:00",
        "duration_seconds": 42,
        **extra,
    }


def test_same_key_twice_is_counted_once_with_the_same_answer(
    world: Any, integration: dict[str, Any], database: Database, runner: Any
) -> None:
    runner.woken.clear()
    headers = {**integration["headers"], "Idempotency-Key": "call-1"}
    body = _call(integration["contact_id"])
    first = world.anonymous.post("/api/v1/events", json=body, headers=headers)
    second = world.anonymous.post("/api/v1/events", json=body, headers=headers)
    assert first.status_code == second.status_code == 201
    assert first.json() == second.json()
    assert first.json()["idempotency_key"] == "call-1"
    assert "Idempotent-Replayed" not in first.headers
    assert second.headers["Idempotent-Replayed"] == "true"
    with database.read() as session:
        stats = get_stats(session, integration["account_id"], integration["contact_id"])
    assert stats.total_outbound_calls == 1
    assert runner.woken == [integration["account_id"]]


def test_key_may_come_in_the_body(world: Any, integration: dict[str, Any]) -> None:
    body = _call(integration["contact_id"], idempotency_key="call-body")
    first = world.anonymous.post("/api/v1/events", json=body, headers=integration["headers"])
    again = world.anonymous.post(
        "/api/v1/events",
        json=_call(integration["contact_id"]),
        headers={**integration["headers"], "Idempotency-Key": "call-body"},
    )
    assert first.status_code == 201
    assert again.json() == first.json()


def test_texts_by_phone_number(world: Any, integration: dict[str, Any], database: Database) -> None:
    for n, kind in enumerate(("sms.sent", "sms.received", "sms.received")):
        body = {
            "type": kind,
            "phone": "(415) 555-0177",
            "occurred_at": f"2026-03-01T10:0{n}:00+01:00",
            "body": "hello",
            "idempotency_key": f"sms-{n}",
        }
        response = world.anonymous.post("/api/v1/events", json=body, headers=integration["headers"])
        assert response.status_code == 201, response.text
        assert response.json()["contact_id"] == integration["contact_id"]
    with database.read() as session:
        stats = get_stats(session, integration["account_id"], integration["contact_id"])
    assert (stats.total_outbound_texts, stats.total_inbound_texts) == (1, 2)


def test_a_key_reused_for_another_event_is_409(
    world: Any, integration: dict[str, Any], expect_error: Any
) -> None:
    headers = {**integration["headers"], "Idempotency-Key": "reused"}
    assert (
        world.anonymous.post(
            "/api/v1/events", json=_call(integration["contact_id"]), headers=headers
        ).status_code
        == 201
    )
    other = _call(integration["contact_id"], occurred_at="2026-03-02T08:00:00Z")
    response = world.anonymous.post("/api/v1/events", json=other, headers=headers)
    expect_error(response, 409, "conflict")


def test_event_validation_lists_every_problem(
    world: Any, integration: dict[str, Any], expect_error: Any
) -> None:
    body = {
        "type": "call.ended",
        "occurred_at": "2026-03-01T08:33:16-07:00",
        "body": "calls have no body",
        "idempotency_key": "in-body",
    }
    headers = {**integration["headers"], "Idempotency-Key": "in-header"}
    response = world.anonymous.post("/api/v1/events", json=body, headers=headers)
    error = expect_error(response, 422, "validation_error")
    assert sorted(d["field"] for d in error["details"]) == [
        "body",
        "contact_id",
        "direction",
        "idempotency_key",
    ]


def test_schema_errors_are_listed_together(
    world: Any, integration: dict[str, Any], expect_error: Any
) -> None:
    body = {"type": "fax.sent", "occurred_at": "2026-03-01T08:33:16", "duration_seconds": -1}
    response = world.anonymous.post("/api/v1/events", json=body, headers=integration["headers"])
    error = expect_error(response, 422, "validation_error")
    assert sorted(d["field"] for d in error["details"]) == [
        "duration_seconds",
        "occurred_at",
        "type",
    ]


def test_missing_key_is_a_validation_error(
    world: Any, integration: dict[str, Any], expect_error: Any
) -> None:
    response = world.anonymous.post(
        "/api/v1/events", json=_call(integration["contact_id"]), headers=integration["headers"]
    )
    error = expect_error(response, 422, "validation_error")
    assert error["details"][0]["field"] == "idempotency_key"
    assert error["details"][0]["code"] == "required"


def test_unknown_phone_is_404_and_the_number_is_masked(
    world: Any, integration: dict[str, Any], expect_error: Any
) -> None:
    body = {
        "type": "sms.received",
        "phone": "+1 212 555 0199",
        "occurred_at": "2026-03-01T08:33:16Z",
        "idempotency_key": "unknown-phone",
    }
    response = world.anonymous.post("/api/v1/events", json=body, headers=integration["headers"])
    error = expect_error(response, 404, "not_found")
    assert "0199" in error["message"]
    assert "2125550199" not in response.text.replace(" ", "")


def test_unknown_contact_and_unknown_disposition(
    world: Any, integration: dict[str, Any], expect_error: Any
) -> None:
    headers = {**integration["headers"], "Idempotency-Key": "k-404"}
    expect_error(
        world.anonymous.post("/api/v1/events", json=_call(10**9), headers=headers),
        404,
        "not_found",
    )
    body = _call(integration["contact_id"], disposition="Never heard of it")
    error = expect_error(
        world.anonymous.post("/api/v1/events", json=body, headers=headers),
        422,
        "validation_error",
    )
    assert error["details"][0]["field"] == "disposition"


def test_another_accounts_contact_is_404(
    world: Any, integration: dict[str, Any], expect_error: Any
) -> None:
    other = world.other_admin
    response = other.client.post(
        "/api/v1/events",
        json=_call(integration["contact_id"], idempotency_key="cross"),
        headers=other.headers,
    )
    expect_error(response, 404, "not_found")
