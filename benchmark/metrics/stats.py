"""Statistics for the quarterly review (issue #9): bootstrap confidence intervals of medians and of their
change between periods, Mann-Whitney U tests of per-post ER, follower growth and breakout posts (the ranked
recommendations are benchmark.metrics.recommend; the Excel writer is benchmark.report.xlsx).

Inputs are the report's DataFrames: posts of a period with the derived columns of `derive.py` (`er`,
`engagement`, `kind`, `format`, `fan_repost`, `reply_to_others`, `has_question`, `purpose`), the tidy
metrics table of `compute.py` (`platform, account_id, label, role, metric, value, n`), and account
snapshots. Accounts are keyed by `acct` when a frame has it (the report's frames do), else by
(`platform`, `account_id`). Every function is pure and reproducible: random draws come from
`numpy.random.default_rng` seeded with the caller's seed and the account's key, so one account's interval
does not depend on which other accounts are in the panel.

Mann-Whitney needs only scipy.special's
normal distribution (scipy.stats takes about a second to import, the whole of a small report's budget).
"""

from __future__ import annotations

import math
import zlib
from collections.abc import Hashable, Mapping, Sequence
from datetime import date, datetime, timedelta
from typing import Any, Literal

import numpy as np
import pandas as pd

from benchmark.metrics.specs import MEDIAN_COLUMNS

MIN_N = 10  # METRICS.md: fewer than 10 posts on either side -> "too few posts to tell"
ALPHA = 0.05
TOO_FEW = "too few posts to tell"

BootstrapMethod = Literal["order_statistic", "resample"]


# -- account keys -------------------------------------------------------------------------------------
def account_keys(frame: pd.DataFrame) -> list[str]:
    """The columns that identify an account in `frame`: `acct` if present, else platform and account_id."""
    if "acct" in frame.columns:
        return ["acct"]
    keys = [c for c in ("platform", "account_id") if c in frame.columns]
    if "account_id" not in keys:
        raise ValueError("expected an `acct` column or `platform` and `account_id` columns")
    return keys


def _groups(frame: pd.DataFrame, keys: list[str]) -> dict[Hashable, np.ndarray]:
    """Row positions per account (one pass over the frame, however many accounts)."""
    if frame.empty:
        return {}
    by: Any = keys[0] if len(keys) == 1 else keys
    return dict(frame.groupby(by, sort=True, observed=True, dropna=False).indices)


def _key_columns(keys: list[str], key: Hashable) -> dict[str, Any]:
    values = key if len(keys) > 1 else (key,)
    return dict(zip(keys, values, strict=True))  # type: ignore[arg-type]


def _rng(seed: int, *parts: Any) -> np.random.Generator:
    """A generator seeded by the caller's seed and a stable hash of the parts (account key, metric)."""
    salt = zlib.crc32("\x1f".join(map(str, parts)).encode())
    return np.random.default_rng([seed, salt])


def _as_float(column: pd.Series) -> np.ndarray:
    return pd.to_numeric(column, errors="coerce").to_numpy(dtype="float64", na_value=np.nan)


def _finite(values: Any) -> np.ndarray:
    x = np.asarray(values, dtype="float64").ravel()
    return x[np.isfinite(x)]


# -- bootstrap ----------------------------------------------------------------------------------------
def bootstrap_medians(values: Any, *, n_boot: int = 2000, rng: np.random.Generator,
                      method: BootstrapMethod = "order_statistic",
                      chunk_elements: int = 4_000_000) -> np.ndarray:
    """`n_boot` bootstrap replicates of the median of `values` (NaN and inf dropped; all NaN when empty).

    "resample" draws an (n_boot × n) matrix of indices in chunks of about `chunk_elements` and takes row
    medians: the textbook bootstrap, O(n_boot · n). "order_statistic" (default) draws the same replicates
    from their exact distribution in O(n log n + n_boot): with the data sorted, a resample's median is the
    value at the resample's middle rank, and the k-th smallest of n uniform indices is floor(n · U(k)) with
    U(k) ~ Beta(k, n - k + 1); for even n the next rank is U(k) + (1 - U(k)) · Beta(1, n - k). Both are
    the same bootstrap distribution (tests compare them); the second takes 0.2 ms instead of 0.7 s for
    20,000 posts.
    """
    x = np.sort(_finite(values))
    n = len(x)
    if n == 0:
        return np.full(n_boot, np.nan)
    if method == "resample":
        return _resampled_medians(x, n_boot, rng, chunk_elements)
    if method != "order_statistic":
        raise ValueError(f"unknown bootstrap method {method!r}")
    return _order_statistic_medians(x, n_boot, rng)


def _resampled_medians(x: np.ndarray, n_boot: int, rng: np.random.Generator, chunk_elements: int) -> np.ndarray:
    n = len(x)
    rows = max(1, chunk_elements // n)
    out = np.empty(n_boot)
    for start in range(0, n_boot, rows):
        stop = min(n_boot, start + rows)
        idx = rng.integers(0, n, size=(stop - start, n), dtype=np.int64)
        out[start:stop] = np.median(x[idx], axis=1)
    return out


def _order_statistic_medians(x: np.ndarray, n_boot: int, rng: np.random.Generator) -> np.ndarray:
    n = len(x)
    if n == 1:
        return np.full(n_boot, x[0])

    def rank(u: np.ndarray) -> np.ndarray:  # a uniform order statistic -> the index it selects
        return np.minimum((u * n).astype(np.int64), n - 1)

    k = (n + 1) // 2
    low = rng.beta(k, n - k + 1, size=n_boot)
    if n % 2:
        return x[rank(low)]
    high = low + (1.0 - low) * rng.beta(1, n - k, size=n_boot)
    return (x[rank(low)] + x[rank(high)]) / 2.0


def _percentile_interval(replicates: np.ndarray, level: float) -> tuple[float, float]:
    if not 0 < level < 1:
        raise ValueError(f"level must be between 0 and 1, got {level}")
    if np.isnan(replicates).any():
        return math.nan, math.nan
    tail = (1.0 - level) / 2.0
    low, high = np.quantile(replicates, [tail, 1.0 - tail])
    return float(low), float(high)


def bootstrap_median_ci(values: Any, *, n_boot: int = 2000, seed: int = 0, level: float = 0.95,
                        method: BootstrapMethod = "order_statistic") -> tuple[float, float]:
    """Percentile bootstrap confidence interval of the median: (low, high); (nan, nan) without values.

    Same seed, same data -> the same interval. A constant sample c gives (c, c).
    """
    replicates = bootstrap_medians(values, n_boot=n_boot, rng=np.random.default_rng(seed), method=method)
    return _percentile_interval(replicates, level)


def bootstrap_median_diff_ci(current_values: Any, previous_values: Any, *, n_boot: int = 2000, seed: int = 0,
                             level: float = 0.95,
                             method: BootstrapMethod = "order_statistic") -> tuple[float, float]:
    """Percentile bootstrap interval of median(current) − median(previous), the two periods resampled
    independently (different posts). (nan, nan) when either side is empty."""
    rng = np.random.default_rng(seed)
    current = bootstrap_medians(current_values, n_boot=n_boot, rng=rng, method=method)
    previous = bootstrap_medians(previous_values, n_boot=n_boot, rng=rng, method=method)
    return _percentile_interval(current - previous, level)


def median_ci_table(posts: pd.DataFrame, *, columns: Mapping[str, str] = MEDIAN_COLUMNS, n_boot: int = 2000,
                    seed: int = 0, level: float = 0.95, min_n: int = MIN_N) -> pd.DataFrame:
    """Per account and metric (default er_median and engagement_median): the median, its bootstrap
    interval (ci_low, ci_high), n (posts with a value) and too_few (n < min_n)."""
    keys = account_keys(posts)
    arrays = {metric: _as_float(posts[column]) for metric, column in columns.items()}
    rows = []
    for key, positions in _groups(posts, keys).items():
        for metric in columns:
            values = _finite(arrays[metric][positions])
            replicates = bootstrap_medians(values, n_boot=n_boot, rng=_rng(seed, key, metric))
            low, high = _percentile_interval(replicates, level)
            rows.append({**_key_columns(keys, key), "metric": metric,
                         "value": float(np.median(values)) if len(values) else math.nan,
                         "ci_low": low, "ci_high": high, "n": len(values), "too_few": len(values) < min_n})
    return pd.DataFrame(rows, columns=[*keys, "metric", "value", "ci_low", "ci_high", "n", "too_few"])


def median_change_table(current_posts: pd.DataFrame, previous_posts: pd.DataFrame, *,
                        columns: Mapping[str, str] = MEDIAN_COLUMNS, n_boot: int = 2000, seed: int = 0,
                        level: float = 0.95, min_n: int = MIN_N) -> pd.DataFrame:
    """Per account of the current period and metric: current and previous median, delta, the bootstrap
    interval of the delta and a verdict: "up" / "down" (the interval excludes 0), "no clear change", or
    "too few posts to tell" (fewer than `min_n` posts in either period)."""
    keys = account_keys(current_posts)
    previous_groups = _groups(previous_posts, keys)
    now = {metric: _as_float(current_posts[column]) for metric, column in columns.items()}
    before = {metric: _as_float(previous_posts[column]) for metric, column in columns.items()}
    none = np.empty(0, dtype=np.int64)
    rows = []
    for key, positions in _groups(current_posts, keys).items():
        for metric in columns:
            current = _finite(now[metric][positions])
            previous = _finite(before[metric][previous_groups.get(key, none)])
            rng = _rng(seed, key, metric, "change")
            diff = (bootstrap_medians(current, n_boot=n_boot, rng=rng)
                    - bootstrap_medians(previous, n_boot=n_boot, rng=rng))
            low, high = _percentile_interval(diff, level)
            cur_median = float(np.median(current)) if len(current) else math.nan
            prev_median = float(np.median(previous)) if len(previous) else math.nan
            rows.append({**_key_columns(keys, key), "metric": metric, "current": cur_median,
                         "previous": prev_median, "delta": cur_median - prev_median, "ci_low": low,
                         "ci_high": high, "n_current": len(current), "n_previous": len(previous),
                         "verdict": _change_verdict(low, high, len(current), len(previous), min_n)})
    return pd.DataFrame(rows, columns=[*keys, "metric", "current", "previous", "delta", "ci_low", "ci_high",
                                       "n_current", "n_previous", "verdict"])


def _change_verdict(low: float, high: float, n_current: int, n_previous: int, min_n: int) -> str:
    if min(n_current, n_previous) < min_n:
        return TOO_FEW
    if low > 0:
        return "up"
    if high < 0:
        return "down"
    return "no clear change"


# -- Mann-Whitney U ---------------------------------------------------------------------------------------
def compare_er(own: Any, other: Any, *, alpha: float = ALPHA, min_n: int = MIN_N) -> dict[str, Any]:
    """Two-sided Mann-Whitney U test of per-post ER, own vs another account (NaN values dropped).

    Returns u (own's U statistic), p_value, n_own, n_other, effect (rank-biserial correlation
    2U/(n_own·n_other) − 1: +1 every own post beats every other post, −1 the reverse, 0 a tie),
    common_language (U/(n_own·n_other): the chance that a random own post beats a random other post, ties
    count half) and verdict: "higher" / "lower" (p < alpha), "no clear difference", or "too few posts to
    tell" when either side has fewer than `min_n` posts (then u, p_value and the effects are None).
    """
    x, y = _finite(own), _finite(other)
    result: dict[str, Any] = {"u": None, "p_value": None, "n_own": len(x), "n_other": len(y), "effect": None,
                              "common_language": None, "verdict": TOO_FEW}
    if min(len(x), len(y)) < min_n:
        return result
    pairs = len(x) * len(y)
    if np.ptp(np.concatenate([x, y])) == 0:
        u, p = pairs / 2.0, 1.0  # every value equal: scipy's normal approximation divides by a zero variance
    else:
        u, p = mann_whitney(x, y)
    direction = "higher" if u > pairs / 2.0 else "lower"
    verdict = direction if p < alpha else "no clear difference"
    result.update(u=u, p_value=p, effect=2.0 * u / pairs - 1.0, common_language=u / pairs, verdict=verdict)
    return result


def mann_whitney(x: np.ndarray, y: np.ndarray) -> tuple[float, float]:
    """x's U statistic and the two-sided p-value of `scipy.stats.mannwhitneyu(x, y)` with its defaults, for
    samples of more than 8 values each (scipy's "auto" method is then the normal approximation with tie and
    continuity corrections). The same operations on the same arrays in the same order as scipy 1.17, so the
    results are bit-identical (tests/test_stats.py checks it against scipy); without importing scipy.stats."""
    from scipy.special import ndtr

    n1, n2 = len(x), len(y)
    xy = np.concatenate([np.asarray(x, dtype=float), np.asarray(y, dtype=float)])
    order = np.argsort(xy, kind="stable")
    ordered = xy[order]
    first = np.concatenate([[True], ordered[:-1] != ordered[1:]])  # first element of each run of equal values
    starts = np.arange(len(xy))[first]
    counts = np.diff(starts, append=len(xy))
    ranks = np.empty(len(xy))
    ranks[order] = np.repeat(np.arange(1, len(xy) + 1, dtype=float)[first] + (counts.astype(float) - 1) / 2, counts)
    ties = np.zeros(len(xy))
    ties[first] = counts
    u1 = np.sum(ranks[:n1]) - n1 * (n1 + 1) / 2
    u = max(u1, n1 * n2 - u1)
    n = n1 + n2
    s = np.sqrt(n1 * n2 / 12 * ((n + 1) - np.sum(ties**3 - ties) / (n * (n - 1))))
    z = (u - n1 * n2 / 2 - 0.5) / s
    return float(u1), float(np.clip(ndtr(-z) * 2, 0.0, 1.0))


def er_comparisons(posts: pd.DataFrame, accounts: pd.DataFrame, *, er_col: str = "er", alpha: float = ALPHA,
                   min_n: int = MIN_N) -> pd.DataFrame:
    """compare_er between each own account and every peer and exemplar on its platform (exemplars on
    other platforms when its platform has none, as in the scorecard).

    `accounts`: one row per account with the key columns of `posts` plus platform, label and role
    (`PanelData.accounts`, or the tidy metrics table: duplicates are dropped). Columns of the result: own
    and other key columns (prefixed own_/other_), own_label, other_label, other_role, other_platform,
    own_median, other_median, then compare_er's fields.
    """
    keys = account_keys(posts)
    info = accounts.drop_duplicates(keys).reset_index(drop=True)
    groups = _groups(posts, keys)
    er = _as_float(posts[er_col])
    empty = np.empty(0, dtype=np.int64)

    def values(row: pd.Series) -> np.ndarray:
        key = row[keys[0]] if len(keys) == 1 else tuple(row[k] for k in keys)
        return _finite(er[groups.get(key, empty)])

    rows = []
    for _, own in info[info["role"] == "own"].iterrows():
        own_values = values(own)
        for _, other in _counterparts(info, own).iterrows():
            other_values = values(other)
            rows.append({
                **{f"own_{k}": own[k] for k in keys}, **{f"other_{k}": other[k] for k in keys},
                "own_label": own["label"], "other_label": other["label"], "other_role": other["role"],
                "other_platform": other["platform"], "own_median": _median(own_values),
                "other_median": _median(other_values), **compare_er(own_values, other_values, alpha=alpha,
                                                                    min_n=min_n),
            })
    columns = [*(f"own_{k}" for k in keys), *(f"other_{k}" for k in keys), "own_label", "other_label",
               "other_role", "other_platform", "own_median", "other_median", "u", "p_value", "n_own",
               "n_other", "effect", "common_language", "verdict"]
    return pd.DataFrame(rows, columns=columns)


def _counterparts(info: pd.DataFrame, own: pd.Series) -> pd.DataFrame:
    same = info["platform"] == own["platform"]
    peers = info[same & (info["role"] == "peer")]
    exemplars = info[same & (info["role"] == "exemplar")]
    if exemplars.empty:
        exemplars = info[info["role"] == "exemplar"]
    return pd.concat([peers, exemplars])


def _median(values: np.ndarray) -> float:
    return float(np.median(values)) if len(values) else math.nan


# -- follower growth ----------------------------------------------------------------------------------------
ONE_SNAPSHOT = "one snapshot only: crawl again later in the quarter to measure growth"
NO_SNAPSHOT = "no snapshot in the period: crawl during the quarter to measure growth"
NO_FOLLOWERS = "no followers at the first snapshot: relative growth is undefined"
SHORT_SPAN = "snapshots less than a week apart: the weekly rate is an extrapolation"


def period_bounds(start: date | datetime, end: date | datetime) -> tuple[datetime, datetime]:
    """[start, end) as naive UTC datetimes. Dates are whole days in UTC (end inclusive); pass datetimes,
    e.g. `PanelData.bounds_utc`, for days in the config's timezone (aware ones are converted to UTC)."""
    def as_datetime(value: date | datetime, is_end: bool) -> datetime:
        if isinstance(value, datetime):
            return naive_utc(value)
        day = value + timedelta(days=1) if is_end else value
        return datetime(day.year, day.month, day.day)

    return as_datetime(start, False), as_datetime(end, True)


def naive_utc(value: datetime) -> datetime:
    """An aware datetime as naive UTC; a naive one as it is."""
    if value.tzinfo is None:
        return value
    return pd.Timestamp(value).tz_convert("UTC").tz_localize(None).to_pydatetime()


def _naive_utc_series(values: pd.Series) -> pd.Series:
    times = pd.to_datetime(values, utc=True, errors="coerce")
    return times.dt.tz_localize(None)


def follower_growth(snapshots: pd.DataFrame, start: date | datetime, end: date | datetime, *,
                    accounts: pd.DataFrame | None = None) -> pd.DataFrame:
    """Per account, from its follower snapshots in [start, end]: the first and last snapshot, days between
    them, absolute and relative change and the weekly geometric rate (last/first)**(7/days) − 1.

    Needs two snapshots at different times; otherwise the numbers are NaN and `note` says why (ONE_SNAPSHOT).
    `accounts` (optional, with the same key columns) adds a row for accounts without any snapshot in the
    period (NO_SNAPSHOT). Snapshots without a follower count are ignored.
    """
    keys = account_keys(snapshots)
    lo, hi = period_bounds(start, end)
    snaps = snapshots[[*keys, "crawled_at", "followers"]].copy()
    snaps["crawled_at"] = _naive_utc_series(snaps["crawled_at"])
    snaps["followers"] = pd.to_numeric(snaps["followers"], errors="coerce")
    snaps = snaps[(snaps["crawled_at"] >= lo) & (snaps["crawled_at"] < hi) & snaps["followers"].notna()]
    snaps = snaps.sort_values([*keys, "crawled_at"], kind="stable")
    rows = [_growth_row(keys, key, snaps.iloc[pos]) for key, pos in _groups(snaps, keys).items()]
    columns = [*keys, "snapshots", "first_at", "last_at", "days", "first_followers", "last_followers",
               "absolute", "relative", "weekly_rate", "note"]
    out = pd.DataFrame(rows, columns=columns)
    if accounts is not None:
        out = _with_missing_accounts(out, accounts, keys)
    return out


def _growth_row(keys: list[str], key: Hashable, snaps: pd.DataFrame) -> dict[str, Any]:
    first, last = snaps.iloc[0], snaps.iloc[-1]
    row = {**_key_columns(keys, key), "snapshots": len(snaps), "first_at": first["crawled_at"],
           "last_at": last["crawled_at"], "days": math.nan, "first_followers": float(first["followers"]),
           "last_followers": float(last["followers"]), "absolute": math.nan, "relative": math.nan,
           "weekly_rate": math.nan, "note": ""}
    days = (last["crawled_at"] - first["crawled_at"]).total_seconds() / 86400.0
    if days <= 0:
        row["note"] = ONE_SNAPSHOT
        return row
    row["days"] = days
    row["absolute"] = row["last_followers"] - row["first_followers"]
    if row["first_followers"] <= 0:
        row["note"] = NO_FOLLOWERS
        return row
    ratio = row["last_followers"] / row["first_followers"]
    row["relative"] = ratio - 1.0
    row["weekly_rate"] = ratio ** (7.0 / days) - 1.0
    row["note"] = SHORT_SPAN if days < 7 else ""
    return row


def _with_missing_accounts(out: pd.DataFrame, accounts: pd.DataFrame, keys: list[str]) -> pd.DataFrame:
    wanted = accounts[keys].drop_duplicates()
    have = set(map(tuple, out[keys].astype(str).to_numpy()))
    missing = wanted[[tuple(r) not in have for r in wanted.astype(str).to_numpy()]]
    if missing.empty:
        return out
    extra = missing.assign(snapshots=0, note=NO_SNAPSHOT)
    return pd.concat([out, extra], ignore_index=True).reindex(columns=out.columns)


# -- breakout posts -----------------------------------------------------------------------------------------
_CARRIED = ("platform", "account_id", "label", "role", "created_at", "kind", "format", "url", "text")


def _er_z_scores(posts: pd.DataFrame, er_col: str) -> tuple[pd.DataFrame, list[str]]:
    """Posts with an ER, with the account's n, mean, sample standard deviation and each post's z-score."""
    keys = account_keys(posts)
    er = _as_float(posts[er_col])
    finite = np.isfinite(er)
    frame = posts.loc[finite].assign(**{er_col: er[finite]})
    grouped = frame.groupby(keys, observed=True, sort=False)[er_col]
    scored = frame.assign(
        n_posts=grouped.transform("count").astype("int64"),
        account_mean=grouped.transform("mean"),
        account_sd=grouped.transform("std"),  # ddof=1, like a spreadsheet's STDEV.S
    )
    sd = scored["account_sd"]
    scored["z"] = ((scored[er_col] - scored["account_mean"]) / sd).where(sd > 0)
    return scored, keys


def _big_enough(scored: pd.DataFrame, min_engagement: float) -> pd.Series:
    """Posts with at least `min_engagement` engagements (all posts of a frame without the column): one like
    among posts with none is many SDs out, but no breakout."""
    if not min_engagement or "engagement" not in scored.columns:
        return pd.Series(True, index=scored.index)
    return pd.to_numeric(scored["engagement"], errors="coerce").fillna(0) >= min_engagement


def breakout_posts(posts: pd.DataFrame, *, er_col: str = "er", sd: float = 3.0,
                   min_n: int = MIN_N, min_engagement: float = 0) -> pd.DataFrame:
    """Posts whose ER is more than `sd` standard deviations above their account's mean ER in the period.

    z = (er − account mean) / account sample SD, over the account's posts with an ER. Accounts with fewer
    than `min_n` such posts are not tested (see `breakout_accounts`, which says so per account). Sorted by
    z, highest first. Note: with n posts no z can exceed (n − 1)/√n (2.85 at n = 10), so a 3-SD breakout
    needs at least 11 posts. A breakout also needs `min_engagement` engagements.
    """
    scored, keys = _er_z_scores(posts, er_col)
    hits = scored[(scored["n_posts"] >= min_n) & (scored["z"] > sd) & _big_enough(scored, min_engagement)]
    carried = [c for c in _CARRIED if c in hits.columns and c not in keys]
    columns = [*keys, *carried, "post_id", er_col, "z", "account_mean", "account_sd", "n_posts"]
    return hits.sort_values("z", ascending=False, kind="stable")[columns].reset_index(drop=True)


def breakout_accounts(posts: pd.DataFrame, *, er_col: str = "er", sd: float = 3.0,
                      min_n: int = MIN_N, min_engagement: float = 0) -> pd.DataFrame:
    """Per account: n_posts with an ER, mean, sd, the ER threshold for a breakout, how many breakouts,
    `tested` and a note for accounts left out (fewer than `min_n` posts or no spread)."""
    scored, keys = _er_z_scores(posts, er_col)
    scored["breakout"] = (scored["n_posts"] >= min_n) & (scored["z"] > sd) & _big_enough(scored, min_engagement)
    summary = scored.groupby(keys, observed=True, sort=True).agg(
        n_posts=("n_posts", "first"), mean=("account_mean", "first"), sd=("account_sd", "first"),
        breakouts=("breakout", "sum")).reset_index()
    summary["threshold"] = summary["mean"] + sd * summary["sd"]
    summary["tested"] = (summary["n_posts"] >= min_n) & (summary["sd"] > 0)
    summary["note"] = np.where(
        summary["n_posts"] < min_n, f"fewer than {min_n} posts with an engagement rate: not tested",
        np.where(summary["sd"] > 0, "", "every post has the same engagement rate: no breakouts"))
    return summary[[*keys, "n_posts", "mean", "sd", "threshold", "breakouts", "tested", "note"]]


__all__: Sequence[str] = [
    "MIN_N", "account_keys", "bootstrap_median_ci", "bootstrap_median_diff_ci", "bootstrap_medians",
    "breakout_accounts", "breakout_posts", "compare_er", "er_comparisons", "follower_growth", "median_change_table",
    "median_ci_table", "period_bounds",
]
