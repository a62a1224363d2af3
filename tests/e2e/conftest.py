"""Fixtures for the browser tests: Debian's Chromium driven by Playwright, and live servers.

The browser is ``/usr/bin/chromium`` (Playwright's own download cannot work here). Without it
the tests are skipped with a clear message, except under ``CI=true`` where they must run (and
``scripts/ensure-services`` installs it). The tests serve ringsync and sfemu with uvicorn on
free local ports, in threads of the test process (sfemu's ``start_server``).
"""

from __future__ import annotations

import os
import ssl
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx2
import pytest
from argon2 import PasswordHasher

from ringsync.clock import SystemClock
from ringsync.domain.accounts import create_account
from ringsync.domain.users import create_user
from ringsync.runtime.embedded import EmbeddedRunner
from ringsync.runtime.tasks import DueAccounts, TaskRegistry
from ringsync.runtime.wiring import build_product
from ringsync.salesforce.hosts import HostPolicy
from ringsync.salesforce.tokens import generate_key
from ringsync.settings import Settings
from ringsync.store.db import Database, create_db_engine
from ringsync.store.migrate import upgrade
from ringsync.web import create_app
from sfemu.app import create_emulator_app
from sfemu.org import Org
from sfemu.seed import seed_org
from sfemu.server import start_server

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--no-first-run",
]
SCREENSHOTS = Path(__file__).resolve().parent / "screenshots"
SECRET_KEY = "browser-test-secret-key-0123456789-abcdef"
REFUSED_NAME = "Refuse Me"
PASSWORD = "correct horse battery staple"


@pytest.fixture(scope="session")
def chromium_executable() -> Path:
    if CHROMIUM.exists():
        return CHROMIUM
    message = (
        f"Debian's chromium is not installed at {CHROMIUM}: "
        "run `apt-get install -y chromium` (scripts/ensure-services does it under CI=true)"
    )
    if os.environ.get("CI") == "true":
        pytest.fail(message)
    pytest.skip(message)


@pytest.fixture(scope="session")
def browser(chromium_executable: Path) -> Iterator[Any]:
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        launched = playwright.chromium.launch(
            executable_path=str(chromium_executable), args=CHROMIUM_ARGS, headless=True
        )
        yield launched
        launched.close()


@pytest.fixture
def page(browser: Any) -> Iterator[Any]:
    # sfemu's sign-in page is served over TLS with a throwaway CA the browser does not know.
    context = browser.new_context(viewport={"width": 1280, "height": 900}, ignore_https_errors=True)
    opened = context.new_page()
    opened.set_default_timeout(10_000)
    problems: list[str] = []
    opened.on("pageerror", lambda error: problems.append(f"script error: {error}"))

    def on_console(message: Any) -> None:
        # A refused API call (403, 422...) is logged by the browser; the page handles those.
        if message.type == "error" and "Failed to load resource" not in message.text:
            problems.append(f"console: {message.text}")

    opened.on("console", on_console)
    yield opened
    context.close()
    # Script errors and Content-Security-Policy violations show up here.
    assert problems == []


@pytest.fixture(scope="session")
def screenshots() -> Path:
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    return SCREENSHOTS


@dataclass
class Stack:
    """A live ringsync (with one admin) talking to a live sfemu over TLS."""

    ringsync_url: str
    sfemu_url: str
    admin_email: str
    admin_password: str
    agent_email: str
    account_id: int
    database: Database
    org: Org


@pytest.fixture(scope="module")
def stack(tmp_path_factory: pytest.TempPathFactory, chromium_executable: Path) -> Iterator[Stack]:
    del chromium_executable  # no browser, no need for servers
    folder = tmp_path_factory.mktemp("e2e")
    url = f"sqlite:///{folder / 'ringsync.db'}"
    upgrade(url)
    database = Database(create_db_engine(url))
    clock = SystemClock()
    hasher = PasswordHasher(time_cost=1, memory_cost=64, parallelism=1)
    with database.write() as session:
        account = create_account(session, "Browser test account", clock=clock)
        admin = create_user(
            session,
            account.id,
            email="admin@example.com",
            name="Ada Admin",
            role="admin",
            password_hash=hasher.hash(PASSWORD),
            clock=clock,
        )
    org = Org()
    seed_org(org, leads=16, contacts=10, users=4, seed=7)
    # A Salesforce rule that refuses one first name: the walk's failed record.
    org.add_validation_rule(
        "Lead",
        "No_Refused_Name",
        "This first name is not allowed",
        lambda record: record.get("FirstName") == REFUSED_NAME,
        field="FirstName",
    )
    owner = next(u for u in org.iter_records("User") if u.get("IsActive") and u.get("Email"))
    with database.write() as session:
        agent = create_user(
            session,
            account.id,
            email=str(owner["Email"]),
            name="Matching Agent",
            role="agent",
            password_hash=hasher.hash(PASSWORD),
            clock=clock,
        )
    sfemu = start_server(create_emulator_app(org), tls=True, cert_dir=folder / "tls")
    assert sfemu.ca_path is not None
    key = generate_key()
    settings = Settings(
        secret_key=SECRET_KEY,
        database_url=url,
        encryption_keys=key,
        salesforce_allowed_hosts="127.0.0.1",
        data_dir=folder,
    )
    trust = ssl.create_default_context(cafile=str(sfemu.ca_path))
    http = httpx2.Client(verify=trust, timeout=30.0)

    def embedded(
        settings: Settings, database: Database, registry: TaskRegistry, due: DueAccounts
    ) -> EmbeddedRunner:
        # Polling is left to the admin's buttons so the walk sees only what it starts.
        return EmbeddedRunner(
            settings=settings,
            database=database,
            registry=registry,
            clock=clock,
            due_accounts=due,
            poll_every_seconds=3600,
        )

    product = build_product(
        settings,
        database=database,
        http=http,
        hosts=HostPolicy(["127.0.0.1"]),
        clock=clock,
        runner_factory=embedded,
    )
    runner = product.runner
    runner.start()
    app = create_app(
        settings, session_factory=database, clock=clock, password_hasher=hasher, runner=runner
    )
    app.state.ringsync_salesforce = product.access
    ringsync = start_server(app)
    try:
        yield Stack(
            ringsync.base_url,
            sfemu.base_url,
            admin.email,
            PASSWORD,
            agent.email,
            account.id,
            database,
            org,
        )
    finally:
        ringsync.stop()
        runner.stop(timeout=10)
        sfemu.stop()
        http.close()
        database.dispose()
