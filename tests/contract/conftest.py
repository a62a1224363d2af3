"""Contract-test fixtures: a real TLS emulator server and a requests session that reaches it.

simple-salesforce always builds ``https://{domain}.salesforce.com`` login URLs and
``https://{instance}`` data URLs. ``sf_session`` trusts the emulator's test CA and sends
every ``*.salesforce.com`` request to the emulator, so *unmodified* clients work against it.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit, urlunsplit

import pytest
import requests
from requests.adapters import HTTPAdapter

from sfemu.app import create_emulator_app
from sfemu.oauth import DEFAULT_CLIENT_ID, DEFAULT_CLIENT_SECRET
from sfemu.org import Org
from sfemu.server import RunningServer, start_server
from sfemu.state import EmulatorState

ADMIN_USERNAME = "admin@sfemu.test"
ADMIN_PASSWORD = "sfemu"
SEED_COUNTS = {"leads": 2500, "contacts": 300, "users": 5, "seed": 7}


@dataclass
class ContractServer:
    """A running TLS emulator and what tests need to reach it."""

    base_url: str
    ca_path: Path
    org: Org
    host: str
    port: int
    state: EmulatorState
    running: RunningServer
    client_id: str = DEFAULT_CLIENT_ID
    client_secret: str = DEFAULT_CLIENT_SECRET
    username: str = ADMIN_USERNAME
    password: str = ADMIN_PASSWORD

    def new_session_id(self, user_id: str | None = None) -> str:
        """Return a fresh access token for ``user_id`` (the admin by default)."""
        state = self.state
        session = state.tokens.issue_session(
            user_id or state.org.admin_user_id,
            self.client_id,
            "api",
            state.org.now(),
            state.config.session_seconds,
        )
        return session.token


def _seeded_org() -> Org:
    org = Org()
    try:
        from sfemu.seed import seed_org
    except ImportError:  # the seed module is still being written
        return org
    seed_org(
        org,
        leads=SEED_COUNTS["leads"],
        contacts=SEED_COUNTS["contacts"],
        users=SEED_COUNTS["users"],
        seed=SEED_COUNTS["seed"],
    )
    return org


@pytest.fixture(scope="session")
def sfemu_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ContractServer]:
    """Start one seeded emulator over TLS on a free 127.0.0.1 port for the whole session."""
    org = _seeded_org()
    app = create_emulator_app(org)
    running = start_server(
        app, "127.0.0.1", 0, tls=True, cert_dir=tmp_path_factory.mktemp("sfemu-tls")
    )
    assert running.ca_path is not None
    try:
        yield ContractServer(
            base_url=f"https://localhost:{running.port}",
            ca_path=running.ca_path,
            org=org,
            host="localhost",
            port=running.port,
            state=app.state.sfemu,
            running=running,
        )
    finally:
        running.stop()


class EmulatorAdapter(HTTPAdapter):
    """Send requests for any ``*.salesforce.com`` host to the emulator instead."""

    def __init__(self, target: str, ca_path: Path, **kwargs: Any) -> None:
        """Remember the emulator's scheme, host:port and CA file."""
        super().__init__(**kwargs)
        parts = urlsplit(target)
        self._scheme = parts.scheme
        self._netloc = parts.netloc
        self._ca_path = str(ca_path)

    def send(self, request: requests.PreparedRequest, **kwargs: Any) -> requests.Response:  # type: ignore[override] -- forwards requests kwargs
        """Rewrite the URL when it names Salesforce, then send as usual."""
        parts = urlsplit(request.url or "")
        host = (parts.hostname or "").lower()
        if host == "salesforce.com" or host.endswith(".salesforce.com"):
            request.url = urlunsplit(
                (self._scheme, self._netloc, parts.path, parts.query, parts.fragment)
            )
            parts = urlsplit(request.url)
        if parts.netloc == self._netloc:
            # REQUESTS_CA_BUNDLE in the environment would override session.verify; the
            # emulator's certificate only verifies against its own CA.
            kwargs["verify"] = self._ca_path
        return super().send(request, **kwargs)


@pytest.fixture
def sf_session(sfemu_server: ContractServer) -> Iterator[requests.Session]:
    """Return a requests session that trusts the emulator CA and reroutes Salesforce hosts."""
    session = requests.Session()
    session.verify = str(sfemu_server.ca_path)
    adapter = EmulatorAdapter(sfemu_server.base_url, sfemu_server.ca_path)
    session.mount("https://", adapter)
    session.mount("http://", adapter)
    try:
        yield session
    finally:
        session.close()
