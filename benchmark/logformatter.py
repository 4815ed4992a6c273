"""Scrapy's log formatter, minus the two per-response and per-item DEBUG lines when nobody will see them.

Scrapy logs "Crawled (200) <GET …>" for every response and "Scraped from …" for every item at DEBUG level,
and Python builds the log record before the handler drops it at INFO: about 11,000 records for a
1,350-page crawl, 3 % of its CPU (cProfile, bench/crawl_overhead.py). At LOG_LEVEL=DEBUG nothing changes.
"""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING, Any

from scrapy.logformatter import LogFormatter

if TYPE_CHECKING:
    from scrapy.crawler import Crawler


class QuietLogFormatter(LogFormatter):
    def __init__(self, debug: bool = True) -> None:
        self.debug = debug

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> QuietLogFormatter:
        level = crawler.settings.get("LOG_LEVEL", "DEBUG")
        number = level if isinstance(level, int) else logging.getLevelName(str(level).upper())
        return cls(debug=not isinstance(number, int) or number <= logging.DEBUG)

    def crawled(self, *args: Any, **kwargs: Any) -> Any:
        return super().crawled(*args, **kwargs) if self.debug else None

    def scraped(self, *args: Any, **kwargs: Any) -> Any:
        return super().scraped(*args, **kwargs) if self.debug else None
