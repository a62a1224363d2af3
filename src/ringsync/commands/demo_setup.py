"""Set up the demo world: a seeded sfemu over TLS, a fresh store, an account connected to it.

Everything the demo builds goes through the same services a real deployment uses: the account
and its admin are created by the domain services, the connection is checked with one login and
stored encrypted, the sync settings are saved as a version, and the product (engine, tasks,
runner) is the one ``ringsync serve`` runs. Only the org is emulated; TLS verification stays on,
with the emulator's throw-away CA as the one trusted root.
"""

from __future__ import annotations

import secrets
import shutil
import ssl
import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx2
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

from ringsync.domain.accounts import create_account
from ringsync.domain.connections import (
    ConnectionMethod,
    ConnectionSpec,
    ConnectionState,
    check_login,
    cipher_for,
    save_connection,
)
from ringsync.domain.sync_settings import edit_draft, save_draft
from ringsync.domain.users import Role, create_user
from ringsync.operations.handler import OperationEnv
from ringsync.operations.model import OperationKind
from ringsync.operations.runner import create_runner as create_operation_runner
from ringsync.runtime.runner import Runner
from ringsync.runtime.tasks import DueAccounts, TaskRegistry
from ringsync.runtime.wiring import Product, build_product
from ringsync.salesforce.hosts import HostPolicy
from ringsync.settings import Settings, load_settings
from ringsync.store.db import Database
from ringsync.store.repositories import sync_schedule
from ringsync.sync.engine import RunSummary
from ringsync.web.security import Passwords
from sfemu.cli import ADMIN_PASSWORD, ADMIN_USERNAME, EmulatorOptions, build_emulator
from sfemu.oauth import DEFAULT_CLIENT_ID, DEFAULT_CLIENT_SECRET
from sfemu.server import RunningServer, start_server

DEFAULT_DATA_DIR = Path("var/demo")
DATABASE_FILE = "ringsync.db"
ACCOUNT_NAME = "Demo Contact Center"
ADMIN_EMAIL = "admin@example.com"
DEMO_SEED = 42
DEMO_SETTINGS: dict[str, Any] = {
    "object_mode": "both",
    "priority": "Lead",
    "create_direction": "both",
    "update_direction": "both",
    "poll_interval_seconds": 30,
}

ORG_USERS = "SELECT Id, Name, Email FROM User WHERE IsActive = true"
COUNT_QUERIES = ("SELECT COUNT() FROM Lead", "SELECT COUNT() FROM Contact")

RunnerFactory = Callable[[Settings, Database, TaskRegistry, DueAccounts], Runner]


@dataclass(frozen=True)
class DemoOptions:
    """What the demo seeds and where it keeps its files."""

    data_dir: Path = DEFAULT_DATA_DIR
    leads: int = 300
    contacts: int = 150
    users: int = 8
    seed: int = DEMO_SEED


@dataclass
class DemoWorld:
    """The running demo: emulator, product, the account and its admin's sign-in."""

    options: DemoOptions
    server: RunningServer
    emulator: Any
    settings: Settings
    product: Product
    http: httpx2.Client
    account_id: int
    admin_email: str
    admin_password: str = field(repr=False)
    _closed: bool = field(default=False, repr=False)

    @property
    def sfemu_url(self) -> str:
        """Return the emulator's base URL."""
        return self.server.base_url

    def api_calls(self) -> int:
        """Return how many API calls the emulator has served so far."""
        return int(self.emulator.state.sfemu.stats.api_calls_total)

    def close(self) -> None:
        """Stop the emulator and release the store and the HTTP client (once)."""
        if self._closed:
            return
        self._closed = True
        try:
            self.product.close()
            self.http.close()
        finally:
            self.server.stop()


def _fresh(data_dir: Path) -> Path:
    """Empty the demo's own files (store, certificates) so every start is the same."""
    data_dir.mkdir(parents=True, exist_ok=True)
    for name in (
        DATABASE_FILE,
        f"{DATABASE_FILE}-wal",
        f"{DATABASE_FILE}-shm",
        f"{DATABASE_FILE}-journal",
    ):
        (data_dir / name).unlink(missing_ok=True)
    shutil.rmtree(data_dir / "tls", ignore_errors=True)
    return data_dir / DATABASE_FILE


def demo_settings(data_dir: Path, port: int) -> Settings:
    """Return the demo's settings: its own SQLite file, demo secrets, sfemu as allowed host."""
    database = (data_dir / DATABASE_FILE).resolve()
    return load_settings(
        database_url=f"sqlite:///{database}",
        data_dir=data_dir,
        demo=True,
        runner="embedded",
        salesforce_allowed_hosts=f"127.0.0.1:{port},localhost:{port}",
    )


def _connect(
    world_db: Database, settings: Settings, account_id: int, base_url: str, http: httpx2.Client
) -> None:
    """Log in to the emulator once, then keep the connection with its secrets encrypted."""
    spec = ConnectionSpec(
        ConnectionMethod.PASSWORD,
        base_url,
        DEFAULT_CLIENT_ID,
        ADMIN_USERNAME,
        {"client_secret": DEFAULT_CLIENT_SECRET, "password": ADMIN_PASSWORD},
    )
    token = check_login(spec, http, HostPolicy.from_settings(settings))
    with world_db.write() as session:
        save_connection(
            session,
            account_id,
            spec,
            cipher_for(settings),
            state=ConnectionState.CONNECTED,
            instance_url=token.instance_url,
        )


def _agents_for_owners(product: Product, account_id: int) -> None:
    """Give the account one agent per org user, then map them by email (the users sync).

    Records owned by those users then arrive with their owner set, as an agent would expect.
    """
    client = product.client(account_id)
    org_users = client.query_all(ORG_USERS)
    with product.database.write() as session:
        for user in org_users:
            email = str(user.get("Email") or "")
            if email:
                create_user(session, account_id, email=email, name=str(user.get("Name") or ""))
    runner = create_operation_runner(OperationEnv(product.database, client, product.clock))
    queued = runner.start(account_id, OperationKind.SYNC_USERS)
    runner.execute(account_id, queued.id)


def start_world(options: DemoOptions, *, runner_factory: RunnerFactory | None = None) -> DemoWorld:
    """Start the emulator and build a fresh, connected, configured demo account."""
    _fresh(options.data_dir)
    emulator = build_emulator(
        EmulatorOptions(
            leads=options.leads, contacts=options.contacts, users=options.users, seed=options.seed
        )
    )
    server = start_server(emulator, tls=True, cert_dir=options.data_dir / "tls")
    try:
        assert server.ca_path is not None  # TLS was asked for
        settings = demo_settings(options.data_dir, server.port)
        http = httpx2.Client(
            verify=ssl.create_default_context(cafile=str(server.ca_path)), timeout=60.0
        )
        product = build_product(settings, http=http, runner_factory=runner_factory)
    except BaseException:
        server.stop()
        raise
    password = secrets.token_urlsafe(12)
    try:
        with product.database.write() as session:
            account_id = create_account(session, ACCOUNT_NAME).id
            create_user(
                session,
                account_id,
                email=ADMIN_EMAIL,
                name="Demo Admin",
                role=Role.ADMIN,
                password_hash=Passwords().hash(password),
            )
        _connect(product.database, settings, account_id, server.base_url, http)
        with product.database.write() as session:
            edit_draft(session, account_id, DEMO_SETTINGS, edited_by=ADMIN_EMAIL)
            save_draft(session, account_id, saved_by=ADMIN_EMAIL)
        _agents_for_owners(product, account_id)
    except BaseException:
        product.close()
        http.close()
        server.stop()
        raise
    return DemoWorld(
        options, server, emulator, settings, product, http, account_id, ADMIN_EMAIL, password
    )


def initial_pull(world: DemoWorld, console: Console) -> list[RunSummary]:
    """Read every Lead and Contact into the store, showing linked records as they arrive."""
    client = world.product.client(world.account_id)
    total = sum(client.count(soql) for soql in COUNT_QUERIES)
    result: list[RunSummary] = []
    failure: list[BaseException] = []

    def pull() -> None:
        try:
            result.extend(world.product.engine.run_inbound(world.account_id))
        except BaseException as exc:  # handed to the main thread below
            failure.append(exc)

    worker = threading.Thread(target=pull, name="ringsync-demo-pull", daemon=True)
    columns = (
        TextColumn("Initial pull"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
    )
    with Progress(*columns, console=console, transient=not console.is_terminal) as progress:
        task = progress.add_task("pull", total=total)
        worker.start()
        while worker.is_alive():
            worker.join(0.25)
            with world.product.database.read() as session:
                linked = sync_schedule.count_links(session, world.account_id)
            progress.update(task, completed=min(linked, total))
        progress.update(task, completed=total)
    if failure:
        raise failure[0]
    return result


__all__ = [
    "ACCOUNT_NAME",
    "ADMIN_EMAIL",
    "DEFAULT_DATA_DIR",
    "DemoOptions",
    "DemoWorld",
    "demo_settings",
    "initial_pull",
    "start_world",
]
