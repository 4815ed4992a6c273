"""The Weibo spider's callbacks and errbacks, in process, on the recorded payloads of tests/fixtures/weibo/.

Each test builds the request the spider itself builds (so its meta and cb_kwargs are the spider's), answers it
with a recorded or broken body, runs the callback and checks the items, the follow-up requests and the
account's status. No network and no reactor; the end-to-end crawls are in tests/test_spider_weibo.py.
The spider is loaded by name (Scrapy's spider loader), wherever the project keeps its module.
"""

from __future__ import annotations

import logging
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from scrapy import Request
from twisted.internet.error import TimeoutError as RequestTimeout

from benchmark.items import Account, Post
from tests.toolkit.factories import make_post
from tests.toolkit.spiders import load_spider, make_spider, respond, run_callback, run_errback

FIXTURES = Path(__file__).parent / "fixtures" / "weibo"
PROFILE = "m_weibo_cn__getIndex_type_uid__userinfo__2019.json"
TIMELINE_PAGE_2 = "m_weibo_cn__getIndex_containerid_107603__timeline_page2__2019.json"
LONG_TEXT = "m_weibo_cn__statuses_extend__longtext__2019.json"
UID = "1669879400"  # the account of the recorded profile and timeline
BASE = "https://m.weibo.test"
# The recorded timeline dates its posts "06-14" (month-day, this year): read against a fixed crawl time, they
# fall on 2026-05-31 .. 2026-06-13 (UTC), whatever year the tests run in.
CRAWLED_AT = datetime(2026, 11, 26, 4, 0, tzinfo=UTC)


def recorded(name: str) -> bytes:
    return (FIXTURES / name).read_bytes()


def weibo(tmp_path: Path, since: str = "2026-05-01", until: str = "2026-06-30", **settings: Any) -> Any:
    spider = make_spider(load_spider("weibo"), tmp_path,
                         {"WEIBO_BASE_URL": BASE, "RETRY_TIMES": 1, "BENCHMARK_LANGUAGE": "en", **settings},
                         accounts=UID, since=since, until=until)
    spider.crawled_at = CRAWLED_AT
    return spider


def status_of(spider: Any) -> tuple[str, str]:
    progress = spider.tracker.get("weibo", UID)
    return progress.status, str(progress.message)


def timeline_page_2(spider: Any) -> Request:
    """Page 2 as the spider asks for it after page 1 (page-numbered paging: the cursor is `page=2`)."""
    request = spider.next_page(spider.panel[0], "page=2", 2)
    request.meta["cursor"] = "page=2"
    return request


# -- the profile ---------------------------------------------------------------------------------------------


def test_the_profile_gives_the_account_then_asks_the_first_timeline_page(tmp_path: Path) -> None:
    spider = weibo(tmp_path)
    request = spider.profile_request(spider.panel[0])
    items, follow = run_callback(request, respond(request, recorded(PROFILE)))
    [account] = items
    assert isinstance(account, Account)
    assert (account.account_id, account.followers) == (UID, 63357736)
    [timeline] = follow
    assert timeline.url == f"{BASE}/api/container/getIndex?containerid=107603{UID}"
    assert timeline.callback == spider.parse_timeline and timeline.dont_filter
    assert (timeline.meta["account_id"], timeline.meta["page"]) == (UID, 1)
    assert status_of(spider) == ("ok", "")


@pytest.mark.parametrize(("payload", "status", "words"), [
    ({"ok": 0, "msg": "这里还没有内容"}, "not_found", "no such Weibo account"),
    ({"ok": -100, "url": "https://passport.weibo.cn/signin/welcome"}, "login_wall", "WEIBO_COOKIE"),
    ({"ok": 0, "msg": "用户不存在(20003)"}, "not_found", "no such user"),
])
def test_a_profile_that_is_not_there_ends_the_account(tmp_path: Path, payload: dict, status: str,
                                                      words: str) -> None:
    spider = weibo(tmp_path)
    request = spider.profile_request(spider.panel[0])
    assert run_callback(request, respond(request, payload)) == ([], [])
    assert status_of(spider)[0] == status and words in status_of(spider)[1]


@pytest.mark.parametrize(("status", "headers", "body", "expected"), [
    (302, {"Location": "https://passport.weibo.cn/signin/welcome?r=x"}, b"", "login_wall"),
    (200, {"Content-Type": "text/html"}, "<html><title>登录 - 新浪微博</title></html>".encode(), "login_wall"),
    (418, {}, b"", "blocked"),
    (404, {}, b"", "not_found"),
])
def test_a_login_wall_or_a_refusal_on_the_profile_is_the_accounts_status(tmp_path: Path, status: int,
                                                                         headers: dict, body: bytes,
                                                                         expected: str) -> None:
    spider = weibo(tmp_path)
    request = spider.profile_request(spider.panel[0])
    assert run_callback(request, respond(request, body, status, headers)) == ([], [])
    assert status_of(spider)[0] == expected
    if expected == "login_wall":
        assert "WEIBO_COOKIE" in status_of(spider)[1]  # the user learns what to do


def test_a_garbled_profile_is_retried_then_the_account_is_partial(tmp_path: Path) -> None:
    spider = weibo(tmp_path)
    request = spider.profile_request(spider.panel[0])
    _, [retry] = run_callback(request, respond(request, b'{"ok":1,"data":{"userInfo":'))
    assert retry.url == request.url and retry.meta["retry_times"] == 1
    assert status_of(spider) == ("ok", "")  # one broken page is not yet a verdict
    assert run_callback(retry, respond(retry, b'{"ok":1,"data":{"userInfo":')) == ([], [])
    assert status_of(spider)[0] == "partial"
    assert spider.crawler.stats.get_value("pages/broken/malformed_json") == 2


# -- the timeline ---------------------------------------------------------------------------------------------


def test_a_timeline_page_gives_its_posts_and_asks_the_next_page_by_number(tmp_path: Path) -> None:
    spider = weibo(tmp_path)
    request = timeline_page_2(spider)
    assert "page=2" in request.url and request.callback == spider.parse_timeline
    items, [next_page] = run_callback(request, respond(request, recorded(TIMELINE_PAGE_2)))
    assert len(items) == 10 and all(isinstance(p, Post) and p.account_id == UID for p in items)
    assert len({p.post_id for p in items}) == 10
    assert [p.kind for p in items].count("repost") == 1
    assert "page=3" in next_page.url and (next_page.meta["page"], next_page.meta["cursor"]) == (3, "page=3")
    progress = spider.tracker.get("weibo", UID)
    assert (progress.posts, progress.pages, progress.complete) == (10, 1, False)


def test_the_same_page_again_brings_nothing_new_and_the_account_is_partial(tmp_path: Path) -> None:
    spider = weibo(tmp_path)
    request = timeline_page_2(spider)
    run_callback(request, respond(request, recorded(TIMELINE_PAGE_2)))
    again = spider.next_page(spider.panel[0], "page=3", 3)
    again.meta["cursor"] = "page=3"
    assert run_callback(again, respond(again, recorded(TIMELINE_PAGE_2))) == ([], [])  # a server repeating itself
    assert status_of(spider)[0] == "partial"


def test_a_page_older_than_the_period_ends_the_account_complete(tmp_path: Path) -> None:
    spider = weibo(tmp_path, since="2026-06-20")
    request = timeline_page_2(spider)
    assert run_callback(request, respond(request, recorded(TIMELINE_PAGE_2))) == ([], [])
    assert spider.tracker.get("weibo", UID).complete and status_of(spider) == ("ok", "")


def test_only_the_posts_of_the_period_are_kept_and_paging_goes_on(tmp_path: Path) -> None:
    spider = weibo(tmp_path, since="2026-06-01", until="2026-06-09")
    request = timeline_page_2(spider)
    items, follow = run_callback(request, respond(request, recorded(TIMELINE_PAGE_2)))
    period_start, period_end = datetime(2026, 5, 31, 16, tzinfo=UTC), datetime(2026, 6, 9, 16, tzinfo=UTC)
    assert items and all(period_start <= p.created_at < period_end for p in items)
    assert len(items) < 10 and len(follow) == 1  # posts newer than the period: older pages may hold some


def test_the_end_of_a_timeline_is_complete(tmp_path: Path) -> None:
    spider = weibo(tmp_path)
    request = timeline_page_2(spider)
    assert run_callback(request, respond(request, {"ok": 0, "msg": "这里还没有内容"})) == ([], [])
    assert spider.tracker.get("weibo", UID).complete and status_of(spider) == ("ok", "")


# -- long posts -------------------------------------------------------------------------------------------


def long_post() -> Post:
    return make_post("4383487819465288", account_id=UID, created_at=datetime(2026, 6, 13, tzinfo=UTC),
                     text="truncated ...全文")


def test_a_long_post_gets_its_full_text(tmp_path: Path) -> None:
    spider = weibo(tmp_path)
    request = spider.long_text_request(long_post(), spider.panel[0])
    assert request.cb_kwargs["post"].post_id == "4383487819465288" and "statuses/extend?id=" in request.url
    [post], follow = run_callback(request, respond(request, recorded(LONG_TEXT)))
    assert follow == [] and post.text.startswith("😄😆😊") and "Nature" in post.text
    assert spider.crawler.stats.get_value("weibo/long_text_failed") is None


def test_a_garbled_long_text_is_retried_then_the_truncated_post_is_kept(tmp_path: Path) -> None:
    spider = weibo(tmp_path)
    request = spider.long_text_request(long_post(), spider.panel[0])
    _, [retry] = run_callback(request, respond(request, b"\x00garbage"))
    assert retry.meta["retry_times"] == 1
    [post], follow = run_callback(retry, respond(retry, b"\x00garbage"))
    assert follow == [] and post.text == "truncated ...全文"
    assert spider.crawler.stats.get_value("weibo/long_text_failed") == 1


def test_a_long_text_request_that_fails_keeps_the_truncated_post(tmp_path: Path) -> None:
    spider = weibo(tmp_path)
    request = spider.long_text_request(long_post(), spider.panel[0])
    [post], follow = run_errback(request, RequestTimeout())
    assert follow == [] and post.text == "truncated ...全文"
    assert spider.crawler.stats.get_value("weibo/long_text_failed") == 1


# -- the login check before the accounts (WEIBO_COOKIE set) ----------------------------------------------------


def login_check(spider: Any) -> Request:
    return Request(f"{BASE}/api/config", callback=spider.parse_config, errback=spider.config_failed,
                   meta=spider.account_meta(spider.panel[0]), cb_kwargs={"accounts": list(spider.panel)})


def test_the_visitor_redirect_of_the_login_check_ends_every_account_untried(tmp_path: Path) -> None:
    spider = weibo(tmp_path, WEIBO_COOKIE="SUB=stale")
    request = login_check(spider)
    visitor = {"Location": "https://passport.weibo.com/visitor/visitor?entry=miniblog"}
    assert run_callback(request, respond(request, b"", 302, visitor)) == ([], [])
    assert spider.cookie_login is False
    assert status_of(spider)[0] == "login_wall" and "not logged in" in status_of(spider)[1]


def test_a_login_check_lost_on_the_network_still_crawls_every_account(tmp_path: Path,
                                                                      caplog: pytest.LogCaptureFixture) -> None:
    spider = weibo(tmp_path, WEIBO_COOKIE="SUB=fresh")
    with caplog.at_level(logging.WARNING):
        items, [profile] = run_errback(login_check(spider), RequestTimeout())
    assert items == [] and profile.callback == spider.parse_profile and profile.meta["account_id"] == UID
    assert spider.cookie_login is None  # not known: asked again by the next worker
    assert any("could not be checked (TimeoutError)" in r.getMessage() for r in caplog.records)
