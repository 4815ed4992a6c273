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
