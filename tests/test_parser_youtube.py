"""YouTube parser: the recorded public feed and Data API v3 bodies constructed from the documented shapes
(tests/fixtures/youtube, provenance in SOURCE.md). Where a case needs a variant, a deepcopy is changed and
the test says so."""

from __future__ import annotations

import copy
import json
from datetime import UTC, datetime
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from benchmark.platforms.youtube import feed, parser

FIXTURES = Path(__file__).parent / "fixtures" / "youtube"
CRAWLED_AT = datetime(2026, 9, 30, 12, 0, tzinfo=UTC)
CHANNEL = "UCxY9rXW0d3pQ7m2Lk5sT1aB"
FEED_FILE = FIXTURES / "capyreader_atom-feed-youtube.xml"


def load(name: str) -> dict:
    return json.loads((FIXTURES / name).read_text(encoding="utf-8"))


def videos(payload: object | None = None) -> parser.VideoPage:
    body = load("api_videos_list.json") if payload is None else payload
    return parser.parse_videos(body, account_id=CHANNEL, crawled_at=CRAWLED_AT)


def by_id(page: parser.VideoPage) -> dict:
    return {post.post_id: post for post in page.posts}


# ---------------------------------------------------------------- ids and durations


@pytest.mark.parametrize(
    ("value", "expected"),
    [(CHANNEL, True), ("UC9PBzalIcEQCsiIkq36PyUA", True), ("UCshort", False), ("UU" + CHANNEL[2:], False),
     ("@examplebrand", False), ("", False)],
)
def test_channel_id_shape(value: str, expected: bool) -> None:
    assert parser.is_channel_id(value) is expected


@pytest.mark.parametrize(("value", "expected"), [("@examplebrand", True), ("@a.b-c_d", True), ("@ab", False),
                                                 ("examplebrand", False), ("@bad name", False)])
def test_handle_shape(value: str, expected: bool) -> None:
    assert parser.is_handle(value) is expected


@pytest.mark.parametrize(
    ("value", "seconds"),
    [("PT45S", 45), ("PT1M", 60), ("PT1M1S", 61), ("PT12M34S", 754), ("PT1H2M3S", 3723), ("P1DT1S", 86401),
     ("P0D", 0), ("PT0.6S", 1), ("P", None), ("PT", None), ("1:05", None), ("", None), (None, None), (65, None)],
)
def test_iso_8601_durations(value: object, seconds: int | None) -> None:
    assert parser.parse_duration(value) == seconds


def test_uploads_playlist_is_the_channel_id_with_uu() -> None:
    assert parser.uploads_playlist_id(CHANNEL) == "UU" + CHANNEL[2:]
    assert parser.uploads_playlist_id("@examplebrand") == ""


# ---------------------------------------------------------------- channels.list


def test_channel_account_and_uploads_playlist() -> None:
    result = parser.parse_channel(load("api_channels_list.json"), account_id="@examplebrand", crawled_at=CRAWLED_AT)
    assert (result.status, result.channel_id, result.uploads) == ("ok", CHANNEL, "UU" + CHANNEL[2:])
    account = result.account
    assert account.account_id == "@examplebrand"  # the config id stays the account's id
    assert (account.platform, account.handle, account.name) == ("youtube", "@examplebrand", "Example Brand")
    assert (account.followers, account.posts_count, account.following) == (45600, 321, None)
    assert account.url == f"https://www.youtube.com/channel/{CHANNEL}"
    assert account.extra["channel_id"] == CHANNEL and account.extra["view_count"] == 1234567


def test_hidden_subscriber_count_is_none_not_zero() -> None:
    payload = load("api_channels_list.json")
    payload["items"][0]["statistics"] |= {"subscriberCount": "0", "hiddenSubscriberCount": True}  # variant
    account = parser.parse_channel(payload, account_id=CHANNEL, crawled_at=CRAWLED_AT).account
    assert account.followers is None


def test_channel_without_items_is_not_found() -> None:
    result = parser.parse_channel(load("api_channels_list_no_items.json"), account_id=CHANNEL, crawled_at=None)
    assert (result.account, result.status) == (None, "not_found")
    assert parser.parse_channel({"kind": "youtube#channelListResponse", "items": []}, account_id=CHANNEL,
                                crawled_at=None).status == "not_found"


@pytest.mark.parametrize("payload", [None, [], "junk", {"items": "x"}, {"unrelated": 1}])
def test_unreadable_channel_answer_is_malformed(payload: object) -> None:
    assert parser.parse_channel(payload, account_id=CHANNEL, crawled_at=None).status == "malformed"


@pytest.mark.parametrize(
    ("name", "status", "quota"),
    [("api_error_quota.json", "blocked", True), ("api_error_no_key.json", "login_wall", False)],
)
def test_api_errors_become_account_statuses(name: str, status: str, quota: bool) -> None:
    result = parser.parse_channel(load(name), account_id=CHANNEL, crawled_at=None)
    assert result.status == status
    assert parser.is_quota_error(result.error) is quota
    assert "<a" not in result.message and result.message  # Google's HTML link is reduced to its words


# ---------------------------------------------------------------- playlistItems.list


def test_playlist_page_ids_dates_and_cursor() -> None:
    page = parser.parse_playlist_items(load("api_playlist_items_page.json"))
    assert [video_id for video_id, _ in page.videos] == ["vidNormal01", "vidShort002", "vidLive0004"]
    assert page.cursor == "EAAaBlBUOkNBVQ"
    assert page.oldest() == datetime(2026, 9, 15, 19, 0, tzinfo=UTC)
    assert page.dropped == ["item 2: unpublished_or_private"]


def test_last_playlist_page_has_no_cursor_and_empty_page_ends() -> None:
    payload = load("api_playlist_items_page.json")
    del payload["nextPageToken"]  # variant: the last page
    assert parser.parse_playlist_items(payload).cursor is None
    payload["items"] = []
    assert parser.parse_playlist_items(payload).status == "end"


def test_playlist_quota_error_is_blocked() -> None:
    page = parser.parse_playlist_items(load("api_error_quota.json"))
    assert (page.status, page.videos) == ("blocked", [])


# ---------------------------------------------------------------- videos.list


def test_video_fields() -> None:
    post = by_id(videos())["vidNormal01"]
    assert (post.platform, post.account_id, post.format, post.kind) == ("youtube", CHANNEL, "video", "original")
    assert post.created_at == datetime(2026, 9, 20, 10, 0, tzinfo=UTC)
    assert (post.views, post.likes, post.comments) == (15000, 900, 120)
    assert (post.reposts, post.quotes) == (None, None)  # fan reposts do not exist on YouTube
    assert post.url == "https://www.youtube.com/watch?v=vidNormal01"
    assert post.text.startswith("Launch film\n\nNew #ProductLaunch")
    assert post.hashtags == ["ProductLaunch"]  # "#1" is a rank, not a tag
    assert post.links == ["https://example.com/launch"]
    assert post.extra["duration_seconds"] == 754 and post.extra["tags"] == ["brand", "launch"]


def test_formats_short_live_and_upcoming() -> None:
    page = videos()
    posts = by_id(page)
    assert posts["vidShort002"].format == "short"  # 45 s
    assert posts["vidLive0004"].format == "live"  # a finished stream keeps liveStreamingDetails
    assert posts["vidOnAir005"].format == "live"  # running now (duration P0D is not a Short)
    assert page.upcoming == ["vidUpcom006"] and "vidUpcom006" not in posts  # not a post yet
    assert page.dropped == ["item 6: missing_published_at"]


@pytest.mark.parametrize(("duration", "expected"), [(60, "short"), (61, "video"), (0, "video"), (None, "video")])
def test_short_is_at_most_sixty_seconds(duration: int | None, expected: str) -> None:
    assert parser.video_format(duration, "none", False) == expected


def test_hidden_likes_and_disabled_comments_are_none_not_zero() -> None:
    post = by_id(videos())["vidNoLike07"]
    assert (post.likes, post.comments, post.views) == (None, None, 7000)
    assert post.extra["likes_hidden"] and post.extra["comments_disabled"]


def test_videos_error_and_junk() -> None:
    assert videos(load("api_error_quota.json")).status == "blocked"
    assert videos({"items": [None, 3, "x"]}).dropped == ["item 0: missing_id", "item 1: missing_id",
                                                        "item 2: missing_id"]
    assert videos("junk").status == "malformed"


# ---------------------------------------------------------------- commentThreads.list


def threads(payload: object) -> parser.CommentPage:
    return parser.parse_comment_threads(payload, post_id="vidNormal01", channel_id=CHANNEL,
                                        post_author_id="@examplebrand", crawled_at=CRAWLED_AT)


def test_comment_threads_with_the_channels_own_answer() -> None:
    page = threads(load("api_comment_threads.json"))
    assert [c.comment_id for c in page.comments] == ["UgzThread1", "UgzThread1.reply1", "UgzThread1.reply2",
                                                     "UgzThread2"]
    top, own, fan_reply, _ = page.comments
    assert top.parent_comment_id is None and top.extra["replies"] == 2 and top.likes == 5
    assert own.is_by_post_author and own.author_id == "@examplebrand" and own.parent_comment_id == "UgzThread1"
    assert not fan_reply.is_by_post_author and fan_reply.author_id.startswith("UCfan")
    assert fan_reply.author_is_organization is False  # no signal on YouTube: another channel is a fan
    assert {c.post_id for c in page.comments} == {"vidNormal01"}
    assert page.cursor == "QURTSl9pMk"


def test_comments_disabled_is_its_own_status() -> None:
    page = threads(load("api_error_comments_disabled.json"))
    assert (page.status, page.comments) == ("disabled", [])


def test_broken_comments_are_skipped_with_a_reason() -> None:
    payload = copy.deepcopy(load("api_comment_threads.json"))
    del payload["items"][0]["snippet"]["topLevelComment"]["snippet"]["publishedAt"]  # variant
    payload["items"][1]["replies"] = {"comments": [{"id": ""}]}
    page = threads(payload)
    assert [c.comment_id for c in page.comments] == ["UgzThread2"]
    assert page.dropped == ["thread 0: missing_published_at", "thread 1 reply 0: missing_id"]


# ---------------------------------------------------------------- the public feed (recorded)


def parse_feed(body: bytes | str) -> feed.FeedResult:
    return feed.parse_feed(body, account_id="UC9PBzalIcEQCsiIkq36PyUA", crawled_at=CRAWLED_AT)


def test_recorded_feed_has_fifteen_videos_with_views_and_likes() -> None:
    result = parse_feed(FEED_FILE.read_bytes())
    posts = result.page.posts
    assert (len(posts), result.full, result.page.dropped) == (15, True, [])
    first = posts[0]
    assert (first.post_id, first.views, first.likes, first.comments) == ("W_S7iKZZdHw", 23088, 1580, None)
    assert first.created_at == datetime(2025, 1, 1, 16, 7, 24, tzinfo=UTC)
    assert first.url == "https://www.youtube.com/watch?v=W_S7iKZZdHw"
    assert posts[-1].created_at == datetime(2024, 12, 14, 17, 20, 43, tzinfo=UTC)
    assert all(p.format == "video" and p.reposts is None for p in posts)


def test_feed_channel_id_is_rebuilt_with_its_uc_prefix() -> None:
    account = parse_feed(FEED_FILE.read_bytes()).account
    assert (account.name, account.extra["channel_id"]) == ("Digital Foundry", "UC9PBzalIcEQCsiIkq36PyUA")


def test_short_feed_is_not_full() -> None:
    text = FEED_FILE.read_text(encoding="utf-8")
    head, *entries = text.split("<entry>")
    shortened = head + "<entry>" + entries[0].split("</entry>")[0] + "</entry></feed>"  # variant: one entry
    result = parse_feed(shortened)
    assert (len(result.page.posts), result.full) == (1, False)


@pytest.mark.parametrize("body", [b"", b"<html/>", b"\x00\xff<<", "not xml"])
def test_junk_feed_is_malformed(body: bytes | str) -> None:
    assert parse_feed(body).page.status == "malformed"


def test_feed_entities_are_not_resolved() -> None:
    body = ('<?xml version="1.0"?><!DOCTYPE x [<!ENTITY e SYSTEM "file:///etc/hostname">]>'
            '<feed xmlns="http://www.w3.org/2005/Atom"><title>&e;</title></feed>')
    result = parse_feed(body)
    assert result.page.status == "end" and not result.account.name


# ---------------------------------------------------------------- never raising


JSON = st.recursive(st.none() | st.booleans() | st.integers() | st.text(max_size=8),
                    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=8), inner, max_size=4),
                    max_leaves=20)


@settings(max_examples=150, deadline=None)
@given(JSON)
def test_api_parsers_never_raise(payload: object) -> None:
    parser.parse_channel(payload, account_id=CHANNEL, crawled_at=None)
    parser.parse_playlist_items(payload)
    videos({"items": [payload]})
    threads({"items": [payload]})
    threads({"items": [{"snippet": {"topLevelComment": payload}, "replies": {"comments": [payload]}}]})
