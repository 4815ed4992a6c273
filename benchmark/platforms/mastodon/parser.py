"""Mastodon REST payloads → Account / Post items (pure, no network).

Endpoints on the account's *home* instance (other instances only hold what federated to them):
`GET /api/v1/accounts/lookup?acct=<user>` and `GET /api/v1/accounts/:id/statuses?limit=40`, paged by the
`Link` header (`rel="next"` carries `max_id`), and `GET /api/v1/statuses/:id/context` for the replies under a
status (optional comments crawl). Account ids in the config are `user@instance`.
"""

from __future__ import annotations

import html
import re
from dataclasses import dataclass
from datetime import datetime
from typing import Any
from urllib.parse import parse_qs, urlsplit

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
    unique,
)

PLATFORM = "mastodon"
MEDIA_FORMATS = {"image": "image", "gifv": "gif", "video": "video", "audio": "audio"}
FORMAT_PRIORITY = ("video", "gif", "audio", "image")  # a status mixing media is labelled by the richest one
_LINK_PART = re.compile(r"^\s*<([^>]*)>\s*;(.*)$", re.DOTALL)
_REL_NEXT = re.compile(r"""\brel\s*=\s*"?[^";]*\bnext\b""", re.IGNORECASE)
_ANCHOR = re.compile(r"<a\s([^>]*)>", re.IGNORECASE)
_ATTRIBUTE = re.compile(r"""([\w-]+)\s*=\s*(?:"([^"]*)"|'([^']*)')""")
_QUOTE_INLINE = re.compile(r"""<(span|p)\s[^>]*class=["'][^"']*\bquote-inline\b[^"']*["'][^>]*>""", re.IGNORECASE)


# ---------------------------------------------------------------- accounts


def parse_account(
    payload: object, *, account_id: str, crawled_at: datetime | None
) -> ProfileResult:
    """`accounts/lookup` (or `accounts/:id`) → (account, status, message). `account_id` is "user@instance"
    from the config. is_organization comes from `bot` / `group`; verified from `fields[].verified_at`."""
    body = as_dict(payload)
    if "error" in body:
        status, message = _error_status(body)
        return ProfileResult(None, status, message)
    local_id, username = as_str(body.get("id")), as_str(body.get("username"))
    if not local_id or not username:
        return ProfileResult(None, "malformed", f"account without id/username ({describe(payload)})")
    instance = _instance_of(account_id)
    fields = [as_dict(item) for item in as_list(body.get("fields"))]
    account = Account(
        platform=PLATFORM,
        account_id=account_id,
        handle=_full_acct(as_str(body.get("acct")) or username, instance),
        name=as_str(body.get("display_name")) or username,
        url=as_str(body.get("url")) or None,
        is_organization=_is_organization(body),
        verified=any(item.get("verified_at") for item in fields),
        description=textutil.html_to_text(as_str(body.get("note"))) or None,
        followers=as_int(body.get("followers_count")),
        following=as_int(body.get("following_count")),
        posts_count=as_int(body.get("statuses_count")),
        crawled_at=crawled_at,
        extra=_account_extra(body, fields),
    )
    if body.get("suspended"):
        return ProfileResult(account, "not_found", Message("{account} is suspended", account=account_id))
    moved = as_dict(body.get("moved"))
    if moved:
        target = as_str(moved.get("acct"))
        return ProfileResult(account, "ok",
                             Message("{account} moved to {target}", account=account_id, target=target))
    return ProfileResult(account, "ok", "")


def _account_extra(body: dict[str, Any], fields: list[dict[str, Any]]) -> dict[str, Any]:
    return {
        "id": as_str(body.get("id")),
        "bot": body.get("bot") is True,
        "group": body.get("group") is True,
        "locked": body.get("locked") is True,
        "verified_links": [
            textutil.html_to_text(as_str(item.get("value"))) for item in fields if item.get("verified_at")
        ],
        "created_at": as_str(body.get("created_at")) or None,
        "last_status_at": as_str(body.get("last_status_at")) or None,
    }


def _is_organization(account: dict[str, Any]) -> bool:
    """Bots (ActivityPub Application/Service) and group actors redistribute; they are never fans."""
    return account.get("bot") is True or account.get("group") is True


def _error_status(body: dict[str, Any]) -> tuple[str, str]:
    message = as_str(body.get("error")) or "error payload"
    lowered = message.lower()
    if "not found" in lowered or "suspended" in lowered:
        return "not_found", message
    if "authenticat" in lowered or "authoriz" in lowered:
        return "login_wall", message  # DISALLOW_UNAUTHENTICATED_API_ACCESS instances answer 401
    if "too many" in lowered or "rate" in lowered:
        return "blocked", message
    return "malformed", message


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
        status, message = _error_status(payload)
        return FeedPage([], None, status=status, message=message)
    if not isinstance(payload, list):
        return FeedPage([], None, status="malformed", message=f"expected a list of statuses, got {describe(payload)}")
    context = _Context(account_id, _instance_of(account_id), crawled_at, pinned)
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
    content = _without_quote_fallback(as_str(shown.get("content")))
    body = textutil.html_to_text(content)
    post_format, media_count = _format_of(shown)
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
        hashtags=_hashtags(shown, body),
        mentions=_mentions(shown, context.instance),
        links=_content_links(content, as_dict(shown.get("card"))),
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
    post.reply_to_author_id = _full_acct(acct, context.instance) if acct else target


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
    post.ref_author_id = _full_acct(acct, context.instance) if acct else None
    post.ref_author_name = as_str(author.get("display_name")) or as_str(author.get("username")) or None
    post.ref_author_is_organization = _is_organization(author) if author else None
    # Followers as known by *this* instance; remote counts can lag the author's home instance.
    post.ref_author_followers = as_int(author.get("followers_count"))
    post.extra["ref_author_verified"] = any(as_dict(f).get("verified_at") for f in as_list(author.get("fields")))


# ---------------------------------------------------------------- fields


def _format_of(status: dict[str, Any]) -> tuple[str, int]:
    """(format, media_count): attachments first (richest type wins), then poll, then link card."""
    attachments = [as_dict(m) for m in as_list(status.get("media_attachments"))]
    formats = {MEDIA_FORMATS.get(as_str(m.get("type"))) for m in attachments}
    for candidate in FORMAT_PRIORITY:
        if candidate in formats:
            return candidate, len(attachments)
    if as_dict(status.get("poll")):
        return "poll", 0
    if as_dict(status.get("card")):
        return "link", 0
    return "text", len(attachments)  # only "unknown" attachments (or none)


def _hashtags(status: dict[str, Any], body: str) -> list[str]:
    """Tags as written in the text (case kept); the API's lower-cased `tags[]` when the text has none."""
    return textutil.hashtags(body) or unique(as_str(as_dict(tag).get("name")) for tag in as_list(status.get("tags")))


def _mentions(status: dict[str, Any], instance: str) -> list[str]:
    return unique(_full_acct(as_str(as_dict(m).get("acct")), instance) for m in as_list(status.get("mentions")))


def _content_links(content: str, card: dict[str, Any]) -> list[str]:
    """Link targets of the HTML content, without @mention and #hashtag anchors, plus the card URL."""
    links = []
    for attributes in _ANCHOR.findall(content):
        values = {name.lower(): html.unescape(a or b) for name, a, b in _ATTRIBUTE.findall(attributes)}
        classes = values.get("class", "").split()
        if "mention" in classes or "hashtag" in classes:
            continue
        if values.get("href", "").startswith(("http://", "https://")):
            links.append(values["href"])
    return unique([*links, as_str(card.get("url"))])


def _without_quote_fallback(content: str) -> str:
    """Drop the `<span class="quote-inline">RE: <link></span>` fallback that Mastodon adds for old clients."""
    match = _QUOTE_INLINE.search(content)
    if not match:
        return content
    tag, depth, position = match.group(1).lower(), 1, match.end()
    tags = re.compile(rf"<(/?){tag}\b[^>]*>", re.IGNORECASE)
    for found in tags.finditer(content, position):
        depth += -1 if found.group(1) else 1
        if depth == 0:
            return content[: match.start()] + content[found.end() :]
    return content[: match.start()]


def _instance_of(account_id: str) -> str:
    """"user@instance" / "@user@instance" → "instance" ("" when the id has no instance)."""
    parts = account_id.lstrip("@").split("@")
    return parts[1].lower() if len(parts) == 2 else ""


def _full_acct(acct: str, instance: str) -> str:
    """Local accounts come back as bare "user"; qualify them with the home instance."""
    acct = acct.lstrip("@")
    if not acct or "@" in acct or not instance:
        return acct
    return f"{acct}@{instance}"


# ---------------------------------------------------------------- context (comments crawl)


def context_status(payload: object) -> tuple[str, str]:
    """(status, message) of a `statuses/:id/context` answer: "ok" when it holds a descendants list."""
    body = as_dict(payload)
    if "error" in body:
        return _error_status(body)
    if not isinstance(body.get("descendants"), list):
        return "malformed", f"no descendants list in {describe(payload)}"
    return "ok", ""


def parse_context(
    payload: object,
    *,
    post_id: str,
    post_author_id: str,
    crawled_at: datetime | None,
    dropped: list[str] | None = None,
) -> list[Comment]:
    """`statuses/:id/context` → the descendants of the post as Comments, parents before their replies.

    A descendant answering a status that is not among the descendants answers the post itself: it is
    top-level (no parent_comment_id); the others point at the comment they answer. A comment's id is
    "<home instance>/<status id on it>", not the status URI like Post ids: the URI holds the author's
    username, and a fan's name must not reach the store through the comment id (benchmark/privacy.py
    pseudonymises author_id only). `post_author_id` is the panel account's "user@instance": its own replies
    are flagged is_by_post_author, carry that id and keep their URI in extra["uri"]; other authors get their
    full acct, and bots / group actors are organisations. Unreadable descendants (and replies under them)
    are skipped with a reason appended to `dropped`; never raises."""
    reasons = dropped if dropped is not None else []
    if context_status(payload)[0] != "ok":
        return []
    instance = _instance_of(post_author_id)
    descendants = as_dict(payload)["descendants"]
    parsed: dict[str, tuple[str, Comment]] = {}  # local id → (in_reply_to_id, comment), payload order
    uris: set[str] = set()
    for index, status in enumerate(descendants):
        try:
            result = _context_comment(status, post_id, post_author_id, instance, crawled_at)
        except (KeyError, TypeError, ValueError, AttributeError, OverflowError) as error:  # drift: skip
            result = type(error).__name__
        if isinstance(result, Comment) and (result.extra["id"] in parsed or result.comment_id in uris):
            result = "duplicate_id"
        if isinstance(result, str):
            reasons.append(f"descendant {index}: {result}")
        else:
            parsed[result.extra["id"]] = (as_str(status.get("in_reply_to_id")), result)
            uris.add(result.comment_id)
    # Every id the answer holds, readable or not: a reply to a skipped descendant must not pass for top-level.
    known = {as_str(as_dict(status).get("id")) for status in descendants} - {""}
    return _in_thread_order(parsed, known, reasons)


def _in_thread_order(parsed: dict[str, tuple[str, Comment]], known: set[str], reasons: list[str]) -> list[Comment]:
    """Depth first from the top-level comments, keeping the payload's order among siblings; sets parents.
    Descendants that cannot be reached (their parent was skipped, or a hostile cycle) are dropped."""
    children: dict[str, list[str]] = {}
    roots: list[str] = []
    for local_id, (parent, _comment) in parsed.items():
        if parent not in known or parent == local_id:
            roots.append(local_id)
        else:
            children.setdefault(parent, []).append(local_id)
    ordered: list[Comment] = []
    stack = [(local_id, None) for local_id in reversed(roots)]
    while stack:
        local_id, parent_uri = stack.pop()
        comment = parsed[local_id][1]
        comment.parent_comment_id = parent_uri
        ordered.append(comment)
        stack.extend((child, comment.comment_id) for child in reversed(children.get(local_id, [])))
    reasons.extend(f"descendant {local_id}: unreachable_reply" for local_id in sorted(parsed.keys() - _ids(ordered)))
    return ordered


def _ids(comments: list[Comment]) -> set[str]:
    return {comment.extra["id"] for comment in comments}


def _context_comment(
    status: object, post_id: str, post_author_id: str, instance: str, crawled_at: datetime | None
) -> Comment | str:
    if not isinstance(status, dict):
        return "not_an_object"
    local_id = as_str(status.get("id"))
    if not local_id:
        return "missing_id"
    created_at = parse_datetime(status.get("created_at"))
    if created_at is None:
        return "missing_created_at"
    author = as_dict(status.get("account"))
    acct = as_str(author.get("acct"))
    full = _full_acct(acct, instance) if acct else ""
    own = bool(full) and full.lower() == post_author_id.lower().lstrip("@")
    extra = _context_extra(status, local_id)
    if own and as_str(status.get("uri")):
        extra["uri"] = as_str(status.get("uri"))  # the account's own answer: public, worth a link in the report
    return Comment(
        platform=PLATFORM,
        comment_id=f"{instance}/{local_id}" if instance else local_id,
        post_id=post_id,
        author_id=post_author_id if own else (full or None),
        author_name=as_str(author.get("display_name")) or as_str(author.get("username")) or None,
        author_is_organization=_is_organization(author) if author else None,
        created_at=created_at,
        text=textutil.html_to_text(as_str(status.get("content"))),
        is_by_post_author=own,
        likes=as_int(status.get("favourites_count")),
        crawled_at=crawled_at,
        extra=extra,
    )


def _context_extra(status: dict[str, Any], local_id: str) -> dict[str, Any]:
    """Nothing here may name the author (no url or uri of a fan's status): extra is stored as is."""
    extra: dict[str, Any] = {
        "id": local_id,
        "replies": as_int(status.get("replies_count")),
        "reposts": as_int(status.get("reblogs_count")),
        "visibility": as_str(status.get("visibility")) or None,
        "language": as_str(status.get("language")) or None,
    }
    if as_str(status.get("spoiler_text")):
        extra["spoiler_text"] = as_str(status.get("spoiler_text"))
    return extra
