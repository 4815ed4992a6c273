"""PanelData: what the metrics read for one config and one period (load.py fills it, derive.py adds the
per-post fields, compute.py reads it). Its own module so that load and derive need not import each other."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any

import pandas as pd

from benchmark import store
from benchmark.config import BenchmarkConfig


@dataclass
class PanelData:
    """Everything the metrics read, for one config and one period."""

    config: BenchmarkConfig
    accounts: pd.DataFrame  # index = account code ("acct"), one row per config account
    posts: pd.DataFrame  # one row per post of the period; column acct links to accounts
    snapshots: pd.DataFrame  # acct, crawled_at, followers
    comments: pd.DataFrame  # acct, comment columns (empty when no comments were crawled)
    has_comments: bool  # the store holds any comment at all (else comment metrics stay empty)
    crawl_status: pd.DataFrame  # acct, status, message, posts, pages, finished_at, run_id
    crawl_runs: pd.DataFrame
    rules: Any = None  # the purpose rules used to label posts (for rules.explain in the report)
    extra: dict[str, Any] = field(default_factory=dict)

    @property
    def since(self) -> date:
        return self.config.period_start

    @property
    def until(self) -> date:
        return self.config.period_end

    @property
    def period_days(self) -> int:
        return (self.until - self.since).days + 1

    @property
    def bounds_utc(self) -> tuple[datetime, datetime]:
        return bounds_utc(self.config)


def bounds_utc(config: BenchmarkConfig) -> tuple[datetime, datetime]:
    """config.period_bounds_utc (the one computation of a period's bounds) as naive UTC, as the store keeps
    times: [start, end)."""
    start, end = config.period_bounds_utc()
    return store.utc_naive(start), store.utc_naive(end)  # type: ignore[return-value]
