"""Item pipelines: validate, then write to the store in batched transactions."""

from __future__ import annotations

import logging
import uuid
from dataclasses import fields
from typing import TYPE_CHECKING, Any

from scrapy import signals
from scrapy.exceptions import DropItem

from benchmark import signals as benchmark_signals
from benchmark.crawling.batches import drop_from_batch
from benchmark.i18n import N_, Message
from benchmark.items import POST_FORMATS, POST_KINDS, Account, Comment, Post, PostBatch
from benchmark.store import BatchResult, RefusedRow, Store

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
        self.crawler = crawler
        self.stats = crawler.stats

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> ValidatePipeline:
        return cls(crawler)

    def process_item(self, item: Any, spider: Spider | None = None) -> Any:
        if isinstance(item, PostBatch):  # each post dropped alone, as the item it would have been
            item.posts = [post for post in item.posts if not self.dropped_from_batch(post)]
            return item
        reason = self.problem(item)
        if reason:
            self.stats.inc_value(f"items/dropped/{reason}")
            raise DropItem(reason)
        return item

    def dropped_from_batch(self, post: Post) -> bool:
        reason = self.problem(post)
        if reason:
            self.stats.inc_value(f"items/dropped/{reason}")
            drop_from_batch(self.crawler, post, reason)
        return bool(reason)

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
        if self.pseudonymiser is None:
            return item
        if isinstance(item, PostBatch):
            item.posts = [self.pseudonymiser.apply(post) for post in item.posts]
            return item
        return self.pseudonymiser.apply(item)


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
        # Accounts that lost rows because the store could not be written (not because of their values): a
        # distributed worker must not report their work as done (benchmark/distributed/).
        self.lost_accounts: set[tuple[str, str]] = set()
        crawler.signals.connect(self.spider_closed, signal=signals.spider_closed)

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> StorePipeline:
        return cls(crawler)

    def open_spider(self, spider: Spider | None = None) -> None:
        self.store = Store(self.url)
        spider = spider or self.crawler.spider
        period = getattr(spider, "period", None)
        self.store.start_run(self.run_id, spider.name, period)

    def process_item(self, item: Any, spider: Spider | None = None) -> Any:
        if isinstance(item, PostBatch):  # post by post: the transactions hold the same rows as without batches
            for post in item.posts:
                self.buffer(post)
            return item
        self.buffer(item)
        return item

    def buffer(self, item: Any) -> None:
        buffer = self.buffers.get(type(item))
        if buffer is not None:
            buffer.append(_as_row(item))
            if sum(len(b) for b in self.buffers.values()) >= self.batch_size:
                self.flush()

    def flush(self) -> None:
        """Write the buffered items in one transaction. The buffers are emptied first, whatever happens: a batch
        kept after a failure would fail every later write too (issue 14). Rows the store refuses are counted
        (`store/refused/<reason>`), logged, and their accounts marked `partial`; then `batch_committed` says which
        accounts' items so far are all settled (stored or refused)."""
        if self.store is None or not any(self.buffers.values()):
            return
        batch = {kind: list(buffer) for kind, buffer in self.buffers.items()}
        for buffer in self.buffers.values():
            buffer.clear()
        try:
            result = self.store.write_batch(self.run_id, account_rows=batch[Account], post_rows=batch[Post],
                                            comment_rows=batch[Comment])
        except Exception as exc:  # the store itself failed (not one row): every row of the batch is lost
            logger.error("store: a batch of %d items could not be written (%s)",
                         sum(len(rows) for rows in batch.values()), type(exc).__name__)
            result = _lost_batch(batch)
        stats = self.crawler.stats
        if result.stored:
            stats.inc_value("store/batches")
        if result.retried:
            stats.inc_value("store/batches_retried_by_row")
        if result.refused:
            self._refused(result.refused)
        # Accounts whose rows could not be written (store down, locked, full) are not settled: left out.
        lost = {(r.platform, r.account_id) for r in result.refused if r.reason in LOST_REASONS}
        settled = result.accounts - lost
        if settled:
            # How many posts of each account the commit held: the spider cannot count them itself, since Scrapy
            # reports an item scraped only after the pipelines, i.e. after the commit its arrival may have caused.
            posts: dict[tuple[str, str], int] = {}
            for row in batch[Post]:
                key = (row["platform"], row["account_id"])
                if key in settled:
                    posts[key] = posts.get(key, 0) + 1
            self.crawler.signals.send_catch_log(benchmark_signals.batch_committed, accounts=settled, posts=posts)

    def _refused(self, refused: list[RefusedRow]) -> None:
        stats = self.crawler.stats
        spider = self.crawler.spider
        tracker = getattr(spider, "tracker", None)
        per_account: dict[tuple[str, str], list[str]] = {}
        for row in refused:
            stats.inc_value(f"store/refused/{row.reason}")
            # One line per row: its id and the reason, never its text.
            logger.warning("store: refused a row of %s (%s %s, id %s): %s", row.table, row.platform,
                           row.account_id or "?", row.key[:200], row.reason)
            per_account.setdefault((row.platform, row.account_id), []).append(row.reason)
            if row.reason in LOST_REASONS and row.account_id:
                self.lost_accounts.add((row.platform, row.account_id))
        if tracker is not None:
            for (platform, account_id), reasons in per_account.items():
                if account_id:
                    tracker.fail(platform, account_id, "partial", refused_message(reasons))
        self.crawler.signals.send_catch_log(benchmark_signals.rows_refused,
                                            refused=[(r.platform, r.account_id, r.reason) for r in refused])

    def close_spider(self, spider: Spider | None = None) -> None:
        self.flush()

    def spider_closed(self, spider: Spider, reason: str) -> None:
        if self.store is None:
            return
        tracker = getattr(spider, "tracker", None)
        rows = tracker.rows() if tracker is not None else []
        self.store.finish_run(self.run_id, reason, self.crawler.stats.get_stats(), rows)
        self.store.close()


# Why the store refused a row (`store/refused/<reason>`), as words for the account's reason.
REFUSED_REASONS = {
    "number_out_of_range": N_("a count too large to be true"),
    "id_too_long": N_("an id too long to store"),
    "bad_date": N_("a date out of range"),
    "bad_json": N_("a value that is not storable"),
    "foreign_post": N_("a post already stored under another account"),
    "database_error": N_("the database rejected it"),
    "store_unavailable": N_("the store could not be written"),
    "store_error": N_("the store could not be written"),
}
# Reasons that say nothing about the data: the same items would be stored by another try.
LOST_REASONS = ("store_unavailable", "store_error")


def refused_message(reasons: list[str]) -> Message:
    """The account's reason for refused rows, e.g. "2 item(s) not stored: a count too large to be true"."""
    first = reasons[0]
    words = Message(REFUSED_REASONS[first]) if first in REFUSED_REASONS else first
    return Message("{count} item(s) not stored: {reason}", count=len(reasons), reason=words)


def _lost_batch(batch: dict[type, list[dict]]) -> BatchResult:
    result = BatchResult()
    for kind, rows in batch.items():
        for row in rows:
            if kind is Comment:
                result.refused.append(RefusedRow("comments", row["platform"], "", str(row["comment_id"]),
                                                 "store_error"))
                continue
            result.accounts.add((row["platform"], row["account_id"]))
            key = row["post_id"] if kind is Post else row["account_id"]
            result.refused.append(RefusedRow("posts" if kind is Post else "accounts", row["platform"],
                                             row["account_id"], str(key), "store_error"))
    return result


_FIELD_NAMES: dict[type, tuple[str, ...]] = {}


def _as_row(item: Any) -> dict:
    # Dataclass fields in declaration order; cheaper than ItemAdapter.asdict() (no deep copy).
    names = _FIELD_NAMES.get(type(item))
    if names is None:
        names = _FIELD_NAMES[type(item)] = tuple(f.name for f in fields(item))
    return {name: getattr(item, name) for name in names}
