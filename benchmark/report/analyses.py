"""The statistics behind the sections that go beyond the metrics table: recommendations, ER tests, follower
growth, breakouts, the change since the previous period and the trend (issue #9, issue #6).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import pandas as pd

from benchmark.metrics import recommend
from benchmark.metrics.panel import PanelData
from benchmark.report import insights
from benchmark.report.periods import Change, Period, PeriodResult, Trend, build_trend, change


@dataclass
class Analyses:
    """The statistics behind the sections that go beyond the metrics table (issue #9, issue #6)."""

    recommendations: list[recommend.Recommendation]
    er_tests: pd.DataFrame
    growth: pd.DataFrame
    breakouts: pd.DataFrame
    breakout_summary: pd.DataFrame
    change: Change | None = None
    trend: Trend | None = None
    talk: dict[str, Any] | None = None  # the conversation context, once computed (page and xlsx share it)


def analyse(panel: PanelData, metrics: pd.DataFrame, results: Sequence[PeriodResult] = (),
            previous: Period | None = None, periods: Sequence[Period] | None = None) -> Analyses:
    """Recommendations, ER tests, follower growth and breakouts of the current period; the change since
    `previous` and the trend over `periods` from the comparison periods' `results`."""
    hits, summary = insights.breakouts(panel.posts)
    found = Analyses(
        recommendations=recommend.recommendations(metrics, panel.posts),
        er_tests=insights.er_tests(panel.posts, panel.accounts),
        growth=insights.growth_table(panel.snapshots, panel.bounds_utc, panel.accounts),
        breakouts=hits, breakout_summary=summary)
    by_period = {r.period: r for r in results}
    if previous is not None:
        found.change = change(metrics, panel.posts, by_period[previous])
    if periods:
        others = [by_period[p] for p in periods[:-1]]
        found.trend = build_trend(others, periods[-1], metrics, len(panel.posts))
    return found
