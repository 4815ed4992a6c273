"""Bluesky public AppView payloads → Account / Post items (pure, no network).

Endpoints (https://public.api.bsky.app/xrpc/…): `app.bsky.actor.getProfile`, `app.bsky.feed.getAuthorFeed`
(cursor paging, `limit=100`, `includePins=true`), `app.bsky.actor.getProfiles` (≤ 25 actors) for the
authors of reposted / quoted posts, whose follower counts the feed does not carry, and
`app.bsky.feed.getPostThread` for the replies under a post (optional comments crawl).

Payloads are read as plain dicts because the AppView adds union members without notice
(`embed.gallery#view`, `viewDetached`, …) and typed SDKs crash on them; unknown types are kept in `extra`.
"""

from __future__ import annotations

from dataclasses import dataclass
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
    unique,
)

PLATFORM = "bluesky"
WEB = "https://bsky.app"
REASON_REPOST = "app.bsky.feed.defs#reasonRepost"
REASON_PIN = "app.bsky.feed.defs#reasonPin"
OPT_OUT_LABEL = "!no-unauthenticated"  # the author asked apps not to show their content to logged-out viewers
BOT_LABEL = "bot"
POST_COLLECTION = "app.bsky.feed.post"
QUOTED_POST_TYPES = (  # embed.record.$type values that stand for a post (found or not)
    "app.bsky.embed.record#viewRecord",
    "app.bsky.embed.record#viewNotFound",
    "app.bsky.embed.record#viewBlocked",
    "app.bsky.embed.record#viewDetached",
)
MEDIA_FORMATS = {  # embed $type without "#view" → Post.format
    "app.bsky.embed.images": "image",
    "app.bsky.embed.gallery": "image",
    "app.bsky.embed.video": "video",
    "app.bsky.embed.external": "link",
}
# The app's GIF picker posts Tenor links as external embeds; Giphy links are GIFs shared the same way.
GIF_HOSTS = ("tenor.com", "giphy.com")
NOT_FOUND_ERRORS = ("InvalidRequest", "NotFound", "AccountTakedown", "AccountDeactivated", "RepoNotFound")
BLOCKED_ERRORS = ("RateLimitExceeded", "BlockedActor", "BlockedByActor")


# ---------------------------------------------------------------- profiles


def parse_profile(
    payload: object, *, crawled_at: datetime | None, account_id: str | None = None
) -> ProfileResult:
    """`getProfile` → (account, status, message). `account_id` should be the config id (handle or DID);
    without it the handle is used. Status is "opted_out" (account still returned) when the profile carries
    the `!no-unauthenticated` self-label: the spider should then not store the account's posts."""
    profile = as_dict(payload)
    if "error" in profile:
        status, message = _error_status(profile)
        return ProfileResult(None, status, message)
    did, handle = as_str(profile.get("did")), as_str(profile.get("handle"))
    if not did.startswith("did:") or not handle:
        return ProfileResult(None, "malformed", f"profile without did/handle ({describe(payload)})")
    signals = author_signals(profile)
    account = Account(
        platform=PLATFORM,
        account_id=account_id or handle,
        handle=handle,
        name=as_str(profile.get("displayName")) or None,
        url=_profile_url(handle, did),
        is_organization=signals["is_organization"],
        verified=signals["verified"],
        description=as_str(profile.get("description")) or None,
        followers=as_int(profile.get("followersCount")),
        following=as_int(profile.get("followsCount")),
        posts_count=as_int(profile.get("postsCount")),
        crawled_at=crawled_at,
        extra={
            "did": did,
            "is_bot": signals["is_bot"],
            "labels": _label_values(profile),
            "pinned_post_uri": as_str(as_dict(profile.get("pinnedPost")).get("uri")) or None,
            "created_at": as_str(profile.get("createdAt")) or None,
        },
    )
    if signals["opted_out"]:
        reason = Message("{handle} carries the {label} label", handle=handle, label=OPT_OUT_LABEL)
        return ProfileResult(account, "opted_out", reason)
    return ProfileResult(account, "ok", "")


def parse_profiles(payload: object) -> dict[str, dict]:
    """`getProfiles` → {did: {"followers", "is_organization", "is_bot", "verified", "handle", "name",
    "opted_out"}}. Profiles without a DID are skipped. Opted-out authors keep their counts (aggregates)
    but lose handle and name, which the app asks logged-out tools not to show."""
    authors: dict[str, dict] = {}
    for profile in as_list(as_dict(payload).get("profiles")):
        did = as_str(as_dict(profile).get("did"))
        if not did.startswith("did:"):
            continue
        signals = author_signals(profile)
        authors[did] = {
            "followers": as_int(profile.get("followersCount")),
            "is_organization": signals["is_organization"],
            "is_bot": signals["is_bot"],
            "verified": signals["verified"],
            "handle": "" if signals["opted_out"] else as_str(profile.get("handle")),
            "name": "" if signals["opted_out"] else as_str(profile.get("displayName")),
            "opted_out": signals["opted_out"],
        }
    return authors


def apply_ref_authors(posts: list[Post], authors: dict[str, dict]) -> None:
    """Fill `ref_author_followers` / `ref_author_is_organization` of reposts and quotes from `parse_profiles`.
    Authors missing from `authors` (deleted, suspended, not looked up) stay unknown (None)."""
    for post in posts:
        info = authors.get(post.ref_author_id or "")
        if not info:
            continue
        post.ref_author_followers = info.get("followers")
        organization = info.get("is_organization")
        # An inline signal (bot label, labeler) already seen in the feed is never downgraded to "person".
        post.ref_author_is_organization = True if post.ref_author_is_organization else organization


def author_signals(profile: dict[str, Any]) -> dict[str, Any]:
    """Fan-or-brand signals of a profileView(Basic/Detailed).

    is_organization: True for bots (self-label), labelers, trusted verifiers and verified accounts whose
    handle is a bare domain (washingtonpost.com); False otherwise. Verified people (name.nytimes.com,
    celebrities) stay False: METRICS counts verified individuals as fans, as Weibo's orange V does."""
    labels = _label_values(profile)
    verification = as_dict(profile.get("verification"))
    trusted_verifier = verification.get("trustedVerifierStatus") == "valid"
    verified = verification.get("verifiedStatus") == "valid" or trusted_verifier
    is_bot = BOT_LABEL in labels
    is_labeler = bool(as_dict(profile.get("associated")).get("labeler"))
    handle = as_str(profile.get("handle"))
    organization = is_bot or is_labeler or trusted_verifier or (verified and _is_bare_domain(handle))
    return {
        "is_organization": organization,
        "is_bot": is_bot,
        "verified": verified,
        "opted_out": OPT_OUT_LABEL in labels,
    }


def _is_bare_domain(handle: str) -> bool:
    """washingtonpost.com / bbc.co.uk, not jane.nytimes.com or jane.bsky.social."""
    parts = handle.lower().split(".")
    if handle.lower().endswith(".bsky.social") or len(parts) < 2:
        return False
    second_level = parts[-2] in ("co", "com", "org", "net", "gov", "ac", "edu") and len(parts[-1]) == 2
    return len(parts) == (3 if second_level else 2)


def _label_values(profile: dict[str, Any]) -> list[str]:
    return [as_str(as_dict(label).get("val")) for label in as_list(profile.get("labels"))]


def _error_status(payload: dict[str, Any]) -> tuple[str, str]:
    error, message = as_str(payload.get("error")), as_str(payload.get("message"))
    text = f"{error}: {message}".strip(": ")
    if error in NOT_FOUND_ERRORS or "not found" in message.lower():
        return "not_found", text
    if error in BLOCKED_ERRORS:
        return "blocked", text
    return "malformed", text or "error payload"


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
        status, message = _error_status(body)
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
    did, _collection, rkey = _split_at_uri(uri)
    if not did or not rkey:
        return "missing_uri"
    author = as_dict(post.get("author"))
    record = as_dict(post.get("record"))
    reason = as_dict(item.get("reason"))
    created_at = _post_time(record, post)
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
    post_format, media_count, embed_extra = _format_of(embed)
    embed_links = embed_extra.pop("links", [])
    return Post(
        platform=PLATFORM,
        post_id=as_str(post.get("uri")),
        account_id=context.account_id,
        created_at=created_at,
        url=f"{_profile_url(as_str(author.get('handle')), did)}/post/{rkey}",
        text=body,
        format=post_format,
        media_count=media_count,
        likes=as_int(post.get("likeCount")),
        comments=as_int(post.get("replyCount")),
        reposts=as_int(post.get("repostCount")),
        quotes=as_int(post.get("quoteCount")),
        hashtags=unique([*_facet_values(record, "tag"), *textutil.hashtags(body)]),
        mentions=textutil.mentions(body),
        links=unique([*_facet_values(record, "uri"), *embed_links]),
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
    parent_did = as_str(parent_view_author.get("did")) or _split_at_uri(parent_uri)[0]
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
        author = {"did": _split_at_uri(uri)[0]}
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
    if not record.get("$type") and _split_at_uri(as_str(record.get("uri")))[1] == POST_COLLECTION:
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


# ---------------------------------------------------------------- fields


def _format_of(embed: dict[str, Any]) -> tuple[str, int, dict[str, Any]]:
    """(format, media_count, extra) of a post from its embed view (or raw record embed as fallback)."""
    embed_type = as_str(embed.get("$type")).removesuffix("#view")
    if not embed_type:
        return "text", 0, {}
    if embed_type == "app.bsky.embed.recordWithMedia":
        post_format, count, extra = _format_of(as_dict(embed.get("media")))
        return post_format, count, {**extra, "embed_type": embed_type}
    if embed_type == "app.bsky.embed.record":
        record_type = as_str(as_dict(embed.get("record")).get("$type"))
        is_post = not record_type or record_type in QUOTED_POST_TYPES
        # An embedded feed, list or starter pack is a card pointing elsewhere, not a quoted post.
        return ("text" if is_post else "link"), 0, {"embed_type": embed_type}
    if embed_type not in MEDIA_FORMATS:
        return "text", 0, {"embed_type": embed_type, "unknown_embed": True}
    return _media_format(embed_type, embed)


def _media_format(embed_type: str, embed: dict[str, Any]) -> tuple[str, int, dict[str, Any]]:
    extra: dict[str, Any] = {"embed_type": embed_type}
    if embed_type == "app.bsky.embed.video":
        return ("gif" if embed.get("presentation") == "gif" else "video"), 1, extra
    if embed_type == "app.bsky.embed.external":
        uri = as_str(as_dict(embed.get("external")).get("uri"))
        extra["links"] = [uri] if uri else []
        extra["link_title"] = as_str(as_dict(embed.get("external")).get("title")) or None
        host = uri.split("/")[2].lower() if uri.count("/") >= 2 else ""
        is_gif = any(host == gif_host or host.endswith("." + gif_host) for gif_host in GIF_HOSTS)
        return ("gif" if is_gif else "link"), 0, extra
    items = as_list(embed.get("images")) or as_list(embed.get("items"))
    return "image", len(items), extra


def _facet_values(record: dict[str, Any], key: str) -> list[str]:
    """`tag` or `uri` values of the record's rich-text facets (hashtags and link targets)."""
    values = []
    for facet in as_list(record.get("facets")):
        for feature in as_list(as_dict(facet).get("features")):
            value = as_dict(feature).get(key)
            if isinstance(value, str):
                values.append(value)
    return values


def _post_time(record: dict[str, Any], post: dict[str, Any]) -> datetime | None:
    """min(createdAt, indexedAt), as Bluesky recommends: createdAt is client-set and may be future-dated."""
    times = [t for t in (parse_datetime(record.get("createdAt")), parse_datetime(post.get("indexedAt"))) if t]
    return min(times) if times else None


def _split_at_uri(uri: str) -> tuple[str, str, str]:
    """at://did/collection/rkey → (did, collection, rkey); ("", "", "") when it is not one."""
    if not uri.startswith("at://"):
        return "", "", ""
    parts = uri[len("at://") :].split("/")
    if len(parts) != 3 or not parts[0]:
        return (parts[0] if parts else ""), "", ""
    return parts[0], parts[1], parts[2]


def _profile_url(handle: str, did: str) -> str:
    # "handle.invalid" is what the AppView shows when a handle no longer resolves; the DID always works.
    return f"{WEB}/profile/{handle if handle and handle != 'handle.invalid' else did}"


# ---------------------------------------------------------------- threads (comments crawl)

THREAD_VIEW = "app.bsky.feed.defs#threadViewPost"
THREAD_GONE = {  # reply nodes the AppView shows in place of a post it cannot show
    "app.bsky.feed.defs#notFoundPost": "reply_not_found",
    "app.bsky.feed.defs#blockedPost": "reply_blocked",
}


def thread_status(payload: object) -> tuple[str, str]:
    """(status, message) of a `getPostThread` answer: "ok" when it holds the post's thread; "not_found",
    "blocked" or "malformed" (error body, deleted or blocked post, no thread) otherwise."""
    body = as_dict(payload)
    if "error" in body:
        return _error_status(body)
    thread = as_dict(body.get("thread"))
    kind = as_str(thread.get("$type"))
    if kind in THREAD_GONE:
        return ("blocked" if kind.endswith("blockedPost") else "not_found"), Message("the post is {state}",
                                                                                      state=kind.rsplit("#", 1)[-1])
    if not as_dict(thread.get("post")):
        return "malformed", f"no thread in {describe(payload)}"
    return "ok", ""


def parse_thread(
    payload: object,
    *,
    post_id: str,
    post_author_id: str,
    crawled_at: datetime | None,
    dropped: list[str] | None = None,
) -> list[Comment]:
    """`getPostThread?uri=<post_id>` → the replies under the post as Comments, parents before their replies.

    A comment's id is its record CID, not its at-uri: the uri holds the author's DID, and a fan's id must
    not reach the store through the comment id (benchmark/privacy.py pseudonymises author_id only). Direct
    replies have no parent_comment_id; deeper ones point at the reply they answer. `post_author_id` is the
    panel account's id (handle or DID): its own replies are recognised by DID (the one in `post_id`) or
    handle, flagged is_by_post_author, carry that id and keep their at-uri in extra["uri"]. Authors are
    classified from the inline profile like repost authors (bots, labelers, trusted verifiers, verified bare
    domains are organisations; everyone else is a person). Authors who opted out of logged-out apps
    (`!no-unauthenticated`) lose name and text. Unreadable replies are skipped with a reason appended to
    `dropped`; never raises."""
    reasons = dropped if dropped is not None else []
    if thread_status(payload)[0] != "ok":
        return []
    owner = _ThreadOwner(post_author_id, _split_at_uri(post_id)[0])
    comments: list[Comment] = []
    seen: set[str] = set()
    # Depth first with an explicit stack: hostile nesting cannot exhaust the recursion limit.
    stack = [(reply, None, 1) for reply in reversed(as_list(as_dict(as_dict(payload).get("thread")).get("replies")))]
    index = -1
    while stack:
        node, parent_id, depth = stack.pop()
        index += 1
        try:
            result = _thread_comment(node, post_id, parent_id, depth, owner, crawled_at)
        except (KeyError, TypeError, ValueError, AttributeError, OverflowError) as error:  # drift: skip
            result = type(error).__name__
        if isinstance(result, Comment) and result.comment_id in seen:
            result = "duplicate_id"
        if isinstance(result, str):
            reasons.append(f"reply {index}: {result}")  # its own replies go with it: their parent is unknown
            continue
        seen.add(result.comment_id)
        comments.append(result)
        children = as_list(as_dict(node).get("replies"))
        stack.extend((child, result.comment_id, depth + 1) for child in reversed(children))
    return comments


@dataclass
class _ThreadOwner:
    account_id: str
    did: str

    def owns(self, author: dict[str, Any]) -> bool:
        did, handle = as_str(author.get("did")), as_str(author.get("handle")).lower()
        wanted = self.account_id.lower().lstrip("@")
        if did and did in (self.did, self.account_id):
            return True
        return bool(handle) and handle == wanted


def _thread_comment(
    node: object, post_id: str, parent_id: str | None, depth: int, owner: _ThreadOwner, crawled_at: datetime | None,
) -> Comment | str:
    if not isinstance(node, dict):
        return "not_an_object"
    kind = as_str(node.get("$type"))
    if kind in THREAD_GONE:
        return THREAD_GONE[kind]
    if kind and kind != THREAD_VIEW:
        return "unknown_reply_type"
    view = as_dict(node.get("post"))
    uri = as_str(view.get("uri"))
    if not all(_split_at_uri(uri)):
        return "missing_uri"
    cid = as_str(view.get("cid"))
    if not cid:
        return "missing_cid"
    record, author = as_dict(view.get("record")), as_dict(view.get("author"))
    created_at = _post_time(record, view)
    if created_at is None:
        return "missing_created_at"
    signals = author_signals(author)
    own = owner.owns(author)
    hidden = signals["opted_out"] and not own
    did = as_str(author.get("did")) or _split_at_uri(uri)[0]
    return Comment(
        platform=PLATFORM,
        comment_id=cid,
        post_id=post_id,
        author_id=owner.account_id if own else did,
        author_name=None if hidden else (as_str(author.get("displayName")) or as_str(author.get("handle")) or None),
        author_is_organization=signals["is_organization"],
        created_at=created_at,
        text="" if hidden else as_str(record.get("text")),
        parent_comment_id=parent_id,
        is_by_post_author=own,
        likes=as_int(view.get("likeCount")),
        crawled_at=crawled_at,
        extra=_thread_extra(view, record, signals, depth, hidden, uri if own else None,
                            None if own or hidden else as_str(author.get("handle")) or None),
    )


def _thread_extra(view: dict[str, Any], record: dict[str, Any], signals: dict[str, Any], depth: int, hidden: bool,
                  own_uri: str | None, handle: str | None = None) -> dict[str, Any]:
    """Nothing here may name a fan (no uri of a fan's reply). `author_handle` is there for the pseudonymiser
    alone: a panel brand or an affiliate listed in the config by handle is known by it (the reply gives only
    the DID as the author's id), and benchmark/privacy.py removes it from every comment it pseudonymises."""
    extra: dict[str, Any] = {
        "depth": depth,
        "author_is_bot": signals["is_bot"],
        "author_verified": signals["verified"],
        "replies": as_int(view.get("replyCount")),
        "reposts": as_int(view.get("repostCount")),
        "quotes": as_int(view.get("quoteCount")),
        "langs": [lang for lang in as_list(record.get("langs")) if isinstance(lang, str)],
    }
    if hidden:
        extra["author_opted_out"] = True
    if own_uri:
        extra["uri"] = own_uri  # the account's own answer: public, and worth a link in the report
    if handle:
        extra["author_handle"] = handle
    return extra
