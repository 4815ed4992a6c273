"""Shared pytest configuration.

Hypothesis profiles: "default" (200 examples per property test that does not set its own count) and
"slow" (10,000 examples: the parser fuzz run of docs/reliability.md). Pick one with the environment
variable HYPOTHESIS_PROFILE, e.g. `HYPOTHESIS_PROFILE=slow python -m pytest tests/test_parsers_fuzz.py`.
"""

from __future__ import annotations

import os

from hypothesis import HealthCheck, settings

# No deadline: the machine is shared with other test runs, so per-example timings are noise, not signal.
# Seed payloads are real recordings, larger than Hypothesis expects of generated data.
_RELAXED = {"deadline": None, "suppress_health_check": [HealthCheck.too_slow, HealthCheck.data_too_large]}
settings.register_profile("default", max_examples=200, **_RELAXED)
settings.register_profile("slow", max_examples=10_000, **_RELAXED)
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "default"))


# --- No network in tests, enforced: the test process may only connect to this machine. -----------------
# (Spider end-to-end tests run `scrapy crawl` subprocesses whose base URLs point at 127.0.0.1.)
import ipaddress  # noqa: E402
import socket  # noqa: E402

import pytest  # noqa: E402

_real_connect = socket.socket.connect


def _local_only_connect(sock: socket.socket, address: object) -> object:
    if sock.family in (socket.AF_INET, socket.AF_INET6) and isinstance(address, tuple):
        host = str(address[0])
        try:
            local = host == "localhost" or ipaddress.ip_address(host).is_loopback
        except ValueError:
            local = False
        if not local:
            raise OSError(f"tests must not reach the network: connection to {host} refused by tests/conftest.py")
    return _real_connect(sock, address)


@pytest.fixture(autouse=True)
def _no_network(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(socket.socket, "connect", _local_only_connect)


# --- Shared fixtures (issue #18): servers, stores and configs that test modules used to build for themselves. --
# Helpers without a fixture (factories, the spider harness, config cases) are in tests/toolkit/; the fixtures
# import them when first used, so that a run of tests needing none of them does not load the store's SQLAlchemy.
from collections.abc import Callable, Iterable, Iterator  # noqa: E402
from contextlib import AbstractContextManager  # noqa: E402
from pathlib import Path  # noqa: E402
from typing import Any  # noqa: E402

DISTRIBUTED_EXTRA = "the `distributed` extra is not installed (pip install -e '.[distributed]')"


def require_extra(*modules: str) -> None:
    """Skip the test, saying which install is missing, when an optional extra's module is absent."""
    for module in modules:
        pytest.importorskip(module, reason=f"{module}: {DISTRIBUTED_EXTRA}")


def _server_or_skip(start: Callable[[], AbstractContextManager[str]], what: str, variable: str) -> Iterator[str]:
    from bench.distributed import ServerUnavailable

    try:
        with start() as url:
            yield url
    except ServerUnavailable as exc:
        pytest.skip(f"NO {what}: set {variable} (.ci/run starts a server): {exc}")


@pytest.fixture(scope="session")
def pg_server() -> Iterator[str]:
    """A PostgreSQL server URL: BENCHMARK_TEST_PG_URL (.ci/run starts one), else a throwaway cluster from the
    Debian binaries (bench.distributed.postgres_server); skips, saying so, when neither is there."""
    require_extra("psycopg")
    from bench.distributed import PG_URL_ENV, postgres_server

    yield from _server_or_skip(postgres_server, "POSTGRESQL", PG_URL_ENV)


@pytest.fixture
def pg_url(pg_server: str) -> Iterator[str]:
    """A fresh, empty database on the PostgreSQL server, dropped after the test."""
    from bench.distributed import fresh_database

    with fresh_database(pg_server) as url:
        yield url


@pytest.fixture(scope="session")
def redis_url() -> Iterator[str]:
    """A Redis URL: BENCHMARK_TEST_REDIS_URL (.ci/run starts one), else a private redis-server; skips, saying
    so, when neither is there. Tests share it: each uses keys of its own (benchmark.distributed.JobKeys)."""
    require_extra("redis", "scrapy_redis")
    from bench.distributed import REDIS_URL_ENV, redis_server

    yield from _server_or_skip(redis_server, "REDIS", REDIS_URL_ENV)


@pytest.fixture
def redis_client(redis_url: str) -> Iterator[Any]:
    import redis

    client = redis.Redis.from_url(redis_url)
    yield client
    client.close()


@pytest.fixture
def store_path(tmp_path: Path) -> Path:
    """Where a test's SQLite store lives (the file does not exist until a Store opens it)."""
    return tmp_path / "store.sqlite3"


@pytest.fixture
def sqlite_store(store_path: Path) -> Iterator[Any]:
    """An empty Store on a temporary SQLite file, closed after the test."""
    from benchmark.store import Store
    from tests.toolkit.factories import sqlite_url

    store = Store(sqlite_url(store_path))
    yield store
    store.close()


@pytest.fixture
def make_store(store_path: Path) -> Callable[..., str]:
    """build_store on the test's SQLite file: make_store(posts=[...], accounts=[...], comments=[...]) → URL."""
    from tests.toolkit.factories import build_store

    return lambda **rows: build_store(store_path, **rows)


@pytest.fixture
def make_config(tmp_path: Path) -> Callable[..., Path]:
    """Writes tmp_path/benchmark.toml: make_config(text) as given, or make_config(accounts=[...], period=...,
    name=..., timezone=..., language=...) through config_toml."""
    from tests.toolkit.factories import PERIOD, config_toml, write_config

    def make(text: str | bytes | None = None, *, accounts: Iterable[dict] = (), period: tuple[str, str] | str = PERIOD,
             **fields: Any) -> Path:
        return write_config(tmp_path, text if text is not None else config_toml(accounts, period, **fields))

    return make
