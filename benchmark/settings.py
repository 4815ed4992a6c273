"""Scrapy settings for the benchmarking crawler.

Each changed line says the Scrapy default and why we differ. Everything here can be overridden
per run with `-s NAME=VALUE` or in the environment where noted.
"""

import os

from benchmark import platforms as _platforms

BOT_NAME = "benchmark"
# Each platform's spider module (benchmark/platforms/<name>/spider.py), found by the registry: a new platform
# package is crawlable (`scrapy crawl <name>`, `scrapy list`) without an edit here. Listing the modules rather
# than walking benchmark.platforms keeps parsers and sample renderers out of every `scrapy` start.
SPIDER_MODULES = [_spec.module("spider") for _spec in _platforms.all_specs()]
COMMANDS_MODULE = "benchmark.commands"  # scrapy report, scrapy demo

# --- Project settings ---------------------------------------------------------------------------
BENCHMARK_CONFIG = os.environ.get("BENCHMARK_CONFIG", "benchmark.toml")
BENCHMARK_DB = os.environ.get("BENCHMARK_DB", "sqlite:///data/benchmark.sqlite3")
# Language of console summaries and reports: "zh" or "en"; empty = the config's language, else the system locale.
BENCHMARK_LANGUAGE = ""
BENCHMARK_MAX_TEXT_CHARS = 20_000  # stored post/comment text and bio are cut there (benchmark/limits.py)
# Items per transaction: one commit per batch (WAL, synchronous=NORMAL). At 500, a post upsert with its snapshot
# row costs 24-33 µs of CPU on SQLite (30,000-42,000 per CPU-second: bench/store_upserts.py, bench/README.md).
BENCHMARK_DB_BATCH = 500

# --- Per platform (benchmark/platforms/<name>/__init__.py, its SPEC) ---------------------------------------
# Each platform's base URL (WEIBO_BASE_URL = "https://m.weibo.cn", MASTODON_BASE_URL = "": each account is read
# from its own instance, ...) and its own settings (WEIBO_FETCH_LONG_TEXT, MASTODON_RESPECT_NOINDEX, ...).
# Secrets (WEIBO_COOKIE) come from the environment only; they are sent as headers and never logged or stored
# (benchmark.middlewares.SecretHeadersMiddleware).
for _spec in _platforms.all_specs():
    globals()[_spec.base_url_setting] = _spec.base_url_default
    globals().update(_spec.settings)
    for _secret in _spec.secrets:
        globals()[_secret.setting] = os.environ.get(_secret.env, "")

# Fans' ids and names are stored as keyed pseudonyms (benchmark/privacy.py); False keeps them in clear.
PSEUDONYMISE_FANS = True
PSEUDONYM_KEY_FILE = "data/pseudonym.key"

# Retry-After handling: the longest pause we accept before giving up on an account (seconds).
RETRY_AFTER_MAX = 300
# BAN_BACKOFF_BASE / BAN_RETRY_TIMES (Weibo's 418/432 back-off) are in benchmark/platforms/weibo/__init__.py.

# --- Politeness ---------------------------------------------------------------------------------
USER_AGENT = (
    "Mozilla/5.0 (iPhone; CPU iPhone OS 17_5 like Mac OS X) AppleWebKit/605.1.15 "
    "(KHTML, like Gecko) Version/17.5 Mobile/15E148 Safari/604.1 brand-benchmark/0.1"
)
ROBOTSTXT_OBEY = False  # default False; the APIs we read are not covered by robots.txt, politeness is set below
CONCURRENT_REQUESTS = 8  # default 16
CONCURRENT_REQUESTS_PER_DOMAIN = 1  # default 8: one connection per host
DOWNLOAD_DELAY = 1.0  # default 0: about one request per second per host
AUTOTHROTTLE_ENABLED = True  # default False: slows down further when the host slows down
AUTOTHROTTLE_START_DELAY = 1.0
AUTOTHROTTLE_MAX_DELAY = 60.0
AUTOTHROTTLE_TARGET_CONCURRENCY = 1.0
# default 100: Scrapy starts that many tasks per response to run items through the pipelines in parallel;
# ours are synchronous, so 100 tasks for ~10 posts only cost time (−25 % crawl CPU measured, bench/README.md).
CONCURRENT_ITEMS = 10
DOWNLOAD_TIMEOUT = 30  # default 180: a hung request should be retried, not wait three minutes
# Defaults 1 GB / 32 MB: a 200 MB answer, an endless stream or a gzip bomb took 1.1–2.2 GB of memory. The
# biggest real answers are a few hundred KB (recorded fixtures: a Weibo app-API timeline page 464 KB, a Bluesky
# thread 368 KB, a Telegram page 156 KB), so 8 MB leaves 15× headroom; bigger answers (also once inflated:
# HttpCompressionMiddleware applies the same limit) are cut off and the account says so. 2 MB logs a warning.
DOWNLOAD_MAXSIZE = 8 * 1024 * 1024
DOWNLOAD_WARNSIZE = 2 * 1024 * 1024
RETRY_TIMES = 4  # default 2: hotel Wi-Fi
# 429 is handled by RetryAfterMiddleware (honours Retry-After); Weibo's 418/432 by its BanDetectionMiddleware.
RETRY_HTTP_CODES = [500, 502, 503, 504, 522, 524, 408]
# HTTPCACHE_ENABLED is off by default; turned on (development), a cached throttling answer would be served
# again to every retry of the request, so nothing that is retried is cached (default: everything is).
HTTPCACHE_IGNORE_HTTP_CODES = [*RETRY_HTTP_CODES, 418, 429, 432]

# --- Components ---------------------------------------------------------------------------------
DOWNLOADER_MIDDLEWARES = {
    # Redirects are never followed: every request carries `dont_redirect` (a login wall starts with one; the
    # spider classifies it). Left on, these two would only warn that RefererMiddleware is off (see below).
    "scrapy.downloadermiddlewares.redirect.RedirectMiddleware": None,
    "scrapy.downloadermiddlewares.redirect.MetaRefreshMiddleware": None,
    # Last before the download handler: after CookiesMiddleware (700), which would drop a Cookie header set
    # earlier, and after HttpCacheMiddleware (900); it takes the cookie off again first thing on the way back,
    # so no retry copy, JOBDIR queue or cache entry holds it (benchmark/middlewares.py).
    "benchmark.middlewares.SecretHeadersMiddleware": 950,
    # Above RetryMiddleware (550): responses go through middlewares from high numbers to low, so this sees a
    # 503 + Retry-After before RetryMiddleware retries it at once (at 545 the wait was never kept). Platforms
    # add their own through their spec (Weibo's 418/432 back-off at 560).
    "benchmark.middlewares.RetryAfterMiddleware": 555,
}
ITEM_PIPELINES = {
    "benchmark.pipelines.ValidatePipeline": 100,
    "benchmark.limits.TextCapPipeline": 150,  # a text longer than BENCHMARK_MAX_TEXT_CHARS is cut (and marked)
    "benchmark.pipelines.PseudonymisePipeline": 200,
    "benchmark.pipelines.StorePipeline": 800,
}
# Every post passes through each spider middleware; these three do nothing for API crawls (no depth limit,
# no over-long URLs, Referer set where a platform wants one), and cost about 5 % of a crawl's CPU.
SPIDER_MIDDLEWARES = {
    "scrapy.spidermiddlewares.depth.DepthMiddleware": None,
    "scrapy.spidermiddlewares.referer.RefererMiddleware": None,
    "scrapy.spidermiddlewares.urllength.UrlLengthMiddleware": None,
}
# Scrapy reads each callback's source (inspect + ast) before calling it, to warn about a generator returning a
# value; its cache is keyed by the bound method, new with every request: about 1 ms a response, 4 % of a
# crawl's CPU (issue #19). The warning is for developers of new callbacks; tests/test_crawl_batches.py checks ours.
WARN_ON_GENERATOR_RETURN_VALUE = False
EXTENSIONS = {
    "benchmark.extensions.CrawlReport": 500,
    # A first Ctrl-C drops requests held back by a delay or back-off instead of waiting them out (middlewares.py).
    "benchmark.middlewares.PromptShutdown": 0,
    # A timeline page's posts pass Scrapy's per-item machinery as one PostBatch (BENCHMARK_POST_BATCHES, issue
    # #19); these two make feed exports and item_scraped_count see the posts (benchmark/crawling/batches.py).
    "scrapy.extensions.feedexport.FeedExporter": None,
    "benchmark.crawling.batches.PostBatchFeedExporter": 0,
    "benchmark.crawling.batches.PostBatchStats": 0,
}
BENCHMARK_POST_BATCHES = True

# Turned off on purpose: an in-process code-execution server (2.19) and telnet are not needed.
REMOTE_CONTROL_ENABLED = False
TELNETCONSOLE_ENABLED = False

FEED_EXPORT_ENCODING = "utf-8"
LOG_LEVEL = os.environ.get("BENCHMARK_LOG_LEVEL", "INFO")
# Default scrapy.logformatter.LogFormatter; ours skips the per-page/per-item DEBUG lines above DEBUG level.
LOG_FORMATTER = "benchmark.logformatter.QuietLogFormatter"

# --- Scale-out and incremental re-crawls (docs/scale-out.md) -----------------------------------------
# Empty (default): one process, Scrapy's in-memory scheduler. A redis:// URL turns on the scrapy-redis
# scheduler and dupefilter (benchmark.distributed.DistributedAddon): `scrapy enqueue <platform>` queues the
# config's accounts, and any number of `scrapy crawl <platform>` workers on any machines share them. Point
# BENCHMARK_DB at one PostgreSQL (postgresql+psycopg://user@host/db) so that every worker writes one store.
BENCHMARK_SCHEDULER = os.environ.get("BENCHMARK_SCHEDULER", "")
BENCHMARK_REDIS_PREFIX = "benchmark"  # Redis keys are <prefix>:<spider>:...; one prefix per team or store
ADDONS = {"benchmark.distributed.DistributedAddon": 0}  # inert while BENCHMARK_SCHEDULER is empty
DISTRIBUTED_CHECKPOINT_INTERVAL = 2.0  # s: how often a worker commits, reports progress and beats
DISTRIBUTED_WORKER_TTL = 30.0  # s without a heartbeat before a worker counts as dead (its accounts re-crawled)
DISTRIBUTED_MAX_ATTEMPTS = 3  # an account lost with a dead worker this often is given up (status partial)
# A re-crawl of the same period reads only new posts and refreshes counts of posts younger than
# REFRESH_WINDOW_DAYS, for accounts whose older posts are in the store from a complete (ok) crawl; others
# are read for the whole period. Off by default: a plain re-crawl refreshes every post of the period.
INCREMENTAL_CRAWL = False
REFRESH_WINDOW_DAYS = 14

# --- Comments (optional deeper crawl: `-a comments=1` or CRAWL_COMMENTS=True) ---------------------------
CRAWL_COMMENTS = False
COMMENTS_PER_POST = 40  # first N top-level comments per post (+ replies); why 40: docs/comments.md
COMMENTS_MAX_POSTS = 100  # per account and run: keeps a comments crawl bounded

# --- The console of the commands (benchmark/commands/_common.py, benchmark/extensions.py) -----------------------
# `scrapy crawl`/`benchmark`/`demo` turn these on: a line per account as it completes, and one summary table printed
# by the command, last. Scrapy's log then goes to logs/<spider>-<time>.log in the project (LOG_FILE), unless
# -L/--loglevel, -s LOG_LEVEL=..., --logfile or --verbose asks for it on the console.
BENCHMARK_PROGRESS = False
BENCHMARK_SUMMARY_AT_EXIT = False

# --- Paging bounds (docs/reliability.md: `ok` is earned) ------------------------------------------------
# Every account's paging stops after this many timeline pages (the account is then `partial`): a server whose
# cursor never ends cannot keep a crawl running. 1,000 pages is 10,000 Weibo / 40,000 Mastodon posts.
MAX_PAGES_PER_ACCOUNT = 1000
