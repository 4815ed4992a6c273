"""`scrapy crawl bluesky`: callbacks on real recorded payloads (tests/fixtures/bluesky), then end to end.

In-process tests feed the spider's own requests back as responses built from recorded postViews and
profileViews (getAuthorFeed pages are `{"feed": [{"post": postView}]}`, the lexicon's shape; where a case
needs a field the recordings lack — reasonPin, a label, followersCount — it is added and the test says so).
The end-to-end tests run `scrapy crawl bluesky` against the local sample server and read the SQLite store.
"""

from __future__ import annotations

import copy
import json
from pathlib import Path
from typing import Any

import pytest
from scrapy import Request
from scrapy.http import TextResponse
from twisted.python.failure import Failure

from benchmark.items import Account, Post
from benchmark.platforms.bluesky import parser
from benchmark.platforms.bluesky import spider as spider_module
from benchmark.platforms.bluesky.spider import BlueskySpider
from tests.crawl_helpers import run_crawl
from tests.toolkit import spiders as toolkit
from tests.toolkit.factories import posts_between, served_panel_fixture
from tests.toolkit.spiders import run_callback as answer
from tests.toolkit.spiders import start_requests

FIXTURES = Path(__file__).parent / "fixtures" / "bluesky"
BASE = "https://appview.test"
ACCOUNT = "brand.example.com"
PIN = {"$type": parser.REASON_PIN}


def load(name: str) -> Any:
    return json.loads((FIXTURES / name).read_text(encoding="utf-8"))


def make_spider(tmp_path: Path, accounts: str = ACCOUNT, since: str = "2025-02-01",
                until: str = "2025-02-28") -> BlueskySpider:
    return toolkit.make_spider(BlueskySpider, tmp_path, {"BLUESKY_BASE_URL": BASE, "RETRY_TIMES": 1},
                               accounts=accounts, since=since, until=until)


def respond(request: Request, payload: Any, status: int = 200) -> TextResponse:
    # Every payload is JSON here, a string too; bytes go as they are (broken bodies).
    return toolkit.respond(request, payload if isinstance(payload, bytes) else json.dumps(payload), status)


def run(callback: Any, *args: Any) -> tuple[list[Any], list[Request]]:
    return toolkit.split(callback(*args))


def profile(did: str = "did:plc:brand", handle: str = ACCOUNT, **extra: Any) -> dict:
    """A real profileView (getFollows) with this did/handle; followersCount added (not in the recording)."""
    view = copy.deepcopy(load("marshalx_get_follows.json")["follows"][0])
    view.update({"did": did, "handle": handle, "followersCount": 1234, "followsCount": 10, "postsCount": 99, **extra})
    return view


def post_item(name: str, reason: dict | None = None) -> dict:
    item: dict = {"post": load(name)}
    if reason:
        item["reason"] = reason
    return item


def feed(*items: dict, cursor: str | None = None) -> dict:
    return {"feed": list(items), **({"cursor": cursor} if cursor else {})}


def first_feed_request(spider: BlueskySpider) -> Request:
    [profile_request] = start_requests(spider)
    _, [feed_request] = run(spider.parse_profile, respond(profile_request, profile()))
    return feed_request


def status_of(spider: BlueskySpider, account_id: str = ACCOUNT) -> tuple[str, str]:
    return toolkit.tracked_status(spider, account_id)


# ---------------------------------------------------------------- requests


def test_every_account_starts_with_its_profile(tmp_path: Path) -> None:
    spider = make_spider(tmp_path, accounts=f"{ACCOUNT},did:plc:other")
    requests = start_requests(spider)

    assert [r.url for r in requests] == [
        f"{BASE}/xrpc/app.bsky.actor.getProfile?actor=brand.example.com",
        f"{BASE}/xrpc/app.bsky.actor.getProfile?actor=did%3Aplc%3Aother",
    ]
    assert all(r.dont_filter and r.meta["dont_redirect"] and r.meta["handle_httpstatus_all"] for r in requests)
    assert [r.meta["account_id"] for r in requests] == [ACCOUNT, "did:plc:other"]


def test_profile_gives_the_account_and_the_first_feed_page_by_did(tmp_path: Path) -> None:
    spider = make_spider(tmp_path)
    [request] = start_requests(spider)
    items, [feed_request] = run(spider.parse_profile, respond(request, profile()))

    [account] = items
    assert isinstance(account, Account)
    assert (account.account_id, account.followers) == (ACCOUNT, 1234)
    assert feed_request.url == (f"{BASE}/xrpc/app.bsky.feed.getAuthorFeed?actor=did%3Aplc%3Abrand&limit=100"
                                "&includePins=true")
    assert feed_request.dont_filter and feed_request.meta["account_id"] == ACCOUNT


def test_opted_out_account_is_neither_stored_nor_crawled(tmp_path: Path) -> None:
    spider = make_spider(tmp_path)
    [request] = start_requests(spider)
    # The label is added: the recording has none.
    label = {"src": "did:plc:brand", "uri": "at://did:plc:brand/app.bsky.actor.profile/self",
             "val": "!no-unauthenticated", "cts": "2024-01-01T00:00:00.000Z"}
    items, requests = run(spider.parse_profile, respond(request, profile(labels=[label])))

    assert (items, requests) == ([], [])
    assert status_of(spider)[0] == "opted_out"


@pytest.mark.parametrize(
    ("status", "body", "expected"),
    [
        (400, {"error": "InvalidRequest", "message": "Profile not found"}, "not_found"),
        (400, {"error": "AccountTakedown", "message": "Account has been suspended"}, "not_found"),
        (400, b"<html>Bad Request</html>", "not_found"),
        (401, {"error": "AuthMissing", "message": "Authentication Required"}, "login_wall"),
        (429, {"error": "RateLimitExceeded", "message": "Rate Limit Exceeded"}, "blocked"),
        (302, b"", "partial"),
    ],
)
def test_profile_problems_end_the_account_with_a_status(tmp_path: Path, status: int, body: Any,
                                                       expected: str) -> None:
    spider = make_spider(tmp_path)
    [request] = start_requests(spider)
    items, requests = run(spider.parse_profile, respond(request, body, status=status))

    assert (items, requests) == ([], [])
    assert status_of(spider)[0] == expected


# ---------------------------------------------------------------- paging, period, pins


def test_pinned_old_post_is_not_stored_and_does_not_stop_paging(tmp_path: Path, monkeypatch) -> None:
    monkeypatch.setattr(spider_module, "FEED_LIMIT", 1)  # one timeline item fills a page: there may be more
    spider = make_spider(tmp_path, since="2025-02-08")  # starts 2025-02-07T16:00Z (Asia/Shanghai)
    request = first_feed_request(spider)
    old = post_item("atat_postview_external_link_card.json", PIN)  # 2025-02-07T14:00Z, pinned
    recent = post_item("atat_postview_images.json")  # 2025-02-07T20:21Z
    items, [next_page] = run(spider.parse_feed, respond(request, feed(old, recent,
                                                                      cursor="2025-02-07T14:00:03.165Z")))

    assert [p.post_id for p in items] == [recent["post"]["uri"]]
    assert "cursor=2025-02-07T14%3A00%3A03.165Z" in next_page.url
    assert not next_page.dont_filter and next_page.meta["page"] == 2 and next_page.meta["account_id"] == ACCOUNT


def test_a_cursor_that_does_not_move_marks_the_account_partial(tmp_path: Path, monkeypatch) -> None:
    monkeypatch.setattr(spider_module, "FEED_LIMIT", 1)  # a full page: its cursor is followed
    spider = make_spider(tmp_path)
    request = first_feed_request(spider)
    page = feed(post_item("atat_postview_images.json"), cursor="2025-02-07T20:21:11.468Z")
    _, [page2] = run(spider.parse_feed, respond(request, page))
    items, requests = run(spider.parse_feed, respond(page2, page))  # the same page and cursor again

    assert (items, requests) == ([], [])
    assert status_of(spider)[0] == "partial"


def test_a_page_older_than_the_period_ends_the_feed(tmp_path: Path) -> None:
    spider = make_spider(tmp_path, since="2025-02-08")
    request = first_feed_request(spider)
    older = [post_item("atat_postview_external_link_card.json"), post_item("atat_postview_quote_with_comment.json")]
    items, requests = run(spider.parse_feed, respond(request, feed(*older, cursor="next")))

    assert (items, requests) == ([], [])
    assert status_of(spider) == ("ok", "")


def test_pinned_post_is_stored_once_though_the_feed_shows_it_twice(tmp_path: Path, monkeypatch) -> None:
    monkeypatch.setattr(spider_module, "FEED_LIMIT", 1)  # page 1 is full (the pinned copy does not count)
    spider = make_spider(tmp_path)
    request = first_feed_request(spider)
    page1 = feed(post_item("atat_postview_images.json", PIN), post_item("atat_postview_video.json"), cursor="c1")
    first, [page2_request] = run(spider.parse_feed, respond(request, page1))
    page2 = feed(post_item("atat_postview_reply_no_embed.json"), post_item("atat_postview_images.json"))
    second, requests = run(spider.parse_feed, respond(page2_request, page2))

    assert [(p.post_id, p.pinned) for p in first] == [
        (load("atat_postview_images.json")["uri"], True), (load("atat_postview_video.json")["uri"], False)]
    assert [p.post_id for p in second] == [load("atat_postview_reply_no_embed.json")["uri"]]
    assert requests == []  # no cursor: the end of the feed
    assert {p.account_id for p in first + second} == {ACCOUNT}
    assert spider.tracker.get("bluesky", ACCOUNT).posts == 3


def test_malformed_items_are_counted_and_skipped(tmp_path: Path) -> None:
    spider = make_spider(tmp_path)
    request = first_feed_request(spider)
    broken = post_item("atat_postview_video.json")
    del broken["post"]["uri"]
    items, _ = run(spider.parse_feed, respond(request, feed(broken, post_item("atat_postview_images.json"))))

    assert [p.post_id for p in items] == [load("atat_postview_images.json")["uri"]]
    dropped = {k: v for k, v in spider.crawler.stats.get_stats().items() if k.startswith("items/dropped/")}
    assert sum(dropped.values()) == 1 and "missing_uri" in next(iter(dropped))


def test_a_broken_page_is_retried_then_the_account_is_partial(tmp_path: Path) -> None:
    spider = make_spider(tmp_path)
    request = first_feed_request(spider)
    _, [retry] = run(spider.parse_feed, respond(request, b'{"feed": [{"post": '))  # truncated body
    items, requests = run(spider.parse_feed, respond(retry, b"<html>upstream error</html>"))

    assert retry.url == request.url and retry.meta["account_id"] == ACCOUNT
    assert (items, requests) == ([], [])
    assert status_of(spider)[0] == "partial"


# ---------------------------------------------------------------- reposted and quoted authors


def ref_page() -> dict:
    """A repost (recorded feedViewPost with reasonRepost) and a quote of another author."""
    return feed(load("atat_feedviewpost_reasonRepost.json"), post_item("atat_postview_quote_with_comment.json"))


def test_posts_wait_for_their_ref_authors_then_carry_followers(tmp_path: Path) -> None:
    spider = make_spider(tmp_path)
    request = first_feed_request(spider)
    held, [lookup] = run(spider.parse_feed, respond(request, ref_page()))
    reposted = load("atat_feedviewpost_reasonRepost.json")["post"]["author"]["did"]
    quoted = load("atat_postview_quote_with_comment.json")["embed"]["record"]["author"]["did"]

    assert held == []
    assert lookup.url.startswith(f"{BASE}/xrpc/app.bsky.actor.getProfiles?actors=")
    assert lookup.meta["account_id"] == ACCOUNT and lookup.dont_filter
    answer_body = {"profiles": [profile(reposted, "a.example.org", followersCount=52000),
                                profile(quoted, "b.bsky.social")]}
    posts, requests = answer(lookup, respond(lookup, answer_body))

    assert requests == []
    by_author = {p.ref_author_id: p.ref_author_followers for p in posts}
    assert by_author == {reposted: 52000, quoted: 1234}


def test_known_ref_authors_are_not_asked_again(tmp_path: Path) -> None:
    spider = make_spider(tmp_path)
    request = first_feed_request(spider)
    _, [lookup] = run(spider.parse_feed, respond(request, ref_page()))
    dids = lookup.cb_kwargs["dids"]
    answer(lookup, respond(lookup, {"profiles": [profile(dids[0], followersCount=77)]}))
    later = copy.deepcopy(ref_page())  # other posts (new uris) reposting / quoting the same two authors
    later["feed"][0]["reason"]["uri"] = "at://did:plc:brand/app.bsky.feed.repost/2"
    later["feed"][1]["post"]["uri"] += "2"
    posts, requests = run(spider.parse_feed, respond(request.replace(meta={**request.meta, "page": 2}), later))

    assert requests == []
    # The second author was asked about but not returned (deleted, suspended): known as unknown.
    assert {p.ref_author_id: p.ref_author_followers for p in posts} == {dids[0]: 77, dids[1]: None}
    assert spider.known_authors[dids[1]] == {}


def test_failed_lookup_never_loses_posts(tmp_path: Path) -> None:
    spider = make_spider(tmp_path)
    request = first_feed_request(spider)
    _, [lookup] = run(spider.parse_feed, respond(request, ref_page()))
    failure = Failure(ConnectionRefusedError("refused"))
    failure.request = lookup  # type: ignore[attr-defined]  # Scrapy sets it on errback failures
    posts, _ = run(lookup.errback, failure)

    assert len(posts) == 2 and all(isinstance(p, Post) for p in posts)
    assert {p.ref_author_followers for p in posts} == {None}
    assert spider.crawler.stats.get_value("bluesky/ref_authors_failed") == 1
    assert status_of(spider) == ("ok", "")


def test_ref_authors_are_looked_up_25_at_a_time(tmp_path: Path) -> None:
    spider = make_spider(tmp_path)
    request = first_feed_request(spider)
    reposts = []
    for index in range(30):  # 30 reposts of 30 different authors, made from the recorded repost
        item = copy.deepcopy(load("atat_feedviewpost_reasonRepost.json"))
        item["post"]["author"]["did"] = f"did:plc:author{index:02d}"
        item["reason"]["uri"] = f"at://did:plc:brand/app.bsky.feed.repost/{index}"
        reposts.append(item)
    held, lookups = run(spider.parse_feed, respond(request, feed(*reposts)))

    assert held == [] and [len(r.cb_kwargs["dids"]) for r in lookups] == [25]
    first, second_lookup = answer(lookups[0], respond(lookups[0], {"profiles": []}))
    assert first == []  # still waiting for the second batch, asked only now (the state travels with it)
    assert [len(r.cb_kwargs["dids"]) for r in second_lookup] == [5]
    second, _ = answer(second_lookup[0], respond(second_lookup[0], b"busy", status=503))
    assert len(second) == 30


# ---------------------------------------------------------------- end to end


SINCE, UNTIL = "2026-08-27", "2026-11-25"
SPEC = {
    "seed": 11, "anchor": "2026-11-26T12:00:00+08:00", "period": {"start": SINCE, "end": UNTIL},
    "accounts": [
        {"platform": "bluesky", "id": "many.bsky.social", "posts": 230, "older_posts": 3, "pinned": "old",
         "behaviour": {}},
        {"platform": "bluesky", "id": "pins.bsky.social", "posts": 40, "pinned": "recent"},
        {"platform": "bluesky", "id": "gone.bsky.social", "posts": 3, "behaviour": {"not_found": True}},
        {"platform": "bluesky", "id": "shy.bsky.social", "posts": 3, "behaviour": {"opted_out": True}},
        {"platform": "bluesky", "id": "walled.bsky.social", "posts": 3, "behaviour": {"login_wall": True}},
    ],
}


sample = served_panel_fixture(SPEC, "bluesky")


def expected_ids(panel: Any, account_id: str, since: str = SINCE, until: str = UNTIL) -> set[str]:
    return posts_between(panel, "bluesky", account_id, since, until)


@pytest.mark.slow
def test_crawl_stores_every_post_in_the_period_with_a_status_per_account(sample: Any, tmp_path: Path) -> None:

    url, config, panel = sample
    result = run_crawl("bluesky", base_url=url, db_path=tmp_path / "db.sqlite3", config_path=config)

    assert result.returncode == 3, result.stderr[-3000:]
    statuses = {r["account_id"]: (r["status"], r["posts"])
                for r in result.rows("SELECT account_id, status, posts FROM crawl_accounts")}
    assert statuses == {
        "many.bsky.social": ("ok", 230), "pins.bsky.social": ("ok", 40), "gone.bsky.social": ("not_found", 0),
        "shy.bsky.social": ("opted_out", 0), "walled.bsky.social": ("login_wall", 0),
    }
    for account_id in ("many.bsky.social", "pins.bsky.social"):
        stored = result.rows("SELECT post_id, pinned FROM posts WHERE account_id = :a", a=account_id)
        assert {r["post_id"] for r in stored} == expected_ids(panel, account_id)
    pinned = result.rows("SELECT account_id, post_id FROM posts WHERE pinned")
    recent_pin = next(p.id for p in panel.posts("bluesky", "pins.bsky.social") if p.pinned)
    assert [(r["account_id"], r["post_id"]) for r in pinned] == [("pins.bsky.social", recent_pin)]
    reposts = result.rows("SELECT ref_author_followers FROM posts WHERE kind = 'repost' AND ref_author_id LIKE 'did:%'")
    assert reposts and all(r["ref_author_followers"] is not None for r in reposts)
    accounts = result.rows("SELECT account_id FROM accounts")
    assert {r["account_id"] for r in accounts} == {"many.bsky.social", "pins.bsky.social", "walled.bsky.social"}


@pytest.mark.slow
def test_crawl_of_chosen_accounts_and_dates_exits_zero(sample: Any, tmp_path: Path) -> None:

    url, config, panel = sample
    result = run_crawl("bluesky", base_url=url, db_path=tmp_path / "db.sqlite3", config_path=config,
                       args={"accounts": "many.bsky.social,pins.bsky.social", "since": "2026-10-01",
                             "until": "2026-10-31"})

    assert result.returncode == 0, result.stderr[-3000:]
    for account_id in ("many.bsky.social", "pins.bsky.social"):
        stored = result.rows("SELECT post_id FROM posts WHERE account_id = :a", a=account_id)
        assert {r["post_id"] for r in stored} == expected_ids(panel, account_id, "2026-10-01", "2026-10-31")
    assert {r["status"] for r in result.rows("SELECT status FROM crawl_accounts")} == {"ok"}
