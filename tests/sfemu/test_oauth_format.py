"""Token endpoint encodings: JSON by default, urlencoded or XML by `format` or `Accept`."""

from __future__ import annotations

from urllib.parse import parse_qs
from xml.etree import ElementTree

import pytest
from starlette.testclient import TestClient

from sfemu.app import create_emulator_app
from sfemu.oauth_format import token_format
from sfemu.org import Org

TOKEN_URL = "/services/oauth2/token"
LOGIN = {
    "grant_type": "password",
    "client_id": "sfemu-client",
    "client_secret": "sfemu-secret",
    "username": "admin@sfemu.test",
    "password": "sfemu",
}


@pytest.fixture
def client(org: Org) -> TestClient:
    """Return a client of a fresh emulator (not signed in)."""
    return TestClient(create_emulator_app(org))


def test_json_is_the_default(client: TestClient) -> None:
    reply = client.post(TOKEN_URL, data=LOGIN)
    assert reply.status_code == 200
    assert reply.headers["content-type"].startswith("application/json")
    assert reply.json()["token_type"] == "Bearer"


def test_format_urlencoded(client: TestClient) -> None:
    reply = client.post(TOKEN_URL, data={**LOGIN, "format": "urlencoded"})
    assert reply.status_code == 200
    assert reply.headers["content-type"].startswith("application/x-www-form-urlencoded")
    body = parse_qs(reply.text)
    assert body["token_type"] == ["Bearer"]
    assert body["instance_url"][0].startswith("http")
    token = body["access_token"][0]
    data = client.get("/services/data/v59.0/limits", headers={"Authorization": f"Bearer {token}"})
    assert data.status_code == 200


def test_format_xml(client: TestClient) -> None:
    reply = client.post(TOKEN_URL, data={**LOGIN, "format": "xml"})
    assert reply.status_code == 200
    assert reply.headers["content-type"].startswith("application/xml")
    root = ElementTree.fromstring(reply.content)
    assert root.tag == "OAuth"
    assert root.findtext("token_type") == "Bearer"
    assert (root.findtext("access_token") or "").count("!") == 1


def test_accept_header_chooses_when_format_is_absent(client: TestClient) -> None:
    reply = client.post(TOKEN_URL, data=LOGIN, headers={"Accept": "application/xml"})
    assert ElementTree.fromstring(reply.content).findtext("token_type") == "Bearer"
    reply = client.post(
        TOKEN_URL, data=LOGIN, headers={"Accept": "application/x-www-form-urlencoded"}
    )
    assert parse_qs(reply.text)["token_type"] == ["Bearer"]


def test_format_parameter_beats_the_accept_header(client: TestClient) -> None:
    reply = client.post(
        TOKEN_URL, data={**LOGIN, "format": "json"}, headers={"Accept": "application/xml"}
    )
    assert reply.json()["token_type"] == "Bearer"


def test_errors_use_the_chosen_encoding(client: TestClient) -> None:
    bad = {**LOGIN, "password": "wrong"}
    xml = client.post(TOKEN_URL, data={**bad, "format": "xml"})
    assert xml.status_code == 400
    root = ElementTree.fromstring(xml.content)
    assert root.findtext("error") == "invalid_grant"
    form = client.post(TOKEN_URL, data={**bad, "format": "urlencoded"})
    assert form.status_code == 400
    assert parse_qs(form.text)["error"] == ["invalid_grant"]
    plain = client.post(TOKEN_URL, data=bad)
    assert plain.json()["error"] == "invalid_grant"


@pytest.mark.parametrize(
    ("params", "accept", "expected"),
    [
        ({}, None, "json"),
        ({}, "*/*", "json"),
        ({"format": "XML"}, None, "xml"),
        ({"format": "yaml"}, "text/xml; q=0.9", "xml"),
        ({}, "text/html, application/json", "json"),
        ({}, "application/x-www-form-urlencoded;charset=UTF-8", "urlencoded"),
    ],
)
def test_token_format_choice(params: dict[str, str], accept: str | None, expected: str) -> None:
    assert token_format(params, accept) == expected
