"""What the runtime benchmark runs against: a throwaway Postgres database, a Redis key prefix,
and Celery worker processes (``python -m ringsync.runtime.worker worker --pool=solo``).

Everything created here is removed on exit: the database is dropped, the prefix's keys deleted,
the workers stopped.
"""

from __future__ import annotations

import contextlib
import os
import subprocess
import sys
import time
import uuid
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path

from sqlalchemy import create_engine, text

ROOT = Path(__file__).resolve().parent.parent
PG_ADMIN_URL = os.environ.get(
    "RINGSYNC_BENCH_PG_ADMIN_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/postgres"
)
REDIS_URL = os.environ.get("RINGSYNC_BENCH_REDIS_URL", "redis://127.0.0.1:6379/0")
QUEUE = "ringsync"


class ServiceUnavailableError(RuntimeError):
    """Postgres or Redis is not reachable, so the Celery part cannot run."""


@contextlib.contextmanager
def postgres_database(admin_url: str = PG_ADMIN_URL) -> Iterator[str]:
    """Create an empty database for one run, yield its URL, and drop it afterwards."""
    name = f"ringsync_bench_{uuid.uuid4().hex[:12]}"
    admin = create_engine(admin_url, isolation_level="AUTOCOMMIT")
    try:
        with admin.connect() as connection:
            connection.execute(text(f'CREATE DATABASE "{name}"'))
    except Exception as exc:
        admin.dispose()
        raise ServiceUnavailableError(f"Postgres is not reachable at {admin_url}: {exc}") from exc
    try:
        yield admin_url.rsplit("/", 1)[0] + f"/{name}"
    finally:
        with admin.connect() as connection:
            connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


@contextlib.contextmanager
def redis_prefix(url: str = REDIS_URL) -> Iterator[str]:
    """Yield a Redis key prefix of this run's own and delete every key under it afterwards."""
    import redis

    client = redis.Redis.from_url(url)
    try:
        client.ping()
    except Exception as exc:
        client.close()
        raise ServiceUnavailableError(f"Redis is not reachable at {url}: {exc}") from exc
    prefix = f"ringsync-bench-{uuid.uuid4().hex[:10]}:"
    try:
        yield prefix
    finally:
        keys = list(client.scan_iter(match=f"{prefix}*"))
        if keys:
            client.delete(*keys)
        client.close()


def peak_rss_mb(pid: int) -> float:
    """Return the peak resident memory (VmHWM) of a live process in MB."""
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        key, _, value = line.partition(":")
        if key == "VmHWM":
            return int(value.split()[0]) / 1024
    return 0.0


def cpu_seconds(pid: int) -> float:
    """Return the CPU time (user + system) a live process has used, in seconds."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def host_cpu() -> tuple[int, int]:
    """Return (busy, total) CPU ticks of the whole host since boot, from /proc/stat."""
    ticks = [int(v) for v in Path("/proc/stat").read_text().splitlines()[0].split()[1:]]
    idle = ticks[3] + ticks[4]  # idle + iowait
    return sum(ticks) - idle, sum(ticks)


def busy_percent(before: tuple[int, int], after: tuple[int, int]) -> float:
    """Return how busy the host's CPUs were between two ``host_cpu()`` readings, in percent."""
    total = after[1] - before[1]
    return round(100 * (after[0] - before[0]) / total, 1) if total else 0.0


@dataclass
class Fleet:
    """Celery worker processes started for one measurement; always stopped by ``stop()``."""

    registry: str
    prefix: str
    env: Mapping[str, str]
    logs: Path
    procs: list[subprocess.Popen[bytes]] = field(default_factory=list)

    def start(self, count: int, timeout: float = 60.0) -> float:
        """Start ``count`` solo workers and return the seconds until all said ready."""
        started = time.perf_counter()
        env = {
            **os.environ,
            "PYTHONPATH": os.pathsep.join([str(ROOT), str(ROOT / "src")]),
            "RINGSYNC_ENV_FILE": "",
            **self.env,
        }
        first = len(self.procs)
        for index in range(first, first + count):
            command = [
                sys.executable,
                "-m",
                "ringsync.runtime.worker",
                "worker",
                "--registry",
                self.registry,
                "--key-prefix",
                self.prefix,
                "--queue",
                QUEUE,
                "--pool=solo",
                "--loglevel=INFO",
                f"--hostname=bench{index}-{self.prefix.strip(':')}@localhost",
                "--without-gossip",
                "--without-mingle",
                "--without-heartbeat",
            ]
            with self._log(index).open("wb") as out:
                self.procs.append(
                    subprocess.Popen(
                        command, env=env, cwd=ROOT, stdout=out, stderr=subprocess.STDOUT
                    )
                )
        for index in range(first, first + count):
            self._wait_ready(index, started + timeout)
        return time.perf_counter() - started

    def _log(self, index: int) -> Path:
        return self.logs / f"worker{index}.log"

    def _wait_ready(self, index: int, deadline: float) -> None:
        log, proc = self._log(index), self.procs[index]
        while " ready." not in log.read_text(errors="replace"):
            if proc.poll() is not None or time.perf_counter() > deadline:
                tail = log.read_text(errors="replace")[-1500:]
                raise RuntimeError(f"worker {index} did not start; its log ends with:\n{tail}")
            time.sleep(0.05)

    def last_errors(self, lines: int = 3) -> str:
        """Return the last error lines of every worker's log (for a stalled drain's message)."""
        found: list[str] = []
        for index in range(len(self.procs)):
            text_lines = self._log(index).read_text(errors="replace").splitlines()
            errors = [line for line in text_lines if "Error" in line or "ERROR" in line]
            found += [f"worker {index}: {line[:300]}" for line in errors[-lines:]]
        return "\n".join(found) or "no error in the worker logs"

    def peak_rss_mb(self) -> list[float]:
        """Return each live worker's peak resident memory in MB."""
        return [round(peak_rss_mb(p.pid), 1) for p in self.procs if p.poll() is None]

    def cpu_seconds(self) -> list[float]:
        """Return the CPU seconds each live worker has used so far."""
        return [round(cpu_seconds(p.pid), 2) for p in self.procs if p.poll() is None]

    def pids(self) -> list[int]:
        """Return the worker process ids."""
        return [p.pid for p in self.procs]

    def stop(self) -> None:
        """Stop every worker (SIGTERM, then SIGKILL after 15 s)."""
        for proc in self.procs:
            if proc.poll() is None:
                proc.terminate()
        for proc in self.procs:
            try:
                proc.wait(15)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait(5)
        self.procs.clear()


@contextlib.contextmanager
def fleet(registry: str, prefix: str, env: Mapping[str, str], logs: Path) -> Iterator[Fleet]:
    """Yield a Fleet (no worker started yet) and stop its workers on exit."""
    workers = Fleet(registry, prefix, env, logs)
    try:
        yield workers
    finally:
        workers.stop()


def queue_idle(prefix: str, url: str = REDIS_URL) -> bool:
    """Tell whether the queue holds no message and no message waits for an acknowledgement."""
    import redis

    client = redis.Redis.from_url(url)
    try:
        return (
            int(client.llen(f"{prefix}{QUEUE}")) == 0 and int(client.hlen(f"{prefix}unacked")) == 0
        )
    finally:
        client.close()


__all__ = [
    "PG_ADMIN_URL",
    "QUEUE",
    "REDIS_URL",
    "Fleet",
    "ServiceUnavailableError",
    "busy_percent",
    "cpu_seconds",
    "fleet",
    "host_cpu",
    "peak_rss_mb",
    "postgres_database",
    "queue_idle",
    "redis_prefix",
]
