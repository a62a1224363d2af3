"""Unmodified simple-salesforce logs in to sfemu over TLS: SOAP, password, JWT, client creds."""

from __future__ import annotations

from typing import Any

import pytest
import requests
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from simple_salesforce import Salesforce
from simple_salesforce.exceptions import SalesforceAuthenticationFailed, SalesforceExpiredSession

from sfemu.oauth import ConnectedApp

# The sfemu_server fixture yields tests/contract/conftest.py's ContractServer.
ContractServer = Any


def test_soap_login_with_username_password_and_empty_token(
    sfemu_server: ContractServer, sf_session: requests.Session
) -> None:
    sf = Salesforce(
        username=sfemu_server.username,
        password=sfemu_server.password,
        security_token="",
        session=sf_session,
    )
    assert sf.sf_instance == f"localhost:{sfemu_server.port}"
    assert sf.session_id.startswith(sfemu_server.org.org_id[:15] + "!")
    resources = sf.restful("")
    assert resources["identity"].endswith(f"/{sfemu_server.org.admin_user_id}")
    used, total = sf.api_usage["api-usage"]
    assert used >= 1
    assert total == sfemu_server.org.daily_api_limit


def test_soap_login_bad_password(sf_session: requests.Session) -> None:
    with pytest.raises(SalesforceAuthenticationFailed) as info:
        Salesforce(
            username="admin@sfemu.test", password="wrong", security_token="", session=sf_session
        )
    assert info.value.code == "INVALID_LOGIN"
    assert "Invalid username, password" in str(info.value)


def test_oauth_password_grant_with_consumer_key(
    sfemu_server: ContractServer, sf_session: requests.Session
) -> None:
    sf = Salesforce(
        username=sfemu_server.username,
        password=sfemu_server.password,
        consumer_key=sfemu_server.client_id,
        consumer_secret=sfemu_server.client_secret,
        session=sf_session,
    )
    assert sf.sf_instance == f"localhost:{sfemu_server.port}"
    assert "identity" in sf.restful("")


def test_oauth_password_grant_bad_secret(
    sfemu_server: ContractServer, sf_session: requests.Session
) -> None:
    with pytest.raises(SalesforceAuthenticationFailed) as info:
        Salesforce(
            username=sfemu_server.username,
            password=sfemu_server.password,
            consumer_key=sfemu_server.client_id,
            consumer_secret="wrong",
            session=sf_session,
        )
    assert info.value.code == "invalid_client"


def test_expired_session_raises_expired_session(
    sfemu_server: ContractServer, sf_session: requests.Session
) -> None:
    token = sfemu_server.new_session_id()
    sf = Salesforce(instance_url=sfemu_server.base_url, session_id=token, session=sf_session)
    assert "sobjects" in sf.restful("")
    sfemu_server.state.tokens.expire(token)
    with pytest.raises(SalesforceExpiredSession):
        sf.restful("")


def test_jwt_login_with_private_key(
    sfemu_server: ContractServer, sf_session: requests.Session
) -> None:
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    private = key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    ).decode()
    public = key.public_key().public_bytes(
        serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
    )
    sfemu_server.state.tokens.register_app(
        ConnectedApp("contract-jwt", "unused", jwt_public_key=public.decode())
    )
    sf = Salesforce(
        username=sfemu_server.username,
        consumer_key="contract-jwt",
        privatekey=private,
        session=sf_session,
    )
    assert "identity" in sf.restful("")


def test_client_credentials_on_a_my_domain(
    sfemu_server: ContractServer, sf_session: requests.Session
) -> None:
    sf = Salesforce(
        consumer_key=sfemu_server.client_id,
        consumer_secret=sfemu_server.client_secret,
        domain="sfemu-dev.my",
        session=sf_session,
    )
    assert sf.restful("")["identity"].endswith(f"/{sfemu_server.org.admin_user_id}")
