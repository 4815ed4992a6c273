"""The Scrapy side of the switch: the add-on that turns the Redis scheduler on, the scheduler itself, and the
spider middleware that feeds the accounts popped from Redis to the spider's own start()."""

from __future__ import annotations

import logging
import os
import time
from collections.abc import AsyncIterator
from typing import TYPE_CHECKING, Any

from scrapy.exceptions import NotConfigured

from benchmark.distributed.keys import DEFAULT_PREFIX, JobKeys
from benchmark.distributed.worker import RedisWorker

if TYPE_CHECKING:
    from scrapy import Request, Spider
    from scrapy.crawler import Crawler
    from scrapy.settings import BaseSettings

logger = logging.getLogger(__name__)

SECRET_HEADERS = (b"Cookie", b"Authorization")


# ----------------------------------------------------------------------------------------- the switch


class DistributedAddon:
    """Turns on the Redis scheduler when BENCHMARK_SCHEDULER (a redis:// URL) is set, from the environment
    (settings.py reads it) or the command line (`-s BENCHMARK_SCHEDULER=...`)."""

    def update_settings(self, settings: BaseSettings) -> None:
        url = settings.get("BENCHMARK_SCHEDULER", "")
        if not url:
            raise NotConfigured  # no message: the embedded default is not worth a warning
        if not str(url).startswith(("redis://", "rediss://", "unix://")):
            raise ValueError(f"BENCHMARK_SCHEDULER must be a redis:// URL, not {url!r}")
        prefix = settings.get("BENCHMARK_REDIS_PREFIX") or DEFAULT_PREFIX
        settings.set("SCHEDULER", "benchmark.distributed.DistributedScheduler", "addon")
        settings.set("DUPEFILTER_CLASS", "scrapy_redis.dupefilter.RFPDupeFilter", "addon")
        settings.set("SCHEDULER_QUEUE_KEY", f"{prefix}:%(spider)s:requests", "addon")
        settings.set("SCHEDULER_DUPEFILTER_KEY", f"{prefix}:%(spider)s:df", "addon")
        settings.set("SCHEDULER_PERSIST", True, "addon")  # the job outlives any one worker
        settings.set("REDIS_URL", url, "addon")
        settings.set_in_component_priority_dict("SPIDER_MIDDLEWARES", AccountFeedMiddleware, 50)


# ----------------------------------------------------------------------------------------- scheduler


class DistributedScheduler:
    """scrapy-redis's queue and dupefilter (one fingerprint set per account, so a re-crawled account is not
    filtered), with the bookkeeping above. The queue is never flushed by a worker: `scrapy enqueue --reset`
    discards a job."""

    def __init__(self, crawler: Crawler, server: Any) -> None:
        self.crawler = crawler
        self.server = server
        self.stats = crawler.stats
        self.worker: RedisWorker | None = None
        self.queue: Any = None
        self.filters: dict[str, Any] = {}

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> DistributedScheduler:
        from scrapy_redis.connection import get_redis_from_settings

        server = get_redis_from_settings(crawler.settings)
        server.ping()  # fail now, with the URL in the error, rather than at the first request
        return cls(crawler, server)

    def open(self, spider: Spider) -> None:
        from scrapy_redis.queue import PriorityQueue

        self.spider = spider
        self.keys = JobKeys.for_spider(self.crawler.settings, spider.name)
        self.queue = PriorityQueue(server=self.server, spider=spider, key=self.keys.requests)
        self.worker = RedisWorker(self.crawler, spider, self.server, self.keys)
        self.worker.open()
        if len(self.queue):
            logger.info("%s: %d requests already queued in Redis", spider.name, len(self.queue))

    def close(self, reason: str) -> None:
        if self.worker is not None:
            self.worker.close(reason)

    def __len__(self) -> int:
        return len(self.queue) if self.queue is not None else 0

    def has_pending_requests(self) -> bool:
        return len(self) > 0

    def dupefilter(self, account_id: str) -> Any:
        """scrapy-redis's RFP dupefilter on this account's fingerprint set."""
        if account_id not in self.filters:
            from scrapy.utils.misc import load_object

            cls = load_object(self.crawler.settings.get("DUPEFILTER_CLASS"))
            self.filters[account_id] = cls(self.server, key=self.keys.dupefilter(account_id),
                                           debug=self.crawler.settings.getbool("DUPEFILTER_DEBUG"))
        return self.filters[account_id]

    def enqueue_request(self, request: Request) -> bool:
        account_id = request.meta.get("account_id", "")
        dupefilter = self.dupefilter(account_id)
        if not request.dont_filter and dupefilter.request_seen(request):
            dupefilter.log(request, self.spider)
            return False
        self.push(request, account_id)
        self.stats.inc_value("scheduler/enqueued/redis")
        return True

    def push(self, request: Request, account_id: str) -> None:
        """Queue the request and count it open for its account, in one transaction."""
        for name in SECRET_HEADERS:
            request.headers.pop(name, None)
        # A time-ordered unique prefix: equal-priority requests pop oldest first, and two identical requests
        # (dont_filter) stay two members of the sorted set.
        member = time.time_ns().to_bytes(8, "big") + os.urandom(4) + self.queue._encode_request(request)
        pipe = self.server.pipeline(transaction=True)
        pipe.execute_command("ZADD", self.keys.requests, -request.priority, member)
        if account_id:
            pipe.hincrby(self.keys.account(account_id), "open", 1)
        pipe.execute()

    def next_request(self) -> Request | None:
        assert self.worker is not None
        member = self.worker.scripts["pop_request"](keys=[self.keys.requests, self.keys.workers],
                                                    args=[self.worker.id])
        if not member:
            return None
        request = self.queue._decode_request(member[12:])
        self.worker.hold(request)
        self.stats.inc_value("scheduler/dequeued/redis")
        return request


# ----------------------------------------------------------------------------------------- start()


class AccountFeedMiddleware:
    """In distributed mode the accounts come from Redis, not from the config: the spider's own start() runs
    once per popped account (see `first_requests`)."""

    def __init__(self, crawler: Crawler) -> None:
        self.crawler = crawler

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> AccountFeedMiddleware:
        return cls(crawler)

    async def process_start(self, start: AsyncIterator[Any]) -> AsyncIterator[Any]:
        worker = getattr(self.crawler.spider, "distributed", None)
        if worker is None:  # not a benchmark spider: nothing tells it which accounts are its share
            logger.warning("distributed mode: %s has no Redis worker, so no start requests", self.crawler.spider)
            return
        async for request in worker.feed():
            yield request


