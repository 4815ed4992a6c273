"""Benchmark the period-comparison statistics (benchmark/metrics/stats.py, trend.py) on synthetic posts.

    python bench/stats.py                    # 50 accounts × 20,000 posts = 1,000,000 posts per period
    python bench/stats.py --posts 100000     # smaller
    python bench/stats.py --xlsx-rows 0      # skip the Excel throughput figure

Times, on two periods of synthetic posts (heavy-tailed ER and engagement, like real accounts): bootstrap
intervals of er_median and engagement_median per account (2,000 resamples), the intervals of their
quarter-on-quarter change, Mann-Whitney U for 50 pairs of 20,000 posts, the panel comparisons, breakouts,
follower growth, recommendations, metric deltas and a 3-period trend, and the Excel export. Also times the
literal index-matrix bootstrap on one account, to show why the order-statistic sampler is the default.
Target (issue #9): all statistics for 1,000,000 posts in under 5 s.
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from collections.abc import Callable
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from benchmark.metrics import recommend, stats, trend  # noqa: E402
from benchmark.report.xlsx import write_xlsx  # noqa: E402

PLATFORMS = ("weibo",) * 20 + ("bluesky",) * 10 + ("mastodon",) * 10 + ("telegram",) * 10
KINDS = np.array(["original", "repost", "quote", "reply"])
FORMATS = np.array(["text", "image", "gif", "video", "audio", "live", "article", "link", "poll"])
PURPOSES = np.array(["brand", "communication", "sales", "service", "other"])


def accounts_frame(n_accounts: int) -> pd.DataFrame:
    """One own account and two exemplars per platform, the rest peers (as bench/report.py)."""
    rows, seen = [], {}
    for acct in range(n_accounts):
        platform = PLATFORMS[acct % len(PLATFORMS)]
        k = seen.get(platform, 0)
        seen[platform] = k + 1
        role = "own" if k == 0 else "exemplar" if k in (1, 2) else "peer"
        rows.append({"acct": acct, "platform": platform, "account_id": f"{platform}-{k}",
                     "label": f"Brand {acct}", "role": role})
    return pd.DataFrame(rows)


def posts_frame(accounts: pd.DataFrame, per_account: int, seed: int) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    n = len(accounts) * per_account
    acct = np.repeat(accounts["acct"].to_numpy(), per_account)
    level = rng.normal(-5, 0.7, size=len(accounts))[acct]  # each account has its own typical ER
    er = np.exp(level + rng.normal(0, 1.2, size=n))
    engagement = np.round(er * rng.lognormal(9, 1, size=n))
    kind = KINDS[rng.choice(4, size=n, p=[0.7, 0.15, 0.05, 0.1])]
    return pd.DataFrame({
        "acct": acct, "platform": accounts["platform"].to_numpy()[acct], "post_id": np.arange(n).astype(str),
        "url": [f"https://example.test/p{i}" for i in range(n)], "er": er, "engagement": engagement,
        "comments": np.round(engagement * 0.1), "kind": kind,
        "format": FORMATS[rng.integers(0, len(FORMATS), size=n)],
        "fan_repost": np.isin(kind, ["repost", "quote"]) & (rng.random(n) < 0.4),
        "reply_to_others": (kind == "reply") & (rng.random(n) < 0.5),
        "has_question": rng.random(n) < 0.1,
        "purpose": np.where(kind == "original", PURPOSES[rng.integers(0, 5, size=n)], None),
    })


def metrics_frame(accounts: pd.DataFrame, seed: int) -> pd.DataFrame:
    """A tidy metrics table with ~60 metrics per account (values random, n = 20,000)."""
    from benchmark.metrics.catalog import METRIC_IDS

    rng = np.random.default_rng(seed)
    frame = accounts.merge(pd.DataFrame({"metric": METRIC_IDS}), how="cross")
    frame["value"] = rng.random(len(frame))
    frame["n"] = 20_000
    return frame[["acct", "platform", "account_id", "label", "role", "metric", "value", "n"]]


def snapshots_frame(accounts: pd.DataFrame, start: datetime) -> pd.DataFrame:
    weeks = np.arange(14)
    rows = [(a, start + timedelta(days=7 * int(w)), 1000.0 * (1.01 ** w)) for a in accounts["acct"] for w in weeks]
    return pd.DataFrame(rows, columns=["acct", "crawled_at", "followers"])


def timed(label: str, fn: Callable[[], Any], results: list[tuple[str, float]]) -> Any:
    start = time.perf_counter()
    out = fn()
    results.append((label, time.perf_counter() - start))
    print(f"  {label:<58} {results[-1][1]:8.3f} s", flush=True)
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--accounts", type=int, default=50)
    parser.add_argument("--posts", type=int, default=1_000_000, help="posts per period, over all accounts")
    parser.add_argument("--n-boot", type=int, default=2000)
    parser.add_argument("--xlsx-rows", type=int, default=100_000, help="post rows for the Excel throughput")
    args = parser.parse_args()
    per_account = args.posts // args.accounts

    accounts = accounts_frame(args.accounts)
    print(f"building two periods of {args.accounts} accounts × {per_account:,} posts …", flush=True)
    current, previous = posts_frame(accounts, per_account, 1), posts_frame(accounts, per_account, 2)
    metrics_now, metrics_before, metrics_older = (metrics_frame(accounts, s) for s in (1, 2, 3))
    snaps = snapshots_frame(accounts, datetime(2026, 7, 1, 8))

    results: list[tuple[str, float]] = []
    start = time.perf_counter()
    import scipy.stats  # noqa: F401  (imported once per report by compare_er; timed apart)
    print(f"importing scipy.stats: {time.perf_counter() - start:.3f} s (once per process)")
    print(f"statistics for {len(current):,} posts per period (n_boot = {args.n_boot}):")
    timed(f"bootstrap CIs, 2 medians × {args.accounts} accounts",
          lambda: stats.median_ci_table(current, n_boot=args.n_boot, seed=1), results)
    timed(f"bootstrap CIs of the change, 2 medians × {args.accounts} accounts",
          lambda: stats.median_change_table(current, previous, n_boot=args.n_boot, seed=1), results)
    groups = [g["er"].to_numpy() for _, g in current.groupby("acct")]
    timed(f"Mann-Whitney U, {args.accounts} pairs of {per_account:,} vs {per_account:,} posts",
          lambda: [stats.compare_er(groups[i], groups[(i + 1) % len(groups)]) for i in range(len(groups))],
          results)
    pairs = timed("er_comparisons (own vs peers and exemplars, panel)",
                  lambda: stats.er_comparisons(current, accounts), results)
    timed("breakout_posts + breakout_accounts", lambda: (stats.breakout_posts(current),
                                                         stats.breakout_accounts(current)), results)
    timed("follower_growth (14 snapshots per account)",
          lambda: stats.follower_growth(snaps, date(2026, 7, 1), date(2026, 9, 30)), results)
    timed("recommendations (top 5 per own account)",
          lambda: recommend.recommendations(metrics_now, current), results)
    timed("metric_deltas", lambda: trend.metric_deltas(metrics_now, metrics_before), results)
    timed("trend_table + trend_summary, 3 periods",
          lambda: trend.trend_summary(trend.trend_table(
              {"2026Q1": metrics_older, "2026Q2": metrics_before, "2026Q3": metrics_now}, None)), results)
    total = sum(seconds for _, seconds in results)
    print(f"  {'TOTAL statistics':<58} {total:8.3f} s   (target < 5 s for 1,000,000 posts)")

    print("reference: the literal index-matrix bootstrap on one account:")
    one = groups[0]
    start = time.perf_counter()
    stats.bootstrap_median_ci(one, n_boot=args.n_boot, seed=1, method="resample")
    literal = time.perf_counter() - start
    start = time.perf_counter()
    stats.bootstrap_median_ci(one, n_boot=args.n_boot, seed=1)
    fast = time.perf_counter() - start
    # Per period and account: 2 medians for the intervals + 2 × 2 for the change = 6 bootstraps.
    print(f"  resample: {literal:.3f} s per median of {len(one):,} posts -> ~{literal * 6 * args.accounts:.0f} s "
          f"for the panel; order statistic: {fast * 1000:.2f} ms ({literal / fast:,.0f}× faster)")

    if args.xlsx_rows:
        print("Excel export (openpyxl, write-only):")
        with tempfile.TemporaryDirectory() as tmp:
            sheet = current.head(args.xlsx_rows)
            start = time.perf_counter()
            write_xlsx(Path(tmp) / "posts.xlsx", {"posts": sheet, "comparisons": pairs,
                       "metrics": metrics_now})
            seconds = time.perf_counter() - start
            size = (Path(tmp) / "posts.xlsx").stat().st_size
        cells = len(sheet) * sheet.shape[1]
        print(f"  {len(sheet):,} post rows × {sheet.shape[1]} columns: {seconds:.2f} s "
              f"({cells / seconds:,.0f} cells/s, {size / 1e6:.1f} MB)")


if __name__ == "__main__":
    main()
