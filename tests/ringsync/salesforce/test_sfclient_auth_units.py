"""Auth pieces that need no server: host allow-list, PKCE, JWT assertions, token parsing."""

from __future__ import annotations

import base64
import hashlib
from datetime import UTC, datetime
from urllib.parse import parse_qs, urlsplit

import httpx2
import jwt
import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa

from ringsync.clock import FrozenClock
from ringsync.errors import AuthError, ConfigError
from ringsync.salesforce.auth import JwtBearerAuth, parse_token_response
from ringsync.salesforce.authorize import build_authorize_url, pkce_challenge
from ringsync.salesforce.hosts import HostPolicy
from ringsync.settings import Settings

DEFAULT = HostPolicy.from_settings(Settings())


@pytest.mark.parametrize(
    "url",
    [
        "https://acme.my.salesforce.com",
        "https://login.salesforce.com/",
        "https://acme--dev.sandbox.my.salesforce.com/services",
        "https://acme.lightning.force.com",
    ],
)
def test_salesforce_hosts_are_allowed(url: str) -> None:
    assert DEFAULT.check(url).startswith("https://")


@pytest.mark.parametrize(
    ("url", "message"),
    [
        ("https://evil.example.com", "not an allowed Salesforce host"),
        ("https://salesforce.com.evil.example", "not an allowed Salesforce host"),
        ("http://acme.my.salesforce.com", "must be an https URL"),
        ("acme.my.salesforce.com", "must be an https URL"),
        ("https://127.0.0.1:8443", "not an allowed Salesforce host"),
    ],
)
def test_other_hosts_are_refused(url: str, message: str) -> None:
    with pytest.raises(AuthError, match=message):
        DEFAULT.check(url)


def test_host_patterns_may_name_a_port() -> None:
    policy = HostPolicy(["localhost:8443", "sfemu.test"])
    assert policy.check("https://localhost:8443/x") == "https://localhost:8443"
    assert policy.check("https://SFEMU.test") == "https://sfemu.test"
    with pytest.raises(AuthError):
        policy.check("https://localhost:9999")


def test_forged_instance_url_in_a_token_response_is_refused() -> None:
    body = {"access_token": "00Dx!secret", "instance_url": "https://attacker.example"}
    with pytest.raises(
        AuthError, match=r"instance URL attacker\.example is not an allowed"
    ) as info:
        parse_token_response(body, DEFAULT)
    assert "secret" not in str(info.value)


def test_token_response_is_parsed_and_secrets_stay_out_of_repr() -> None:
    body = {
        "access_token": "00Dx!access-secret",
        "refresh_token": "refresh-secret",
        "instance_url": "https://acme.my.salesforce.com",
        "id": "https://login.salesforce.com/id/00D/005",
        "issued_at": "1767225600000",
        "scope": "api refresh_token",
    }
    grant = parse_token_response(body, DEFAULT)
    assert grant.instance_url == "https://acme.my.salesforce.com"
    assert grant.issued_at == datetime(2026, 1, 1, tzinfo=UTC)
    assert grant.refresh_token == "refresh-secret"
    assert "secret" not in repr(grant)
    assert "secret" not in repr(grant.token)


def test_authorize_url_carries_an_s256_challenge_of_the_kept_verifier() -> None:
    request = build_authorize_url(
        "https://login.salesforce.com",
        "client-1",
        "https://app.example/callback",
        "state-123",
        hosts=DEFAULT,
    )
    query = parse_qs(urlsplit(request.url).query)
    assert request.url.startswith("https://login.salesforce.com/services/oauth2/authorize?")
    assert query["state"] == ["state-123"]
    assert query["code_challenge_method"] == ["S256"]
    digest = hashlib.sha256(request.code_verifier.encode()).digest()
    expected = base64.urlsafe_b64encode(digest).rstrip(b"=").decode()
    assert query["code_challenge"] == [expected] == [pkce_challenge(request.code_verifier)]
    assert 43 <= len(request.code_verifier) <= 128
    assert request.code_verifier not in request.url
    assert "code_verifier" not in repr(request)


def test_authorize_url_refuses_a_login_url_outside_the_allow_list() -> None:
    with pytest.raises(AuthError):
        build_authorize_url("https://evil.example", "c", "https://a/cb", "s", hosts=DEFAULT)


def _rsa_pair() -> tuple[bytes, bytes]:
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    private = key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    )
    public = key.public_key().public_bytes(
        serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
    )
    return private, public


def test_jwt_assertion_has_salesforce_claims() -> None:
    private, public = _rsa_pair()
    clock = FrozenClock(datetime(2026, 1, 1, tzinfo=UTC))
    with httpx2.Client() as http:
        auth = JwtBearerAuth(
            http,
            "https://login.salesforce.com",
            DEFAULT,
            client_id="consumer-key",
            username="integration@acme.example",
            private_key=private,
            clock=clock,
        )
        assertion = auth.assertion()
    claims = jwt.decode(
        assertion,
        public,
        algorithms=["RS256"],
        audience="https://login.salesforce.com",
        options={"verify_exp": False},
    )
    assert claims["iss"] == "consumer-key"
    assert claims["sub"] == "integration@acme.example"
    assert claims["exp"] == int(datetime(2026, 1, 1, 0, 3, tzinfo=UTC).timestamp())


def test_jwt_with_a_bad_key_is_a_config_error() -> None:
    with httpx2.Client() as http:
        auth = JwtBearerAuth(
            http,
            "https://login.salesforce.com",
            DEFAULT,
            client_id="c",
            username="u",
            private_key="not a key",
        )
        with pytest.raises(ConfigError, match="not a valid RSA private key"):
            auth.assertion()
