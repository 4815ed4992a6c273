"""Issue #19's crawl fast path: orjson for response bodies with json's exact results, and (below) the per-page
post batches whose feed export (`-O`) stays line for line what per-post items wrote."""

from __future__ import annotations

import json
import re
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from scrapy import Spider
from scrapy.http import Response, TextResponse
from scrapy.logformatter import LogFormatter

from bench.crawl_overhead import stats_of
from benchmark.crawling.responses import ResponsesMixin, may_hold_long_integer
from benchmark.items import Post, PostBatch
from benchmark.sample.panel import Panel, panel_config_toml, synthetic_spec
from benchmark.sample.testing import run_server_subprocess
from tests.crawl_helpers import CrawlResult, run_crawl

BODIES = [
    b'{"a": "\xe4\xb8\xad", "n": 1, "f": 0.1, "e": 1E5, "z": -0.0}',
    b'{"a": 1, "a": 2}',  # a repeated key: the last one, as json
    b'{"big": 12345678901234567890123}',  # beyond 64 bits: orjson would make it a float
    b'[1, -9223372036854775809]',
    b'18446744073709551616',
    b'{"n": 9223372036854775807, "m": -9223372036854775808}',
    b'{"x": NaN, "y": Infinity}',  # orjson refuses, json reads
    b'{"x": 1e400}',
    b'{"s": "\\ud800"}',  # a lone surrogate
    b'\xef\xbb\xbf{"bom": 1}',
    b'{"bad": "\xff\xfe"}',  # not UTF-8: json reads the replaced text
    b'{"cut": ',
    b"<html>login</html>",
    b"",
]


@pytest.mark.parametrize("body", BODIES)
@pytest.mark.parametrize("content_type", ["application/json; charset=utf-8", "application/json",
                                          "application/json; charset=gbk"])
def test_load_json_gives_what_json_loads_gave(body: bytes, content_type: str) -> None:
    response = TextResponse("https://example.test/", body=body, headers={"Content-Type": content_type})
    try:
        expected = json.loads(response.text)
    except ValueError:
        expected = None
    got = ResponsesMixin().load_json(response)
    assert repr(got) == repr(expected)  # repr: int vs float, -0.0 and nan compare as they print
    if expected is not None:
        assert type(got) is type(expected)


def test_load_json_of_a_body_without_text_is_none() -> None:
    assert ResponsesMixin().load_json(Response("https://example.test/", body=b"{}")) is None


@pytest.mark.parametrize(("body", "long"), [
    (b'{"a":12345678901234567890}', True),
    (b'{"a": \n -1234567890123456789}', True),
    (b"1234567890123456789", True),
    (b'{"a":[0,1234567890123456789]}', True),
    (b'{"a":123456789012345678}', False),  # 18 digits: within 64 bits
    (b'{"a":"id 1234567890123456789012"}', False),  # inside a string, after a space
])
def test_may_hold_long_integer(body: bytes, long: bool) -> None:
    assert may_hold_long_integer(body) is long


# -- post batches: a page's posts as one item, the same crawl as post by post --------------------------------
def batch_crawl(platform: str, spec: dict, url: str, tmp_path: Path,
                batches: bool) -> tuple[CrawlResult, bytes, dict]:
    """A sequential crawl (one request at a time: the order of the feed is the crawl's), its -O lines with
    crawled_at masked (each run has its own), its stats."""
    run_dir = tmp_path / ("batches" if batches else "posts")
    run_dir.mkdir()
    config = run_dir / "benchmark.toml"
    config.write_text(panel_config_toml(Panel.from_spec(spec)), encoding="utf-8")
    (run_dir / "pseudonym.key").write_bytes((tmp_path / "pseudonym.key").read_bytes())
    feed = run_dir / "posts.jsonl"
    result = run_crawl(platform, base_url=url, db_path=run_dir / "store.sqlite3", config_path=config,
                       settings={"CONCURRENT_REQUESTS": "1", "BENCHMARK_POST_BATCHES": str(batches)},
                       extra=["-O", str(feed)])
    assert result.returncode == 0, result.stderr[-3000:]
    lines = re.sub(rb'"crawled_at": "[^"]*"', b'"crawled_at": ""', feed.read_bytes())
    return result, lines, stats_of(result.stderr)


# One account: its pages come one after the other, so even the order of the whole feed is the crawl's own. With
# several, which account's page is fetched next depends on timing (also run against run without batches): each
# account's lines keep their order, and the feed holds the same lines.
SPEC = {(platform, accounts): synthetic_spec(accounts, 60, platform=platform, seed=11)
        for platform in ("weibo", "bluesky") for accounts in (1, 3)}
POSTS_SQL = "SELECT account_id, post_id, text, likes FROM posts ORDER BY post_id"
STATUS_SQL = "SELECT account_id, status, posts, pages FROM crawl_accounts ORDER BY account_id"


def per_account(lines: bytes) -> dict[str, list[bytes]]:
    accounts: dict[str, list[bytes]] = {}
    for line in lines.splitlines():
        accounts.setdefault(json.loads(line)["account_id"], []).append(line)
    return accounts


@pytest.mark.parametrize(("platform", "accounts"), sorted(SPEC))
def test_post_batches_crawl_exactly_as_posts_one_by_one(platform: str, accounts: int, tmp_path: Path) -> None:
    from benchmark.privacy import load_or_create_key

    load_or_create_key(tmp_path / "pseudonym.key")  # the same pseudonyms in both runs
    spec = SPEC[platform, accounts]
    with run_server_subprocess(spec, seed=None) as (url, _process):
        one_by_one, lines, stats = batch_crawl(platform, spec, url, tmp_path, batches=False)
        batched, batched_lines, batched_stats = batch_crawl(platform, spec, url, tmp_path, batches=True)
    assert lines.count(b"\n") > 50 * accounts
    if accounts == 1:
        assert batched_lines == lines  # byte for byte, in the same order
    else:
        assert per_account(batched_lines) == per_account(lines)
        assert sorted(batched_lines.splitlines()) == sorted(lines.splitlines())
    for name in ("item_scraped_count", "response_received_count", "store/batches"):
        assert batched_stats.get(name) == stats.get(name), name
    assert batched.rows(POSTS_SQL) == one_by_one.rows(POSTS_SQL)
    statuses = one_by_one.rows(STATUS_SQL)
    assert batched.rows(STATUS_SQL) == statuses
    assert {row["status"] for row in statuses} == {"ok"}


def test_a_post_dropped_from_a_batch_is_dropped_as_an_item(tmp_path: Path) -> None:
    from scrapy import signals
    from scrapy.utils.test import get_crawler

    from benchmark.pipelines import ValidatePipeline

    crawler = get_crawler(Spider)
    crawler.spider = Spider.from_crawler(crawler, "test")
    crawler.logformatter = LogFormatter()
    dropped: list[tuple[Any, str]] = []
    crawler.signals.connect(lambda item, exception, **_: dropped.append((item, str(exception))),
                            signal=signals.item_dropped, weak=False)
    good = Post(platform="weibo", post_id="1", account_id="a", created_at=datetime(2026, 11, 1, tzinfo=UTC))
    bad = Post(platform="weibo", post_id="2", account_id="a", created_at=None)  # type: ignore[arg-type]
    strange = Post(platform="weibo", post_id="3", account_id="a", created_at=good.created_at, kind="odd")
    batch = ValidatePipeline(crawler).process_item(PostBatch([good, bad, strange]))
    assert batch.posts == [good]
    assert dropped == [(bad, "missing_created_at"), (strange, "bad_kind")]
    assert crawler.stats.get_value("items/dropped/missing_created_at") == 1
    assert crawler.stats.get_value("items/dropped/bad_kind") == 1


def test_a_lost_batch_makes_each_of_its_accounts_partial(tmp_path: Path) -> None:
    from scrapy.utils.test import get_crawler

    from benchmark.platforms.weibo.spider import WeiboSpider

    crawler = get_crawler(WeiboSpider, {"BENCHMARK_CONFIG": str(tmp_path / "none.toml")})
    spider = WeiboSpider.from_crawler(crawler, accounts="1000000001,1000000002,1000000003", since="2026-11-01",
                                      until="2026-11-30")
    when = datetime(2026, 11, 2, tzinfo=UTC)
    batch = PostBatch([Post(platform="weibo", post_id=str(n), account_id=account, created_at=when)
                       for n, account in enumerate(("1000000001", "1000000002"))])
    spider.on_item_lost(batch, spider, exception=RuntimeError("store"))
    statuses = {account: spider.tracker.get("weibo", account).status
                for account in ("1000000001", "1000000002", "1000000003")}
    assert statuses["1000000001"] == statuses["1000000002"] == "partial"
    assert statuses["1000000003"] != "partial"


def test_no_callback_is_a_generator_returning_a_value() -> None:
    """Scrapy's own check of this is off (WARN_ON_GENERATOR_RETURN_VALUE, benchmark/settings.py: it costs 4 % of
    a crawl's CPU); a callback's return value would be lost, so it is checked here once."""
    import inspect

    from scrapy.spiderloader import SpiderLoader
    from scrapy.utils.misc import is_generator_with_return_value
    from scrapy.utils.project import get_project_settings

    loader = SpiderLoader.from_settings(get_project_settings())
    checked = 0
    for spider in map(loader.load, loader.list()):
        for name, function in inspect.getmembers(spider, inspect.isgeneratorfunction):
            if name.startswith(("parse", "on_")) or name == "start":
                checked += 1
                assert not is_generator_with_return_value(function), f"{spider.__name__}.{name}"
    assert checked >= 10
