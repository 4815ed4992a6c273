"""Item pipelines: validate, then write to the store in batched transactions."""

from __future__ import annotations

import logging
import uuid
from dataclasses import fields
from typing import TYPE_CHECKING, Any

from scrapy import signals
from scrapy.exceptions import DropItem

from benchmark.items import POST_FORMATS, POST_KINDS, Account, Comment, Post
from benchmark.store import Store

if TYPE_CHECKING:
    from scrapy import Spider
    from scrapy.crawler import Crawler

logger = logging.getLogger(__name__)

_REQUIRED = {
    Post: ("platform", "post_id", "account_id", "created_at"),
    Account: ("platform", "account_id"),
    Comment: ("platform", "comment_id", "post_id"),
}


class ValidatePipeline:
    """Drops items that would corrupt the metrics, counting each reason in `items/dropped/<reason>`."""

    def __init__(self, crawler: Crawler) -> None:
        self.stats = crawler.stats

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> ValidatePipeline:
        return cls(crawler)

    def process_item(self, item: Any, spider: Spider | None = None) -> Any:
        reason = self.problem(item)
        if reason:
            self.stats.inc_value(f"items/dropped/{reason}")
            raise DropItem(reason)
        return item

    @staticmethod
    def problem(item: Any) -> str | None:
        required = _REQUIRED.get(type(item))
        if required is None:
            return "unknown_item_type"
        for name in required:  # plain attribute reads: this runs for every item
            if getattr(item, name, None) in (None, ""):
                return f"missing_{name}"
        if isinstance(item, Post):
            if item.kind not in POST_KINDS:
                return "bad_kind"
            if item.format not in POST_FORMATS:
                return "bad_format"
        return None


class PseudonymisePipeline:
    """Replaces fans' ids and names with keyed pseudonyms before storage (see benchmark/privacy.py)."""

    def __init__(self, crawler: Crawler) -> None:
        from scrapy.exceptions import NotConfigured

        if not crawler.settings.getbool("PSEUDONYMISE_FANS", True):
            raise NotConfigured
        from benchmark.privacy import load_or_create_key

        self.crawler = crawler
        self.key = load_or_create_key(crawler.settings.get("PSEUDONYM_KEY_FILE", "data/pseudonym.key"))
        self.pseudonymiser = None

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> PseudonymisePipeline:
        return cls(crawler)

    def open_spider(self, spider: Spider | None = None) -> None:
        from benchmark.privacy import Pseudonymiser

        spider = spider or self.crawler.spider
        panel = getattr(spider, "panel", [])
        clear = {a.id for a in panel} | {aff for a in panel for aff in a.affiliates}
        self.pseudonymiser = Pseudonymiser(self.key, getattr(spider, "platform", spider.name), clear)

    def process_item(self, item: Any, spider: Spider | None = None) -> Any:
        return self.pseudonymiser.apply(item) if self.pseudonymiser else item


class StorePipeline:
    """Upserts items into the store (`BENCHMARK_DB`), `BENCHMARK_DB_BATCH` items per transaction.

    It also opens and closes the run in `crawl_runs` and writes each account's final status to
    `crawl_accounts` (from the spider's `tracker`), so the report's coverage section can say what is missing.
    """

    def __init__(self, crawler: Crawler) -> None:
        self.crawler = crawler
        self.url = crawler.settings.get("BENCHMARK_DB")
        self.batch_size = crawler.settings.getint("BENCHMARK_DB_BATCH", 500)
        self.run_id = uuid.uuid4().hex
        self.buffers: dict[type, list[dict]] = {Account: [], Post: [], Comment: []}
        self.store: Store | None = None
        crawler.signals.connect(self.spider_closed, signal=signals.spider_closed)

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> StorePipeline:
        return cls(crawler)

    def open_spider(self, spider: Spider | None = None) -> None:
        self.store = Store(self.url)
        spider = spider or self.crawler.spider
        period = getattr(spider, "period", None)
        self.store.start_run(self.run_id, spider.name, period)
        spider.run_id = self.run_id

    def process_item(self, item: Any, spider: Spider | None = None) -> Any:
        buffer = self.buffers.get(type(item))
        if buffer is not None:
            buffer.append(_as_row(item))
            if sum(len(b) for b in self.buffers.values()) >= self.batch_size:
                self.flush()
        return item

    def flush(self) -> None:
        if self.store is None or not any(self.buffers.values()):
            return
        self.store.write_batch(
            self.run_id,
            account_rows=self.buffers[Account],
            post_rows=self.buffers[Post],
            comment_rows=self.buffers[Comment],
        )
        self.crawler.stats.inc_value("store/batches")
        for buffer in self.buffers.values():
            buffer.clear()

    def close_spider(self, spider: Spider | None = None) -> None:
        self.flush()

    def spider_closed(self, spider: Spider, reason: str) -> None:
        if self.store is None:
            return
        tracker = getattr(spider, "tracker", None)
        rows = tracker.rows() if tracker is not None else []
        self.store.finish_run(self.run_id, reason, self.crawler.stats.get_stats(), rows)
        self.store.close()


_FIELD_NAMES: dict[type, tuple[str, ...]] = {}


def _as_row(item: Any) -> dict:
    # Dataclass fields in declaration order; cheaper than ItemAdapter.asdict() (no deep copy).
    names = _FIELD_NAMES.get(type(item))
    if names is None:
        names = _FIELD_NAMES[type(item)] = tuple(f.name for f in fields(item))
    return {name: getattr(item, name) for name in names}
