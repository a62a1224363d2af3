"""Start the servers a benchmark measures: sfemu itself, and a do-nothing baseline server.

Both run in their own process, so the client under measurement never shares a core's GIL with them.
"""

from __future__ import annotations

import contextlib
import os
import re
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

_URL = re.compile(r"listening on (https?://\S+)")


@dataclass
class Served:
    """A server running in a child process."""

    base_url: str
    process: subprocess.Popen[str]

    def rss_mb(self) -> tuple[float, float]:
        """Return (current, peak) resident memory of the server process in MB."""
        fields: dict[str, float] = {}
        status = Path(f"/proc/{self.process.pid}/status").read_text()
        for line in status.splitlines():
            key, _, value = line.partition(":")
            if key in ("VmRSS", "VmHWM"):
                fields[key] = int(value.split()[0]) / 1024
        return fields.get("VmRSS", 0.0), fields.get("VmHWM", 0.0)


def _wait_for_url(process: subprocess.Popen[str], timeout: float) -> str:
    deadline = time.monotonic() + timeout
    assert process.stdout is not None
    while time.monotonic() < deadline:
        line = process.stdout.readline()
        if not line:
            if process.poll() is not None:
                raise RuntimeError(f"server exited with {process.returncode}")
            continue
        match = _URL.search(line)
        if match:
            return match.group(1)
    raise RuntimeError("server did not print its URL in time")


@contextlib.contextmanager
def _child(args: list[str], timeout: float) -> Iterator[Served]:
    env = dict(os.environ, PYTHONUNBUFFERED="1")
    process = subprocess.Popen(
        args, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True, env=env
    )
    try:
        yield Served(_wait_for_url(process, timeout), process)
    finally:
        process.terminate()
        try:
            process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
        if process.stdout is not None:
            process.stdout.close()


def sfemu(
    *,
    leads: int = 0,
    contacts: int = 0,
    users: int = 5,
    seed: int = 1,
    cert_dir: Path | None = None,
) -> contextlib.AbstractContextManager[Served]:
    """Run ``sfemu serve`` on a free port with seeded data (HTTPS when ``cert_dir`` is given).

    With ``cert_dir`` the emulator writes its test CA to ``cert_dir / "sfemu-ca.pem"``.
    """
    args = [
        sys.executable,
        "-c",
        "from sfemu.cli import main; main()",
        "serve",
        "--port",
        "0",
        "--leads",
        str(leads),
        "--contacts",
        str(contacts),
        "--users",
        str(users),
        "--seed",
        str(seed),
        "--daily-api-limit",
        "100000000",
    ]
    if cert_dir is not None:
        args += ["--tls", "--cert-dir", str(cert_dir)]
    return _child(args, timeout=1800)


def baseline(page_file: Path) -> contextlib.AbstractContextManager[Served]:
    """Run the baseline server that answers with a fixed page and echoes collection results."""
    args = [sys.executable, "-m", "bench.baseline_server", str(page_file)]
    return _child(args, timeout=60)
