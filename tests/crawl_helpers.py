"""Helpers for end-to-end tests: real `scrapy crawl` subprocesses against the local sample server."""

from __future__ import annotations

import os
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from sqlalchemy import create_engine, text

from benchmark.platforms import all_secrets
from benchmark.sample.testing import base_url_settings

PROJECT_ROOT = Path(__file__).resolve().parent.parent

# Politeness off: the sample server is local. Short back-off so 418 bursts resolve in the test.
FAST = {
    "DOWNLOAD_DELAY": "0",
    "AUTOTHROTTLE_ENABLED": "False",
    "CONCURRENT_REQUESTS_PER_DOMAIN": "8",
    "BAN_BACKOFF_BASE": "0.05",
    "RETRY_AFTER_MAX": "5",
    "LOG_LEVEL": "INFO",
}


@dataclass
class CrawlResult:
    returncode: int
    stdout: str
    stderr: str
    db_url: str

    def rows(self, sql: str, **params: Any) -> list[dict]:
        engine = create_engine(self.db_url)
        try:
            with engine.connect() as conn:
                return [dict(r) for r in conn.execute(text(sql), params).mappings()]
        finally:
            engine.dispose()


def run_crawl(spider: str, *, base_url: str, db_path: Path, config_path: Path, settings: dict | None = None,
              args: dict | None = None, env: dict | None = None, extra: list[str] | None = None,
              timeout: float = 120) -> CrawlResult:
    """`python -m scrapy crawl <spider>` in the project root, every platform's base URL on `base_url`."""
    db_url = f"sqlite:///{db_path}"
    merged = {
        **FAST,
        "BENCHMARK_DB": db_url,
        "BENCHMARK_CONFIG": str(config_path),
        "PSEUDONYM_KEY_FILE": str(db_path.parent / "pseudonym.key"),
        **base_url_settings(base_url),
        **(settings or {}),
    }
    command = [sys.executable, "-m", "scrapy", "crawl", spider]
    for key, value in merged.items():
        command += ["-s", f"{key}={value}"]
    for key, value in (args or {}).items():
        command += ["-a", f"{key}={value}"]
    command += extra or []
    # No secret of the developer's environment reaches a test crawl.
    dropped = {"BENCHMARK_DB", "BENCHMARK_CONFIG", *(secret.env for secret in all_secrets())}
    environment = {k: v for k, v in os.environ.items() if k not in dropped}
    environment.update(env or {})
    done = subprocess.run(command, cwd=PROJECT_ROOT, capture_output=True, text=True, timeout=timeout,
                          env=environment)
    return CrawlResult(done.returncode, done.stdout, done.stderr, db_url)
