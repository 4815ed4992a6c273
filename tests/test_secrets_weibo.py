"""The Weibo cookie reaches Weibo, and only Weibo, and only on the wire (issue 15 item 1, issue 14 item 11).

The server is the sample server in strict mode with an expected cookie: like real Weibo, it answers a request
without that cookie (or without the mobile web client's headers) with the visitor redirect or `ok: -100`, and
counts every refusal on `/__strict`. A crawl of profile, timeline pages, long texts, comments and 418 retries,
with `JOBDIR` and `HTTPCACHE_ENABLED` on, must be refused nowhere, end `ok`, and leave the cookie in no file:
not in the JOBDIR queues, the HTTP cache, the log, the store or the feed.
"""

from __future__ import annotations

import json
import urllib.request
from pathlib import Path

import pytest
from scrapy import Request
from scrapy.http import Response
from scrapy.utils.conf import build_component_list
from scrapy.utils.test import get_crawler

from benchmark import settings as project
from benchmark.i18n import stored_message
from benchmark.middlewares import SecretHeadersMiddleware
from benchmark.sample.panel import Panel, panel_config_toml
from benchmark.sample.testing import run_server_subprocess
from tests.crawl_helpers import run_crawl

ANCHOR = "2026-11-26T12:00:00+08:00"
SECRET = "RECOGNIZABLE-STRICT-COOKIE-7"
COOKIE = f"SUB={SECRET}; SUBP=0033WrSX"
SPEC = {
    "seed": 5,
    "anchor": ANCHOR,
    "period": {"start": "2026-10-01", "end": "2026-11-25"},
    "accounts": [
        {"platform": "weibo", "id": "1000000011", "role": "own", "label": "Fans", "archetype": "fan_friendly",
         "posts": 24, "older_posts": 2, "pinned": "old", "behaviour": {"burst_418": 2}},
        {"platform": "weibo", "id": "1000000012", "role": "peer", "label": "Seller", "archetype": "sales_heavy",
         "posts": 8, "older_posts": 1},
    ],
}


def strict_counts(url: str) -> dict[str, int]:
    with urllib.request.urlopen(f"{url}/__strict", timeout=5) as answer:
        return json.loads(answer.read())


@pytest.fixture(scope="module")
def crawl(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("secrets")
    panel = Panel.from_spec(SPEC)
    config = tmp / "benchmark.toml"
    config.write_text(panel_config_toml(panel), encoding="utf-8")
    with run_server_subprocess(SPEC, seed=None, anchor=ANCHOR,
                               extra_args=("--strict-weibo", "--weibo-cookie", COOKIE)) as (url, _process):
        result = run_crawl("weibo", base_url=url, db_path=tmp / "store.sqlite3", config_path=config,
                           env={"WEIBO_COOKIE": COOKIE}, args={"comments": "1"},
                           settings={"LOG_LEVEL": "DEBUG", "JOBDIR": str(tmp / "job"), "HTTPCACHE_ENABLED": "True",
                                     "HTTPCACHE_DIR": str(tmp / "httpcache"), "LOG_FILE": str(tmp / "crawl.log")},
                           extra=["-O", str(tmp / "feed.jsonl")])
        counts = strict_counts(url)
    return tmp, result, counts, panel


def test_every_weibo_request_carries_the_cookie_and_the_crawl_is_ok(crawl):
    _tmp, result, counts, _panel = crawl
    refused = {name: n for name, n in counts.items()
               if name.startswith("weibo:") and name not in ("weibo:served", "weibo:config")}
    assert refused == {}, counts
    assert counts["weibo:served"] > 10
    assert counts["weibo:config"] == 1  # one login check before the first timeline request
    statuses = {r["account_id"]: r["status"] for r in result.rows("select account_id, status from crawl_accounts")}
    assert statuses == {"1000000011": "ok", "1000000012": "ok"}, result.stderr[-3000:]
    assert result.rows("select count(*) as n from comments")[0]["n"] > 0  # comments were fetched with it too
    assert result.returncode == 0


def test_the_cookie_is_in_no_file_queue_cache_log_store_or_feed(crawl):
    tmp, result, _counts, _panel = crawl
    assert (tmp / "job").is_dir() and any((tmp / "httpcache").rglob("request_headers"))
    assert (tmp / "crawl.log").stat().st_size > 0
    leaks = [str(path.relative_to(tmp)) for path in Path(tmp).rglob("*")
             if path.is_file() and SECRET.encode() in path.read_bytes()]
    assert leaks == []
    assert SECRET not in result.stdout + result.stderr


def test_the_cookie_is_added_for_the_download_only_and_only_for_weibo():
    crawler = get_crawler(settings_dict={"WEIBO_COOKIE": COOKIE, "WEIBO_BASE_URL": "https://m.weibo.cn"})
    middleware = SecretHeadersMiddleware.from_crawler(crawler)
    weibo = Request("https://m.weibo.cn/api/container/getIndex?containerid=1076031", headers={"Cookie": "XSRF=1"})
    middleware.process_request(weibo)
    sent = weibo.headers[b"Cookie"].decode()
    assert SECRET in sent and "XSRF=1" in sent  # the jar's own cookies go along
    middleware.process_response(weibo, Response(weibo.url, request=weibo))
    assert b"Cookie" not in weibo.headers  # retries, queues and the cache never hold it (the jar gives its part again)
    failed = Request("https://m.weibo.cn/statuses/extend?id=1")
    middleware.process_request(failed)
    assert SECRET.encode() in failed.headers[b"Cookie"]
    middleware.process_exception(failed, TimeoutError())
    assert b"Cookie" not in failed.headers
    for elsewhere in ("https://weibo.com/u/1", "https://m.weibo.cn.evil.example/x", "https://t.me/s/x",
                      "http://m.weibo.cn/api/config"):
        other = Request(elsewhere)
        middleware.process_request(other)
        assert b"Cookie" not in other.headers, elsewhere


def test_the_cookie_middleware_runs_after_scrapys_cookies_and_cache_middlewares():
    crawler = get_crawler(settings_dict={"DOWNLOADER_MIDDLEWARES": project.DOWNLOADER_MIDDLEWARES})
    order = build_component_list(crawler.settings.getwithbase("DOWNLOADER_MIDDLEWARES"))
    position = {name.rpartition(".")[2]: index for index, name in enumerate(order)}
    assert position["SecretHeadersMiddleware"] > position["CookiesMiddleware"]
    assert position["SecretHeadersMiddleware"] > position["HttpCacheMiddleware"]


def test_a_cookie_that_is_not_logged_in_is_one_line_at_the_start_and_no_account_is_tried(tmp_path):
    panel = Panel.from_spec(SPEC)
    config = tmp_path / "benchmark.toml"
    config.write_text(panel_config_toml(panel), encoding="utf-8")
    expired = "SUB=_2A25-an-expired-one; SUBP=0033WrSX"
    with run_server_subprocess(SPEC, seed=None, anchor=ANCHOR,
                               extra_args=("--strict-weibo", "--weibo-cookie", COOKIE)) as (url, _process):
        result = run_crawl("weibo", base_url=url, db_path=tmp_path / "store.sqlite3", config_path=config,
                           env={"WEIBO_COOKIE": expired}, settings={"BENCHMARK_LANGUAGE": "zh"})
        counts = strict_counts(url)
    assert counts == {"weibo:config": 1}  # asked once whether it is logged in; no account was tried
    lines = [line for line in result.stderr.splitlines() if "WEIBO_COOKIE" in line and "登录" in line
             and "login_wall" not in line]
    assert len(lines) == 1 and "WEIBO_COOKIE 未登录" in lines[0], result.stderr[-3000:]
    assert "_2A25-an-expired-one" not in result.stderr
    rows = result.rows("select status, message, message_i18n from crawl_accounts")
    assert [row["status"] for row in rows] == ["login_wall", "login_wall"]
    assert all(row["message"].startswith("WEIBO_COOKIE is not logged in: ") for row in rows)
    assert stored_message(rows[0]["message"], rows[0]["message_i18n"], "zh").startswith("WEIBO_COOKIE 未登录")
    assert result.returncode == 3


def test_no_cookie_is_one_warning_at_the_start_and_the_crawl_goes_on_anonymously(tmp_path):
    panel = Panel.from_spec(SPEC)
    config = tmp_path / "benchmark.toml"
    config.write_text(panel_config_toml(panel), encoding="utf-8")
    # Strict on the client's headers; no cookie expected: an anonymous (visitor) crawl.
    with run_server_subprocess(SPEC, seed=None, anchor=ANCHOR, extra_args=("--strict-weibo",)) as (url, _process):
        result = run_crawl("weibo", base_url=url, db_path=tmp_path / "store.sqlite3", config_path=config)
        counts = strict_counts(url)
    assert [line for line in result.stderr.splitlines() if "WEIBO_COOKIE is not set: " in line] != []
    assert result.stderr.count("WEIBO_COOKIE is not set") == 1
    assert "weibo:config" not in counts and counts["weibo:served"] > 5
    assert {row["status"] for row in result.rows("select status from crawl_accounts")} == {"ok"}
    assert result.returncode == 0, result.stderr[-2000:]
