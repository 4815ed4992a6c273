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

`--demo`: the store of `scrapy demo` (≈1,430 posts; built once under the cache folder, seed 7), the report
`--runs` times. Target (issue #19): at most 2 s wall and 150 MB on an idle machine.

Every size is run `--runs` times (default 3): median [min–max] of the wall time and of the child's own peak
memory (VmHWM read by the child itself at exit: `ru_maxrss` of wait4 would also count a forked parent's pages),
with the 1-minute load average before the first and after the last run. `--ab ROOT` interleaves each run with a
run of the same report from another checkout ROOT (e.g. `git worktree add /tmp/base main`): A/B pairs under the
same load.
"""

from __future__ import annotations

import json
import os
import sqlite3
import statistics
import subprocess
import sys
import time
from datetime import datetime, timedelta
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from _child import SCRAPY_CHILD  # noqa: E402  (bench/ is sys.path[0] when a script runs)

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




def run_report(db: Path, config: Path, out: Path, *extra: str, env: dict | None = None,
               root: Path = ROOT) -> tuple[float, float, float, float]:
    """Wall seconds, the child's own peak memory (VmHWM, MB) and the largest peak RSS of the child and the
    processes it waited for (wait4's ru_maxrss, MB: the forked posts.csv writer, --periods workers; their
    RSS includes the pages they share with the child) and the CPU seconds (user + system) of the child and
    what it waited for, of one `scrapy report` subprocess run from `root` (a checkout: its `benchmark` package is
    imported, cwd first on sys.path). CPU time varies less than wall time on a shared machine."""
    hwm_file = CACHE / "child-vmhwm.txt"
    hwm_file.unlink(missing_ok=True)
    cmd = [sys.executable, "-c", SCRAPY_CHILD, "report", "--allow-outside", "--config", str(config), "-s",
           f"BENCHMARK_DB=sqlite:///{db}", "-o", str(out), *extra]
    start = time.perf_counter()
    proc = subprocess.Popen(cmd, cwd=root, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True,
                            env={**os.environ, **(env or {}), "BENCH_HWM_FILE": str(hwm_file)})
    stderr = proc.stderr.read()  # type: ignore[union-attr]
    _, status, usage = os.wait4(proc.pid, 0)
    wall = time.perf_counter() - start
    proc.returncode = os.waitstatus_to_exitcode(status)
    if proc.returncode != 0:
        raise SystemExit(f"scrapy report failed ({proc.returncode}):\n{stderr}")
    return wall, int(hwm_file.read_text()) / 1024, usage.ru_maxrss / 1024, usage.ru_utime + usage.ru_stime


def median_text(values: list[float], fmt: str = "{:.2f}") -> str:
    """median [min–max]"""
    return f"{fmt.format(statistics.median(values))} [{fmt.format(min(values))}–{fmt.format(max(values))}]"


def repeat(db: Path, config: Path, out: Path, runs: int, *extra: str, ab: Path | None = None,
           env: dict | None = None) -> dict[str, list[tuple[float, float, float, float]]]:
    """`runs` reports of this checkout (and, interleaved, of checkout `ab`): {label: [(s, MB, MB), ...]}."""
    results: dict[str, list[tuple[float, float, float, float]]] = {"this": []}
    if ab is not None:
        results["ab"] = []
    for i in range(runs):
        order = [("this", ROOT), ("ab", ab)] if ab is not None else [("this", ROOT)]
        if i % 2:  # alternate who goes first
            order.reverse()
        for label, root in order:
            results[label].append(run_report(db, config, out, *extra, env=env, root=root))
    return results


def summary(label: str, runs: list[tuple[float, float, float, float]]) -> str:
    walls, mbs, trees, cpus = ([r[k] for r in runs] for k in range(4))
    return (f"{label}: {median_text(walls)} s, CPU {median_text(cpus)} s, child VmHWM {median_text(mbs, '{:.0f}')} "
            f"MB, largest process of the tree {median_text(trees, '{:.0f}')} MB ({len(runs)} runs)")


def load_text() -> str:
    return Path("/proc/loadavg").read_text().split()[0]


def main_demo(runs: int, ab: Path | None, rebuild: bool) -> None:
    """The report on the store of `scrapy demo` (target: <= 2 s, <= 150 MB on an idle machine)."""
    workdir = CACHE / "demo"
    if rebuild or not (workdir / "benchmark.sqlite3").exists():
        subprocess.run([sys.executable, "-m", "scrapy", "demo", "--workdir", str(workdir), "-o",
                        str(CACHE / "demo-report")], cwd=ROOT, check=True, capture_output=True)
    before = load_text()
    results = repeat(workdir / "benchmark.sqlite3", workdir / "benchmark.toml", CACHE / "report-demo", runs, ab=ab)
    after = load_text()
    for label, values in results.items():
        name = "this checkout" if label == "this" else f"{ab}"
        print(summary(f"demo store, {name}", values))
    print(f"load average (1 min): {before} before, {after} after; target: <= 2 s, <= 150 MB")


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
            wall, rss, _tree, _cpu = run_report(db, config, CACHE / f"report-{n}-3q", *args, env=env)
            single = single or wall
            print(f"{n:>9,} posts per quarter, {label:<42} {wall:6.1f} s, child VmHWM {rss:6.0f} MB, "
                  f"x{wall / single:.2f} the single-period time (load average before: {load:.1f})", flush=True)
        if n >= 1_000_000:
            print("target (multi-period at most 1.5x the single-period time): see the ratios above")


def option(argv: list[str], name: str) -> str | None:
    return argv[argv.index(name) + 1] if name in argv else None


def main(argv: list[str]) -> None:
    rebuild = "--rebuild" in argv
    runs = int(option(argv, "--runs") or 3)
    ab = Path(option(argv, "--ab")).resolve() if option(argv, "--ab") else None
    argv = [a for a in argv if a not in (str(runs), option(argv, "--ab"))]
    CACHE.mkdir(parents=True, exist_ok=True)
    if "--demo" in argv:
        main_demo(runs, ab, rebuild)
        return
    if "--periods" in argv:
        sizes = [int(a) for a in argv if a.isdigit()] or [100_000, 1_000_000]
        main_periods(sizes, rebuild, "--sequential" in argv)
        return
    sizes = [int(a) for a in argv if a.isdigit()] or list(SIZES)
    config = CACHE / "bench.toml"
    write_config(config)
    for n in sizes:
        db = CACHE / f"posts-{n}.sqlite3"
        if rebuild or not db.exists():
            start = time.perf_counter()
            build_store(db, n)
            print(f"built {n:,} posts in {time.perf_counter() - start:.1f} s ({db.stat().st_size / 1e6:.0f} MB)")
        out = CACHE / f"report-{n}"
        before = load_text()
        results = repeat(db, config, out, runs, ab=ab)
        after = load_text()
        sizes_mb = {f.name: f.stat().st_size / 1e6 for f in sorted(out.iterdir())}
        files = ", ".join(f"{name} {mb:.2f} MB" for name, mb in sizes_mb.items())
        for label, values in results.items():
            print(summary(f"{n:>9,} posts, {'this checkout' if label == 'this' else ab}", values))
        print(f"  load average (1 min): {before} before, {after} after; files: {files}", flush=True)
    print("targets (issue #19): 1M posts <= 15 s and <= 1 GB")


if __name__ == "__main__":
    main(sys.argv[1:])
