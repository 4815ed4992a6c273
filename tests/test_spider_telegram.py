"""`scrapy crawl telegram`: callbacks on real recorded t.me pages (tests/fixtures/telegram), then end to end
against the local sample server.

The recorded `/s/swiftui_dev` page holds 20 messages from 2024-06-03 to 2026-04-17 (ids 262–297) under a
channel header with 992 subscribers; the `plain-*` pages are what `t.me/<name>` shows for a contact-only
name, a group and a channel without preview.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from scrapy import Request
from scrapy.http import HtmlResponse
from twisted.python.failure import Failure

from benchmark.items import Account, Post
from benchmark.platforms.telegram.spider import TelegramSpider
from tests.crawl_helpers import run_crawl
from tests.toolkit import spiders as toolkit
from tests.toolkit.factories import posts_between, served_panel_fixture
from tests.toolkit.spiders import as_served

FIXTURES = Path(__file__).parent / "fixtures" / "telegram"
BASE = "https://tme.test"
CHANNEL = "swiftui_dev"
PAGE = (FIXTURES / "laconicman_swiftui_dev_tme_s_page.html").read_text(encoding="utf-8")


def make_spider(tmp_path: Path, accounts: str = CHANNEL, since: str = "2024-01-01",
                until: str = "2026-12-31") -> TelegramSpider:
    return toolkit.make_spider(TelegramSpider, tmp_path, {"TELEGRAM_BASE_URL": BASE, "RETRY_TIMES": 1},
                               accounts=accounts, since=since, until=until)


def first_page_request(spider: TelegramSpider) -> Request:
    [request] = toolkit.start_requests(spider)
    return request


def respond(request: Request, html: str = "", status: int = 200, location: str | None = None) -> HtmlResponse:
    return toolkit.respond(request, html, status, {"Location": location} if location else None, html=True)


def run(callback: Any, *args: Any) -> tuple[list[Any], list[Request]]:
    return toolkit.split(callback(*args))


def status_of(spider: TelegramSpider) -> tuple[str, str]:
    return toolkit.tracked_status(spider, CHANNEL)


def plain_page_request(spider: TelegramSpider) -> Request:
    request = first_page_request(spider)
    _, [plain] = run(spider.parse_page, respond(request, status=302, location=f"{BASE}/{CHANNEL}"))
    return plain


# ---------------------------------------------------------------- pages


def test_first_page_is_the_channel_preview(tmp_path: Path) -> None:
    request = first_page_request(make_spider(tmp_path))

    assert request.url == f"{BASE}/s/{CHANNEL}"
    assert request.dont_filter and request.meta["dont_redirect"] and request.meta["account_id"] == CHANNEL


def test_page_gives_channel_posts_and_the_older_page(tmp_path: Path) -> None:
    spider = make_spider(tmp_path)
    items, [older] = run(spider.parse_page, respond(first_page_request(spider), PAGE))

    account, posts = items[0], items[1:]
    assert isinstance(account, Account) and (account.account_id, account.followers) == (CHANNEL, 992)
    assert len(posts) == 20 and all(isinstance(p, Post) and p.account_id == CHANNEL for p in posts)
    assert older.url == f"{BASE}/s/{CHANNEL}?before=262"
    assert not older.dont_filter and older.meta["page"] == 2 and older.meta["account_id"] == CHANNEL


def test_period_bounds_posts_and_a_page_that_does_not_go_back_stops(tmp_path: Path) -> None:
    spider = make_spider(tmp_path, since="2026-01-01")
    items, [older] = run(spider.parse_page, respond(first_page_request(spider), PAGE))
    posts = [item for item in items if isinstance(item, Post)]
    # The same page again for ?before=262 (a server ignoring the cursor): nothing new, and no loop.
    again, requests = run(spider.parse_page, respond(older, PAGE))

    assert posts and all(p.created_at.year == 2026 for p in posts)
    assert len(posts) < 20
    assert (again, requests) == ([], [])  # no second account item, no duplicate posts, no next page
    assert status_of(spider)[0] == "partial"
    assert spider.tracker.get("telegram", CHANNEL).posts == len(posts)


def test_a_page_entirely_before_the_period_stops_paging(tmp_path: Path) -> None:
    spider = make_spider(tmp_path, since="2026-05-01")  # the newest recorded message is from 2026-04-17
    items, requests = run(spider.parse_page, respond(first_page_request(spider), PAGE))

    assert [type(item) for item in items] == [Account] and requests == []
    assert status_of(spider) == ("ok", "")


def test_malformed_messages_are_counted_and_skipped(tmp_path: Path) -> None:
    spider = make_spider(tmp_path)
    broken = PAGE.replace('<time datetime="', '<time data-x="', 1)  # the first message loses its date
    items, _ = run(spider.parse_page, respond(first_page_request(spider), broken))

    assert sum(isinstance(item, Post) for item in items) == 19
    assert any("missing_datetime" in key for key in spider.crawler.stats.get_stats())


# ---------------------------------------------------------------- no preview, errors


@pytest.mark.parametrize(
    ("fixture", "expected", "followers"),
    [
        ("laconicman_plain-contactonly.html", "not_found", None),
        ("laconicman_plain-members.html", "private", None),
        ("laconicman_plain-subscribers.html", "private", 12076),
    ],
)
def test_redirect_away_from_the_preview_is_explained_by_the_plain_page(tmp_path: Path, fixture: str, expected: str,
                                                                      followers: int | None) -> None:
    spider = make_spider(tmp_path)
    plain = plain_page_request(spider)
    items, requests = run(spider.parse_plain_page, respond(plain, as_served((FIXTURES / fixture).read_text("utf-8"))))

    assert plain.url == f"{BASE}/{CHANNEL}" and plain.meta["account_id"] == CHANNEL
    assert requests == []
    assert [item.followers for item in items] == ([followers] if followers else [])
    status, message = status_of(spider)
    assert status == expected and "redirected" in message


def test_plain_page_that_cannot_be_read_still_ends_the_account(tmp_path: Path) -> None:
    spider = make_spider(tmp_path)
    plain = plain_page_request(spider)
    failure = Failure(ConnectionRefusedError("refused"))
    failure.request = plain  # type: ignore[attr-defined]  # Scrapy sets it on errback failures
    spider.plain_page_failed(failure)

    assert status_of(spider)[0] == "not_found"


def test_other_redirects_are_not_followed(tmp_path: Path) -> None:
    spider = make_spider(tmp_path)
    _, [older] = run(spider.parse_page, respond(first_page_request(spider), PAGE))
    items, requests = run(spider.parse_page, respond(older, status=302, location=f"{BASE}/{CHANNEL}"))

    assert (items, requests) == ([], [])
    assert status_of(spider)[0] == "partial"


@pytest.mark.parametrize(("status", "expected"), [(429, "blocked"), (404, "not_found")])
def test_http_errors_end_the_account_with_a_status(tmp_path: Path, status: int, expected: str) -> None:
    spider = make_spider(tmp_path)
    items, requests = run(spider.parse_page, respond(first_page_request(spider), "Too Many Requests", status=status))

    assert (items, requests) == ([], [])
    assert status_of(spider)[0] == expected


def test_a_broken_page_is_retried_then_the_account_is_partial(tmp_path: Path) -> None:
    spider = make_spider(tmp_path)
    request = first_page_request(spider)
    _, [retry] = run(spider.parse_page, respond(request, "<html>Bad gateway</html>", status=502))
    items, requests = run(spider.parse_page, respond(retry, ""))  # an empty 200 body

    assert retry.url == request.url
    assert (items, requests) == ([], [])
    assert status_of(spider)[0] == "partial"


# ---------------------------------------------------------------- end to end


SINCE, UNTIL = "2026-08-27", "2026-11-25"
SPEC = {
    "seed": 17, "anchor": "2026-11-26T12:00:00+08:00", "period": {"start": SINCE, "end": UNTIL},
    "accounts": [
        {"platform": "telegram", "id": "many_channel", "posts": 70, "older_posts": 3, "pinned": "old"},
        {"platform": "telegram", "id": "small_channel", "posts": 12},
        {"platform": "telegram", "id": "gone_channel", "posts": 3, "behaviour": {"not_found": True}},
        {"platform": "telegram", "id": "closed_channel", "posts": 3, "behaviour": {"private": True}},
    ],
}


sample = served_panel_fixture(SPEC, "telegram")


def expected_ids(panel: Any, channel: str, since: str = SINCE, until: str = UNTIL) -> set[str]:
    return {f"{channel}/{post_id}" for post_id in posts_between(panel, "telegram", channel, since, until)}


@pytest.mark.slow
def test_crawl_stores_every_post_in_the_period_with_a_status_per_account(sample: Any, tmp_path: Path) -> None:
    url, config, panel = sample
    result = run_crawl("telegram", base_url=url, db_path=tmp_path / "db.sqlite3", config_path=config)

    assert result.returncode == 3, result.stderr[-3000:]
    statuses = {r["account_id"]: (r["status"], r["posts"])
                for r in result.rows("SELECT account_id, status, posts FROM crawl_accounts")}
    assert statuses == {"many_channel": ("ok", 70), "small_channel": ("ok", 12), "gone_channel": ("not_found", 0),
                        "closed_channel": ("private", 0)}
    for channel in ("many_channel", "small_channel"):
        stored = result.rows("SELECT post_id FROM posts WHERE account_id = :a", a=channel)
        assert {r["post_id"] for r in stored} == expected_ids(panel, channel)
    followers = {r["account_id"]: r["followers"] for r in result.rows("SELECT account_id, followers FROM accounts")}
    assert set(followers) == {"many_channel", "small_channel", "closed_channel"}  # a private channel shows its count
    assert followers["closed_channel"] == panel.account("telegram", "closed_channel").followers


@pytest.mark.slow
def test_crawl_of_chosen_accounts_and_dates_exits_zero(sample: Any, tmp_path: Path) -> None:
    url, config, panel = sample
    result = run_crawl("telegram", base_url=url, db_path=tmp_path / "db.sqlite3", config_path=config,
                       args={"accounts": "many_channel,small_channel", "since": "2026-10-01", "until": "2026-10-31"})

    assert result.returncode == 0, result.stderr[-3000:]
    for channel in ("many_channel", "small_channel"):
        stored = result.rows("SELECT post_id FROM posts WHERE account_id = :a", a=channel)
        assert {r["post_id"] for r in stored} == expected_ids(panel, channel, "2026-10-01", "2026-10-31")
    assert {r["status"] for r in result.rows("SELECT status FROM crawl_accounts")} == {"ok"}
