"""The public channel feed `feeds/videos.xml?channel_id=` (Atom) → Account / Post items: the path without an
API key. Pure, never raising; parsel parses the XML with entity resolution off."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from parsel import Selector

from benchmark.items import Account, Post
from benchmark.parsers import text as textutil
from benchmark.parsers.common import FeedPage, as_int, parse_datetime
from benchmark.platforms.youtube.parser import (
    PLATFORM,
    WATCH_URL,
    is_channel_id,
    is_handle,
    video_hashtags,
    video_text,
)

FEED_SIZE = 15  # the feed holds the channel's 15 latest uploads
_NS = {
    "atom": "http://www.w3.org/2005/Atom",
    "yt": "http://www.youtube.com/xml/schemas/2015",
    "media": "http://search.yahoo.com/mrss/",
}


@dataclass
class FeedResult:
    account: Account | None
    page: FeedPage
    full: bool = False  # the feed held FEED_SIZE entries: older uploads exist that it does not show


def parse_feed(body: str | bytes, *, account_id: str, crawled_at: datetime | None) -> FeedResult:
    """`feeds/videos.xml?channel_id=` (Atom) → the channel as an Account (name and URL only: the feed has no
    counts) and its latest uploads as Posts with views (`media:statistics@views`) and likes
    (`media:starRating@count`, the like count since dislikes went private). The feed has no duration and no
    comment count: format is "video" and comments None. Never raises."""
    try:
        text = body.decode("utf-8", "replace") if isinstance(body, bytes) else body
        feed = Selector(text=text or "<x/>", type="xml")
    except (ValueError, TypeError) as error:
        return FeedResult(None, FeedPage([], None, status="malformed", message=type(error).__name__))
    feed.register_namespace("atom", _NS["atom"])
    if not feed.xpath("/atom:feed", namespaces=_NS):
        return FeedResult(None, FeedPage([], None, status="malformed", message="not an Atom feed"))
    entries = feed.xpath("/atom:feed/atom:entry", namespaces=_NS)
    page = FeedPage([], None, status="ok" if entries else "end")
    for index, entry in enumerate(entries):
        post = _feed_entry(entry, account_id, crawled_at)
        if isinstance(post, str):
            page.dropped.append(f"entry {index}: {post}")
        else:
            page.posts.append(post)
    return FeedResult(_feed_account(feed, account_id, crawled_at), page, full=len(entries) >= FEED_SIZE)


def _first(node: Any, path: str) -> str:
    return (node.xpath(f"string({path})", namespaces=_NS).get() or "").strip()


def _feed_account(feed: Any, account_id: str, crawled_at: datetime | None) -> Account:
    url = _first(feed, "/atom:feed/atom:link[@rel='alternate']/@href")
    channel_id = url.rsplit("/", 1)[-1] if "/channel/" in url else ""
    # The feed-level yt:channelId lacks the "UC" prefix (the entries' do not): rebuild it from the link.
    return Account(
        platform=PLATFORM,
        account_id=account_id,
        handle=account_id if is_handle(account_id) else None,
        name=_first(feed, "/atom:feed/atom:title") or None,
        url=url or None,
        crawled_at=crawled_at,
        extra={"channel_id": channel_id if is_channel_id(channel_id) else None, "source": "feed"},
    )


def _feed_entry(entry: Any, account_id: str, crawled_at: datetime | None) -> Post | str:
    video_id = _first(entry, "yt:videoId")
    if not video_id:
        return "missing_video_id"
    created_at = parse_datetime(_first(entry, "atom:published"))
    if created_at is None:
        return "missing_published"
    title = _first(entry, "atom:title") or _first(entry, "media:group/media:title")
    description = _first(entry, "media:group/media:description")
    community = "media:group/media:community/"
    return Post(
        platform=PLATFORM,
        post_id=video_id,
        account_id=account_id,
        created_at=created_at,
        url=_first(entry, "atom:link[@rel='alternate']/@href") or WATCH_URL.format(video_id=video_id),
        text=video_text(title, description),
        format="video",  # the feed gives no duration: Shorts and past streams cannot be told apart
        media_count=1,
        likes=as_int(_first(entry, community + "media:starRating/@count")),
        comments=None,  # not in the feed
        reposts=None,
        quotes=None,
        views=as_int(_first(entry, community + "media:statistics/@views")),
        hashtags=video_hashtags(title, description),
        mentions=textutil.mentions(description),
        links=textutil.urls(description),
        crawled_at=crawled_at,
        extra={"title": title, "updated_at": _first(entry, "atom:updated") or None, "source": "feed"},
    )
