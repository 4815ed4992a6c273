"""Bluesky (public AppView XRPC) payloads for the sample panel, shaped like shared/fixtures/bluesky/.

Routes (below the /bluesky prefix):
  /xrpc/app.bsky.actor.getProfile?actor=<handle|did>                      → profileViewDetailed
  /xrpc/app.bsky.actor.getProfiles?actors=a&actors=b (≤ 25)               → {profiles: [...]}
  /xrpc/app.bsky.feed.getAuthorFeed?actor=..&limit=..[&cursor=..][&filter=..][&includePins=true]
  /xrpc/app.bsky.feed.getPostThread?uri=<at-uri>                          → threadViewPost with replies
  /xrpc/com.atproto.identity.resolveHandle?handle=..                      → {did}

Feed items carry `reason` #reasonRepost (reposts; `post` is the original) and #reasonPin (first page, only
with includePins=true, as the real AppView does; the pinned post also appears in its place). Embeds:
images, video (presentation "gif" for GIFs), external link cards, record (quotes) and recordWithMedia.
The cursor is the ISO time of the last item; it is omitted on the last page. Errors follow the XRPC form
{"error": ..., "message": ...}.
"""

from __future__ import annotations

import hashlib
from datetime import datetime, timedelta
from typing import Any
from urllib.parse import quote

from benchmark.sample import Reply, dump_json, first, json_reply, throttle
from benchmark.sample.panel import (
    UTC,
    SampleAccount,
    SampleAuthor,
    SampleComment,
    SamplePost,
    SampleRef,
    comments_for,
    fake_cid,
    fake_did,
    tokenize,
)

MAX_LIMIT = 100
BLUESKY_VERIFIER = "did:plc:z72i7hdynmk6r22z27h6tvur"


def iso(moment: datetime) -> str:
    """AT Protocol datetime with milliseconds, e.g. 2025-02-06T17:50:33.851Z."""
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.") + f"{moment.microsecond // 1000:03d}Z"


def error(name: str, message: str, status: int = 400) -> Reply:
    return json_reply({"error": name, "message": message}, status=status)


# ----------------------------------------------------------------------------------------- actors


def _handle(actor: SampleAccount | SampleAuthor) -> str:
    return actor.id if isinstance(actor, SampleAccount) else actor.handle


def _did(actor: SampleAccount | SampleAuthor) -> str:
    return actor.internal_id if isinstance(actor, SampleAccount) else actor.id


def _labels(actor: SampleAccount | SampleAuthor) -> list[dict[str, Any]]:
    behaviour = actor.behaviour if isinstance(actor, SampleAccount) else {}
    if not (behaviour.get("opted_out") or behaviour.get("private")):
        return []
    did = _did(actor)
    return [{"src": did, "uri": f"at://{did}/app.bsky.actor.profile/self", "cid": fake_cid(did, "profile"),
             "val": "!no-unauthenticated", "cts": "1970-01-01T00:00:00.000Z"}]


def _avatar(did: str) -> str:
    return f"https://cdn.bsky.app/img/avatar/plain/{did}/{fake_cid(did, 'avatar')[:59]}@jpeg"


def profile_basic(actor: SampleAccount | SampleAuthor) -> dict[str, Any]:
    did = _did(actor)
    is_org = isinstance(actor, SampleAccount) or actor.is_organization
    view: dict[str, Any] = {
        "did": did, "handle": _handle(actor), "displayName": actor.name, "avatar": _avatar(did),
        "associated": {"chat": {"allowIncoming": "following" if is_org else "all"}},
        "labels": _labels(actor), "createdAt": iso(_created(actor)),
    }
    if is_org:
        view["verification"] = {"verifications": [{"issuer": BLUESKY_VERIFIER, "uri": f"at://{BLUESKY_VERIFIER}/"
                                                   f"app.bsky.graph.verification/{fake_cid(did)[8:21]}",
                                                   "isValid": True, "createdAt": "2025-04-21T10:00:00.000Z"}],
                                "verifiedStatus": "valid", "trustedVerifierStatus": "none"}
    return view


def _created(actor: SampleAccount | SampleAuthor) -> datetime:
    if isinstance(actor, SampleAccount):
        return actor.created_at
    return datetime(2023, 5, 1, tzinfo=UTC) + timedelta(days=int(hashlib.md5(actor.id.encode()).hexdigest()[:3], 16))


def profile_detailed(site: Any, actor: SampleAccount | SampleAuthor) -> dict[str, Any]:
    view = profile_basic(actor)
    if isinstance(actor, SampleAccount):
        followers, follows, posts = actor.followers, actor.following, actor.statuses_count
        description = actor.description
        pinned = next((p for p in site.panel.posts("bluesky", actor.id) if p.pinned), None)
    else:
        followers, follows, posts = actor.followers, 80 + actor.followers % 300, 40 + actor.followers % 900
        description = ""
        pinned = None
    view["associated"].update(lists=0, feedgens=0, starterPacks=0, labeler=False)
    view.update(description=description, banner=view["avatar"].replace("avatar", "banner"), followersCount=followers,
                followsCount=follows, postsCount=posts, indexedAt=iso(_created(actor) + timedelta(days=1)))
    if pinned is not None:
        view["pinnedPost"] = {"uri": pinned.id, "cid": fake_cid(pinned.id)}
    return view


# ------------------------------------------------------------------------------------ text, embeds


def facets(text: str, site: Any) -> list[dict[str, Any]]:
    """Rich-text facets with UTF-8 byte offsets: links, mentions (resolved to DIDs) and tags."""
    out, offset = [], 0
    actors = site.index("bluesky")["actors"]
    for kind, value in tokenize(text, "bluesky"):
        raw = ("@" + value) if kind == "mention" else value
        size = len(raw.encode("utf-8"))
        feature = None
        if kind == "url":
            feature = {"$type": "app.bsky.richtext.facet#link", "uri": value}
        elif kind == "mention":
            actor = actors.get(value)
            feature = {"$type": "app.bsky.richtext.facet#mention", "did": _did(actor) if actor else fake_did(value)}
        elif kind == "tag":
            feature = {"$type": "app.bsky.richtext.facet#tag", "tag": value[1:]}
        if feature:
            out.append({"features": [feature], "index": {"byteEnd": offset + size, "byteStart": offset}})
        offset += size
    return out


def _blob(did: str, key: str, mime: str, size: int) -> dict[str, Any]:
    return {"$type": "blob", "ref": {"$link": fake_cid(did, key)[:59]}, "mimeType": mime, "size": size}


def _image_url(kind: str, did: str, key: str) -> str:
    return f"https://cdn.bsky.app/img/{kind}/plain/{did}/{fake_cid(did, key)[:59]}@jpeg"


def _media(did: str, post_id: str, fmt: str, count: int) -> tuple[dict[str, Any], dict[str, Any]] | None:
    """(record embed, view embed) for images, video and GIFs."""
    ratio = {"height": 1500, "width": 2000}
    if fmt == "image" and count:
        images = range(min(count, 4))
        record = {"$type": "app.bsky.embed.images", "images": [
            {"alt": "", "aspectRatio": ratio, "image": _blob(did, f"{post_id}:{i}", "image/jpeg", 400_000 + i)}
            for i in images]}
        view = {"$type": "app.bsky.embed.images#view", "images": [
            {"thumb": _image_url("feed_thumbnail", did, f"{post_id}:{i}"),
             "fullsize": _image_url("feed_fullsize", did, f"{post_id}:{i}"), "alt": "", "aspectRatio": ratio}
            for i in images]}
        return record, view
    if fmt in ("video", "gif"):
        cid = fake_cid(did, post_id, "video")[:59]
        record = {"$type": "app.bsky.embed.video", "aspectRatio": {"height": 1920, "width": 1080},
                  "video": _blob(did, f"{post_id}:video", "video/mp4", 1_387_501)}
        watch = f"https://video.bsky.app/watch/{quote(did, safe='')}/{cid}"
        view = {"$type": "app.bsky.embed.video#view", "cid": cid, "playlist": f"{watch}/playlist.m3u8",
                "thumbnail": f"{watch}/thumbnail.jpg", "aspectRatio": {"height": 1920, "width": 1080}}
        if fmt == "gif":
            record["presentation"] = view["presentation"] = "gif"
        return record, view
    return None


def _external(did: str, post: SamplePost) -> tuple[dict[str, Any], dict[str, Any]]:
    uri = post.links[-1]
    title = f"{uri.split('/')[2]} — news"
    thumb = fake_cid(did, uri)[:59]
    record = {"$type": "app.bsky.embed.external", "external": {
        "description": "Fresh from our roastery and stores.", "thumb": _blob(did, uri, "image/jpeg", 120_000),
        "title": title, "uri": uri}}
    view = {"$type": "app.bsky.embed.external#view", "external": {
        "uri": uri, "title": title, "description": "Fresh from our roastery and stores.",
        "thumb": f"https://cdn.bsky.app/img/feed_thumbnail/plain/{did}/{thumb}@jpeg"}}
    return record, view


def _ref_post(site: Any, ref: SampleRef) -> dict[str, Any]:
    """The original of a repost or quote as a postView."""
    author = ref.author or SampleAuthor(id=fake_did("gone"), name="", handle="handle.invalid")
    record: dict[str, Any] = {"$type": "app.bsky.feed.post", "createdAt": iso(ref.created_at),
                              "langs": ["en"], "text": ref.text}
    found = facets(ref.text, site)
    if found:
        record["facets"] = found
    view = {"uri": ref.post_id, "cid": fake_cid(ref.post_id), "author": profile_basic(author), "record": record}
    media = _media(author.id, ref.post_id, ref.format, ref.media_count)
    if media:
        record["embed"], view["embed"] = media
    view.update(replyCount=ref.comments, repostCount=ref.reposts, likeCount=ref.likes, quoteCount=0,
                bookmarkCount=0, indexedAt=iso(ref.created_at + timedelta(seconds=1)), labels=[])
    return view


def _quote_embed(site: Any, account: SampleAccount, post: SamplePost) -> tuple[dict[str, Any], dict[str, Any]]:
    ref = post.ref
    assert ref is not None
    original = _ref_post(site, ref)
    strong = {"cid": original["cid"], "uri": ref.post_id}
    view_record = {"$type": "app.bsky.embed.record#viewRecord", "uri": ref.post_id, "cid": original["cid"],
                   "author": original["author"], "value": original["record"], "labels": [],
                   "likeCount": ref.likes, "replyCount": ref.comments, "repostCount": ref.reposts, "quoteCount": 0,
                   "indexedAt": original["indexedAt"], "embeds": [original["embed"]] if "embed" in original else []}
    with_media = _media(account.internal_id, post.id, "image", 1) if post.format == "image" else None
    if with_media:
        record = {"$type": "app.bsky.embed.recordWithMedia", "media": with_media[0],
                  "record": {"$type": "app.bsky.embed.record", "record": strong}}
        view = {"$type": "app.bsky.embed.recordWithMedia#view", "media": with_media[1],
                "record": {"record": view_record}}
        return record, view
    return {"$type": "app.bsky.embed.record", "record": strong}, {"$type": "app.bsky.embed.record#view",
                                                                   "record": view_record}


# ------------------------------------------------------------------------------------------ posts


def _parent_uri(post: SamplePost) -> str:
    return post.reply_to_post_id or ""


def post_view(site: Any, account: SampleAccount, post: SamplePost) -> dict[str, Any]:
    """The postView of a panel account's own post (original, quote or reply)."""
    did = account.internal_id
    record: dict[str, Any] = {"$type": "app.bsky.feed.post", "createdAt": iso(post.created_at),
                              "langs": ["zh" if account.language == "zh" else "en"], "text": post.text}
    found = facets(post.text, site)
    if found:
        record["facets"] = found
    view: dict[str, Any] = {"uri": post.id, "cid": fake_cid(post.id), "author": profile_basic(account),
                            "record": record}
    embed = None
    if post.kind == "quote":
        embed = _quote_embed(site, account, post)
    elif post.format == "link" and post.links:
        embed = _external(did, post)
    elif post.kind != "reply":
        embed = _media(did, post.id, post.format, post.media_count)
    if embed:
        record["embed"], view["embed"] = embed
    if post.kind == "reply" and post.reply_to is not None:
        parent = {"cid": fake_cid(_parent_uri(post)), "uri": _parent_uri(post)}
        record["reply"] = {"parent": parent, "root": parent}
    view.update(replyCount=post.comments, repostCount=post.reposts, likeCount=post.likes, quoteCount=post.quotes,
                bookmarkCount=post.likes // 20, indexedAt=iso(post.created_at + timedelta(seconds=1)),
                labels=[])
    return view


def _reply_parent(post: SamplePost, account: SampleAccount) -> dict[str, Any]:
    fan = post.reply_to
    assert fan is not None
    created = post.created_at - timedelta(minutes=37)
    parent = {"uri": _parent_uri(post), "cid": fake_cid(_parent_uri(post)), "author": profile_basic(fan),
              "record": {"$type": "app.bsky.feed.post", "createdAt": iso(created), "langs": ["en"],
                         "text": f"Just got my order from @{account.id} — does the cover come off for washing?"},
              "replyCount": 1, "repostCount": 0, "likeCount": 2, "quoteCount": 0, "bookmarkCount": 0,
              "indexedAt": iso(created + timedelta(seconds=1)), "labels": []}
    return {"$type": "app.bsky.feed.defs#postView", **parent}


def feed_item(site: Any, account: SampleAccount, post: SamplePost) -> dict[str, Any]:
    if post.kind == "repost" and post.ref is not None:
        return {"post": _ref_post(site, post.ref),
                "reason": {"$type": "app.bsky.feed.defs#reasonRepost", "by": profile_basic(account), "uri": post.id,
                           "cid": fake_cid(post.id), "indexedAt": iso(post.created_at)}}
    item: dict[str, Any] = {"post": post_view(site, account, post)}
    if post.kind == "reply" and post.reply_to is not None:
        parent = _reply_parent(post, account)
        item["reply"] = {"root": parent, "parent": parent}
    return item


def sort_key(post: SamplePost) -> str:
    return iso(post.created_at)


# ------------------------------------------------------------------------------------- endpoints


def route(site: Any, path: str, query: dict[str, list[str]], base: str) -> Reply | None:
    method = path.removeprefix("/xrpc/")
    handlers = {
        "app.bsky.actor.getProfile": lambda: get_profile(site, first(query, "actor") or ""),
        "app.bsky.actor.getProfiles": lambda: get_profiles(site, query.get("actors", [])),
        "app.bsky.feed.getAuthorFeed": lambda: author_feed(site, query),
        "app.bsky.feed.getPostThread": lambda: post_thread(site, first(query, "uri") or ""),
        "com.atproto.identity.resolveHandle": lambda: resolve_handle(site, first(query, "handle") or ""),
    }
    handler = handlers.get(method)
    return handler() if handler else None


def _actor(site: Any, name: str) -> SampleAccount | SampleAuthor | None:
    actor = site.index("bluesky")["actors"].get(name.lower().lstrip("@"))
    if isinstance(actor, SampleAccount) and actor.behaviour.get("not_found"):
        return None
    return actor


def get_profile(site: Any, name: str) -> Reply:
    actor = _actor(site, name)
    if actor is None:
        return error("InvalidRequest", "Profile not found")
    return site.cached(("bluesky", "profile", _did(actor)), lambda: json_reply(profile_detailed(site, actor)))


def get_profiles(site: Any, names: list[str]) -> Reply:
    if len(names) > 25:
        return error("InvalidRequest", "Error: actors must not have more than 25 elements")
    actors = [a for a in (_actor(site, n) for n in names) if a is not None]
    return json_reply({"profiles": [profile_detailed(site, a) for a in actors]})


def resolve_handle(site: Any, handle: str) -> Reply:
    actor = _actor(site, handle)
    return json_reply({"did": _did(actor)}) if actor else error("InvalidRequest", "Unable to resolve handle")


FILTERS = {
    "posts_no_replies": lambda p: p.kind != "reply",
    "posts_and_author_threads": lambda p: p.kind != "reply",
    "posts_with_media": lambda p: p.kind in ("original", "quote") and p.format in ("image", "video", "gif"),
    "posts_with_video": lambda p: p.kind in ("original", "quote") and p.format in ("video", "gif"),
}


def author_feed(site: Any, query: dict[str, list[str]]) -> Reply:
    actor = _actor(site, first(query, "actor") or "")
    if not isinstance(actor, SampleAccount):
        return error("InvalidRequest", "Profile not found")
    behaviour = actor.behaviour
    if behaviour.get("login_wall"):
        return error("AuthMissing", "Authentication Required", status=401)
    limited = throttle(site, "bluesky", actor.id, behaviour,
                       dump_json({"error": "RateLimitExceeded", "message": "Rate Limit Exceeded"}))
    if limited is not None:
        return limited
    limit = max(1, min(MAX_LIMIT, int(first(query, "limit") or 50)))
    cursor, feed_filter = first(query, "cursor"), first(query, "filter") or "posts_with_replies"
    pins = (first(query, "includePins") or "").lower() == "true"
    key = ("bluesky", "feed", actor.id, limit, cursor, feed_filter, pins)
    return site.cached(key, lambda: json_reply(_feed_payload(site, actor, limit, cursor, feed_filter, pins)))


def _feed_payload(site: Any, account: SampleAccount, limit: int, cursor: str | None, feed_filter: str,
                  pins: bool) -> dict[str, Any]:
    keep = FILTERS.get(feed_filter, lambda p: True)
    posts = [p for p in site.panel.posts("bluesky", account.id) if keep(p)]
    if cursor:
        posts = [p for p in posts if sort_key(p) < cursor]
    page = posts[:limit]
    feed = [feed_item(site, account, p) for p in page]
    if pins and not cursor:
        pinned = next((p for p in site.panel.posts("bluesky", account.id) if p.pinned), None)
        if pinned is not None:
            feed.insert(0, {"post": post_view(site, account, pinned),
                            "reason": {"$type": "app.bsky.feed.defs#reasonPin"}})
    # As the real App View: a cursor with every page that has posts, the last one too.
    return {"cursor": sort_key(page[-1]), "feed": feed} if page else {"feed": feed}


def _thread_reply(site: Any, account: SampleAccount, comment: SampleComment, parent_uri: str,
                  root_uri: str) -> dict[str, Any]:
    author = comment.author
    record = {"$type": "app.bsky.feed.post", "createdAt": iso(comment.created_at), "langs": ["en"],
              "reply": {"parent": {"cid": fake_cid(parent_uri), "uri": parent_uri},
                        "root": {"cid": fake_cid(root_uri), "uri": root_uri}},
              "text": comment.text}
    view = {"uri": comment.id, "cid": fake_cid(comment.id),
            "author": profile_basic(account if comment.by_account else author), "record": record,
            "bookmarkCount": 0, "replyCount": len(comment.replies), "repostCount": 0, "likeCount": comment.likes,
            "quoteCount": 0, "indexedAt": iso(comment.created_at + timedelta(seconds=1)), "labels": []}
    replies = [_thread_reply(site, account, r, comment.id, root_uri) for r in comment.replies]
    return {"$type": "app.bsky.feed.defs#threadViewPost", "post": view, "replies": replies, "threadContext": {}}


def post_thread(site: Any, uri: str) -> Reply:
    found = site.index("bluesky")["posts"].get(uri)
    if found is None:
        return error("NotFound", f"Post not found: {uri}")
    account, post = found

    def build() -> Reply:
        comments = comments_for(site.panel, account, post)
        replies = [_thread_reply(site, account, c, post.id, post.id) for c in comments]
        thread = {"$type": "app.bsky.feed.defs#threadViewPost", "post": post_view(site, account, post),
                  "replies": replies, "threadContext": {}}
        return json_reply({"thread": thread})

    return site.cached(("bluesky", "thread", uri), build)


def index_posts(panel: Any) -> dict[str, dict[str, Any]]:
    """Actors by handle and DID (panel accounts, fans, organisations) and panel posts by at-uri."""
    actors: dict[str, SampleAccount | SampleAuthor] = {}
    posts: dict[str, tuple[SampleAccount, SamplePost]] = {}
    for account in panel.accounts:
        if account.platform != "bluesky":
            continue
        for author in (*account.fans, *account.orgs, *account.affiliates):
            actors[author.handle.lower()] = actors[author.id] = author
        actors[account.id.lower()] = actors[account.internal_id] = account
        for post in panel.posts("bluesky", account.id):
            posts[post.id] = (account, post)
    return {"actors": actors, "posts": posts}
