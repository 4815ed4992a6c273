"""One in-process spider harness: build a spider on a test crawler, answer its requests with recorded bodies,
run the callbacks and split what they yield. No network, no reactor."""

from __future__ import annotations

import asyncio
import configparser
import json
from pathlib import Path
from typing import Any

from scrapy import Request
from scrapy.http import HtmlResponse, TextResponse
from scrapy.spiderloader import SpiderLoader
from scrapy.utils.project import get_project_settings
from scrapy.utils.test import get_crawler
from twisted.python.failure import Failure

PROJECT_ROOT = Path(__file__).resolve().parents[2]
JSON_HEADERS = {"Content-Type": "application/json"}


def load_spider(name: str) -> type:
    """A spider class by its name, through Scrapy's spider loader: wherever the project keeps its module."""
    settings = get_project_settings()
    if not settings.getlist("SPIDER_MODULES"):  # pytest run from outside the project: no scrapy.cfg found
        settings.setmodule(_project_settings_module(), priority="project")
    return SpiderLoader.from_settings(settings).load(name)


def _project_settings_module() -> str:
    config = configparser.ConfigParser()
    config.read(PROJECT_ROOT / "scrapy.cfg", encoding="utf-8")
    return config["settings"]["default"]


def make_spider(spider_cls: type, tmp_path: Path, settings: dict[str, Any] | None = None, **arguments: Any) -> Any:
    """A spider built as `scrapy crawl` builds it (from_crawler, `-a` arguments), on a test crawler; the config
    path is a missing file in tmp_path, so the panel comes from `accounts` alone."""
    crawler = get_crawler(spider_cls, {"BENCHMARK_CONFIG": str(tmp_path / "none.toml"), **(settings or {})})
    spider = spider_cls.from_crawler(crawler, **arguments)
    crawler.spider = spider
    return spider


def respond(request: Request, body: bytes | str | dict | list = b"", status: int = 200,
            headers: dict[str, str] | None = None, html: bool = False) -> TextResponse:
    """The response a server gives to `request`: a dict or list is sent as JSON, text as UTF-8; `html` makes
    an HtmlResponse (as Scrapy builds for text/html pages)."""
    if isinstance(body, dict | list):
        body = json.dumps(body)
    if isinstance(body, str):
        body = body.encode("utf-8")
    cls = HtmlResponse if html else TextResponse
    default = {"Content-Type": "text/html; charset=utf-8"} if html else JSON_HEADERS
    return cls(request.url, status=status, body=body, encoding="utf-8", request=request,
               headers={**default, **(headers or {})})


def as_served(fragment: str) -> str:
    """The recorded plain Telegram pages are the <body> fragments another project saved; t.me serves them inside
    a whole document, and the parser requires a fetched page to be whole (a cut page is re-read)."""
    return f'<!DOCTYPE html>\n<html><head><meta charset="utf-8"></head><body>\n{fragment}\n</body></html>\n'


def tracked_status(spider: Any, account_id: str) -> tuple[str, str]:
    """(status, message) the spider's tracker holds for one of its platform's accounts."""
    progress = spider.tracker.get(spider.platform, account_id)
    return progress.status, progress.message


def split(output: Any) -> tuple[list[Any], list[Request]]:
    """What a callback yielded: (items, requests)."""
    output = list(output or [])
    return [o for o in output if not isinstance(o, Request)], [o for o in output if isinstance(o, Request)]


def run_callback(request: Request, response: TextResponse) -> tuple[list[Any], list[Request]]:
    """Run the request's callback (with its cb_kwargs) on `response`, as Scrapy's engine would."""
    return split(request.callback(response, **request.cb_kwargs))


def run_errback(request: Request, error: Exception) -> tuple[list[Any], list[Request]]:
    """Run the request's errback on `error` after Scrapy's retries, as the engine calls it (failure.request)."""
    failure = Failure(error)
    failure.request = request  # type: ignore[attr-defined]
    return split(request.errback(failure))


def start_requests(spider: Any) -> list[Request]:
    """What the spider's `start()` yields, collected without a running crawl."""

    async def collect() -> list[Request]:
        return [request async for request in spider.start()]

    return asyncio.run(collect())
