import re
import subprocess
import sys
import time

import pytest
from typer.testing import CliRunner

from ringsync.cli import app


def _start(args: list[str]) -> tuple[subprocess.Popen[str], str]:
    process = subprocess.Popen(
        [sys.executable, "-c", "from ringsync.cli import main; main()", *args],
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    assert process.stdout is not None
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        line = process.stdout.readline()
        match = re.search(r"sfemu listening on (http://\S+)", line)
        if match:
            return process, match.group(1)
        if not line and process.poll() is not None:
            break
    _stop(process)
    pytest.fail("the demo did not print its URL")


def _stop(process: subprocess.Popen[str]) -> None:
    process.terminate()
    process.wait(timeout=20)
    if process.stdout is not None:
        process.stdout.close()


def test_emulator_refuses_a_port_in_use_with_one_clear_line() -> None:
    process, base = _start(["emulator", "--port", "0"])
    try:
        port = base.rsplit(":", 1)[1]
        result = CliRunner().invoke(app, ["emulator", "--port", port])
        assert result.exit_code == 2
        assert "cannot listen on" in result.output
        assert "Traceback" not in result.output
    finally:
        _stop(process)
