"""The base of every platform spider: panel and period from the config, per-account status, paging rule.

A platform spider only builds requests and follows its cursor; payloads become items in
`benchmark.parsers.<platform>` (pure functions). Everything every platform shares lives here.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Iterable
from datetime import UTC, date, datetime, timedelta
from typing import TYPE_CHECKING, Any
from zoneinfo import ZoneInfo

import scrapy
from scrapy.downloadermiddlewares.retry import get_retry_request

from benchmark.config import AccountConfig, BenchmarkConfig, ConfigError, load_config, normalize_id, parse_date
from benchmark.tracker import AccountTracker

if TYPE_CHECKING:
    from scrapy.crawler import Crawler
    from scrapy.http import Response
    from twisted.python.failure import Failure

    from benchmark.items import Post

logger = logging.getLogger(__name__)


class BenchmarkSpider(scrapy.Spider):
    """Reads `BENCHMARK_CONFIG`; `-a accounts=ID,ID -a since=YYYY-MM-DD -a until=YYYY-MM-DD` override it."""

    platform: str = ""
    base_url_setting: str = ""
    default_base_url: str = ""

    def __init__(self, *args: Any, accounts: str | None = None, since: str | None = None,
                 until: str | None = None, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.accounts_arg, self.since_arg, self.until_arg = accounts, since, until
        self.tracker = AccountTracker()
        self.crawled_at = datetime.now(UTC)
        self.panel: list[AccountConfig] = []
        self.period: tuple[str, str] | None = None
        self.seen: dict[str, set[str]] = {}  # account id → post ids already handled (pinned copies come twice)

    @classmethod
    def from_crawler(cls, crawler: Crawler, *args: Any, **kwargs: Any) -> BenchmarkSpider:
        spider = super().from_crawler(crawler, *args, **kwargs)
        spider.setup(crawler.settings.get("BENCHMARK_CONFIG", "benchmark.toml"))
        spider.base_url = (crawler.settings.get(cls.base_url_setting) or cls.default_base_url).rstrip("/")
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
            raise ConfigError(config_path, "since/until", f"since {start} is after until {end}")
        self.period = (start.isoformat(), end.isoformat())
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

    # -- the paging rule shared by every platform --------------------------------------------------
    def in_period(self, post: Post) -> bool:
        return self.period_start <= post.created_at < self.period_end

    def new_in_period(self, account_id: str, posts: list[Post]) -> list[Post]:
        """Posts in the period not handled before: a pinned post comes once on top of page 1 and again in
        its place further down; the first (pinned) copy is the one kept."""
        seen = self.seen.setdefault(account_id, set())
        fresh = [post for post in posts if post.post_id not in seen]
        seen.update(post.post_id for post in fresh)
        return [post for post in fresh if self.in_period(post)]

    def should_page_on(self, posts: Iterable[Post]) -> bool:
        """Stop at the first page whose non-pinned posts are all older than the period start.

        Pinned posts are ignored here: an old pinned post at the top of page 1 must not end the crawl.
        """
        dated = [p.created_at for p in posts if not p.pinned]
        return not dated or max(dated) >= self.period_start

    # -- helpers -------------------------------------------------------------------------------------
    def url(self, path: str) -> str:
        return f"{self.base_url}{path}"

    def account_meta(self, account: AccountConfig, **extra: Any) -> dict[str, Any]:
        """Every request carries its account; callbacks see every status (no redirects followed)."""
        return {"account": account, "account_id": account.id, "handle_httpstatus_all": True,
                "dont_redirect": True, **extra}

    def closed(self, reason: str) -> None:
        """A crawl stopped early (Ctrl-C, error, CLOSESPIDER_*) cannot vouch for complete accounts."""
        if reason == "finished":
            return
        for progress in self.tracker.accounts.values():
            if progress.status == "ok":
                self.tracker.fail(progress.platform, progress.account_id, "partial", f"crawl ended early ({reason})")

    def load_json(self, response: Response) -> Any:
        """The JSON body, or None when the body is not JSON (HTML login page, truncated body)."""
        try:
            return json.loads(response.text)
        except (ValueError, AttributeError):
            return None

    def retry_or_fail(self, response: Response, reason: str) -> Iterable[scrapy.Request]:
        """A broken page (malformed or truncated body): retry through Scrapy's retry logic, then give up
        on the rest of that account's timeline and mark it partial. Never crashes the crawl."""
        account_id = response.meta["account_id"]
        self.crawler.stats.inc_value(f"pages/broken/{reason}")
        retry = get_retry_request(response.request, spider=self, reason=reason)
        if retry is not None:
            yield retry
            return
        logger.warning("%s %s: giving up on a broken page (%s): %s", self.platform, account_id, reason,
                       response.url)
        self.tracker.fail(self.platform, account_id, "partial", f"broken page ({reason})")

    def on_error(self, failure: Failure) -> None:
        """Network errors after Scrapy's retries: the account is partial, the crawl goes on."""
        request = failure.request  # type: ignore[attr-defined]
        account_id = request.meta.get("account_id", "?")
        reason = failure.value.__class__.__name__
        self.crawler.stats.inc_value(f"pages/failed/{reason}")
        logger.warning("%s %s: request failed after retries (%s): %s", self.platform, account_id, reason,
                       request.url)
        self.tracker.fail(self.platform, account_id, "partial", f"request failed: {reason}")

    def count_dropped(self, account_id: str, reasons: Iterable[str]) -> None:
        for reason in reasons:
            # Reasons may carry a position ("item 3: missing_uri"); the stats key keeps the reason only.
            self.crawler.stats.inc_value(f"items/dropped/{reason.rpartition(': ')[2]}")
            logger.info("%s %s: skipped an item (%s)", self.platform, account_id, reason)
