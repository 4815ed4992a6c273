"""The base of every platform spider: panel and period from the config, per-account status, paging rule.

A platform spider (benchmark/platforms/<name>/spider.py) only builds requests and follows its cursor; payloads
become items in `benchmark.platforms.<name>.parser` (pure functions). Its class names its platform's spec
(`spec = SPEC`), which gives it its name, base-URL setting, HTTP-failure table and own downloader middlewares.
Everything every platform shares lives here.
"""

from __future__ import annotations

import contextlib
import json
import logging
import os
import shutil
from collections.abc import Iterable, Iterator
from datetime import UTC, date, datetime, timedelta
from typing import TYPE_CHECKING, Any, ClassVar
from urllib.parse import urlsplit
from zoneinfo import ZoneInfo

import scrapy
from scrapy import signals
from scrapy.downloadermiddlewares.retry import get_retry_request
from scrapy.exceptions import CannotResolveHostError
from twisted.internet.error import DNSLookupError

from benchmark import signals as store_signals
from benchmark.config import AccountConfig, BenchmarkConfig, ConfigError, load_config, normalize_id, parse_date
from benchmark.i18n import N_, Message
from benchmark.middlewares import failure_reason
from benchmark.tracker import AccountTracker

if TYPE_CHECKING:
    from collections.abc import Callable

    from scrapy.crawler import Crawler
    from scrapy.http import Response
    from scrapy.settings import BaseSettings
    from twisted.python.failure import Failure

    from benchmark.items import Post
    from benchmark.parsers.common import FeedPage
    from benchmark.platforms.spec import PlatformSpec

logger = logging.getLogger(__name__)


# Codes that end up inside a reason the user reads (console summary, report coverage), in words of either
# language; the codes themselves stay in the stats and the log. Codes not listed are shown as they are.
REASON_WORDS = {
    "malformed_json": N_("the answer was not valid JSON"),
    "malformed_payload": N_("the answer had an unexpected shape"),
    "malformed_page": N_("the page was cut short or was not a Telegram page"),
    "empty_profile": N_("the profile came back empty"),
    "shutdown": N_("stopped by Ctrl-C or a signal"),
    "cancelled": N_("cancelled"),
    **dict.fromkeys(("closespider_timeout", "closespider_itemcount", "closespider_pagecount",
                     "closespider_errorcount", "closespider_timeout_no_item"), N_("a CLOSESPIDER_* limit was reached")),
    **dict.fromkeys(("DownloadTimeoutError", "TimeoutError", "TCPTimedOutError"), N_("the request timed out")),
    **dict.fromkeys(("DNSLookupError", "CannotResolveHostError"), N_("the host name could not be resolved")),
    "too_large": N_("the answer was larger than DOWNLOAD_MAXSIZE allows"),
    "ConnectionRefusedError": N_("the connection was refused"),
    **dict.fromkeys(("ResponseDataLossError", "PartialDownloadError", "ResponseFailed"), N_("the answer was cut off")),
    **dict.fromkeys(("ConnectionLost", "ConnectionDone", "ResponseNeverReceived", "DownloadFailedError"),
                    N_("the connection was lost")),
}


# Why an account is not complete (msgids; translated where shown).
CANNOT_REACH = N_("cannot reach {host}: no network or DNS?")
CRAWLER_ERROR = N_("an error in the crawler: {error}")
REQUEST_DROPPED = N_("a page request was dropped as a duplicate: {url}")
REPEATED_PAGE = N_("the server repeated a page (no new post on it)")
CURSOR_STUCK = N_("the next-page cursor did not move ({cursor})")
PAGE_CAP = N_("stopped after {count} pages (MAX_PAGES_PER_ACCOUNT)")
POST_NOT_STORED = N_("a post was not stored: {reason}")
NOT_ALL_STORED = N_("only {stored} of its {posts} posts reached the store")


def reason_words(code: str) -> str:
    """A reason code as words the user can read in either language (a Message), or the code itself."""
    if code in REASON_WORDS:
        return Message(REASON_WORDS[code])
    if code.startswith("http_") and code[5:].isdigit():
        return Message("HTTP error {status}", status=int(code[5:]))
    return code


class BenchmarkSpider(scrapy.Spider):
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

    # -- incremental re-crawls -----------------------------------------------------------------------
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

    # -- the paging rule shared by every platform --------------------------------------------------
    def in_period(self, post: Post) -> bool:
        return self.period_start <= post.created_at < self.period_end

    def new_in_period(self, account_id: str, posts: list[Post]) -> list[Post]:
        """Posts in the period not handled before: a pinned post comes once on top of page 1 and again in
        its place further down; the first (pinned) copy is the one kept."""
        seen = self.seen.setdefault(account_id, set())
        if self.shared_seen is not None and posts:
            # Distributed: Redis decides. Other workers may have parsed this account's earlier pages, and an
            # account crawled again after a worker died starts from an empty set there (not in this process).
            first_time = self.shared_seen(account_id, [post.post_id for post in posts])
            fresh = [post for post in posts if post.post_id in first_time]
        else:
            fresh = [post for post in posts if post.post_id not in seen]
        seen.update(post.post_id for post in fresh)
        return [post for post in fresh if self.in_period(post)]

    def should_page_on(self, posts: Iterable[Post]) -> bool:
        """Stop at the first page whose non-pinned posts are all older than the period start (or, on an
        incremental re-crawl, older than the account's paging floor).

        Pinned posts are ignored here: an old pinned post at the top of page 1 must not end the crawl.
        """
        dated = [p for p in posts if not p.pinned]
        if not dated:
            return True
        return max(p.created_at for p in dated) >= self.paging_floor(dated[0].account_id)

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

    def load_json(self, response: Response) -> Any:
        """The JSON body, or None when the body is not JSON (HTML login page, truncated body)."""
        try:
            return json.loads(response.text)
        except (ValueError, AttributeError):
            return None

    # -- response classification (platform spiders extend the table and the two hooks) -----------------
    # HTTP statuses that end an account's crawl, with the reason the user sees ({status} is filled in; N_
    # marks it for the catalogs, it is translated where shown). Any other status that is not 200 is a broken
    # page: retried, then the account is partial.
    http_failures: ClassVar[dict[int, tuple[str, str]]] = {
        429: ("blocked", N_("HTTP {status}: rate limited beyond RETRY_AFTER_MAX")),
    }

    def redirect_problem(self, location: str) -> tuple[str, str]:
        """Redirects are never followed (login walls start with one): the status and reason they give."""
        return "partial", Message("unexpected redirect to {location}", location=location)

    def checked_status(self, response: Response) -> Iterator[Any]:
        """True for a 200 page; otherwise records why not (yielding a retry where one may help), then False.

        Used as `ok = yield from self.checked_status(response)`.
        """
        account_id = response.meta["account_id"]
        status = response.status
        self.tracker.answered(self.platform, account_id)
        if status == 200:
            return True
        if 300 <= status < 400:
            location = response.headers.get(b"Location", b"").decode("latin-1")
            self.tracker.fail(self.platform, account_id, *self.redirect_problem(location))
        elif status in self.http_failures:
            state, message = self.http_failures[status]
            self.tracker.fail(self.platform, account_id, state, Message(message, status=status))
        else:
            yield from self.retry_or_fail(response, f"http_{status}")
        return False

    def checked_payload(self, response: Response) -> Iterator[Any]:
        """The JSON payload of a 200 page, or None after recording why there is none.

        Used as `data = yield from self.checked_payload(response)`.
        """
        if not (yield from self.checked_status(response)):
            return None
        data = self.load_json(response)
        if data is None:
            yield from self.unreadable_payload(response)
        return data

    def page_problem(self, response: Response, status: str, message: str) -> Iterator[Any]:
        """A parsed answer that says the account cannot be read on (a ProfileResult's or FeedPage's status).

        "malformed" on a 200 is a broken page: retried, then the account is partial. "malformed" on an error
        answer (an error the parser does not know, e.g. a Bluesky XRPC error) is partial at once: asking again
        gives the same answer. Any other status ends the account with it (`problem_reason` words it)."""
        account_id = response.meta["account_id"]
        if status == "malformed":
            if response.status == 200:
                yield from self.retry_or_fail(response, "malformed_payload")
            else:
                self.tracker.fail(self.platform, account_id, "partial",
                                  Message("HTTP {status}: {reason}", status=response.status, reason=message))
            return
        self.tracker.fail(self.platform, account_id, status, self.problem_reason(status, message))

    def problem_reason(self, status: str, message: str) -> str:
        """The reason an account ends with `status` (a platform may add its hint, e.g. Weibo's cookie)."""
        return message

    def unreadable_payload(self, response: Response) -> Iterator[Any]:
        """A 200 whose body is not JSON (cut or garbled): a broken page."""
        yield from self.retry_or_fail(response, "malformed_json")

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
        self.tracker.fail(self.platform, account_id, "partial",
                          Message("broken page ({reason})", reason=reason_words(reason)))

    def on_error(self, failure: Failure) -> None:
        """Network errors after Scrapy's retries: the account is partial (failed if nothing at all was
        fetched for it), the crawl goes on."""
        request = failure.request  # type: ignore[attr-defined]
        account_id = request.meta.get("account_id", "?")
        reason = failure_reason(failure)
        self.crawler.stats.inc_value(f"pages/failed/{reason}")
        logger.warning("%s %s: request failed after retries (%s): %s", self.platform, account_id, reason,
                       request.url)
        if isinstance(failure.value, (DNSLookupError, CannotResolveHostError)):
            message = Message(CANNOT_REACH, host=urlsplit(request.url).hostname or request.url)
        else:
            message = Message("request failed: {reason}", reason=reason_words(reason))
        self.tracker.network_error(self.platform, account_id, message)

    # -- the crawl's own signals: no loss goes unnamed ------------------------------------------------
    def on_spider_error(self, failure: Failure, response: Any, spider: scrapy.Spider) -> None:
        """An exception in any callback or errback: its account cannot be complete."""
        if spider is not self:
            return
        request = getattr(response, "request", None)
        meta = getattr(request, "meta", None) or {}
        account_id = meta.get("account_id")
        if account_id is None:
            return
        self.tracker.fail(self.platform, account_id, "partial",
                          Message(CRAWLER_ERROR, error=failure.value.__class__.__name__))

    def on_request_dropped(self, request: scrapy.Request, spider: scrapy.Spider) -> None:
        """A timeline request the scheduler refused (a duplicate): its page is missing. (Optional requests, such as
        comments, only shorten their sample.)"""
        account_id = request.meta.get("account_id")
        if spider is self and account_id is not None and "page" in request.meta and self.distributed is None:
            self.tracker.fail(self.platform, account_id, "partial", Message(REQUEST_DROPPED, url=request.url))

    def on_item_lost(self, item: Any, spider: scrapy.Spider, exception: Any = None, failure: Any = None,
                     **_kwargs: Any) -> None:
        """A post a pipeline dropped or failed on is not stored: its account is not complete."""
        if spider is not self or not getattr(item, "post_id", None) or hasattr(item, "comment_id"):
            return
        error = failure.value if failure is not None else exception
        self.tracker.fail(self.platform, getattr(item, "account_id", ""), "partial",
                          Message(POST_NOT_STORED, reason=str(error) if failure is None else
                                  error.__class__.__name__), page=False)

    def on_batch_committed(self, accounts: Any = None, posts: Any = None, **_kwargs: Any) -> None:
        """A store commit. The posts of its accounts that went through the pipelines before it are stored; an
        account complete whose kept posts are all stored is recorded complete in JOBDIR (the checkpoint a
        resumed crawl trusts)."""
        self.commits_seen = True
        # The store counts them (StorePipeline.flush): Scrapy reports an item scraped only after the pipelines,
        # i.e. after the commit its arrival may have caused.
        for (platform, account_id), count in (posts or {}).items():
            if platform == self.platform:
                self.committed_posts[account_id] = self.committed_posts.get(account_id, 0) + count
        if self.checkpoint is None:
            return
        done = [progress for progress in self.tracker.accounts.values()
                if self.tracker.is_complete(progress.platform, progress.account_id)
                and progress.account_id not in self.checkpoint.complete
                and self.committed_posts.get(progress.account_id, 0) >= progress.posts]
        if done:
            self.checkpoint.record(done)

    def check_stored(self) -> None:
        """At the end: an account whose kept posts were not all committed is not complete. (Only when the store
        announces its commits; every flush, the last one included, comes before `closed`.)"""
        if not self.commits_seen:
            return
        for progress in self.tracker.accounts.values():
            if progress.resumed or progress.status != "ok" or not progress.posts:
                continue
            stored = self.committed_posts.get(progress.account_id, 0)
            if stored < progress.posts:
                self.tracker.fail(self.platform, progress.account_id, "partial",
                                  Message(NOT_ALL_STORED, stored=stored, posts=progress.posts), page=False)

    # -- JOBDIR: resume from per-account checkpoints ----------------------------------------------------
    def resume(self) -> None:
        """Accounts recorded complete keep `ok`; every other account restarts from its first page.

        Scrapy's request queue and dupefilter of an interrupted run are discarded: they may hold pages as
        seen whose posts never reached the store (the store pipeline buffers), or be corrupt."""
        assert self.checkpoint is not None
        complete = self.checkpoint.load()
        discarded = self.checkpoint.discard_scrapy_queue()
        if not (complete or discarded):
            return
        for account in self.panel:
            saved = complete.get(account.id)
            if saved is not None:
                progress = self.tracker.get(self.platform, account.id)
                progress.posts, progress.pages = saved.get("posts", 0), saved.get("pages", 0)
                progress.complete = progress.resumed = True
        logger.info("Resuming crawl from %s: %d account(s) complete, %d restarted from their first page",
                    self.checkpoint.jobdir, len(complete), len(self.pending_accounts()))

    def pending_accounts(self) -> list[AccountConfig]:
        """The accounts this run crawls: the panel, less those a resumed JOBDIR holds as complete."""
        return [a for a in self.panel if not self.tracker.get(self.platform, a.id).resumed]

    # -- the paging template shared by every platform ---------------------------------------------------
    def feed_page(self, response: Response, page: FeedPage, request_for: Callable[[str, int], scrapy.Request],
                  moved: bool | None = None, emit: Callable[[list[Post]], Iterable[Any]] | None = None,
                  posts: list[Post] | None = None) -> Iterator[Any]:
        """One parsed timeline page (the FeedPage contract): its skipped items counted, then its end, its problem
        (page_problem) or its posts and the next page (`follow`). A spider supplies its next request
        (`request_for`), and where it has one its own cursor-order rule (`moved`), what the kept posts become
        (`emit`) and the posts to keep when it filters the page's (`posts`)."""
        account_id = response.meta["account_id"]
        self.count_dropped(account_id, page.dropped)
        if page.status == "end":
            self.tracker.reached_end(self.platform, account_id)
            return
        if page.status != "ok":
            yield from self.page_problem(response, page.status, page.message)
            return
        yield from self.follow(response, page.posts if posts is None else posts, page.cursor, request_for,
                               moved=moved, emit=emit)

    def follow(self, response: Response, posts: list[Post], cursor: str | None,
               request_for: Callable[[str, int], scrapy.Request], moved: bool | None = None,
               emit: Callable[[list[Post]], Iterable[Any]] | None = None) -> Iterator[Any]:
        """One page of an account's timeline, after its status was checked (count drops → end / ok / problem):
        keep its new posts in the period, then page on only if the cursor moved and the page brought new post
        ids; otherwise the account has reached its end (`ok` if nothing failed) or is `partial`, with why.

        `request_for(cursor, page number)` builds the next page's request; `moved` is the spider's own
        cursor-order rule (default: the cursor differs from this page's); `emit` turns the kept posts into
        what the callback yields (default: the posts themselves).
        """
        account_id = response.meta["account_id"]
        number = response.meta.get("page", 1)
        seen = self.seen.get(account_id, set())
        brought_new = any(post.post_id not in seen for post in posts)
        kept = self.new_in_period(account_id, posts)
        self.tracker.page(self.platform, account_id, len(kept))
        yield from (emit(kept) if emit is not None else kept)
        if not posts or not cursor or not self.should_page_on(posts):
            self.tracker.reached_end(self.platform, account_id)
            return
        if not brought_new:
            # Distributed crawls deliver a request at least once: a page parsed again after a worker died is no
            # sign of a repeating server (its chain goes on from the first copy).
            if self.distributed is None:
                self.tracker.fail(self.platform, account_id, "partial", Message(REPEATED_PAGE))
            return
        if moved is None:
            moved = cursor != response.meta.get("cursor")
        if not moved:
            self.tracker.fail(self.platform, account_id, "partial", Message(CURSOR_STUCK, cursor=cursor))
            return
        if number >= self.max_pages:
            self.tracker.fail(self.platform, account_id, "partial", Message(PAGE_CAP, count=number))
            return
        request = request_for(cursor, number + 1)
        request.meta["cursor"] = cursor
        yield request

    def count_dropped(self, account_id: str, reasons: Iterable[str]) -> None:
        for reason in reasons:
            # Reasons may carry a position ("item 3: missing_uri"); the stats key keeps the reason only.
            self.crawler.stats.inc_value(f"items/dropped/{reason.rpartition(': ')[2]}")
            logger.info("%s %s: skipped an item (%s)", self.platform, account_id, reason)


# -- JOBDIR checkpoints ---------------------------------------------------------------------------------------


class CompletionCheckpoint:
    """`<JOBDIR>/benchmark-<platform>-complete.json`: the accounts whose crawl was complete and whose posts were
    all committed to the store, for the same platform and period. Written atomically (temp file + rename)."""

    def __init__(self, jobdir: str, platform: str, period: tuple[str, str] | None) -> None:
        self.jobdir = jobdir
        self.path = os.path.join(jobdir, f"benchmark-{platform}-complete.json")
        self.platform, self.period = platform, list(period or ())
        self.complete: dict[str, dict[str, int]] = {}

    def load(self) -> dict[str, dict[str, int]]:
        try:
            with open(self.path, encoding="utf-8") as handle:
                data = json.load(handle)
        except (OSError, ValueError):
            return {}  # none yet, or unreadable: every account is crawled again
        if not isinstance(data, dict) or data.get("period") != self.period or not isinstance(data.get("accounts"),
                                                                                              dict):
            return {}
        self.complete = {k: v for k, v in data["accounts"].items() if isinstance(v, dict)}
        return self.complete

    def record(self, done: Iterable[Any]) -> None:
        for progress in done:
            self.complete[progress.account_id] = {"posts": progress.posts, "pages": progress.pages}
        os.makedirs(self.jobdir, exist_ok=True)
        temporary = f"{self.path}.tmp"
        with open(temporary, "w", encoding="utf-8") as handle:
            json.dump({"platform": self.platform, "period": self.period, "accounts": self.complete}, handle)
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(temporary, self.path)

    def discard_scrapy_queue(self) -> bool:
        """Remove the request queue and dupefilter a previous run left; True if there were any."""
        found = False
        for name in ("requests.queue", "requests.seen"):
            path = os.path.join(self.jobdir, name)
            if os.path.isdir(path):
                shutil.rmtree(path, ignore_errors=True)
                found = True
            elif os.path.exists(path):
                with contextlib.suppress(OSError):
                    os.remove(path)
                found = True
        return found


# -- incremental re-crawls: pure rule and the store read it needs -------------------------------------------


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
