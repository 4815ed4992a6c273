"""Post batches (`benchmark.items.PostBatch`): a timeline page's posts go through Scrapy's per-item machinery as
one item (issue #19: about 100 µs an item, a fifth of a crawl's CPU), and come out of it as the posts again.

- `drop_from_batch`: a pipeline drops one post of a batch as Scrapy drops an item (its log line, `item_dropped`
  with the post, so `item_dropped_count` and the account's `partial` status are what they were);
- `PostBatchStats`: `item_scraped_count` counts the posts of a scraped batch, not the batch;
- `PostBatchFeedExporter`: Scrapy's feed exporter, writing each post of a batch as the item it was, so
  `scrapy crawl weibo -O posts.jsonl` writes the same lines in the same order.

Stats whose meaning changes: none of Scrapy's item counts; only DEBUG's "Scraped from" line comes once a page.
"""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING, Any

from scrapy import signals
from scrapy.exceptions import DropItem
from scrapy.extensions.feedexport import FeedExporter
from scrapy.utils.log import logformatter_adapter

from benchmark.items import PostBatch

if TYPE_CHECKING:
    from scrapy import Spider
    from scrapy.crawler import Crawler

# Scrapy's own logger for dropped items, so a dropped post's line reads as it did.
scraper_logger = logging.getLogger("scrapy.core.scraper")


def drop_from_batch(crawler: Crawler, item: Any, reason: str) -> None:
    """What Scrapy does when a pipeline raises DropItem for `item`, for a post taken out of a batch."""
    exception = DropItem(reason)
    spider = crawler.spider
    logkws = crawler.logformatter.dropped(item, exception, None, spider)
    if logkws is not None:
        scraper_logger.log(*logformatter_adapter(logkws), extra={"spider": spider, "item": item})
    crawler.signals.send_catch_log(signal=signals.item_dropped, item=item, response=None, spider=spider,
                                   exception=exception)


class PostBatchStats:
    """Scrapy's CoreStats counts a scraped batch once: this adds its other posts (an emptied batch takes the one
    back), so `item_scraped_count` is the number of posts and other items scraped, as without batches."""

    def __init__(self, crawler: Crawler) -> None:
        self.stats = crawler.stats
        crawler.signals.connect(self.item_scraped, signal=signals.item_scraped)

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> PostBatchStats:
        return cls(crawler)

    def item_scraped(self, item: Any, spider: Spider) -> None:
        if isinstance(item, PostBatch) and len(item.posts) != 1:
            self.stats.inc_value("item_scraped_count", len(item.posts) - 1)


class PostBatchFeedExporter(FeedExporter):
    """Feed exports (`-O`, FEEDS) see each post of a batch, in order, as a scraped item of its own."""

    def item_scraped(self, item: Any, spider: Spider) -> None:
        if isinstance(item, PostBatch):
            for post in item.posts:
                super().item_scraped(post, spider)
            return
        super().item_scraped(item, spider)
