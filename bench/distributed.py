"""Scale-out figures: pages/s of 1 and 2 `scrapy crawl weibo` workers sharing one Redis queue and one
PostgreSQL store (politeness off, local sample server), and the requests ratio of an incremental re-crawl.

    python bench/distributed.py [--accounts 200] [--posts 60] [--window 14]

Redis and PostgreSQL: BENCHMARK_TEST_REDIS_URL / BENCHMARK_TEST_PG_URL when set (CI starts them), else
throwaway servers from the Debian binaries (redis-server, /usr/lib/postgresql/*/bin) under a temporary
directory. The same helpers start the servers for tests/test_distributed.py and tests/test_store_backends.py.

pages/s = responses of all workers / wall time from the first worker start to the last worker exit
(process start-up included: that is what an operator waits for).
"""

from __future__ import annotations

import argparse
import contextlib
import glob
import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

PG_URL_ENV = "BENCHMARK_TEST_PG_URL"
REDIS_URL_ENV = "BENCHMARK_TEST_REDIS_URL"

# Politeness off against the local server; short back-offs (as tests/crawl_helpers.FAST).
FAST = {
    "DOWNLOAD_DELAY": "0",
    "AUTOTHROTTLE_ENABLED": "False",
    "CONCURRENT_REQUESTS": "16",
    "CONCURRENT_REQUESTS_PER_DOMAIN": "16",
    "BAN_BACKOFF_BASE": "0.05",
    "RETRY_AFTER_MAX": "5",
    "LOG_LEVEL": "INFO",
}


# ------------------------------------------------------------------------------ throwaway servers


class ServerUnavailable(RuntimeError):
    """The server binaries are not installed: tests skip with this message."""


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _wait_for_port(port: int, process: subprocess.Popen[bytes], timeout: float, what: str) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"{what} exited with status {process.returncode} before listening on {port}")
        with contextlib.suppress(OSError), socket.create_connection(("127.0.0.1", port), timeout=0.2):
            return
        time.sleep(0.05)
    raise RuntimeError(f"{what} did not listen on port {port} within {timeout:.0f} s")


def _stop(process: subprocess.Popen[bytes], sig: int = signal.SIGTERM) -> None:
    if process.poll() is None:
        process.send_signal(sig)
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(timeout=5)


@contextlib.contextmanager
def redis_server() -> Iterator[str]:
    """A Redis URL: BENCHMARK_TEST_REDIS_URL if set, else a private redis-server without persistence."""
    if os.environ.get(REDIS_URL_ENV):
        yield os.environ[REDIS_URL_ENV]
        return
    binary = shutil.which("redis-server")
    if binary is None:
        raise ServerUnavailable(f"redis-server is not installed (apt-get install redis-server) and {REDIS_URL_ENV} "
                                "is not set")
    port = free_port()
    process = subprocess.Popen([binary, "--port", str(port), "--bind", "127.0.0.1", "--save", "",
                                "--appendonly", "no", "--protected-mode", "yes"],
                               stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        _wait_for_port(port, process, 10, "redis-server")
        yield f"redis://127.0.0.1:{port}/0"
    finally:
        _stop(process)


def _postgres_bin(name: str) -> str | None:
    found = sorted(glob.glob(f"/usr/lib/postgresql/*/bin/{name}"), key=lambda p: int(p.split("/")[4]))
    return found[-1] if found else shutil.which(name)


@contextlib.contextmanager
def postgres_server() -> Iterator[str]:
    """A PostgreSQL server URL (`postgresql+psycopg://user@host:port/postgres`): BENCHMARK_TEST_PG_URL's server
    if set, else a private cluster (initdb under /tmp, trust auth, fsync off: test data only)."""
    if os.environ.get(PG_URL_ENV):
        yield os.environ[PG_URL_ENV]
        return
    initdb, postgres = _postgres_bin("initdb"), _postgres_bin("postgres")
    if initdb is None or postgres is None:
        raise ServerUnavailable(f"PostgreSQL is not installed (apt-get install postgresql) and {PG_URL_ENV} is not set")
    # PostgreSQL refuses to run as root: use the Debian `postgres` user then.
    user = "postgres" if os.geteuid() == 0 else None
    data = Path(tempfile.mkdtemp(prefix="benchmark-pg-"))
    if user:
        shutil.chown(data, user=user)
    port = free_port()
    subprocess.run([initdb, "-D", str(data / "db"), "-U", "bench", "--auth=trust", "-E", "UTF8", "--locale=C.UTF-8"],
                   check=True, capture_output=True, user=user)
    process = subprocess.Popen([postgres, "-D", str(data / "db"), "-p", str(port), "-k", str(data),
                                "-c", "listen_addresses=127.0.0.1", "-c", "fsync=off", "-c", "synchronous_commit=off",
                                "-c", "full_page_writes=off", "-c", "max_connections=100"],
                               stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, user=user)
    try:
        _wait_for_port(port, process, 20, "postgres")
        yield f"postgresql+psycopg://bench@127.0.0.1:{port}/postgres"
    finally:
        _stop(process, signal.SIGQUIT)  # immediate shutdown: the data is thrown away
        shutil.rmtree(data, ignore_errors=True)


@contextlib.contextmanager
def fresh_database(server_url: str) -> Iterator[str]:
    """A new, empty database on the server of `server_url` (its user needs CREATEDB); dropped on exit."""
    from sqlalchemy import create_engine, text
    from sqlalchemy.engine import make_url

    name = f"bench_{uuid.uuid4().hex[:12]}"
    admin = create_engine(server_url, isolation_level="AUTOCOMMIT")
    try:
        with admin.connect() as conn:
            conn.execute(text(f'CREATE DATABASE "{name}"'))
        yield make_url(server_url).set(database=name).render_as_string(hide_password=False)
    finally:
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


# ------------------------------------------------------------------------------ worker processes


def scrapy_command(command: str, settings: dict[str, str], *args: str) -> list[str]:
    line = [sys.executable, "-m", "scrapy", command, *args]
    for key, value in settings.items():
        line += ["-s", f"{key}={value}"]
    return line


def crawl_settings(base_url: str, db_url: str, config_path: Path, redis_url: str = "", prefix: str = "",
                   **extra: str) -> dict[str, str]:
    settings = {
        **FAST,
        "BENCHMARK_DB": db_url,
        "BENCHMARK_CONFIG": str(config_path),
        "PSEUDONYM_KEY_FILE": str(config_path.parent / "pseudonym.key"),
        "WEIBO_BASE_URL": f"{base_url}/weibo",
        "BLUESKY_BASE_URL": f"{base_url}/bluesky",
        "MASTODON_BASE_URL": f"{base_url}/mastodon",
        "TELEGRAM_BASE_URL": f"{base_url}/telegram",
    }
    if redis_url:
        settings["BENCHMARK_SCHEDULER"] = redis_url
    if prefix:
        settings["BENCHMARK_REDIS_PREFIX"] = prefix
    settings.update(extra)
    return settings


def clean_env() -> dict[str, str]:
    """The environment for subprocesses: no secrets, no store/config/scheduler from the caller's shell."""
    dropped = ("WEIBO_COOKIE", "BENCHMARK_DB", "BENCHMARK_CONFIG", "BENCHMARK_SCHEDULER")
    return {k: v for k, v in os.environ.items() if k not in dropped}


def start_worker(settings: dict[str, str], spider: str = "weibo", log_path: Path | None = None) -> subprocess.Popen:
    """One `scrapy crawl <spider>` worker in its own process group (so a SIGKILL takes its children too)."""
    stream = open(log_path, "w", encoding="utf-8") if log_path else subprocess.DEVNULL  # noqa: SIM115
    return subprocess.Popen(scrapy_command("crawl", settings, spider), cwd=ROOT, env=clean_env(),
                            stdout=stream, stderr=subprocess.STDOUT, start_new_session=True)


def enqueue(settings: dict[str, str], *platforms: str, reset: bool = False) -> subprocess.CompletedProcess[str]:
    args = [*platforms, *(["--reset"] if reset else [])]
    return subprocess.run(scrapy_command("enqueue", settings, *args), cwd=ROOT, env=clean_env(),
                          capture_output=True, text=True, timeout=60)


# ------------------------------------------------------------------------------ figures


@dataclass
class RunFigures:
    label: str
    wall_seconds: float  # first process start to last exit
    crawl_seconds: float  # first spider open to last spider close (no interpreter start-up)
    responses: int

    @property
    def pages_per_second(self) -> float:
        return self.responses / self.crawl_seconds if self.crawl_seconds else 0.0

    def line(self) -> str:
        return (f"{self.label}: {self.responses} pages in {self.crawl_seconds:.1f} s of crawling = "
                f"{self.pages_per_second:.0f} pages/s ({self.responses / self.wall_seconds:.0f} pages/s over "
                f"{self.wall_seconds:.1f} s wall, start-up included)")


def run_stats(db_url: str) -> list[dict[str, Any]]:
    """`crawl_runs.stats` of every run in the store, oldest first."""
    from sqlalchemy import select

    from benchmark.store import crawl_runs, create_store_engine

    engine = create_store_engine(db_url)
    try:
        with engine.connect() as conn:
            rows = conn.execute(select(crawl_runs.c.stats).order_by(crawl_runs.c.started_at)).scalars().all()
    finally:
        engine.dispose()
    return [row if isinstance(row, dict) else json.loads(row or "{}") for row in rows]


def crawl_figures(label: str, stats: list[dict[str, Any]], wall_seconds: float) -> RunFigures:
    starts = [datetime.fromisoformat(s["start_time"]) for s in stats if s.get("start_time")]
    ends = [datetime.fromisoformat(s["finish_time"]) for s in stats if s.get("finish_time")]
    crawl_seconds = (max(ends) - min(starts)).total_seconds() if starts and ends else wall_seconds
    responses = sum(int(s.get("response_received_count", 0) or 0) for s in stats)
    return RunFigures(label, wall_seconds, crawl_seconds, responses)


def distributed_run(n_workers: int, base_url: str, redis_url: str, db_url: str, config: Path,
                    logs: Path) -> RunFigures:
    """`scrapy enqueue weibo`, then n workers on this machine until the job is done."""
    prefix = f"bench{uuid.uuid4().hex[:8]}"
    settings = crawl_settings(base_url, db_url, config, redis_url, prefix)
    done = enqueue(settings, "weibo")
    if done.returncode != 0:
        raise RuntimeError(f"scrapy enqueue failed: {done.stderr[-2000:]}")
    started = time.monotonic()
    workers = [start_worker(settings, log_path=logs / f"{prefix}-w{i}.log") for i in range(n_workers)]
    for worker in workers:
        worker.wait(timeout=900)
    return crawl_figures(f"{n_workers} worker(s), Redis queue", run_stats(db_url), time.monotonic() - started)


def embedded_run(base_url: str, db_url: str, config: Path, logs: Path) -> RunFigures:
    """The default: one process, in-memory scheduler, same store."""
    started = time.monotonic()
    start_worker(crawl_settings(base_url, db_url, config), log_path=logs / "embedded.log").wait(timeout=900)
    return crawl_figures("1 process, no Redis", run_stats(db_url), time.monotonic() - started)


def incremental_ratio(base_url: str, db_url: str, config: Path, window: float, logs: Path) -> tuple[int, int]:
    """Requests of a full crawl, then of an incremental re-crawl of the same panel (single worker)."""
    settings = crawl_settings(base_url, db_url, config, INCREMENTAL_CRAWL="True", REFRESH_WINDOW_DAYS=str(window))
    counts = []
    for i in (1, 2):
        worker = start_worker(settings, log_path=logs / f"incremental-{i}.log")
        worker.wait(timeout=900)
        counts.append(int(run_stats(db_url)[-1].get("downloader/request_count", 0) or 0))
    return counts[0], counts[1]


def main(argv: list[str] | None = None) -> int:
    from benchmark.sample.panel import Panel, panel_config_toml, synthetic_spec
    from benchmark.sample.testing import run_server_subprocess

    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--accounts", type=int, default=200)
    parser.add_argument("--posts", type=int, default=60, help="posts per account in the period")
    parser.add_argument("--window", type=float, default=14.0, help="REFRESH_WINDOW_DAYS of the re-crawl")
    parser.add_argument("--repeat", type=int, default=2, help="runs per worker count (best kept)")
    args = parser.parse_args(argv)

    # The panel's "now" is the real now, so the re-crawl window (days before now) cuts the period as in production.
    anchor = datetime.now(UTC).replace(microsecond=0).isoformat()
    spec = synthetic_spec(args.accounts, args.posts, seed=8)
    panel = Panel.from_spec(spec, anchor=datetime.fromisoformat(anchor))
    with tempfile.TemporaryDirectory(prefix="bench-distributed-") as tmp, \
            run_server_subprocess(spec, seed=None, anchor=anchor) as (base_url, _server), \
            redis_server() as redis_url, postgres_server() as pg_server:
        work = Path(tmp)
        config = work / "benchmark.toml"
        config.write_text(panel_config_toml(panel), encoding="utf-8")
        print(f"panel: {args.accounts} Weibo accounts x {args.posts} posts; {os.cpu_count()} CPU cores; "
              "politeness off; one local sample server; store: PostgreSQL")
        for n_workers in (0, 1, 2):
            best: RunFigures | None = None
            for _ in range(args.repeat):
                with fresh_database(pg_server) as db_url:
                    figures = (distributed_run(n_workers, base_url, redis_url, db_url, config, work) if n_workers
                               else embedded_run(base_url, db_url, config, work))
                if best is None or figures.pages_per_second > best.pages_per_second:
                    best = figures
            assert best is not None
            print(f"{best.line()}; best of {args.repeat}")
        with fresh_database(pg_server) as db_url:
            first, second = incremental_ratio(base_url, db_url, config, args.window, work)
        print(f"incremental re-crawl (REFRESH_WINDOW_DAYS={args.window:g}): {first} requests, then {second} "
              f"= {second / first:.2f} of the first crawl")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
