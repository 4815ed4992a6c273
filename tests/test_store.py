"""SQLite-only store behaviour. The store's contract (upserts, snapshots, runs) is tested on SQLite and on
PostgreSQL alike in tests/test_store_backends.py."""

from __future__ import annotations

import os
import stat
from dataclasses import asdict
from datetime import UTC, datetime

import pytest

from benchmark.items import Post
from benchmark.store import Store
from tests.toolkit.factories import stored_post_ids

T0 = datetime(2026, 8, 1, 4, 0, tzinfo=UTC)


def post(post_id: str) -> dict:
    return asdict(Post(platform="weibo", post_id=post_id, account_id="100001", created_at=T0, likes=1))


def test_database_file_is_user_only(tmp_path):
    path = tmp_path / "sub" / "db.sqlite3"
    Store(f"sqlite:///{path}").write_batch("r", post_rows=[post("1")])
    assert stat.S_IMODE(os.stat(path).st_mode) == 0o600
    for suffix in ("-wal", "-shm"):
        extra = path.with_name(path.name + suffix)
        if extra.exists():
            assert stat.S_IMODE(os.stat(extra).st_mode) & 0o077 == 0


def first_version_store(path) -> str:
    """A store as the first version left it: no crawl_accounts.message_i18n, and a fan's Bluesky handle kept
    beside the pseudonym of the fan a reply answers."""
    import sqlite3

    url = f"sqlite:///{path}"
    store = Store(url)
    store.write_batch("r1", post_rows=[
        {**asdict(Post(platform="bluesky", post_id="b1", account_id="did:plc:brand", created_at=T0, kind="reply",
                       reply_to_author_id="anon:0123456789abcdef")),
         "extra": {"reply_to_handle": "fan.bsky.social", "reply_to_post_id": "at://x"}},
        {**asdict(Post(platform="bluesky", post_id="b2", account_id="did:plc:brand", created_at=T0, kind="reply",
                       reply_to_author_id="did:plc:brand")), "extra": {"reply_to_handle": "brand.bsky.social"}},
    ])
    store.start_run("r1", "weibo", ("2026-07-01", "2026-09-30"))
    store.finish_run("r1", "finished", {}, [{"platform": "weibo", "account_id": "100001", "status": "partial",
                                             "message": "broken page (malformed_json)", "posts": 1, "pages": 1}])
    store.close()
    with sqlite3.connect(path) as conn:
        conn.execute("ALTER TABLE crawl_accounts DROP COLUMN message_i18n")
        conn.execute("DROP TABLE schema_version")  # the first version did not record its schema version
    return url


def test_a_first_version_store_is_read_as_it_is_and_upgraded_by_the_next_crawl(tmp_path):
    import sqlite3

    from benchmark.config import AccountConfig, BenchmarkConfig
    from benchmark.metrics.load import load_panel, open_store

    path = tmp_path / "old.sqlite3"
    url = first_version_store(path)
    config = BenchmarkConfig(path=tmp_path / "b.toml", name="q3", period_start=T0.date(), period_end=T0.date(),
                             timezone="Asia/Shanghai", language=None,
                             accounts=[AccountConfig("weibo", "100001", "own", "Brand")])
    status = load_panel(open_store(url), config).crawl_status  # the report reads it without altering it
    assert status["message"].tolist() == ["broken page (malformed_json)"] and status["message_i18n"].isna().all()
    with sqlite3.connect(path) as conn:
        assert "message_i18n" not in {row[1] for row in conn.execute("PRAGMA table_info(crawl_accounts)")}
    Store(url).close()  # what the next crawl does first
    with sqlite3.connect(path) as conn:
        assert "message_i18n" in {row[1] for row in conn.execute("PRAGMA table_info(crawl_accounts)")}
        extras = dict(conn.execute("SELECT post_id, extra FROM posts"))
    assert "fan.bsky.social" not in extras["b1"] and "at://x" in extras["b1"]  # the fan's handle is gone
    assert "brand.bsky.social" in extras["b2"]  # not a fan: kept


def test_two_crawls_upgrading_one_store_at_once_do_not_fail(tmp_path):
    """Both look, both see the column missing, both ALTER: the second finds it there and goes on."""
    from sqlalchemy import create_engine

    from benchmark.store import _add_column, crawl_accounts

    url = first_version_store(tmp_path / "old.sqlite3")
    engine = create_engine(url)
    with engine.begin() as conn:
        assert _add_column(conn, crawl_accounts, crawl_accounts.c.message_i18n) is True
    with engine.begin() as conn:
        assert _add_column(conn, crawl_accounts, crawl_accounts.c.message_i18n) is False
    engine.dispose()


# ------------------------------------------------------------------ the store pipeline (issue 14, item 1)


def make_pipeline(tmp_path, batch: int = 3):
    from scrapy import Spider
    from scrapy.utils.test import get_crawler

    from benchmark import signals as benchmark_signals
    from benchmark.pipelines import StorePipeline
    from benchmark.tracker import AccountTracker

    crawler = get_crawler(Spider, {"BENCHMARK_DB": f"sqlite:///{tmp_path}/db.sqlite3", "BENCHMARK_DB_BATCH": batch})
    spider = Spider("mastodon")
    spider.tracker = AccountTracker()
    for account_id in ("a@x.example", "b@x.example"):
        spider.tracker.add("mastodon", account_id, "peer", account_id)
    crawler.spider = spider
    heard: dict[str, list] = {"committed": [], "refused": []}
    crawler.signals.connect(lambda accounts: heard["committed"].append(accounts),
                            signal=benchmark_signals.batch_committed, weak=False)
    crawler.signals.connect(lambda refused: heard["refused"].extend(refused),
                            signal=benchmark_signals.rows_refused, weak=False)
    pipeline = StorePipeline.from_crawler(crawler)
    pipeline.open_spider(spider)
    return pipeline, crawler, spider, heard


def mastodon_post(post_id: str, account_id: str = "a@x.example", **changes) -> Post:
    return Post(platform="mastodon", post_id=post_id, account_id=account_id, created_at=T0, **{"likes": 1, **changes})


def test_one_unstorable_post_costs_only_itself_and_marks_its_account_partial(tmp_path, caplog):
    pipeline, crawler, spider, heard = make_pipeline(tmp_path)
    items = [mastodon_post("1"), mastodon_post("2", text="secret words", likes=10**30), mastodon_post("3"),
             mastodon_post("4", account_id="b@x.example"), mastodon_post("5"), mastodon_post("6", views=1e308),
             mastodon_post("7", account_id="b@x.example")]
    for item in items:
        pipeline.process_item(item, spider)
    pipeline.close_spider(spider)

    assert stored_post_ids(pipeline.store, "mastodon", "a@x.example") == {"1", "3", "5"}
    assert stored_post_ids(pipeline.store, "mastodon", "b@x.example") == {"4", "7"}
    assert all(not buffer for buffer in pipeline.buffers.values())
    assert crawler.stats.get_value("store/refused/number_out_of_range") == 2
    progress = spider.tracker.get("mastodon", "a@x.example")
    assert progress.status == "partial" and "not stored" in progress.message
    assert progress.message.translate("zh") != str(progress.message)  # the reason has its Chinese words
    assert spider.tracker.get("mastodon", "b@x.example").status == "ok"
    assert heard["refused"] == [("mastodon", "a@x.example", "number_out_of_range")] * 2
    assert set().union(*heard["committed"]) == {("mastodon", "a@x.example"), ("mastodon", "b@x.example")}
    warnings = [r.getMessage() for r in caplog.records if "refused" in r.getMessage()]
    assert len(warnings) == 2 and not any("secret words" in w for w in warnings)


def test_a_failed_final_flush_leaves_its_accounts_partial_in_crawl_accounts(tmp_path):
    pipeline, crawler, spider, heard = make_pipeline(tmp_path, batch=500)
    pipeline.process_item(mastodon_post("1"), spider)

    def down(*args, **kwargs):
        raise OSError("disk full")

    pipeline.store.write_batch = down
    pipeline.close_spider(spider)  # must not raise, must not keep the batch
    assert all(not buffer for buffer in pipeline.buffers.values())
    assert crawler.stats.get_value("store/refused/store_error") == 1
    assert heard["committed"] == []  # nothing was committed: no checkpoint may count it
    assert pipeline.lost_accounts == {("mastodon", "a@x.example")}
    url = pipeline.url
    pipeline.spider_closed(spider, "finished")
    import sqlite3

    with sqlite3.connect(url.removeprefix("sqlite:///")) as conn:
        statuses = dict(conn.execute("SELECT account_id, status FROM crawl_accounts"))
    assert statuses == {"a@x.example": "partial", "b@x.example": "ok"}


@pytest.mark.slow
def test_a_crawl_with_one_poisoned_post_stores_all_the_others(tmp_path):
    """End to end: a real `scrapy crawl mastodon` against the sample server, one status of one account with
    `favourites_count` 10**30. Before: the batch stayed in the buffer, every later write failed, 0 posts, exit 0."""
    from benchmark.sample.panel import Panel, panel_config_toml
    from benchmark.sample.server import start_server
    from tests.crawl_helpers import run_crawl

    spec = {"seed": 4, "anchor": "2026-11-26T12:00:00+08:00", "period": {"start": "2026-09-01", "end": "2026-11-25"},
            "accounts": [{"platform": "mastodon", "id": "brand@mastodon.example", "posts": 40},
                         {"platform": "mastodon", "id": "peer@mastodon.example", "posts": 40}]}
    panel = Panel.from_spec(spec)
    poisoned = panel.posts("mastodon", "brand@mastodon.example")[5]
    poisoned.likes = 10**30
    config = tmp_path / "benchmark.toml"
    config.write_text(panel_config_toml(panel), encoding="utf-8")
    server = start_server(panel)
    try:
        result = run_crawl("mastodon", base_url=server.url, db_path=tmp_path / "db.sqlite3", config_path=config,
                           settings={"BENCHMARK_DB_BATCH": "7"})
    finally:
        server.stop()

    assert result.returncode == 3, result.stderr[-3000:]
    stored = {(r["account_id"], r["id"]) for r in
              result.rows("SELECT account_id, json_extract(extra, '$.id') AS id FROM posts")}
    expected = {(a.id, p.id) for a in panel.accounts for p in panel.posts(a.platform, a.id)
                if panel.in_period(p) and p is not poisoned}
    assert stored == expected
    statuses = {r["account_id"]: r["status"] for r in result.rows("SELECT account_id, status FROM crawl_accounts")}
    assert statuses == {"brand@mastodon.example": "partial", "peer@mastodon.example": "ok"}
    assert "'store/refused/number_out_of_range': 1" in result.stderr
