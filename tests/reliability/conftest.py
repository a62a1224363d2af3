"""Fixtures for the fault tests: the profile (ci or full), seeds, and a fresh world per test.

``RINGSYNC_RELIABILITY_PROFILE=full`` runs at least 20 seeds per fault with larger scenarios;
the default ``ci`` profile runs 3 small seeds. A failure names its seed; rerun it alone with
``pytest tests/reliability -k seed07`` (ids are zero-padded so ``seed01`` never matches
``seed10``).
"""

from __future__ import annotations

import itertools
import os
import shutil
import ssl
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import httpx2
import pytest
from generator import Size
from harness import World, password_client
from starlette.testclient import TestClient

from ringsync.clock import FrozenClock
from ringsync.domain.accounts import create_account
from ringsync.store.db import Database, create_db_engine
from ringsync.store.migrate import upgrade

PROFILE = os.environ.get("RINGSYNC_RELIABILITY_PROFILE", "ci")
if PROFILE not in {"ci", "full"}:
    raise pytest.UsageError(f"RINGSYNC_RELIABILITY_PROFILE must be ci or full, not {PROFILE!r}")
FULL = PROFILE == "full"
SEEDS = list(range(1, 23)) if FULL else [1, 2, 3]
SIZE = Size(people=24, windows=6, events_per_window=30) if FULL else Size(6, 3, 8)
SFEMU_URL = "https://sfemu.test"
_accounts = itertools.count(1)


def seeded(known: dict[str, set[int]] | None = None, reason: str = "") -> Any:
    """Parametrize a test over the profile's seeds with ids ``seed01``, ``seed02``...

    ``known`` names, per profile, the seeds that expose a known engine defect (``reason``);
    they are strict xfails, so the day the defect is fixed they fail and must be unlisted.
    """
    failing = (known or {}).get(PROFILE, set())
    params = [
        pytest.param(
            seed,
            id=f"seed{seed:02d}",
            marks=[pytest.mark.xfail(strict=True, reason=reason)] if seed in failing else [],
        )
        for seed in SEEDS
    ]
    return pytest.mark.parametrize("seed", params)


@pytest.fixture(scope="session")
def template_db(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Migrate one SQLite file once; each test starts from a copy."""
    path = tmp_path_factory.mktemp("reliability") / "template.db"
    upgrade(f"sqlite:///{path}")
    return path


def _rep_user(org: Any) -> str:
    """Create the sales rep whose edits stand for people working in Salesforce."""
    return str(
        org.create(
            "User",
            {
                "Username": "rep@users.sfemu.test",
                "LastName": "Rep",
                "Email": "rep@users.sfemu.test",
                "Alias": "rep",
                "CommunityNickname": "rep",
                "ProfileId": org.standard_profile_id,
            },
        )
    )


@dataclass
class Opened:
    """What a world needs closed after the test."""

    db: Database
    http: httpx2.Client
    server: Any | None = None


@pytest.fixture
def make_world(template_db: Path, tmp_path: Path) -> Iterator[Callable[..., World]]:
    """Return a factory of worlds: sfemu in process, or on a TLS socket with ``socket=True``."""
    opened: list[Opened] = []

    def build(seed: int, *, socket: bool = False) -> World:
        from sfemu.app import create_emulator_app
        from sfemu.org import Org
        from sfemu.seed import define_contact_center_fields
        from sfemu.server import start_server

        clock = FrozenClock(datetime(2026, 3, 2, 15, 0, 0, tzinfo=UTC))
        org = Org(clock=clock.now)
        define_contact_center_fields(org)
        app = create_emulator_app(org)
        app.state.sfemu.faults.reseed(seed)
        path = tmp_path / f"ringsync-{len(opened)}.db"
        shutil.copyfile(template_db, path)
        db = Database(create_db_engine(f"sqlite:///{path}"))
        server = None
        if socket:
            server = start_server(app, tls=True, cert_dir=tmp_path / f"tls-{len(opened)}")
            assert server.ca_path is not None
            context = ssl.create_default_context(cafile=str(server.ca_path))
            http: httpx2.Client = httpx2.Client(verify=context, timeout=10.0)
            base_url = server.base_url
        else:
            http = TestClient(app, base_url=SFEMU_URL)
            base_url = SFEMU_URL
        opened.append(Opened(db, http, server))
        with db.write() as session:
            account_id = create_account(session, f"Reliability {next(_accounts)}", clock=clock).id
        world = World(
            seed=seed,
            db=db,
            clock=clock,
            app=app,
            client=password_client(http, base_url, clock, seed),
            account_id=account_id,
            rep_user_id=_rep_user(org),
        )
        world.configure()
        return world

    yield build
    for item in opened:
        item.http.close()
        if item.server is not None:
            item.server.stop()
        item.db.dispose()
