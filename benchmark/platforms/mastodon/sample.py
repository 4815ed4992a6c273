"""Mastodon (REST, the account's home instance) payloads for the sample panel, shaped like
shared/fixtures/mastodon/ (Account and Status entities of Mastodon 4.x).

Routes (below the /mastodon prefix):
  /api/v1/accounts/lookup?acct=<user@instance | user>          → Account (404 {"error":"Record not found"})
  /api/v1/accounts/<id>                                         → Account
  /api/v1/accounts/<id>/statuses?limit=40[&max_id=..][&since_id=..][&pinned=true][&exclude_replies=true]
        [&exclude_reblogs=true][&only_media=true]               → [Status], Link rel="next"/"prev"
  /api/v1/statuses/<id>                                         → Status
  /api/v1/statuses/<id>/context                                 → {ancestors, descendants}

Paging follows Mastodon: newest first, `limit` ≤ 40 (default 20), a `Link` next header only when the page
is full. Every answer carries X-RateLimit-Limit/Remaining/Reset. Boosts are wrappers with empty content
and zero counts around `reblog`; quotes use the 4.5 `quote` object.
"""

from __future__ import annotations

import hashlib
import re
from datetime import datetime, timedelta
from typing import Any
from urllib.parse import urlsplit

from benchmark.sample import Reply, dump_json, first, json_reply, throttle
from benchmark.sample.panel import (
    UTC,
    SampleAccount,
    SampleAuthor,
    SampleComment,
    SamplePost,
    SampleRef,
    comments_for,
    tokenize,
)

DEFAULT_LIMIT, MAX_LIMIT = 20, 40
RATE_LIMIT = 300
FILTER_PARAMS = ("exclude_replies", "exclude_reblogs", "only_media")


def iso(moment: datetime) -> str:
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.") + f"{moment.microsecond // 1000:03d}Z"


def _escape(text: str) -> str:
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;").replace('"', "&quot;") \
        .replace("'", "&#39;")


def _digest(*parts: object) -> str:
    return hashlib.sha1("|".join(map(str, parts)).encode()).hexdigest()


# ----------------------------------------------------------------------------------------- accounts


def _split_acct(acct: str, home: str) -> tuple[str, str]:
    user, _, domain = acct.partition("@")
    return user, domain or home


def _media_path(kind: str, key: str) -> str:
    digest = _digest(kind, key)
    return "/".join(digest[i:i + 3] for i in range(0, 18, 3))


def _avatar(domain: str, store: str, key: str) -> str:
    return f"https://{domain}/{store}/accounts/avatars/{_media_path('avatar', key)}/original/{_digest(key)[:16]}.png"


def account_json(account: SampleAccount) -> dict[str, Any]:
    """A panel account as its home instance shows it (acct without domain)."""
    user, domain = account.username, account.instance or "mastodon.example"
    behaviour = account.behaviour
    hidden = bool(behaviour.get("opted_out"))
    web = f"https://{account.brand.replace('_', '')}.example"
    return {
        "id": account.internal_id, "username": user, "acct": user, "display_name": account.name,
        "locked": bool(behaviour.get("private")), "bot": False, "discoverable": not hidden, "indexable": not hidden,
        "group": False, "created_at": iso(account.created_at.replace(hour=0, minute=0, second=0)),
        "note": f"<p>{_escape(account.description)}</p>", "url": f"https://{domain}/@{user}",
        "uri": f"https://{domain}/users/{user}",
        "avatar": _avatar(domain, "system", user), "avatar_static": _avatar(domain, "system", user),
        "header": f"https://{domain}/headers/original/missing.png", "header_static": f"https://{domain}/headers/original/missing.png",
        "followers_count": account.followers, "following_count": account.following,
        "statuses_count": account.statuses_count, "last_status_at": None, "hide_collections": False,
        "noindex": hidden, "emojis": [], "roles": [],
        "fields": [{"name": "Website", "value": f'<a href="{web}" target="_blank" rel="nofollow noopener me" '
                    f'translate="no"><span class="invisible">https://</span><span class="">{web[8:]}</span>'
                    '<span class="invisible"></span></a>', "verified_at": "2025-03-01T08:00:00.000+00:00"}],
    }


def author_json(author: SampleAuthor, home: str) -> dict[str, Any]:
    """A fan or organisation (usually remote: acct is user@domain)."""
    user, domain = _split_acct(author.handle, home)
    acct = author.handle if domain != home else user
    return {
        "id": author.id, "username": user, "acct": acct, "display_name": author.name, "locked": False,
        "bot": author.bot, "discoverable": True, "group": author.group, "created_at": "2022-11-05T00:00:00.000Z",
        "note": "<p>Coffee, books and cats.</p>" if not author.is_organization else "<p>News and stories.</p>",
        "url": f"https://{domain}/@{user}", "uri": f"https://{domain}/users/{user}",
        "avatar": _avatar(home, "cache", author.id), "avatar_static": _avatar(home, "cache", author.id),
        "header": f"https://{home}/headers/original/missing.png", "header_static": f"https://{home}/headers/original/missing.png",
        "followers_count": author.followers, "following_count": 50 + author.followers % 400,
        "statuses_count": 120 + author.followers % 3000, "last_status_at": "2026-11-20", "emojis": [], "fields": [],
    }


# ------------------------------------------------------------------------------------------- text


def content_html(text: str, home: str, site: Any) -> tuple[str, list[dict[str, Any]], list[dict[str, Any]]]:
    """(content HTML, mentions, tags) as Mastodon renders a status."""
    parts, mentions, tags = [], [], []
    authors = site.index("mastodon")["authors"]
    for kind, value in tokenize(text, "mastodon"):
        if kind == "url":
            parts.append(_link(value))
        elif kind == "tag":
            name = value[1:]
            parts.append(f'<a href="https://{home}/tags/{_escape(name)}" class="mention hashtag" rel="tag">'
                         f"#<span>{_escape(name)}</span></a>")
            tags.append({"name": name.lower(), "url": f"https://{home}/tags/{name.lower()}"})
        elif kind == "mention":
            user, domain = _split_acct(value, home)
            parts.append(f'<span class="h-card" translate="no"><a href="https://{domain}/@{_escape(user)}" '
                         f'class="u-url mention">@<span>{_escape(user)}</span></a></span>')
            known = authors.get(value)
            mentions.append({"id": known.id if known else str(int(_digest(value)[:12], 16)), "username": user,
                             "url": f"https://{domain}/@{user}", "acct": value if domain != home else user})
        elif kind == "newline":
            parts.append("<br />")
        else:
            parts.append(_escape(value))
    return "<p>" + "".join(parts) + "</p>", mentions, tags


def _link(url: str) -> str:
    scheme, _, rest = url.partition("://")
    shown, hidden = (rest[:30], rest[30:]) if len(rest) > 30 else (rest, "")
    return (f'<a href="{_escape(url)}" target="_blank" rel="nofollow noopener" translate="no">'
            f'<span class="invisible">{scheme}://</span><span class="{"ellipsis" if hidden else ""}">'
            f'{_escape(shown)}</span><span class="invisible">{_escape(hidden)}</span></a>')


def _attachments(home: str, key: str, fmt: str, count: int) -> list[dict[str, Any]]:
    kind = {"image": "image", "gif": "gifv", "video": "video", "audio": "audio"}.get(fmt)
    if kind is None:
        return []
    out = []
    for i in range(max(count, 1) if kind != "image" else count):
        media_id = str(int(_digest(key, i)[:15], 16))
        ext = {"image": "jpg", "gifv": "mp4", "video": "mp4", "audio": "mp3"}[kind]
        path = f"https://{home}/system/media_attachments/files/{_media_path(kind, media_id)}"
        meta: dict[str, Any] = {
            "original": {"width": 1280, "height": 720, "size": "1280x720", "aspect": 1.7777777777777777},
            "small": {"width": 640, "height": 360, "size": "640x360", "aspect": 1.7777777777777777}}
        if kind != "image":
            meta["original"].update(duration=12.5 + i, bitrate=1_045_437)
        out.append({"id": media_id, "type": kind, "url": f"{path}/original/{media_id[:16]}.{ext}",
                    "preview_url": f"{path}/small/{media_id[:16]}.png", "remote_url": None, "preview_remote_url": None,
                    "text_url": None, "meta": meta, "description": "Product photo" if kind == "image" else None,
                    "blurhash": "UMAm0W4;kTRj0M-:Rjt7%LM|kDoJjZofo0Rk"})
    return out


def _card(url: str) -> dict[str, Any]:
    host = urlsplit(url).netloc
    return {"url": url, "title": f"{host} — news", "description": "Fresh from our roastery and stores.",
            "language": "en", "type": "link", "author_name": "", "author_url": "", "provider_name": host,
            "provider_url": "", "html": "", "width": 400, "height": 210, "image": None, "image_description": "",
            "embed_url": "", "blurhash": None, "published_at": None, "authors": []}


def _poll(post: SamplePost) -> dict[str, Any]:
    votes = max(post.likes, 3)
    split = [votes // 2, votes // 3, votes - votes // 2 - votes // 3]
    return {"id": str(int(_digest("poll", post.id)[:7], 16)), "expires_at": iso(post.created_at + timedelta(days=1)),
            "expired": True, "multiple": False, "votes_count": votes, "voters_count": votes,
            "options": [{"title": title, "votes_count": votes}
                        for title, votes in zip(("Original", "Spicy", "Both!"), split, strict=True)],
            "emojis": []}


# ---------------------------------------------------------------------------------------- statuses


def _status_base(status_id: str, moment: datetime, user: str, domain: str, content: str) -> dict[str, Any]:
    return {"id": status_id, "created_at": iso(moment), "in_reply_to_id": None, "in_reply_to_account_id": None,
            "sensitive": False, "spoiler_text": "", "visibility": "public", "language": "en",
            "uri": f"https://{domain}/users/{user}/statuses/{status_id}", "url": f"https://{domain}/@{user}/{status_id}",
            "replies_count": 0, "reblogs_count": 0, "favourites_count": 0, "quotes_count": 0, "edited_at": None,
            "content": content, "reblog": None}


def ref_status(site: Any, ref: SampleRef, home: str) -> dict[str, Any]:
    author = ref.author or SampleAuthor(id="0", name="", handle=f"deleted@{home}")
    user, domain = _split_acct(author.handle, home)
    content, mentions, tags = content_html(ref.text, home, site)
    status = _status_base(ref.post_id, ref.created_at, user, domain, content)
    status.update(replies_count=ref.comments, reblogs_count=ref.reposts, favourites_count=ref.likes,
                  account=author_json(author, home), media_attachments=_attachments(home, ref.post_id, ref.format,
                                                                                       ref.media_count),
                  mentions=mentions, tags=tags, emojis=[], card=None, poll=None, quote=None)
    return status


def status_json(site: Any, account: SampleAccount, post: SamplePost) -> dict[str, Any]:
    home, user = account.instance or "mastodon.example", account.username
    me = account_json(account)
    if post.kind == "repost" and post.ref is not None:
        status = _status_base(post.id, post.created_at, user, home, "")
        status["uri"] = status["url"] = f"https://{home}/users/{user}/statuses/{post.id}/activity"
        status.update(reblog=ref_status(site, post.ref, home), account=me, media_attachments=[], mentions=[], tags=[],
                      emojis=[], card=None, poll=None, quote=None)
        return status
    content, mentions, tags = content_html(post.text, home, site)
    if post.kind == "quote" and post.ref is not None:
        quoted = ref_status(site, post.ref, home)
        content = (f'<p class="quote-inline">RE: <a href="{quoted["url"]}">{quoted["url"][8:]}</a></p>' + content)
    status = _status_base(post.id, post.created_at, user, home, content)
    status.update(replies_count=post.comments, reblogs_count=post.reposts, favourites_count=post.likes,
                  quotes_count=post.quotes, application={"name": "Web", "website": None}, account=me,
                  media_attachments=_attachments(home, post.id, post.format, post.media_count), mentions=mentions,
                  tags=tags, emojis=[], card=None, poll=None, quote=None)
    if post.kind == "reply" and post.reply_to is not None:
        status.update(in_reply_to_id=post.reply_to_post_id, in_reply_to_account_id=post.reply_to.id)
    if post.kind == "quote" and post.ref is not None:
        status["quote"] = {"state": "accepted", "quoted_status": ref_status(site, post.ref, home)}
    if post.format == "link" and post.links:
        status["card"] = _card(post.links[-1])
    if post.format == "poll":
        status["poll"] = _poll(post)
    return status


# --------------------------------------------------------------------------------------- endpoints

_STATUSES = re.compile(r"^/api/v1/accounts/([^/]+)/statuses$")
_ACCOUNT = re.compile(r"^/api/v1/accounts/([^/]+)$")
_STATUS = re.compile(r"^/api/v1/statuses/([^/]+)(/context)?$")


def rate_headers(site: Any, account_id: str) -> tuple[tuple[str, str], ...]:
    used = site.hit("mastodon", account_id, "ratelimit")
    now = site.now().astimezone(UTC)
    reset = now.replace(second=0, microsecond=0) + timedelta(minutes=5 - now.minute % 5)
    return (("X-RateLimit-Limit", str(RATE_LIMIT)), ("X-RateLimit-Remaining", str(max(0, RATE_LIMIT - used))),
            ("X-RateLimit-Reset", reset.strftime("%Y-%m-%dT%H:%M:%S.000000Z")))


def route(site: Any, path: str, query: dict[str, list[str]], base: str) -> Reply | None:
    if path == "/api/v1/accounts/lookup":
        return lookup(site, first(query, "acct") or "")
    if match := _STATUSES.match(path):
        return statuses(site, match.group(1), query, base)
    if match := _ACCOUNT.match(path):
        account = _by_internal_id(site, match.group(1))
        if account is None:
            return RECORD_NOT_FOUND
        return json_reply(account_json(account), headers=rate_headers(site, account.id))
    if match := _STATUS.match(path):
        return context(site, match.group(1)) if match.group(2) else single_status(site, match.group(1))
    return None


RECORD_NOT_FOUND = Reply(404, dump_json({"error": "Record not found"}))


def _usable(account: SampleAccount | None) -> SampleAccount | None:
    return None if account is None or account.behaviour.get("not_found") else account


def _by_internal_id(site: Any, internal_id: str) -> SampleAccount | None:
    return _usable(site.index("mastodon")["accounts"].get(internal_id))


def lookup(site: Any, acct: str) -> Reply:
    wanted = acct.strip().lstrip("@").lower()
    accounts = [a for a in site.panel.accounts if a.platform == "mastodon"]
    account = next((a for a in accounts if a.id == wanted), None) or next(
        (a for a in accounts if a.username == wanted), None)
    account = _usable(account)
    if account is None:
        return RECORD_NOT_FOUND
    if account.behaviour.get("login_wall"):
        return UNAUTHORIZED
    return json_reply(account_json(account), headers=rate_headers(site, account.id))


UNAUTHORIZED = Reply(401, dump_json({"error": "This method requires an authenticated user"}))


def _select(posts: list[SamplePost], query: dict[str, list[str]]) -> list[SamplePost]:
    if (first(query, "pinned") or "").lower() == "true":
        return [p for p in posts if p.pinned]
    if (first(query, "exclude_replies") or "").lower() == "true":
        posts = [p for p in posts if p.kind != "reply"]
    if (first(query, "exclude_reblogs") or "").lower() == "true":
        posts = [p for p in posts if p.kind != "repost"]
    if (first(query, "only_media") or "").lower() == "true":
        posts = [p for p in posts if p.media_count and p.kind != "repost"]
    max_id, since_id = first(query, "max_id"), first(query, "since_id") or first(query, "min_id")
    if max_id and max_id.isdigit():
        posts = [p for p in posts if int(p.id) < int(max_id)]
    if since_id and since_id.isdigit():
        posts = [p for p in posts if int(p.id) > int(since_id)]
        if first(query, "min_id"):
            posts = posts[-_limit(query):]  # min_id pages up from the given id
    return posts


def _limit(query: dict[str, list[str]]) -> int:
    raw = first(query, "limit") or ""
    return max(1, min(MAX_LIMIT, int(raw))) if raw.isdigit() else DEFAULT_LIMIT


def statuses(site: Any, internal_id: str, query: dict[str, list[str]], base: str) -> Reply:
    account = _by_internal_id(site, internal_id)
    if account is None:
        return RECORD_NOT_FOUND
    behaviour = account.behaviour
    if behaviour.get("login_wall"):
        return UNAUTHORIZED
    limited = throttle(site, "mastodon", account.id, behaviour, dump_json({"error": "Too many requests"}))
    if limited is not None:
        return Reply(limited.status, limited.body, limited.content_type,
                     (*limited.headers, ("X-RateLimit-Limit", str(RATE_LIMIT)), ("X-RateLimit-Remaining", "0")))
    headers = rate_headers(site, account.id)
    if behaviour.get("private"):
        return json_reply([], headers=headers)  # a locked account shows nothing to strangers
    limit = _limit(query)
    posts = _select(site.panel.posts("mastodon", account.id), query)
    page = posts[:limit]
    key = ("mastodon", "statuses", account.id, tuple(p.id for p in page))
    body = site.cached(key, lambda: dump_json([status_json(site, account, p) for p in page]))
    links = _link_header(base, internal_id, query, page, limit)
    return Reply(200, body, headers=headers + ((("Link", links),) if links else ()))


def _link_header(base: str, internal_id: str, query: dict[str, list[str]], page: list[SamplePost], limit: int) -> str:
    if not page or (first(query, "pinned") or "").lower() == "true":
        return ""
    extra = "".join(f"&{name}={first(query, name)}" for name in FILTER_PARAMS if first(query, name))
    url = f"{base}/api/v1/accounts/{internal_id}/statuses?limit={limit}{extra}"
    links = []
    if len(page) == limit:
        links.append(f'<{url}&max_id={page[-1].id}>; rel="next"')
    links.append(f'<{url}&min_id={page[0].id}>; rel="prev"')
    return ", ".join(links)


def single_status(site: Any, status_id: str) -> Reply:
    found = site.index("mastodon")["posts"].get(status_id)
    if found is None or _usable(found[0]) is None:
        return RECORD_NOT_FOUND
    return json_reply(status_json(site, *found))


def _comment_status(site: Any, account: SampleAccount, comment: SampleComment, parent_id: str,
                    parent_account_id: str) -> dict[str, Any]:
    home = account.instance or "mastodon.example"
    author = comment.author
    user, domain = (account.username, home) if comment.by_account else _split_acct(author.handle, home)
    content, mentions, tags = content_html(comment.text, home, site)
    status = _status_base(comment.id, comment.created_at, user, domain, content)
    status.update(in_reply_to_id=parent_id, in_reply_to_account_id=parent_account_id,
                  replies_count=len(comment.replies), favourites_count=comment.likes,
                  account=account_json(account) if comment.by_account else author_json(author, home),
                  media_attachments=[], mentions=mentions, tags=tags, emojis=[], card=None, poll=None, quote=None)
    return status


def context(site: Any, status_id: str) -> Reply:
    found = site.index("mastodon")["posts"].get(status_id)
    if found is None or _usable(found[0]) is None:
        return RECORD_NOT_FOUND
    account, post = found

    def build() -> Reply:
        descendants = []
        for comment in sorted(comments_for(site.panel, account, post), key=lambda c: c.created_at):
            descendants.append(_comment_status(site, account, comment, post.id, account.internal_id))
            descendants += [_comment_status(site, account, r, comment.id, comment.author.id) for r in comment.replies]
        return json_reply({"ancestors": [], "descendants": descendants})

    return site.cached(("mastodon", "context", status_id), build)


def index_posts(panel: Any) -> dict[str, dict[str, Any]]:
    """Accounts by numeric id, posts by status id, and known authors by acct (for mentions)."""
    accounts, posts, authors = {}, {}, {}
    for account in panel.accounts:
        if account.platform != "mastodon":
            continue
        accounts[account.internal_id] = account
        for author in (*account.fans, *account.orgs, *account.affiliates):
            authors[author.handle] = author
        for post in panel.posts("mastodon", account.id):
            posts[post.id] = (account, post)
    return {"accounts": accounts, "posts": posts, "authors": authors}

