"""Requests per stored post, per platform, on the demo panel (the bundled sample server), next to the minimum.

    python bench/requests_per_post.py [--runs 3] [--root DIR]

Each run starts the sample server with `scrapy demo`'s panel (seed 7) and crawls each platform with
`scrapy crawl <platform>` (posts only: no comments sample), as `scrapy demo` does. Requests are Scrapy's
`downloader/request_count` (every attempt, retries included), split by endpoint from the DEBUG log.

The minimum is what any crawler must ask for the same posts: per account, its profile (Telegram: none, the
channel page carries it) + the timeline pages up to the period's edge (the page holding the first post older
than the period, or the last page) + one request per long text in the period (Weibo). An account that cannot
be crawled (not found, opted out, login wall) costs its profile request. Reported: the median of the runs.
`--root` runs the spiders of another checkout (e.g. an older commit) against the same server.
"""

from __future__ import annotations

import argparse
import math
import re
import statistics
import subprocess
import sys
import tempfile
from collections import Counter
from datetime import UTC, datetime, time
from pathlib import Path
from zoneinfo import ZoneInfo

from sqlalchemy import create_engine, text

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from benchmark.commands.demo import FAST_LOCAL_SETTINGS, PLATFORM_SETTINGS  # noqa: E402
from benchmark.sample.panel import Panel, demo_panel, panel_config_toml  # noqa: E402
from benchmark.sample.server import start_server  # noqa: E402

PLATFORMS = ("weibo", "bluesky", "mastodon", "telegram")
PAGE_SIZE = {"weibo": 10, "bluesky": 100, "mastodon": 40, "telegram": 20}  # what each spider gets per page
PROFILE_REQUESTS = {"weibo": 1, "bluesky": 1, "mastodon": 1, "telegram": 0}
CRAWLED = re.compile(r"Crawled \((\d+)\) <GET ([^ >]+)")
REQUEST_COUNT = re.compile(r"'downloader/request_count': (\d+)")
KINDS = (  # (platform, URL pattern, kind): the first match names a request
    ("weibo", r"type=uid", "profile"), ("weibo", r"containerid=107603", "feed"),
    ("weibo", r"longtext|extend", "long text"), ("weibo", r"/api/config", "login check"),
    ("bluesky", r"getProfiles", "ref authors"), ("bluesky", r"getProfile", "profile"),
    ("bluesky", r"getAuthorFeed", "feed"),
    ("mastodon", r"pinned=true", "pinned"), ("mastodon", r"/statuses\?", "feed"),
    ("mastodon", r"/accounts/(lookup|[^/?]+$)", "profile"),
    ("telegram", r"/s/", "feed"),
)


def kind_of(platform: str, url: str) -> str:
    return next((kind for p, pattern, kind in KINDS if p == platform and re.search(pattern, url)), "other")


def minimum(panel: Panel, platform: str, statuses: dict[str, str]) -> int:
    """The fewest requests that fetch every post of the period the crawl stored, as defined above."""
    zone = ZoneInfo(panel.timezone)
    start = datetime.combine(panel.period_start, time(), zone).astimezone(UTC)
    total = 0
    for account in (a for a in panel.accounts if a.platform == platform):
        if statuses.get(account.id) not in ("ok", "partial"):
            total += 1
            continue
        timeline = [p for p in panel.posts(platform, account.id) if not p.pinned]
        newer = sum(1 for p in timeline if p.created_at >= start)
        older = any(p.created_at < start for p in timeline)
        pages = max(1, math.ceil((newer + (1 if older else 0)) / PAGE_SIZE[platform]))
        long_texts = sum(1 for p in panel.posts(platform, account.id) if p.long_text and panel.in_period(p))
        total += PROFILE_REQUESTS[platform] + pages + (long_texts if platform == "weibo" else 0)
    return total


def crawl(platform: str, server_url: str, config: Path, db: Path, root: Path) -> tuple[int, Counter, int, dict]:
    settings = {**FAST_LOCAL_SETTINGS, "CRAWL_COMMENTS": False, "LOG_LEVEL": "DEBUG",
                "BENCHMARK_CONFIG": str(config), "BENCHMARK_DB": f"sqlite:///{db}",
                "PSEUDONYM_KEY_FILE": str(db.parent / "pseudonym.key"),
                **{setting: f"{server_url}/{p}" for p, setting in PLATFORM_SETTINGS.items()}}
    command = [sys.executable, "-m", "scrapy", "crawl", platform]
    for key, value in settings.items():
        command += ["-s", f"{key}={value}"]
    done = subprocess.run(command, cwd=root, capture_output=True, text=True, timeout=600)
    if done.returncode != 0:
        raise SystemExit(f"{platform}: crawl failed\n{done.stderr[-2000:]}")
    total = int(REQUEST_COUNT.findall(done.stderr)[-1])
    kinds = Counter(kind_of(platform, url) for _status, url in CRAWLED.findall(done.stderr))
    engine = create_engine(f"sqlite:///{db}")
    with engine.connect() as conn:
        posts = conn.execute(text("SELECT count(*) FROM posts WHERE platform = :p"), {"p": platform}).scalar_one()
        statuses = dict(conn.execute(text("SELECT account_id, status FROM crawl_accounts WHERE platform = :p"),
                                     {"p": platform}).all())
    engine.dispose()
    return total, kinds, posts, statuses


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--root", type=Path, default=ROOT, help="checkout whose spiders crawl (default: this one)")
    args = parser.parse_args()
    runs: dict[str, list[tuple[int, Counter, int, int]]] = {p: [] for p in PLATFORMS}
    for _ in range(args.runs):
        panel = demo_panel(datetime.now(UTC).replace(microsecond=0), seed=7)
        with tempfile.TemporaryDirectory() as folder:
            config = Path(folder) / "benchmark.toml"
            config.write_text(panel_config_toml(panel), encoding="utf-8")
            server = start_server(panel)
            try:
                for platform in PLATFORMS:
                    db = Path(folder) / f"{platform}.sqlite3"
                    total, kinds, posts, statuses = crawl(platform, server.url, config, db, args.root)
                    runs[platform].append((total, kinds, posts, minimum(panel, platform, statuses)))
            finally:
                server.stop()
    print("| platform | accounts | posts stored | requests | per post | minimum | minimum per post "
          "| requests by kind |")
    print("|---|---:|---:|---:|---:|---:|---:|---|")
    for platform in PLATFORMS:
        median_run = sorted(runs[platform], key=lambda r: r[0])[len(runs[platform]) // 2]
        total, kinds, posts, least = median_run
        accounts = len([a for a in demo_panel(datetime.now(UTC), seed=7).accounts if a.platform == platform])
        totals = [r[0] for r in runs[platform]]
        split = ", ".join(f"{kind} {count}" for kind, count in kinds.most_common())
        print(f"| {platform} | {accounts} | {posts} | {statistics.median(totals):g} (runs: "
              f"{', '.join(map(str, totals))}) | {total / posts:.3f} | {least} | {least / posts:.3f} | {split} |")


if __name__ == "__main__":
    main()
