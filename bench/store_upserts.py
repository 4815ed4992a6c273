"""Store upserts per second: 100,000 posts in batches of BENCHMARK_DB_BATCH, then the same 100,000 again (the
re-crawl path: every row conflicts and is updated); each upsert also writes its `post_snapshots` row.
Target (issue 19): at least 50,000 per second on SQLite. Each run is a child process (a fresh store, both crawls);
every figure is the median of --runs runs with its min–max, wall clock and CPU (upserts per CPU-second of the
child), the child's peak memory (VmHWM) and the load average before and after each run.

    python bench/store_upserts.py [--posts 100000] [--batch 500] [--runs 3]
    python bench/store_upserts.py --db postgresql+psycopg://user@host:port/postgres   # a fresh database per run
    python bench/store_upserts.py --check      # rows of the fast path == rows of SQLAlchemy Core, byte for byte
"""

from __future__ import annotations

import argparse
import contextlib
import json
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from dataclasses import asdict, fields
from datetime import UTC, datetime, timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from benchmark.items import Post
from benchmark.store import Store


def make_rows(n: int, crawled_at: datetime | None = None) -> list[dict]:
    start = datetime(2026, 7, 1, tzinfo=UTC)
    names = [f.name for f in fields(Post)]
    template = asdict(Post(platform="weibo", post_id="0", account_id="0", created_at=start,
                           text="新品上市，限时优惠！#新品# @好友 https://t.cn/abc", hashtags=["新品"],
                           mentions=["好友"], links=["https://t.cn/abc"], likes=10, comments=2, reposts=1,
                           crawled_at=crawled_at))
    rows = []
    for i in range(n):
        row = dict(template)
        row.update(post_id=str(4_800_000_000_000_000 + i), account_id=str(1_000_000 + i % 50),
                   created_at=start + timedelta(minutes=i), likes=i % 977)
        rows.append(row)
    assert list(rows[0]) == names
    return rows


def timed_load(store: Store, run_id: str, rows: list[dict], batch: int) -> tuple[float, float]:
    """(wall seconds, CPU seconds of this process) to write `rows` in batches."""
    wall, cpu = time.perf_counter(), time.process_time()
    for i in range(0, len(rows), batch):
        result = store.write_batch(run_id, post_rows=rows[i : i + batch])
        assert not result.refused
    return time.perf_counter() - wall, time.process_time() - cpu


@contextlib.contextmanager
def fresh_store(pg_server: str | None) -> Iterator[str]:
    if pg_server:
        from bench.distributed import fresh_database

        with fresh_database(pg_server) as url:
            yield url
        return
    with tempfile.TemporaryDirectory() as tmp:
        yield f"sqlite:///{tmp}/bench.sqlite3"


def loadavg() -> str:
    try:
        return Path("/proc/loadavg").read_text().split()[0]
    except OSError:
        return "?"


def summary(label: str, posts: int, seconds: list[float]) -> str:
    rates = sorted(posts / s for s in seconds)
    return f"{label}: {statistics.median(rates):8,.0f} /s  [{rates[0]:,.0f}–{rates[-1]:,.0f}]"


def check(posts: int, batch: int) -> None:
    """Write the same rows through the fast path and through SQLAlchemy Core (insert … on conflict do update,
    the previous write path, same engine): every stored byte must be the same, apart from the write times."""
    from sqlalchemy.dialects.sqlite import insert

    from benchmark.store import post_snapshots, utc_naive
    from benchmark.store import posts as posts_table

    fixed = datetime(2026, 8, 2, 3, 4, 5, 678901, tzinfo=UTC)
    rows = make_rows(posts, crawled_at=fixed)
    rows[1].update(text="a\ud800b", hashtags=[], extra={"n": 1, "k": ["新"]}, views=7, pinned=True, url=None)
    with tempfile.TemporaryDirectory() as tmp:
        fast = Store(f"sqlite:///{tmp}/fast.sqlite3")
        for i in range(0, len(rows), batch):
            fast.write_batch("r1", post_rows=rows[i : i + batch])
        reference = Store(f"sqlite:///{tmp}/reference.sqlite3")
        clean = [{**row, "text": row["text"].replace("\ud800", "\ufffd")} for row in rows]
        names = [c.name for c in posts_table.columns if c.name not in ("first_seen", "last_seen")]
        now = utc_naive(datetime.now(UTC))
        statement = insert(posts_table)
        statement = statement.on_conflict_do_update(
            index_elements=["platform", "post_id"],
            set_={n: statement.excluded[n] for n in names if n not in ("platform", "post_id")})
        with reference.engine.begin() as conn:
            conn.execute(statement, [{**{n: row[n] for n in names}, "created_at": utc_naive(row["created_at"]),
                                      "crawled_at": utc_naive(row["crawled_at"]), "first_seen": now,
                                      "last_seen": now} for row in clean])
            conn.execute(insert(post_snapshots), [
                {"run_id": "r1", "platform": r["platform"], "post_id": r["post_id"],
                 "crawled_at": utc_naive(r["crawled_at"]), **{k: r[k] for k in ("likes", "comments", "reposts",
                                                                                 "quotes", "views")}}
                for r in clean])
        fast.close()
        reference.close()
        columns = ", ".join(f"quote({n})" for n in names)
        query = {"posts": f"SELECT {columns} FROM posts ORDER BY post_id",
                 "post_snapshots": "SELECT quote(run_id), quote(platform), quote(post_id), quote(crawled_at), "
                                   "quote(likes), quote(comments), quote(reposts), quote(quotes), quote(views) "
                                   "FROM post_snapshots ORDER BY post_id"}
        for table, sql in query.items():
            with sqlite3.connect(f"{tmp}/fast.sqlite3") as a, sqlite3.connect(f"{tmp}/reference.sqlite3") as b:
                left, right = a.execute(sql).fetchall(), b.execute(sql).fetchall()
            assert len(left) == len(right) == posts, (table, len(left), len(right))
            differ = [(x, y) for x, y in zip(left, right, strict=True) if x != y]
            assert not differ, f"{table}: {len(differ)} rows differ, e.g. {differ[0]}"
            print(f"{table}: {len(left):,} rows byte-identical (SQLite quote() of every column)")


def peak_memory_mb() -> tuple[float, float]:
    """(VmHWM, VmRSS) of this process in MB, from /proc/self/status."""
    found = {}
    with open("/proc/self/status") as status:
        for line in status:
            if line.startswith(("VmHWM", "VmRSS")):
                found[line.split(":")[0]] = int(line.split()[1]) / 1024
    return found.get("VmHWM", 0.0), found.get("VmRSS", 0.0)


def one_run(args: argparse.Namespace) -> dict[str, float]:
    """One run, in its own child process: both crawls into a fresh store; timings and the child's memory."""
    rows = make_rows(args.posts)
    rows_rss = peak_memory_mb()[1]
    with fresh_store(args.db) as url:
        store = Store(url)
        first = timed_load(store, "run1", rows, args.batch)
        second = timed_load(store, "run2", rows, args.batch)
        assert store.count("posts") == args.posts
        assert store.count("post_snapshots") == 2 * args.posts
        store.close()
    hwm = peak_memory_mb()[0]
    return {"first wall": first[0], "first cpu": first[1], "second wall": second[0], "second cpu": second[1],
            "hwm": hwm, "rows rss": rows_rss}


def in_child(args: argparse.Namespace) -> dict[str, float]:
    line = [sys.executable, __file__, "--child", "--posts", str(args.posts), "--batch", str(args.batch)]
    if args.db:
        line += ["--db", args.db]
    done = subprocess.run(line, check=True, capture_output=True, text=True)
    return json.loads(done.stdout.splitlines()[-1])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--posts", type=int, default=100_000)
    parser.add_argument("--batch", type=int, default=500)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--db", metavar="SERVER_URL", help="a PostgreSQL server URL (a fresh database per run; "
                        "its user needs CREATEDB); without it, a fresh SQLite file per run")
    parser.add_argument("--pg", dest="db", help=argparse.SUPPRESS)  # the earlier name of --db
    parser.add_argument("--check", action="store_true", help="compare the fast path's rows with SQLAlchemy Core's")
    parser.add_argument("--child", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.check:
        check(min(args.posts, 5_000), args.batch)
        return
    if args.child:
        print(json.dumps(one_run(args)))
        return
    timings: dict[str, list[float]] = {}
    loads = [loadavg()]
    for _ in range(args.runs):
        for key, value in in_child(args).items():
            timings.setdefault(key, []).append(value)
        loads.append(loadavg())
    backend = "PostgreSQL" if args.db else "SQLite"
    print(f"{backend}  posts: {args.posts:,}  batch: {args.batch}  runs: {args.runs}  load average (1 min): "
          f"{' → '.join(loads)}")
    print(summary("first crawl (inserts),    wall", args.posts, timings["first wall"]))
    print(summary("first crawl (inserts),    CPU ", args.posts, timings["first cpu"]))
    print(summary("second crawl (conflicts), wall", args.posts, timings["second wall"]))
    print(summary("second crawl (conflicts), CPU ", args.posts, timings["second cpu"]))
    hwm = sorted(timings["hwm"])
    print(f"child VmHWM: {statistics.median(hwm):,.0f} MB [{hwm[0]:,.0f}–{hwm[-1]:,.0f}] "
          f"(RSS after the imports and the "
          f"{args.posts:,} input rows, before writing: {statistics.median(timings['rows rss']):,.0f} MB)")
    print("target: >= 50,000 upserts per wall-second on SQLite, idle machine (each upsert also writes its "
          "post_snapshots row); the CPU figure is upserts per CPU-second of the writing process")


if __name__ == "__main__":
    main()
