"""Weibo's own downloader middleware: back-off for its 418/432 (registered by the Weibo spider, see SPEC).

Scrapy does not know that 418/432 mean "you are too fast / flagged" on Weibo. The whole download slot (host)
is paused for a doubling wait (the SlotPauser it shares with RetryAfterMiddleware), then the request is
re-scheduled through Scrapy's own `get_retry_request`, so retry stats and limits stay Scrapy's. When the
retries run out, the response goes on to the spider, which records the account as `blocked`.
"""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING, Any

from scrapy.exceptions import NotConfigured

from benchmark.middlewares import PausingRetryMiddleware

if TYPE_CHECKING:
    from scrapy import Request, Spider
    from scrapy.crawler import Crawler
    from scrapy.http import Response

logger = logging.getLogger(__name__)


class BanDetectionMiddleware(PausingRetryMiddleware):
    """Weibo's 418 (too fast) and 432 (anti-crawler): pause the host with doubling back-off, then retry."""

    BAN_CODES = (418, 432)

    def __init__(self, crawler: Crawler) -> None:
        super().__init__(crawler)
        self.base = crawler.settings.getfloat("BAN_BACKOFF_BASE", 30.0)
        self.times = crawler.settings.getint("BAN_RETRY_TIMES", 3)

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> BanDetectionMiddleware:
        if crawler.settings.getint("BAN_RETRY_TIMES", 3) < 0:
            raise NotConfigured
        return cls(crawler)

    def process_response(self, request: Request, response: Response, spider: Spider | None = None) -> Any:
        if response.status not in self.BAN_CODES:
            if response.status < 400:
                self.pauser.restore(request)
            return response
        attempt = request.meta.get("retry_times", 0)
        retry = self.retry_request(request, f"ban {response.status}", self.times)
        self.crawler.stats.inc_value(f"ban/{response.status}")
        if retry is None:
            return response  # the spider marks the account blocked
        wait = self.base * (2**attempt)
        logger.warning("HTTP %s from %s: backing off %.1f s before retry %d/%d",
                       response.status, request.url.split("?")[0], wait, attempt + 1, self.times)
        self.pauser.pause(request, wait)
        return retry
