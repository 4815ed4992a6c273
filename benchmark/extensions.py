"""CrawlReport: what a crawl says on the console — a line per account as it completes, and one summary table.

The summary lists every account of every spider of the process (`scrapy benchmark` runs four side by side):
status, platform, label and id, posts, pages and the reason. The commands print it last, after Scrapy is done
(`BENCHMARK_SUMMARY_AT_EXIT`); run any other way, each spider's table is printed when it closes.

The lines, reasons included, are in the report's language (`BENCHMARK_LANGUAGE` setting, else the config's
`language`, else the system locale); status codes and platform names stay as they are, since scripts and the
README refer to them, and so does text quoted from a platform's own error message.
"""

from __future__ import annotations

import sys
import unicodedata
from typing import TYPE_CHECKING, Any, ClassVar

from scrapy import signals

from benchmark.config import console_language
from benchmark.i18n import gettext_for, stored_message

if TYPE_CHECKING:
    from scrapy import Request, Spider
    from scrapy.crawler import Crawler

# Display cells: a long label or Mastodon id is cut with "…" rather than push the table off the screen.
LABEL_WIDTH = 30
ID_WIDTH = 40


def width(text: str) -> int:
    """Display cells: a Chinese character takes two."""
    return sum(2 if unicodedata.east_asian_width(char) in "WF" else 1 for char in text)


def fit(text: str, cells: int) -> str:
    if width(text) <= cells:
        return text
    while width(text) > cells - 1:
        text = text[:-1]
    return text + "…"


def pad(text: str, cells: int, right: bool = False) -> str:
    fill = " " * max(0, cells - width(text))
    return fill + text if right else text + fill


def account_name(row: dict[str, Any]) -> str:
    label, account_id = row.get("label") or "", row["account_id"]
    return f"{label} ({account_id})" if label and label != account_id else account_id


def summary_lines(rows: list[dict[str, Any]], language: str, stopped: list[tuple[str, str]] | None = None) -> list[str]:
    """The table: a header, one row per account, the line about stopped crawls, and a last line that says
    whether everything is complete. Columns are as wide as their widest cell (in display cells)."""
    _ = gettext_for(language)
    headers = [_("status"), _("platform"), _("account"), _("id"), _("posts"), _("pages")]
    cells = [[row["status"], row["platform"], fit(row.get("label") or row["account_id"], LABEL_WIDTH),
              fit(row["account_id"], ID_WIDTH), str(row["posts"]), str(row["pages"])] for row in rows]
    widths = [max(width(line[i]) for line in [headers, *cells]) for i in range(len(headers))]

    def line(values: list[str], note: str = "") -> str:
        text = "  ".join(pad(value, widths[i], right=i >= 4) for i, value in enumerate(values))
        return ("  " + text + (f"  {note}" if note else "")).rstrip()

    out = [_("Summary: {count} account(s)").format(count=len(rows)), line(headers)]
    for row, values in zip(rows, cells, strict=True):
        out.append(line(values, stored_message(row["message"], row.get("message_i18n"), language)))
    for spider, reason in stopped or []:
        out.append(_("{spider}: the crawl stopped early ({reason})").format(spider=spider, reason=reason))
    problems = sum(row["status"] != "ok" for row in rows)
    if problems:
        out.append(_("{count} account(s) not complete: see the report's data coverage section.")
                   .format(count=problems))
    else:
        out.append(_("All {count} accounts complete.").format(count=len(rows)))
    return out


class CrawlReport:
    # Accounts not `ok` across the crawls of this process: `scrapy crawl` turns it into its exit status.
    accounts_not_ok = 0
    # Rows of every spider closed in this process, and (spider, reason) of those that stopped early.
    finished: ClassVar[list[dict[str, Any]]] = []
    stopped: ClassVar[list[tuple[str, str]]] = []
    trackers: ClassVar[list[Any]] = []  # of the open spiders, for "[done/total]"
    done = 0

    def __init__(self, crawler: Crawler) -> None:
        self.crawler = crawler
        self.pending: dict[str, set[Request]] = {}  # account id → its requests not yet out of the downloader
        self.reported: set[str] = set()
        self.loop: Any = None
        self._language: str | None = None
        crawler.signals.connect(self.spider_closed, signal=signals.spider_closed)
        if crawler.settings.getbool("BENCHMARK_PROGRESS", False):
            crawler.signals.connect(self.spider_opened, signal=signals.spider_opened)
            crawler.signals.connect(self.request_scheduled, signal=signals.request_scheduled)
            crawler.signals.connect(self.request_done, signal=signals.request_dropped)
            crawler.signals.connect(self.request_done, signal=signals.request_left_downloader)

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> CrawlReport:
        return cls(crawler)

    def language(self) -> str:
        # Read once: it parses the config file (about 4 ms), and a line is printed per account (issue #19).
        if self._language is None:
            self._language = console_language(self.crawler.settings)
        return self._language

    # -- a line per account as it completes ------------------------------------------------------------------
    def spider_opened(self, spider: Spider) -> None:
        from twisted.internet import task

        tracker = getattr(spider, "tracker", None)
        if tracker is None:
            return
        CrawlReport.trackers.append(tracker)
        self.loop = task.LoopingCall(self.check, spider)
        self.loop.start(0.5, now=False)

    def request_scheduled(self, request: Request, spider: Spider) -> None:
        account_id = request.meta.get("account_id")
        if account_id is not None:
            self.pending.setdefault(account_id, set()).add(request)

    def request_done(self, request: Request, spider: Spider) -> None:
        self.pending.get(request.meta.get("account_id"), set()).discard(request)

    def check(self, spider: Spider) -> None:
        """An account is complete when none of its requests waits in the scheduler or is being downloaded
        or parsed (the engine's in-progress set covers a response until its callback is done)."""
        engine = self.crawler.engine
        slot = getattr(engine, "_slot", None) or getattr(engine, "slot", None)
        busy = {request.meta.get("account_id") for request in getattr(slot, "inprogress", ())}
        for account_id, requests in self.pending.items():
            if account_id not in self.reported and not requests and account_id not in busy:
                self.progress(spider, account_id)

    def progress(self, spider: Spider, account_id: str) -> None:
        tracker = getattr(spider, "tracker", None)
        platform = getattr(spider, "platform", spider.name)
        if tracker is None or (platform, account_id) not in tracker.accounts:
            return
        self.reported.add(account_id)
        CrawlReport.done += 1
        account = tracker.accounts[(platform, account_id)]
        total = sum(len(t.accounts) for t in CrawlReport.trackers)
        _ = gettext_for(self.language())
        name = account_name({"label": account.label, "account_id": account_id})
        print("  " + _("[{done}/{total}] {platform} {account}: {status}, {posts} posts, {pages} pages").format(
            done=CrawlReport.done, total=max(total, CrawlReport.done), platform=platform, account=name,
            status=account.status, posts=account.posts, pages=account.pages), file=sys.stderr, flush=True)

    # -- the summary -----------------------------------------------------------------------------------------
    def spider_closed(self, spider: Spider, reason: str) -> None:
        if self.loop is not None and self.loop.running:
            self.loop.stop()
        tracker = getattr(spider, "tracker", None)
        if tracker is None:
            return
        language = self.language()
        if self.crawler.settings.getbool("BENCHMARK_PROGRESS", False):
            for (_platform, account_id) in tracker.accounts:
                if account_id not in self.reported:
                    self.progress(spider, account_id)
        rows = tracker.rows()
        stopped = []
        if reason != "finished":
            from benchmark.crawling.reasons import reason_words
            from benchmark.i18n import translate

            stopped.append((spider.name, translate(reason_words(reason), language)))
        problems = tracker.problems()
        if problems:
            self.crawler.stats.set_value("benchmark/accounts_not_ok", len(problems))
            CrawlReport.accounts_not_ok += len(problems)
        CrawlReport.finished.extend(rows)
        CrawlReport.stopped.extend(stopped)
        if not self.crawler.settings.getbool("BENCHMARK_SUMMARY_AT_EXIT", False):
            print("\n".join(summary_lines(rows, language, stopped)), file=sys.stderr, flush=True)

    @classmethod
    def print_summary(cls, language: str) -> None:
        """The one table for every spider of the process: the commands call it last."""
        if cls.finished or cls.stopped:
            print("\n".join(summary_lines(cls.finished, language, cls.stopped)), file=sys.stderr, flush=True)
