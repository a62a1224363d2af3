"""Security-check fixtures: the app on one migrated SQLite file, sfemu in process, a leak scanner.

The scanner is a pytest plugin local to this folder: an autouse fixture puts a handler on the
root logger at DEBUG for every test here, and fails the test when any captured record (message,
arguments, exception text, extra fields) holds a known secret (the Salesforce access and refresh
tokens seen on the wire, the connected app's client secret, the Fernet key, the app's secret key,
an ``Authorization`` header value, a password, an API token) or a full test phone number in
E.164 or national format. Records below WARNING from the HTTP libraries' loggers are skipped, as
``configure_logging`` holds those loggers at WARNING in every deployment. Phones are judged on
what the product's log handler emits (after ``PhoneMaskingFilter``), secrets on the raw record.
Every response the test clients receive is scanned for secrets too (and error responses for
phones), and ``scan_sync_log`` does the same over the sync log table.
"""

from __future__ import annotations

import itertools
import logging
import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import httpx2
import orjson
import pytest
from argon2 import PasswordHasher
from fastapi import FastAPI
from sqlalchemy import select
from starlette.testclient import TestClient

from fixtures.web import PASSWORD, Person, World
from ringsync.clock import FrozenClock
from ringsync.domain.accounts import create_account
from ringsync.domain.users import create_user
from ringsync.logs import PhoneMaskingFilter
from ringsync.salesforce.hosts import HostPolicy
from ringsync.salesforce.retry import RetryPolicy
from ringsync.salesforce.tokens import TokenCipher, generate_key
from ringsync.settings import Settings
from ringsync.store import sync_tables
from ringsync.store.db import Database, create_db_engine
from ringsync.store.migrate import upgrade
from ringsync.web import create_app
from ringsync.web.api.admin_salesforce import STATE_ATTRIBUTE, SalesforceAccess

SECRET_KEY = "security-test-secret-key-0123456789-abcdefgh"
SFEMU_URL = "https://sfemu.test"
CLIENT_ID = "sfemu-client"
CLIENT_SECRET = "sfemu-secret"  # sfemu's published demo secret
BASE_URL = "http://localhost"
ENCRYPTION_KEY = generate_key()
_serial = itertools.count(1)
QUIET_LOGGERS = frozenset({"httpx2", "httpcore2", "httpx", "httpcore", "urllib3", "uvicorn"})
_LOG_RECORD_FIELDS = frozenset(vars(logging.makeLogRecord({}))) | {"message", "asctime"}


def phone_forms(e164: str) -> set[str]:
    """Return the ways a full North American test number may be written (E.164 and national)."""
    digits = e164.removeprefix("+1")
    area, exchange, line = digits[:3], digits[3:6], digits[6:]
    return {
        e164,
        e164[1:],
        digits,
        f"({area}) {exchange}-{line}",
        f"{area}-{exchange}-{line}",
        f"{area} {exchange} {line}",
        f"{area}.{exchange}.{line}",
        f"+1 {area} {exchange} {line}",
        f"+1 {area}-{exchange}-{line}",
        f"+1 ({area}) {exchange}-{line}",
    }


@dataclass
class Secrets:
    """Every secret and test phone a test has handled, and where each one leaked."""

    values: set[str] = field(default_factory=set)
    phones: set[str] = field(default_factory=set)
    leaks: list[str] = field(default_factory=list)

    def add(self, *values: str | None) -> None:
        """Register secret values (blank ones are ignored)."""
        self.values.update(v for v in values if v and len(v) >= 8)

    def add_phone(self, e164: str) -> str:
        """Register a full test phone number; return it for use."""
        self.phones.add(e164)
        return e164

    def secrets_in(self, found_in: str) -> list[str]:
        """Return the secrets (shortened) that occur in ``found_in``."""
        hits = [v for v in self.values if v in found_in]
        hits += re.findall(r"(?i)\b(?:bearer|basic)\s+[A-Za-z0-9._~+/!=-]{8,}", found_in)
        return [f"{h[:6]}..." for h in hits]

    def phones_in(self, found_in: str) -> list[str]:
        """Return the test phones that occur in full in ``found_in`` (any written form)."""
        return [
            f"***{p[-4:]}" for p in self.phones if any(form in found_in for form in phone_forms(p))
        ]

    def check(self, where: str, found_in: str, *, phones: bool) -> None:
        """Record a leak line for each secret (and, when asked, full phone) in ``found_in``."""
        hits = self.secrets_in(found_in) + (self.phones_in(found_in) if phones else [])
        if hits:
            self.leaks.append(f"{where}: {sorted(set(hits))}")


class CaptureAll(logging.Handler):
    """Keep every record that reaches the root logger."""

    def __init__(self) -> None:
        super().__init__(logging.DEBUG)
        self.records: list[logging.LogRecord] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.records.append(record)


def _raw_text(record: logging.LogRecord) -> str:
    """Return everything a record carries: message, args, exception text and extra fields."""
    parts = [str(record.msg), repr(record.args)]
    try:
        parts.append(record.getMessage())
    except (TypeError, ValueError):
        parts.append("<unformattable>")
    if record.exc_info:
        parts.append(logging.Formatter().formatException(record.exc_info))
    if record.exc_text:
        parts.append(record.exc_text)
    if record.stack_info:
        parts.append(record.stack_info)
    parts += [f"{k}={v!r}" for k, v in vars(record).items() if k not in _LOG_RECORD_FIELDS]
    return "\n".join(parts)


def _emitted_text(record: logging.LogRecord) -> str:
    """Return what a handler would write: masked message, exception text, extra fields."""
    copy = logging.makeLogRecord(vars(record))
    PhoneMaskingFilter().filter(copy)
    parts = [copy.getMessage()]
    if record.exc_info:
        parts.append(logging.Formatter().formatException(record.exc_info))
    if record.exc_text:
        parts.append(record.exc_text)
    parts += [f"{k}={v!r}" for k, v in vars(record).items() if k not in _LOG_RECORD_FIELDS]
    return "\n".join(parts)


def scan_records(records: list[logging.LogRecord], found: Secrets) -> None:
    """Check each record: secrets on the raw record, full phones on what would be emitted."""
    for n, record in enumerate(records):
        if record.name.split(".")[0] in QUIET_LOGGERS and record.levelno < logging.WARNING:
            continue
        where = f"log record {n} ({record.name}:{record.lineno})"
        found.check(where, _raw_text(record), phones=False)
        found.check(where, _emitted_text(record), phones=True)


@pytest.fixture
def record_scanner() -> Any:
    """Return the scan the autouse fixture runs, for tests of the scanner itself."""
    return scan_records


@pytest.fixture
def secrets_seen() -> Secrets:
    found = Secrets()
    found.add(SECRET_KEY, PASSWORD, CLIENT_SECRET, ENCRYPTION_KEY)
    return found


@pytest.fixture(autouse=True)
def log_scan(secrets_seen: Secrets) -> Iterator[CaptureAll]:
    """Capture every log record at DEBUG; fail the test if one holds a secret or full phone."""
    root = logging.getLogger()
    handler = CaptureAll()
    old_level = root.level
    root.addHandler(handler)
    root.setLevel(logging.DEBUG)
    try:
        yield handler
    finally:
        root.removeHandler(handler)
        root.setLevel(old_level)
    scan_records(handler.records, secrets_seen)
    assert secrets_seen.leaks == [], "secrets or full phones leaked:\n" + "\n".join(
        secrets_seen.leaks
    )


def scan_sync_log(database: Database, found: Secrets) -> int:
    """Scan every row of the sync log tables for secrets and full phones; return the rows read."""
    rows = 0
    with database.read() as session:
        for table in (sync_tables.sync_log, sync_tables.sync_runs, sync_tables.sync_failed_records):
            for row in session.execute(select(table)):
                rows += 1
                found.check(f"{table.name} row", repr(tuple(row)), phones=True)
    return rows


def _watch(client: httpx2.Client, found: Secrets, *, from_salesforce: bool) -> None:
    """Scan every response of ``client``; learn the tokens Salesforce hands out."""

    def on_response(response: httpx2.Response) -> None:
        response.read()
        body = response.text
        if from_salesforce:
            if response.url.path.endswith("/oauth2/token") and response.status_code == 200:
                try:
                    issued = orjson.loads(body)
                except orjson.JSONDecodeError:
                    issued = {}
                found.add(issued.get("access_token"), issued.get("refresh_token"))
            return
        where = f"response {response.request.method} {response.url.path}"
        found.check(where, body, phones=response.status_code >= 400)
        found.check(where + " headers", repr(dict(response.headers)), phones=True)

    client.event_hooks["response"].append(on_response)


@pytest.fixture(scope="session")
def db_path(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Migrate one SQLite file for the session; every test works in fresh accounts."""
    path: Path = tmp_path_factory.mktemp("security") / "ringsync.db"
    upgrade(f"sqlite:///{path}")
    return path


@pytest.fixture(scope="session")
def database(db_path: Path) -> Iterator[Database]:
    db = Database(create_db_engine(f"sqlite:///{db_path}"))
    yield db
    db.dispose()


@pytest.fixture(scope="session")
def hasher() -> PasswordHasher:
    return PasswordHasher(time_cost=1, memory_cost=64, parallelism=1)


@pytest.fixture(scope="session")
def clock() -> FrozenClock:
    return FrozenClock(datetime(2026, 3, 1, 12, 0, tzinfo=UTC))


@pytest.fixture
def sf_config(request: pytest.FixtureRequest) -> Any:
    """Return the emulator's config; a test may pass options with indirect parametrize."""
    from sfemu.state import EmulatorConfig

    return EmulatorConfig(**getattr(request, "param", {}))


@pytest.fixture
def sf_org() -> Any:
    """Return an org with the contact center's custom fields (those the default mapping names)."""
    from sfemu.org import Org
    from sfemu.seed import define_contact_center_fields

    org = Org()
    define_contact_center_fields(org)
    return org


@pytest.fixture
def sf_http(sf_org: Any, sf_config: Any, secrets_seen: Secrets) -> Iterator[httpx2.Client]:
    """Return an httpx2 client reaching the emulator in process; it learns issued tokens."""
    from sfemu.app import create_emulator_app

    client = TestClient(create_emulator_app(sf_org, config=sf_config), base_url=SFEMU_URL)
    _watch(client, secrets_seen, from_salesforce=True)
    yield client
    client.close()


@pytest.fixture(scope="session")
def settings(db_path: Path) -> Settings:
    return Settings(
        secret_key=SECRET_KEY,
        database_url=f"sqlite:///{db_path}",
        encryption_keys=ENCRYPTION_KEY,
        salesforce_allowed_hosts="sfemu.test",
    )


@pytest.fixture
def access(sf_http: httpx2.Client, clock: FrozenClock) -> SalesforceAccess:
    return SalesforceAccess(
        http=sf_http,
        hosts=HostPolicy(["sfemu.test"]),
        cipher=lambda: TokenCipher([ENCRYPTION_KEY]),
        clock=clock,
        retry=RetryPolicy.no_retry(),
    )


@pytest.fixture(scope="session")
def shared_app(
    settings: Settings, database: Database, clock: FrozenClock, hasher: PasswordHasher
) -> FastAPI:
    """Build the app once (building it is the slow part); tests differ by account."""
    return create_app(settings, session_factory=database, clock=clock, password_hasher=hasher)


@pytest.fixture
def app(shared_app: FastAPI, access: SalesforceAccess) -> FastAPI:
    """Return the app, reaching this test's sfemu; with no runner, operations run in-request."""
    setattr(shared_app.state, STATE_ATTRIBUTE, access)
    return shared_app


def new_client(app: FastAPI, found: Secrets) -> TestClient:
    """Return a browser-like client whose every response is scanned for leaks."""
    client = TestClient(app, base_url=BASE_URL)
    _watch(client, found, from_salesforce=False)
    return client


def make_person(
    app: FastAPI,
    database: Database,
    clock: FrozenClock,
    hasher: PasswordHasher,
    found: Secrets,
    account_id: int,
    role: str,
) -> Person:
    email = f"{role}{next(_serial)}@example.com"
    with database.write() as session:
        user = create_user(
            session,
            account_id,
            email=email,
            name=f"{role.title()} Person",
            role=role,
            password_hash=hasher.hash(PASSWORD),
            clock=clock,
        )
    return Person(account_id, user.id, email, role, new_client(app, found))


@pytest.fixture
def world(
    app: FastAPI,
    database: Database,
    clock: FrozenClock,
    hasher: PasswordHasher,
    secrets_seen: Secrets,
) -> Iterator[World]:
    with database.write() as session:
        first = create_account(session, f"Security account {next(_serial)}", clock=clock).id
        second = create_account(session, f"Security account {next(_serial)}", clock=clock).id
    people = [
        make_person(app, database, clock, hasher, secrets_seen, account, role).sign_in()
        for account, role in ((first, "admin"), (first, "agent"), (second, "admin"))
    ]
    anonymous = new_client(app, secrets_seen)
    yield World(people[0], people[1], people[2], anonymous)
    for client in (*(p.client for p in people), anonymous):
        client.close()


def _connect(person: Person) -> Any:
    """Connect the person's account to sfemu with client credentials; return the response."""
    return person.call(
        "POST",
        "/api/v1/admin/integration/connect",
        json={
            "method": "client_credentials",
            "login_url": SFEMU_URL,
            "client_id": CLIENT_ID,
            "client_secret": CLIENT_SECRET,
        },
    )


@pytest.fixture
def connected(world: World) -> World:
    """Connect account A to sfemu (client credentials)."""
    response = _connect(world.admin)
    assert response.status_code == 200, response.text
    return world


@pytest.fixture
def connect() -> Any:
    """Return a function that connects a person's account to sfemu (client credentials)."""
    return _connect


@pytest.fixture
def sync_log_scan(database: Database, secrets_seen: Secrets) -> Any:
    """Return a function that scans the sync log tables; it returns how many rows it read."""
    return lambda: scan_sync_log(database, secrets_seen)


def assert_error(response: Any, status: int, code: str) -> dict[str, Any]:
    """Check the one error shape and return its inner object."""
    assert response.status_code == status, response.text
    body = response.json()
    assert set(body) == {"error"}
    error: dict[str, Any] = body["error"]
    assert set(error) == {"code", "message", "details", "correlation_id"}
    assert error["code"] == code
    assert error["message"]
    assert error["correlation_id"] == response.headers["X-Correlation-ID"]
    return error


@pytest.fixture
def expect_error() -> Any:
    return assert_error
