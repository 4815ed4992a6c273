"""The optional comments crawl (issue #6) on Weibo, Bluesky and Mastodon.

End to end: real `scrapy crawl <platform> -a comments=1` subprocesses against the local sample server, with
small caps (COMMENTS_PER_POST=25, COMMENTS_MAX_POSTS=5) so that both bite. Each platform has a clean account
(the expected comments come from `benchmark.sample.panel.comments_for`) and a flaky one whose comment pages
for two sampled posts always answer 503: a small forwarding proxy in this file does that, because the sample
server has no such behaviour and another helper is editing it. In-process tests cover the switch, the trim
and the failure paths of the callbacks.
"""

from __future__ import annotations

import http.client
import json
import re
import threading
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

import pytest
from scrapy import Request

from benchmark.comments import trim_to_top_level
from benchmark.items import Comment, Post
from benchmark.platforms.weibo.sample import COMMENTS_PAGE
from benchmark.sample.panel import (
    Panel,
    SampleAccount,
    SampleComment,
    SamplePost,
    comments_for,
    fake_cid,
)
from benchmark.sample.testing import run_server_subprocess
from tests.crawl_helpers import CrawlResult, run_crawl
from tests.toolkit.factories import make_comment, make_post, write_panel_config
from tests.toolkit.spiders import load_spider, respond, run_callback
from tests.toolkit.spiders import make_spider as toolkit_spider

PER_POST, MAX_POSTS, RETRIES = 25, 5, 2
CAPS = {"COMMENTS_PER_POST": str(PER_POST), "COMMENTS_MAX_POSTS": str(MAX_POSTS), "RETRY_TIMES": str(RETRIES)}
PLATFORMS = ("weibo", "bluesky", "mastodon")
CLEAN = {"weibo": "1000000101", "bluesky": "clean.bsky.social", "mastodon": "clean@mastodon.example"}
FLAKY = {"weibo": "1000000102", "bluesky": "flaky.bsky.social", "mastodon": "flaky@mastodon.example"}
SPEC = {
    "seed": 5, "anchor": "2026-11-26T12:00:00+08:00", "period": {"start": "2026-10-01", "end": "2026-11-25"},
    "accounts": [
        *({"platform": p, "id": CLEAN[p], "role": "own", "archetype": "fan_friendly", "posts": 12,
           "pinned": "recent"} for p in PLATFORMS),
        *({"platform": p, "id": FLAKY[p], "role": "peer", "archetype": "playful", "posts": 10} for p in PLATFORMS),
    ],
}
FIXTURES = Path(__file__).parent / "fixtures"
# By name, through Scrapy's spider loader: wherever the project keeps the spiders' modules.
WeiboSpider, BlueskySpider, MastodonSpider = (load_spider(name) for name in ("weibo", "bluesky", "mastodon"))


# ---------------------------------------------------------------- what the sample server should give


def sampled_posts(panel: Panel, platform: str, account_id: str) -> list[SamplePost]:
    """The posts whose comments the crawl asks for: the first MAX_POSTS of the timeline (pinned on top) in
    the period that have comments; reposts only on Weibo (elsewhere their replies are the original's)."""
    posts = [p for p in panel.posts(platform, account_id) if panel.in_period(p)]
    in_order = [p for p in posts if p.pinned] + [p for p in posts if not p.pinned]
    eligible = [p for p in in_order if p.comments > 0 and (platform == "weibo" or p.kind != "repost")]
    return eligible[:MAX_POSTS]


def served_top_level(panel: Panel, platform: str, account: SampleAccount, post: SamplePost) -> list[SampleComment]:
    """The first PER_POST top-level comments in the order the platform serves them: Weibo hotflow newest
    first in pages of 20 following max_id, Bluesky the thread's replies, Mastodon descendants oldest first."""
    comments = comments_for(panel, account, post)
    if platform == "mastodon":
        return sorted(comments, key=lambda c: c.created_at)[:PER_POST]
    if platform == "bluesky":
        return comments[:PER_POST]
    served: list[SampleComment] = []
    rest = comments
    while rest and len(served) < PER_POST:
        page = rest[:COMMENTS_PAGE]
        served += page
        rest = [c for c in comments if int(c.id) < int(page[-1].id)] if len(rest) > COMMENTS_PAGE else []
    return served[:PER_POST]


def native(platform: str, stored_id: str) -> str:
    """A stored post id as the sample knows it: Mastodon posts are stored by status URI
    (…/statuses/<id>[/activity]), the sample has the local id."""
    if platform == "mastodon":
        return re.search(r"/statuses/([^/]+)", stored_id).group(1)
    return stored_id


def stored_comment_id(platform: str, sample_id: str | None) -> str | None:
    """A sample comment id as the store should hold it: ids that name no author (Bluesky: the record CID
    the server renders; Mastodon: <home instance>/<status id>; Weibo: the comment id itself)."""
    if sample_id is None:
        return None
    if platform == "bluesky":
        return fake_cid(sample_id)
    if platform == "mastodon":
        return f"mastodon.example/{sample_id}"
    return sample_id


# ---------------------------------------------------------------- a proxy that fails some comment pages


class FailingProxy:
    """Forwards every request to the sample server, except comment pages of the given posts: 503."""

    def __init__(self, upstream: str, failing: set[str]) -> None:
        parts = urlsplit(upstream)
        proxy = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def do_GET(self) -> None:
                status, headers, body = proxy.answer(self.path, dict(self.headers.items()))
                self.send_response(status)
                for name, value in headers:
                    self.send_header(name, value)
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, *args: Any) -> None:
                return

        self.upstream = (parts.hostname, parts.port)
        self.failing = failing
        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.server.server_address[1]}"

    def answer(self, path: str, asked: dict[str, str]) -> tuple[int, list[tuple[str, str]], bytes]:
        if comment_page_of(path) in self.failing:
            return 503, [("Content-Type", "text/html")], b"<html>busy</html>"
        connection = http.client.HTTPConnection(*self.upstream, timeout=10)
        try:
            connection.request("GET", path, headers=asked)  # the strict Weibo server reads them
            response = connection.getresponse()
            body = response.read()
            keep = [(k, v) for k, v in response.getheaders()
                    if k.lower() not in ("content-length", "connection", "transfer-encoding")]
            return response.status, keep, body
        finally:
            connection.close()


def comment_page_of(path: str) -> str | None:
    """The post a comments request is about (Weibo mid, Bluesky at-uri, Mastodon status id), else None."""
    parts = urlsplit(path)
    query = parse_qs(parts.query)
    if parts.path.endswith("/comments/hotflow"):
        return (query.get("mid") or [None])[0]
    if parts.path.endswith("/app.bsky.feed.getPostThread"):
        return (query.get("uri") or [None])[0]
    match = re.search(r"/api/v1/statuses/([^/]+)/context$", parts.path)
    return match.group(1) if match else None


# ---------------------------------------------------------------- crawls


@dataclass
class Crawled:
    panel: Panel
    first: CrawlResult
    second: CrawlResult
    counts_after_first: dict[str, int]
    failing: list[SamplePost]


@pytest.fixture(scope="module")
def panel() -> Panel:
    return Panel.from_spec(SPEC)


@pytest.fixture(scope="module")
def proxy_url(panel: Panel) -> Iterator[tuple[str, dict[str, list[SamplePost]]]]:
    failing = {p: sampled_posts(panel, p, FLAKY[p])[1::2][:2] for p in PLATFORMS}
    with run_server_subprocess(SPEC, seed=None, extra_args=("--strict-weibo",)) as (url, _process):
        proxy = FailingProxy(url, {post.id for posts in failing.values() for post in posts})
        proxy.thread.start()
        try:
            yield proxy.url, failing
        finally:
            proxy.server.shutdown()
            proxy.server.server_close()


@pytest.fixture(scope="module", params=PLATFORMS)
def crawled(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory, panel: Panel,
            proxy_url: tuple[str, dict[str, list[SamplePost]]]) -> Crawled:
    """Two comments crawls of one platform into one store."""
    platform = request.param
    url, failing = proxy_url
    tmp = tmp_path_factory.mktemp(f"comments-{platform}")
    config = write_panel_config(tmp, panel)
    db = tmp / "store.sqlite3"

    def crawl() -> CrawlResult:
        result = run_crawl(platform, base_url=url, db_path=db, config_path=config, settings=CAPS,
                           args={"comments": "1"})
        assert result.returncode == 0, result.stderr[-3000:]
        return result

    first = crawl()
    counts = {name: first.rows(f"SELECT count(*) AS n FROM {name}")[0]["n"] for name in ("posts", "comments")}
    return Crawled(panel, first, crawl(), counts, failing[platform])


def stats_of(result: CrawlResult, run: int = 0) -> dict[str, Any]:
    rows = result.rows("SELECT stats FROM crawl_runs ORDER BY started_at")
    stats = rows[run]["stats"]
    return json.loads(stats) if isinstance(stats, str) else stats


def comments_of(result: CrawlResult, platform: str, post_ids: list[str]) -> dict[str, list[dict]]:
    """Stored comments by the sample's post id."""
    by_post: dict[str, list[dict]] = {}
    for row in result.rows("SELECT * FROM comments"):
        row["extra"] = json.loads(row["extra"]) if isinstance(row["extra"], str) else row["extra"]
        by_post.setdefault(native(platform, row["post_id"]), []).append(row)
    return {post_id: by_post.get(post_id, []) for post_id in post_ids} | {
        k: v for k, v in by_post.items() if k not in post_ids}


def comments_of_account(result: CrawlResult, account_id: str) -> list[dict]:
    return result.rows("SELECT c.* FROM comments c JOIN posts p ON p.platform = c.platform AND p.post_id = c.post_id "
                       "WHERE p.account_id = :a", a=account_id)


def platform_of(crawled: Crawled) -> str:
    return crawled.first.rows("SELECT platform FROM accounts LIMIT 1")[0]["platform"]


# ---------------------------------------------------------------- end to end: the clean account


def test_the_first_comments_of_the_first_posts_are_stored_within_both_caps(crawled: Crawled) -> None:
    platform = platform_of(crawled)
    account = crawled.panel.account(platform, CLEAN[platform])
    sample = sampled_posts(crawled.panel, platform, account.id)
    assert len(sample) == MAX_POSTS and len(crawled.panel.posts(platform, account.id)) > MAX_POSTS
    stored = comments_of(crawled.first, platform, [p.id for p in sample])
    flaky_ids = {p.id for p in sampled_posts(crawled.panel, platform, FLAKY[platform])}
    assert set(stored) - flaky_ids == {p.id for p in sample}  # no post beyond the per-account cap
    capped = 0
    for post in sample:
        top = served_top_level(crawled.panel, platform, account, post)
        expected = {c.id: None for c in top} | {r.id: c.id for c in top for r in c.replies}
        rows = stored[post.id]
        assert {r["comment_id"]: r["parent_comment_id"] for r in rows} == {
            stored_comment_id(platform, c): stored_comment_id(platform, parent) for c, parent in expected.items()}
        assert sum(r["parent_comment_id"] is None for r in rows) == min(PER_POST, len(comments_for(
            crawled.panel, account, post)))
        assert {r["extra"]["post_comments_count"] for r in rows} == {post.comments}
        capped += len(comments_for(crawled.panel, account, post)) > PER_POST
    assert capped, "some post should have more comments than COMMENTS_PER_POST"


def test_the_accounts_own_replies_are_flagged_with_their_parent(crawled: Crawled) -> None:
    platform = platform_of(crawled)
    account = crawled.panel.account(platform, CLEAN[platform])
    answers = {}
    for post in sampled_posts(crawled.panel, platform, account.id):
        for comment in served_top_level(crawled.panel, platform, account, post):
            answers |= {stored_comment_id(platform, reply.id): stored_comment_id(platform, comment.id)
                        for reply in comment.replies}
    assert answers, "the fan-friendly account should answer some comments"
    own = [r for r in comments_of_account(crawled.first, account.id) if r["is_by_post_author"]]
    assert {r["comment_id"]: r["parent_comment_id"] for r in own} == answers
    assert {r["author_id"] for r in own} == {account.id}  # the brand's own id stays in clear
    assert all(r["author_name"] for r in own)


def test_fans_are_pseudonymised_organisations_and_the_brand_are_not(crawled: Crawled) -> None:
    platform = platform_of(crawled)
    others = crawled.first.rows("SELECT * FROM comments WHERE NOT is_by_post_author")
    fans = [r for r in others if r["author_is_organization"] is False or r["author_is_organization"] == 0]
    assert fans and len(fans) == len([r for r in others if not r["author_is_organization"]])
    assert all(r["author_id"].startswith("anon:") and r["author_name"] is None for r in fans)
    organizations = [r for r in others if r["author_is_organization"]]
    assert all(not r["author_id"].startswith("anon:") for r in organizations)
    if platform == "mastodon":  # the sample's Mastodon fans include a few bots and groups
        assert organizations and all("@" in r["author_id"] for r in organizations)


def test_no_fan_is_named_in_comment_ids_or_extra(crawled: Crawled) -> None:
    """Pseudonymising author_id is not enough when a comment id (an at-uri, a status URI) or extra names
    the author: the stored ids and extra of fans' comments must not hold any fan's id, handle or name."""
    platform = platform_of(crawled)
    fans = [f for a in crawled.panel.accounts if a.platform == platform for f in a.fans if not f.is_organization]
    names = {f.id for f in fans} | {f.name for f in fans} | {part for f in fans if f.handle
                                                             for part in (f.handle, f.handle.split("@")[0])}
    rows = crawled.first.rows("SELECT comment_id, parent_comment_id, extra FROM comments WHERE NOT is_by_post_author")
    assert rows
    stored = "\n".join(f"{r['comment_id']} {r['parent_comment_id']} {r['extra']}" for r in rows)
    assert [name for name in names if name in stored] == []


@pytest.mark.parametrize("crawled", ["weibo"], indirect=True)
def test_weibo_comments_keep_loyal_fan_badges(crawled: Crawled) -> None:
    platform = platform_of(crawled)
    account = crawled.panel.account(platform, CLEAN[platform])
    loyal = {c.id for post in sampled_posts(crawled.panel, platform, account.id)
             for c in served_top_level(crawled.panel, platform, account, post) if c.loyal_fan}
    rows = crawled.first.rows("SELECT comment_id, extra FROM comments")
    badged = {r["comment_id"] for r in rows if "loyal_fans" in json.loads(r["extra"]).get("badges", [])}
    assert loyal and loyal <= badged


def test_stats_count_sampled_posts_and_comments_per_account(crawled: Crawled) -> None:
    platform = platform_of(crawled)
    stats = stats_of(crawled.first)
    account_id = CLEAN[platform]
    stored = len(comments_of_account(crawled.first, account_id))
    assert stats[f"comments/by_account/{account_id}/posts_sampled"] == MAX_POSTS
    assert stats[f"comments/by_account/{account_id}/stored"] == stored > 0
    assert stats["comments/posts_sampled"] == 2 * MAX_POSTS


def test_a_second_crawl_adds_no_duplicate(crawled: Crawled) -> None:
    ids = [r["comment_id"] for r in crawled.second.rows("SELECT comment_id FROM comments")]
    assert len(ids) == len(set(ids)) == crawled.counts_after_first["comments"]
    assert stats_of(crawled.second, 1)["comments/stored"] == stats_of(crawled.first, 0)["comments/stored"]
    posts = crawled.second.rows("SELECT count(*) AS n FROM posts")[0]["n"]
    assert posts == crawled.counts_after_first["posts"]


# ---------------------------------------------------------------- end to end: failing comment pages


def test_failed_comment_pages_keep_the_account_ok_and_every_post(crawled: Crawled) -> None:
    platform = platform_of(crawled)
    account_id = FLAKY[platform]
    assert len(crawled.failing) == 2
    statuses = {r["account_id"]: r["status"] for r in crawled.first.rows("SELECT * FROM crawl_accounts")}
    assert statuses == {CLEAN[platform]: "ok", account_id: "ok"}
    in_period = {p.id for p in crawled.panel.posts(platform, account_id) if crawled.panel.in_period(p)}
    stored_posts = crawled.first.rows("SELECT post_id FROM posts WHERE account_id = :a", a=account_id)
    assert {native(platform, r["post_id"]) for r in stored_posts} == in_period
    sample = sampled_posts(crawled.panel, platform, account_id)
    with_comments = set(comments_of(crawled.first, platform, []))
    failed = {p.id for p in crawled.failing}
    assert with_comments & {p.id for p in sample} == {p.id for p in sample} - failed
    stats = stats_of(crawled.first)
    assert stats["comments/pages_failed"] == stats[f"comments/by_account/{account_id}/pages_failed"] == 2
    assert stats["comments/failed_reason/http_503"] == 2
    assert stats["retry/count"] == 2 * RETRIES  # Scrapy's RetryMiddleware tried each failing page again


# ---------------------------------------------------------------- in process: switch, trim, callbacks


def make_spider(spider_cls: type, tmp_path: Path, settings: dict | None = None, **kwargs: Any) -> Any:
    """The shared harness with this file's account, a period around the 2019 recordings and one retry."""
    return toolkit_spider(spider_cls, tmp_path, {"RETRY_TIMES": 1, **(settings or {})}, accounts="1000000101",
                          since="2019-01-01", until="2026-12-31", **kwargs)


def a_post(platform: str = "weibo", comments: int | None = 12, kind: str = "original") -> Post:
    return make_post("4391234567890123", platform=platform, account_id="1000000101", kind=kind,
                     created_at=datetime(2019, 6, 1, tzinfo=UTC), comments=comments, extra={"id": "1"})


@pytest.mark.parametrize("spider_cls", [WeiboSpider, BlueskySpider, MastodonSpider])
def test_comments_are_off_by_default_and_on_with_the_argument_or_the_setting(spider_cls: type,
                                                                             tmp_path: Path) -> None:
    post = a_post()
    off = make_spider(spider_cls, tmp_path)
    by_argument = make_spider(spider_cls, tmp_path, comments="1")
    by_setting = make_spider(spider_cls, tmp_path, {"CRAWL_COMMENTS": True})
    account = off.panel[0]
    assert not off.wants_comments(account, post)
    assert by_argument.wants_comments(account, post) and by_setting.wants_comments(account, post)


def test_the_per_account_cap_and_posts_without_comments(tmp_path: Path) -> None:
    spider = make_spider(WeiboSpider, tmp_path, {"COMMENTS_MAX_POSTS": 2}, comments="1")
    account = spider.panel[0]
    asked = [spider.wants_comments(account, a_post(comments=n)) for n in (0, 5, None, 7)]
    assert asked == [False, True, True, False]  # a zero counter needs no request and uses no slot


@pytest.mark.parametrize(("spider_cls", "expected"), [(WeiboSpider, True), (BlueskySpider, False),
                                                     (MastodonSpider, False)])
def test_reposts_have_comments_of_their_own_only_on_weibo(spider_cls: type, expected: bool, tmp_path: Path) -> None:
    spider = make_spider(spider_cls, tmp_path, comments="1")
    assert spider.wants_comments(spider.panel[0], a_post(kind="repost")) is expected


def comment(comment_id: str, parent: str | None = None) -> Comment:
    return make_comment(comment_id, post_id="p", parent_comment_id=parent)


def test_trim_keeps_the_first_top_level_comments_with_their_replies() -> None:
    comments = [comment("a"), comment("a1", "a"), comment("b"), comment("b1", "b"), comment("b2", "b1"),
                comment("c"), comment("c1", "c"), comment("x1", "elsewhere")]
    kept = [c.comment_id for c in trim_to_top_level(comments, 2)]
    assert kept == ["a", "a1", "b", "b1", "b2", "x1"]
    assert trim_to_top_level(comments, 0) == [comments[-1]]


def hotflow_request(spider: WeiboSpider, top_level: int = 0) -> Request:
    return spider.comments_request(a_post(), spider.panel[0], top_level=top_level)


def test_weibo_comments_page_is_trimmed_to_the_cap_and_paged_below_it(tmp_path: Path) -> None:
    body = (FIXTURES / "weibo" / "m_weibo_cn__comments_hotflow__first_page__2019.json").read_bytes()
    spider = make_spider(WeiboSpider, tmp_path, {"COMMENTS_PER_POST": 3}, comments="1")
    request = hotflow_request(spider)
    items, follow = run_callback(request, respond(request, body))
    assert sum(c.parent_comment_id is None for c in items) == 3 and follow == []
    assert {c.extra["post_comments_count"] for c in items} == {12}

    roomy = make_spider(WeiboSpider, tmp_path, {"COMMENTS_PER_POST": 50}, comments="1")
    request = hotflow_request(roomy)
    items, [next_page] = run_callback(request, respond(request, body))
    top = sum(c.parent_comment_id is None for c in items)
    assert 3 < top < 50 and next_page.cb_kwargs["top_level"] == top and "max_id=" in next_page.url


@pytest.mark.parametrize(("status", "body", "reason"), [
    (500, b"<html>oops</html>", "http_500"),
    (200, json.dumps({"ok": -100, "url": "https://passport.weibo.cn/signin/welcome"}).encode(), "envelope_login_wall"),
])
def test_a_failed_weibo_comments_page_is_counted_and_changes_no_status(status: int, body: bytes, reason: str,
                                                                       tmp_path: Path) -> None:
    spider = make_spider(WeiboSpider, tmp_path, comments="1")
    request = hotflow_request(spider)
    items, follow = run_callback(request, respond(request, body, status))
    assert items == [] and follow == []
    stats = spider.crawler.stats
    assert stats.get_value("comments/pages_failed") == 1
    assert stats.get_value(f"comments/failed_reason/{reason}") == 1
    assert spider.tracker.get("weibo", "1000000101").status == "ok"


def test_a_garbled_comments_page_is_retried_then_counted(tmp_path: Path) -> None:
    spider = make_spider(WeiboSpider, tmp_path, comments="1")
    request = hotflow_request(spider)
    _, [retry] = run_callback(request, respond(request, b'{"ok":1,"data":{"data":['))
    assert retry.url == request.url and retry.meta["retry_times"] == 1
    items, follow = run_callback(retry, respond(retry, b"\x00garbage"))
    assert items == [] and follow == []
    assert spider.crawler.stats.get_value("comments/failed_reason/malformed_json") == 1
    assert spider.tracker.get("weibo", "1000000101").status == "ok"


def thread_spider_request(spider_cls: type, tmp_path: Path) -> tuple[Any, Request]:
    spider = make_spider(spider_cls, tmp_path, {"COMMENTS_PER_POST": 5}, comments="1")
    post = a_post(spider.platform)
    if spider_cls is BlueskySpider:
        post.post_id = load_fixture("bluesky", "dannguyen_getPostThread.response.json")["thread"]["post"]["uri"]
        return spider, spider.thread_request(spider.panel[0], post)
    return spider, spider.context_request(spider.panel[0], post)


def load_fixture(platform: str, name: str) -> Any:
    return json.loads((FIXTURES / platform / name).read_text(encoding="utf-8"))


@pytest.mark.parametrize(("spider_cls", "fixture", "expected"), [
    (BlueskySpider, "dannguyen_getPostThread.response.json", 5),  # 170 direct replies, trimmed to 5
    (MastodonSpider, "msync_context_json.json", 2),  # one reply to the post and one under it
])
def test_thread_and_context_answers_become_comments_within_the_cap(spider_cls: type, fixture: str, expected: int,
                                                                   tmp_path: Path) -> None:
    spider, request = thread_spider_request(spider_cls, tmp_path)
    body = (FIXTURES / spider.platform / fixture).read_bytes()
    items, follow = run_callback(request, respond(request, body))
    assert len(items) == expected and follow == []
    assert sum(c.parent_comment_id is None for c in items) <= 5
    assert {c.extra["post_comments_count"] for c in items} == {12}
    assert spider.crawler.stats.get_value("comments/by_account/1000000101/stored") == expected


@pytest.mark.parametrize(("spider_cls", "status", "payload", "reason"), [
    (BlueskySpider, 400, {"error": "NotFound", "message": "Post not found"}, "http_400"),
    (BlueskySpider, 200, {"thread": {"$type": "app.bsky.feed.defs#blockedPost", "uri": "at://x"}}, "payload_blocked"),
    (MastodonSpider, 404, {"error": "Record not found"}, "http_404"),
    (MastodonSpider, 200, {"ancestors": []}, "payload_malformed"),
])
def test_a_failed_thread_or_context_is_counted_and_changes_no_status(spider_cls: type, status: int, payload: dict,
                                                                     reason: str, tmp_path: Path) -> None:
    spider, request = thread_spider_request(spider_cls, tmp_path)
    items, follow = run_callback(request, respond(request, json.dumps(payload).encode(), status))
    assert items == [] and follow == []
    assert spider.crawler.stats.get_value(f"comments/failed_reason/{reason}") == 1
    assert spider.tracker.get(spider.platform, "1000000101").status == "ok"
