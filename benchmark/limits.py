"""Caps on what one answer can make us store: hostile or broken servers must not fill the store.

DOWNLOAD_MAXSIZE (settings.py) bounds an answer's bytes; this bounds a stored text. Real platforms send far
less than the cap: Weibo long posts (a few thousand characters), Telegram 4,096, Bluesky 300 graphemes,
Mastodon 500 by default and rarely more than 10,000 on instances that raise it.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from benchmark.items import Account, Comment, Post, PostBatch

if TYPE_CHECKING:
    from scrapy import Spider
    from scrapy.crawler import Crawler

MAX_TEXT_CHARS = 20_000
TEXT_FIELDS: dict[type, tuple[str, ...]] = {Post: ("text",), Comment: ("text",), Account: ("description",)}


class TextCapPipeline:
    """Cuts a text field longer than BENCHMARK_MAX_TEXT_CHARS; the item's `extra["<field>_capped_from"]` keeps
    the original length, so the report can tell a capped text from a short one. Counted in `items/text_capped`."""

    def __init__(self, crawler: Crawler) -> None:
        self.stats = crawler.stats
        self.limit = crawler.settings.getint("BENCHMARK_MAX_TEXT_CHARS", MAX_TEXT_CHARS)

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> TextCapPipeline:
        return cls(crawler)

    def process_item(self, item: Any, spider: Spider | None = None) -> Any:
        if isinstance(item, PostBatch):  # a timeline page's posts (benchmark/crawling/batches.py)
            for post in item.posts:
                self.process_item(post)
            return item
        for name in TEXT_FIELDS.get(type(item), ()):
            value = getattr(item, name, None)
            if isinstance(value, str) and len(value) > self.limit:
                setattr(item, name, value[: self.limit])
                item.extra[f"{name}_capped_from"] = len(value)
                self.stats.inc_value("items/text_capped")
        return item
