"""Run a world through the product's stored OAuth connection instead of the harness's client.

The engine then gets its client from ``SalesforceAccess`` (as the runner does): the refresh
token is kept encrypted in the database, rotated tokens are saved back, and a reconnect (a new
``connected_at``) makes the access build a new client. Used by the token-endpoint and the
key-rotation fault tests.
"""

from __future__ import annotations

from dataclasses import dataclass

from harness import World
from starlette.testclient import TestClient

from ringsync.domain.connections import (
    ConnectionMethod,
    ConnectionSpec,
    ConnectionState,
    get_connection,
    save_connection,
)
from ringsync.salesforce.hosts import HostPolicy
from ringsync.salesforce.retry import RetryPolicy
from ringsync.salesforce.tokens import TokenCipher
from ringsync.store.repositories import connections as connection_repo
from ringsync.web.api.admin_salesforce import SalesforceAccess

SFEMU_URL = "https://sfemu.test"
CLIENT_ID = "sfemu-client"


@dataclass
class Connected:
    """The product's way to reach sfemu for one world: stored connection plus access."""

    world: World
    http: TestClient
    keys: list[str]
    access: SalesforceAccess

    def restart(self, keys: list[str]) -> None:
        """Change the configured encryption keys and rebuild the access (a process restart)."""
        self.keys = list(keys)
        self.access = build_access(self.http, self.keys, self.world)
        self.world.engine.clients = lambda account_id: self.access.client(self.world.db, account_id)

    def connect(self) -> None:
        """Connect (or reconnect) as the admin would: a fresh refresh token, stored encrypted."""
        sfemu = self.world.app.state.sfemu
        grant = sfemu.tokens.issue_refresh(sfemu.org.admin_user_id, CLIENT_ID, "api refresh_token")
        spec = ConnectionSpec(
            ConnectionMethod.OAUTH,
            SFEMU_URL,
            CLIENT_ID,
            secrets={"refresh_token": grant.token, "client_secret": "sfemu-secret"},
        )
        with self.world.db.write() as session:
            save_connection(
                session,
                self.world.account_id,
                spec,
                self.access.cipher,
                state=ConnectionState.CONNECTED,
                instance_url=SFEMU_URL,
                clock=self.world.clock,
            )
        self.access.forget(self.world.account_id)

    def state(self) -> tuple[str, str | None]:
        """Return the connection's state and last error, as the admin's connection view shows."""
        with self.world.db.read() as session:
            view = get_connection(session, self.world.account_id)
        assert view is not None
        return view.state, view.last_error

    def stored_blob(self) -> str:
        """Return the encrypted credentials blob as stored."""
        with self.world.db.read() as session:
            row = connection_repo.get(session, self.world.account_id)
        assert row is not None
        return row.credentials

    def close(self) -> None:
        """Close the in-process HTTP client."""
        self.http.close()


def connected(world: World, keys: list[str]) -> Connected:
    """Store an OAuth connection for the world's account and route its engine through it."""
    http = TestClient(world.app, base_url=SFEMU_URL)
    found = Connected(world, http, list(keys), build_access(http, keys, world))
    found.restart(keys)
    found.connect()
    return found


def build_access(http: TestClient, keys: list[str], world: World) -> SalesforceAccess:
    """Return the production access over ``http`` with ``keys`` and near-instant retries."""
    cipher = TokenCipher(list(keys))
    return SalesforceAccess(
        http=http,
        hosts=HostPolicy(["sfemu.test"]),
        cipher=lambda: cipher,
        clock=world.clock,
        retry=RetryPolicy.seeded(world.seed, max_attempts=3, base_delay=0.01, max_delay=0.02),
    )
