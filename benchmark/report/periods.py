"""Comparing periods in the report (issue #9): which periods to load, loading their metrics (in a worker
process while the current period is processed, when the machine has a second CPU), and the "Change since
last period" and "Trend" sections built on benchmark/metrics/trend.py and stats.py.

A comparison period is read lean (`load_panel(lean=True)`): its metrics and, for `--compare-previous`, the
per-post ER and engagement the bootstrap needs. Nothing of it is rendered or exported post by post.
"""

from __future__ import annotations

import multiprocessing
import os
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import date
from itertools import pairwise
from typing import Any

import numpy as np
import pandas as pd

from benchmark.config import BenchmarkConfig, parse_period
from benchmark.i18n import _, format_count, format_date, format_number, translate
from benchmark.metrics import stats, trend
from benchmark.metrics.catalog import KEY_METRICS, METRIC_IDS, METRICS, format_value, metric_label
from benchmark.metrics.compute import compute_metrics
from benchmark.metrics.load import ReportInputError, load_panel, open_store, with_period
from benchmark.metrics.specs import CHANGE_METRICS, TREND_METRICS

WORKERS_ENV = "BENCHMARK_REPORT_WORKERS"  # 0 = load comparison periods in the main process


def change_name(metric: str) -> str:
    return {"er_median": _("median ER"), "engagement_median": _("median engagements")}.get(metric, metric)


def verdict_text(verdict: str) -> str:
    """stats' verdict codes as the reader reads them (in the current language)."""
    return {"up": _("up"), "down": _("down"), "no clear change": _("no clear change"),
            stats.TOO_FEW: _("too few posts to tell")}.get(verdict, verdict)


@dataclass(frozen=True)
class Period:
    name: str
    since: date
    until: date

    @property
    def days(self) -> int:
        return (self.until - self.since).days + 1

    def __str__(self) -> str:
        dates = period_text(self.since, self.until)
        return dates if self.name == f"{self.since}_{self.until}" else _("{name} ({dates})").format(
            name=self.name, dates=dates)


def day_text(day: date) -> str:
    # Translators: a CLDR date pattern for the report's dates (2026-07-01 / 2026年7月1日).
    return format_date(day, length=_("yyyy-MM-dd"))


def period_text(since: date, until: date) -> str:
    return _("{since} to {until}").format(since=day_text(since), until=day_text(until))


@dataclass
class PeriodResult:
    """What a comparison period contributes: its tidy metrics and, when asked for, its posts' ER and E."""

    period: Period
    metrics: pd.DataFrame
    posts: pd.DataFrame | None  # acct, er, engagement
    n_posts: int


def parse_periods(text: str) -> list[Period]:
    """'2026Q1,2026Q2,2026Q3' → the periods in chronological order. Raises ReportInputError on an unknown,
    repeated or overlapping period."""
    periods = []
    for part in (p.strip() for p in text.split(",")):
        if not part:
            continue
        try:
            since, until = parse_period(part)
        except ValueError as exc:
            raise ReportInputError(translate(exc.args[0])) from exc
        periods.append(Period(part.upper(), since, until))
    if not periods:
        raise ReportInputError(_("--periods needs at least one period, e.g. --periods 2026Q1,2026Q2,2026Q3"))
    periods.sort(key=lambda p: p.since)
    for before, after in pairwise(periods):
        if after.since <= before.until:
            raise ReportInputError(_("--periods: {first} and {second} overlap; list each period once").format(
                first=before.name, second=after.name))
    return periods


def previous_of(config: BenchmarkConfig) -> Period:
    since, until = trend.previous_period(config.period_start, config.period_end)
    return Period(f"{since}_{until}", since, until)


# -- loading --------------------------------------------------------------------------------------------
def load_period(config: BenchmarkConfig, db_url: str, period: Period, keep_posts: bool) -> PeriodResult:
    """The metrics of `period` for the config's panel (a top-level function: it runs in a worker process)."""
    from benchmark.purpose import PurposeRules

    panel_config = with_period(config, period.since, period.until)
    engine = open_store(db_url)
    try:
        panel = load_panel(engine, panel_config, rules=PurposeRules.load(config.purpose_lexicon), lean=True)
    finally:
        engine.dispose()
    metrics = compute_metrics(panel)
    posts = panel.posts[["acct", "er", "engagement"]].copy() if keep_posts else None
    return PeriodResult(period=period, metrics=metrics, posts=posts, n_posts=len(panel.posts))


def worker_count(jobs: int) -> int:
    """Worker processes for `jobs` comparison periods: one per period, at most one per CPU (the current
    period's process mostly writes files by the time they are busy); none on a single CPU, or as many as
    BENCHMARK_REPORT_WORKERS says (0: read the comparison periods in this process, one after the other)."""
    if jobs == 0:
        return 0
    wanted = os.environ.get(WORKERS_ENV, "").strip()
    try:
        cpus = len(os.sched_getaffinity(0))
    except AttributeError:  # not on Linux
        cpus = os.cpu_count() or 1
    limit = int(wanted) if wanted.isdigit() else (cpus if cpus > 1 else 0)
    return max(0, min(jobs, limit))


class Comparisons:
    """Comparison periods loading in worker processes, started at once, or, without workers, loaded in
    this process when `results()` asks for them."""

    def __init__(self, config: BenchmarkConfig, db_url: str, jobs: Sequence[tuple[Period, bool]]) -> None:
        self.config, self.db_url, self.jobs = config, db_url, list(jobs)
        self.workers = worker_count(len(self.jobs))
        self._pool: Any = None
        self._pending: list[Any] = []
        if self.workers:
            methods = multiprocessing.get_all_start_methods()
            # fork: a worker starts with pandas already imported (spawn would import it again, ~1 s).
            context = multiprocessing.get_context("fork" if "fork" in methods else "spawn")
            self._pool = context.Pool(processes=self.workers)
            self._pending = [self._pool.apply_async(load_period, (config, db_url, period, keep))
                             for period, keep in self.jobs]

    def results(self, say: Callable[[str], None]) -> list[PeriodResult]:
        out = []
        try:
            for index, (period, keep) in enumerate(self.jobs):
                if self._pool is not None:
                    say(_("comparison period {period}: waiting for its worker").format(period=period))
                    result = self._pending[index].get()
                else:
                    say(_("comparison period {period}: reading its posts").format(period=period))
                    result = load_period(self.config, self.db_url, period, keep)
                say(_("comparison period {period}: {count} posts").format(period=period,
                                                                        count=format_count(result.n_posts)))
                out.append(result)
        except BaseException:
            self.close()
            raise
        self.close(finished=True)
        return out

    def close(self, finished: bool = False) -> None:
        """Stop the workers (at once unless they have all finished)."""
        if self._pool is None:
            return
        if finished:
            self._pool.close()
        else:
            self._pool.terminate()
        self._pool.join()
        self._pool = None


# -- change since the previous period -------------------------------------------------------------------
@dataclass
class Change:
    """The tables behind "Change since last period"."""

    previous: PeriodResult
    deltas: pd.DataFrame  # metric_deltas: every metric of every account
    ci_current: pd.DataFrame  # median_ci_table of the current period
    ci_previous: pd.DataFrame
    median_change: pd.DataFrame  # median_change_table


def change(metrics: pd.DataFrame, posts: pd.DataFrame, previous: PeriodResult) -> Change:
    current_posts = posts[["acct", "er", "engagement"]]
    previous_posts = previous.posts if previous.posts is not None else current_posts.iloc[0:0]
    return Change(
        previous=previous,
        deltas=trend.metric_deltas(metrics, previous.metrics),
        ci_current=stats.median_ci_table(current_posts),
        ci_previous=stats.median_ci_table(previous_posts),
        median_change=stats.median_change_table(current_posts, previous_posts),
    )


def _unit_suffixes(*messages: str) -> list[str]:
    """What the unit messages add after the number in the current language (' ‰' in English, '‰' in
    Chinese), so that an interval names its unit once."""
    return [suffix for suffix in (_(m).format(value="") for m in messages) if suffix.strip()]


def ci_text(metric: str, value: float, low: float, high: float) -> str:
    """'0.52 ‰ (95 % CI 0.41–0.60 ‰)'; the value alone when the interval is undefined."""
    if value != value:
        return "—"
    if low != low or high != high:
        return format_value(metric, value)
    unit_low, unit_high = str(format_value(metric, low)), str(format_value(metric, high))
    suffix = ""
    for unit in _unit_suffixes("{value} ‰", "{value} %"):
        if unit_low.endswith(unit) and unit_high.endswith(unit):
            unit_low, suffix = unit_low[: -len(unit)], unit
            unit_high = unit_high[: -len(unit)]
    return _("{value} (95 % CI {low}–{high}{unit})").format(value=format_value(metric, value), low=unit_low,
                                                          high=unit_high, unit=suffix)


def delta_text(metric: str, delta: float, low: float = float("nan"), high: float = float("nan")) -> str:
    """A signed change in the metric's unit, with its interval when known: '+0.12 ‰ (95 % CI −0.02 to
    +0.25 ‰)'."""
    if delta != delta:
        return "—"
    text = signed(metric, delta)
    if low != low or high != high:
        return text
    first, second = signed(metric, low), signed(metric, high)
    for unit in _unit_suffixes("{value} ‰", "{value} %", "{value} pts"):
        if first.endswith(unit) and second.endswith(unit):
            first = first[: -len(unit)]
    return _("{change} (95 % CI {low} to {high})").format(change=text, low=first, high=second)


def signed(metric: str, value: float) -> str:
    unit = METRICS[metric][0] if metric in METRICS else "number"
    sign = "+" if value > 0 else "−" if value < 0 else "±"
    size = abs(value)
    if unit == "share":
        # Translators: a change of a percentage, in percentage points.
        return _("{value} pts").format(value=sign + format_number(size * 100, digits=1))
    if unit == "er":  # per mille or percent (--units), significant digits kept for a tiny change
        return sign + format_value(metric, size)
    if unit in ("count", "flag"):
        return sign + format_number(size)
    return f"{sign}{format_value(metric, size)}"


VERDICT_CLASS = {"up": "better", "down": "worse"}


def median_rows(ch: Change, accounts: pd.DataFrame) -> list[dict[str, Any]]:
    """One row per account and metric of CHANGE_METRICS: previous and current median with their 95 %
    bootstrap intervals, the change with its interval, and the verdict."""
    now = ch.ci_current.set_index(["acct", "metric"])
    before = ch.ci_previous.set_index(["acct", "metric"])
    moved = ch.median_change.set_index(["acct", "metric"])
    rows = []
    for acct, a in accounts.iterrows():
        for metric in CHANGE_METRICS:
            cur = now.loc[(acct, metric)] if (acct, metric) in now.index else None
            pre = before.loc[(acct, metric)] if (acct, metric) in before.index else None
            mv = moved.loc[(acct, metric)] if (acct, metric) in moved.index else None
            verdict = mv["verdict"] if mv is not None else stats.TOO_FEW
            rows.append({
                "display": a["display"], "role": a["role"], "metric": metric, "first": metric == CHANGE_METRICS[0],
                "name": change_name(metric),
                "previous": ci_text(metric, *_ci(pre)), "n_previous": int(pre["n"]) if pre is not None else 0,
                "current": ci_text(metric, *_ci(cur)), "n_current": int(cur["n"]) if cur is not None else 0,
                "change": delta_text(metric, mv["delta"], mv["ci_low"], mv["ci_high"]) if mv is not None else "—",
                "verdict": verdict_text(verdict), "cls": VERDICT_CLASS.get(verdict, ""),
                "too_few": verdict == stats.TOO_FEW,
            })
    return rows


def _ci(row: pd.Series | None) -> tuple[float, float, float]:
    if row is None:
        return float("nan"), float("nan"), float("nan")
    return float(row["value"]), float(row["ci_low"]), float(row["ci_high"])


def key_delta_table(ch: Change, accounts: pd.DataFrame) -> dict[str, Any]:
    """Every account × key metric: 'previous → current' and the change; too few posts marked."""
    deltas = ch.deltas.set_index(["acct", "metric"])
    columns = [{"id": m, "name": metric_label(m)} for m, _d, _n in KEY_METRICS]
    rows = []
    for acct, a in accounts.iterrows():
        cells = []
        for metric, direction, _name in KEY_METRICS:
            r = deltas.loc[(acct, metric)]
            better = np.sign(r["delta"]) * direction if r["delta"] == r["delta"] else 0
            cells.append({"text": f"{format_value(metric, r['previous_value'])} → {format_value(metric, r['value'])}",
                          "delta": signed(metric, r["delta"]) if r["delta"] == r["delta"] else "",
                          "too_few": bool(r["too_few"]) and r["delta"] == r["delta"],
                          "cls": "" if r["too_few"] else ("better" if better > 0 else "worse" if better < 0 else ""),
                          "title": f"{metric}: n = {int(r['previous_n']) if r['previous_n'] == r['previous_n'] else 0}"
                                   f" → {int(r['n'])}"})
        rows.append({"display": a["display"], "role": a["role"], "cells": cells})
    return {"columns": columns, "rows": rows}


def own_delta_groups(ch: Change, accounts: pd.DataFrame) -> list[dict[str, Any]]:
    """Per own account, every metric: previous, current, change, relative change, n on both sides."""
    deltas = ch.deltas
    groups = []
    for acct, a in accounts[accounts["role"] == "own"].iterrows():
        mine = deltas[deltas["acct"] == acct].set_index("metric").reindex(list(METRIC_IDS))
        rows = []
        for metric, r in mine.iterrows():
            rel = r["relative_delta"]
            rows.append({
                "metric": metric, "previous": format_value(metric, r["previous_value"]),
                "current": format_value(metric, r["value"]),
                "change": signed(metric, r["delta"]) if r["delta"] == r["delta"] else "—",
                "relative": _("{value} %").format(value=f"{rel * 100:+.0f}") if rel == rel else "—",
                "n": f"{_int(r['previous_n'])} → {_int(r['n'])}",
                "too_few": bool(r["too_few"]) and r["delta"] == r["delta"],
            })
        groups.append({"title": a["display"], "rows": rows})
    return groups


def _int(value: Any) -> str:
    return "0" if value is None or value != value else f"{int(value):,}"


def deltas_csv(deltas: pd.DataFrame) -> pd.DataFrame:
    columns = ["platform", "account_id", "label", "role", "metric", "previous_value", "previous_n", "value", "n",
               "delta", "relative_delta", "too_few"]
    out = deltas[columns].copy()
    out["previous_n"] = out["previous_n"].astype("Int64")
    for column in ("previous_value", "value", "delta", "relative_delta"):
        out[column] = _exact_text(out[column])
    return out


def _exact_text(values: pd.Series) -> list[str]:
    """Numbers as metrics.csv writes them: exact (12 significant digits), empty where undefined."""
    return ["" if np.isnan(v) else f"{v:.12g}" for v in values.to_numpy(dtype="float64")]


# -- trend over several periods -------------------------------------------------------------------------
@dataclass
class Trend:
    periods: list[Period]
    table: pd.DataFrame  # trend_table over the key metrics
    summary: pd.DataFrame  # trend_summary: own, peers' median, exemplars' median
    n_posts: dict[str, int]


def build_trend(results: Sequence[PeriodResult], current: Period, current_metrics: pd.DataFrame,
                current_posts: int) -> Trend:
    frames = {r.period.name: r.metrics for r in results}
    frames[current.name] = current_metrics
    periods = sorted([r.period for r in results] + [current], key=lambda p: p.since)
    ordered = {p.name: frames[p.name] for p in periods}
    table = trend.trend_table(ordered, TREND_METRICS)
    counts = {r.period.name: r.n_posts for r in results} | {current.name: current_posts}
    return Trend(periods=periods, table=table, summary=trend.trend_summary(table), n_posts=counts)


def trend_view(tr: Trend, line_chart: Callable[..., dict]) -> list[dict[str, Any]]:
    """Per platform: a small line chart per key metric (own accounts, peers' median, exemplars' median),
    and the same numbers as a table (metric × series, one column per period)."""
    names = [p.name for p in tr.periods]
    out = []
    for platform, part in tr.summary.groupby("platform", sort=False):
        charts, rows = [], []
        for metric, _direction, _name in KEY_METRICS:
            name = metric_label(metric)
            lines = part[part["metric"] == metric]
            if lines.empty or lines["value"].isna().all():
                continue
            series = []
            for series_label, s in lines.groupby("series", sort=False):
                by_period = s.set_index("period")["value"].reindex(names)
                role = str(s["role"].iloc[0])
                label = _series_name(str(series_label), role)
                series.append({"label": str(label), "role": role, "values": by_period.tolist()})
                rows.append({"metric": name, "series": str(label), "role": role, "first": not series[:-1],
                             "span": lines["series"].nunique(),
                             "cells": [format_value(metric, v) for v in by_period.tolist()]})
            charts.append(line_chart(series, names, lambda v, m=metric: format_value(m, v), name))
        if charts:
            out.append({"platform": platform, "charts": charts, "rows": rows})
    return out


def _series_name(label: str, role: str) -> str:
    """trend.trend_summary names the peers' and exemplars' medians in English; own series are labels."""
    if role == "peer":
        return _("peers (median)")
    if role == "exemplar":
        return _("exemplars (median)")
    return label


def trend_csv(tr: Trend) -> pd.DataFrame:
    columns = ["period", "platform", "account_id", "label", "role", "metric", "value", "n", "delta",
               "relative_delta", "too_few"]
    out = tr.table[columns].copy()
    for column in ("value", "delta", "relative_delta"):
        out[column] = _exact_text(out[column])
    return out


__all__ = [
    "Change", "Comparisons", "Period", "PeriodResult", "Trend", "build_trend", "change", "ci_text", "delta_text",
    "deltas_csv", "key_delta_table", "load_period", "median_rows", "own_delta_groups", "parse_periods",
    "previous_of", "trend_csv", "trend_view", "worker_count",
]
