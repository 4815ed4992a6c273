"""The shared test toolkit (tests/conftest.py, tests/toolkit/) does what the tests that use it rely on: configs
load as written, stores hold the rows given, servers give empty databases, the harness answers requests."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pytest
from scrapy import Request
from scrapy.http import HtmlResponse

from benchmark.config import load_config
from benchmark.items import Post
from tests.toolkit.factories import OWN, build_store, config_toml, make_account, make_comment, make_post, query_rows
from tests.toolkit.spiders import load_spider, respond, run_callback


def test_config_toml_loads_with_its_accounts_period_and_language(tmp_path: Path) -> None:
    accounts = [{"platform": "weibo", "id": OWN, "role": "own", "label": "我们 \"品牌\"", "affiliates": ["1000000009"]},
                {"platform": "bluesky", "id": "peer.bsky.social", "role": "peer"}]
    path = tmp_path / "benchmark.toml"
    path.write_text(config_toml(accounts, ("2026-07-01", "2026-07-14"), name="tiny", language="zh"),
                    encoding="utf-8")
    config = load_config(path)
    assert (config.name, config.period_start, config.period_end) == ("tiny", date(2026, 7, 1), date(2026, 7, 14))
    assert [(a.platform, a.id, a.role) for a in config.accounts] == [("weibo", OWN, "own"),
                                                                     ("bluesky", "peer.bsky.social", "peer")]
    assert config.accounts[0].label == "我们 \"品牌\"" and config.accounts[0].affiliates == ("1000000009",)


def test_make_config_writes_a_quarter_or_the_text_given(make_config) -> None:
    config = load_config(make_config(accounts=[{"platform": "telegram", "id": "durov", "role": "own"}],
                                     period="2026Q3"))
    assert (config.period_start, config.period_end) == (date(2026, 7, 1), date(2026, 9, 30))
    assert make_config(b"\xef\xbb\xbfraw").read_bytes() == b"\xef\xbb\xbfraw"


def test_build_store_holds_the_items_given(tmp_path: Path) -> None:
    url = build_store(tmp_path / "store.sqlite3", posts=[make_post("p1", likes=3), make_post("p2")],
                      accounts=[make_account(followers=10)], comments=[make_comment(post_id="p1")])
    assert query_rows(url, "select post_id, likes from posts order by post_id") == [
        {"post_id": "p1", "likes": 3}, {"post_id": "p2", "likes": None}]
    assert query_rows(url, "select followers from accounts") == [{"followers": 10}]
    assert [r["post_id"] for r in query_rows(url, "select post_id from comments")] == ["p1"]


def test_sqlite_store_and_make_store_share_the_tests_file(sqlite_store, make_store, store_path: Path) -> None:
    assert sqlite_store.url.endswith(str(store_path))
    url = make_store(posts=[make_post()])
    assert sqlite_store.count("posts") == 1 and url == sqlite_store.url


def test_each_test_gets_an_empty_postgresql_database(pg_url: str) -> None:
    assert pg_url.startswith("postgresql")
    assert query_rows(pg_url, "select count(*) as n from pg_tables where schemaname = 'public'") == [{"n": 0}]


def test_redis_is_reachable(redis_client) -> None:
    assert redis_client.ping()


def test_the_harness_answers_a_request_and_splits_what_its_callback_yields() -> None:
    def callback(response, extra: int) -> object:
        yield Post(platform="weibo", post_id=response.json()["id"], account_id=OWN, created_at=make_post().created_at)
        yield Request(response.urljoin(f"/next?n={extra}"))

    request = Request("https://example.test/page", callback=callback, cb_kwargs={"extra": 2})
    [post], [follow] = run_callback(request, respond(request, {"id": "42"}))
    assert post.post_id == "42" and follow.url == "https://example.test/next?n=2"
    page = respond(request, "<p>登录</p>", 200, html=True)
    assert isinstance(page, HtmlResponse) and "登录" in page.text


@pytest.mark.parametrize("name", ["weibo", "bluesky", "mastodon", "telegram"])
def test_load_spider_finds_every_platform_by_name(name: str) -> None:
    assert load_spider(name).name == name
