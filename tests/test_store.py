"""SQLite-only store behaviour. The store's contract (upserts, snapshots, runs) is tested on SQLite and on
PostgreSQL alike in tests/test_store_backends.py."""

from __future__ import annotations

import os
import stat
from dataclasses import asdict
from datetime import UTC, datetime

from benchmark.items import Post
from benchmark.store import Store

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
