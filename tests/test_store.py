"""The store: upserts keep first_seen, refresh counts, add one snapshot per run, never duplicate."""

from __future__ import annotations

import os
import stat
from dataclasses import asdict
from datetime import UTC, datetime

from sqlalchemy import select

from benchmark.items import Account, Post
from benchmark.store import Store, account_snapshots, crawl_accounts, crawl_runs, post_snapshots, posts

T0 = datetime(2026, 8, 1, 4, 0, tzinfo=UTC)


def post(post_id: str, likes: int = 1) -> dict:
    return asdict(Post(platform="weibo", post_id=post_id, account_id="100001", created_at=T0, likes=likes,
                       comments=2, reposts=3, hashtags=["新品"], text="你好"))


def account(followers: int) -> dict:
    return asdict(Account(platform="weibo", account_id="100001", name="Brand", followers=followers))


def test_crawling_twice_adds_snapshots_and_nothing_else(tmp_path):
    store = Store(f"sqlite:///{tmp_path}/db.sqlite3")
    store.write_batch("run1", account_rows=[account(100)], post_rows=[post("1"), post("2")])
    with store.engine.connect() as conn:
        first_seen = conn.execute(select(posts.c.first_seen).where(posts.c.post_id == "1")).scalar_one()
    store.write_batch("run2", account_rows=[account(120)], post_rows=[post("1", likes=50), post("2")])

    assert store.count("posts") == 2
    assert store.count("accounts") == 1
    assert store.count("post_snapshots") == 4
    assert store.count("account_snapshots") == 2
    with store.engine.connect() as conn:
        row = conn.execute(select(posts).where(posts.c.post_id == "1")).mappings().one()
        followers = conn.execute(select(account_snapshots.c.followers).order_by(account_snapshots.c.id)).scalars()
        assert list(followers) == [100, 120]
        likes = conn.execute(select(post_snapshots.c.likes).where(post_snapshots.c.post_id == "1")
                             .order_by(post_snapshots.c.id)).scalars()
        assert list(likes) == [1, 50]
    assert row["likes"] == 50  # counts refreshed
    assert row["first_seen"] == first_seen  # first_seen kept
    assert row["last_seen"] >= first_seen
    assert row["hashtags"] == ["新品"]
    assert row["created_at"] == datetime(2026, 8, 1, 4, 0)  # stored as naive UTC


def test_same_post_twice_in_one_run_is_one_row_and_one_snapshot(tmp_path):
    store = Store(f"sqlite:///{tmp_path}/db.sqlite3")
    store.write_batch("run1", post_rows=[post("1", likes=1), post("1", likes=2)])
    store.write_batch("run1", post_rows=[post("1", likes=3)])
    assert store.count("posts") == 1
    assert store.count("post_snapshots") == 1


def test_run_and_account_status_rows(tmp_path):
    store = Store(f"sqlite:///{tmp_path}/db.sqlite3")
    store.start_run("run1", "weibo", ("2026-07-01", "2026-09-30"))
    store.finish_run("run1", "finished", {"item_scraped_count": 3, "start_time": T0, "odd": object()},
                     [{"platform": "weibo", "account_id": "100001", "role": "own", "label": "B",
                       "status": "login_wall", "message": "set WEIBO_COOKIE", "posts": 0, "pages": 0}])
    with store.engine.connect() as conn:
        run = conn.execute(select(crawl_runs)).mappings().one()
        status = conn.execute(select(crawl_accounts)).mappings().one()
    assert run["finish_reason"] == "finished" and run["stats"]["item_scraped_count"] == 3
    assert run["stats"]["start_time"] == T0.isoformat()
    assert status["status"] == "login_wall" and status["run_id"] == "run1"


def test_database_file_is_user_only(tmp_path):
    path = tmp_path / "sub" / "db.sqlite3"
    Store(f"sqlite:///{path}").write_batch("r", post_rows=[post("1")])
    assert stat.S_IMODE(os.stat(path).st_mode) == 0o600
    for suffix in ("-wal", "-shm"):
        extra = path.with_name(path.name + suffix)
        if extra.exists():
            assert stat.S_IMODE(os.stat(extra).st_mode) & 0o077 == 0


def test_known_post_ids(tmp_path):
    store = Store(f"sqlite:///{tmp_path}/db.sqlite3")
    store.write_batch("run1", post_rows=[post("1"), post("2")])
    assert store.known_post_ids("weibo", "100001") == {"1", "2"}
    assert store.known_post_ids("weibo", "other") == set()
