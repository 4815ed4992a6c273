"""Scale-out (issue #8): `scrapy enqueue` + N `scrapy crawl weibo` workers through one real Redis queue into
one real PostgreSQL store, a worker SIGKILLed mid-crawl, the report over that store, and incremental
re-crawls (SQLite). Servers: BENCHMARK_TEST_REDIS_URL / BENCHMARK_TEST_PG_URL (.ci/run starts them), else
throwaway ones from the Debian binaries; the tests skip, loudly, only when those are not installed.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
import uuid
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from types import SimpleNamespace
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import create_engine, delete, select, text, update

from bench.distributed import (
    ROOT,
    clean_env,
    crawl_settings,
    enqueue,
    fresh_database,
    scrapy_command,
    start_worker,
)
from benchmark.config import AccountConfig
from benchmark.crawling.incremental import incremental_floor, store_coverage
from benchmark.distributed import (
    LOST_MESSAGE,
    RELEASE,
    SETTLE,
    DistributedAddon,
    DistributedScheduler,
    JobBusyError,
    JobKeys,
    RedisWorker,
    enqueue_job,
    job_status,
)
from benchmark.i18n import from_stored
from benchmark.sample.panel import Panel, synthetic_spec
from benchmark.sample.testing import run_server_subprocess
from benchmark.store import Store, crawl_accounts, post_snapshots, posts
from benchmark.tracker import TERMINAL
from tests.toolkit.factories import expected_posts, sqlite_url, write_panel_config
from tests.toolkit.factories import query_rows as rows

SPEC = synthetic_spec(200, 15, seed=5)
SPEC["anchor"] = "2026-11-26T12:00:00+08:00"
# Faster checkpoints and death detection than production, so a kill resolves within seconds.
QUICK = {"DISTRIBUTED_CHECKPOINT_INTERVAL": "0.5", "DISTRIBUTED_WORKER_TTL": "2", "LOG_LEVEL": "INFO"}


# ----------------------------------------------------------- servers: pg_server, redis_url, redis_client


@pytest.fixture
def keys() -> JobKeys:
    return JobKeys(f"test{uuid.uuid4().hex[:8]}:weibo")  # one namespace per test: no flush, shared servers OK


@pytest.fixture(scope="module")
def panel() -> Panel:
    return Panel.from_spec(SPEC)


@pytest.fixture(scope="module")
def sample_url() -> Iterator[str]:
    with run_server_subprocess(SPEC, seed=None, anchor=SPEC["anchor"]) as (url, _process):
        yield url


@pytest.fixture(scope="module")
def config(tmp_path_factory, panel) -> Path:
    return write_panel_config(tmp_path_factory.mktemp("distributed"), panel)


def run_stats(db_url: str) -> list[dict]:
    return [r["stats"] if isinstance(r["stats"], dict) else json.loads(r["stats"] or "{}")
            for r in rows(db_url, "select stats from crawl_runs order by started_at")]


def job_statuses(db_url: str) -> list[dict]:
    return rows(db_url, "select run_id, status, posts from crawl_accounts")


def wait_all(workers: list[subprocess.Popen], timeout: float = 120) -> list[int]:
    return [worker.wait(timeout=timeout) for worker in workers]


# ------------------------------------------------------------------------------------- two workers


@pytest.fixture(scope="module")
def two_worker_crawl(pg_server, redis_url, sample_url, config, tmp_path_factory):
    """200 accounts × 15 posts, `scrapy enqueue weibo`, then two workers started together."""
    logs = tmp_path_factory.mktemp("two-workers")
    with fresh_database(pg_server) as db_url:
        settings = crawl_settings(sample_url, db_url, config, redis_url, f"t2w{uuid.uuid4().hex[:6]}", **QUICK)
        queued = enqueue(settings, "weibo")
        assert queued.returncode == 0, queued.stderr[-3000:]
        assert "weibo: 200 account(s) queued" in queued.stdout
        workers = [start_worker(settings, log_path=logs / f"w{i}.log") for i in range(2)]
        codes = wait_all(workers)
        yield db_url, codes, logs, settings


def test_two_workers_store_every_post_exactly_once(two_worker_crawl, panel):
    db_url, codes, logs, _settings = two_worker_crawl
    assert codes == [0, 0], (logs / "w0.log").read_text()[-3000:]
    stored = [r["post_id"] for r in rows(db_url, "select post_id from posts")]
    assert len(stored) == len(set(stored))
    assert set(stored) == expected_posts(panel)
    # Each post was handled by exactly one worker: one snapshot each (two workers would write two).
    assert rows(db_url, "select count(*) as n from post_snapshots")[0]["n"] == len(stored)


def test_both_workers_crawled_and_one_wrote_the_statuses(two_worker_crawl, panel):
    db_url, _codes, _logs, _settings = two_worker_crawl
    stats = run_stats(db_url)
    assert len(stats) == 2
    assert all(s.get("response_received_count", 0) > 0 for s in stats)  # the queue was shared
    assert sum(bool(s.get("distributed/reporter")) for s in stats) == 1
    statuses = job_statuses(db_url)
    assert len(statuses) == 200 and {s["status"] for s in statuses} == {"ok"}
    assert len({s["run_id"] for s in statuses}) == 1
    # Progress merged across workers: every post counted once, for its account.
    assert sum(s["posts"] for s in statuses) == len(expected_posts(panel))


def test_the_report_reads_the_postgresql_store(two_worker_crawl, panel, tmp_path):
    db_url, _codes, _logs, _settings = two_worker_crawl
    # A 12-account slice of the panel keeps the report quick; the store is the distributed crawl's.
    small = Panel(panel.accounts[:12], panel.posts_by_account, panel.anchor, panel.period_start, panel.period_end,
                  panel.seed, panel.name)
    config = write_panel_config(tmp_path, small)
    out = tmp_path / "report"
    done = subprocess.run([sys.executable, "-m", "scrapy", "report", "--allow-outside", "-s", f"BENCHMARK_DB={db_url}",
                           "--config", str(config), "-o", str(out)], cwd=ROOT, env=clean_env(),
                          capture_output=True, text=True, timeout=180)
    assert done.returncode == 0, done.stderr[-3000:]
    metrics = (out / "metrics.csv").read_text(encoding="utf-8-sig").splitlines()
    header = metrics[0].split(",")
    accounts = {line.split(",")[header.index("account_id")] for line in metrics[1:]}
    assert accounts == {a.id for a in small.accounts}
    assert "weibo,2000000000,Brand 0,own,posts,15,15,Posts" in metrics  # last column: metric_label


def test_a_second_enqueue_waits_for_the_running_job(two_worker_crawl, tmp_path):
    """After the job is done, enqueue starts a new one; while one is pending it refuses."""
    _db_url, _codes, _logs, settings = two_worker_crawl
    again = enqueue(settings, "weibo")  # the first job is done: a new one replaces it
    assert again.returncode == 0, again.stderr
    refused = enqueue(settings, "weibo")  # that one has not started: not replaced (--reset would)
    assert refused.returncode == 1 and "still running" in refused.stderr


# ------------------------------------------------------------------------------------- a worker killed


def test_a_worker_killed_mid_crawl_loses_nothing(pg_server, redis_url, sample_url, config, panel, tmp_path):
    expected = expected_posts(panel)
    with fresh_database(pg_server) as db_url:
        # Fewer requests in flight per worker: the crawl lasts long enough to be killed in the middle.
        settings = crawl_settings(sample_url, db_url, config, redis_url, f"kill{uuid.uuid4().hex[:6]}", **QUICK,
                                  CONCURRENT_REQUESTS="4", CONCURRENT_REQUESTS_PER_DOMAIN="4")
        assert enqueue(settings, "weibo").returncode == 0
        workers = [start_worker(settings, log_path=tmp_path / f"w{i}.log") for i in range(2)]
        stored = wait_for_posts(db_url, len(expected) // 6, timeout=60)
        assert workers[0].poll() is None and stored < len(expected), "the crawl ended before the kill"
        os.killpg(workers[0].pid, signal.SIGKILL)
        workers[0].wait()
        replacement = start_worker(settings, log_path=tmp_path / "w2.log")
        codes = wait_all([workers[1], replacement])
        assert codes == [0, 0], (tmp_path / "w1.log").read_text()[-3000:]

        stored_ids = [r["post_id"] for r in rows(db_url, "select post_id from posts")]
        assert len(stored_ids) == len(set(stored_ids))
        assert set(stored_ids) == expected
        statuses = job_statuses(db_url)
        assert len(statuses) == 200 and {s["status"] for s in statuses} == {"ok"}
        # Lost accounts were crawled again from scratch: their counts were reset, not doubled.
        assert sum(s["posts"] for s in statuses) == len(expected)
        stats = run_stats(db_url)
        assert sum(s.get("distributed/dead_workers", 0) for s in stats) >= 1
        assert sum(s.get("distributed/accounts_requeued", 0) for s in stats) >= 1
        assert any(not s for s in stats)  # the killed worker never closed its run


def test_a_worker_whose_final_store_write_fails_does_not_report_its_work_done(pg_server, redis_url, sample_url,
                                                                             config, tmp_path):
    """The store refuses every post and profile with "disk full" (a PostgreSQL trigger, SQLSTATE 53100); the
    worker stops after 30 items (CLOSESPIDER_ITEMCOUNT), so its close is its final store write. Before: the close
    flush failed ("Scraper close failure"), the worker released its requests anyway, exit 0, accounts counted done."""
    import redis

    with fresh_database(pg_server) as db_url:
        Store(db_url).close()
        engine = create_engine(db_url)
        with engine.begin() as conn:
            conn.exec_driver_sql("CREATE FUNCTION disk_full() RETURNS trigger AS $$ BEGIN RAISE EXCEPTION 'disk full' "
                                 "USING ERRCODE = '53100'; END $$ LANGUAGE plpgsql")
            for table in ("posts", "accounts"):
                conn.exec_driver_sql(f"CREATE TRIGGER disk_full BEFORE INSERT ON {table} FOR EACH ROW "
                                     "EXECUTE FUNCTION disk_full()")
        engine.dispose()
        prefix = f"lost{uuid.uuid4().hex[:6]}"
        settings = crawl_settings(sample_url, db_url, config, redis_url, prefix, **{
            **QUICK, "DISTRIBUTED_CHECKPOINT_INTERVAL": "600", "BENCHMARK_DB_BATCH": "100000",
            "CLOSESPIDER_ITEMCOUNT": "30", "CONCURRENT_REQUESTS": "2"})
        assert enqueue(settings, "weibo").returncode == 0
        worker = start_worker(settings, log_path=tmp_path / "w.log")
        code = worker.wait(timeout=120)
        log = (tmp_path / "w.log").read_text()
        assert code == 3, log[-3000:]
        assert "store/refused/store_unavailable" in log and "Scraper close failure" not in log
        client = redis.Redis.from_url(redis_url)
        try:
            keys = JobKeys(f"{prefix}:weibo")
            status = job_status(client, keys)
            assert status["reporter"] == ""  # the job is not done
            opened = {_id.decode(): int(client.hget(keys.account(_id.decode()), "open") or 0)
                      for _id in client.hkeys(keys.job_accounts)}
            not_stored = [account for account in opened if client.hget(keys.account(account), "status") == b"partial"]
            assert not_stored, log[-3000:]
            # Their requests were not released: the accounts stay open, to be crawled again.
            assert all(opened[account] > 0 for account in not_stored), opened
        finally:
            client.close()
        assert rows(db_url, "select count(*) as n from posts")[0]["n"] == 0
        assert rows(db_url, "select count(*) as n from crawl_runs")[0]["n"] == 1  # the run itself was recorded
        assert job_statuses(db_url) == []  # nobody wrote the job's statuses as if it were done


def test_a_distributed_crawl_earns_ok_like_a_single_process(redis_url, tmp_path):
    """Every next page repeats the first one (a hostile server): no account reaches the period's edge, so none
    may be `ok` (before: a distributed worker took the repeat for a page delivered twice, stopped in silence,
    and Redis kept the provisional `ok`)."""
    spec = synthetic_spec(3, 15, seed=5)
    spec["anchor"] = SPEC["anchor"]
    config = write_panel_config(tmp_path, Panel.from_spec(spec))
    profile = json.dumps({"name": "endless_cursor", "rates": {}, "burst_count": 0, "hostile": "endless_cursor"})
    db_url = sqlite_url(tmp_path / "db.sqlite3")
    with run_server_subprocess(spec, seed=None, anchor=spec["anchor"],
                               extra_args=("--faults", "1", "--fault-profile", profile)) as (url, _process):
        settings = crawl_settings(url, db_url, config, redis_url, f"earn{uuid.uuid4().hex[:6]}", **QUICK)
        assert enqueue(settings, "weibo").returncode == 0
        code = start_worker(settings, log_path=tmp_path / "w.log").wait(timeout=120)
    log = (tmp_path / "w.log").read_text()
    statuses = rows(db_url, "select account_id, status, message, posts from crawl_accounts")
    assert len(statuses) == 3 and {s["status"] for s in statuses} == {"partial"}, statuses
    assert {s["message"] for s in statuses} == {"paging stopped before the period's edge"}
    assert all(s["posts"] == 10 for s in statuses)  # page 1 counted, its repeats not
    assert code == 3, log[-3000:]


def wait_for_posts(db_url: str, at_least: int, timeout: float) -> int:
    deadline = time.monotonic() + timeout
    engine = create_engine(db_url)
    try:
        while time.monotonic() < deadline:
            try:
                with engine.connect() as conn:
                    count = conn.execute(text("select count(*) from posts")).scalar()
            except Exception:  # the schema is created by the first worker
                count = 0
            if count >= at_least:
                return count
            time.sleep(0.05)
    finally:
        engine.dispose()
    raise AssertionError(f"fewer than {at_least} posts stored after {timeout:.0f} s")


# ------------------------------------------------------------------------------------- the switch and enqueue


def test_the_switch_is_off_by_default_and_on_from_the_command_line():
    from scrapy.settings import Settings

    off = Settings({"BENCHMARK_SCHEDULER": ""})
    from scrapy.exceptions import NotConfigured

    with pytest.raises(NotConfigured):
        DistributedAddon().update_settings(off)
    on = Settings({"SPIDER_MIDDLEWARES": {"scrapy.spidermiddlewares.depth.DepthMiddleware": None}})
    on.set("BENCHMARK_SCHEDULER", "redis://redis.example:6379/0", "cmdline")
    DistributedAddon().update_settings(on)
    assert on["SCHEDULER"] == "benchmark.distributed.DistributedScheduler"
    assert on["DUPEFILTER_CLASS"] == "scrapy_redis.dupefilter.RFPDupeFilter"
    assert on["REDIS_URL"] == "redis://redis.example:6379/0"
    middlewares = on["SPIDER_MIDDLEWARES"]
    assert middlewares["scrapy.spidermiddlewares.depth.DepthMiddleware"] is None  # the project's entries stay
    assert any("AccountFeedMiddleware" in str(name) for name in middlewares)
    with pytest.raises(ValueError, match="redis://"):
        DistributedAddon().update_settings(Settings({"BENCHMARK_SCHEDULER": "postgresql://x"}))


def test_enqueue_needs_the_switch(config):
    done = subprocess.run(scrapy_command("enqueue", {"BENCHMARK_CONFIG": str(config)}), cwd=ROOT, env=clean_env(),
                          capture_output=True, text=True, timeout=60)
    assert done.returncode == 2 and "BENCHMARK_SCHEDULER" in done.stderr
    settings = {"BENCHMARK_CONFIG": str(config), "BENCHMARK_LANGUAGE": "zh"}
    in_chinese = subprocess.run(scrapy_command("enqueue", settings), cwd=ROOT, env=clean_env(), capture_output=True,
                                text=True, timeout=60)
    assert "错误：要使用 Redis 队列，请设置 BENCHMARK_SCHEDULER" in in_chinese.stderr


def test_a_worker_without_a_job_stops_at_once(redis_url, sample_url, config, tmp_path):
    settings = crawl_settings(sample_url, f"sqlite:///{tmp_path}/db.sqlite3", config, redis_url,
                              f"nojob{uuid.uuid4().hex[:6]}")
    done = subprocess.run(scrapy_command("crawl", settings, "weibo"), cwd=ROOT, env=clean_env(),
                          capture_output=True, text=True, timeout=60)
    assert "no job in Redis" in done.stderr and "Closing spider (no_job)" in done.stderr
    assert done.returncode == 2  # the setup is wrong, not the data: like a config error
    assert "'downloader/request_count'" not in done.stderr  # nothing crawled from the config


def test_a_worker_of_another_period_is_turned_away(redis_url, sample_url, config, tmp_path):
    settings = crawl_settings(sample_url, f"sqlite:///{tmp_path}/db.sqlite3", config, redis_url,
                              f"period{uuid.uuid4().hex[:6]}")
    assert enqueue(settings, "weibo").returncode == 0
    done = subprocess.run([*scrapy_command("crawl", settings, "weibo"), "-a", "since=2025-01-01",
                           "-a", "until=2025-03-31"], cwd=ROOT, env=clean_env(), capture_output=True, text=True,
                          timeout=60)
    assert "Closing spider (job_period_mismatch)" in done.stderr and "use the same config" in done.stderr
    assert done.returncode == 2
    assert "'downloader/request_count'" not in done.stderr


def accounts(n: int) -> list[AccountConfig]:
    return [AccountConfig("weibo", str(1000 + i), "peer", f"B{i}") for i in range(n)]


def test_enqueue_job_refuses_to_replace_a_running_job(redis_client, keys):
    first = enqueue_job(redis_client, keys, accounts(3) + accounts(1), ("2026-07-01", "2026-09-30"))
    assert first.accounts == 3  # duplicates collapse
    assert redis_client.lrange(keys.pending, 0, -1) == [b"1000", b"1001", b"1002"]
    with pytest.raises(JobBusyError, match="still running"):
        enqueue_job(redis_client, keys, accounts(2), ("2026-07-01", "2026-09-30"))
    second = enqueue_job(redis_client, keys, accounts(2), ("2026-07-01", "2026-09-30"), reset=True)
    assert second.job_id != first.job_id
    status = job_status(redis_client, keys)
    assert status["pending"] == 2 and status["job"]["accounts"] == "2"
    assert not redis_client.exists(keys.account("1002"))  # the old job's state is gone
    redis_client.hset(keys.workers, "w1", 1)
    redis_client.set(keys.alive("w1"), 1)
    with pytest.raises(JobBusyError, match="still running job"):  # never swapped under a live worker
        enqueue_job(redis_client, keys, accounts(2), ("2026-07-01", "2026-09-30"), reset=True)


# ------------------------------------------------------------------------------------- Redis scripts


def test_progress_merges_like_the_tracker(redis_client, keys):
    release = redis_client.register_script(RELEASE)

    def merge(*deltas: dict) -> dict:
        release(keys=[keys.workers], args=[keys.account_prefix, "w1", json.dumps({"a": 1}),
                                           json.dumps(list(deltas)), json.dumps(list(TERMINAL)), 0])
        return {k.decode(): v.decode() for k, v in redis_client.hgetall(keys.account("a")).items()}

    redis_client.hset(keys.account("a"), mapping={"open": 3, "status": "ok"})
    delta = {"id": "a", "posts": 10, "pages": 1, "failed_pages": 0, "status": "ok", "message": ""}
    state = merge(delta, {**delta, "posts": 5})
    assert (state["posts"], state["pages"], state["open"], state["status"]) == ("15", "2", "2", "ok")
    state = merge({**delta, "posts": 0, "failed_pages": 1, "status": "partial", "message": "broken page"})
    assert (state["status"], state["message"], state["failed_pages"]) == ("partial", "broken page", "1")
    state = merge({**delta, "posts": 0, "status": "blocked", "message": "HTTP 418"})
    assert (state["status"], state["message"]) == ("blocked", "HTTP 418")  # terminal outranks partial
    state = merge({**delta, "posts": 0, "status": "login_wall", "message": "cookie"},
                  {**delta, "posts": 0, "status": "partial", "message": "later"})
    assert (state["status"], state["message"]) == ("blocked", "HTTP 418")  # the first terminal reason stays
    assert redis_client.hget(keys.workers, "w1") == b"0"


def test_settle_recrawls_what_a_dead_worker_held_then_one_worker_reports(redis_client, keys):
    settle = redis_client.register_script(SETTLE)

    def run(worker: str, max_attempts: int = 3) -> list:
        result = settle(keys=[keys.workers, keys.pending, keys.requests, keys.job_accounts, keys.reporter],
                        args=[keys.base, worker, max_attempts, LOST_MESSAGE])
        return [result[0].decode(), *result[1:]]

    enqueue_job(redis_client, keys, accounts(2), ("2026-07-01", "2026-09-30"))
    redis_client.delete(keys.pending)
    redis_client.hset(keys.account("1000"), "open", 2)  # popped by "dead", never released
    redis_client.sadd(keys.dupefilter("1000"), "fp")
    redis_client.hset(keys.workers, mapping={"dead": 1, "alive": 0})
    redis_client.set(keys.alive("alive"), 1)
    redis_client.zadd(keys.requests, {b"r": 0})
    assert run("alive")[:2] == ["work", 1]  # the dead worker is dropped; a queued request is work
    redis_client.delete(keys.requests)
    redis_client.hset(keys.workers, "alive", 1)
    assert run("alive")[0] == "wait"  # a live worker is busy: its requests may add more
    redis_client.hset(keys.workers, "alive", 0)
    assert run("alive") == ["redo", 0, 1, 0]
    assert redis_client.lrange(keys.pending, 0, -1) == [b"1000"]
    assert redis_client.hget(keys.account("1000"), "attempt") == b"2"
    assert not redis_client.exists(keys.dupefilter("1000"))  # its pages can be fetched again
    redis_client.delete(keys.pending)
    assert run("alive") == ["done", 0, 0, 0, 1]
    assert run("another") == ["done", 0, 0, 0, 0]  # only one worker writes the statuses
    redis_client.hset(keys.account("1001"), "open", 1)
    redis_client.delete(keys.reporter)
    redis_client.hset(keys.account("1001"), "attempt", 3)
    assert run("alive", max_attempts=3)[0] == "done"  # the 4th loss gives the account up
    assert redis_client.hget(keys.account("1001"), "status") == b"partial"
    reason = from_stored(redis_client.hget(keys.account("1001"), "message").decode())  # a translatable Message
    assert reason == "its crawl was lost with a dead worker 3 times: crawl it again"
    assert reason.translate("zh") == "它的抓取已随失联的工作进程丢失 3 次：请重新抓取"


def test_ok_is_earned_across_workers(redis_client, keys):
    """An account's pages are parsed by different workers: it is `ok` only if one of them reached the period's
    edge, in the attempt whose counts stand (a re-crawl after a dead worker starts unearned)."""
    release = redis_client.register_script(RELEASE)
    settle = redis_client.register_script(SETTLE)

    def report(worker: str, *deltas: dict) -> None:
        release(keys=[keys.workers], args=[keys.account_prefix, worker, json.dumps({}), json.dumps(list(deltas)),
                                           json.dumps(list(TERMINAL)), 0])

    enqueue_job(redis_client, keys, accounts(4), ("2026-07-01", "2026-09-30"))
    redis_client.delete(keys.pending)  # all popped
    page = {"posts": 10, "pages": 1, "failed_pages": 0, "status": "ok", "message": ""}
    report("w1", {"id": "1000", **page})
    report("w2", {"id": "1000", **page, "posts": 5, "complete": 1})  # page 2 reached the edge on another worker
    report("w1", {"id": "1001", **page})
    report("w2", {"id": "1001", **page})  # two pages, and paging stopped there
    report("w1", {"id": "1002", **page, "complete": 1})
    redis_client.hset(keys.account("1002"), "open", 1)  # ... but w1 died holding one of its requests
    assert settle(keys=[keys.workers, keys.pending, keys.requests, keys.job_accounts, keys.reporter],
                  args=[keys.base, "w2", 3, LOST_MESSAGE])[0] == b"redo"
    redis_client.delete(keys.pending)
    report("w2", {"id": "1002", **page})  # the re-crawl stopped after its first page
    unreachable = {**page, "posts": 0, "pages": 0, "status": "partial", "message": "request failed: DNS lookup failed"}
    report("w1", {"id": "1003", **unreachable, "failed_pages": 1, "network_errors": 1})
    report("w2", {"id": "1003", **unreachable, "failed_pages": 1, "network_errors": 1})

    reporter = SimpleNamespace(server=redis_client, keys=keys, spider=SimpleNamespace(platform="weibo"))
    progress = {p.account_id: (p.status, str(p.message), p.posts) for p in RedisWorker.job_progress(reporter)}
    assert progress == {"1000": ("ok", "", 15),
                        "1001": ("partial", "paging stopped before the period's edge", 20),
                        "1002": ("partial", "paging stopped before the period's edge", 10),
                        "1003": ("failed", "nothing could be fetched: request failed: DNS lookup failed", 0)}


def test_a_recrawled_account_is_paged_afresh_on_every_worker(redis_client, keys):
    """The spider's local "already handled" ids hold for one attempt only: with the first attempt's ids, a worker
    that had parsed the account's first page took its re-crawl's first page for a repeat and stopped there."""
    from scrapy import Request, Spider
    from scrapy.utils.test import get_crawler

    enqueue_job(redis_client, keys, accounts(2), ("2026-07-01", "2026-09-30"))
    spider = Spider("weibo")
    worker = RedisWorker(get_crawler(Spider), spider, redis_client, keys)
    worker.open()
    worker.hold(Request("https://m.weibo.cn/1", meta={"account_id": "1000"}))  # popped from the queue
    spider.seen.setdefault("1000", set()).update({"p1", "p2"})
    spider.seen.setdefault("1001", set()).add("q1")
    worker.held.clear()
    worker.busy = False  # released at a checkpoint: idle in Redis, so SETTLE may run
    redis_client.hset(keys.account("1000"), "attempt", 2)  # ... and crawls the account again (a dead worker)
    worker.hold(Request("https://m.weibo.cn/2", meta={"account_id": "1000"}))  # the re-crawl's first page
    assert spider.seen.get("1000", set()) == set()
    assert spider.seen.get("1001", set()) == {"q1"}
    worker.loop.stop()  # its heartbeat: no reactor runs here


def test_a_worker_taken_for_dead_says_so(redis_client, keys):
    """A stall longer than DISTRIBUTED_WORKER_TTL: SETTLE drops the worker, which beats again later. Its accounts
    may be crawled again meanwhile: the run must say so (a stat and a warning), not pass it in silence."""
    from scrapy import Spider
    from scrapy.utils.test import get_crawler

    enqueue_job(redis_client, keys, accounts(1), ("2026-07-01", "2026-09-30"))
    crawler = get_crawler(Spider)
    worker = RedisWorker(crawler, Spider("weibo"), redis_client, keys)
    worker.open()
    worker.loop.stop()  # no reactor runs here: beat by hand
    worker.heartbeat()
    assert crawler.stats.get_value("distributed/declared_dead") is None
    redis_client.hdel(keys.workers, worker.id)  # what SETTLE does once its heartbeat key expired
    worker.heartbeat()
    assert crawler.stats.get_value("distributed/declared_dead") == 1


def test_secrets_never_reach_the_queue(redis_client, keys):
    from scrapy import Request, Spider
    from scrapy.utils.test import get_crawler

    PriorityQueue = pytest.importorskip("scrapy_redis.queue").PriorityQueue

    crawler = get_crawler(Spider)
    spider = Spider("weibo")
    scheduler = DistributedScheduler(crawler, redis_client)
    scheduler.keys = keys
    scheduler.queue = PriorityQueue(server=redis_client, spider=spider, key=keys.requests)
    request = Request("https://m.weibo.cn/x", headers={"Cookie": "SUB=SECRET-42", "Authorization": "Bearer SECRET-43"},
                      meta={"account_id": "1000"})
    scheduler.push(request, "1000")
    members = redis_client.zrange(keys.requests, 0, -1)
    assert len(members) == 1 and b"SECRET-4" not in members[0]
    assert redis_client.hget(keys.account("1000"), "open") == b"1"


# ------------------------------------------------------------------------------------- incremental re-crawls

NOW = datetime(2026, 11, 26, 12, 0, tzinfo=UTC)
PERIOD_START = datetime(2026, 8, 26, 16, 0, tzinfo=UTC)


@pytest.mark.parametrize(("covered_until", "expected"), [
    (None, PERIOD_START),  # no complete crawl of the older posts: the whole period
    (NOW - timedelta(days=1), NOW - timedelta(days=14)),  # crawled yesterday: re-read the window
    (NOW - timedelta(days=30), NOW - timedelta(days=30)),  # crawled a month ago: read back to that crawl
    (PERIOD_START - timedelta(days=5), PERIOD_START),  # that crawl ended before this period: all of it
])
def test_incremental_floor(covered_until, expected):
    assert incremental_floor(PERIOD_START, NOW, 14, covered_until) == expected


def test_store_coverage_counts_only_complete_crawls_of_the_period(sqlite_store):
    store = sqlite_store
    url = store.url
    ok_row = {"platform": "weibo", "role": "peer", "label": "x", "status": "ok", "message": "", "posts": 1,
              "pages": 1}

    def run(run_id: str, period: tuple[str, str], accounts: dict[str, str], stats: dict | None = None) -> None:
        store.start_run(run_id, "weibo", period)
        store.finish_run(run_id, "finished", stats or {},
                         [{**ok_row, "account_id": a, "status": s} for a, s in accounts.items()])

    run("q4", ("2026-10-01", "2026-12-31"), {"a": "ok", "b": "partial"})
    run("job", ("2026-10-01", "2026-12-31"), {"c": "ok"}, {"benchmark/crawl_started_at": "2026-11-01T00:00:00+00:00"})
    run("later", ("2026-11-01", "2026-12-31"), {"d": "ok"})  # began after the period start: not enough
    run("q3", ("2026-07-01", "2026-09-30"), {"e": "ok"})
    store.start_run("killed", "weibo", ("2026-10-01", "2026-12-31"))  # never finished
    covered = store_coverage(url, "weibo", "2026-10-01", ZoneInfo("Asia/Shanghai"))
    store.close()
    assert set(covered) == {"a", "c", "e"}
    assert datetime.now(UTC) - covered["a"] < timedelta(minutes=5)  # crawled just now
    assert covered["c"] == datetime(2026, 11, 1, tzinfo=UTC)  # a distributed job counts from its creation
    assert covered["e"] == datetime(2026, 9, 30, 16, 0, tzinfo=UTC)  # capped at the end of its period (local)


INCREMENTAL_ACCOUNTS = ("3000000001", "3000000002", "3000000003")


def test_an_incremental_recrawl_reads_new_posts_and_refreshes_the_window_only(tmp_path):
    # The panel's "now" is now: the refresh window is measured from the crawl time, as in production.
    anchor = datetime.now(UTC).replace(microsecond=0)
    spec = {"seed": 3, "anchor": anchor.isoformat(), "accounts": [
        {"platform": "weibo", "id": account_id, "role": "peer", "label": account_id, "posts": 40, "older_posts": 2}
        for account_id in INCREMENTAL_ACCOUNTS]}
    panel = Panel.from_spec(spec)
    config = write_panel_config(tmp_path, panel)
    db_url = sqlite_url(tmp_path / "db.sqlite3")
    new, refreshed_fully = INCREMENTAL_ACCOUNTS[0], INCREMENTAL_ACCOUNTS[2]
    with run_server_subprocess(spec, seed=None, anchor=anchor.isoformat()) as (url, _process):
        settings = crawl_settings(url, db_url, config, INCREMENTAL_CRAWL="True", REFRESH_WINDOW_DAYS="14")
        assert start_worker(settings, log_path=tmp_path / "first.log").wait(timeout=120) == 0
        newest = forget_newest_posts(db_url, new, 2)  # as if posted after the first crawl
        engine = create_engine(db_url)
        with engine.begin() as conn:  # as if the first crawl of this account had failed half-way
            conn.execute(update(crawl_accounts).where(crawl_accounts.c.account_id == refreshed_fully)
                         .values(status="partial"))
        engine.dispose()
        assert start_worker(settings, log_path=tmp_path / "second.log").wait(timeout=120) == 0

    expected = expected_posts(panel)
    stored = {r["post_id"] for r in rows(db_url, "select post_id from posts")}
    assert stored == expected and set(newest) <= stored
    first, second = run_stats(db_url)
    assert second["downloader/request_count"] < first["downloader/request_count"]
    window_start = anchor - timedelta(days=14) + timedelta(minutes=10)  # the crawls ran a little after the anchor
    second_run = rows(db_url, "select run_id from crawl_runs order by started_at")[1]["run_id"]
    for account_id in INCREMENTAL_ACCOUNTS:
        posted = {p.id: p.created_at for p in panel.posts_by_account[("weibo", account_id)] if panel.in_period(p)}
        refreshed = refreshed_ids(db_url, second_run, account_id)
        young = {pid for pid, when in posted.items() if when >= window_start}
        assert young <= refreshed, account_id  # new posts and counts that still move: always re-read
        oldest = min(posted, key=posted.get)
        if account_id == refreshed_fully:
            assert refreshed == set(posted)  # no complete earlier crawl: the whole period again
        else:
            assert oldest not in refreshed  # stored by the complete first crawl: not re-read


def forget_newest_posts(db_url: str, account_id: str, n: int) -> list[str]:
    engine = create_engine(db_url)
    try:
        with engine.begin() as conn:
            ids = conn.execute(select(posts.c.post_id).where(posts.c.account_id == account_id)
                               .order_by(posts.c.created_at.desc()).limit(n)).scalars().all()
            conn.execute(delete(posts).where(posts.c.post_id.in_(ids)))
            conn.execute(delete(post_snapshots).where(post_snapshots.c.post_id.in_(ids)))
    finally:
        engine.dispose()
    return list(ids)


def refreshed_ids(db_url: str, run_id: str, account_id: str) -> set[str]:
    engine = create_engine(db_url)
    try:
        with engine.connect() as conn:
            query = (select(post_snapshots.c.post_id)
                     .join(posts, (posts.c.platform == post_snapshots.c.platform)
                           & (posts.c.post_id == post_snapshots.c.post_id))
                     .where(post_snapshots.c.run_id == run_id, posts.c.account_id == account_id))
            return set(conn.execute(query).scalars())
    finally:
        engine.dispose()
