"""YouTube payloads → Account / Post / Comment items (pure, no network, never raising).

Two sources (docs/youtube.md):
- the YouTube Data API v3 with a key: `channels.list` (statistics, uploads playlist; `forHandle=` resolves
  an @handle), `playlistItems.list` over the uploads playlist (newest first, `nextPageToken`), `videos.list`
  in batches of at most 50 ids (statistics, duration, live broadcast content) and, for the comments crawl,
  `commentThreads.list` with `part=snippet,replies`;
- without a key, the public channel feed `feeds/videos.xml?channel_id=` (Atom, the 15 latest uploads with
  views and likes).

Counts that YouTube hides are None, never 0: `statistics.likeCount` is absent when the channel hides likes,
`statistics.commentCount` when comments are disabled. Fan reposts do not exist on YouTube: `reposts` and
`quotes` stay None (undefined). "short" is an approximation: a video of at most 60 s (the API does not mark
Shorts, and YouTube accepts Shorts of up to 3 minutes).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from benchmark.i18n import Message
from benchmark.items import Account, Comment, Post
from benchmark.parsers import text as textutil
from benchmark.parsers.common import (
    FeedPage,
    ProfileResult,
    as_dict,
    as_int,
    as_list,
    as_str,
    describe,
    parse_datetime,
)

PLATFORM = "youtube"
SHORT_MAX_SECONDS = 60  # an approximation: the API does not mark Shorts (which may last up to 3 minutes)
MAX_RESULTS = 50  # the API's ceiling for maxResults (playlistItems, videos ids per call)
WATCH_URL = "https://www.youtube.com/watch?v={video_id}"
CHANNEL_URL = "https://www.youtube.com/channel/{channel_id}"
_CHANNEL_ID = re.compile(r"^UC[A-Za-z0-9_-]{22}$")
# Handles: 3-30 characters of letters, digits, underscores, hyphens and periods (YouTube Help "handles").
_HANDLE = re.compile(r"^@[\w.-]{3,30}$", re.UNICODE)
_DURATION = re.compile(
    r"^P(?:(?P<weeks>\d+)W)?(?:(?P<days>\d+)D)?"
    r"(?:T(?:(?P<hours>\d+)H)?(?:(?P<minutes>\d+)M)?(?:(?P<seconds>\d+(?:\.\d+)?)S)?)?$"
)
_SECONDS = {"weeks": 604_800, "days": 86_400, "hours": 3_600, "minutes": 60, "seconds": 1}
# API error reasons (https://developers.google.com/youtube/v3/docs/errors) → account / feed status.
_QUOTA_REASONS = ("quotaExceeded", "dailyLimitExceeded", "rateLimitExceeded", "userRateLimitExceeded")
_KEY_REASONS = ("forbidden", "keyInvalid", "keyExpired", "accessNotConfigured", "ipRefererBlocked")
_GONE_REASONS = ("channelNotFound", "playlistNotFound", "videoNotFound", "notFound")
_DRIFT = (KeyError, TypeError, ValueError, AttributeError, OverflowError)


def is_channel_id(value: str) -> bool:
    """A channel id: "UC" and 22 characters of the URL-safe base64 alphabet."""
    return bool(_CHANNEL_ID.match(value or ""))


def is_handle(value: str) -> bool:
    return bool(_HANDLE.match(value or ""))


def uploads_playlist_id(channel_id: str) -> str:
    """The uploads playlist of a channel is its id with "UU" for "UC" (the feed path has no channels.list)."""
    return "UU" + channel_id[2:] if is_channel_id(channel_id) else ""


def parse_duration(value: object) -> int | None:
    """An ISO 8601 duration ("PT1M5S", "P1DT2H", "P0D" for live and upcoming streams) in whole seconds;
    junk → None."""
    text = as_str(value).strip()
    match = _DURATION.match(text)
    parts = {unit: amount for unit, amount in match.groupdict().items() if amount} if match else {}
    if not parts or text.endswith("T"):  # "P", "PT", "PT5ST"... are not durations
        return None
    return round(sum(float(amount) * _SECONDS[unit] for unit, amount in parts.items()))


# ---------------------------------------------------------------- errors


@dataclass
class ApiError:
    code: int | None
    reason: str
    message: str


def api_error(payload: object) -> ApiError | None:
    """The `{"error": {"code", "message", "errors": [{"reason", ...}]}}` body of a failed call, else None."""
    body = as_dict(payload)
    if "error" not in body:
        return None
    error = as_dict(body.get("error"))
    first = as_dict(next(iter(as_list(error.get("errors"))), {}))
    reason = as_str(first.get("reason")) or as_str(error.get("status")) or "error"
    message = _plain(as_str(error.get("message")) or as_str(first.get("message")) or reason)
    code = error.get("code") if isinstance(error.get("code"), int) else None
    return ApiError(code, reason, message)


def list_items(payload: object) -> list[Any] | None:
    """The `items` of a `*ListResponse`; [] when a list response leaves them out (channels.list for an
    unknown id answers with `pageInfo.totalResults` 0 and no `items`); None for anything else."""
    body = as_dict(payload)
    if isinstance(body.get("items"), list):
        return body["items"]
    if "items" not in body and (as_str(body.get("kind")).endswith("ListResponse") or "pageInfo" in body):
        return []
    return None


def is_quota_error(error: ApiError | None) -> bool:
    return error is not None and error.reason in _QUOTA_REASONS


def error_status(error: ApiError) -> str:
    """The account status an API error means. Quota and rate limits are "blocked" (retrying in a loop only
    burns the day's quota); a missing or refused key is "login_wall"; a vanished channel "not_found"."""
    if error.reason in _QUOTA_REASONS:
        return "blocked"
    if error.reason in _KEY_REASONS or error.code == 401 or "api key" in error.message.lower():
        return "login_wall"
    if error.reason in _GONE_REASONS or error.code == 404:
        return "not_found"
    return "malformed"


def _plain(message: str) -> str:
    """Google's messages carry HTML links ("exceeded your <a href=...>quota</a>"): keep the words."""
    return textutil.html_to_text(message) if "<" in message else message


# ---------------------------------------------------------------- channels.list


@dataclass
class ChannelResult:
    account: Account | None
    status: str  # "ok", "not_found" (no items), an error status, or "malformed"
    message: str = ""
    channel_id: str = ""
    uploads: str = ""  # the uploads playlist id (contentDetails.relatedPlaylists.uploads)
    error: ApiError | None = None

    def profile_result(self) -> ProfileResult:
        """The parser contract's view (account, status, message); the uploads playlist and channel id stay here."""
        return ProfileResult(self.account, self.status, self.message)


def parse_channel(payload: object, *, account_id: str, crawled_at: datetime | None) -> ChannelResult:
    """`channels.list?part=snippet,statistics,contentDetails` (by `id=` or `forHandle=`) → ChannelResult.

    An answer without items is how the API says the channel (or handle) does not exist: not_found.
    `account_id` is the config id (channel id or @handle) and stays the account's id; the resolved channel
    id goes to extra["channel_id"]. Subscriber counts are rounded by YouTube to three significant figures,
    and absent (None) when the channel hides them."""
    error = api_error(payload)
    if error:
        return ChannelResult(None, error_status(error), error.message, error=error)
    items = list_items(payload)
    if items is None:
        return ChannelResult(None, "malformed", f"no items list in {describe(payload)}")
    if not items:
        return ChannelResult(None, "not_found", Message("no YouTube channel {account}", account=account_id))
    channel = as_dict(items[0])
    channel_id = as_str(channel.get("id"))
    if not is_channel_id(channel_id):
        return ChannelResult(None, "malformed", "channel without a valid id")
    uploads = as_str(as_dict(as_dict(channel.get("contentDetails")).get("relatedPlaylists")).get("uploads"))
    account = _channel_account(channel, channel_id, account_id, crawled_at)
    account.extra["uploads_playlist"] = uploads or None
    return ChannelResult(account, "ok", "", channel_id, uploads or uploads_playlist_id(channel_id))


def _channel_account(channel: dict[str, Any], channel_id: str, account_id: str, crawled_at: datetime | None) -> Account:
    snippet, stats = as_dict(channel.get("snippet")), as_dict(channel.get("statistics"))
    hidden = stats.get("hiddenSubscriberCount") is True
    custom_url = as_str(snippet.get("customUrl"))
    return Account(
        platform=PLATFORM,
        account_id=account_id,
        handle=custom_url or (account_id if is_handle(account_id) else None),
        name=as_str(snippet.get("title")) or None,
        url=CHANNEL_URL.format(channel_id=channel_id),
        is_organization=None,  # YouTube exposes no brand / person signal
        verified=None,  # nor the verification badge
        description=as_str(snippet.get("description")) or None,
        followers=None if hidden else as_int(stats.get("subscriberCount")),
        following=None,  # subscriptions are private by default and not part of channels.list statistics
        posts_count=as_int(stats.get("videoCount")),
        crawled_at=crawled_at,
        extra={
            "channel_id": channel_id,
            "custom_url": custom_url or None,
            "country": as_str(snippet.get("country")) or None,
            "published_at": as_str(snippet.get("publishedAt")) or None,
            "view_count": as_int(stats.get("viewCount")),
            "hidden_subscriber_count": hidden,
            "followers_rounded": not hidden,  # three significant figures since 2019
        },
    )


# ---------------------------------------------------------------- playlistItems.list


@dataclass
class PlaylistPage:
    """One page of the uploads playlist: video ids with their publication time, newest first."""

    videos: list[tuple[str, datetime]]
    cursor: str | None  # nextPageToken
    status: str = "ok"  # "ok", "end" (empty page), an error status, "malformed"
    message: str = ""
    dropped: list[str] = field(default_factory=list)
    error: ApiError | None = None

    def oldest(self) -> datetime | None:
        return min((published for _, published in self.videos), default=None)


def parse_playlist_items(payload: object) -> PlaylistPage:
    """`playlistItems.list?part=contentDetails` → PlaylistPage. Entries without `videoPublishedAt` (private
    or deleted videos stay listed in the uploads playlist) are skipped with a reason."""
    error = api_error(payload)
    if error:
        return PlaylistPage([], None, error_status(error), error.message, error=error)
    items = list_items(payload)
    if items is None:
        return PlaylistPage([], None, "malformed", f"no items list in {describe(payload)}")
    videos: list[tuple[str, datetime]] = []
    dropped: list[str] = []
    for index, item in enumerate(items):
        details = as_dict(as_dict(item).get("contentDetails"))
        video_id = as_str(details.get("videoId"))
        published = parse_datetime(details.get("videoPublishedAt"))
        if not video_id:
            dropped.append(f"item {index}: missing_video_id")
        elif published is None:
            dropped.append(f"item {index}: unpublished_or_private")
        else:
            videos.append((video_id, published))
    cursor = as_str(as_dict(payload).get("nextPageToken")) or None
    return PlaylistPage(videos, cursor, "ok" if items else "end", dropped=dropped)


# ---------------------------------------------------------------- videos.list


@dataclass
class VideoPage(FeedPage):
    upcoming: list[str] = field(default_factory=list)  # scheduled streams: not posts yet, not errors either
    error: ApiError | None = None


def parse_videos(payload: object, *, account_id: str, crawled_at: datetime | None) -> VideoPage:
    """`videos.list?part=snippet,contentDetails,statistics,liveStreamingDetails&id=<≤50 ids>` → VideoPage.
    Upcoming streams (`liveBroadcastContent` "upcoming") are listed apart, not yielded: nobody has seen them."""
    error = api_error(payload)
    if error:
        return VideoPage([], None, status=error_status(error), message=error.message, error=error)
    items = list_items(payload)
    if items is None:
        return VideoPage([], None, status="malformed", message=f"no items list in {describe(payload)}")
    page = VideoPage([], None, status="ok" if items else "end")
    for index, video in enumerate(items):
        try:
            result = _parse_video(as_dict(video), account_id, crawled_at)
        except _DRIFT as drift:  # pragma: no cover - defensive: the coercions above do not raise
            result = type(drift).__name__
        if result == "upcoming":
            page.upcoming.append(as_str(as_dict(video).get("id")))
        elif isinstance(result, str):
            page.dropped.append(f"item {index}: {result}")
        else:
            page.posts.append(result)
    return page


def _parse_video(video: dict[str, Any], account_id: str, crawled_at: datetime | None) -> Post | str:
    video_id = as_str(video.get("id"))
    if not video_id:
        return "missing_id"
    snippet = as_dict(video.get("snippet"))
    broadcast = as_str(snippet.get("liveBroadcastContent")) or "none"
    if broadcast == "upcoming":
        return "upcoming"
    created_at = parse_datetime(snippet.get("publishedAt"))
    if created_at is None:
        return "missing_published_at"
    stats, live = as_dict(video.get("statistics")), as_dict(video.get("liveStreamingDetails"))
    duration = parse_duration(as_dict(video.get("contentDetails")).get("duration"))
    title, description = as_str(snippet.get("title")), as_str(snippet.get("description"))
    return Post(
        platform=PLATFORM,
        post_id=video_id,
        account_id=account_id,
        created_at=created_at,
        url=WATCH_URL.format(video_id=video_id),
        text=video_text(title, description),
        format=video_format(duration, broadcast, bool(live)),
        media_count=1,
        likes=as_int(stats.get("likeCount")),  # absent when the channel hides likes: None, not 0
        comments=as_int(stats.get("commentCount")),  # absent when comments are disabled
        reposts=None,  # fan reposts do not exist on YouTube: undefined, not 0
        quotes=None,
        views=as_int(stats.get("viewCount")),
        hashtags=video_hashtags(title, description),
        mentions=textutil.mentions(description),
        links=textutil.urls(description),
        crawled_at=crawled_at,
        extra=_video_extra(video, snippet, duration, broadcast, live),
    )


def video_format(duration: int | None, broadcast: str, was_live: bool) -> str:
    """The format: "live" for a stream (running, or over with `liveStreamingDetails`), "short" for at most 60 s (an
    approximation), else "video". A duration of 0 ("P0D") is a stream's, never a Short's."""
    if broadcast == "live" or was_live:
        return "live"
    if duration is not None and 0 < duration <= SHORT_MAX_SECONDS:
        return "short"
    return "video"


def video_hashtags(title: str, description: str) -> list[str]:
    """Tags of the description (else the title); "#1" is a rank in a list, not a tag (YouTube needs a letter)."""
    tags = textutil.hashtags(description) or textutil.hashtags(title)
    return [tag for tag in tags if not tag.isdigit()]


def video_text(title: str, description: str) -> str:
    return f"{title}\n\n{description}".strip() if description else title


def _video_extra(
    video: dict[str, Any], snippet: dict[str, Any], duration: int | None, broadcast: str, live: dict[str, Any]
) -> dict[str, Any]:
    extra: dict[str, Any] = {
        "title": as_str(snippet.get("title")),
        "duration_seconds": duration,
        "live_broadcast_content": broadcast,
        "category_id": as_str(snippet.get("categoryId")) or None,
        "tags": [tag for tag in as_list(snippet.get("tags")) if isinstance(tag, str)],
        "language": as_str(snippet.get("defaultAudioLanguage")) or as_str(snippet.get("defaultLanguage")) or None,
        "likes_hidden": "likeCount" not in as_dict(video.get("statistics")),
        "comments_disabled": "commentCount" not in as_dict(video.get("statistics")),
    }
    if live:
        extra["live"] = {
            key: as_str(live.get(key)) or None for key in ("scheduledStartTime", "actualStartTime", "actualEndTime")
        }
    return extra


# ---------------------------------------------------------------- commentThreads.list


@dataclass
class CommentPage:
    comments: list[Comment]
    cursor: str | None
    status: str = "ok"  # "ok", "disabled" (comments turned off), an error status, "malformed"
    message: str = ""
    dropped: list[str] = field(default_factory=list)
    error: ApiError | None = None


def parse_comment_threads(
    payload: object, *, post_id: str, channel_id: str, post_author_id: str, crawled_at: datetime | None
) -> CommentPage:
    """`commentThreads.list?part=snippet,replies&videoId=` → top-level comments followed by their replies.

    The channel's own answers are recognised by `authorChannelId.value == channel_id`: they carry the panel
    account's id (`post_author_id`) and is_by_post_author. Other authors keep their channel id (pseudonymised
    by the store like every fan id). A thread holds at most the replies the API chose to inline
    (`totalReplyCount` says how many there are: extra["replies"])."""
    error = api_error(payload)
    if error:
        status = "disabled" if error.reason == "commentsDisabled" else error_status(error)
        return CommentPage([], None, status, error.message, error=error)
    items = list_items(payload)
    if items is None:
        return CommentPage([], None, "malformed", f"no items list in {describe(payload)}")
    page = CommentPage([], as_str(as_dict(payload).get("nextPageToken")) or None)
    owner = _Owner(channel_id, post_author_id, post_id, crawled_at)
    for index, thread in enumerate(items):
        snippet = as_dict(as_dict(thread).get("snippet"))
        top = _comment(as_dict(snippet.get("topLevelComment")), None, owner)
        if isinstance(top, str):
            page.dropped.append(f"thread {index}: {top}")
            continue
        top.extra["replies"] = as_int(snippet.get("totalReplyCount"))
        page.comments.append(top)
        for position, reply in enumerate(as_list(as_dict(as_dict(thread).get("replies")).get("comments"))):
            parsed = _comment(as_dict(reply), top.comment_id, owner)
            if isinstance(parsed, str):
                page.dropped.append(f"thread {index} reply {position}: {parsed}")
            else:
                page.comments.append(parsed)
    return page


@dataclass
class _Owner:
    channel_id: str
    account_id: str
    post_id: str
    crawled_at: datetime | None


def _comment(comment: dict[str, Any], parent_id: str | None, owner: _Owner) -> Comment | str:
    comment_id = as_str(comment.get("id"))
    if not comment_id:
        return "missing_id"
    snippet = as_dict(comment.get("snippet"))
    created_at = parse_datetime(snippet.get("publishedAt"))
    if created_at is None:
        return "missing_published_at"
    author = as_str(as_dict(snippet.get("authorChannelId")).get("value"))
    own = bool(author) and author == owner.channel_id
    return Comment(
        platform=PLATFORM,
        comment_id=comment_id,
        post_id=owner.post_id,
        author_id=owner.account_id if own else (author or None),
        author_name=as_str(snippet.get("authorDisplayName")) or None,
        # The API gives no organisation signal for a comment's author: any other channel counts as a fan's.
        author_is_organization=False,
        created_at=created_at,
        text=as_str(snippet.get("textOriginal")) or textutil.html_to_text(as_str(snippet.get("textDisplay"))),
        parent_comment_id=parent_id,
        is_by_post_author=own,
        likes=as_int(snippet.get("likeCount")),
        crawled_at=owner.crawled_at,
        extra={"updated_at": as_str(snippet.get("updatedAt")) or None},
    )
