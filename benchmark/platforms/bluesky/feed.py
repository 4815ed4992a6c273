"""`app.bsky.feed.getAuthorFeed` → the account's posts (reposts, replies, quotes, pins) under the FeedPage
contract. Pure functions.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from benchmark.items import Post
from benchmark.parsers import text as textutil
from benchmark.parsers.common import (
    FeedPage,
    as_dict,
    as_int,
    as_list,
    as_str,
    describe,
    parse_datetime,
    unique,
)
from benchmark.platforms.bluesky.fields import (
    PLATFORM,
    POST_COLLECTION,
    QUOTED_POST_TYPES,
    REASON_PIN,
    REASON_REPOST,
    author_signals,
    error_status,
    facet_values,
    format_of,
    post_time,
    profile_url,
    split_at_uri,
)

# ---------------------------------------------------------------- author feed


@dataclass
class _FeedContext:
    account_id: str
    owner_did: str | None
    crawled_at: datetime | None
    pinned_uri: str | None


def parse_author_feed(
    payload: object,
    *,
    account_id: str,
    crawled_at: datetime | None,
    owner_did: str | None = None,
    pinned_uri: str | None = None,
) -> FeedPage:
    """`getAuthorFeed` → FeedPage. `account_id` is the config id (handle or DID) and becomes Post.account_id.
    `owner_did` (from getProfile) makes self-reposts/self-replies exact; without it the DID is taken from
    the page. `pinned_uri` (getProfile `pinnedPost.uri`) marks the pinned post when `includePins` was off."""
    body = as_dict(payload)
    if "error" in body:
        status, message = error_status(body)
        return FeedPage([], None, status=status, message=message)
    feed = body.get("feed")
    if not isinstance(feed, list):
        return FeedPage([], None, status="malformed", message=f"no feed list in {describe(payload)}")
    context = _FeedContext(account_id, owner_did or _owner_did(feed, account_id), crawled_at, pinned_uri)
    posts, dropped = _parse_items(feed, context)
    cursor = as_str(body.get("cursor")) or None
    status = "ok" if posts or dropped else "end"
    return FeedPage(posts, cursor, status=status, dropped=dropped, ref_authors=_ref_authors(posts, context))


def is_last_page(payload: object, limit: int) -> bool:
    """True when a `getAuthorFeed` page holds fewer timeline items than `limit`: nothing older is left. The App
    View returns a `cursor` even then (asking it costs one empty page per account). The pinned post that
    `includePins` puts on top of the first page is not a timeline item and does not count."""
    feed = as_list(as_dict(payload).get("feed"))
    timeline = [item for item in feed if as_dict(as_dict(item).get("reason")).get("$type") != REASON_PIN]
    return len(timeline) < limit


def _parse_items(feed: list[Any], context: _FeedContext) -> tuple[list[Post], list[str]]:
    """Parse every item; a post seen twice (pinned copy + timeline copy) is kept once, marked pinned."""
    by_id: dict[str, Post] = {}
    dropped: list[str] = []
    for index, item in enumerate(feed):
        try:
            result = _parse_item(as_dict(item), context)
        except (KeyError, TypeError, ValueError, AttributeError, OverflowError) as error:  # drift: skip
            result = f"item {index}: {type(error).__name__}"
        if isinstance(result, str):
            dropped.append(result if result.startswith("item ") else f"item {index}: {result}")
        elif result.post_id in by_id:
            by_id[result.post_id].pinned = by_id[result.post_id].pinned or result.pinned
        else:
            by_id[result.post_id] = result
    return list(by_id.values()), dropped


def _owner_did(feed: list[Any], account_id: str) -> str | None:
    """The feed owner's DID: given as the id, or the reposter of a repost, or the author named by handle."""
    if account_id.startswith("did:"):
        return account_id
    for item in feed:
        reason = as_dict(as_dict(item).get("reason"))
        if reason.get("$type") == REASON_REPOST:
            did = as_str(as_dict(reason.get("by")).get("did"))
            if did:
                return did
        author = as_dict(as_dict(as_dict(item).get("post")).get("author"))
        if as_str(author.get("handle")).lower() == account_id.lower().lstrip("@"):
            return as_str(author.get("did")) or None
    return None


def _parse_item(item: dict[str, Any], context: _FeedContext) -> Post | str:
    post = as_dict(item.get("post"))
    if not post:
        return "missing_post"
    uri = as_str(post.get("uri"))
    did, _collection, rkey = split_at_uri(uri)
    if not did or not rkey:
        return "missing_uri"
    author = as_dict(post.get("author"))
    record = as_dict(post.get("record"))
    reason = as_dict(item.get("reason"))
    created_at = post_time(record, post)
    if created_at is None:
        return "missing_created_at"
    result = _base_post(post, record, author, context, created_at, did, rkey)
    if reason.get("$type") == REASON_REPOST:
        return _as_repost(result, reason, author, post, context)
    _set_reply(result, item, record, as_str(author.get("did")) or did, context)
    _set_quote(result, as_dict(post.get("embed")), context)
    result.pinned = reason.get("$type") == REASON_PIN or (bool(context.pinned_uri) and uri == context.pinned_uri)
    return result


def _base_post(
    post: dict[str, Any],
    record: dict[str, Any],
    author: dict[str, Any],
    context: _FeedContext,
    created_at: datetime,
    did: str,
    rkey: str,
) -> Post:
    body = as_str(record.get("text"))
    embed = as_dict(post.get("embed")) or as_dict(record.get("embed"))
    post_format, media_count, embed_extra = format_of(embed)
    embed_links = embed_extra.pop("links", [])
    return Post(
        platform=PLATFORM,
        post_id=as_str(post.get("uri")),
        account_id=context.account_id,
        created_at=created_at,
        url=f"{profile_url(as_str(author.get('handle')), did)}/post/{rkey}",
        text=body,
        format=post_format,
        media_count=media_count,
        likes=as_int(post.get("likeCount")),
        comments=as_int(post.get("replyCount")),
        reposts=as_int(post.get("repostCount")),
        quotes=as_int(post.get("quoteCount")),
        hashtags=unique([*facet_values(record, "tag"), *textutil.hashtags(body)]),
        mentions=textutil.mentions(body),
        links=unique([*facet_values(record, "uri"), *embed_links]),
        crawled_at=context.crawled_at,
        extra={
            "uri": as_str(post.get("uri")),
            "cid": as_str(post.get("cid")),
            "langs": [lang for lang in as_list(record.get("langs")) if isinstance(lang, str)],
            "bookmarks": as_int(post.get("bookmarkCount")),
            **embed_extra,
        },
    )


def _as_repost(
    result: Post, reason: dict[str, Any], author: dict[str, Any], post: dict[str, Any], context: _FeedContext
) -> Post | str:
    """A repost shows the original post; the repost record itself has no text and no engagement of its own,
    so counts are None (the original's counts go to extra["ref_counts"])."""
    reposted_at = parse_datetime(reason.get("indexedAt"))
    if reposted_at is None:
        return "missing_repost_time"
    by_did = as_str(as_dict(reason.get("by")).get("did")) or context.owner_did or context.account_id
    original_uri = result.post_id
    result.post_id = as_str(reason.get("uri")) or f"{original_uri}#repost-by-{by_did}"
    result.kind = "repost"
    result.created_at = reposted_at
    result.extra["ref_counts"] = {
        "likes": result.likes,
        "comments": result.comments,
        "reposts": result.reposts,
        "quotes": result.quotes,
    }
    result.likes = result.comments = result.reposts = result.quotes = None
    result.ref_post_id = original_uri
    _set_ref_author(result, author, context)
    if result.extra.get("ref_author_opted_out"):
        result.text, result.hashtags, result.mentions, result.links = "", [], [], []
    return result


def _set_reply(
    result: Post, item: dict[str, Any], record: dict[str, Any], author_did: str, context: _FeedContext
) -> None:
    """A reply to someone else is kind "reply"; a reply to oneself continues a thread and stays "original"
    (extra["self_reply"]), as on Mastodon and Telegram."""
    pointer = as_dict(record.get("reply"))
    if not pointer:
        return
    parent_uri = as_str(as_dict(pointer.get("parent")).get("uri"))
    parent_view_author = as_dict(as_dict(as_dict(item.get("reply")).get("parent")).get("author"))
    parent_did = as_str(parent_view_author.get("did")) or split_at_uri(parent_uri)[0]
    result.extra["reply_to_post_id"] = parent_uri or None
    if not parent_did:
        result.kind = "reply"  # parent unknown (deleted / blocked): still a reply, to an unknown author
        return
    if parent_did in (author_did, context.owner_did):
        result.reply_to_author_id = context.account_id
        result.extra["self_reply"] = True
        return
    result.kind = "reply"
    result.reply_to_author_id = parent_did
    result.extra["reply_to_handle"] = as_str(parent_view_author.get("handle")) or None


def _set_quote(result: Post, embed: dict[str, Any], context: _FeedContext) -> None:
    """A record embed of a post is a quote. A reply that quotes stays a reply but keeps the ref_* fields."""
    quoted = _quoted_record(embed)
    if not quoted:
        return
    uri = as_str(quoted.get("uri"))
    result.ref_post_id = uri or None
    author = as_dict(quoted.get("author"))
    if not author:  # not found / blocked / detached: the author is only known by the DID in the uri
        author = {"did": split_at_uri(uri)[0]}
        result.extra["quoted_state"] = as_str(quoted.get("$type")).rsplit("#", 1)[-1]
    if author.get("did"):
        _set_ref_author(result, author, context)
    if result.kind == "original":
        result.kind = "quote"


def _quoted_record(embed: dict[str, Any]) -> dict[str, Any]:
    """The quoted post view of a record / recordWithMedia embed, or {} (also for feeds, lists, packs)."""
    embed_type = as_str(embed.get("$type")).removesuffix("#view")
    if embed_type == "app.bsky.embed.record":
        record = as_dict(embed.get("record"))
    elif embed_type == "app.bsky.embed.recordWithMedia":
        record = as_dict(as_dict(embed.get("record")).get("record"))
    else:
        return {}
    if record.get("$type") in QUOTED_POST_TYPES:
        return record
    if not record.get("$type") and split_at_uri(as_str(record.get("uri")))[1] == POST_COLLECTION:
        return record  # raw (non-view) record embed: only a strong ref {uri, cid}
    return {}


def _set_ref_author(result: Post, author: dict[str, Any], context: _FeedContext) -> None:
    did = as_str(author.get("did"))
    if did and did == context.owner_did:
        result.ref_author_id = context.account_id  # self-repost / self-quote: same id as the panel account
        return
    signals = author_signals(author)
    result.ref_author_id = did or None
    result.extra["ref_author_handle"] = as_str(author.get("handle")) or None
    result.ref_author_name = as_str(author.get("displayName")) or as_str(author.get("handle")) or None
    # Inline signals can only prove "organization"; "person" needs getProfiles (followers), so None here.
    result.ref_author_is_organization = True if signals["is_organization"] else None
    if signals["opted_out"]:
        result.ref_author_name = None
        result.extra["ref_author_handle"] = None
        result.extra["ref_author_opted_out"] = True


def _ref_authors(posts: list[Post], context: _FeedContext) -> list[str]:
    """DIDs of other authors whose posts were reposted or quoted, for one getProfiles batch."""
    return unique(
        post.ref_author_id
        for post in posts
        if post.ref_author_id and post.ref_author_id.startswith("did:") and post.ref_author_id != context.owner_did
    )
