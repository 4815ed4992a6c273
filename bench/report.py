"""Benchmark `scrapy report` on synthetic stores of 10k, 100k and 1M posts across 50 accounts.

    python bench/report.py                 # 10k, 100k, 1M (stores are cached under /tmp/bench-report)
    python bench/report.py 10000 100000    # chosen sizes
    python bench/report.py --rebuild 10000 # rebuild the cached store
    python bench/report.py --periods 100000 1000000  # multi-period: see below
    python bench/report.py --periods --sequential 100000  # also time it without the worker process

For each size it builds (or reuses) a store with bulk inserts, runs `python -m scrapy report` as a
subprocess, and prints wall time, the child's peak RSS (os.wait4) and the report's file sizes, then the
ratios between sizes. Targets: 1,000,000 posts in under 60 s and under 3 GB peak.

`--periods`: a store with N posts in each of 2026Q1, 2026Q2 and 2026Q3 (the same accounts posting at the
same rate every quarter, 3N posts in all), and on it the single-period report of 2026Q3, then
`--compare-previous` and `--periods 2026Q1,2026Q2,2026Q3`, each timed with the ratio to the single-period
time. Target (issue #9): at most 1.5x the single-period time with N = 1,000,000.
"""

from __future__ import annotations

import json
import os
import sqlite3
import subprocess
import sys
import time
from datetime import datetime, timedelta
from itertools import pairwise
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from benchmark.store import create_store_engine  # noqa: E402

CACHE = Path(os.environ.get("BENCH_REPORT_CACHE", "/tmp/bench-report"))
SIZES = (10_000, 100_000, 1_000_000)
PERIOD_START = datetime(2026, 6, 30, 16, 0)  # 2026-07-01 00:00 Asia/Shanghai, as naive UTC
PERIOD_DAYS = 92
# (start as naive UTC, days) of 2026Q1, Q2 and Q3 in Asia/Shanghai, for the multi-period store.
QUARTERS = ((datetime(2025, 12, 31, 16, 0), 90), (datetime(2026, 3, 31, 16, 0), 91), (PERIOD_START, PERIOD_DAYS))
PLATFORMS = ("weibo",) * 20 + ("bluesky",) * 10 + ("mastodon",) * 10 + ("telegram",) * 10
TEXTS = (
    "新品上市！限时优惠 ¥{n} 立即抢购 #新品# https://shop.example.com/item/{n}",
    "今天的你，也很棒。品牌十周年，感谢一路同行 [心]",
    "大家周末都去哪里玩？评论区告诉我们～",
    "售后服务热线 400-800-{n:04d}，退款问题请私信客服",
    "Our story: ten years of making things by hand. #brand",
    "What should we build next? Tell us below 👇",
    "Flash sale: 30% off everything today only https://store.example.com/sale",
    "Having trouble with your order? Visit https://help.example.com/returns",
    "<img src=x onerror=alert(1)> 测试文本 {n}",
    "春天来了🌸 一起出去走走吧 @朋友{n}",
)
FORMATS = ("text", "image", "gif", "video", "audio", "live", "article", "link", "poll")
FORMAT_P = (0.25, 0.4, 0.03, 0.15, 0.01, 0.01, 0.05, 0.08, 0.02)


def account_ids() -> list[tuple[str, str, str, str]]:
    """(platform, id, role, label) for 50 accounts: one own and two exemplars per platform, the rest peers."""
    out, seen = [], {}
    for platform in PLATFORMS:
        k = seen.get(platform, 0)
        seen[platform] = k + 1
        role = "own" if k == 0 else "exemplar" if k in (1, 2) else "peer"
        account_id = {"weibo": f"{1_000_000_000 + k}", "bluesky": f"brand{k}.bsky.social",
                      "mastodon": f"brand{k}@mastodon.example", "telegram": f"brandchannel{k}"}[platform]
        label = "我们的品牌" if role == "own" else f"Brand {k} 品牌"
        out.append((platform, account_id, role, label))
    return out


def write_config(path: Path) -> None:
    lines = ['[benchmark]', 'name = "bench"', 'period = { start = 2026-07-01, end = 2026-09-30 }',
             'timezone = "Asia/Shanghai"', ""]
    for platform, account_id, role, label in account_ids():
        lines += ["[[account]]", f'platform = "{platform}"', f'id = "{account_id}"', f'role = "{role}"',
                  f'label = "{label}"', ""]
    path.write_text("\n".join(lines), encoding="utf-8")


def _ts(values: np.ndarray, start: datetime = PERIOD_START) -> list[str]:
    base = np.datetime64(start, "us")
    stamps = base + values.astype("timedelta64[s]")
    return [s.replace("T", " ") for s in np.datetime_as_string(stamps, unit="us")]


def build_store(path: Path, n_posts: int, seed: int = 7, quarters: tuple = ((PERIOD_START, PERIOD_DAYS),)) -> None:
    """A store with n_posts posts per quarter spread over the 50 accounts, each quarter inserted with
    executemany in one transaction; weekly follower snapshots over all the quarters."""
    path.unlink(missing_ok=True)
    create_store_engine(f"sqlite:///{path}").dispose()
    rng = np.random.default_rng(seed)
    accounts = account_ids()
    conn = sqlite3.connect(path)
    for number, (start, days) in enumerate(quarters):
        rows = _post_rows(rng, accounts, n_posts, start, days, prefix="p" if len(quarters) == 1 else f"q{number}-")
        with conn:
            conn.executemany(f"INSERT INTO posts ({POST_INSERT_COLUMNS}) VALUES ({', '.join('?' * 25)})", rows)
        del rows
    with conn:
        _accounts_and_snapshots(conn, accounts, rng, NOW, quarters[0][0],
                                weeks=sum(days for _start, days in quarters) // 7 + 1)
    conn.close()


NOW = "2026-10-01 00:00:00.000000"
POST_INSERT_COLUMNS = (
    "platform, post_id, account_id, created_at, url, text, kind, format, media_count, likes, comments, reposts, "
    "quotes, views, counts_are_lower_bounds, pinned, hashtags, mentions, links, ref_author_id, "
    "ref_author_is_organization, reply_to_author_id, crawled_at, first_seen, last_seen")


def _post_rows(rng: np.random.Generator, accounts: list, n_posts: int, start: datetime, days: int,
               prefix: str) -> list[tuple]:
    acct = rng.integers(0, len(accounts), n_posts)
    seconds = rng.integers(0, days * 86400, n_posts)
    kind_draw = rng.random(n_posts)
    platform = np.array([a[0] for a in accounts])[acct]
    can_reply = np.isin(platform, ("bluesky", "mastodon"))
    kind = np.where(kind_draw < 0.7, "original", np.where(kind_draw < 0.85, "repost",
                    np.where(kind_draw < 0.92, "quote", np.where(can_reply, "reply", "original"))))
    fmt = rng.choice(FORMATS, n_posts, p=FORMAT_P)
    likes = rng.lognormal(3, 1.5, n_posts).astype(np.int64)
    comments = (likes * rng.random(n_posts) * 0.3).astype(np.int64)
    reposts = (likes * rng.random(n_posts) * 0.2).astype(np.int64)
    text_pick = rng.integers(0, len(TEXTS), n_posts)
    ref_org = rng.choice(np.array([1, 0, -1]), n_posts, p=(0.4, 0.4, 0.2))
    created = _ts(seconds, start)
    now = NOW
    rows = []
    for i in range(n_posts):
        platform_i, account_id = accounts[acct[i]][0], accounts[acct[i]][1]
        k = kind[i]
        shared = k in ("repost", "quote")
        links = '["https://shop.example.com/item/1"]' if text_pick[i] in (0, 6) else "[]"
        rows.append((
            platform_i, f"{prefix}{i}", account_id, created[i], f"https://example.com/{platform_i}/{prefix}{i}",
            TEXTS[text_pick[i]].format(n=i), k, str(fmt[i]) if k == "original" else "text", 1,
            int(likes[i]), int(comments[i]), int(reposts[i]), 0 if platform_i == "bluesky" else None, None, 0, 0,
            '["新品"]' if text_pick[i] == 0 else "[]", "[]", links,
            f"u{i % 5000}" if shared else None, (None if ref_org[i] < 0 else int(ref_org[i])) if shared else None,
            f"u{i % 300}" if k == "reply" else None, now, now, now,
        ))
    return rows


def _accounts_and_snapshots(conn: sqlite3.Connection, accounts: list, rng: np.random.Generator, now: str,
                            first: datetime = PERIOD_START, weeks: int = 14) -> None:
    account_rows, snapshot_rows, status_rows = [], [], []
    for platform, account_id, role, label in accounts:
        followers = int(rng.lognormal(10, 1.5))
        account_rows.append((platform, account_id, account_id.split("@")[0], label, 1, followers, now, now, now))
        for week in range(0, weeks):
            stamp = (first + timedelta(days=7 * week)).strftime("%Y-%m-%d %H:%M:%S.000000")
            snapshot_rows.append((f"r{week}", platform, account_id, stamp, int(followers * (1 + 0.01 * week))))
        status_rows.append(("r13", platform, account_id, role, label, "ok", "", None, None, now))
    conn.executemany("INSERT INTO accounts (platform, account_id, handle, name, is_organization, followers, "
                     "crawled_at, first_seen, last_seen) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)", account_rows)
    conn.executemany("INSERT INTO account_snapshots (run_id, platform, account_id, crawled_at, followers) "
                     "VALUES (?, ?, ?, ?, ?)", snapshot_rows)
    conn.execute("INSERT INTO crawl_runs (run_id, spider, started_at, finished_at, finish_reason, stats) "
                 "VALUES ('r13', 'bench', ?, ?, 'finished', ?)", (now, now, json.dumps({})))
    conn.executemany("INSERT INTO crawl_accounts (run_id, platform, account_id, role, label, status, message, "
                     "posts, pages, finished_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)", status_rows)


def run_report(db: Path, config: Path, out: Path, *extra: str, env: dict | None = None) -> tuple[float, float]:
    """Wall seconds and peak RSS (MB) of one `scrapy report` subprocess (its worker processes included:
    wait4 reports the largest of the child and the grandchildren it waited for)."""
    cmd = [sys.executable, "-m", "scrapy", "report", "--allow-outside", "--config", str(config), "-s", f"BENCHMARK_DB=sqlite:///{db}",
           "-o", str(out), *extra]
    start = time.perf_counter()
    proc = subprocess.Popen(cmd, cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                            env={**os.environ, **(env or {})})
    _, status, usage = os.wait4(proc.pid, 0)
    wall = time.perf_counter() - start
    proc.returncode = os.waitstatus_to_exitcode(status)
    stdout, stderr = proc.stdout.read().decode(), proc.stderr.read().decode()  # type: ignore[union-attr]
    if proc.returncode != 0:
        raise SystemExit(f"scrapy report failed ({proc.returncode}):\n{stderr}")
    print(stderr.rstrip(), file=sys.stderr)
    del stdout
    return wall, usage.ru_maxrss / 1024


def main_periods(sizes: list[int], rebuild: bool, sequential: bool) -> None:
    """Single period vs --compare-previous vs --periods on a store with N posts in each of three quarters."""
    config = CACHE / "bench.toml"
    write_config(config)
    for n in sizes:
        db = CACHE / f"posts-{n}-3q.sqlite3"
        if rebuild or not db.exists():
            start = time.perf_counter()
            build_store(db, n, quarters=QUARTERS)
            print(f"built {n:,} posts in each of 3 quarters in {time.perf_counter() - start:.1f} s "
                  f"({db.stat().st_size / 1e6:.0f} MB)")
        runs = [("single period (2026Q3)", ("--period", "2026Q3"), None)]
        for label, args in (("--compare-previous", ("--period", "2026Q3", "--compare-previous")),
                            ("--periods 2026Q1,2026Q2,2026Q3", ("--periods", "2026Q1,2026Q2,2026Q3"))):
            runs.append((label, args, None))
            if sequential:  # right after the run with the worker: the machine's load is comparable
                runs.append((f"{label}, no worker", args, {"BENCHMARK_REPORT_WORKERS": "0"}))
        single = None
        for label, args, env in runs:
            load = os.getloadavg()[0]
            wall, rss = run_report(db, config, CACHE / f"report-{n}-3q", *args, env=env)
            single = single or wall
            print(f"{n:>9,} posts per quarter, {label:<42} {wall:6.1f} s, peak RSS {rss:6.0f} MB, "
                  f"x{wall / single:.2f} the single-period time (load average before: {load:.1f})", flush=True)
        if n >= 1_000_000:
            print("target (multi-period at most 1.5x the single-period time): see the ratios above")


def main(argv: list[str]) -> None:
    rebuild = "--rebuild" in argv
    if "--periods" in argv:
        sizes = [int(a) for a in argv if a.isdigit()] or [100_000, 1_000_000]
        CACHE.mkdir(parents=True, exist_ok=True)
        main_periods(sizes, rebuild, "--sequential" in argv)
        return
    sizes = [int(a) for a in argv if a.isdigit()] or list(SIZES)
    CACHE.mkdir(parents=True, exist_ok=True)
    config = CACHE / "bench.toml"
    write_config(config)
    results = []
    for n in sizes:
        db = CACHE / f"posts-{n}.sqlite3"
        if rebuild or not db.exists():
            start = time.perf_counter()
            build_store(db, n)
            print(f"built {n:,} posts in {time.perf_counter() - start:.1f} s ({db.stat().st_size / 1e6:.0f} MB)")
        out = CACHE / f"report-{n}"
        wall, rss = run_report(db, config, out)
        sizes_mb = {f.name: f.stat().st_size / 1e6 for f in sorted(out.iterdir())}
        files = ", ".join(f"{name} {mb:.2f} MB" for name, mb in sizes_mb.items())
        print(f"{n:>9,} posts: {wall:6.1f} s, peak RSS {rss:7.0f} MB  ({files})")
        results.append((n, wall, rss))
    for (n0, w0, r0), (n1, w1, r1) in pairwise(results):
        print(f"{n1 // n0}x posts ({n0:,} -> {n1:,}): time x{w1 / w0:.1f}, peak memory x{r1 / r0:.1f}")
    for n, wall, rss in results:
        if n >= 1_000_000:
            verdict = "OK" if wall < 60 and rss < 3072 else "MISSED"
            print(f"target (1M posts < 60 s, < 3 GB): {verdict} ({wall:.1f} s, {rss / 1024:.2f} GB)")


if __name__ == "__main__":
    main(sys.argv[1:])
