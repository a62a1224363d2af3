"""Every auth flow against sfemu: PKCE code flow, rotation, single-flight, JWT, refusals."""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import Any
from urllib.parse import parse_qs, urlsplit

import httpx2
import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa

from ringsync.errors import AuthError
from ringsync.salesforce.auth import (
    ClientCredentialsAuth,
    JwtBearerAuth,
    OAuthRefreshAuth,
    PasswordAuth,
)
from ringsync.salesforce.authorize import build_authorize_url, exchange_code
from ringsync.salesforce.client import SalesforceClient
from ringsync.salesforce.hosts import HostPolicy

MakeClient = Callable[..., SalesforceClient]
SFEMU = "https://sfemu.test"
REDIRECT = "https://localhost/callback"


@pytest.fixture
def sf_config() -> Any:
    """Rotate refresh tokens on every refresh, as many real connected apps do."""
    from sfemu.state import EmulatorConfig

    return EmulatorConfig(refresh_token_rotation=True)


def _connect(sf_http: httpx2.Client, hosts: HostPolicy) -> str:
    """Run the admin page's PKCE code flow against sfemu; return the refresh token."""
    start = build_authorize_url(SFEMU, "sfemu-client", REDIRECT, "state-xyz", hosts=hosts)
    answer = sf_http.get(start.url, follow_redirects=False)
    assert answer.status_code == 302
    query = parse_qs(urlsplit(answer.headers["location"]).query)
    assert query["state"] == ["state-xyz"]
    grant = exchange_code(
        sf_http,
        SFEMU,
        hosts=hosts,
        client_id="sfemu-client",
        client_secret="sfemu-secret",  # sfemu's demo secret
        code=query["code"][0],
        code_verifier=start.code_verifier,
        redirect_uri=REDIRECT,
    )
    assert grant.instance_url == SFEMU
    assert grant.refresh_token
    return grant.refresh_token


def test_code_exchange_with_a_wrong_verifier_is_refused(
    sf_http: httpx2.Client, hosts: HostPolicy
) -> None:
    start = build_authorize_url(SFEMU, "sfemu-client", REDIRECT, "s", hosts=hosts)
    answer = sf_http.get(start.url, follow_redirects=False)
    code = parse_qs(urlsplit(answer.headers["location"]).query)["code"][0]
    with pytest.raises(AuthError, match="invalid_grant") as info:
        exchange_code(
            sf_http,
            SFEMU,
            hosts=hosts,
            client_id="sfemu-client",
            client_secret="sfemu-secret",  # sfemu's demo secret
            code=code,
            code_verifier="x" * 50,
            redirect_uri=REDIRECT,
        )
    assert info.value.context["needs_reauth"] is True


def test_rotated_refresh_token_is_saved_before_the_new_access_token_is_used(
    sf_http: httpx2.Client, hosts: HostPolicy, make_client: MakeClient, sf_state: Any
) -> None:
    refresh = _connect(sf_http, hosts)
    events: list[tuple[str, str]] = []

    def sink(token: str) -> None:
        events.append(("saved", token))

    def hook(request: httpx2.Request) -> None:
        if request.url.path.startswith("/services/data/"):
            events.append(("call", request.headers["authorization"]))

    sf_http.event_hooks["request"].append(hook)
    auth = OAuthRefreshAuth(
        sf_http,
        SFEMU,
        hosts,
        client_id="sfemu-client",
        client_secret="sfemu-secret",  # sfemu's demo secret
        refresh_token=refresh,
        token_sink=sink,
    )
    client = make_client(auth=auth)
    client.limits()
    saved = [value for kind, value in events if kind == "saved"]
    assert len(saved) == 1
    assert saved[0] != refresh
    assert saved[0] in sf_state.tokens.refresh_tokens
    assert refresh not in sf_state.tokens.refresh_tokens  # the old one is dead
    new_header = f"Bearer {auth.current_token().value}"
    assert events.index(("saved", saved[0])) < events.index(("call", new_header))


def test_twenty_threads_hitting_401_cause_one_refresh(
    sf_http: httpx2.Client,
    hosts: HostPolicy,
    make_client: MakeClient,
    sf_state: Any,
    token_posts: list[str],
) -> None:
    refresh = _connect(sf_http, hosts)
    saved: list[str] = []
    auth = OAuthRefreshAuth(
        sf_http,
        SFEMU,
        hosts,
        client_id="sfemu-client",
        client_secret="sfemu-secret",  # sfemu's demo secret
        refresh_token=refresh,
        token_sink=saved.append,
    )
    client = make_client(auth=auth)
    client.limits()
    sf_state.tokens.expire_all()
    token_posts.clear()
    barrier = threading.Barrier(20)
    failures: list[BaseException] = []

    def worker() -> None:
        barrier.wait()
        try:
            client.limits()
        except BaseException as exc:  # pragma: no cover - reported below
            failures.append(exc)

    threads = [threading.Thread(target=worker) for _ in range(20)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=30)
    assert failures == []
    refreshes = [b for b in token_posts if "grant_type=refresh_token" in b]
    assert len(refreshes) == 1
    assert len(saved) == 2  # the first refresh at login, then exactly one more
    assert saved[-1] in sf_state.tokens.refresh_tokens


def test_failed_save_of_a_rotated_token_blocks_the_new_access_token(
    sf_http: httpx2.Client, hosts: HostPolicy, make_client: MakeClient
) -> None:
    refresh = _connect(sf_http, hosts)

    def broken_sink(_token: str) -> None:
        raise OSError("disk full")

    auth = OAuthRefreshAuth(
        sf_http,
        SFEMU,
        hosts,
        client_id="sfemu-client",
        client_secret="sfemu-secret",  # sfemu's demo secret
        refresh_token=refresh,
        token_sink=broken_sink,
    )
    with pytest.raises(AuthError, match="could not be saved"):
        make_client(auth=auth).limits()


def test_revoked_refresh_token_needs_reauth(
    sf_http: httpx2.Client, hosts: HostPolicy, make_client: MakeClient, sf_state: Any
) -> None:
    refresh = _connect(sf_http, hosts)
    sf_state.tokens.revoke(refresh)
    auth = OAuthRefreshAuth(
        sf_http,
        SFEMU,
        hosts,
        client_id="sfemu-client",
        client_secret="sfemu-secret",  # sfemu's demo secret
        refresh_token=refresh,
        token_sink=lambda _t: None,
    )
    with pytest.raises(AuthError, match="Reconnect Salesforce") as info:
        make_client(auth=auth).limits()
    assert info.value.context["needs_reauth"] is True
    assert refresh not in str(info.value)


def test_wrong_password_is_an_auth_error_without_the_password(
    sf_http: httpx2.Client, hosts: HostPolicy, make_client: MakeClient
) -> None:
    auth = PasswordAuth(
        sf_http,
        SFEMU,
        hosts,
        client_id="sfemu-client",
        client_secret="sfemu-secret",  # sfemu's demo secret
        username="admin@sfemu.test",
        password="hunter2-wrong",  # the point of the test
    )
    with pytest.raises(AuthError, match="invalid_grant") as info:
        make_client(auth=auth).limits()
    assert "hunter2" not in str(info.value)
    assert "hunter2" not in repr(info.value.context)


def test_forged_instance_url_from_the_token_endpoint_is_refused(
    sf_app: Any, sf_http: httpx2.Client, hosts: HostPolicy
) -> None:
    sf_app.state.sfemu.config.public_base_url = "https://attacker.example"
    auth = PasswordAuth(
        sf_http,
        SFEMU,
        hosts,
        client_id="sfemu-client",
        client_secret="sfemu-secret",  # sfemu's demo secret
        username="admin@sfemu.test",
        password="sfemu",  # sfemu's demo password
    )
    with pytest.raises(AuthError, match=r"attacker\.example is not an allowed Salesforce host"):
        auth.current_token()


def test_jwt_bearer_flow(
    sf_http: httpx2.Client, hosts: HostPolicy, make_client: MakeClient
) -> None:
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    public = key.public_key().public_bytes(
        serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
    )
    private = key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    )
    answer = sf_http.post(
        "/__sfemu/apps",
        json={"client_id": "jwt-app", "client_secret": "s", "jwt_public_key": public.decode()},
    )
    assert answer.status_code == 201
    auth = JwtBearerAuth(
        sf_http,
        SFEMU,
        hosts,
        client_id="jwt-app",
        username="admin@sfemu.test",
        private_key=private,
    )
    assert make_client(auth=auth).limits().daily_api_requests is not None


def test_client_credentials_flow(
    sf_http: httpx2.Client, hosts: HostPolicy, make_client: MakeClient
) -> None:
    answer = sf_http.post(
        "/__sfemu/apps",
        json={"client_id": "cc-app", "client_secret": "cc", "run_as_username": "admin@sfemu.test"},
    )
    assert answer.status_code == 201
    auth = ClientCredentialsAuth(
        sf_http,
        SFEMU,
        hosts,
        client_id="cc-app",
        client_secret="cc",  # test app
    )
    assert make_client(auth=auth).limits().daily_api_requests is not None
