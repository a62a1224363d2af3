"""OAuth 2.0: every grant with its success shape and its errors, codes, refresh, revoke, expiry."""

from __future__ import annotations

import base64
import hashlib
import hmac
from datetime import timedelta
from typing import Any
from urllib.parse import parse_qs, urlsplit

import jwt
import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from starlette.testclient import TestClient

from sfemu.app import EmulatorApp, create_emulator_app
from sfemu.oauth import ConnectedApp
from sfemu.org import Org
from sfemu.state import EmulatorConfig

TOKEN_URL = "/services/oauth2/token"
CLIENT = {"client_id": "sfemu-client", "client_secret": "sfemu-secret"}
ADMIN = {"username": "admin@sfemu.test", "password": "sfemu"}
REDIRECT = "http://localhost:8080/callback"


@pytest.fixture
def app(org: Org) -> EmulatorApp:
    return create_emulator_app(org, config=EmulatorConfig(session_seconds=600))


@pytest.fixture
def client(app: EmulatorApp) -> TestClient:
    return TestClient(app)


def password_login(client: TestClient, **overrides: str) -> Any:
    return client.post(TOKEN_URL, data={"grant_type": "password", **CLIENT, **ADMIN, **overrides})


def api_get(client: TestClient, token: str, scheme: str = "Bearer") -> Any:
    return client.get("/services/data/v59.0/", headers={"Authorization": f"{scheme} {token}"})


def make_inactive_user(org: Org) -> str:
    user_id = org.create(
        "User",
        {
            "Username": "gone@sfemu.test",
            "LastName": "Gone",
            "Email": "gone@sfemu.test",
            "Alias": "gone",
            "IsActive": False,
        },
    )
    org.set_password(user_id, "pw-gone")
    return user_id


def authorize(client: TestClient, **params: str) -> Any:
    query = {"response_type": "code", "client_id": "sfemu-client", "redirect_uri": REDIRECT}
    query.update(params)
    return client.get("/services/oauth2/authorize", params=query, follow_redirects=False)


def code_from(response: Any) -> str:
    assert response.status_code == 302
    query = parse_qs(urlsplit(response.headers["location"]).query)
    return query["code"][0]


# --- password grant ---------------------------------------------------------------------------
def test_password_grant_returns_salesforce_shape(client: TestClient, org: Org) -> None:
    response = password_login(client)
    assert response.status_code == 200
    assert response.headers["content-type"] == "application/json;charset=UTF-8"
    body = response.json()
    assert set(body) == {
        "access_token",
        "instance_url",
        "id",
        "token_type",
        "issued_at",
        "signature",
    }
    assert body["access_token"].startswith(org.org_id[:15] + "!")
    assert body["instance_url"] == "http://testserver"
    assert body["id"] == f"http://testserver/id/{org.org_id}/{org.admin_user_id}"
    assert body["token_type"] == "Bearer"
    assert body["issued_at"] == str(int(org.now().timestamp() * 1000))
    expected = hmac.new(
        b"sfemu-secret", (body["id"] + body["issued_at"]).encode(), hashlib.sha256
    ).digest()
    assert body["signature"] == base64.b64encode(expected).decode()
    assert api_get(client, body["access_token"]).status_code == 200


@pytest.mark.parametrize(
    ("overrides", "error", "description", "status"),
    [
        ({"password": "wrong"}, "invalid_grant", "authentication failure", 400),
        ({"username": "nobody@sfemu.test"}, "invalid_grant", "authentication failure", 400),
        ({"client_id": "unknown"}, "invalid_client_id", "client identifier invalid", 400),
        ({"client_secret": "wrong"}, "invalid_client", "invalid client credentials", 400),
        ({"grant_type": "magic"}, "unsupported_grant_type", "grant type not supported", 400),
        ({"grant_type": ""}, "invalid_request", "grant type is missing", 400),
    ],
)
def test_password_grant_errors(
    client: TestClient, overrides: dict[str, str], error: str, description: str, status: int
) -> None:
    response = password_login(client, **overrides)
    assert response.status_code == status
    assert response.json() == {"error": error, "error_description": description}


def test_password_grant_refuses_inactive_user(client: TestClient, org: Org) -> None:
    make_inactive_user(org)
    response = password_login(client, username="gone@sfemu.test", password="pw-gone")
    assert response.status_code == 400
    assert response.json() == {"error": "invalid_grant", "error_description": "inactive user"}


def test_password_grant_accepts_security_token_suffix(app: EmulatorApp, client: TestClient) -> None:
    state = app.state.sfemu
    state.tokens.security_tokens[state.org.admin_user_id] = "TOKEN123"
    assert password_login(client, password="sfemuTOKEN123").status_code == 200
    assert password_login(client, password="sfemuWRONG").status_code == 400


def test_oauth_scheme_header_is_accepted(client: TestClient) -> None:
    token = password_login(client).json()["access_token"]
    assert api_get(client, token, scheme="OAuth").status_code == 200


# --- client credentials ---------------------------------------------------------------------
def test_client_credentials_with_basic_auth(client: TestClient, org: Org) -> None:
    response = client.post(
        TOKEN_URL, data={"grant_type": "client_credentials"}, auth=("sfemu-client", "sfemu-secret")
    )
    assert response.status_code == 200
    body = response.json()
    assert body["scope"] == "api"
    assert body["id"].endswith(f"/{org.admin_user_id}")
    assert "refresh_token" not in body
    assert api_get(client, body["access_token"]).status_code == 200


def test_client_credentials_runs_as_the_apps_user(
    app: EmulatorApp, client: TestClient, org: Org
) -> None:
    user_id = org.create(
        "User",
        {"Username": "int@sfemu.test", "LastName": "Int", "Email": "i@x.test", "Alias": "int"},
    )
    app.state.sfemu.tokens.register_app(ConnectedApp("cc-app", "cc-secret", run_as_user_id=user_id))
    body = client.post(
        TOKEN_URL,
        data={
            "grant_type": "client_credentials",
            "client_id": "cc-app",
            "client_secret": "cc-secret",
        },
    ).json()
    assert body["id"].endswith(f"/{user_id}")


def test_client_credentials_wrong_secret_over_basic_is_401(client: TestClient) -> None:
    response = client.post(
        TOKEN_URL, data={"grant_type": "client_credentials"}, auth=("sfemu-client", "nope")
    )
    assert response.status_code == 401
    assert response.json()["error"] == "invalid_client"


def test_client_credentials_needs_a_secret(client: TestClient) -> None:
    response = client.post(
        TOKEN_URL, data={"grant_type": "client_credentials", "client_id": "sfemu-client"}
    )
    assert response.status_code == 400
    assert response.json()["error"] == "invalid_client"


# --- authorization code -----------------------------------------------------------------------
def test_authorize_redirects_with_code_and_state(client: TestClient) -> None:
    response = authorize(client, state="xyz")
    location = urlsplit(response.headers["location"])
    assert f"{location.scheme}://{location.netloc}{location.path}" == REDIRECT
    query = parse_qs(location.query)
    assert query["state"] == ["xyz"]
    assert query["code"][0]


def test_authorization_code_exchange_and_single_use(client: TestClient) -> None:
    code = code_from(authorize(client))
    data = {"grant_type": "authorization_code", "code": code, "redirect_uri": REDIRECT, **CLIENT}
    first = client.post(TOKEN_URL, data=data)
    assert first.status_code == 200
    body = first.json()
    assert body["refresh_token"]
    assert body["scope"] == "api refresh_token"
    assert api_get(client, body["access_token"]).status_code == 200
    again = client.post(TOKEN_URL, data=data)
    assert again.status_code == 400
    assert again.json() == {
        "error": "invalid_grant",
        "error_description": "invalid authorization code",
    }


def test_authorization_code_redirect_must_match(client: TestClient) -> None:
    code = code_from(authorize(client))
    response = client.post(
        TOKEN_URL,
        data={
            "grant_type": "authorization_code",
            "code": code,
            "redirect_uri": "http://localhost:9999/other",
            **CLIENT,
        },
    )
    assert response.status_code == 400
    assert response.json()["error_description"] == "redirect_uri must match configuration"


def test_authorization_code_expires(client: TestClient, clock: Any) -> None:
    code = code_from(authorize(client))
    clock.advance(16 * 60)
    response = client.post(
        TOKEN_URL,
        data={"grant_type": "authorization_code", "code": code, "redirect_uri": REDIRECT, **CLIENT},
    )
    assert response.json()["error"] == "invalid_grant"


def _s256(verifier: str) -> str:
    digest = hashlib.sha256(verifier.encode()).digest()
    return base64.urlsafe_b64encode(digest).rstrip(b"=").decode()


@pytest.mark.parametrize("method", ["S256", "plain"])
def test_pkce_public_client_without_secret(client: TestClient, method: str) -> None:
    verifier = "v" * 50
    challenge = _s256(verifier) if method == "S256" else verifier
    code = code_from(authorize(client, code_challenge=challenge, code_challenge_method=method))
    response = client.post(
        TOKEN_URL,
        data={
            "grant_type": "authorization_code",
            "code": code,
            "redirect_uri": REDIRECT,
            "client_id": "sfemu-client",
            "code_verifier": verifier,
        },
    )
    assert response.status_code == 200
    assert response.json()["access_token"]


def test_pkce_wrong_verifier_is_refused(client: TestClient) -> None:
    code = code_from(
        authorize(client, code_challenge=_s256("right" * 10), code_challenge_method="S256")
    )
    response = client.post(
        TOKEN_URL,
        data={
            "grant_type": "authorization_code",
            "code": code,
            "redirect_uri": REDIRECT,
            "client_id": "sfemu-client",
            "code_verifier": "wrong" * 10,
        },
    )
    assert response.status_code == 400
    assert response.json() == {
        "error": "invalid_grant",
        "error_description": "invalid code verifier",
    }


def test_authorize_unknown_client_shows_error_page(client: TestClient) -> None:
    response = authorize(client, client_id="nope")
    assert response.status_code == 400
    assert "invalid_client_id" in response.text


def test_authorize_refuses_unregistered_remote_redirect(client: TestClient) -> None:
    response = authorize(client, redirect_uri="https://evil.example.com/cb")
    assert response.status_code == 400
    assert "redirect_uri_mismatch" in response.text


def test_authorize_allows_registered_redirect(app: EmulatorApp, client: TestClient) -> None:
    app.state.sfemu.tokens.apps["sfemu-client"].redirect_uris.append("https://app.example.com/cb")
    response = authorize(client, redirect_uri="https://app.example.com/cb")
    assert response.headers["location"].startswith("https://app.example.com/cb?code=")


def test_authorize_unsupported_response_type_redirects_with_error(client: TestClient) -> None:
    response = authorize(client, response_type="token", state="s1")
    query = parse_qs(urlsplit(response.headers["location"]).query)
    assert query["error"] == ["unsupported_response_type"]
    assert query["state"] == ["s1"]


# --- refresh --------------------------------------------------------------------------------
def _refresh_token(client: TestClient) -> str:
    code = code_from(authorize(client))
    data = {"grant_type": "authorization_code", "code": code, "redirect_uri": REDIRECT, **CLIENT}
    token: str = client.post(TOKEN_URL, data=data).json()["refresh_token"]
    return token


def test_refresh_without_rotation_keeps_the_refresh_token(client: TestClient) -> None:
    refresh = _refresh_token(client)
    data = {"grant_type": "refresh_token", "refresh_token": refresh, **CLIENT}
    first = client.post(TOKEN_URL, data=data)
    assert first.status_code == 200
    body = first.json()
    assert "refresh_token" not in body
    assert set(body) == {
        "access_token",
        "signature",
        "scope",
        "instance_url",
        "id",
        "token_type",
        "issued_at",
    }
    assert client.post(TOKEN_URL, data=data).status_code == 200


def test_refresh_rotation_invalidates_the_old_token(org: Org) -> None:
    client = TestClient(
        create_emulator_app(org, config=EmulatorConfig(refresh_token_rotation=True))
    )
    refresh = _refresh_token(client)
    data = {"grant_type": "refresh_token", "refresh_token": refresh, **CLIENT}
    body = client.post(TOKEN_URL, data=data).json()
    assert body["refresh_token"] != refresh
    old = client.post(TOKEN_URL, data=data)
    assert old.status_code == 400
    assert old.json() == {
        "error": "invalid_grant",
        "error_description": "expired access/refresh token",
    }
    new = client.post(TOKEN_URL, data={**data, "refresh_token": body["refresh_token"]})
    assert new.status_code == 200


def test_refresh_unknown_token_is_invalid_grant(client: TestClient) -> None:
    response = client.post(
        TOKEN_URL, data={"grant_type": "refresh_token", "refresh_token": "nope", **CLIENT}
    )
    assert response.status_code == 400
    assert response.json()["error"] == "invalid_grant"


# --- revoke and expiry --------------------------------------------------------------------------
def test_revoke_access_token(client: TestClient) -> None:
    token = password_login(client).json()["access_token"]
    assert client.post("/services/oauth2/revoke", data={"token": token}).status_code == 200
    response = api_get(client, token)
    assert response.status_code == 401
    assert response.json() == [
        {"message": "Session expired or invalid", "errorCode": "INVALID_SESSION_ID"}
    ]


def test_revoke_refresh_token_ends_its_sessions(client: TestClient) -> None:
    refresh = _refresh_token(client)
    data = {"grant_type": "refresh_token", "refresh_token": refresh, **CLIENT}
    access = client.post(TOKEN_URL, data=data).json()["access_token"]
    assert client.post("/services/oauth2/revoke", data={"token": refresh}).status_code == 200
    assert client.post(TOKEN_URL, data=data).status_code == 400
    assert api_get(client, access).status_code == 401


def test_revoke_unknown_or_missing_token(client: TestClient) -> None:
    unknown = client.post("/services/oauth2/revoke", data={"token": "nope"})
    assert unknown.status_code == 400
    assert unknown.json()["error"] == "invalid_token"
    missing = client.post("/services/oauth2/revoke", data={})
    assert missing.status_code == 400
    assert missing.json()["error"] == "invalid_token"


def test_session_expires_after_inactivity(client: TestClient, clock: Any) -> None:
    token = password_login(client).json()["access_token"]
    clock.advance(500)
    assert api_get(client, token).status_code == 200  # activity extends the session
    clock.advance(500)
    assert api_get(client, token).status_code == 200
    clock.advance(601)
    assert api_get(client, token).status_code == 401


# --- userinfo and identity ---------------------------------------------------------------------
def test_userinfo(client: TestClient, org: Org) -> None:
    token = password_login(client).json()["access_token"]
    response = client.get("/services/oauth2/userinfo", headers={"Authorization": f"Bearer {token}"})
    assert response.status_code == 200
    body = response.json()
    assert body["user_id"] == org.admin_user_id
    assert body["organization_id"] == org.org_id
    assert body["preferred_username"] == "admin@sfemu.test"
    assert body["name"] == "Admin User"
    assert body["email"] == "admin@sfemu.test"
    assert body["sub"] == f"http://testserver/id/{org.org_id}/{org.admin_user_id}"
    assert body["urls"]["rest"] == "http://testserver/services/data/v{version}/"


def test_userinfo_without_valid_token(client: TestClient) -> None:
    response = client.get("/services/oauth2/userinfo", headers={"Authorization": "Bearer nope"})
    assert response.status_code == 403
    assert response.text == "Bad_OAuth_Token"


def test_identity_url_from_token_response(client: TestClient, org: Org) -> None:
    body = password_login(client).json()
    path = urlsplit(body["id"]).path
    response = client.get(path, headers={"Authorization": f"Bearer {body['access_token']}"})
    assert response.status_code == 200
    identity = response.json()
    assert identity["id"] == body["id"]
    assert identity["user_id"] == org.admin_user_id
    assert identity["organization_id"] == org.org_id
    assert identity["username"] == "admin@sfemu.test"
    assert identity["display_name"] == "Admin User"
    assert identity["active"] is True
    assert identity["urls"]["sobjects"] == "http://testserver/services/data/v{version}/sobjects/"


def test_identity_unknown_user_or_bad_token(client: TestClient, org: Org) -> None:
    token = password_login(client).json()["access_token"]
    headers = {"Authorization": f"Bearer {token}"}
    unknown = client.get(f"/id/{org.org_id}/005000000000000AAA", headers=headers)
    assert unknown.status_code == 404
    no_token = client.get(f"/id/{org.org_id}/{org.admin_user_id}")
    assert no_token.status_code == 403


# --- JWT bearer -------------------------------------------------------------------------------
@pytest.fixture(scope="module")
def rsa_pair() -> tuple[bytes, str]:
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    private = key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    )
    public = key.public_key().public_bytes(
        serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
    )
    return private, public.decode()


@pytest.fixture
def jwt_app(app: EmulatorApp, rsa_pair: tuple[bytes, str]) -> str:
    app.state.sfemu.tokens.register_app(
        ConnectedApp("jwt-app", "jwt-secret", jwt_public_key=rsa_pair[1])
    )
    return "jwt-app"


def _assertion(org: Org, private: bytes, **claims: Any) -> str:
    payload = {
        "iss": "jwt-app",
        "sub": "admin@sfemu.test",
        "aud": "https://login.salesforce.com",
        # simple-salesforce sends exp as a string of seconds; accept both
        "exp": f"{(org.now() + timedelta(minutes=3)).timestamp():.0f}",
    }
    payload.update(claims)
    return jwt.encode(payload, private, algorithm="RS256")


def _jwt_login(client: TestClient, assertion: str) -> Any:
    return client.post(
        TOKEN_URL,
        data={"grant_type": "urn:ietf:params:oauth:grant-type:jwt-bearer", "assertion": assertion},
    )


def test_jwt_bearer_success(
    client: TestClient, org: Org, jwt_app: str, rsa_pair: tuple[bytes, str]
) -> None:
    response = _jwt_login(client, _assertion(org, rsa_pair[0]))
    assert response.status_code == 200
    body = response.json()
    assert set(body) == {"access_token", "scope", "instance_url", "id", "token_type"}
    assert api_get(client, body["access_token"]).status_code == 200


def test_jwt_bearer_accepts_emulator_audience(
    client: TestClient, org: Org, jwt_app: str, rsa_pair: tuple[bytes, str]
) -> None:
    response = _jwt_login(client, _assertion(org, rsa_pair[0], aud="http://testserver"))
    assert response.status_code == 200


@pytest.mark.parametrize(
    ("claims", "error", "description"),
    [
        ({"aud": "https://evil.example.com"}, "invalid_grant", "audience is invalid"),
        ({"exp": 1000}, "invalid_grant", "expired authorization code"),
        ({"iss": "who"}, "invalid_client_id", "client identifier invalid"),
        ({"sub": "nobody@sfemu.test"}, "invalid_grant", "user hasn't approved this consumer"),
    ],
)
def test_jwt_bearer_claim_errors(
    client: TestClient,
    org: Org,
    jwt_app: str,
    rsa_pair: tuple[bytes, str],
    claims: dict[str, Any],
    error: str,
    description: str,
) -> None:
    response = _jwt_login(client, _assertion(org, rsa_pair[0], **claims))
    assert response.status_code == 400
    assert response.json() == {"error": error, "error_description": description}


def test_jwt_bearer_wrong_key_is_invalid_assertion(
    client: TestClient, org: Org, jwt_app: str
) -> None:
    other = rsa.generate_private_key(public_exponent=65537, key_size=2048).private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    )
    response = _jwt_login(client, _assertion(org, other))
    assert response.json() == {"error": "invalid_grant", "error_description": "invalid assertion"}


def test_jwt_bearer_garbage_assertion(client: TestClient) -> None:
    response = _jwt_login(client, "not-a-jwt")
    assert response.json() == {"error": "invalid_grant", "error_description": "invalid assertion"}


def test_jwt_bearer_inactive_user(
    client: TestClient, org: Org, jwt_app: str, rsa_pair: tuple[bytes, str]
) -> None:
    make_inactive_user(org)
    response = _jwt_login(client, _assertion(org, rsa_pair[0], sub="gone@sfemu.test"))
    assert response.json() == {"error": "invalid_grant", "error_description": "inactive user"}
