"""``ringsync connect --method oauth``: a browser sign-in against sfemu on a real TLS socket.

A fake browser stands in for the user: the command hands it the authorize URL, and it follows
sfemu's authorize page (which approves at once) back to the command's local listener, or
brings back a forged state or a refusal instead.
"""

from __future__ import annotations

import socket
import ssl
import threading
import webbrowser
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import parse_qs, urlencode, urlsplit

import httpx2
import pytest
from sqlalchemy import select

from ringsync.commands import connect as connect_commands
from ringsync.commands import connect_oauth
from ringsync.domain.connections import authenticator_for, get_connection, load_spec
from ringsync.salesforce.hosts import HostPolicy
from ringsync.salesforce.tokens import TokenCipher
from ringsync.store.connections import salesforce_connections
from ringsync.store.db import Database

CLIENT_ID = "sfemu-client"
CLIENT_SECRET = "sfemu-secret"  # sfemu's published demo secret


@dataclass
class Emulator:
    """sfemu on a TLS socket and a context that trusts its certificate."""

    base_url: str
    host: str
    tls: ssl.SSLContext
    org: Any


@pytest.fixture
def emulator(tmp_path: Any, request: pytest.FixtureRequest) -> Iterator[Emulator]:
    """Serve a fresh org over TLS; ``indirect`` params set the emulator's config."""
    from sfemu.app import create_emulator_app
    from sfemu.org import Org
    from sfemu.server import start_server
    from sfemu.state import EmulatorConfig

    org = Org()
    app = create_emulator_app(org, config=EmulatorConfig(**getattr(request, "param", {})))
    server = start_server(app, tls=True, cert_dir=tmp_path / "tls")
    assert server.ca_path is not None
    context = ssl.create_default_context(cafile=str(server.ca_path))
    yield Emulator(server.base_url, f"127.0.0.1:{server.port}", context, org)
    server.stop()


@pytest.fixture
def oauth_env(emulator: Emulator, monkeypatch: pytest.MonkeyPatch) -> dict[str, str]:
    """Allow only the emulator's host, and make the command's HTTP client trust its CA."""
    monkeypatch.setattr(
        connect_commands, "open_http", lambda: httpx2.Client(verify=emulator.tls, timeout=10.0)
    )
    return {"RINGSYNC_SALESFORCE_ALLOWED_HOSTS": emulator.host}


@dataclass
class FakeBrowser:
    """Record the URL the command opens; visit it from another thread as a browser would."""

    visit: Callable[[str], list[httpx2.Response]]
    opened: list[str] = field(default_factory=list)
    responses: list[httpx2.Response] = field(default_factory=list)
    errors: list[BaseException] = field(default_factory=list)
    thread: threading.Thread | None = None

    def open(self, url: str) -> bool:
        """Start the visit in the background and report a browser was opened."""
        self.opened.append(url)
        self.thread = threading.Thread(target=self._run, args=(url,), daemon=True)
        self.thread.start()
        return True

    def _run(self, url: str) -> None:
        try:
            self.responses.extend(self.visit(url))
        except Exception as exc:  # raised again by finish(), in the test's thread
            self.errors.append(exc)

    def finish(self) -> list[httpx2.Response]:
        """Wait for the visit and return its responses (raise what it raised)."""
        if self.thread is not None:
            self.thread.join(10)
        if self.errors:
            raise self.errors[0]
        return self.responses


def _query(url: str) -> dict[str, str]:
    return {k: v[0] for k, v in parse_qs(urlsplit(url).query).items()}


@pytest.fixture
def browser(monkeypatch: pytest.MonkeyPatch) -> Callable[..., FakeBrowser]:
    """Return a factory installing a fake browser that approves, forges or denies."""

    def install(behaviour: str, tls: ssl.SSLContext | None = None) -> FakeBrowser:
        def visit(url: str) -> list[httpx2.Response]:
            query = _query(url)
            callback = query["redirect_uri"]
            with httpx2.Client(verify=tls or True, timeout=10.0) as http:
                stray = http.get(callback.replace("/callback", "/favicon.ico"))
                if behaviour == "approve":
                    return [stray, http.get(url, follow_redirects=True)]
                if behaviour == "forge":
                    params = {"code": "stolen", "state": "not-the-state"}
                else:
                    params = {
                        "error": "access_denied",
                        "error_description": "end-user denied authorization",
                        "state": query["state"],
                    }
                return [stray, http.get(f"{callback}?{urlencode(params)}")]

        fake = FakeBrowser(visit)
        monkeypatch.setattr(connect_oauth, "open_browser", fake.open)
        return fake

    return install


def _args(account_id: int, login_url: str, *extra: str) -> list[str]:
    return [
        "connect",
        "--account",
        str(account_id),
        "--method",
        "oauth",
        "--login-url",
        login_url,
        "--client-id",
        CLIENT_ID,
        *extra,
    ]


def _stored_blob(database: Database, account_id: int) -> str:
    t = salesforce_connections
    with database.read() as session:
        return str(
            session.execute(
                select(t.c.credentials).where(t.c.account_id == account_id)
            ).scalar_one()
        )


def _nothing_stored(database: Database, account_id: int) -> bool:
    with database.read() as session:
        return get_connection(session, account_id) is None


def test_signing_in_through_the_browser_stores_the_refresh_token_encrypted(
    invoke: Any,
    account_id: int,
    database: Database,
    emulator: Emulator,
    oauth_env: dict[str, str],
    cli_env: dict[str, str],
    browser: Callable[..., FakeBrowser],
) -> None:
    fake = browser("approve", emulator.tls)
    result = invoke(
        *_args(account_id, emulator.base_url),
        env={**oauth_env, "RINGSYNC_SF_CLIENT_SECRET": CLIENT_SECRET},
    )
    stray, landing = fake.finish()
    assert result.exit_code == 0, result.output
    assert result.stderr == ""

    (url,) = fake.opened
    assert url.startswith(f"{emulator.base_url}/services/oauth2/authorize?")
    query = _query(url)
    assert query["code_challenge_method"] == "S256"
    assert len(query["code_challenge"]) == 43
    assert len(query["state"]) >= 32
    assert urlsplit(query["redirect_uri"]).hostname == "127.0.0.1"
    assert urlsplit(query["redirect_uri"]).path == "/callback"
    assert stray.status_code == 404
    assert landing.status_code == 200
    assert "go back to the terminal" in landing.text
    assert landing.headers["referrer-policy"] == "no-referrer"

    lines = result.stdout.splitlines()
    assert lines[1] == url
    assert lines[-1] == (
        f"Connected account {account_id} to {emulator.base_url} (org {emulator.org.org_id[:18]}) "
        "with oauth; refresh token stored encrypted."
    )

    cipher = TokenCipher([cli_env["RINGSYNC_ENCRYPTION_KEYS"]])
    with database.read() as session:
        view = get_connection(session, account_id)
        spec = load_spec(session, account_id, cipher)
    assert view is not None
    assert (view.method, view.state, view.instance_url, view.login_url) == (
        "oauth",
        "connected",
        emulator.base_url,
        emulator.base_url,
    )
    assert set(spec.secrets) == {"refresh_token", "client_secret", "org_id", "user_id"}
    assert spec.secrets["client_secret"] == CLIENT_SECRET
    assert spec.secrets["org_id"] == emulator.org.org_id[:18]
    blob = _stored_blob(database, account_id)
    assert spec.secrets["refresh_token"] not in blob
    assert CLIENT_SECRET not in blob
    assert spec.secrets["refresh_token"] not in result.output

    rotated: list[str] = []
    with httpx2.Client(verify=emulator.tls, timeout=10.0) as http:
        auth = authenticator_for(spec, http, HostPolicy([emulator.host]), token_sink=rotated.append)
        assert auth.current_token().instance_url == emulator.base_url


def test_a_public_client_signs_in_with_pkce_alone(
    invoke: Any,
    account_id: int,
    database: Database,
    emulator: Emulator,
    oauth_env: dict[str, str],
    cli_env: dict[str, str],
    browser: Callable[..., FakeBrowser],
) -> None:
    fake = browser("approve", emulator.tls)
    result = invoke(*_args(account_id, emulator.base_url, "--port", "0"), env=oauth_env)
    fake.finish()
    assert result.exit_code == 0, result.output
    with database.read() as session:
        spec = load_spec(session, account_id, TokenCipher([cli_env["RINGSYNC_ENCRYPTION_KEYS"]]))
    assert set(spec.secrets) == {"refresh_token", "org_id", "user_id"}


def test_a_forged_state_stores_nothing(
    invoke: Any,
    account_id: int,
    database: Database,
    emulator: Emulator,
    oauth_env: dict[str, str],
    browser: Callable[..., FakeBrowser],
) -> None:
    fake = browser("forge")
    result = invoke(*_args(account_id, emulator.base_url), env=oauth_env)
    fake.finish()
    assert result.exit_code == 2
    assert result.stderr == (
        "Error: the sign-in came back with a state this command did not send (an old or a "
        "foreign sign-in); nothing was stored\n"
    )
    assert "stolen" not in result.output
    assert _nothing_stored(database, account_id)


def test_a_denied_sign_in_stores_nothing(
    invoke: Any,
    account_id: int,
    database: Database,
    emulator: Emulator,
    oauth_env: dict[str, str],
    browser: Callable[..., FakeBrowser],
) -> None:
    fake = browser("deny")
    result = invoke(*_args(account_id, emulator.base_url), env=oauth_env)
    (_stray, landing) = fake.finish()
    assert landing.status_code == 200
    assert result.exit_code == 2
    assert result.stderr == (
        "Error: Salesforce did not grant access (access_denied); nothing was stored\n"
    )
    assert _nothing_stored(database, account_id)


@pytest.mark.parametrize("emulator", [{"public_base_url": "https://evil.example"}], indirect=True)
def test_an_instance_url_outside_the_allowed_hosts_stores_nothing(
    invoke: Any,
    account_id: int,
    database: Database,
    emulator: Emulator,
    oauth_env: dict[str, str],
    browser: Callable[..., FakeBrowser],
) -> None:
    fake = browser("approve", emulator.tls)
    result = invoke(*_args(account_id, emulator.base_url), env=oauth_env)
    fake.finish()
    assert result.exit_code == 2
    assert result.stderr.startswith("Error: The instance URL evil.example is not an allowed")
    assert result.stderr.endswith("; nothing was stored\n")
    assert len(result.stderr.splitlines()) == 1
    assert _nothing_stored(database, account_id)


def test_no_sign_in_before_the_timeout_stores_nothing(
    invoke: Any, account_id: int, database: Database, browser: Callable[..., FakeBrowser]
) -> None:
    fake = browser("approve")
    result = invoke(
        *_args(account_id, "https://sfemu.test", "--no-browser", "--timeout", "0.2"),
    )
    assert fake.opened == []
    assert result.exit_code == 2
    lines = result.stdout.splitlines()
    assert lines[0].startswith("Sign in to Salesforce in a browser (waiting up to 0.2 s")
    assert lines[1].startswith("https://sfemu.test/services/oauth2/authorize?response_type=code")
    assert _query(lines[1])["code_challenge_method"] == "S256"
    assert result.stderr == (
        "Error: no sign-in came back within 0.2 s; nothing was stored "
        "(run the command again, or raise --timeout)\n"
    )
    assert _nothing_stored(database, account_id)


def test_a_busy_port_is_one_clear_line(invoke: Any, account_id: int) -> None:
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        result = invoke(
            *_args(account_id, "https://sfemu.test", "--port", str(port), "--no-browser")
        )
    assert result.exit_code == 2
    assert result.stderr.startswith(f"Error: cannot listen on 127.0.0.1:{port} for the sign-in")
    assert result.stdout == ""


def test_no_browser_is_not_an_error(monkeypatch: pytest.MonkeyPatch) -> None:
    def refuse(_url: str) -> bool:
        raise webbrowser.Error("could not locate runnable browser")

    monkeypatch.setattr(webbrowser, "open", refuse)
    assert connect_oauth.open_browser("https://sfemu.test/") is False


@pytest.mark.parametrize(
    ("extra", "message"),
    [
        (["--no-check"], "--no-check does not apply to --method oauth"),
        (["--account", "999"], "account 999 does not exist"),
    ],
)
def test_bad_oauth_input_is_refused_before_listening(
    invoke: Any, account_id: int, extra: list[str], message: str
) -> None:
    result = invoke(*_args(account_id, "https://sfemu.test", "--no-browser", *extra))
    assert result.exit_code == 2
    assert message in result.stderr
    assert result.stdout == ""


def test_oauth_options_do_not_apply_to_other_methods(invoke: Any, account_id: int) -> None:
    result = invoke(
        "connect",
        "--account",
        str(account_id),
        "--method",
        "client-credentials",
        "--login-url",
        "https://acme.my.salesforce.com",
        "--client-id",
        CLIENT_ID,
        "--port",
        "8765",
        "--no-browser",
    )
    assert result.exit_code == 2
    assert result.stderr == (
        "Error: --no-browser, --port does not apply to --method client-credentials\n"
    )
