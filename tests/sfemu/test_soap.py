"""SOAP login: the response simple-salesforce and jsforce parse, and the INVALID_LOGIN fault."""

from __future__ import annotations

import re
from html import escape
from xml.dom import minidom

import pytest
from starlette.testclient import TestClient

from sfemu.app import create_emulator_app
from sfemu.org import Org

SOAP_URL = "/services/Soap/u/59.0"
HEADERS = {"content-type": "text/xml", "charset": "UTF-8", "SOAPAction": "login"}


def envelope(username: str, password: str) -> str:
    return f"""<?xml version="1.0" encoding="utf-8" ?>
<soapenv:Envelope xmlns:soapenv="http://schemas.xmlsoap.org/soap/envelope/"
        xmlns:urn="urn:partner.soap.sforce.com">
    <soapenv:Header><urn:CallOptions><urn:client>test</urn:client></urn:CallOptions></soapenv:Header>
    <soapenv:Body>
        <urn:login>
            <urn:username>{escape(username)}</urn:username>
            <urn:password>{escape(password)}</urn:password>
        </urn:login>
    </soapenv:Body>
</soapenv:Envelope>"""


def element(xml: bytes, name: str) -> str | None:
    """Read one element's text the way simple-salesforce does (minidom by tag name)."""
    nodes = minidom.parseString(xml).getElementsByTagName(name)
    if not nodes or nodes[0].firstChild is None:
        return None
    return str(nodes[0].firstChild.nodeValue)


@pytest.fixture
def client(org: Org) -> TestClient:
    return TestClient(create_emulator_app(org))


def test_login_returns_session_and_server_url(client: TestClient, org: Org) -> None:
    response = client.post(SOAP_URL, content=envelope("admin@sfemu.test", "sfemu"), headers=HEADERS)
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/xml")
    session_id = element(response.content, "sessionId")
    server_url = element(response.content, "serverUrl")
    assert session_id is not None
    assert session_id.startswith(org.org_id[:15] + "!")
    assert server_url == f"http://testserver/services/Soap/u/59.0/{org.org_id}"
    assert element(response.content, "userId") == org.admin_user_id
    assert element(response.content, "organizationId") == org.org_id
    assert element(response.content, "userName") == "admin@sfemu.test"
    assert element(response.content, "userFullName") == "Admin User"
    assert element(response.content, "sessionSecondsValid") == "7200"
    assert element(response.content, "passwordExpired") == "false"
    # jsforce reads these with regular expressions
    text = response.text
    assert re.search(r"<organizationId>([^<]+)</organizationId>", text)
    assert re.search(r"<userId>([^<]+)</userId>", text)
    rest = client.get("/services/data/v59.0/", headers={"Authorization": f"Bearer {session_id}"})
    assert rest.status_code == 200


def test_login_works_without_soapaction_header(client: TestClient) -> None:
    response = client.post(
        SOAP_URL,
        content=envelope("ADMIN@sfemu.test", "sfemu"),
        headers={"content-type": "text/xml", "SOAPAction": '""'},
    )
    assert response.status_code == 200


@pytest.mark.parametrize(
    ("username", "password"),
    [("admin@sfemu.test", "wrong"), ("nobody@sfemu.test", "sfemu"), ("", "")],
)
def test_bad_credentials_give_invalid_login_fault(
    client: TestClient, username: str, password: str
) -> None:
    response = client.post(SOAP_URL, content=envelope(username, password), headers=HEADERS)
    assert response.status_code == 500
    assert element(response.content, "faultcode") == "sf:INVALID_LOGIN"
    assert element(response.content, "sf:exceptionCode") == "INVALID_LOGIN"
    assert element(response.content, "sf:exceptionMessage") == (
        "Invalid username, password, security token; or user locked out."
    )


def test_inactive_user_cannot_log_in(client: TestClient, org: Org) -> None:
    user_id = org.create(
        "User",
        {"Username": "old@sfemu.test", "LastName": "Old", "Email": "o@x.test", "Alias": "old"},
    )
    org.set_password(user_id, "pw")
    assert client.post(SOAP_URL, content=envelope("old@sfemu.test", "pw")).status_code == 200
    org.update("User", user_id, {"IsActive": False})
    response = client.post(SOAP_URL, content=envelope("old@sfemu.test", "pw"), headers=HEADERS)
    assert response.status_code == 500
    assert element(response.content, "sf:exceptionCode") == "INVALID_LOGIN"


def test_special_characters_in_password_are_unescaped(client: TestClient, org: Org) -> None:
    org.set_password(org.admin_user_id, "p<&>'\"w")
    response = client.post(SOAP_URL, content=envelope("admin@sfemu.test", "p<&>'\"w"))
    assert response.status_code == 200


def test_malformed_body_is_a_soap_fault(client: TestClient) -> None:
    response = client.post(SOAP_URL, content="<not xml", headers=HEADERS)
    assert response.status_code == 500
    assert element(response.content, "sf:exceptionCode") == "UNKNOWN_EXCEPTION"


def test_unknown_api_version_is_a_soap_fault(client: TestClient) -> None:
    response = client.post(
        "/services/Soap/u/5.0", content=envelope("admin@sfemu.test", "sfemu"), headers=HEADERS
    )
    assert response.status_code == 500
    assert element(response.content, "sf:exceptionCode") == "UNSUPPORTED_API_VERSION"
