"""Failures below HTTP: timeouts and dropped connections, over a fake and over a real socket."""

from __future__ import annotations

import ssl
from collections.abc import Callable, Iterator
from datetime import UTC, datetime
from typing import Any

import httpx2
import pytest

from ringsync.clock import FrozenClock
from ringsync.errors import ConfigError, UnavailableError
from ringsync.salesforce.auth import AccessToken, OAuthRefreshAuth, PasswordAuth
from ringsync.salesforce.budget import ApiBudget
from ringsync.salesforce.client import SalesforceClient
from ringsync.salesforce.hosts import HostPolicy
from ringsync.salesforce.retry import RetryPolicy

TOKEN = {
    "access_token": "00Dfake!token",
    "instance_url": "https://fake.my.salesforce.com",
    "token_type": "Bearer",
    "issued_at": "1767225600000",
}


def _fake_salesforce(
    failures: dict[tuple[str, str], list[Exception]], sent: list[tuple[str, str]]
) -> httpx2.MockTransport:
    """Return a tiny fake Salesforce: a token endpoint and scripted transport failures."""

    def handler(request: httpx2.Request) -> httpx2.Response:
        key = (request.method, request.url.path)
        sent.append(key)
        if request.url.path == "/services/oauth2/token":
            return httpx2.Response(200, json=TOKEN)
        queue = failures.get(key)
        if queue:
            raise queue.pop(0)
        headers = {"Sforce-Limit-Info": "api-usage=7/1000"}
        if request.method == "POST":
            return httpx2.Response(
                201, json={"id": "00Q000000000001AAA", "success": True, "errors": []}
            )
        return httpx2.Response(
            200, json={"DailyApiRequests": {"Max": 1000, "Remaining": 993}}, headers=headers
        )

    return httpx2.MockTransport(handler)


def _client(transport: httpx2.MockTransport, sleeps: list[float]) -> SalesforceClient:
    http = httpx2.Client(transport=transport)
    hosts = HostPolicy(["*.salesforce.com"])
    auth = PasswordAuth(
        http,
        "https://login.salesforce.com",
        hosts,
        client_id="c",
        client_secret="s",  # fake
        username="u",
        password="p",  # fake
    )
    clock = FrozenClock(datetime(2026, 1, 1, tzinfo=UTC))
    return SalesforceClient(
        http,
        auth,
        retry=RetryPolicy.seeded(5, max_attempts=3),
        budget=ApiBudget(clock),
        clock=clock,
        sleep=sleeps.append,
    )


LIMITS = ("GET", "/services/data/v66.0/limits")
CREATE = ("POST", "/services/data/v66.0/sobjects/Lead")


def test_read_timeout_on_a_get_is_retried() -> None:
    sent: list[tuple[str, str]] = []
    sleeps: list[float] = []
    failures: dict[tuple[str, str], list[Exception]] = {LIMITS: [httpx2.ReadTimeout("slow")]}
    client = _client(_fake_salesforce(failures, sent), sleeps)
    limits = client.limits()
    assert limits.daily_api_requests is not None
    assert sent.count(LIMITS) == 2
    assert len(sleeps) == 1
    assert client.budget.snapshot().org_used == 7


def test_read_timeout_on_a_create_is_not_repeated() -> None:
    sent: list[tuple[str, str]] = []
    sleeps: list[float] = []
    failures: dict[tuple[str, str], list[Exception]] = {CREATE: [httpx2.ReadTimeout("slow")]}
    client = _client(_fake_salesforce(failures, sent), sleeps)
    with pytest.raises(UnavailableError, match="may or may not have been applied") as info:
        client.create("Lead", {"LastName": "X", "Company": "Y"})
    assert info.value.context["outcome_unknown"] is True
    assert sent.count(CREATE) == 1
    assert sleeps == []


def test_connect_error_on_a_create_is_retried_because_nothing_was_sent() -> None:
    sent: list[tuple[str, str]] = []
    sleeps: list[float] = []
    failures: dict[tuple[str, str], list[Exception]] = {CREATE: [httpx2.ConnectError("refused")]}
    client = _client(_fake_salesforce(failures, sent), sleeps)
    result = client.create("Lead", {"LastName": "X", "Company": "Y"})
    assert result.success
    assert result.id == "00Q000000000001AAA"
    assert sent.count(CREATE) == 2


def test_connection_errors_that_never_clear_give_up_with_attempts() -> None:
    sent: list[tuple[str, str]] = []
    sleeps: list[float] = []
    failures: dict[tuple[str, str], list[Exception]] = {
        LIMITS: [httpx2.ConnectError("down") for _ in range(5)]
    }
    client = _client(_fake_salesforce(failures, sent), sleeps)
    with pytest.raises(UnavailableError, match="connection to Salesforce failed") as info:
        client.limits()
    assert info.value.context["attempts"] == 3
    assert sent.count(LIMITS) == 3


# --- a real TLS socket ------------------------------------------------------------------
@pytest.fixture
def tls_server(sf_app: Any) -> Iterator[Any]:
    """Serve the emulator over TLS on a free local port."""
    from sfemu.server import start_server

    server = start_server(sf_app, tls=True)
    yield server
    server.stop()


@pytest.fixture
def socket_client(tls_server: Any) -> Iterator[Callable[..., SalesforceClient]]:
    """Return a factory of clients that verify the emulator's certificate (never verify=False)."""
    context = ssl.create_default_context(cafile=str(tls_server.ca_path))
    http = httpx2.Client(verify=context, timeout=10)
    hosts = HostPolicy([f"127.0.0.1:{tls_server.port}", f"localhost:{tls_server.port}"])
    clock = FrozenClock(datetime(2026, 1, 1, tzinfo=UTC))

    def build() -> SalesforceClient:
        auth = PasswordAuth(
            http,
            tls_server.base_url,
            hosts,
            client_id="sfemu-client",
            client_secret="sfemu-secret",  # sfemu's demo secret
            username="admin@sfemu.test",
            password="sfemu",  # sfemu's demo password
        )
        return SalesforceClient(
            http,
            auth,
            retry=RetryPolicy.seeded(3, max_attempts=3, base_delay=0.01),
            budget=ApiBudget(clock),
            clock=clock,
            sleep=lambda _s: None,
        )

    yield build
    http.close()


def test_dropped_create_is_not_repeated_and_the_record_exists(
    socket_client: Callable[..., SalesforceClient], sf_state: Any
) -> None:
    client = socket_client()
    client.limits()
    sf_state.faults.add(
        {"kind": "drop_after_write", "endpoint": "sobjects/*", "method": "POST", "count": 1}
    )
    with pytest.raises(UnavailableError, match="may or may not have been applied"):
        client.create("Lead", {"LastName": "Dropped", "Company": "C"})
    assert [r["LastName"] for r in client.query_all("SELECT LastName FROM Lead")] == ["Dropped"]


def test_dropped_upsert_is_repeated_and_applied_once(
    socket_client: Callable[..., SalesforceClient], sf_state: Any, sf_org: Any
) -> None:
    sf_org.add_custom_field(
        "Lead", "Phone_E164", "string", length=40, external_id=True, unique=True
    )
    client = socket_client()
    client.limits()
    sf_state.faults.add(
        {"kind": "drop_after_write", "endpoint": "sobjects/*", "method": "PATCH", "count": 1}
    )
    result = client.upsert(
        "Lead", "Phone_E164__c", "+14155550100", {"LastName": "U", "Company": "C"}
    )
    assert result.success
    assert not result.created  # the dropped first try had created it
    assert client.count("SELECT COUNT() FROM Lead") == 1


def test_untrusted_certificate_is_refused(tls_server: Any) -> None:
    with httpx2.Client() as http:  # default trust store: the emulator's CA is not in it
        auth = PasswordAuth(
            http,
            tls_server.base_url,
            HostPolicy([f"127.0.0.1:{tls_server.port}"]),
            client_id="sfemu-client",
            client_secret="sfemu-secret",  # sfemu's demo secret
            username="admin@sfemu.test",
            password="sfemu",  # sfemu's demo password
        )
        with pytest.raises(ConfigError, match=r"TLS certificate of 127\.0\.0\.1:") as info:
            auth.current_token()
    assert isinstance(info.value.__cause__, httpx2.ConnectError)
    assert "never disable" in str(info.value)


def test_untrusted_certificate_on_an_api_call_is_not_retried(tls_server: Any) -> None:
    sleeps: list[float] = []
    host = f"127.0.0.1:{tls_server.port}"
    clock = FrozenClock(datetime(2026, 1, 1, tzinfo=UTC))
    with httpx2.Client() as http:
        auth = OAuthRefreshAuth(
            http,
            tls_server.base_url,
            HostPolicy([host]),
            client_id="sfemu-client",
            client_secret=None,
            refresh_token="unused",
            token_sink=lambda _t: None,
            access_token=AccessToken("00Dx!already-held", f"https://{host}"),
        )
        client = SalesforceClient(
            http,
            auth,
            retry=RetryPolicy.seeded(1, max_attempts=5),
            budget=ApiBudget(clock),
            clock=clock,
            sleep=sleeps.append,
        )
        with pytest.raises(ConfigError, match="is not trusted") as info:
            client.limits()
    assert info.value.context["endpoint"] == "limits"
    assert sleeps == []
    assert "already-held" not in str(info.value)
