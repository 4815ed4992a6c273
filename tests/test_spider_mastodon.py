"""`scrapy crawl mastodon`: callbacks on real recorded REST responses (tests/fixtures/mastodon), rate-limit
pacing, then end to end against the local sample server.

The recorded statuses are all from 2026-08-01 13:49–13:52 UTC (a Mastodon.py test instance); periods are
chosen around them. Where a case needs a field the recordings lack (noindex, locked), it is set on a copy
of a real account and the test says so.
"""

from __future__ import annotations

import copy
import json
from datetime import UTC, datetime, timedelta
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import pytest
from scrapy import Request
from scrapy.http import TextResponse
from twisted.python.failure import Failure

from benchmark.items import Account
from benchmark.platforms.mastodon.spider import MIN_REMAINING, MastodonSpider, rate_limit_wait
from tests.crawl_helpers import run_crawl
from tests.toolkit import spiders as toolkit
from tests.toolkit.factories import posts_between, served_panel_fixture
from tests.toolkit.spiders import start_requests

FIXTURES = Path(__file__).parent / "fixtures" / "mastodon"
ACCOUNT = "halcy@mastodon.social"
LOCAL_ID = "117020565966271181"  # the account id in the recorded Link headers


def load(name: str) -> Any:
    return json.loads((FIXTURES / name).read_text(encoding="utf-8"))


def link_of(name: str) -> str:
    return (FIXTURES / name).read_text(encoding="utf-8").strip()


def make_spider(tmp_path: Path, accounts: str = ACCOUNT, since: str = "2026-07-01", until: str = "2026-09-30",
                base_url: str = "") -> MastodonSpider:
    return toolkit.make_spider(MastodonSpider, tmp_path, {"MASTODON_BASE_URL": base_url, "RETRY_TIMES": 1},
                               accounts=accounts, since=since, until=until)


def respond(request: Request, payload: Any, status: int = 200, headers: dict | None = None) -> TextResponse:
    # Every payload is JSON here, a string too; bytes go as they are (broken bodies).
    return toolkit.respond(request, payload if isinstance(payload, bytes) else json.dumps(payload), status, headers)


def run(callback: Any, *args: Any) -> tuple[list[Any], list[Request]]:
    return toolkit.split(callback(*args))


def lookup_body(**changes: Any) -> dict:
    body = copy.deepcopy(load("account_lookup_200.json"))
    body.update({"id": LOCAL_ID, **changes})
    return body


def pinned_request(spider: MastodonSpider, **changes: Any) -> Request:
    [lookup] = start_requests(spider)
    _, [request] = run(spider.parse_account, respond(lookup, lookup_body(**changes)))
    return request


def timeline_request(spider: MastodonSpider) -> Request:
    request = pinned_request(spider)
    _, [timeline] = run(spider.parse_pinned, respond(request, load("statuses_pinned.json")))
    return timeline


def status_of(spider: MastodonSpider) -> tuple[str, str]:
    return toolkit.tracked_status(spider, ACCOUNT)


# ---------------------------------------------------------------- requests and accounts


def test_each_account_is_read_from_its_home_instance(tmp_path: Path) -> None:
    spider = make_spider(tmp_path, accounts=f"{ACCOUNT},brand@social.example.org")
    requests = start_requests(spider)

    assert [r.url for r in requests] == [
        "https://mastodon.social/api/v1/accounts/lookup?acct=halcy%40mastodon.social",
        "https://social.example.org/api/v1/accounts/lookup?acct=brand%40social.example.org",
    ]
    assert all(r.dont_filter and r.meta["dont_redirect"] for r in requests)
    assert [r.meta["account_id"] for r in requests] == [ACCOUNT, "brand@social.example.org"]


def test_base_url_setting_points_every_account_at_one_server(tmp_path: Path) -> None:
    spider = make_spider(tmp_path, base_url="http://127.0.0.1:9/mastodon/")
    [request] = start_requests(spider)

    assert request.url == "http://127.0.0.1:9/mastodon/api/v1/accounts/lookup?acct=halcy%40mastodon.social"


def test_an_id_without_instance_is_not_found_without_a_request(tmp_path: Path) -> None:
    spider = make_spider(tmp_path, accounts="halcy")

    assert start_requests(spider) == []
    assert spider.tracker.get("mastodon", "halcy").status == "not_found"


def test_lookup_gives_the_account_then_its_pinned_statuses(tmp_path: Path) -> None:
    spider = make_spider(tmp_path)
    [lookup] = start_requests(spider)
    items, [pinned] = run(spider.parse_account, respond(lookup, load("account_lookup_200.json")))

    [account] = items
    assert isinstance(account, Account) and account.account_id == ACCOUNT
    recorded_id = load("account_lookup_200.json")["id"]
    assert pinned.url == f"https://mastodon.social/api/v1/accounts/{recorded_id}/statuses?pinned=true"
    assert pinned.meta["account_id"] == ACCOUNT


@pytest.mark.parametrize(
    ("status", "body", "expected"),
    [
        (404, "account_lookup_404.json", "not_found"),
        (401, {"error": "This method requires an authenticated user"}, "login_wall"),
        (429, {"error": "Too many requests"}, "blocked"),
        (200, {**load("account_lookup_200.json"), "suspended": True}, "not_found"),  # suspended: set on a copy
        (200, {**load("account_lookup_200.json"), "noindex": True}, "opted_out"),  # noindex: set on a copy
    ],
)
def test_account_problems_end_the_account_with_a_status(tmp_path: Path, status: int, body: Any,
                                                       expected: str) -> None:
    spider = make_spider(tmp_path)
    [lookup] = start_requests(spider)
    payload = load(body) if isinstance(body, str) else body
    items, requests = run(spider.parse_account, respond(lookup, payload, status=status))

    assert (items, requests) == ([], [])
    assert status_of(spider)[0] == expected


# ---------------------------------------------------------------- statuses, pins, paging


def test_pinned_status_is_stored_once_and_paging_follows_next_max_id_on_the_base(tmp_path: Path) -> None:
    spider = make_spider(tmp_path)
    request = pinned_request(spider)
    pinned_items, [timeline] = run(spider.parse_pinned, respond(request, load("statuses_pinned.json")))
    page1 = load("statuses_page1.json") + load("statuses_pinned.json")  # the timeline shows the pinned one too
    link = {"Link": link_of("statuses_page1.link")}
    items, [page2] = run(spider.parse_statuses, respond(timeline, page1, headers=link))

    [pin] = pinned_items
    assert pin.pinned and pin.post_id == load("statuses_pinned.json")[0]["uri"]
    assert timeline.url == f"https://mastodon.social/api/v1/accounts/{LOCAL_ID}/statuses?limit=40"
    assert timeline.dont_filter
    assert [p.post_id for p in items] == [s["uri"] for s in load("statuses_page1.json")]
    assert not any(p.pinned for p in items)
    # The recorded Link points at localhost:3000: the next page is rebuilt on the account's instance.
    assert page2.url == (f"https://mastodon.social/api/v1/accounts/{LOCAL_ID}/statuses?limit=40"
                         "&max_id=117020580489281910")
    assert not page2.dont_filter and page2.meta["page"] == 2 and page2.meta["account_id"] == ACCOUNT
    assert spider.tracker.get("mastodon", ACCOUNT).posts == 6  # the pinned one and page 1


def test_old_pinned_status_is_not_stored_and_an_old_page_ends_the_timeline(tmp_path: Path) -> None:
    spider = make_spider(tmp_path, since="2026-08-02")  # every recorded status is older
    request = pinned_request(spider)
    pinned_items, [timeline] = run(spider.parse_pinned, respond(request, load("statuses_pinned.json")))
    link = {"Link": link_of("statuses_page1.link")}
    items, requests = run(spider.parse_statuses, respond(timeline, load("statuses_page1.json"), headers=link))

    assert (pinned_items, items, requests) == ([], [], [])
    assert status_of(spider) == ("ok", "")


def test_a_next_link_that_does_not_go_back_marks_the_account_partial(tmp_path: Path) -> None:
    spider = make_spider(tmp_path)
    link = {"Link": link_of("statuses_page1.link")}
    timeline = timeline_request(spider)
    _, [page2] = run(spider.parse_statuses, respond(timeline, load("statuses_page1.json"), headers=link))
    _, requests = run(spider.parse_statuses, respond(page2, load("statuses_page2.json"), headers=link))  # same link

    assert requests == []
    assert status_of(spider)[0] == "partial"


def test_last_page_without_next_link_ends_the_timeline(tmp_path: Path) -> None:
    spider = make_spider(tmp_path)
    items, requests = run(spider.parse_statuses, respond(timeline_request(spider), load("statuses_page2.json")))

    assert len(items) == 5 and requests == []


def test_locked_account_with_an_empty_timeline_is_private(tmp_path: Path) -> None:
    spider = make_spider(tmp_path)
    request = pinned_request(spider, locked=True)  # locked: set on a copy of the recorded account
    _, [timeline] = run(spider.parse_pinned, respond(request, []))
    items, requests = run(spider.parse_statuses, respond(timeline, []))

    assert (items, requests) == ([], [])
    assert status_of(spider)[0] == "private"


def test_failed_pinned_request_still_crawls_the_timeline(tmp_path: Path) -> None:
    spider = make_spider(tmp_path)
    request = pinned_request(spider)
    failure = Failure(TimeoutError("timed out"))
    failure.request = request  # type: ignore[attr-defined]  # Scrapy sets it on errback failures
    _, [timeline] = run(spider.pinned_failed, failure)

    assert timeline.url.endswith("/statuses?limit=40") and timeline.meta["account_id"] == ACCOUNT
    assert status_of(spider) == ("ok", "")


def test_malformed_statuses_are_counted_and_skipped_and_a_broken_page_retried(tmp_path: Path) -> None:
    spider = make_spider(tmp_path)
    timeline = timeline_request(spider)
    page = copy.deepcopy(load("statuses_page2.json"))
    del page[0]["created_at"]
    items, _ = run(spider.parse_statuses, respond(timeline, page))
    _, [retry] = run(spider.parse_statuses, respond(timeline, b"<html>502 Bad Gateway</html>"))
    run(spider.parse_statuses, respond(retry, b'[{"id": "1", "created_'))

    assert len(items) == 4
    assert any("missing_created_at" in key for key in spider.crawler.stats.get_stats())
    assert status_of(spider)[0] == "partial"


# ---------------------------------------------------------------- rate limits


NOW = datetime(2026, 8, 1, 14, 0, tzinfo=UTC)


def limits(remaining: str, reset: datetime | str) -> dict[str, str]:
    reset_text = reset if isinstance(reset, str) else reset.strftime("%Y-%m-%dT%H:%M:%S.%fZ")
    return {"X-RateLimit-Limit": "300", "X-RateLimit-Remaining": remaining, "X-RateLimit-Reset": reset_text}


@pytest.mark.parametrize(
    ("headers", "expected"),
    [
        (limits("299", NOW + timedelta(minutes=5)), 0.0),
        (limits(str(MIN_REMAINING), NOW + timedelta(minutes=5)), 0.0),
        (limits("3", NOW + timedelta(seconds=120)), 120.0),
        (limits("0", NOW - timedelta(seconds=5)), 1.0),  # reset already passed: a token pause
        (limits("3", NOW + timedelta(hours=3)), 900.0),  # a clock far off: never more than 15 min
        (limits("3", "soon"), None),
        (limits("n/a", NOW), None),
        ({}, None),
    ],
)
def test_rate_limit_wait(headers: dict, expected: float | None) -> None:
    assert rate_limit_wait(headers, NOW) == expected


def test_few_requests_left_pause_the_instance_until_the_reset(tmp_path: Path) -> None:
    spider = make_spider(tmp_path)
    slot = SimpleNamespace(delay=1.0, lastseen=0.0)
    downloader = SimpleNamespace(slots={"mastodon.social": slot}, get_slot_key=lambda request: "mastodon.social")
    spider.crawler.engine = SimpleNamespace(downloader=downloader)
    timeline = timeline_request(spider)
    soon = datetime.now(UTC) + timedelta(seconds=200)

    run(spider.parse_statuses, respond(timeline, load("statuses_page2.json"), headers=limits("4", soon)))
    paused = slot.delay
    run(spider.parse_statuses, respond(timeline, load("statuses_page2.json"), headers=limits("299", soon)))

    assert 190 <= paused <= 200
    assert slot.delay == 1.0  # restored once the window has reset
    assert spider.crawler.stats.get_value("mastodon/rate_limit_pauses") == 1


# ---------------------------------------------------------------- end to end


SINCE, UNTIL = "2026-08-27", "2026-11-25"
SPEC = {
    "seed": 13, "anchor": "2026-11-26T12:00:00+08:00", "period": {"start": SINCE, "end": UNTIL},
    "accounts": [
        {"platform": "mastodon", "id": "many@mastodon.example", "posts": 130, "older_posts": 3, "pinned": "old"},
        {"platform": "mastodon", "id": "pins@mastodon.example", "posts": 30, "pinned": "recent"},
        {"platform": "mastodon", "id": "gone@mastodon.example", "posts": 3, "behaviour": {"not_found": True}},
        {"platform": "mastodon", "id": "shy@mastodon.example", "posts": 3, "behaviour": {"opted_out": True}},
        {"platform": "mastodon", "id": "locked@mastodon.example", "posts": 3, "behaviour": {"private": True}},
        {"platform": "mastodon", "id": "walled@mastodon.example", "posts": 3, "behaviour": {"login_wall": True}},
    ],
}


sample = served_panel_fixture(SPEC, "mastodon")


def expected_ids(panel: Any, account_id: str, since: str = SINCE, until: str = UNTIL) -> set[str]:
    return posts_between(panel, "mastodon", account_id, since, until)


def stored_ids(result: Any, account_id: str) -> list[str]:
    rows = result.rows("SELECT json_extract(extra, '$.id') AS id FROM posts WHERE account_id = :a", a=account_id)
    return [r["id"] for r in rows]


@pytest.mark.slow
def test_crawl_stores_every_post_in_the_period_with_a_status_per_account(sample: Any, tmp_path: Path) -> None:
    url, config, panel = sample
    result = run_crawl("mastodon", base_url=url, db_path=tmp_path / "db.sqlite3", config_path=config)

    assert result.returncode == 3, result.stderr[-3000:]
    statuses = {r["account_id"]: (r["status"], r["posts"])
                for r in result.rows("SELECT account_id, status, posts FROM crawl_accounts")}
    assert statuses == {
        "many@mastodon.example": ("ok", 130), "pins@mastodon.example": ("ok", 30),
        "gone@mastodon.example": ("not_found", 0), "shy@mastodon.example": ("opted_out", 0),
        "locked@mastodon.example": ("private", 0), "walled@mastodon.example": ("login_wall", 0),
    }
    for account_id in ("many@mastodon.example", "pins@mastodon.example"):
        ids = stored_ids(result, account_id)
        assert len(ids) == len(set(ids)) and set(ids) == expected_ids(panel, account_id)
    pinned = result.rows("SELECT account_id, json_extract(extra, '$.id') AS id FROM posts WHERE pinned")
    recent_pin = next(p.id for p in panel.posts("mastodon", "pins@mastodon.example") if p.pinned)
    assert [(r["account_id"], r["id"]) for r in pinned] == [("pins@mastodon.example", recent_pin)]


@pytest.mark.slow
def test_crawl_of_chosen_accounts_and_dates_exits_zero(sample: Any, tmp_path: Path) -> None:
    url, config, panel = sample
    result = run_crawl("mastodon", base_url=url, db_path=tmp_path / "db.sqlite3", config_path=config,
                       args={"accounts": "many@mastodon.example,pins@mastodon.example", "since": "2026-10-01",
                             "until": "2026-10-31"})

    assert result.returncode == 0, result.stderr[-3000:]
    for account_id in ("many@mastodon.example", "pins@mastodon.example"):
        assert set(stored_ids(result, account_id)) == expected_ids(panel, account_id, "2026-10-01", "2026-10-31")
    assert {r["status"] for r in result.rows("SELECT status FROM crawl_accounts")} == {"ok"}


def test_a_rate_limit_reset_in_year_9999_is_no_usable_header() -> None:
    """`X-RateLimit-Reset: 9999-12-31T23:30:00-05:00` overflowed in the callback: the account ended ok, 0 posts."""
    headers = {"X-RateLimit-Remaining": "1", "X-RateLimit-Reset": "9999-12-31T23:30:00-05:00"}
    assert rate_limit_wait(headers, NOW) is None
