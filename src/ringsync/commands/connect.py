"""``ringsync connect``: give an account its Salesforce login from the command line.

Three non-interactive flows: ``jwt`` (a connected app's certificate key; best for servers),
``client-credentials`` (the app runs as its configured user; needs the My Domain URL) and
``password`` (username-password; the demo and sfemu, blocked in many real orgs). The login is
tried once before anything is stored (``--no-check`` skips that), then kept with its secrets
encrypted under RINGSYNC_ENCRYPTION_KEYS. ``oauth`` signs in through a browser instead (see
``connect_oauth``). Secrets come from a hidden prompt or an environment variable; a secret
typed on the command line is accepted but warned about, because other users of the machine
can read command lines.
"""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Annotated

import httpx2
import typer
from sqlalchemy.exc import SQLAlchemyError

from ringsync.commands.connect_oauth import DEFAULT_WAIT_SECONDS, OAuthSignIn, run_oauth
from ringsync.commands.exits import describe, fail, open_store, settings_or_exit
from ringsync.domain.accounts import get_account
from ringsync.domain.connections import (
    ConnectionMethod,
    ConnectionSpec,
    ConnectionState,
    check_login,
    cipher_for,
    save_connection,
    spec_problems,
    target_problems,
)
from ringsync.errors import ConfigError, RingsyncError, TransientError
from ringsync.salesforce.hosts import HostPolicy
from ringsync.salesforce.tokens import TokenCipher
from ringsync.settings import Settings

METHODS = {
    "jwt": ConnectionMethod.JWT,
    "client-credentials": ConnectionMethod.CLIENT_CREDENTIALS,
    "password": ConnectionMethod.PASSWORD,
    "oauth": ConnectionMethod.OAUTH,
}
CLIENT_SECRET_VARIABLE = "RINGSYNC_SF_CLIENT_SECRET"  # noqa: S105  # a variable's name
PASSWORD_VARIABLE = "RINGSYNC_SF_PASSWORD"  # noqa: S105  # a variable's name
MAX_KEY_BYTES = 64_000
TIMEOUT_SECONDS = 30.0


def open_http() -> httpx2.Client:
    """Return the HTTP client for the login check (tests put sfemu behind this seam)."""
    return httpx2.Client(timeout=TIMEOUT_SECONDS)


def _secret(
    value: str | None,
    *,
    flag: str,
    variable: str,
    label: str,
    given: bool,
    required: bool = True,
) -> str:
    """Return the secret from the option or its variable, else from stdin or a hidden prompt.

    A terminal gets a prompt that does not echo; a pipe gives one secret per line. A secret
    that is not ``required`` may be left out (an empty line or Enter); then "" is returned.
    """
    if value:
        if given:
            typer.echo(
                f"Warning: {flag} on the command line is visible to other users of this "
                f"machine; prefer the prompt or {variable}.",
                err=True,
            )
        return value
    if sys.stdin.isatty():
        try:
            if not required:
                return str(
                    typer.prompt(
                        f"{label} (Enter for none)", default="", show_default=False, hide_input=True
                    )
                )
            return str(typer.prompt(label, hide_input=True))
        except typer.Abort:
            pass
    else:
        line = sys.stdin.readline().rstrip("\r\n")
        if line or not required:
            return line
    raise fail(f"{label} is required: set {variable}, pipe it on standard input, or type it")


def _read_key(key_file: Path) -> str:
    if not key_file.is_file():
        raise fail(f"the key file {key_file} does not exist")
    try:
        raw = key_file.read_bytes()
    except OSError as exc:
        raise fail(f"cannot read {key_file}: {exc.strerror or type(exc).__name__}") from None
    if len(raw) > MAX_KEY_BYTES or b"PRIVATE KEY" not in raw:
        raise fail(f"{key_file} is not a PEM private key (expected -----BEGIN ... PRIVATE KEY)")
    return raw.decode("ascii", errors="replace")


def _refuse_extras(method: str, **given: bool) -> None:
    allowed = {
        "jwt": {"--username", "--key-file", "--no-check"},
        "client-credentials": {"--client-secret", "--no-check"},
        "password": {"--username", "--password", "--client-secret", "--no-check"},
        "oauth": {"--client-secret", "--port", "--no-browser", "--timeout"},
    }[method]
    stray = sorted(flag for flag, present in given.items() if present and flag not in allowed)
    if stray:
        raise fail(f"{', '.join(stray)} does not apply to --method {method}")


def _check(spec: ConnectionSpec, hosts: HostPolicy) -> str:
    """Log in once; return the instance URL or end the command with why it failed."""
    try:
        with open_http() as http:
            token = check_login(spec, http, hosts)
    except TransientError as exc:
        raise fail(f"{exc.message}; nothing was stored (try again, or pass --no-check)") from None
    except RingsyncError as exc:
        raise fail(f"{describe(exc)}; nothing was stored") from None
    return token.instance_url


def _typed(ctx: typer.Context, name: str) -> bool:
    """Tell whether the option ``name`` was typed on the command line (not from a variable)."""
    source = ctx.get_parameter_source(name)
    return source is not None and source.name == "COMMANDLINE"


def _cipher(settings: Settings) -> TokenCipher:
    try:
        return cipher_for(settings)
    except ConfigError as exc:
        raise fail(describe(exc)) from None


def connect(
    ctx: typer.Context,
    account: Annotated[int, typer.Option("--account", help="The account's id.", min=1)],
    method: Annotated[
        str,
        typer.Option(help="jwt, client-credentials, password or oauth.", show_default=False),
    ],
    login_url: Annotated[
        str,
        typer.Option(help="https://login.salesforce.com, test.salesforce.com or the My Domain."),
    ],
    client_id: Annotated[str, typer.Option(help="The connected app's consumer key.")],
    username: Annotated[
        str | None, typer.Option(help="The Salesforce user (jwt, password).")
    ] = None,
    key_file: Annotated[
        Path | None, typer.Option(help="PEM private key of the app's certificate (jwt).")
    ] = None,
    client_secret: Annotated[
        str | None,
        typer.Option(
            help="The consumer secret (client-credentials, password; optional for oauth).",
            envvar=CLIENT_SECRET_VARIABLE,
            show_envvar=True,
        ),
    ] = None,
    password: Annotated[
        str | None,
        typer.Option(
            help="The user's password plus security token (password).",
            envvar=PASSWORD_VARIABLE,
            show_envvar=True,
        ),
    ] = None,
    no_check: Annotated[
        bool, typer.Option("--no-check", help="Store without trying to log in.")
    ] = False,
    port: Annotated[
        int,
        typer.Option(help="Local port of the sign-in redirect (oauth; 0 = any free one).", min=0),
    ] = 0,
    no_browser: Annotated[
        bool, typer.Option("--no-browser", help="Only print the sign-in URL (oauth).")
    ] = False,
    timeout: Annotated[
        float, typer.Option(help="Seconds to wait for the sign-in (oauth).", min=0.1)
    ] = DEFAULT_WAIT_SECONDS,
) -> None:
    """Store an account's Salesforce connection (secrets encrypted) after one test login."""
    if method not in METHODS:
        raise fail(f"--method must be one of {', '.join(METHODS)}, got {method!r}")
    typed = {name: _typed(ctx, name) for name in ("client_secret", "password", "port", "timeout")}
    _refuse_extras(
        method,
        **{
            "--username": username is not None,
            "--key-file": key_file is not None,
            "--client-secret": typed["client_secret"],
            "--password": typed["password"],
            "--no-check": no_check,
            "--port": typed["port"],
            "--no-browser": no_browser,
            "--timeout": typed["timeout"],
        },
    )
    settings = settings_or_exit()
    hosts = HostPolicy.from_settings(settings)
    kind = METHODS[method]
    problems = target_problems(
        ConnectionSpec(kind, login_url.strip(), client_id.strip(), username), hosts
    )
    if problems:
        raise fail("; ".join(f"{p.field}: {p.reason}" for p in problems))
    cipher = _cipher(settings)
    if kind is ConnectionMethod.OAUTH:
        secret = _secret(
            client_secret,
            flag="--client-secret",
            variable=CLIENT_SECRET_VARIABLE,
            label="Consumer secret",
            given=typed["client_secret"],
            required=False,
        )
        sign_in = OAuthSignIn(
            account,
            login_url.strip(),
            client_id.strip(),
            secret or None,
            port,
            browser=not no_browser,
            wait_seconds=timeout,
        )
        run_oauth(sign_in, settings, hosts, cipher, open_http=open_http)
        return
    secrets: dict[str, str] = {}
    if kind is ConnectionMethod.JWT:
        if key_file is None:
            raise fail("--method jwt needs --key-file (the PEM private key)")
        secrets["private_key"] = _read_key(key_file)
    else:
        secrets["client_secret"] = _secret(
            client_secret,
            flag="--client-secret",
            variable=CLIENT_SECRET_VARIABLE,
            label="Consumer secret",
            given=typed["client_secret"],
        )
    if kind is ConnectionMethod.PASSWORD:
        secrets["password"] = _secret(
            password,
            flag="--password",
            variable=PASSWORD_VARIABLE,
            label="Salesforce password",
            given=typed["password"],
        )
    spec = ConnectionSpec(kind, login_url.strip(), client_id.strip(), username, secrets)
    problems = spec_problems(spec, hosts)
    if problems:
        raise fail("; ".join(f"{p.field}: {p.reason}" for p in problems))
    with open_store(settings, migrate=True) as database:
        try:
            with database.read() as session:
                get_account(session, account)
        except RingsyncError as exc:
            raise fail(describe(exc)) from None
        instance_url = None if no_check else _check(spec, hosts)
        state = ConnectionState.UNTESTED if no_check else ConnectionState.CONNECTED
        try:
            with database.write() as session:
                save_connection(
                    session, account, spec, cipher, state=state, instance_url=instance_url
                )
        except RingsyncError as exc:
            raise fail(describe(exc)) from None
        except SQLAlchemyError as exc:
            raise fail(f"cannot store the connection: {type(exc).__name__}") from None
    where = f" to {instance_url}" if instance_url else " (not tested)"
    typer.echo(f"Connected account {account}{where} with {method}; secrets stored encrypted.")


__all__ = ["connect", "open_http"]
