"""How precise is `comment_reply_rate` at 10, 20, 40 and 50 comments per post, and what does each setting cost?

    python bench/comments_precision.py [--runs 3] [--boot 2000] [--settings 10,20,40,50]

1. On the demo panel served by the local sample server, `scrapy crawl <platform>` for Weibo, Bluesky and
   Mastodon without comments, then with `-a comments=1` at each COMMENTS_PER_POST (COMMENTS_MAX_POSTS stays
   at its default), politeness off. Crawls are deterministic (seeded panel, the server always returns the
   same comments in the same order), so each runs once. Requests come from Scrapy's `downloader/request_count`
   in the store's crawl_runs; extra requests per post = (with - without) / posts stored.
2. For every own/peer/exemplar account with fans' comments: `comment_reply_rate` from the report's own code
   (`benchmark.metrics.load.load_panel` + `benchmark.metrics.compute.comment_metrics`), and its percentile
   bootstrap 95 % CI. The unit of resampling is the POST, not the comment: comments under one post share its
   topic, its moment and the community manager's shift, so they are not independent draws (a cluster
   bootstrap). Each replicate draws as many posts as the account has posts with fans' top-level comments,
   with replacement, and takes the same ratio the report takes (`compute._share`: answered / sampled fans'
   top-level comments, from `compute.fan_questions`). The first replicates of every account are also
   rebuilt as comment tables and put through `comment_metrics` itself, and the point value must equal the
   report's: the fast path is checked against the real code on every run.
   40 is measured besides 10, 20 and 50 (the default) because Weibo serves comments 20 a page: the cost
   of a setting is a step function of ceil(COMMENTS_PER_POST / 20) requests per post.
3. Per setting: median CI width across accounts (percentage points), extra requests per post, and the
   estimated extra wall time of a real comments crawl of 50 accounts x 100 posts at 1 request/s.
   --runs bootstrap seeds (0, 1, ...): medians with min-max over the seeds; the load average is printed.
"""

from __future__ import annotations

import argparse
import json
import sqlite3
import statistics
import subprocess
import sys
import tempfile
from dataclasses import dataclass, replace
from pathlib import Path

import numpy as np
import pandas as pd

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from benchmark.config import load_config  # noqa: E402
from benchmark.metrics.compute import _share, comment_metrics, fan_questions  # noqa: E402
from benchmark.metrics.load import PanelData, load_panel, open_store  # noqa: E402
from benchmark.metrics.stats import _percentile_interval  # noqa: E402
from benchmark.sample.panel import demo_panel, panel_config_toml  # noqa: E402
from benchmark.sample.server import parse_moment  # noqa: E402
from benchmark.sample.testing import run_server_subprocess  # noqa: E402

ANCHOR = "2026-11-26T12:00:00+08:00"
SEED = 7
PLATFORMS = ("weibo", "bluesky", "mastodon")
ROLES = ("own", "peer", "exemplar")
FAST = {"DOWNLOAD_DELAY": "0", "AUTOTHROTTLE_ENABLED": "False", "CONCURRENT_REQUESTS": "16",
        "CONCURRENT_REQUESTS_PER_DOMAIN": "16", "LOG_LEVEL": "WARNING"}
PLANNED_POSTS = 50 * 100  # 50 accounts x 100 posts, at 1 request/s
CHECKED_REPLICATES = 3  # per account and run, rebuilt and put through comment_metrics itself


@dataclass
class Crawl:
    requests: dict[str, int]  # platform → downloader/request_count
    posts: dict[str, int]  # platform → posts stored
    sampled: dict[str, int]  # platform → comments/posts_sampled
    db: Path


def crawl_all(url: str, config: Path, workdir: Path, per_post: int | None) -> Crawl:
    """One store holding the three platforms' crawls (each a `scrapy crawl` subprocess)."""
    tag = "off" if per_post is None else f"on{per_post}"
    db = workdir / f"{tag}.sqlite3"
    requests, posts, sampled = {}, {}, {}
    for platform in PLATFORMS:
        settings = {**FAST, "BENCHMARK_CONFIG": str(config), "BENCHMARK_DB": f"sqlite:///{db}",
                    "PSEUDONYM_KEY_FILE": str(workdir / "pseudonym.key"),
                    f"{platform.upper()}_BASE_URL": f"{url}/{platform}"}
        if per_post is not None:
            settings["COMMENTS_PER_POST"] = str(per_post)
        command = [sys.executable, "-m", "scrapy", "crawl", platform]
        for name, value in settings.items():
            command += ["-s", f"{name}={value}"]
        if per_post is not None:
            command += ["-a", "comments=1"]
        done = subprocess.run(command, cwd=ROOT, capture_output=True, text=True, check=False)
        if done.returncode not in (0, 3):  # 3: some account not ok
            raise SystemExit(done.stderr[-3000:])
        with sqlite3.connect(db) as conn:
            stats = json.loads(conn.execute("SELECT stats FROM crawl_runs WHERE spider = ? ORDER BY rowid DESC",
                                            (platform,)).fetchone()[0])
            posts[platform] = conn.execute("SELECT count(*) FROM posts WHERE platform = ?", (platform,)).fetchone()[0]
        requests[platform] = stats["downloader/request_count"]
        sampled[platform] = stats.get("comments/posts_sampled", 0)
    return Crawl(requests, posts, sampled, db)


def per_post_counts(panel: PanelData) -> dict[int, pd.DataFrame]:
    """acct → one row per post with fans' top-level comments: sampled (fans' top-level comments) and answered
    (those the account answered), as `comment_metrics` counts them (through `fan_questions`)."""
    top = fan_questions(panel.comments)
    top = top.assign(answered=top["answered_at"].notna().astype("int64"), sampled=1)
    counts = top.groupby(["acct", "post_id"], sort=True)[["sampled", "answered"]].sum()
    return {int(acct): frame.droplevel(0) for acct, frame in counts.groupby(level=0)}


def resampled_comments(panel: PanelData, acct: int, post_ids: np.ndarray) -> pd.DataFrame:
    """The account's comments of the drawn posts, a post drawn k times present k times (ids made unique per
    draw so that answers stay under their own copy of the question)."""
    mine = panel.comments[panel.comments["acct"] == acct]
    frames = []
    for draw, post_id in enumerate(post_ids):
        copy = mine[mine["post_id"] == post_id].copy()
        copy["comment_id"] = copy["comment_id"] + f"#{draw}"
        copy["parent_comment_id"] = copy["parent_comment_id"].where(copy["parent_comment_id"].isna(),
                                                                    copy["parent_comment_id"] + f"#{draw}")
        frames.append(copy)
    return pd.concat(frames, ignore_index=True)


def reply_rate(panel: PanelData, acct: int, comments: pd.DataFrame | None = None) -> float:
    """comment_reply_rate of one account by the report's own function."""
    one = replace(panel, accounts=panel.accounts.loc[[acct]],
                  comments=panel.comments if comments is None else comments)
    return float(comment_metrics(one)["comment_reply_rate"][0].loc[acct])


def account_cis(panel: PanelData, seed: int, n_boot: int) -> pd.DataFrame:
    """Per account: rate, CI low/high/width (percentage points), posts resampled, comments."""
    rows = []
    report_rates = comment_metrics(panel)["comment_reply_rate"][0]
    for acct, counts in per_post_counts(panel).items():
        account = panel.accounts.loc[acct]
        if account["role"] not in ROLES:
            continue
        sampled, answered = counts["sampled"].to_numpy(), counts["answered"].to_numpy()
        rate = float(_share(pd.Series([answered.sum()]), pd.Series([sampled.sum()]))[0].iloc[0])
        if rate != report_rates.loc[acct]:
            raise SystemExit(f"per-post counts disagree with the report for {account['label']}: "
                             f"{rate} != {report_rates.loc[acct]}")
        rng = np.random.default_rng([seed, acct])
        draws = rng.integers(0, len(counts), size=(n_boot, len(counts)))
        replicates = _share(pd.Series(answered[draws].sum(axis=1)), pd.Series(sampled[draws].sum(axis=1)))[0]
        for b in range(min(CHECKED_REPLICATES, n_boot)):
            real = reply_rate(panel, acct, resampled_comments(panel, acct, counts.index.to_numpy()[draws[b]]))
            if not np.isclose(real, replicates.iloc[b], rtol=0, atol=1e-12):
                raise SystemExit(f"replicate {b} of {account['label']}: {replicates.iloc[b]} != {real}")
        low, high = _percentile_interval(replicates.to_numpy(), 0.95)
        rows.append({"acct": acct, "platform": account["platform"], "label": account["label"],
                     "role": account["role"], "rate": rate * 100, "low": low * 100, "high": high * 100,
                     "width": (high - low) * 100, "posts": len(counts), "comments": int(sampled.sum())})
    return pd.DataFrame(rows)


def spread(values: list[float], fmt: str = "{:.2f}") -> str:
    return f"{fmt.format(statistics.median(values))} [{fmt.format(min(values))}–{fmt.format(max(values))}]"


def loadavg() -> str:
    try:
        return " ".join(Path("/proc/loadavg").read_text().split()[:3])
    except OSError:
        return "n/a"


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--runs", type=int, default=3, help="bootstrap seeds (medians with min-max)")
    parser.add_argument("--boot", type=int, default=2000, help="bootstrap replicates per account")
    parser.add_argument("--settings", default="10,20,40,50", help="COMMENTS_PER_POST values to compare")
    parser.add_argument("--tolerance", type=float, default=0.10,
                        help="the choice: smallest setting whose median CI width is at most this much wider "
                             "(relative) than the largest setting's")
    parser.add_argument("--detail", action="store_true", help="print every account's CI of the first seed")
    args = parser.parse_args()
    settings = sorted({int(s) for s in args.settings.split(",")})
    print(f"load average at start: {loadavg()}")
    with tempfile.TemporaryDirectory(prefix="bench-comments-precision-") as tmp:
        workdir = Path(tmp)
        panel_def = demo_panel(parse_moment(ANCHOR), seed=SEED)
        config_path = workdir / "benchmark.toml"
        config_path.write_text(panel_config_toml(panel_def), encoding="utf-8")
        config = load_config(config_path)
        with run_server_subprocess("demo", seed=SEED, anchor=ANCHOR) as (url, _process):
            off = crawl_all(url, config_path, workdir, None)
            crawls = {k: crawl_all(url, config_path, workdir, k) for k in settings}
        print(f"load average after the crawls: {loadavg()}")
        panels = {}
        for k, crawl in crawls.items():
            engine = open_store(f"sqlite:///{crawl.db}")
            try:
                panels[k] = load_panel(engine, config)
            finally:
                engine.dispose()

        print("\nRequests (deterministic; one crawl per setting; COMMENTS_MAX_POSTS at its default)")
        print(f"{'per post':>8} {'platform':<9} {'posts':>5} {'sampled':>7} {'req off':>7} {'req on':>7} "
              f"{'extra/post':>10} {'extra/sampled':>13} {'+h for 50x100':>13}")
        extra_all: dict[int, dict[str, float]] = {}
        extra_sampled: dict[int, float] = {}  # Weibo extra requests per sampled post
        for k, crawl in crawls.items():
            extra_all[k] = {}
            for platform in PLATFORMS:
                extra = crawl.requests[platform] - off.requests[platform]
                per_post = extra / max(off.posts[platform], 1)
                extra_all[k][platform] = per_post
                print(f"{k:>8} {platform:<9} {off.posts[platform]:>5} {crawl.sampled[platform]:>7} "
                      f"{off.requests[platform]:>7} {crawl.requests[platform]:>7} {per_post:>10.2f} "
                      f"{extra / max(crawl.sampled[platform], 1):>13.2f} "
                      f"{per_post * PLANNED_POSTS / 3600:>13.2f}")
            extra_sampled[k] = ((crawl.requests["weibo"] - off.requests["weibo"])
                                / max(crawl.sampled["weibo"], 1))
            total = sum(crawl.requests.values()) - sum(off.requests.values())
            extra_all[k]["all"] = total / sum(off.posts.values())

        widths: dict[int, list[float]] = {k: [] for k in settings}
        weibo: dict[int, list[float]] = {k: [] for k in settings}
        details = {}
        for seed in range(args.runs):
            for k in settings:
                table = account_cis(panels[k], seed, args.boot)
                widths[k].append(float(table["width"].median()))
                weibo[k].append(float(table.loc[table["platform"] == "weibo", "width"].median()))
                details.setdefault(k, table)
        print(f"load average after the bootstraps: {loadavg()}")

        if args.detail:
            for k, table in details.items():
                print(f"\nCOMMENTS_PER_POST={k}, seed 0")
                print(table.drop(columns="acct").to_string(index=False, float_format=lambda v: f"{v:.1f}"))

        print(f"\ncomment_reply_rate: 95 % bootstrap CI width in percentage points (posts resampled, "
              f"{args.boot} replicates), median across accounts; medians of {args.runs} seeds [min–max]")
        print(f"{'per post':>8} {'accounts':>8} {'comments':>8} {'CI width all':>18} {'CI width Weibo':>18} "
              f"{'Weibo extra/post':>16} {'all extra/post':>14} {'Weibo +h 50x100':>15} {'(every post sampled)':>20}")
        for k in settings:
            table = details[k]
            print(f"{k:>8} {len(table):>8} {int(table['comments'].sum()):>8} {spread(widths[k]):>18} "
                  f"{spread(weibo[k]):>18} {extra_all[k]['weibo']:>16.2f} {extra_all[k]['all']:>14.2f} "
                  f"{extra_all[k]['weibo'] * PLANNED_POSTS / 3600:>15.2f} "
                  f"{extra_sampled[k] * PLANNED_POSTS / 3600:>20.2f}")
        widest = statistics.median(widths[settings[-1]])
        chosen = next(k for k in settings if statistics.median(widths[k]) <= widest * (1 + args.tolerance))
        print(f"\nsmallest setting whose median CI width is within {args.tolerance:.0%} of "
              f"COMMENTS_PER_POST={settings[-1]}'s ({widest:.2f} points): {chosen}")


if __name__ == "__main__":
    main()
