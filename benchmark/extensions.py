"""CrawlReport: one line per account at the end of a crawl (status, posts, pages, reason)."""

from __future__ import annotations

import sys
from typing import TYPE_CHECKING

from scrapy import signals

if TYPE_CHECKING:
    from scrapy import Spider
    from scrapy.crawler import Crawler


class CrawlReport:
    # Accounts not `ok` across the crawls of this process: `scrapy crawl` turns it into its exit status.
    accounts_not_ok = 0

    def __init__(self, crawler: Crawler) -> None:
        self.crawler = crawler
        crawler.signals.connect(self.spider_closed, signal=signals.spider_closed)

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> CrawlReport:
        return cls(crawler)

    def spider_closed(self, spider: Spider, reason: str) -> None:
        tracker = getattr(spider, "tracker", None)
        if tracker is None:
            return
        lines = [f"{spider.name}: crawl finished ({reason}); per account:"]
        for row in tracker.rows():
            note = f"  {row['message']}" if row["message"] else ""
            lines.append(
                f"  {row['status']:<10} {row['platform']}:{row['account_id']:<24} "
                f"posts={row['posts']:<6} pages={row['pages']:<4}{note}"
            )
        problems = tracker.problems()
        if problems:
            lines.append(f"  {len(problems)} account(s) not complete: see the report's data coverage section.")
            self.crawler.stats.set_value("benchmark/accounts_not_ok", len(problems))
            CrawlReport.accounts_not_ok += len(problems)
        print("\n".join(lines), file=sys.stderr, flush=True)
