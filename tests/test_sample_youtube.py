"""The YouTube sample renderer is strict like the real Data API (benchmark/platforms/youtube/sample.py), and what
it serves reads back through the parsers as the panel holds it."""

from __future__ import annotations

import json

import pytest

from benchmark.platforms.youtube import SAMPLE_KEY, feed, parser
from benchmark.sample.panel import Panel
from benchmark.sample.server import SampleSite

KEY = "AIzaSampleTestKey0000000000000000000000"
SPEC = {"seed": 3, "anchor": "2026-11-26T12:00:00+08:00", "period": {"start": "2026-10-01", "end": "2026-11-25"},
        "accounts": [{"platform": "youtube", "id": "@brandtube", "role": "own", "label": "B", "posts": 70,
                      "older_posts": 2},
                     {"platform": "youtube", "id": "UCzzzzzzzzzzzzzzzzzzzzzz", "role": "peer", "label": "Q",
                      "posts": 2, "behaviour": {"quota_exceeded": 1}}]}


@pytest.fixture(scope="module")
def site() -> SampleSite:
    return SampleSite(Panel.from_spec(SPEC))


def get(site: SampleSite, path: str, key: str | None = KEY) -> tuple[int, object]:
    reply = site.handle(f"/youtube{path}", "127.0.0.1:1", {"x-goog-api-key": key} if key else {})
    body = reply.body.decode("utf-8")
    return reply.status, json.loads(body) if reply.content_type.startswith("application/json") else body


def reason(payload: object) -> str:
    return parser.api_error(payload).reason  # type: ignore[union-attr]


def channel_id(site: SampleSite) -> str:
    return site.panel.accounts[0].internal_id


def test_api_calls_need_a_well_formed_key(site):
    assert len(KEY) == 39 and len(SAMPLE_KEY) == 39
    status, body = get(site, "/v3/channels?part=id&forHandle=@brandtube", key=None)
    assert (status, reason(body)) == (403, "forbidden")
    status, body = get(site, "/v3/channels?part=id&forHandle=@brandtube", key="not-a-key")
    assert (status, reason(body)) == (400, "badRequest")
    status, _body = get(site, f"/v3/channels?part=id&forHandle=@brandtube&key={KEY}", key=None)
    assert status == 200 and site.strict_counts["youtube:key_in_url"] == 1


def test_handle_and_id_resolve_to_the_same_channel_and_unknown_has_no_items(site):
    _status, by_handle = get(site, "/v3/channels?part=snippet,statistics,contentDetails&forHandle=@BrandTube")
    result = parser.parse_channel(by_handle, account_id="@brandtube", crawled_at=None)
    assert (result.status, result.channel_id) == ("ok", channel_id(site))
    assert result.account.followers == int(float(f"{site.panel.accounts[0].followers:.3g}"))  # 3 significant figures
    _status, unknown = get(site, "/v3/channels?part=id&id=UC0000000000000000000000")
    assert "items" not in unknown
    assert parser.parse_channel(unknown, account_id="UC0000000000000000000000", crawled_at=None).status == "not_found"


def test_playlist_caps_and_issued_page_tokens_only(site):
    uploads = "UU" + channel_id(site)[2:]
    status, body = get(site, f"/playlistItems?part=contentDetails&playlistId={uploads}&maxResults=51")
    assert (status, reason(body)) == (400, "invalidParameter")
    _status, first_page = get(site, f"/playlistItems?part=contentDetails&playlistId={uploads}&maxResults=50")
    page = parser.parse_playlist_items(first_page)
    assert len(page.videos) == 50 and page.cursor
    _status, second = get(site, f"/playlistItems?part=contentDetails&playlistId={uploads}&maxResults=50"
                                f"&pageToken={page.cursor}")
    rest = parser.parse_playlist_items(second)
    assert len(rest.videos) == 22 and rest.cursor is None  # 70 in the period + 2 older
    status, body = get(site, f"/playlistItems?part=contentDetails&playlistId={uploads}&pageToken=NTA6Zm9yZ2Vk")
    assert (status, reason(body)) == (400, "invalidPageToken")


def test_videos_take_at_most_fifty_ids_and_read_back_as_the_panel(site):
    posts = site.panel.posts("youtube", "@brandtube")
    ids = ",".join(post.id for post in posts[:51])
    status, body = get(site, f"/videos?part=snippet&id={ids}")
    assert status == 400
    _status, body = get(site, f"/videos?part=snippet,contentDetails,statistics&id={ids.rsplit(',', 1)[0]}")
    parsed = parser.parse_videos(body, account_id="@brandtube", crawled_at=None)
    assert [post.post_id for post in parsed.posts] == [post.id for post in posts[:50]]
    for got, want in zip(parsed.posts, posts[:50], strict=True):
        assert (got.likes, got.comments, got.views, got.created_at) == (want.likes, want.comments, want.views,
                                                                         want.created_at.replace(microsecond=0))


def test_quota_behaviour_answers_quota_exceeded(site):
    status, body = get(site, "/v3/channels?part=id&id=UCzzzzzzzzzzzzzzzzzzzzzz")
    assert (status, reason(body)) == (403, "quotaExceeded")  # quota_exceeded: 1, the first call only
    assert parser.is_quota_error(parser.api_error(body))
    assert get(site, "/v3/channels?part=id&id=UCzzzzzzzzzzzzzzzzzzzzzz")[0] == 200


def test_feed_has_the_fifteen_latest_and_no_key(site):
    status, body = get(site, f"/feeds/videos.xml?channel_id={channel_id(site)}", key=None)
    result = feed.parse_feed(body, account_id=channel_id(site), crawled_at=None)
    assert status == 200 and result.full
    assert [p.post_id for p in result.page.posts] == [p.id for p in site.panel.posts("youtube", "@brandtube")[:15]]
    assert result.account.extra["channel_id"] == channel_id(site)
    assert get(site, "/feeds/videos.xml?channel_id=UC0000000000000000000000", key=None)[0] == 404
    get(site, f"/feeds/videos.xml?channel_id={channel_id(site)}")
    assert site.strict_counts["youtube:key_elsewhere"] == 1  # a key sent to the feed host is counted as a leak
