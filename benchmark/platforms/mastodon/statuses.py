"""`GET /api/v1/accounts/:id/statuses` → the account's posts (reblogs, replies, quotes) under the FeedPage
contract, and the `Link` header's next `max_id`. Pure functions.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime
from typing import Any
from urllib.parse import parse_qs, urlsplit

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
)
from benchmark.platforms.mastodon.fields import (
    PLATFORM,
    actor_is_organization,
    content_links,
    error_status,
    format_of,
    full_acct,
    hashtags_of,
    instance_of,
    mentions_of,
    without_quote_fallback,
)

_LINK_PART = re.compile(r"^\s*<([^>]*)>\s*;(.*)$", re.DOTALL)
_REL_NEXT = re.compile(r"""\brel\s*=\s*"?[^";]*\bnext\b""", re.IGNORECASE)


# ---------------------------------------------------------------- statuses


@dataclass
class _Context:
    account_id: str
    instance: str
    crawled_at: datetime | None
    pinned: bool


def parse_statuses(
    payload: object,
    *,
    account_id: str,
    crawled_at: datetime | None,
    link_header: str | bytes | None = None,
    pinned: bool = False,
) -> FeedPage:
    """`accounts/:id/statuses` → FeedPage; cursor = `max_id` of the Link header's rel="next".
    `pinned=True` marks every status of the page as pinned: use it for the `?pinned=true` request, since
    unauthenticated responses do not carry the `pinned` attribute."""
    if isinstance(payload, dict) and "error" in payload:
        status, message = error_status(payload)
        return FeedPage([], None, status=status, message=message)
    if not isinstance(payload, list):
        return FeedPage([], None, status="malformed", message=f"expected a list of statuses, got {describe(payload)}")
    context = _Context(account_id, instance_of(account_id), crawled_at, pinned)
    posts: list[Post] = []
    dropped: list[str] = []
    for index, status in enumerate(payload):
        try:
            result = _parse_status(as_dict(status), context)
        except (KeyError, TypeError, ValueError, AttributeError, OverflowError) as error:  # drift: skip
            result = type(error).__name__
        if isinstance(result, str):
            dropped.append(f"item {index}: {result}")
        else:
            posts.append(result)
    cursor = next_max_id(link_header) if payload else None
    return FeedPage(posts, cursor, status="ok" if payload else "end", dropped=dropped)


def next_max_id(link_header: str | bytes | None) -> str | None:
    """`max_id` of the rel="next" URL in a Link header (str, or bytes as Scrapy gives it), else None."""
    if isinstance(link_header, bytes):
        link_header = link_header.decode("latin-1")
    if not isinstance(link_header, str):
        return None
    for part in re.split(r",\s*(?=<)", link_header):
        match = _LINK_PART.match(part)
        if match and _REL_NEXT.search(match.group(2)):
            values = parse_qs(urlsplit(match.group(1).strip()).query).get("max_id")
            return values[0] if values and values[0] else None
    return None


def _parse_status(status: dict[str, Any], context: _Context) -> Post | str:
    status_id = as_str(status.get("id"))
    if not status_id:
        return "missing_id"
    created_at = parse_datetime(status.get("created_at"))
    if created_at is None:
        return "missing_created_at"
    reblog = as_dict(status.get("reblog"))
    if status.get("reblog") is not None and not reblog.get("id"):
        return "malformed_reblog"
    shown = reblog or status  # a boost shows the original; the wrapper has no content of its own
    post = _base_post(status, shown, context, created_at)
    own_account_id = as_str(as_dict(status.get("account")).get("id"))
    if reblog:
        _as_repost(post, reblog, own_account_id, context)
        return post
    _set_reply(post, status, own_account_id, context)
    _set_quote(post, as_dict(status.get("quote")), own_account_id, context)
    return post


def _base_post(status: dict[str, Any], shown: dict[str, Any], context: _Context, created_at: datetime) -> Post:
    content = without_quote_fallback(as_str(shown.get("content")))
    body = textutil.html_to_text(content)
    post_format, media_count = format_of(shown)
    return Post(
        platform=PLATFORM,
        post_id=as_str(status.get("uri")) or f"{context.instance}/{status.get('id')}",
        account_id=context.account_id,
        created_at=created_at,
        url=as_str(shown.get("url")) or as_str(shown.get("uri")) or None,
        text=body,
        format=post_format,
        media_count=media_count,
        likes=as_int(status.get("favourites_count")),
        comments=as_int(status.get("replies_count")),
        reposts=as_int(status.get("reblogs_count")),
        quotes=as_int(status.get("quotes_count")),
        views=None,  # Mastodon shows no view counts
        pinned=status.get("pinned") is True or context.pinned,
        source_client=as_str(as_dict(status.get("application")).get("name")) or None,
        hashtags=hashtags_of(shown, body),
        mentions=mentions_of(shown, context.instance),
        links=content_links(content, as_dict(shown.get("card"))),
        crawled_at=context.crawled_at,
        extra=_status_extra(status, shown),
    )


def _status_extra(status: dict[str, Any], shown: dict[str, Any]) -> dict[str, Any]:
    extra: dict[str, Any] = {
        "id": as_str(status.get("id")),
        "visibility": as_str(status.get("visibility")) or None,
        "language": as_str(shown.get("language")) or None,
        "media_types": [as_str(as_dict(m).get("type")) for m in as_list(shown.get("media_attachments"))],
    }
    if as_str(shown.get("spoiler_text")):
        extra["spoiler_text"] = as_str(shown.get("spoiler_text"))  # content warning, kept apart from text
    poll = as_dict(shown.get("poll"))
    if poll:
        extra["poll"] = {
            "options": [as_str(as_dict(o).get("title")) for o in as_list(poll.get("options"))],
            "votes_count": as_int(poll.get("votes_count")),
            "voters_count": as_int(poll.get("voters_count")),
            "multiple": poll.get("multiple") is True,
        }
    card = as_dict(shown.get("card"))
    if card:
        extra["card"] = {key: as_str(card.get(key)) or None for key in ("type", "url", "title", "provider_name")}
    return extra


def _as_repost(post: Post, reblog: dict[str, Any], own_account_id: str, context: _Context) -> None:
    """A boost has no engagement of its own (the wrapper's counts are 0 by construction), so counts are
    None; the original's counts go to extra["ref_counts"]."""
    post.kind = "repost"
    post.extra["ref_counts"] = {
        "likes": as_int(reblog.get("favourites_count")),
        "comments": as_int(reblog.get("replies_count")),
        "reposts": as_int(reblog.get("reblogs_count")),
        "quotes": as_int(reblog.get("quotes_count")),
    }
    post.likes = post.comments = post.reposts = post.quotes = None
    _set_ref(post, reblog, own_account_id, context)


def _set_reply(post: Post, status: dict[str, Any], own_account_id: str, context: _Context) -> None:
    """A reply to another account is kind "reply"; a reply to oneself continues a thread and stays
    "original" (extra["self_reply"]). The other account's acct comes from the status mentions."""
    target = as_str(status.get("in_reply_to_account_id"))
    if not target:
        return
    post.extra["reply_to_post_id"] = as_str(status.get("in_reply_to_id")) or None
    if target == own_account_id:
        post.reply_to_author_id = context.account_id
        post.extra["self_reply"] = True
        return
    post.kind = "reply"
    acct = next(
        (as_str(as_dict(m).get("acct")) for m in as_list(status.get("mentions")) if as_dict(m).get("id") == target),
        "",
    )
    # Unresolved: keep the instance-local id (resolve with GET /api/v1/accounts/:id if needed).
    post.reply_to_author_id = full_acct(acct, context.instance) if acct else target


def _set_quote(post: Post, quote: dict[str, Any], own_account_id: str, context: _Context) -> None:
    """Mastodon 4.4+ `quote` = {state, quoted_status | quoted_status_id}; Fedibird/Akkoma put a Status there.
    A reply that quotes stays a reply but keeps the ref_* fields."""
    if not quote:
        return
    quoted = as_dict(quote.get("quoted_status")) or (quote if "account" in quote else {})
    post.extra["quote_state"] = as_str(quote.get("state")) or None
    if quoted:
        _set_ref(post, quoted, own_account_id, context)
    else:  # pending, revoked, deleted or shallow: the author is unknown
        post.ref_post_id = as_str(quote.get("quoted_status_id")) or None
    if post.kind == "original":
        post.kind = "quote"


def _set_ref(post: Post, original: dict[str, Any], own_account_id: str, context: _Context) -> None:
    author = as_dict(original.get("account"))
    post.ref_post_id = as_str(original.get("uri")) or as_str(original.get("id")) or None
    author_id = as_str(author.get("id"))
    if author_id and author_id == own_account_id:
        post.ref_author_id = context.account_id  # self-boost / self-quote: same id as the panel account
        return
    acct = as_str(author.get("acct"))
    post.ref_author_id = full_acct(acct, context.instance) if acct else None
    post.ref_author_name = as_str(author.get("display_name")) or as_str(author.get("username")) or None
    post.ref_author_is_organization = actor_is_organization(author) if author else None
    # Followers as known by *this* instance; remote counts can lag the author's home instance.
    post.ref_author_followers = as_int(author.get("followers_count"))
    post.extra["ref_author_verified"] = any(as_dict(f).get("verified_at") for f in as_list(author.get("fields")))
