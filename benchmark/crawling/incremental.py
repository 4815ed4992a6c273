"""Incremental re-crawls: where paging may stop for an account, from the store's crawl history.

`IncrementalMixin` is one part of `benchmark.spider.BenchmarkSpider`; `incremental_floor` is the pure rule and
`store_coverage` the store read it needs (SQLAlchemy imported only when an incremental crawl asks).
"""

from __future__ import annotations

import json
import logging
from datetime import UTC, date, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

logger = logging.getLogger("benchmark.spider")


class IncrementalMixin:
    """Per-account paging floors on an incremental re-crawl (INCREMENTAL_CRAWL)."""

    def setup_incremental(self, db_url: str, window_days: float) -> None:
        """Per account, where paging may stop on this run (see `incremental_floor`), from the store's crawl history."""
        covered = store_coverage(db_url, self.platform, self.period[0], self.timezone)  # type: ignore[index]
        now = datetime.now(UTC)
        self.paging_floors = {account_id: incremental_floor(self.period_start, now, window_days, until)
                              for account_id, until in covered.items()}
        shortened = [a for a in self.panel if self.paging_floor(a.id) > self.period_start]
        logger.info("%s: incremental re-crawl: %d of %d account(s) re-read only posts younger than %g days "
                    "(older ones are in the store from a complete crawl)", self.platform, len(shortened),
                    len(self.panel), window_days)

    def paging_floor(self, account_id: str) -> datetime:
        """The oldest post time this run must read for the account: the period start on a full crawl."""
        return self.paging_floors.get(account_id, self.period_start)




def incremental_floor(period_start: datetime, now: datetime, window_days: float,
                      covered_until: datetime | None) -> datetime:
    """Where paging may stop for one account.

    Without an earlier complete crawl of the period's older posts (`covered_until` None) it is the period
    start: the whole period is read. With one, posts younger than `window_days` are re-read (new posts, and
    counts that still move) and nothing older than what that crawl already stored is skipped: the floor is
    the earlier of (now - window) and `covered_until`, never before the period start.
    """
    if covered_until is None:
        return period_start
    return max(period_start, min(now - timedelta(days=window_days), covered_until))


def store_coverage(db_url: str, platform: str, period_start: str, tz: ZoneInfo) -> dict[str, datetime]:
    """Per account of `platform`: until when the store holds its posts from a complete (`ok`) crawl whose period
    began on or before `period_start` (YYYY-MM-DD): the latest such crawl's start, capped at its period's end.

    A crawl's start is `crawl_runs.started_at`, or the stat `benchmark/crawl_started_at` when a distributed job
    set it (the job began before its reporting worker did).
    """
    from sqlalchemy import select

    from benchmark.store import crawl_accounts, crawl_runs, create_store_engine

    engine = create_store_engine(db_url)
    query = (select(crawl_accounts.c.account_id, crawl_runs.c.started_at, crawl_runs.c.period_end, crawl_runs.c.stats)
             .join(crawl_runs, crawl_runs.c.run_id == crawl_accounts.c.run_id)
             .where(crawl_accounts.c.platform == platform, crawl_accounts.c.status == "ok",
                    crawl_runs.c.finished_at.is_not(None), crawl_runs.c.period_start <= period_start))
    try:
        with engine.connect() as conn:
            rows = conn.execute(query).all()
    finally:
        engine.dispose()
    covered: dict[str, datetime] = {}
    for account_id, started_at, period_end, stats in rows:
        until = _crawl_start(started_at, stats)
        if period_end:
            end = datetime.combine(date.fromisoformat(period_end) + timedelta(days=1), datetime.min.time(), tzinfo=tz)
            until = min(until, end.astimezone(UTC))
        covered[account_id] = max(until, covered.get(account_id, until))
    return covered


def _crawl_start(started_at: datetime, stats: Any) -> datetime:
    if isinstance(stats, str):
        stats = json.loads(stats or "{}")
    override = (stats or {}).get("benchmark/crawl_started_at")
    if override:
        return datetime.fromisoformat(override).astimezone(UTC)
    return started_at.replace(tzinfo=UTC) if started_at.tzinfo is None else started_at.astimezone(UTC)
