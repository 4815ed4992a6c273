"""YouTube payloads for the sample panel: the Data API v3, strict like the real one, and the public channel feed.

Routes (below the /youtube prefix; API paths also under /youtube/v3, as https://www.googleapis.com/youtube/v3):
  /channels?part=..&id=UC.. | &forHandle=@name        → channelListResponse (no `items` for an unknown channel)
  /playlistItems?part=contentDetails&playlistId=UU..[&maxResults=≤50][&pageToken=..]
  /videos?part=..&id=<at most 50 comma-separated ids>
  /commentThreads?part=snippet,replies&videoId=..[&maxResults=≤100][&pageToken=..]
  /feeds/videos.xml?channel_id=UC..                    → Atom, the 15 latest uploads (404 for an unknown channel)

Strict like the real API (`admit`, called by the server before routing): an API call needs a key shaped like a
Google API key (`AIza` + 35 characters) in the X-Goog-Api-Key header or the `key` parameter, else 403
`forbidden` (no key) or 400 `badRequest` (a malformed key). `maxResults` above the method's ceiling, more than
50 video ids and a `pageToken` the server did not issue are 400 errors. Account behaviours: `not_found`
(channels.list answers without items), `quota_exceeded` (true, or N: every, or the first N, API calls about the
account answer 403 `quotaExceeded`), `hidden_likes`, `comments_disabled` (no likeCount / commentCount;
commentThreads answers 403 `commentsDisabled`), `upcoming_stream` (a scheduled stream on top of the uploads).

Counted on /__strict: `youtube:units` (quota units spent, 1 per list call), `youtube:no_key`, `youtube:bad_key`,
`youtube:key_in_url` (the key as a URL parameter: it would reach logs), `youtube:key_elsewhere` (a key sent to
the feed host), `youtube:quota`. Error bodies follow https://developers.google.com/youtube/v3/docs/errors;
the reasons of the cap errors (maxResults, id count) are our approximation, the others are documented.
"""

from __future__ import annotations

import base64
import hashlib
import re
from datetime import datetime, timedelta
from typing import Any
from xml.sax.saxutils import escape, quoteattr

from benchmark.sample import Reply, first, json_reply
from benchmark.sample.panel import UTC, SampleAccount, SampleComment, SamplePost, comments_for

PLATFORM = "youtube"
FEED_SIZE = 15
MAX_RESULTS = 50
MAX_THREADS = 100
ATOM_TYPE = "text/xml; charset=UTF-8"
_KEY = re.compile(r"^AIza[0-9A-Za-z_-]{35}$")
_API_PATHS = ("/channels", "/playlistItems", "/videos", "/commentThreads")


def iso(moment: datetime) -> str:
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def _digest(*parts: object) -> bytes:
    return hashlib.sha256("|".join(map(str, parts)).encode()).digest()


def _api_path(path: str) -> str:
    return path[3:] if path.startswith("/v3/") else path


# ------------------------------------------------------------------------------------- strictness


def api_error(status: int, reason: str, message: str, domain: str = "youtube.parameter") -> Reply:
    """The error body of https://developers.google.com/youtube/v3/docs/errors."""
    error = {"code": status, "message": message, "errors": [{"message": message, "domain": domain, "reason": reason}]}
    return json_reply({"error": error}, status=status)


def admit(site: Any, path: str, query: dict[str, list[str]], headers: dict[str, str]) -> Reply | None:
    """Refuse what the real API refuses before routing: no key, a malformed key. The feed takes no key."""
    header_key, url_key = headers.get("x-goog-api-key", ""), first(query, "key") or ""
    if path.startswith("/feeds/"):
        if header_key or url_key:
            site.count("youtube:key_elsewhere")
        return None
    if _api_path(path) not in _API_PATHS:
        return None
    if url_key:
        site.count("youtube:key_in_url")
    key = header_key or url_key
    if not key:
        site.count("youtube:no_key")
        return api_error(403, "forbidden", "The request is missing a valid API key.", "global")
    if not _KEY.match(key):
        site.count("youtube:bad_key")
        return api_error(400, "badRequest", "API key not valid. Please pass a valid API key.", "global")
    site.count("youtube:units")  # every list call costs 1 unit, answered or refused by the quota
    return None


def _quota(site: Any, account: SampleAccount) -> Reply | None:
    value = account.behaviour.get("quota_exceeded")
    if not value or (value is not True and site.hit(PLATFORM, account.id, "quota") > int(value)):
        return None
    site.count("youtube:quota")
    message = ('The request cannot be completed because you have exceeded your '
               '<a href="/youtube/v3/getting-started#quota">quota</a>.')
    return api_error(403, "quotaExceeded", message, "youtube.quota")


def _max_results(query: dict[str, list[str]], default: int, ceiling: int) -> int | Reply:
    raw = first(query, "maxResults")
    if raw is None:
        return default
    if not raw.isdigit() or not 0 <= int(raw) <= ceiling:
        return api_error(400, "invalidParameter", f"Invalid value '{raw}'. Values must be within the range: "
                                                  f"[0, {ceiling}]")
    return int(raw)


def page_token(site: Any, scope: str, offset: int) -> str:
    """A token only this server issues: the offset and a digest of (panel seed, scope, offset)."""
    mac = _digest(site.panel.seed, "token", scope, offset)[:6].hex()
    return base64.urlsafe_b64encode(f"{offset}:{mac}".encode()).decode().rstrip("=")


def _offset(site: Any, scope: str, query: dict[str, list[str]]) -> int | Reply:
    token = first(query, "pageToken")
    if not token:
        return 0
    try:
        offset = int(base64.urlsafe_b64decode(token + "=" * (-len(token) % 4)).decode().split(":")[0])
    except (ValueError, UnicodeDecodeError):
        offset = -1
    if offset < 0 or page_token(site, scope, offset) != token:
        return api_error(400, "invalidPageToken", "The request specifies an invalid page token.")
    return offset


def _page_window(site: Any, account: SampleAccount, scope: str, query: dict[str, list[str]], default: int,
                 ceiling: int) -> tuple[int, int] | Reply:
    """(maxResults, offset) of a paged list call, or the API's error: a bad maxResults or pageToken first,
    then the account's quota."""
    limit = _max_results(query, default, ceiling)
    offset = _offset(site, scope, query)
    if isinstance(limit, Reply):
        return limit
    if isinstance(offset, Reply):
        return offset
    if (refused := _quota(site, account)) is not None:
        return refused
    return limit, offset


# ------------------------------------------------------------------------------------- shapes


def channel_id_of(author_id: str) -> str:
    """A fan's channel id (the panel keeps fans' names as ids): "UC" + 22 deterministic characters."""
    return "UC" + base64.urlsafe_b64encode(_digest("fan", author_id)).decode()[:22]


def uploads_of(account: SampleAccount) -> str:
    return "UU" + account.internal_id[2:]


def handle_of(account: SampleAccount) -> str:
    return account.id.lower() if account.id.startswith("@") else "@" + account.brand.replace("_", "")


def video_seconds(post: SamplePost) -> int:
    """The length of a sample video: a stream lasts 40-120 min; about a third of the videos are Shorts
    (15-60 s); the rest 2-25 min. Deterministic by video id, so tests know the truth."""
    roll = _digest("duration", post.id)
    if post.format == "live":
        return 2400 + roll[1] * 19
    if roll[0] % 3 == 0:
        return 15 + roll[1] % 46
    return 120 + (roll[1] * 256 + roll[2]) % 1380


def _duration(seconds: int) -> str:
    hours, rest = divmod(seconds, 3600)
    minutes, secs = divmod(rest, 60)
    return "PT" + (f"{hours}H" if hours else "") + (f"{minutes}M" if minutes else "") + (f"{secs}S" if secs else "")


def _title(post: SamplePost) -> str:
    line = (post.text.strip().splitlines() or ["Video"])[0]
    return line[:100]


def channel_json(account: SampleAccount, site: Any) -> dict[str, Any]:
    posts = site.panel.posts(PLATFORM, account.id)
    rounded = int(float(f"{account.followers:.3g}"))  # subscriber counts show three significant figures
    hidden = bool(account.behaviour.get("hidden_subscribers"))
    statistics = {"viewCount": str(sum(p.views or 0 for p in posts)), "subscriberCount": "0" if hidden else
                  str(rounded), "hiddenSubscriberCount": hidden, "videoCount": str(account.statuses_count)}
    return {"kind": "youtube#channel", "etag": _etag("channel", account.id), "id": account.internal_id,
            "snippet": {"title": account.name, "description": account.description, "customUrl": handle_of(account),
                        "publishedAt": iso(account.created_at), "country": "CN" if account.language == "zh" else "US"},
            "contentDetails": {"relatedPlaylists": {"likes": "", "uploads": uploads_of(account)}},
            "statistics": statistics}


def _etag(*parts: object) -> str:
    return base64.urlsafe_b64encode(_digest("etag", *parts)).decode()[:27]


def video_json(account: SampleAccount, post: SamplePost, anchor: datetime) -> dict[str, Any]:
    seconds = video_seconds(post)
    live_now = post.format == "live" and post.created_at + timedelta(seconds=seconds) > anchor.astimezone(UTC)
    statistics = {"viewCount": str(post.views or 0), "likeCount": str(post.likes), "favoriteCount": "0",
                  "commentCount": str(post.comments)}
    if account.behaviour.get("hidden_likes"):
        del statistics["likeCount"]
    if account.behaviour.get("comments_disabled"):
        del statistics["commentCount"]
    video: dict[str, Any] = {
        "kind": "youtube#video", "etag": _etag("video", post.id), "id": post.id,
        "snippet": {"publishedAt": iso(post.created_at), "channelId": account.internal_id, "title": _title(post),
                    "description": post.text, "channelTitle": account.name, "categoryId": "22",
                    "liveBroadcastContent": "live" if live_now else "none",
                    "defaultAudioLanguage": account.language},
        "contentDetails": {"duration": "P0D" if live_now else _duration(seconds), "dimension": "2d",
                           "definition": "hd", "caption": "false", "licensedContent": False},
        "statistics": statistics,
    }
    if post.format == "live":
        details = {"scheduledStartTime": iso(post.created_at), "actualStartTime": iso(post.created_at)}
        if not live_now:
            details["actualEndTime"] = iso(post.created_at + timedelta(seconds=seconds))
        video["liveStreamingDetails"] = details
    return video


def upcoming_post(account: SampleAccount, anchor: datetime) -> SamplePost:
    """The scheduled stream of `upcoming_stream`: listed on top of the uploads, not a post yet."""
    video_id = base64.urlsafe_b64encode(_digest("upcoming", account.id)).decode()[:11]
    return SamplePost(id=video_id, created_at=(anchor - timedelta(hours=1)).astimezone(UTC),
                      text="Live next week: ask us anything", format="live", extra={"upcoming": True})


def _upcoming_json(account: SampleAccount, post: SamplePost, anchor: datetime) -> dict[str, Any]:
    video = video_json(account, post, anchor)
    video["snippet"]["liveBroadcastContent"] = "upcoming"
    video["contentDetails"]["duration"] = "P0D"
    video["statistics"] = {"viewCount": "0", "favoriteCount": "0"}
    video["liveStreamingDetails"] = {"scheduledStartTime": iso(anchor + timedelta(days=3))}
    return video


# ------------------------------------------------------------------------------------- index and routes


def index_posts(panel: Any) -> dict[str, dict[str, Any]]:
    """Channels by id and by lower-cased handle, uploads playlists, and videos by id (upcoming ones too)."""
    channels, handles, uploads, listings, videos = {}, {}, {}, {}, {}
    for account in panel.accounts:
        if account.platform != PLATFORM:
            continue
        channels[account.internal_id] = account
        handles[handle_of(account)] = account
        uploads[uploads_of(account)] = account
        listed = list(panel.posts(PLATFORM, account.id))
        if account.behaviour.get("upcoming_stream"):
            listed.insert(0, upcoming_post(account, panel.anchor))
        for post in listed:
            videos[post.id] = (account, post)
        listings[account.internal_id] = listed  # the uploads, newest first
    return {"channels": channels, "handles": handles, "uploads": uploads, "listings": listings, "videos": videos}


def route(site: Any, path: str, query: dict[str, list[str]], base: str) -> Reply | None:
    if path == "/feeds/videos.xml":
        return feed(site, first(query, "channel_id") or "")
    handler = {"/channels": channels, "/playlistItems": playlist_items, "/videos": videos,
               "/commentThreads": comment_threads}.get(_api_path(path))
    return handler(site, query) if handler else None


def _usable(account: SampleAccount | None) -> SampleAccount | None:
    return None if account is None or account.behaviour.get("not_found") else account


def channels(site: Any, query: dict[str, list[str]]) -> Reply:
    index = site.index(PLATFORM)
    handle = (first(query, "forHandle") or "").strip().lower()
    if handle:
        account = index["handles"].get(handle if handle.startswith("@") else "@" + handle)
    else:
        account = index["channels"].get(first(query, "id") or "")
    account = _usable(account)
    if account is not None and (refused := _quota(site, account)) is not None:
        return refused
    body: dict[str, Any] = {"kind": "youtube#channelListResponse", "etag": _etag("channels", handle or query),
                            "pageInfo": {"totalResults": 1 if account else 0, "resultsPerPage": 5}}
    if account is not None:  # an unknown channel: no `items` at all
        body["items"] = [channel_json(account, site)]
    return json_reply(body)


def playlist_items(site: Any, query: dict[str, list[str]]) -> Reply:
    index = site.index(PLATFORM)
    playlist = first(query, "playlistId") or ""
    account = _usable(index["uploads"].get(playlist))
    if account is None:
        return api_error(404, "playlistNotFound", "The playlist identified with the request's playlistId "
                                                  "parameter cannot be found.", "youtube.playlistItem")
    window = _page_window(site, account, playlist, query, 5, MAX_RESULTS)
    if isinstance(window, Reply):
        return window
    limit, offset = window
    listed = index["listings"][account.internal_id]
    page = listed[offset:offset + limit]
    body: dict[str, Any] = {"kind": "youtube#playlistItemListResponse", "etag": _etag("pl", playlist, offset),
                            "pageInfo": {"totalResults": len(listed), "resultsPerPage": limit},
                            "items": [_playlist_item(account, post, offset + i) for i, post in enumerate(page)]}
    if offset + limit < len(listed):
        body["nextPageToken"] = page_token(site, playlist, offset + limit)
    return json_reply(body)


def _playlist_item(account: SampleAccount, post: SamplePost, position: int) -> dict[str, Any]:
    return {"kind": "youtube#playlistItem", "etag": _etag("pli", post.id),
            "id": base64.urlsafe_b64encode(_digest("pli", post.id)).decode()[:40],
            "snippet": {"publishedAt": iso(post.created_at), "channelId": account.internal_id,
                        "title": _title(post), "playlistId": uploads_of(account), "position": position,
                        "resourceId": {"kind": "youtube#video", "videoId": post.id}},
            "contentDetails": {"videoId": post.id, "videoPublishedAt": iso(post.created_at)}}


def videos(site: Any, query: dict[str, list[str]]) -> Reply:
    ids = [video_id for video_id in (first(query, "id") or "").split(",") if video_id]
    if len(ids) > MAX_RESULTS:
        return api_error(400, "invalidParameter", "The request specifies more than 50 video ids.")
    found = [site.index(PLATFORM)["videos"].get(video_id) for video_id in ids]
    known = [(account, post) for account, post in filter(None, found) if _usable(account)]
    if known and (refused := _quota(site, known[0][0])) is not None:
        return refused
    items = [_upcoming_json(account, post, site.panel.anchor) if post.extra.get("upcoming")
             else video_json(account, post, site.panel.anchor) for account, post in known]
    return json_reply({"kind": "youtube#videoListResponse", "etag": _etag("videos", *ids),
                       "pageInfo": {"totalResults": len(items), "resultsPerPage": len(items)}, "items": items})


def comment_threads(site: Any, query: dict[str, list[str]]) -> Reply:
    video_id = first(query, "videoId") or ""
    found = site.index(PLATFORM)["videos"].get(video_id)
    if found is None or _usable(found[0]) is None:
        return api_error(404, "videoNotFound", "The video identified by the videoId parameter could not be found.",
                         "youtube.commentThread")
    account, post = found
    window = _page_window(site, account, video_id, query, 20, MAX_THREADS)
    if isinstance(window, Reply):
        return window
    limit, offset = window
    if account.behaviour.get("comments_disabled"):
        return api_error(403, "commentsDisabled", "The video identified by the videoId parameter has disabled "
                                                  "comments.", "youtube.commentThread")
    threads = comments_for(site.panel, account, post)
    page = threads[offset:offset + limit]
    body: dict[str, Any] = {"kind": "youtube#commentThreadListResponse", "etag": _etag("ct", video_id, offset),
                            "pageInfo": {"totalResults": len(page), "resultsPerPage": limit},
                            "items": [_thread(account, video_id, comment) for comment in page]}
    if offset + limit < len(threads):
        body["nextPageToken"] = page_token(site, video_id, offset + limit)
    return json_reply(body)


def _thread(account: SampleAccount, video_id: str, comment: SampleComment) -> dict[str, Any]:
    thread: dict[str, Any] = {
        "kind": "youtube#commentThread", "etag": _etag("thread", comment.id), "id": comment.id,
        "snippet": {"channelId": account.internal_id, "videoId": video_id,
                    "topLevelComment": _comment(account, comment, None), "canReply": True,
                    "totalReplyCount": len(comment.replies), "isPublic": True}}
    if comment.replies:
        thread["replies"] = {"comments": [_comment(account, reply, comment.id) for reply in comment.replies]}
    return thread


def _comment(account: SampleAccount, comment: SampleComment, parent: str | None) -> dict[str, Any]:
    author = account.internal_id if comment.by_account else channel_id_of(comment.author.id)
    snippet = {"authorDisplayName": account.name if comment.by_account else comment.author.name,
               "authorChannelUrl": f"http://www.youtube.com/channel/{author}", "authorChannelId": {"value": author},
               "channelId": account.internal_id, "textDisplay": escape(comment.text), "textOriginal": comment.text,
               "canRate": True, "viewerRating": "none", "likeCount": comment.likes,
               "publishedAt": iso(comment.created_at), "updatedAt": iso(comment.created_at)}
    if parent:
        snippet["parentId"] = parent
    return {"kind": "youtube#comment", "etag": _etag("comment", comment.id),
            "id": f"{parent}.{comment.id}" if parent else comment.id, "snippet": snippet}


# ------------------------------------------------------------------------------------- the public feed


def feed(site: Any, channel_id: str) -> Reply:
    account = _usable(site.index(PLATFORM)["channels"].get(channel_id))
    if account is None:
        return Reply(404, b"", "text/html; charset=utf-8")
    return site.cached((PLATFORM, "feed", channel_id), lambda: Reply(200, feed_xml(site, account), ATOM_TYPE))


def feed_xml(site: Any, account: SampleAccount) -> bytes:
    """The Atom feed as youtube.com serves it (shape of tests/fixtures/youtube/capyreader_atom-feed-youtube.xml):
    the feed-level yt:channelId lacks its "UC" prefix, entries carry views and the like count (starRating)."""
    channel = account.internal_id
    url = f"https://www.youtube.com/channel/{channel}"
    posts = site.panel.posts(PLATFORM, account.id)[:FEED_SIZE]
    head = (f'<?xml version="1.0" encoding="UTF-8"?>\n<feed xmlns:yt="http://www.youtube.com/xml/schemas/2015" '
            f'xmlns:media="http://search.yahoo.com/mrss/" xmlns="http://www.w3.org/2005/Atom">\n'
            f' <link rel="self" href="http://www.youtube.com/feeds/videos.xml?channel_id={channel}"/>\n'
            f' <id>yt:channel:{channel[2:]}</id>\n <yt:channelId>{channel[2:]}</yt:channelId>\n'
            f' <title>{escape(account.name)}</title>\n <link rel="alternate" href="{url}"/>\n'
            f' <author>\n  <name>{escape(account.name)}</name>\n  <uri>{url}</uri>\n </author>\n'
            f' <published>{account.created_at.astimezone(UTC).isoformat()}</published>\n')
    entries = "".join(_entry(account, post, url) for post in posts)
    return (head + entries + "</feed>\n").encode("utf-8")


def _entry(account: SampleAccount, post: SamplePost, channel_url: str) -> str:
    title = escape(_title(post))
    rating = "" if account.behaviour.get("hidden_likes") else (
        f'    <media:starRating count="{post.likes}" average="5.00" min="1" max="5"/>\n')
    return (f' <entry>\n  <id>yt:video:{post.id}</id>\n  <yt:videoId>{post.id}</yt:videoId>\n'
            f'  <yt:channelId>{account.internal_id}</yt:channelId>\n  <title>{title}</title>\n'
            f'  <link rel="alternate" href="https://www.youtube.com/watch?v={post.id}"/>\n'
            f'  <author>\n   <name>{escape(account.name)}</name>\n   <uri>{channel_url}</uri>\n  </author>\n'
            f'  <published>{post.created_at.astimezone(UTC).isoformat()}</published>\n'
            f'  <updated>{post.created_at.astimezone(UTC).isoformat()}</updated>\n'
            f'  <media:group>\n   <media:title>{title}</media:title>\n'
            f'   <media:content url={quoteattr(f"https://www.youtube.com/v/{post.id}?version=3")} '
            f'type="application/x-shockwave-flash" width="640" height="390"/>\n'
            f'   <media:description>{escape(post.text)}</media:description>\n'
            f'   <media:community>\n{rating}    <media:statistics views="{post.views or 0}"/>\n'
            f'   </media:community>\n  </media:group>\n </entry>\n')
