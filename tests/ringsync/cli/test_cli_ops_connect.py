"""``ringsync connect``: each flow against sfemu in process, secrets encrypted, bad input."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from sqlalchemy import select
from starlette.testclient import TestClient

from ringsync.commands import connect as connect_commands
from ringsync.domain.connections import authenticator_for, get_connection, load_spec
from ringsync.salesforce.hosts import HostPolicy
from ringsync.salesforce.tokens import TokenCipher
from ringsync.store.connections import salesforce_connections
from ringsync.store.db import Database

SFEMU = "https://sfemu.test"
CLIENT_SECRET = "sfemu-secret"  # sfemu's published demo secret
PASSWORD = "sfemu"  # sfemu's published demo password
ADMIN = "admin@sfemu.test"


@pytest.fixture
def sf_app() -> Any:
    from sfemu.app import create_emulator_app
    from sfemu.org import Org

    return create_emulator_app(Org())


@pytest.fixture
def token_posts(sf_app: Any, monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """Route the command's HTTP client to sfemu; record the grant of every token POST."""
    seen: list[str] = []

    def hook(request: Any) -> None:
        if request.url.path == "/services/oauth2/token":
            seen.append(request.content.decode())

    def open_http() -> TestClient:
        client = TestClient(sf_app, base_url=SFEMU)
        client.event_hooks["request"].append(hook)
        return client

    monkeypatch.setattr(connect_commands, "open_http", open_http)
    return seen


def _password_args(account_id: int, *extra: str) -> list[str]:
    return [
        "connect",
        "--account",
        str(account_id),
        "--method",
        "password",
        "--login-url",
        SFEMU,
        "--client-id",
        "sfemu-client",
        "--username",
        ADMIN,
        *extra,
    ]


def _stored_blob(database: Database, account_id: int) -> str:
    with database.read() as session:
        t = salesforce_connections
        return str(
            session.execute(
                select(t.c.credentials).where(t.c.account_id == account_id)
            ).scalar_one()
        )


def test_password_flow_logs_in_once_and_stores_the_secrets_encrypted(
    invoke: Any,
    account_id: int,
    database: Database,
    token_posts: list[str],
    cli_env: dict[str, str],
) -> None:
    result = invoke(
        *_password_args(account_id),
        env={"RINGSYNC_SF_CLIENT_SECRET": CLIENT_SECRET},
        stdin=f"{PASSWORD}\n",
    )
    assert result.exit_code == 0, result.output
    assert result.stdout == (
        f"Connected account {account_id} to {SFEMU} with password; secrets stored encrypted.\n"
    )
    assert result.stderr == ""
    assert len(token_posts) == 1
    assert "grant_type=password" in token_posts[0]

    blob = _stored_blob(database, account_id)
    assert CLIENT_SECRET not in blob
    assert PASSWORD not in blob
    cipher = TokenCipher([cli_env["RINGSYNC_ENCRYPTION_KEYS"]])
    with database.read() as session:
        view = get_connection(session, account_id)
        spec = load_spec(session, account_id, cipher)
    assert view is not None
    assert (view.method, view.state, view.instance_url) == ("password", "connected", SFEMU)
    assert dict(spec.secrets) == {"client_secret": CLIENT_SECRET, "password": PASSWORD}
    assert "secrets" not in repr(spec)


def test_a_stored_connection_rebuilds_a_working_authenticator(
    invoke: Any, account_id: int, database: Database, sf_app: Any, cli_env: dict[str, str]
) -> None:
    result = invoke(
        *_password_args(account_id, "--no-check"),
        env={"RINGSYNC_SF_CLIENT_SECRET": CLIENT_SECRET, "RINGSYNC_SF_PASSWORD": PASSWORD},
    )
    assert result.exit_code == 0, result.output
    assert "(not tested)" in result.stdout
    cipher = TokenCipher([cli_env["RINGSYNC_ENCRYPTION_KEYS"]])
    with database.read() as session:
        assert get_connection(session, account_id).state == "untested"  # type: ignore[union-attr]
        spec = load_spec(session, account_id, cipher)
    with TestClient(sf_app, base_url=SFEMU) as http:
        token = authenticator_for(spec, http, HostPolicy(["sfemu.test"])).current_token()
    assert token.instance_url == SFEMU


def test_jwt_flow_with_a_key_file(
    invoke: Any, account_id: int, sf_app: Any, token_posts: list[str], tmp_path: Path
) -> None:
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    public = key.public_key().public_bytes(
        serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
    )
    pem = tmp_path / "app.key"
    pem.write_bytes(
        key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
    )
    with TestClient(sf_app, base_url=SFEMU) as admin:
        answer = admin.post(
            "/__sfemu/apps",
            json={"client_id": "jwt-app", "client_secret": "s", "jwt_public_key": public.decode()},
        )
    assert answer.status_code == 201
    result = invoke(
        "connect",
        "--account",
        str(account_id),
        "--method",
        "jwt",
        "--login-url",
        SFEMU,
        "--client-id",
        "jwt-app",
        "--username",
        ADMIN,
        "--key-file",
        str(pem),
    )
    assert result.exit_code == 0, result.output
    assert "jwt-bearer" in token_posts[0]


def test_client_credentials_flow_with_the_secret_on_stdin(
    invoke: Any, account_id: int, sf_app: Any, token_posts: list[str]
) -> None:
    with TestClient(sf_app, base_url=SFEMU) as admin:
        answer = admin.post(
            "/__sfemu/apps",
            json={"client_id": "cc-app", "client_secret": "cc-secret", "run_as_username": ADMIN},
        )
    assert answer.status_code == 201
    result = invoke(
        "connect",
        "--account",
        str(account_id),
        "--method",
        "client-credentials",
        "--login-url",
        SFEMU,
        "--client-id",
        "cc-app",
        stdin="cc-secret\n",
    )
    assert result.exit_code == 0, result.output
    assert "grant_type=client_credentials" in token_posts[0]


def test_a_refused_login_stores_nothing_and_says_why(
    invoke: Any, account_id: int, database: Database, token_posts: list[str]
) -> None:
    result = invoke(
        *_password_args(account_id),
        env={"RINGSYNC_SF_CLIENT_SECRET": CLIENT_SECRET, "RINGSYNC_SF_PASSWORD": "wrong-pass"},
    )
    assert result.exit_code == 2
    assert "Salesforce refused the password grant: invalid_grant" in result.stderr
    assert result.stderr.rstrip().endswith("nothing was stored")
    assert "wrong-pass" not in result.output
    assert "Traceback" not in result.output
    with database.read() as session:
        assert get_connection(session, account_id) is None


def test_a_secret_typed_on_the_command_line_is_warned_about(
    invoke: Any, account_id: int, token_posts: list[str]
) -> None:
    result = invoke(
        *_password_args(account_id, "--client-secret", CLIENT_SECRET, "--password", PASSWORD)
    )
    assert result.exit_code == 0, result.output
    assert "--client-secret on the command line is visible to other users" in result.stderr
    assert "--password on the command line is visible to other users" in result.stderr


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (
            ["--method", "saml", "--login-url", SFEMU, "--client-id", "x"],
            "--method must be one of jwt, client-credentials, password, oauth, got 'saml'",
        ),
        (
            ["--method", "jwt", "--login-url", SFEMU, "--client-id", "x", "--username", ADMIN],
            "--method jwt needs --key-file",
        ),
        (
            [
                "--method",
                "client-credentials",
                "--login-url",
                SFEMU,
                "--client-id",
                "x",
                "--username",
                ADMIN,
            ],
            "--username does not apply to --method client-credentials",
        ),
        (
            [
                "--method",
                "password",
                "--login-url",
                SFEMU,
                "--client-id",
                "x",
                "--username",
                ADMIN,
                "--key-file",
                "k.pem",
            ],
            "--key-file does not apply to --method password",
        ),
        (
            [
                "--method",
                "client-credentials",
                "--login-url",
                "https://login.salesforce.com",
                "--client-id",
                "x",
            ],
            "must use the org's My Domain URL (https://<domain>.my.salesforce.com), "
            "not login.salesforce.com",
        ),
        (
            [
                "--method",
                "password",
                "--login-url",
                "http://sfemu.test",
                "--client-id",
                "x",
                "--username",
                ADMIN,
            ],
            "login_url: The Salesforce login URL must be an https URL",
        ),
        (
            [
                "--method",
                "password",
                "--login-url",
                "https://evil.example",
                "--client-id",
                "x",
                "--username",
                ADMIN,
            ],
            "evil.example is not an allowed Salesforce host",
        ),
        (
            ["--method", "password", "--login-url", SFEMU, "--client-id", " "],
            "client_id: the connected app's client id is required; username: password needs "
            "username",
        ),
    ],
)
def test_bad_input_is_one_clear_error_before_any_login(
    invoke: Any,
    account_id: int,
    token_posts: list[str],
    args: list[str],
    message: str,
) -> None:
    result = invoke("connect", "--account", str(account_id), *args)
    assert result.exit_code == 2
    assert message in result.stderr
    assert "Traceback" not in result.output
    assert token_posts == []


def test_a_missing_secret_on_a_pipe_is_one_clear_error(
    invoke: Any, account_id: int, token_posts: list[str]
) -> None:
    result = invoke(*_password_args(account_id), stdin="")
    assert result.exit_code == 2
    assert "Consumer secret is required: set RINGSYNC_SF_CLIENT_SECRET" in result.stderr
    assert token_posts == []


def test_a_key_file_that_is_not_a_key_is_refused(
    invoke: Any, account_id: int, token_posts: list[str], tmp_path: Path
) -> None:
    not_key = tmp_path / "notes.txt"
    not_key.write_text("hello")
    base = [
        "connect",
        "--account",
        str(account_id),
        "--method",
        "jwt",
        "--login-url",
        SFEMU,
        "--client-id",
        "x",
        "--username",
        ADMIN,
        "--key-file",
    ]
    result = invoke(*base, str(not_key))
    assert result.exit_code == 2
    assert "is not a PEM private key" in result.stderr
    garbled = tmp_path / "garbled.pem"
    garbled.write_text("-----BEGIN PRIVATE KEY-----\nnot base64\n-----END PRIVATE KEY-----\n")
    result = invoke(*base, str(garbled))
    assert result.exit_code == 2
    assert "The JWT private key is not a valid RSA private key" in result.stderr
    assert token_posts == []


def test_an_unknown_account_is_refused_before_logging_in(
    invoke: Any, account_id: int, token_posts: list[str]
) -> None:
    result = invoke(
        *_password_args(account_id + 1),
        env={"RINGSYNC_SF_CLIENT_SECRET": CLIENT_SECRET, "RINGSYNC_SF_PASSWORD": PASSWORD},
    )
    assert result.exit_code == 2
    assert result.stderr.strip() == f"Error: account {account_id + 1} does not exist"
    assert token_posts == []


def test_without_encryption_keys_outside_demo_nothing_is_asked_or_stored(
    invoke: Any, account_id: int, database: Database, token_posts: list[str]
) -> None:
    result = invoke(
        *_password_args(account_id),
        env={"RINGSYNC_ENCRYPTION_KEYS": "", "RINGSYNC_SF_CLIENT_SECRET": CLIENT_SECRET},
    )
    assert result.exit_code == 2
    assert result.stderr.strip() == (
        "Error: RINGSYNC_ENCRYPTION_KEYS must be set to encrypt Salesforce credentials "
        "(only demo mode, RINGSYNC_DEMO=true, runs without them)"
    )
    assert token_posts == []
    with database.read() as session:
        assert get_connection(session, account_id) is None


def test_demo_mode_keeps_a_generated_key_in_the_data_folder(
    invoke: Any, account_id: int, database: Database, cli_env: dict[str, str]
) -> None:
    env = {
        "RINGSYNC_ENCRYPTION_KEYS": "",
        "RINGSYNC_DEMO": "true",
        "RINGSYNC_SF_CLIENT_SECRET": CLIENT_SECRET,
        "RINGSYNC_SF_PASSWORD": PASSWORD,
    }
    first = invoke(*_password_args(account_id, "--no-check"), env=env)
    assert first.exit_code == 0, first.output
    key_file = Path(cli_env["RINGSYNC_DATA_DIR"]) / "demo-encryption.key"
    assert key_file.stat().st_mode & 0o777 == 0o600
    second = invoke(*_password_args(account_id, "--no-check"), env=env)
    assert second.exit_code == 0, second.output
    with database.read() as session:
        spec = load_spec(session, account_id, TokenCipher([key_file.read_text()]))
    assert spec.secrets["password"] == PASSWORD


def test_a_bad_encryption_key_is_one_clear_error(invoke: Any, account_id: int) -> None:
    result = invoke(
        *_password_args(account_id, "--no-check"),
        env={"RINGSYNC_ENCRYPTION_KEYS": "not-a-fernet-key"},
    )
    assert result.exit_code == 2
    assert "Encryption key number 1 in RINGSYNC_ENCRYPTION_KEYS is not a valid Fernet key" in (
        result.stderr
    )
