"""The ``sfemu`` command line: help, bad input (exit code 2), and a real serve smoke test."""

from __future__ import annotations

import queue
import signal
import ssl
import subprocess
import sys
import threading
from pathlib import Path
from typing import IO

import httpx2
import pytest
from typer.testing import CliRunner

from sfemu.cli import CliInputError, EmulatorOptions, build_emulator, cli, parse_custom_field

SFEMU = str(Path(sys.executable).with_name("sfemu"))


def test_help_lists_serve() -> None:
    result = CliRunner().invoke(cli, ["--help"])
    assert result.exit_code == 0
    assert "serve" in result.output


def test_serve_help_lists_options() -> None:
    result = CliRunner().invoke(cli, ["serve", "--help"])
    assert result.exit_code == 0
    for option in ("--port", "--tls", "--leads", "--daily-api-limit", "--fault", "--custom-field"):
        assert option in result.output


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["serve", "--port", "abc"], "--port"),
        (["serve", "--port", "70000"], "--port"),
        (["serve", "--leads", "-5"], "--leads"),
        (["serve", "--port", "0", "--fault", "bogus"], "unknown fault kind 'bogus'"),
        (["serve", "--port", "0", "--fault", "http_500,count=x"], "count must be an integer"),
        (["serve", "--port", "0", "--custom-field", "LeadNoType"], "SOBJECT.NAME:TYPE"),
        (["serve", "--port", "0", "--custom-field", "Nope.F__c:string"], "Nope.F__c"),
        (["serve", "--port", "0", "--custom-field", "Lead.F__c:hologram"], "Lead.F__c"),
        (["serve", "--host", "256.1.1.1", "--port", "0"], "cannot listen on 256.1.1.1"),
    ],
)
def test_bad_input_exits_2_with_one_clear_message(args: list[str], message: str) -> None:
    result = CliRunner().invoke(cli, args)
    assert result.exit_code == 2
    assert message in result.output
    assert "Traceback" not in result.output


def test_parse_custom_field() -> None:
    assert parse_custom_field("Lead.Notes__c:string,length=80") == (
        "Lead",
        "Notes__c",
        "string",
        {"length": 80},
    )
    with pytest.raises(CliInputError, match="key=value"):
        parse_custom_field("Lead.Notes__c:string,length")


def test_build_emulator_applies_options() -> None:
    app = build_emulator(
        EmulatorOptions(
            port=0,
            leads=4,
            contacts=2,
            users=1,
            seed=3,
            daily_api_limit=50,
            session_seconds=30,
            faults=("http_503,endpoint=query,count=1",),
            custom_fields=("Lead.Last_Call__c:datetime",),
        )
    )
    state = app.state.sfemu
    assert state.org.daily_api_limit == 50
    assert state.config.session_seconds == 30
    assert [r["kind"] for r in state.faults.describe()] == ["http_503"]
    assert state.org.sobject("Lead").field("Last_Call__c") is not None
    assert sum(1 for _ in state.org.iter_records("Lead")) == 4


def _lines(stream: IO[str]) -> tuple[queue.Queue[str], threading.Thread]:
    lines: queue.Queue[str] = queue.Queue()

    def pump() -> None:
        for line in stream:
            lines.put(line)

    reader = threading.Thread(target=pump, daemon=True)
    reader.start()
    return lines, reader


def test_serve_smoke_over_tls(tmp_path: Path) -> None:
    process = subprocess.Popen(
        [SFEMU, "serve", "--port", "0", "--tls", "--cert-dir", str(tmp_path), "--leads", "3"],
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    assert process.stdout is not None
    lines, reader = _lines(process.stdout)
    try:
        printed: list[str] = []
        while not any(line.startswith("Press Ctrl-C") for line in printed):
            printed.append(lines.get(timeout=20))
        text = "".join(printed)
        base = printed[0].split()[-1]
        assert base.startswith("https://127.0.0.1:")
        assert "sfemu-client" in text
        assert "admin@sfemu.test" in text
        assert f"{base}/services/oauth2/token" in text
        ca_path = tmp_path / "sfemu-ca.pem"
        assert str(ca_path) in text
        verify = ssl.create_default_context(cafile=str(ca_path))
        versions = httpx2.get(f"{base}/services/data", verify=verify)
        assert versions.status_code == 200
        token = httpx2.post(
            f"{base}/services/oauth2/token",
            data={
                "grant_type": "password",
                "client_id": "sfemu-client",
                "client_secret": "sfemu-secret",
                "username": "admin@sfemu.test",
                "password": "sfemu",
            },
            verify=verify,
        ).json()["access_token"]
        query = httpx2.get(
            f"{base}/services/data/v59.0/query",
            params={"q": "SELECT Id FROM Lead"},
            headers={"Authorization": f"Bearer {token}"},
            verify=verify,
        )
        assert query.json()["totalSize"] == 3
        process.send_signal(signal.SIGINT)
        assert process.wait(timeout=15) == 0
    finally:
        if process.poll() is None:
            process.kill()
            process.wait(timeout=5)
        reader.join(timeout=5)
        if process.stdout is not None:
            process.stdout.close()
