"""Store upserts per second into SQLite: 100,000 posts in batches of BENCHMARK_DB_BATCH, then the same
100,000 again (the re-crawl path: every row conflicts and is updated). Target: at least 20,000 per second.

    python bench/store_upserts.py [--posts 100000] [--batch 500]
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from dataclasses import asdict, fields
from datetime import UTC, datetime, timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from benchmark.items import Post
from benchmark.store import Store


def make_rows(n: int) -> list[dict]:
    start = datetime(2026, 7, 1, tzinfo=UTC)
    names = [f.name for f in fields(Post)]
    template = asdict(Post(platform="weibo", post_id="0", account_id="0", created_at=start,
                           text="新品上市，限时优惠！#新品# @好友 https://t.cn/abc", hashtags=["新品"],
                           mentions=["好友"], links=["https://t.cn/abc"], likes=10, comments=2, reposts=1))
    rows = []
    for i in range(n):
        row = dict(template)
        row.update(post_id=str(4_800_000_000_000_000 + i), account_id=str(1_000_000 + i % 50),
                   created_at=start + timedelta(minutes=i), likes=i % 977)
        rows.append(row)
    assert list(rows[0]) == names
    return rows


def timed_load(store: Store, run_id: str, rows: list[dict], batch: int) -> float:
    began = time.perf_counter()
    for i in range(0, len(rows), batch):
        store.write_batch(run_id, post_rows=rows[i : i + batch])
    return time.perf_counter() - began


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--posts", type=int, default=100_000)
    parser.add_argument("--batch", type=int, default=500)
    args = parser.parse_args()
    rows = make_rows(args.posts)
    with tempfile.TemporaryDirectory() as tmp:
        store = Store(f"sqlite:///{tmp}/bench.sqlite3")
        first = timed_load(store, "run1", rows, args.batch)
        second = timed_load(store, "run2", rows, args.batch)
        assert store.count("posts") == args.posts
        assert store.count("post_snapshots") == 2 * args.posts
    print(f"posts: {args.posts:,}  batch: {args.batch}")
    print(f"first crawl (inserts):     {first:6.2f} s  {args.posts / first:10,.0f} upserts/s")
    print(f"second crawl (conflicts):  {second:6.2f} s  {args.posts / second:10,.0f} upserts/s")
    print("target: >= 20,000 upserts/s (each upsert also writes its post_snapshots row)")


if __name__ == "__main__":
    main()
