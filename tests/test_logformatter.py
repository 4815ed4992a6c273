"""QuietLogFormatter: Scrapy's per-response and per-item DEBUG lines only when DEBUG is shown."""

from __future__ import annotations

import pytest
from scrapy.http import Request, Response
from scrapy.utils.test import get_crawler

from benchmark.logformatter import QuietLogFormatter


@pytest.mark.parametrize(("level", "logged"), [("DEBUG", True), ("debug", True), (10, True), ("INFO", False),
                                               ("WARNING", False), (30, False)])
def test_the_debug_lines_follow_the_log_level(level, logged):
    formatter = QuietLogFormatter.from_crawler(get_crawler(settings_dict={"LOG_LEVEL": level}))
    request = Request("http://127.0.0.1/page")
    response = Response(request.url, request=request)
    crawled = formatter.crawled(request, response, None)
    scraped = formatter.scraped({"post_id": "1"}, response, None)
    assert (crawled is not None, scraped is not None) == (logged, logged)
    if logged:
        assert "Crawled (200)" in crawled["msg"] % crawled["args"]


def test_the_project_uses_it():
    from benchmark import settings

    assert settings.LOG_FORMATTER == "benchmark.logformatter.QuietLogFormatter"
