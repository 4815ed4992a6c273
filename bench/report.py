"""Benchmark `scrapy report` on synthetic stores of 10k, 100k and 1M posts across 50 accounts.

    python bench/report.py                 # 10k, 100k, 1M (stores are cached under /tmp/bench-report)
    python bench/report.py 10000 100000    # chosen sizes
    python bench/report.py --rebuild 10000 # rebuild the cached store

For each size it builds (or reuses) a store with bulk inserts, runs `python -m scrapy report` as a
subprocess, and prints wall time, the child's peak RSS (os.wait4) and the report's file sizes, then the
ratios between sizes. Targets: 1,000,000 posts in under 60 s and under 3 GB peak.
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


def _ts(values: np.ndarray) -> list[str]:
    base = np.datetime64(PERIOD_START, "us")
    stamps = base + values.astype("timedelta64[s]")
    return [s.replace("T", " ") for s in np.datetime_as_string(stamps, unit="us")]


def build_store(path: Path, n_posts: int, seed: int = 7) -> None:
    """A store with n_posts posts spread over the 50 accounts, written with executemany in one transaction."""
    path.unlink(missing_ok=True)
    create_store_engine(f"sqlite:///{path}").dispose()
    rng = np.random.default_rng(seed)
    accounts = account_ids()
    acct = rng.integers(0, len(accounts), n_posts)
    seconds = rng.integers(0, PERIOD_DAYS * 86400, n_posts)
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
    created = _ts(seconds)
    now = "2026-10-01 00:00:00.000000"
    rows = []
    for i in range(n_posts):
        platform_i, account_id = accounts[acct[i]][0], accounts[acct[i]][1]
        k = kind[i]
        shared = k in ("repost", "quote")
        links = '["https://shop.example.com/item/1"]' if text_pick[i] in (0, 6) else "[]"
        rows.append((
            platform_i, f"p{i}", account_id, created[i], f"https://example.com/{platform_i}/p{i}",
            TEXTS[text_pick[i]].format(n=i), k, str(fmt[i]) if k == "original" else "text", 1,
            int(likes[i]), int(comments[i]), int(reposts[i]), 0 if platform_i == "bluesky" else None, None, 0, 0,
            '["新品"]' if text_pick[i] == 0 else "[]", "[]", links,
            f"u{i % 5000}" if shared else None, (None if ref_org[i] < 0 else int(ref_org[i])) if shared else None,
            f"u{i % 300}" if k == "reply" else None, now, now, now,
        ))
    columns = ("platform, post_id, account_id, created_at, url, text, kind, format, media_count, likes, comments, "
               "reposts, quotes, views, counts_are_lower_bounds, pinned, hashtags, mentions, links, ref_author_id, "
               "ref_author_is_organization, reply_to_author_id, crawled_at, first_seen, last_seen")
    conn = sqlite3.connect(path)
    with conn:
        conn.executemany(f"INSERT INTO posts ({columns}) VALUES ({', '.join('?' * 25)})", rows)
        _accounts_and_snapshots(conn, accounts, rng, now)
    conn.close()


def _accounts_and_snapshots(conn: sqlite3.Connection, accounts: list, rng: np.random.Generator, now: str) -> None:
    account_rows, snapshot_rows, status_rows = [], [], []
    for platform, account_id, role, label in accounts:
        followers = int(rng.lognormal(10, 1.5))
        account_rows.append((platform, account_id, account_id.split("@")[0], label, 1, followers, now, now, now))
        for week in range(0, 14):
            stamp = (PERIOD_START + timedelta(days=7 * week)).strftime("%Y-%m-%d %H:%M:%S.000000")
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


def run_report(db: Path, config: Path, out: Path) -> tuple[float, float]:
    """Wall seconds and peak RSS (MB) of one `scrapy report` subprocess."""
    cmd = [sys.executable, "-m", "scrapy", "report", "--config", str(config), "-s", f"BENCHMARK_DB=sqlite:///{db}",
           "-o", str(out)]
    start = time.perf_counter()
    proc = subprocess.Popen(cmd, cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    _, status, usage = os.wait4(proc.pid, 0)
    wall = time.perf_counter() - start
    proc.returncode = os.waitstatus_to_exitcode(status)
    stdout, stderr = proc.stdout.read().decode(), proc.stderr.read().decode()  # type: ignore[union-attr]
    if proc.returncode != 0:
        raise SystemExit(f"scrapy report failed ({proc.returncode}):\n{stderr}")
    print(stderr.rstrip(), file=sys.stderr)
    del stdout
    return wall, usage.ru_maxrss / 1024


def main(argv: list[str]) -> None:
    rebuild = "--rebuild" in argv
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
