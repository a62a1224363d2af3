"""``ringsync keys rotate``: re-encrypt every stored secret under the first encryption key.

Rotating RINGSYNC_ENCRYPTION_KEYS: put the new key first (``new,old``), restart the processes,
run ``ringsync keys rotate``, then drop the old key. The command re-encrypts each Salesforce
connection's credentials (tokens, client secret, private key, password) and each pending
sign-in's secrets (PKCE verifier, client secret) that is not yet under the first key, in
batches of one transaction each, with a compare-and-set so a refresh token rotated meanwhile is
never overwritten. Running it again changes nothing. A secret no configured key opens is named
by its account (never shown) and makes the command exit 1; ``--check`` only counts.

Exit codes: 0 every secret is under the first key; 1 some secret is not (``--check``) or cannot
be opened; 2 bad input (no keys, a malformed key, no database).
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Annotated

import orjson
import typer
from sqlalchemy.exc import SQLAlchemyError

from ringsync.clock import Clock, SystemClock
from ringsync.commands.db import DatabaseUrlOption
from ringsync.commands.exits import (
    check_url,
    database_failure,
    describe,
    fail,
    open_store,
    safe_url,
    settings_or_exit,
)
from ringsync.domain.connections import (
    KeyRing,
    SecretTally,
    encryption_keys,
    reencrypt_connections,
    reencrypt_oauth_states,
)
from ringsync.errors import ConfigError
from ringsync.store.db import Database
from ringsync.store.repositories import accounts as account_repo

keys_app = typer.Typer(
    name="keys",
    help="Re-encrypt stored secrets after an encryption key change.",
    no_args_is_help=True,
)

NOT_DONE = 1
BATCH_SIZE = 200
NO_DIGEST = ""


@dataclass
class RotationReport:
    """What a rotation (or a check) found, per kind of stored secret."""

    keys: int
    checked_only: bool
    connections: SecretTally = field(default_factory=SecretTally)
    sign_ins: SecretTally = field(default_factory=SecretTally)
    account_names: dict[int, str] = field(default_factory=dict)

    @property
    def not_under_first(self) -> int:
        """Secrets still under another key (a check, or ones that kept changing)."""
        return self.connections.stale + self.sign_ins.stale

    @property
    def unreadable(self) -> int:
        """Secrets no configured key opens."""
        return len(self.connections.unreadable) + len(self.sign_ins.unreadable)

    @property
    def done(self) -> bool:
        """Tell whether every live secret is under the first key."""
        return self.not_under_first == 0 and self.unreadable == 0


def rotate_secrets(
    database: Database,
    ring: KeyRing,
    *,
    check: bool = False,
    batch_size: int = BATCH_SIZE,
    clock: Clock | None = None,
) -> RotationReport:
    """Re-encrypt (or, with ``check``, count) every stored secret not under the first key."""
    report = RotationReport(keys=ring.count, checked_only=check)
    now = (clock or SystemClock()).now()
    after: int | None = 0
    while after is not None:
        with database.write() as session:
            after = reencrypt_connections(
                session, ring, report.connections, after=after, limit=batch_size, dry_run=check
            )
    digest: str | None = NO_DIGEST
    while digest is not None:
        with database.write() as session:
            digest = reencrypt_oauth_states(
                session,
                ring,
                report.sign_ins,
                after=digest,
                limit=batch_size,
                now=now,
                dry_run=check,
            )
    named = set(report.connections.unreadable) | set(report.sign_ins.unreadable)
    if named:
        with database.read() as session:
            for account_id in sorted(named):
                account = account_repo.get(session, account_id)
                report.account_names[account_id] = account.name if account else "?"
    return report


def _line(label: str, tally: SecretTally, check: bool) -> str:
    if check:
        parts = [f"{tally.stale} not yet under the first key", f"{tally.current} under it"]
    else:
        parts = [f"{tally.rotated} re-encrypted", f"{tally.current} already under the first key"]
        if tally.stale:
            parts.append(f"{tally.stale} changed while rotating (run again)")
    parts.append(f"{len(tally.unreadable)} unreadable")
    if tally.expired:
        parts.append(f"{tally.expired} expired (skipped)")
    return f"{label}: " + ", ".join(parts)


def _print(report: RotationReport, database: str) -> None:
    typer.echo(f"Database: {database}")
    typer.echo(f"Keys: {report.keys} configured; the first encrypts.")
    typer.echo(_line("Salesforce connections", report.connections, report.checked_only))
    typer.echo(_line("Pending sign-ins", report.sign_ins, report.checked_only))
    for account_id in report.connections.unreadable:
        typer.echo(
            f"Cannot open: the Salesforce connection of account {account_id} "
            f"({report.account_names.get(account_id, '?')}): no configured key opens it. Put the "
            "key it was saved under back in RINGSYNC_ENCRYPTION_KEYS (after the first) and run "
            "again, or reconnect that account.",
            err=True,
        )
    for account_id in sorted(set(report.sign_ins.unreadable)):
        typer.echo(
            f"Cannot open: a pending Salesforce sign-in of account {account_id} "
            f"({report.account_names.get(account_id, '?')}): no configured key opens it; it "
            "expires within minutes (start Connect Salesforce again if it was yours).",
            err=True,
        )
    if report.done:
        typer.echo(
            "Every stored secret is under the first key"
            + ("." if report.checked_only else ": the old keys can be dropped now.")
        )
    elif report.checked_only and report.not_under_first:
        typer.echo(f"{report.not_under_first} secret(s) to re-encrypt: run ringsync keys rotate.")


@keys_app.command("rotate")
def keys_rotate(
    database_url: DatabaseUrlOption = None,
    check: Annotated[
        bool,
        typer.Option("--check", help="Only count the secrets not yet under the first key."),
    ] = False,
    batch_size: Annotated[
        int, typer.Option("--batch-size", help="Rows per transaction.", min=1, max=10_000)
    ] = BATCH_SIZE,
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON.")] = False,
) -> None:
    """Re-encrypt every stored secret under the first key of RINGSYNC_ENCRYPTION_KEYS."""
    settings = settings_or_exit()
    if database_url is not None:
        settings = settings.model_copy(update={"database_url": check_url(database_url)})
    try:
        ring = KeyRing.of(encryption_keys(settings))
    except ConfigError as exc:
        raise fail(describe(exc)) from None
    with open_store(settings, migrate=False) as database:
        try:
            report = rotate_secrets(database, ring, check=check, batch_size=batch_size)
        except SQLAlchemyError as exc:
            raise database_failure(settings.database_url, exc) from None
    if as_json:
        document = {
            **asdict(report),
            "not_under_first": report.not_under_first,
            "unreadable": report.unreadable,
            "done": report.done,
        }
        typer.echo(orjson.dumps(document, option=orjson.OPT_NON_STR_KEYS).decode())
    else:
        _print(report, safe_url(settings.database_url))
    if not report.done:
        raise typer.Exit(code=NOT_DONE)


__all__ = ["RotationReport", "keys_app", "keys_rotate", "rotate_secrets"]
