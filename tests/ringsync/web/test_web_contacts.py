"""Contacts through the API: create, change, read, find by phone, page through; errors."""

from __future__ import annotations

from typing import Any

import pytest


def _post(person: Any, body: dict[str, Any]) -> Any:
    return person.client.post("/api/v1/contacts", json=body, headers=person.headers)


def test_create_read_and_change_a_contact(world: Any, runner: Any) -> None:
    agent = world.agent
    created = _post(agent, {"phone": "(415) 555-0123", "first_name": "Ada", "company": "Acme"})
    assert created.status_code == 201, created.text
    contact = created.json()
    assert contact["values"]["phone"] == "+14155550123"
    assert contact["values"]["first_name"] == "Ada"
    assert contact["version"] == 1
    assert runner.woken == [agent.account_id]

    read = agent.client.get(f"/api/v1/contacts/{contact['id']}")
    assert read.json() == contact

    changed = agent.client.patch(
        f"/api/v1/contacts/{contact['id']}",
        json={"company": "Acme Ltd", "first_name": None},
        headers=agent.headers,
    )
    assert changed.status_code == 200
    assert changed.json()["values"]["company"] == "Acme Ltd"
    assert changed.json()["values"]["first_name"] is None
    assert changed.json()["version"] == 2
    assert runner.woken == [agent.account_id, agent.account_id]


def test_an_unchanged_update_does_not_wake_the_runner(world: Any, runner: Any) -> None:
    agent = world.agent
    contact = _post(agent, {"phone": "+14155550124", "company": "Same"}).json()
    runner.woken.clear()
    again = agent.client.patch(
        f"/api/v1/contacts/{contact['id']}", json={"company": "Same"}, headers=agent.headers
    )
    assert again.json()["version"] == 1
    assert runner.woken == []


def test_find_by_phone_in_any_format(world: Any) -> None:
    agent = world.agent
    contact = _post(agent, {"phone": "+1 415 555 0125"}).json()
    for written in ("4155550125", "+1 (415) 555-0125", "415.555.0125"):
        found = agent.client.get("/api/v1/contacts", params={"phone": written}).json()
        assert [c["id"] for c in found["items"]] == [contact["id"]]
        assert found["next_cursor"] is None
    none = agent.client.get("/api/v1/contacts", params={"phone": "+14155550999"}).json()
    assert none == {"items": [], "next_cursor": None}


def test_paging_with_an_opaque_cursor(world: Any) -> None:
    admin = world.admin
    made = [_post(admin, {"phone": f"+1415555{1000 + i}"}).json()["id"] for i in range(5)]
    seen: list[int] = []
    cursor = None
    pages = 0
    while True:
        params: dict[str, Any] = {"limit": 2}
        if cursor:
            params["cursor"] = cursor
        page = admin.client.get("/api/v1/contacts", params=params).json()
        seen += [c["id"] for c in page["items"]]
        pages += 1
        cursor = page["next_cursor"]
        if cursor is None:
            break
    assert seen == made
    assert pages == 3


@pytest.mark.parametrize("cursor", ["garbage", "YWZ0ZXI6eA", "!!"])
def test_a_bad_cursor_is_a_validation_error(world: Any, cursor: str, expect_error: Any) -> None:
    response = world.agent.client.get("/api/v1/contacts", params={"cursor": cursor})
    error = expect_error(response, 422, "validation_error")
    assert error["details"] == [
        {
            "field": "cursor",
            "reason": "pass back a next_cursor value unchanged",
            "code": "bad_cursor",
        }
    ]


def test_validation_lists_every_problem_at_once(world: Any, expect_error: Any) -> None:
    response = _post(
        world.agent,
        {"phone": "not a phone", "email": "nope", "dnc": "maybe", "favourite_colour": "red"},
    )
    error = expect_error(response, 422, "validation_error")
    fields = sorted(d["field"] for d in error["details"])
    assert fields == ["dnc", "email", "favourite_colour", "phone"]
    assert all(d["reason"] and d["code"] for d in error["details"])


def test_duplicate_phone_is_refused_without_echoing_the_number(
    world: Any, expect_error: Any
) -> None:
    assert _post(world.agent, {"phone": "+14155550126"}).status_code == 201
    response = _post(world.agent, {"phone": "+14155550126"})
    error = expect_error(response, 422, "validation_error")
    assert error["details"][0]["code"] == "taken"
    assert "4155550126" not in response.text


def test_unknown_contact_is_404_in_the_error_shape(world: Any, expect_error: Any) -> None:
    error = expect_error(world.agent.client.get("/api/v1/contacts/987654"), 404, "not_found")
    assert error["message"] == "contact 987654 does not exist"
    assert error["details"] == []
    agent = world.agent
    patched = agent.client.patch(
        "/api/v1/contacts/987654", json={"company": "x"}, headers=agent.headers
    )
    expect_error(patched, 404, "not_found")


def test_non_object_body_and_bad_limit_are_validation_errors(world: Any, expect_error: Any) -> None:
    agent = world.agent
    response = agent.client.post("/api/v1/contacts", json=["phone"], headers=agent.headers)
    expect_error(response, 422, "validation_error")
    error = expect_error(
        agent.client.get("/api/v1/contacts", params={"limit": 0}), 422, "validation_error"
    )
    assert error["details"][0]["field"] == "limit"


def test_unknown_route_is_404_in_the_error_shape(world: Any, expect_error: Any) -> None:
    expect_error(world.agent.client.get("/api/v1/nothing"), 404, "not_found")
