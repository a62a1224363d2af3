"""The ``sfemu`` command line: run a local Salesforce API emulator with one command."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer
import uvicorn

from sfemu.faults import FaultSpecError, parse_fault_spec
from sfemu.oauth import DEFAULT_CLIENT_ID, DEFAULT_CLIENT_SECRET
from sfemu.state import EmulatorConfig

if TYPE_CHECKING:
    from sfemu.app import EmulatorApp

DEFAULT_PORT = 8765
ADMIN_USERNAME = "admin@sfemu.test"
ADMIN_PASSWORD = "sfemu"  # noqa: S105 -- the emulator's documented demo password


class CliInputError(ValueError):
    """Bad command-line input; the message is shown as is and the exit code is 2."""


@dataclass
class EmulatorOptions:
    """Everything ``sfemu serve`` (and ``ringsync emulator``) can set."""

    host: str = "127.0.0.1"
    port: int = DEFAULT_PORT
    tls: bool = False
    cert_dir: Path | None = None
    leads: int = 0
    contacts: int = 0
    users: int = 0
    seed: int = 0
    daily_api_limit: int | None = None
    session_seconds: int | None = None
    faults: Sequence[str] = field(default_factory=tuple)
    custom_fields: Sequence[str] = field(default_factory=tuple)


def parse_custom_field(text: str) -> tuple[str, str, str, dict[str, Any]]:
    """Parse ``SOBJECT.NAME:TYPE[,key=value...]``, e.g. ``Lead.Last_Call__c:datetime``."""
    head, _, rest = text.partition(",")
    target, sep, type_ = head.partition(":")
    sobject, dot, name = target.partition(".")
    if not (sep and dot and sobject and name and type_):
        raise CliInputError(
            f"bad --custom-field {text!r}; expected SOBJECT.NAME:TYPE[,key=value...], "
            "e.g. Lead.Last_Call__c:datetime or Lead.Notes__c:string,length=80"
        )
    attrs: dict[str, Any] = {}
    for part in filter(None, (p.strip() for p in rest.split(","))):
        key, eq, value = part.partition("=")
        if not eq or not key:
            raise CliInputError(f"bad --custom-field option {part!r}; expected key=value")
        attrs[key.strip()] = int(value) if value.strip().isdigit() else value.strip()
    return sobject, name, type_, attrs


def build_emulator(options: EmulatorOptions) -> EmulatorApp:
    """Create the seeded org and the emulator app, or raise CliInputError."""
    from sfemu.app import create_emulator_app
    from sfemu.errors import SalesforceError
    from sfemu.org import Org

    for name in ("leads", "contacts", "users"):
        if getattr(options, name) < 0:
            raise CliInputError(f"--{name} must be >= 0")
    if options.daily_api_limit is not None and options.daily_api_limit < 1:
        raise CliInputError("--daily-api-limit must be >= 1")
    if options.session_seconds is not None and options.session_seconds < 1:
        raise CliInputError("--session-seconds must be >= 1")
    fault_specs = []
    for text in options.faults:
        try:
            fault_specs.append(parse_fault_spec(text))
        except FaultSpecError as exc:
            raise CliInputError(f"bad --fault {text!r}: {exc}") from exc
    field_specs = [parse_custom_field(text) for text in options.custom_fields]

    org = Org()
    if options.daily_api_limit is not None:
        org.daily_api_limit = options.daily_api_limit
    for sobject, name, type_, attrs in field_specs:
        try:
            org.add_custom_field(sobject, name, type_, **attrs)
        except (SalesforceError, ValueError, TypeError) as exc:
            raise CliInputError(f"bad --custom-field {sobject}.{name}: {exc}") from exc
    if options.leads or options.contacts or options.users:
        from sfemu.seed import seed_org

        seed_org(
            org,
            leads=options.leads,
            contacts=options.contacts,
            users=options.users,
            seed=options.seed,
        )
    config = EmulatorConfig()
    if options.session_seconds is not None:
        config.session_seconds = options.session_seconds
    app = create_emulator_app(org, config=config)
    for spec in fault_specs:
        try:
            app.state.sfemu.faults.add(spec)
        except FaultSpecError as exc:
            raise CliInputError(f"bad --fault: {exc}") from exc
    return app


def serve_forever(options: EmulatorOptions, echo: Callable[[str], Any] = typer.echo) -> None:
    """Build the emulator, print how to reach it, and serve until interrupted (Ctrl-C).

    Raises CliInputError for bad options or an address that cannot be bound.
    """
    from sfemu.server import EmbeddedServer, bind_socket, url_host
    from sfemu.tls import make_certificates

    app = build_emulator(options)
    try:
        sock = bind_socket(options.host, options.port)
    except (OSError, OverflowError) as exc:
        raise CliInputError(f"cannot listen on {options.host}:{options.port}: {exc}") from exc
    sock.listen(2048)  # accept (queue) connections from the moment the URL is printed
    port = sock.getsockname()[1]
    certificates = make_certificates(options.cert_dir) if options.tls else None
    scheme = "https" if certificates else "http"
    base = f"{scheme}://{url_host(options.host)}:{port}"
    echo(f"sfemu listening on {base}")
    echo(f"  token endpoint: {base}/services/oauth2/token")
    echo(f"  client id:      {DEFAULT_CLIENT_ID}")
    echo(f"  client secret:  {DEFAULT_CLIENT_SECRET}")
    echo(f"  username:       {ADMIN_USERNAME}")
    echo(f"  password:       {ADMIN_PASSWORD}")
    echo(f"  admin API:      {base}/__sfemu/stats")
    if certificates:
        echo(f"  trust this CA:  {certificates.ca_path}")
    if options.host not in ("127.0.0.1", "localhost", "::1"):
        echo(
            f"  warning: listening on {options.host}; the /__sfemu admin API has no "
            "authentication, so anyone who can reach this port can change the emulator"
        )
    echo("Press Ctrl-C to stop.")
    config = uvicorn.Config(
        app,
        host=options.host,
        port=port,
        log_level="warning",
        access_log=False,
        lifespan="off",
        ssl_certfile=str(certificates.cert_path) if certificates else None,
        ssl_keyfile=str(certificates.key_path) if certificates else None,
    )
    try:
        EmbeddedServer(config).run(sockets=[sock])
    finally:
        sock.close()


cli = typer.Typer(
    name="sfemu",
    help="A faithful local emulator of the Salesforce REST, OAuth and Bulk 2.0 APIs.",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
    add_completion=False,
)


@cli.callback()
def _root() -> None:
    """Run a local Salesforce API emulator."""


@cli.command()
def serve(
    host: Annotated[str, typer.Option(help="Interface to listen on.")] = "127.0.0.1",
    port: Annotated[int, typer.Option(help="Port (0 picks a free one).", min=0, max=65535)] = (
        DEFAULT_PORT
    ),
    tls: Annotated[bool, typer.Option("--tls", help="Serve HTTPS with a fresh test CA.")] = False,
    cert_dir: Annotated[
        Path | None, typer.Option(help="Where to write the CA and certificate (with --tls).")
    ] = None,
    leads: Annotated[int, typer.Option(help="Seed this many leads.", min=0)] = 0,
    contacts: Annotated[int, typer.Option(help="Seed this many contacts.", min=0)] = 0,
    users: Annotated[int, typer.Option(help="Seed this many users besides the admin.", min=0)] = 0,
    seed: Annotated[int, typer.Option(help="Random seed for the seeded data.")] = 0,
    daily_api_limit: Annotated[
        int | None, typer.Option(help="Daily API request limit.", min=1)
    ] = None,
    session_seconds: Annotated[
        int | None, typer.Option(help="Access token inactivity timeout.", min=1)
    ] = None,
    fault: Annotated[
        list[str] | None,
        typer.Option(help="Fault rule KIND[,key=value...], e.g. http_503,endpoint=query,count=2."),
    ] = None,
    custom_field: Annotated[
        list[str] | None,
        typer.Option(help="Custom field SOBJECT.NAME:TYPE[,key=value...]."),
    ] = None,
) -> None:
    """Serve the emulator until Ctrl-C, printing its URL and credentials."""
    options = EmulatorOptions(
        host=host,
        port=port,
        tls=tls,
        cert_dir=cert_dir,
        leads=leads,
        contacts=contacts,
        users=users,
        seed=seed,
        daily_api_limit=daily_api_limit,
        session_seconds=session_seconds,
        faults=tuple(fault or ()),
        custom_fields=tuple(custom_field or ()),
    )
    try:
        serve_forever(options)
    except CliInputError as exc:
        typer.echo(f"Error: {exc}", err=True)
        raise typer.Exit(2) from None
    except KeyboardInterrupt:
        typer.echo("sfemu stopped.")


def main() -> None:
    """Run the ``sfemu`` command line."""
    cli()
