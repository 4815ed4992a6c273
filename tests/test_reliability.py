"""Crashes and pauses: a crawl killed with SIGKILL leaves a consistent store, and a JOBDIR crawl resumes.

Real `scrapy crawl weibo` subprocesses against the local sample server.
"""

from __future__ import annotations

import os
import random
import signal
import sqlite3
import subprocess
import sys
import time

import pytest

from benchmark.sample.panel import Panel, panel_config_toml, synthetic_spec
from benchmark.sample.testing import run_server_subprocess
from tests.crawl_helpers import FAST, PROJECT_ROOT, run_crawl

SPEC = synthetic_spec(20, 120, seed=5)
SPEC["anchor"] = "2026-11-26T12:00:00+08:00"


@pytest.fixture(scope="module")
def panel() -> Panel:
    return Panel.from_spec(SPEC)


@pytest.fixture(scope="module")
def server_url():
    strict = ("--strict-weibo",)  # as real Weibo: no mobile web client headers, a login wall
    with run_server_subprocess(SPEC, seed=None, anchor=SPEC["anchor"], extra_args=strict) as (url, _process):
        yield url


@pytest.fixture
def config(tmp_path, panel):
    path = tmp_path / "benchmark.toml"
    path.write_text(panel_config_toml(panel), encoding="utf-8")
    return path


def expected_posts(panel: Panel) -> set[str]:
    return {p.id for a in panel.accounts for p in panel.posts_by_account[a.key] if panel.in_period(p)}


def crawl_command(server_url: str, db_path, config_path, extra_settings: dict) -> list[str]:
    settings = {**FAST, "LOG_LEVEL": "WARNING", "WEIBO_BASE_URL": f"{server_url}/weibo",
                "BENCHMARK_DB": f"sqlite:///{db_path}", "BENCHMARK_CONFIG": str(config_path),
                "PSEUDONYM_KEY_FILE": str(db_path.parent / "pseudonym.key"), **extra_settings}
    command = [sys.executable, "-m", "scrapy", "crawl", "weibo"]
    for key, value in settings.items():
        command += ["-s", f"{key}={value}"]
    return command


def check_store(db_path) -> tuple[str, int, int]:
    with sqlite3.connect(db_path) as conn:
        integrity = conn.execute("PRAGMA integrity_check").fetchone()[0]
        total = conn.execute("select count(*) from posts").fetchone()[0]
        distinct = conn.execute("select count(distinct platform || post_id) from posts").fetchone()[0]
    return integrity, total, distinct


def test_kill_9_five_times_then_a_normal_run_completes(tmp_path, panel, server_url, config):
    db = tmp_path / "store.sqlite3"
    # Slow enough that each kill lands mid-crawl: small delay, small batches (many commits).
    slow = {"DOWNLOAD_DELAY": "0.01", "CONCURRENT_REQUESTS_PER_DOMAIN": "2", "BENCHMARK_DB_BATCH": "25"}
    rng = random.Random(20261126)
    stored_after_kills = []
    for _round in range(5):
        process = subprocess.Popen(crawl_command(server_url, db, config, slow), cwd=PROJECT_ROOT,
                                   stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True)
        time.sleep(rng.uniform(1.0, 2.5))
        os.killpg(process.pid, signal.SIGKILL)
        process.wait()
        if db.exists():
            integrity, total, distinct = check_store(db)
            assert integrity == "ok"
            assert total == distinct
            stored_after_kills.append(total)
    assert stored_after_kills and max(stored_after_kills) < len(expected_posts(panel))  # really interrupted

    result = run_crawl("weibo", base_url=server_url, db_path=db, config_path=config)
    assert result.returncode == 0, result.stderr[-3000:]
    integrity, total, distinct = check_store(db)
    assert integrity == "ok" and total == distinct
    stored = {row["post_id"] for row in result.rows("select post_id from posts")}
    assert stored == expected_posts(panel)


def test_jobdir_pause_and_resume(tmp_path, panel, server_url, config):
    db = tmp_path / "store.sqlite3"
    jobdir = tmp_path / "job"
    first = run_crawl("weibo", base_url=server_url, db_path=db, config_path=config,
                      settings={"JOBDIR": str(jobdir), "CLOSESPIDER_PAGECOUNT": "30"})
    assert "closespider_pagecount" in first.stderr
    assert first.returncode == 3  # stopped early: accounts are reported partial, not ok
    partial = first.rows("select count(*) as n from posts")[0]["n"]
    assert 0 < partial < len(expected_posts(panel))

    second = run_crawl("weibo", base_url=server_url, db_path=db, config_path=config,
                       settings={"JOBDIR": str(jobdir)})
    assert "Resuming crawl" in second.stderr
    assert second.returncode == 0, second.stderr[-3000:]
    stored = [row["post_id"] for row in second.rows("select post_id from posts")]
    assert len(stored) == len(set(stored))
    assert set(stored) == expected_posts(panel)
