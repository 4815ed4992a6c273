"""The base of every platform spider: panel and period from the config, per-account status, paging rule.

A platform spider (benchmark/platforms/<name>/spider.py) only builds requests and follows its cursor; payloads
become items in `benchmark.platforms.<name>.parser` (pure functions). Its class names its platform's spec
(`spec = SPEC`), which gives it its name, base-URL setting, HTTP-failure table and own downloader middlewares.

This module keeps the class, its set-up (config, panel, period, signals, JOBDIR) and its end (`closed`); what it
does on the way is split by concern into mixins in `benchmark/crawling/`, each one seam of the crawl:
- `responses.py`: response classification (`checked_status`, `checked_payload`, `page_problem`, retries, errbacks);
- `paging.py`: the one paging flow (`feed_page`, `follow`, the period filter and stop rule);
- `completion.py`: what an account earns (signal handlers, stored-posts check) and the JOBDIR checkpoint;
- `incremental.py`: incremental re-crawls (paging floors from the store's history);
- `reasons.py`: reason codes and messages in words the user reads.
"""

from __future__ import annotations

import logging
from datetime import UTC, date, datetime, timedelta
from typing import TYPE_CHECKING, Any, ClassVar
from zoneinfo import ZoneInfo

import scrapy
from scrapy import signals

from benchmark import signals as store_signals
from benchmark.config import AccountConfig, BenchmarkConfig, ConfigError, load_config, normalize_id, parse_date
from benchmark.crawling.completion import CompletionCheckpoint, CompletionMixin
from benchmark.crawling.incremental import IncrementalMixin
from benchmark.crawling.paging import PagingMixin
from benchmark.crawling.reasons import reason_words
from benchmark.crawling.responses import ResponsesMixin
from benchmark.i18n import Message
from benchmark.tracker import AccountTracker

if TYPE_CHECKING:
    from collections.abc import Callable

    from scrapy.crawler import Crawler
    from scrapy.settings import BaseSettings

    from benchmark.platforms.spec import PlatformSpec

logger = logging.getLogger(__name__)


class BenchmarkSpider(ResponsesMixin, PagingMixin, CompletionMixin, IncrementalMixin, scrapy.Spider):
    """Reads `BENCHMARK_CONFIG`; `-a accounts=ID,ID -a since=YYYY-MM-DD -a until=YYYY-MM-DD` override it."""

    spec: ClassVar[PlatformSpec | None] = None  # set by each platform spider; the rest below follows from it
    platform: str = ""
    base_url_setting: str = ""
    default_base_url: str = ""
    # Crawls of this process that reached `closed`: a Ctrl-C during start-up can end one before (Scrapy never
    # sends spider_closed then), and `scrapy crawl` must not call that a success.
    crawls_closed: ClassVar[int] = 0

    def __init__(self, *args: Any, accounts: str | None = None, since: str | None = None,
                 until: str | None = None, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.accounts_arg, self.since_arg, self.until_arg = accounts, since, until
        self.tracker = AccountTracker()
        self.crawled_at = datetime.now(UTC)
        self.panel: list[AccountConfig] = []
        self.period: tuple[str, str] | None = None
        self.seen: dict[str, set[str]] = {}  # account id → post ids already handled (pinned copies come twice)
        # Distributed crawls (benchmark/distributed.py): an account's pages may be parsed by different workers,
        # so "already handled" is also asked of Redis: (account id, post ids) → the ids seen for the first time.
        self.shared_seen: Callable[[str, list[str]], set[str]] | None = None
        self.distributed: Any = None  # the Redis worker when BENCHMARK_SCHEDULER is on
        self.paging_floors: dict[str, datetime] = {}  # incremental re-crawls: account id → stop paging below
        self.max_pages = 1000  # MAX_PAGES_PER_ACCOUNT
        self.checkpoint: CompletionCheckpoint | None = None
        self.committed_posts: dict[str, int] = {}  # account id → its posts in store commits (from the store)
        self.commits_seen = False  # the store says when it commits (benchmark.signals.batch_committed)

    def __init_subclass__(cls, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        platform = cls.__dict__.get("spec")
        if platform is not None:
            cls.name = cls.platform = platform.name
            cls.base_url_setting, cls.default_base_url = platform.base_url_setting, platform.base_url_default
            cls.http_failures = {**BenchmarkSpider.http_failures, **platform.http_failures}

    @classmethod
    def update_settings(cls, settings: BaseSettings) -> None:
        """The platform's own downloader middlewares join the project's (a spider setting replaces a dict)."""
        super().update_settings(settings)
        own = cls.spec.downloader_middlewares if cls.spec is not None else {}
        if own:
            merged = {**settings.getdict("DOWNLOADER_MIDDLEWARES"), **own}
            settings.set("DOWNLOADER_MIDDLEWARES", merged, priority="spider")

    @classmethod
    def from_crawler(cls, crawler: Crawler, *args: Any, **kwargs: Any) -> BenchmarkSpider:
        spider = super().from_crawler(crawler, *args, **kwargs)
        spider.setup(crawler.settings.get("BENCHMARK_CONFIG", "benchmark.toml"))
        spider.base_url = (crawler.settings.get(cls.base_url_setting) or cls.default_base_url).rstrip("/")
        if crawler.settings.getbool("INCREMENTAL_CRAWL", False):
            spider.setup_incremental(crawler.settings.get("BENCHMARK_DB"),
                                     crawler.settings.getfloat("REFRESH_WINDOW_DAYS", 14.0))
        spider.max_pages = crawler.settings.getint("MAX_PAGES_PER_ACCOUNT", 1000)
        spider.post_batches = crawler.settings.getbool("BENCHMARK_POST_BATCHES", False)
        crawler.signals.connect(spider.on_spider_error, signal=signals.spider_error)
        crawler.signals.connect(spider.on_request_dropped, signal=signals.request_dropped)
        crawler.signals.connect(spider.on_item_lost, signal=signals.item_dropped)
        crawler.signals.connect(spider.on_item_lost, signal=signals.item_error)
        crawler.signals.connect(spider.on_batch_committed, signal=store_signals.batch_committed)
        jobdir = crawler.settings.get("JOBDIR")
        if jobdir:
            spider.checkpoint = CompletionCheckpoint(jobdir, spider.platform, spider.period)
            spider.resume()
        return spider

    # -- panel and period ------------------------------------------------------------------------
    def setup(self, config_path: str) -> None:
        config: BenchmarkConfig | None
        try:
            config = load_config(config_path)
        except ConfigError:
            # Without a config the command line must say what to crawl and when.
            if not (self.accounts_arg and self.since_arg):
                raise
            config = None
        tz = ZoneInfo(config.timezone if config else "Asia/Shanghai")
        start = parse_date(self.since_arg) if self.since_arg else config.period_start  # type: ignore[union-attr]
        end = parse_date(self.until_arg) if self.until_arg else (config.period_end if config else date.today())
        if start > end:
            raise ConfigError(config_path, "since/until", Message("since {start} is after until {end}",
                                                                  start=str(start), end=str(end)))
        self.period = (start.isoformat(), end.isoformat())
        self.timezone = tz
        self.period_start = datetime.combine(start, datetime.min.time(), tzinfo=tz).astimezone(UTC)
        self.period_end = datetime.combine(end + timedelta(days=1), datetime.min.time(),
                                           tzinfo=tz).astimezone(UTC)
        self.panel = self._select_accounts(config)
        for account in self.panel:
            self.tracker.add(self.platform, account.id, account.role, account.label)

    def _select_accounts(self, config: BenchmarkConfig | None) -> list[AccountConfig]:
        configured = config.accounts_for(self.platform) if config else []
        if not self.accounts_arg:
            return configured
        wanted = [normalize_id(self.platform, a) for a in self.accounts_arg.split(",") if a.strip()]
        by_id = {a.id: a for a in configured}
        return [by_id.get(a) or AccountConfig(self.platform, a, "peer", a) for a in wanted]

    # -- helpers -------------------------------------------------------------------------------------
    def url(self, path: str) -> str:
        return f"{self.base_url}{path}"

    def account_meta(self, account: AccountConfig, **extra: Any) -> dict[str, Any]:
        """Every request carries its account; callbacks see every status (no redirects followed)."""
        return {"account": account, "account_id": account.id, "handle_httpstatus_all": True,
                "dont_redirect": True, **extra}

    def closed(self, reason: str) -> None:
        """Settle every account's status (`ok` is earned, see `AccountTracker.settle`).

        A crawl stopped early (Ctrl-C, error, CLOSESPIDER_*) cannot vouch for complete accounts. Not so for a
        distributed worker: the job stays in Redis, other or restarted workers finish it, and the accounts'
        statuses are written once, by the worker that sees the job done."""
        BenchmarkSpider.crawls_closed += 1
        if self.distributed is not None:
            return
        early = None
        if reason != "finished":
            early = Message("crawl ended early ({reason})", reason=reason_words(reason))
            for progress in self.tracker.accounts.values():
                if progress.status == "ok" and not progress.resumed:
                    self.tracker.fail(progress.platform, progress.account_id, "partial", early)
        self.check_stored()
        self.tracker.settle(early)

