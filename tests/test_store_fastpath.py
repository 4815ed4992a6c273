"""The fast write path (issue 19: SQL compiled once, positional tuples from generated functions, orjson) stores
the very bytes the SQLAlchemy Core path stored: the same rows are written both ways into two SQLite files and
SQLite's `quote()` of every column of every table is compared."""

from __future__ import annotations

import sqlite3
from dataclasses import asdict
from datetime import UTC, datetime, timedelta, timezone
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy.dialects.sqlite import insert

import benchmark.store.write as store_write
from benchmark.items import Account, Comment, Post
from benchmark.store import Store, account_snapshots, accounts, comments, post_snapshots, posts, utc_naive

NOW = datetime(2026, 9, 1, 12, 0, 0, 123456)  # the batch's write time, as utcnow() gives it (naive UTC)
T0 = datetime(2026, 8, 1, 4, 0, tzinfo=UTC)
KEYS = {"accounts": ("platform", "account_id"), "posts": ("platform", "post_id"),
        "comments": ("platform", "comment_id")}
SNAPSHOTS = {"accounts": (account_snapshots, "account_id", ("followers", "following", "posts_count")),
             "posts": (post_snapshots, "post_id", ("likes", "comments", "reposts", "quotes", "views"))}


def sample_rows() -> dict[str, list[dict[str, Any]]]:
    """Every kind of value the fast path handles inline or hands to a converter."""
    shanghai = timezone(timedelta(hours=8))
    post_rows = [
        asdict(Post(platform="weibo", post_id="1", account_id="100001", created_at=T0, text="新品上市 #新品#",
                    hashtags=["新品"], mentions=["好友"], links=["https://t.cn/a"], likes=10, comments=2,
                    reposts=1, views=2**40, crawled_at=T0 + timedelta(microseconds=7))),
        asdict(Post(platform="weibo", post_id="2", account_id="100001", created_at=datetime(2026, 8, 2, 9, 30,
                    tzinfo=shanghai), date_only=True, url=None, text="a\ud800b\x00c", pinned=True,
                    extra={"n": 1, "k": ["新"], "big": 10**30}, source_client="iPhone客户端")),
        asdict(Post(platform="bluesky", post_id="at://did:plc:x/app.bsky.feed.post/3", account_id="did:plc:x",
                    created_at=datetime(2026, 8, 3, 1, 2, 3), kind="quote", format="image", media_count=4,
                    counts_are_lower_bounds=True, ref_post_id="at://y", ref_author_is_organization=False,
                    ref_author_followers=0, likes=0)),
    ]
    account_rows = [
        asdict(Account(platform="weibo", account_id="100001", handle="品牌", name="Brand", followers=123,
                       following=4, posts_count=5, is_organization=True, verified=True, extra={"v": [1, 2]},
                       crawled_at=T0)),
        asdict(Account(platform="bluesky", account_id="did:plc:x", description="x" * 120_000)),
    ]
    comment_rows = [
        asdict(Comment(platform="weibo", comment_id="c1", post_id="1", author_id="anon:0a", text="好！",
                       created_at=T0, likes=3, is_by_post_author=False, extra={"reply": None})),
        asdict(Comment(platform="weibo", comment_id="c2", post_id="1", parent_comment_id="c1", text="")),
    ]
    return {"accounts": account_rows, "posts": post_rows, "comments": comment_rows}


def clean(value: Any) -> Any:
    """What the store makes of a text before either path binds it (issue 14): surrogates, NULs, length."""
    if isinstance(value, str):
        return value.replace("\ud800", "\ufffd").replace("\x00", "")[:100_000]
    return value


def reference_rows(table: Any, rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
    out = []
    for row in rows:
        values = {name: clean(value) for name, value in row.items()}
        for column in table.columns:
            if column.name in ("created_at", "crawled_at"):
                values[column.name] = utc_naive(values.get(column.name)) or (NOW if column.name == "crawled_at"
                                                                              else None)
        if table is posts:
            values["extra"] = {**values["extra"], "big": str(10**30)} if "big" in values["extra"] else values["extra"]
        out.append({**values, "first_seen": NOW, "last_seen": NOW})
    return out


def write_through_core(url: str, run_id: str, rows: dict[str, list[dict[str, Any]]]) -> None:
    """The previous write path: SQLAlchemy Core insert … on conflict do update, SQLAlchemy's own parameter
    processing (DATETIME, JSON through the engine's serializer)."""
    store = Store(url)
    with store.engine.begin() as conn:
        for name, table in (("accounts", accounts), ("posts", posts), ("comments", comments)):
            prepared = reference_rows(table, rows[name])
            statement = insert(table)
            statement = statement.on_conflict_do_update(
                index_elements=list(KEYS[name]),
                set_={c.name: statement.excluded[c.name] for c in table.columns
                      if c.name not in (*KEYS[name], "first_seen")})
            conn.execute(statement, prepared)
            if name in SNAPSHOTS:
                snapshot, key, counts = SNAPSHOTS[name]
                conn.execute(insert(snapshot), [
                    {"run_id": run_id, "platform": r["platform"], key: r[key], "crawled_at": r["crawled_at"],
                     **{k: r[k] for k in counts}} for r in prepared])
    store.close()


def dump(path: Path) -> dict[str, list[tuple]]:
    """SQLite's quote() of every column of every written table: the stored bytes, typed."""
    out = {}
    with sqlite3.connect(path) as conn:
        for table in ("accounts", "posts", "comments", "account_snapshots", "post_snapshots"):
            names = [row[1] for row in conn.execute(f"PRAGMA table_info({table})")]
            columns = ", ".join(f"quote({name})" for name in names)
            out[table] = conn.execute(f"SELECT {columns} FROM {table} ORDER BY 1, 2, 3").fetchall()
    return out


def test_fast_path_rows_are_byte_identical_to_sqlalchemy_core_rows(tmp_path, monkeypatch):
    monkeypatch.setattr(store_write, "utcnow", lambda: NOW)
    rows = sample_rows()
    fast = Store(f"sqlite:///{tmp_path}/fast.sqlite3")
    result = fast.write_batch("run1", account_rows=rows["accounts"], post_rows=rows["posts"],
                              comment_rows=rows["comments"])
    fast.close()
    assert result.refused == [] and result.stored == 7
    write_through_core(f"sqlite:///{tmp_path}/core.sqlite3", "run1", rows)
    left, right = dump(tmp_path / "fast.sqlite3"), dump(tmp_path / "core.sqlite3")
    for table in left:
        assert len(left[table]) == len(right[table]) > 0, table
        assert left[table] == right[table], table


@pytest.mark.parametrize(("value", "stored"), [
    (datetime(2026, 8, 1, 4, 0, tzinfo=UTC), "'2026-08-01 04:00:00.000000'"),
    (datetime(2026, 8, 1, 12, 0, 0, 5, tzinfo=timezone(timedelta(hours=8))), "'2026-08-01 04:00:00.000005'"),
    (datetime(2026, 8, 1, 4, 0), "'2026-08-01 04:00:00.000000'"),
    (datetime(999, 1, 2, 3, 4, 5, 60, tzinfo=UTC), "'0999-01-02 03:04:05.000060'"),
])
def test_times_are_stored_as_sqlalchemys_sqlite_datetime_text(tmp_path, value, stored):
    """A frozen expectation, independent of SQLAlchemy's version: naive UTC, a space, six decimals."""
    store = Store(f"sqlite:///{tmp_path}/db.sqlite3")
    store.write_batch("r", post_rows=[asdict(Post(platform="weibo", post_id="1", account_id="a", created_at=value))])
    store.close()
    with sqlite3.connect(tmp_path / "db.sqlite3") as conn:
        assert conn.execute("SELECT quote(created_at) FROM posts").fetchone()[0] == stored


def test_json_is_stored_compact_utf8_in_the_items_order(tmp_path):
    """A frozen expectation: both paths share the engine's serializer, so only this pins its format."""
    row = asdict(Post(platform="weibo", post_id="1", account_id="a", created_at=T0, hashtags=["新品", "b"],
                      extra={"n": 1, "k": ["新"], "big": 10**30}))
    store = Store(f"sqlite:///{tmp_path}/db.sqlite3")
    store.write_batch("r", post_rows=[row])
    store.close()
    with sqlite3.connect(tmp_path / "db.sqlite3") as conn:
        found = conn.execute("SELECT quote(hashtags), quote(mentions), quote(extra) FROM posts").fetchone()
    assert found == ("'[\"新品\",\"b\"]'", "'[]'", "'{\"n\":1,\"k\":[\"新\"],\"big\":\"" + str(10**30) + "\"}'")
