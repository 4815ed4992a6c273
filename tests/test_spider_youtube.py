"""`scrapy crawl youtube` end to end against the strict local sample server (benchmark/platforms/youtube/sample.py).

With a key: handle resolution, uploads paging in pages of 50 to the period's edge, one videos.list per page, the
channel's own answers among the comments, quota units counted (the server counts them too), a quota error
(blocked, asked once), an unknown channel (not_found), hidden likes and disabled comments (None, never 0), an
upcoming stream (not a post), and the key in no URL, log, JOBDIR queue, HTTP cache, store or feed. Without a key:
the public feed, partial when the period reaches back past its 15 entries.
"""

from __future__ import annotations

import json
import re
import urllib.request
from pathlib import Path
from typing import Any

import pytest

from benchmark.platforms.youtube import sample
from benchmark.sample.panel import Panel, panel_config_toml
from benchmark.sample.testing import run_server_subprocess
from tests.crawl_helpers import run_crawl

KEY = "AIzaRECOGNIZABLEyoutubeKEY0000000000007"  # shaped like a Google API key (the strict server checks it)
OWN, HIDDEN, GONE, QUOTA, SMALL = ("@joyvideo", "UCaaaaaaaaaaaaaaaaaaaaaa", "UCbbbbbbbbbbbbbbbbbbbbbb",
                                   "UCcccccccccccccccccccccc", "UCdddddddddddddddddddddd")
SPEC = {
    "seed": 5,
    "anchor": "2026-11-26T12:00:00+08:00",
    "period": {"start": "2026-10-01", "end": "2026-11-25"},
    "accounts": [
        {"platform": "youtube", "id": OWN, "role": "own", "label": "Joy", "archetype": "visual", "posts": 120,
         "older_posts": 3},
        {"platform": "youtube", "id": HIDDEN, "role": "peer", "label": "Hidden", "archetype": "generic", "posts": 20,
         "older_posts": 2, "behaviour": {"hidden_likes": True, "comments_disabled": True, "upcoming_stream": True}},
        {"platform": "youtube", "id": GONE, "role": "peer", "label": "Gone", "posts": 3,
         "behaviour": {"not_found": True}},
        {"platform": "youtube", "id": QUOTA, "role": "peer", "label": "Quota", "posts": 3,
         "behaviour": {"quota_exceeded": True}},
        {"platform": "youtube", "id": SMALL, "role": "exemplar", "label": "Small", "archetype": "fan_friendly",
         "posts": 8, "older_posts": 0},
    ],
}
API_ACCOUNTS = ",".join((OWN, HIDDEN, GONE, SMALL))


def strict_counts(url: str) -> dict[str, int]:
    with urllib.request.urlopen(f"{url}/__strict", timeout=5) as answer:
        return json.loads(answer.read())


def youtube_settings(url: str, tmp: Path, **more: str) -> dict[str, str]:
    # The API under /youtube/v3 and the feed under /youtube: the key's prefix (…/v3/) does not cover the feed.
    return {"YOUTUBE_API_BASE_URL": f"{url}/youtube/v3", "YOUTUBE_FEED_BASE_URL": f"{url}/youtube",
            "LOG_FILE": str(tmp / "crawl.log"), "COMMENTS_MAX_POSTS": "4", **more}


@pytest.fixture(scope="module")
def runs(tmp_path_factory):
    """Three crawls on one server: with the key (JOBDIR, HTTP cache, DEBUG log, feed export), the quota
    account alone with the key, and without a key."""
    panel = Panel.from_spec(SPEC)
    out = {}
    with run_server_subprocess(SPEC, seed=None) as (url, _process):
        for name, env, args, extra in (
            ("api", {"YOUTUBE_API_KEY": KEY}, {"comments": "1", "accounts": API_ACCOUNTS},
             {"JOBDIR": "job", "HTTPCACHE_ENABLED": "True", "HTTPCACHE_DIR": "httpcache", "LOG_LEVEL": "DEBUG"}),
            ("quota", {"YOUTUBE_API_KEY": KEY}, {"accounts": QUOTA}, {}),
            ("feed", {}, {"accounts": ",".join((OWN, HIDDEN, SMALL))}, {}),
        ):
            tmp = tmp_path_factory.mktemp(name)
            config = tmp / "benchmark.toml"
            config.write_text(panel_config_toml(panel), encoding="utf-8")
            before = strict_counts(url)
            settings = youtube_settings(url, tmp, **{k: str(tmp / v) if k.endswith("DIR") else v
                                                      for k, v in extra.items()})
            result = run_crawl("youtube", base_url=url, db_path=tmp / "store.sqlite3", config_path=config,
                               env=env, args=args, settings=settings, extra=["-O", str(tmp / "feed.jsonl")])
            after = strict_counts(url)
            out[name] = (tmp, result, {k: v - before.get(k, 0) for k, v in after.items()})
    return panel, out


def statuses(result) -> dict[str, str]:
    return {r["account_id"]: r["status"] for r in result.rows("select account_id, status from crawl_accounts")}


def truth(panel: Panel, account_id: str) -> list:
    return [post for post in panel.posts("youtube", account_id) if panel.in_period(post)]


def stored_format(row: dict) -> str:
    """The format column itself: a Short is stored as "short" (items.POST_FORMATS), nothing kept aside in extra."""
    assert "format" not in json.loads(row["extra"] or "{}")
    return row["format"]


# ---------------------------------------------------------------- with a key


def test_api_crawl_statuses_and_every_post_of_the_period(runs):
    panel, out = runs
    _tmp, result, counts = out["api"]
    assert "Traceback" not in result.stderr, result.stderr[-3000:]
    assert statuses(result) == {OWN: "ok", HIDDEN: "ok", GONE: "not_found", SMALL: "ok"}, result.stderr[-3000:]
    for account_id in (OWN, HIDDEN, SMALL):
        stored = {r["post_id"] for r in result.rows("select post_id from posts where account_id = :a", a=account_id)}
        assert stored == {post.id for post in truth(panel, account_id)}, account_id
    refused = {k: v for k, v in counts.items() if k not in ("youtube:served", "youtube:units")}
    assert refused == {}  # no missing key, no key in a URL or at the feed host, no bad page token or cap


def test_handle_is_resolved_and_uploads_are_paged_by_fifty_to_the_period_edge(runs):
    panel, out = runs
    _tmp, result, _counts = out["api"]
    account = panel.account("youtube", OWN)
    extra = json.loads(result.rows("select extra from accounts where account_id = :a", a=OWN)[0]["extra"])
    assert extra["channel_id"] == account.internal_id
    pages = {r["account_id"]: r["pages"] for r in result.rows("select account_id, pages from crawl_accounts")}
    uploads = len(panel.posts("youtube", OWN))  # 123: 120 in the period, 3 older
    assert pages[OWN] == -(-uploads // 50) == 3  # the third page reaches past the period start: no fourth


def test_quota_units_are_counted_and_printed(runs):
    _panel, out = runs
    _tmp, result, counts = out["api"]
    printed = re.findall(r"YouTube Data API: (\d+) quota unit\(s\) used by this run", result.stderr)
    assert printed and int(printed[-1]) == counts["youtube:units"] > 0
    # channels 4 + playlist pages (3 + 1 + 1) + one videos.list per page (3 + 1 + 1) + comment threads <= 3 x 4
    assert 14 <= counts["youtube:units"] <= 14 + 12


def test_formats_short_live_and_video_follow_the_video_length(runs):
    panel, out = runs
    _tmp, result, _counts = out["api"]
    rows = {r["post_id"]: r for r in result.rows("select post_id, format, extra from posts where account_id = :a",
                                                  a=OWN)}
    expected = {}
    for post in truth(panel, OWN):
        seconds = sample.video_seconds(post)
        expected[post.id] = "live" if post.format == "live" else "short" if seconds <= 60 else "video"
    assert {post_id: stored_format(row) for post_id, row in rows.items()} == expected
    assert {"short", "live", "video"} <= set(expected.values())


def test_hidden_likes_and_disabled_comments_are_empty_not_zero_and_upcoming_is_no_post(runs):
    panel, out = runs
    _tmp, result, _counts = out["api"]
    rows = result.rows("select likes, comments, views, reposts from posts where account_id = :a", a=HIDDEN)
    assert rows and all(r["likes"] is None and r["comments"] is None and r["views"] is not None for r in rows)
    assert all(r["reposts"] is None for r in result.rows("select reposts from posts"))  # undefined on YouTube
    upcoming = sample.upcoming_post(panel.account("youtube", HIDDEN), panel.anchor).id
    assert result.rows("select count(*) as n from posts where post_id = :p", p=upcoming)[0]["n"] == 0


def test_comments_with_the_channels_own_answers(runs):
    _panel, out = runs
    _tmp, result, _counts = out["api"]
    by_post = "select c.author_id, c.parent_comment_id, p.account_id from comments c join posts p using (post_id) "
    own = result.rows(by_post + "where c.is_by_post_author = 1")
    assert {r["account_id"] for r in own} == {OWN, SMALL}  # recognised by the channel id, handle or not
    assert all(r["author_id"] == r["account_id"] and r["parent_comment_id"] for r in own)
    fans = result.rows(by_post + "where c.is_by_post_author = 0")
    assert fans and not any(r["author_id"] in (OWN, SMALL) for r in fans)
    sampled = result.rows("select count(distinct post_id) as n from comments")[0]["n"]
    assert 0 < sampled <= 4 * 2  # COMMENTS_MAX_POSTS per account; the hidden channel's comments are disabled


def test_the_key_is_in_no_url_log_queue_cache_store_or_feed(runs):
    _panel, out = runs
    tmp, result, counts = out["api"]
    assert (tmp / "job").is_dir() and any((tmp / "httpcache").rglob("request_headers"))
    assert (tmp / "crawl.log").stat().st_size > 0 and (tmp / "feed.jsonl").stat().st_size > 0
    leaks = [str(path.relative_to(tmp)) for path in tmp.rglob("*")
             if path.is_file() and KEY.encode() in path.read_bytes()]
    assert leaks == []
    assert KEY not in result.stdout + result.stderr
    assert counts.get("youtube:key_in_url", 0) == 0 and counts.get("youtube:key_elsewhere", 0) == 0


def test_quota_exceeded_is_blocked_and_asked_once(runs):
    _panel, out = runs
    _tmp, result, counts = out["quota"]
    rows = result.rows("select status, message from crawl_accounts")
    assert [r["status"] for r in rows] == ["blocked"], result.stderr[-3000:]
    assert "quotaExceeded" in rows[0]["message"]
    assert counts["youtube:quota"] == 1 and counts["youtube:units"] == 1  # not retried in a loop


# ---------------------------------------------------------------- without a key


def test_feed_crawl_reads_the_fifteen_latest_and_says_partial(runs):
    panel, out = runs
    _tmp, result, counts = out["feed"]
    assert "Traceback" not in result.stderr, result.stderr[-3000:]
    assert statuses(result) == {OWN: "failed", HIDDEN: "partial", SMALL: "ok"}
    message = result.rows("select message from crawl_accounts where account_id = :a", a=HIDDEN)[0]["message"]
    assert "15 latest videos" in message
    hidden = result.rows("select post_id, likes, views from posts where account_id = :a", a=HIDDEN)
    assert {r["post_id"] for r in hidden} == {p.id for p in panel.posts("youtube", HIDDEN)[:15]}
    small = result.rows("select post_id, likes, views from posts where account_id = :a", a=SMALL)
    assert {r["post_id"] for r in small} == {p.id for p in truth(panel, SMALL)}
    assert all(r["likes"] is not None and r["views"] is not None for r in small)
    assert counts.get("youtube:units", 0) == 0 and "quota unit" not in result.stderr  # no API call, no key


# ---------------------------------------------------------------- paging decisions (callbacks, no server)


def make_spider(tmp_path: Path, key: str = KEY) -> Any:
    from scrapy.utils.test import get_crawler

    from benchmark.platforms.youtube.spider import YoutubeSpider

    crawler = get_crawler(YoutubeSpider, {"BENCHMARK_CONFIG": str(tmp_path / "none.toml"), "YOUTUBE_API_KEY": key,
                                          "YOUTUBE_API_BASE_URL": "http://127.0.0.1:9/v3"})
    spider = YoutubeSpider.from_crawler(crawler, accounts=SMALL, since="2026-10-01", until="2026-11-25")
    crawler.spider = spider
    return spider


def playlist_answer(spider: Any, dates: list[str], token: str | None = "NEXT") -> tuple[list, list]:
    from scrapy import Request
    from scrapy.http import TextResponse

    request = spider.playlist_request(spider.panel[0], "UU" + SMALL[2:])
    items = [{"contentDetails": {"videoId": f"vid{i:08d}", "videoPublishedAt": day}} for i, day in enumerate(dates)]
    body = {"kind": "youtube#playlistItemListResponse", "items": items, **({"nextPageToken": token} if token else {})}
    response = TextResponse(request.url, status=200, body=json.dumps(body).encode(), encoding="utf-8",
                            request=request)
    output = list(spider.parse_playlist(response))
    return [o for o in output if isinstance(o, Request)], [o for o in output if not isinstance(o, Request)]


def test_a_page_newer_than_the_period_goes_on_to_the_next_page_without_videos_list(tmp_path):
    spider = make_spider(tmp_path)
    requests, _items = playlist_answer(spider, ["2026-12-01T00:00:00Z", "2026-11-30T00:00:00Z"])
    assert [r.url.split("?")[0].rsplit("/", 1)[1] for r in requests] == ["playlistItems"]
    assert "pageToken=NEXT" in requests[0].url and requests[0].meta["page"] == 2


def test_a_page_reaching_past_the_period_asks_videos_of_the_period_only_and_stops_paging(tmp_path):
    spider = make_spider(tmp_path)
    requests, _items = playlist_answer(spider, ["2026-11-20T00:00:00Z", "2026-10-02T00:00:00Z",
                                                "2026-09-20T00:00:00Z"])
    assert len(requests) == 1 and "/videos?" in requests[0].url
    assert "vid00000000%2Cvid00000001" in requests[0].url and "vid00000002" not in requests[0].url
    assert requests[0].meta["next_token"] is None  # the period's edge: no further playlist page


def test_without_a_key_a_handle_fails_and_a_channel_reads_the_feed(tmp_path):
    import asyncio

    spider = make_spider(tmp_path, key="")
    spider.panel.append(type(spider.panel[0])("youtube", OWN, "own", "Joy"))

    async def collect() -> list:
        return [request async for request in spider.start()]

    requests = asyncio.run(collect())
    assert [r.url.split("?")[0] for r in requests] == ["https://www.youtube.com/feeds/videos.xml"]
    assert spider.tracker.get("youtube", OWN).status == "failed"
    assert not spider.use_api


def test_the_key_goes_as_a_header_to_the_api_host_only_and_only_for_the_download():
    from scrapy import Request
    from scrapy.http import Response
    from scrapy.utils.test import get_crawler

    from benchmark.middlewares import SecretHeadersMiddleware

    crawler = get_crawler(settings_dict={"YOUTUBE_API_KEY": KEY,
                                         "YOUTUBE_API_BASE_URL": "https://www.googleapis.com/youtube/v3"})
    middleware = SecretHeadersMiddleware.from_crawler(crawler)
    api = Request("https://www.googleapis.com/youtube/v3/channels?part=snippet&id=" + SMALL)
    middleware.process_request(api)
    assert api.headers[b"X-Goog-Api-Key"] == KEY.encode() and KEY not in api.url
    middleware.process_response(api, Response(api.url, request=api))
    assert b"X-Goog-Api-Key" not in api.headers  # retries, queues and the cache never hold it
    for elsewhere in ("https://www.youtube.com/feeds/videos.xml?channel_id=" + SMALL,
                      "https://www.googleapis.com/youtube/v3.evil.example/channels", "http://www.googleapis.com/x",
                      "https://www.googleapis.com/drive/v3/files"):
        other = Request(elsewhere)
        middleware.process_request(other)
        assert b"X-Goog-Api-Key" not in other.headers, elsewhere
