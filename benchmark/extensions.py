"""CrawlReport: one line per account at the end of a crawl (status, posts, pages, reason).

The lines, reasons included, are in the report's language (`BENCHMARK_LANGUAGE` setting, else the config's
`language`, else the system locale); status codes and platform names stay as they are, since scripts and the
README refer to them, and so does text quoted from a platform's own error message.
"""

from __future__ import annotations

import sys
from typing import TYPE_CHECKING

from scrapy import signals

from benchmark.i18n import console_language, gettext_for, stored_message

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

    def language(self) -> str:
        return console_language(self.crawler.settings)

    def spider_closed(self, spider: Spider, reason: str) -> None:
        tracker = getattr(spider, "tracker", None)
        if tracker is None:
            return
        language = self.language()
        _ = gettext_for(language)
        lines = [_("{spider}: crawl finished ({reason}); per account:").format(spider=spider.name, reason=reason)]
        for row in tracker.rows():
            message = stored_message(row["message"], row.get("message_i18n"), language)
            note = f"  {message}" if message else ""
            # Translators: one console line per account; keep the {…:<N} widths so the columns line up.
            line = _("{status:<10} {platform}:{account:<24} posts={posts:<6} pages={pages:<4}").format(
                status=row["status"], platform=row["platform"], account=row["account_id"], posts=row["posts"],
                pages=row["pages"])
            lines.append(f"  {line}{note}")
        problems = tracker.problems()
        if problems:
            lines.append("  " + _("{count} account(s) not complete: see the report's data coverage section.")
                         .format(count=len(problems)))
            self.crawler.stats.set_value("benchmark/accounts_not_ok", len(problems))
            CrawlReport.accounts_not_ok += len(problems)
        print("\n".join(lines), file=sys.stderr, flush=True)
