"""Comparing periods (METRICS.md "Comparing periods"): the previous period of the same length, metric deltas
between two tidy metrics tables, and a trend table over several periods for charts.

Works on the tidy metrics table of `benchmark.metrics.compute.compute_metrics` (or metrics.csv): columns
`platform, account_id, label, role, metric, value, n` (an `acct` column, when present, is carried along).
Rows of two periods are matched by (platform, account_id, metric), not by `acct`, so a reordered config
still matches. Pure functions, pandas only.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from datetime import date, timedelta

import pandas as pd

from benchmark.metrics.specs import EXACT_METRICS, ROLE_ORDER

MIN_N = 10  # METRICS.md: differences resting on fewer than 10 posts are marked as such

# Metrics whose value is an exact count, or whose n counts follower snapshots rather than posts (MetricSpec.exact):
# a change in them is not sampling noise, so they are never flagged `too_few`.

KEY = ["platform", "account_id", "metric"]


def previous_period(start: date, end: date) -> tuple[date, date]:
    """The period of the same length (in days, inclusive) that ends the day before `start`.

    2026Q3 (2026-07-01..2026-09-30, 92 days) -> 2026-03-31..2026-06-30, not 2026Q2 (91 days): comparing
    unequal lengths would bias every count and per-week figure.
    """
    if start > end:
        raise ValueError(f"the period starts ({start}) after it ends ({end})")
    days = (end - start).days + 1
    previous_end = start - timedelta(days=1)
    return previous_end - timedelta(days=days - 1), previous_end


def too_few(metric: pd.Series, *ns: pd.Series, min_n: int = MIN_N) -> pd.Series:
    """True where any of the n columns is below `min_n` (NaN counts as 0), except for EXACT_METRICS."""
    flag = pd.Series(False, index=metric.index)
    for n in ns:
        flag |= n.fillna(0).to_numpy() < min_n
    return flag & ~metric.isin(EXACT_METRICS)


def relative_change(delta: pd.Series, previous: pd.Series) -> pd.Series:
    """delta / |previous|; undefined (NaN) when previous is 0 or unknown."""
    base = previous.abs()
    return (delta / base).where(base > 0)


def metric_deltas(current: pd.DataFrame, previous: pd.DataFrame, *, min_n: int = MIN_N) -> pd.DataFrame:
    """The current tidy metrics with previous_value, previous_n, delta, relative_delta and too_few added.

    One output row per current row (accounts only in the previous period are dropped; accounts new in the
    current one get NaN previous values). `too_few` is True when either period's n is below `min_n`
    (never for EXACT_METRICS, whose change is exact).
    """
    prev = previous[["value", "n"]].rename(columns={"value": "previous_value", "n": "previous_n"})
    prev.index = _key_index(previous)
    prev = prev[~prev.index.duplicated(keep="last")]
    out = current.copy()
    matched = prev.reindex(_key_index(current))
    out["previous_value"] = matched["previous_value"].to_numpy()
    out["previous_n"] = matched["previous_n"].to_numpy()
    out["previous_value"] = out["previous_value"].astype("float64")
    out["delta"] = out["value"].astype("float64") - out["previous_value"]
    out["relative_delta"] = relative_change(out["delta"], out["previous_value"])
    out["too_few"] = too_few(out["metric"], out["n"], out["previous_n"], min_n=min_n)
    return out


def trend_table(frames_by_period: Mapping[str, pd.DataFrame], metrics: Iterable[str] | None = None, *,
                min_n: int = MIN_N) -> pd.DataFrame:
    """Every account's value of each metric in each period, in the order the periods are given
    (pass them chronologically), with the change from the period before in the list.

    Columns: period, period_index, the tidy columns, delta, relative_delta (NaN in the first period and
    after a period the account is missing from), too_few (this period's n or the period before's n is below
    `min_n`). `metrics=None` keeps every metric.
    """
    wanted = None if metrics is None else list(metrics)
    frames = []
    for index, (period, frame) in enumerate(frames_by_period.items()):
        part = frame if wanted is None else frame[frame["metric"].isin(wanted)]
        frames.append(part.assign(period=period, period_index=index))
    if not frames:
        return pd.DataFrame(columns=["period", "period_index", *KEY, "value", "n", "delta", "relative_delta",
                                     "too_few"])
    trend = pd.concat(frames, ignore_index=True)
    trend["value"] = trend["value"].astype("float64")
    for column in ("platform", "account_id"):
        trend[column] = trend[column].astype(str)
    trend = trend.sort_values([*KEY, "period_index"], kind="stable", ignore_index=True)
    grouped = trend.groupby(KEY, sort=False)
    # Only the period just before counts: an account missing from a period has no delta in the next one.
    adjacent = grouped["period_index"].shift() == trend["period_index"] - 1
    before_value = grouped["value"].shift().where(adjacent)
    before_n = grouped["n"].shift().where(adjacent)
    trend["delta"] = trend["value"] - before_value
    trend["relative_delta"] = relative_change(trend["delta"], before_value)
    trend["too_few"] = too_few(trend["metric"], trend["n"], before_n.where(adjacent, min_n), min_n=min_n)
    order = trend["role"].map(ROLE_ORDER).fillna(9) if "role" in trend else 0
    trend = trend.assign(_role=order).sort_values(["platform", "_role", "account_id", "metric", "period_index"],
                                                  kind="stable", ignore_index=True)
    lead = ["period", "period_index"]
    return trend[lead + [c for c in trend.columns if c not in (*lead, "_role")]]


def trend_summary(trend: pd.DataFrame) -> pd.DataFrame:
    """The lines of a trend chart per platform and metric: each own account, the peers' median and the
    exemplars' median per period (long form: period, period_index, platform, metric, series, role, value,
    accounts = how many accounts the value summarises)."""
    columns = ["period", "period_index", "platform", "metric", "series", "role", "value", "accounts"]
    if trend.empty:
        return pd.DataFrame(columns=columns)
    by = ["period", "period_index", "platform", "metric"]
    own = trend[trend["role"] == "own"]
    parts = [own.assign(series=own["label"], accounts=own["value"].notna().astype("int64"))]
    for role, name in (("peer", "peers (median)"), ("exemplar", "exemplars (median)")):
        sub = trend[trend["role"] == role]
        if sub.empty:
            continue
        agg = sub.groupby(by, observed=True, sort=False)["value"].agg(["median", "count"]).reset_index()
        parts.append(agg.rename(columns={"median": "value", "count": "accounts"}).assign(series=name, role=role))
    summary = pd.concat([p[columns] for p in parts], ignore_index=True)
    summary["_role"] = summary["role"].map(ROLE_ORDER).fillna(9)
    summary = summary.sort_values(["platform", "metric", "_role", "series", "period_index"], kind="stable",
                                  ignore_index=True)
    return summary[columns]


def _key_index(frame: pd.DataFrame) -> pd.MultiIndex:
    """(platform, account_id, metric) as strings: ids read back from CSV may be ints, live ones strings."""
    return pd.MultiIndex.from_arrays([frame[c].astype(str).to_numpy() for c in KEY], names=KEY)
