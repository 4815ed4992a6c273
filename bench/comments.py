"""What the optional comments crawl costs: extra requests per post, and extra seconds of `scrapy demo`.

    python bench/comments.py [--runs 1] [--no-demo]

1. On the demo panel served by the local sample server, `scrapy crawl <platform>` for Weibo, Bluesky and
   Mastodon twice each, without and with `-a comments=1` (default caps: COMMENTS_PER_POST=40,
   COMMENTS_MAX_POSTS=100), politeness off. Requests come from Scrapy's `downloader/request_count` in the
   store's crawl_runs; extra requests per post = (with - without) / posts stored. At the production pace
   (DOWNLOAD_DELAY=1 s, one connection per host) one extra request is about one extra second per host.
2. `scrapy demo` end to end, without and with `-s CRAWL_COMMENTS=True` (default caps, and 20 comments x 30
   posts), median of --runs.
"""

from __future__ import annotations

import argparse
import json
import re
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from benchmark.sample.panel import demo_panel, panel_config_toml  # noqa: E402
from benchmark.sample.server import parse_moment  # noqa: E402
from benchmark.sample.testing import run_server_subprocess  # noqa: E402

ANCHOR = "2026-11-26T12:00:00+08:00"
SEED = 7
PLATFORMS = ("weibo", "bluesky", "mastodon")
FAST = {"DOWNLOAD_DELAY": "0", "AUTOTHROTTLE_ENABLED": "False", "CONCURRENT_REQUESTS": "16",
        "CONCURRENT_REQUESTS_PER_DOMAIN": "16", "LOG_LEVEL": "WARNING"}


@dataclass
class Crawl:
    requests: int
    posts: int
    comments: int
    posts_sampled: int
    seconds: float


def crawl(platform: str, url: str, config: Path, workdir: Path, comments: bool) -> Crawl:
    db = workdir / f"{platform}-{'on' if comments else 'off'}.sqlite3"
    settings = {**FAST, "BENCHMARK_CONFIG": str(config), "BENCHMARK_DB": f"sqlite:///{db}",
                "PSEUDONYM_KEY_FILE": str(workdir / "pseudonym.key"),
                f"{platform.upper()}_BASE_URL": f"{url}/{platform}"}
    command = [sys.executable, "-m", "scrapy", "crawl", platform]
    for name, value in settings.items():
        command += ["-s", f"{name}={value}"]
    if comments:
        command += ["-a", "comments=1"]
    began = time.perf_counter()
    done = subprocess.run(command, cwd=ROOT, capture_output=True, text=True, check=False)
    seconds = time.perf_counter() - began
    if done.returncode not in (0, 3):  # 3: some account not ok (the demo panel has none on these platforms)
        raise SystemExit(done.stderr[-3000:])
    with sqlite3.connect(db) as conn:
        stats = json.loads(conn.execute("SELECT stats FROM crawl_runs").fetchone()[0])
        posts = conn.execute("SELECT count(*) FROM posts").fetchone()[0]
        stored = conn.execute("SELECT count(*) FROM comments").fetchone()[0]
    return Crawl(stats["downloader/request_count"], posts, stored, stats.get("comments/posts_sampled", 0), seconds)


def requests_table(workdir: Path) -> None:
    panel = demo_panel(parse_moment(ANCHOR), seed=SEED)
    config = workdir / "benchmark.toml"
    config.write_text(panel_config_toml(panel), encoding="utf-8")
    print("Comments crawl on the demo panel (sample server, politeness off, default caps 40 comments x 100 posts)")
    print(f"{'platform':<9} {'posts':>5} {'req off':>7} {'req on':>7} {'extra':>6} {'extra/post':>10} "
          f"{'sampled':>7} {'extra/sampled':>13} {'comments':>8} {'s off':>6} {'s on':>6}")
    total_extra = total_posts = 0
    with run_server_subprocess("demo", seed=SEED, anchor=ANCHOR) as (url, _process):
        for platform in PLATFORMS:
            off, on = (crawl(platform, url, config, workdir, flag) for flag in (False, True))
            extra = on.requests - off.requests
            total_extra, total_posts = total_extra + extra, total_posts + off.posts
            print(f"{platform:<9} {off.posts:>5} {off.requests:>7} {on.requests:>7} {extra:>6} "
                  f"{extra / max(off.posts, 1):>10.2f} {on.posts_sampled:>7} "
                  f"{extra / max(on.posts_sampled, 1):>13.2f} {on.comments:>8} {off.seconds:>6.1f} {on.seconds:>6.1f}")
    print(f"all three: {total_extra} extra requests for {total_posts} posts = "
          f"{total_extra / total_posts:.2f} per post; at the production pace (~1 request/s per host) about "
          f"{total_extra / 60:.1f} extra minutes of crawling")


DEMO_VARIANTS = {  # label → extra `scrapy demo` arguments
    "without comments": [],
    "CRAWL_COMMENTS=True (40 x 100)": ["-s", "CRAWL_COMMENTS=True"],
    "CRAWL_COMMENTS=True, 20 x 30": ["-s", "CRAWL_COMMENTS=True", "-s", "COMMENTS_PER_POST=20",
                                      "-s", "COMMENTS_MAX_POSTS=30"],
}


def demo_seconds(runs: int, workdir: Path) -> None:
    """Median wall seconds of `scrapy demo`, and of its crawl stage (its "[2/3] crawled in N s" line)."""
    walls: dict[str, list[float]] = {label: [] for label in DEMO_VARIANTS}
    crawls: dict[str, list[float]] = {label: [] for label in DEMO_VARIANTS}
    for _ in range(runs):
        for label, extra in DEMO_VARIANTS.items():
            command = [sys.executable, "-m", "scrapy", "demo", "--workdir", str(workdir / "demo"),
                       "-o", str(workdir / "report"), *extra]
            began = time.perf_counter()
            done = subprocess.run(command, cwd=ROOT, capture_output=True, text=True, check=False)
            walls[label].append(time.perf_counter() - began)
            crawled = re.search(r"crawled in ([\d.]+) s", done.stderr)
            if crawled is None:
                raise SystemExit(done.stderr[-3000:])
            crawls[label].append(float(crawled.group(1)))
            if done.returncode != 0:
                print(f"  ({label}: scrapy demo failed after its crawl stage: "
                      f"{done.stderr.strip().splitlines()[-1]})")
    print(f"scrapy demo, median of {runs} run(s): crawl stage / whole command")
    base_crawl, base_wall = statistics.median(crawls["without comments"]), statistics.median(walls["without comments"])
    for label in DEMO_VARIANTS:
        crawl_s, wall_s = statistics.median(crawls[label]), statistics.median(walls[label])
        print(f"  {label:<32} {crawl_s:5.1f} s (+{crawl_s - base_crawl:4.1f}) / {wall_s:5.1f} s "
              f"(+{wall_s - base_wall:4.1f})")


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--runs", type=int, default=1, help="scrapy demo runs per setting (median)")
    parser.add_argument("--no-demo", action="store_true", help="skip timing scrapy demo")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="bench-comments-") as tmp:
        requests_table(Path(tmp))
        if not args.no_demo:
            demo_seconds(args.runs, Path(tmp))


if __name__ == "__main__":
    main()
