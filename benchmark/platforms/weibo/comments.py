"""Comments (`comments/hotflow`, the old `api/comments/show`) → Comment items with inline replies.
"""

from __future__ import annotations

import re
from datetime import datetime
from typing import Any

from benchmark.items import Comment
from benchmark.parsers.common import as_dict, as_list
from benchmark.parsers.text import parse_count
from benchmark.platforms.weibo.envelope import classify_envelope
from benchmark.platforms.weibo.fields import (
    PLATFORM,
    as_aware,
    id_str,
    int_or_none,
    is_organization,
    parse_weibo_time,
    user_id,
)
from benchmark.platforms.weibo.markup import plain_text

# -- comments ---------------------------------------------------------------------------------------------


def parse_comments(payload: Any, *, post_id: str, post_author_id: str,
                   crawled_at: datetime) -> tuple[list[Comment], str | None, int | None]:
    """comments/hotflow (or old api/comments/show) → (comments with inline replies, next max_id, max_id_type)."""
    try:
        return _parse_comments(payload, str(post_id), str(post_author_id or ""), as_aware(crawled_at))
    except Exception:  # comments are optional; a bad page yields none
        return [], None, None


def _parse_comments(payload: Any, post_id: str, author_id: str,
                    crawled_at: datetime) -> tuple[list[Comment], str | None, int | None]:
    if classify_envelope(payload)[0] != "ok":
        return [], None, None
    data = payload.get("data")
    # weibo.com buildComments puts the list in `data` and the cursor beside it; m.weibo.cn nests both.
    data = {"data": data, "max_id": payload.get("max_id")} if isinstance(data, list) else as_dict(data)
    found: dict[str, Comment] = {}
    for raw in as_list(data.get("data")) + as_list(data.get("hot_data")):
        top = _comment(raw, post_id, author_id, crawled_at, parent_id=None)
        if top is None:
            continue
        found.setdefault(top.comment_id, top)
        for reply in as_list(raw.get("comments")):  # `comments` is a list of inline replies, or false
            child = _comment(reply, post_id, author_id, crawled_at, parent_id=top.comment_id)
            if child is not None:
                found.setdefault(child.comment_id, child)
    max_id = data.get("max_id")
    next_max_id = None if max_id in (None, 0, "0", "") or isinstance(max_id, bool) else str(max_id)
    return list(found.values()), next_max_id, int_or_none(data.get("max_id_type"))


_REPLY_TO = re.compile(r"^回复\s*@([^:：\s]+)\s*[:：]")


def _comment(raw: Any, post_id: str, author_id: str, crawled_at: datetime,
             parent_id: str | None) -> Comment | None:
    if not isinstance(raw, dict):
        return None
    comment_id = id_str(raw.get("idstr")) or id_str(raw.get("id"))
    if comment_id is None:
        return None
    user = as_dict(raw.get("user"))
    uid = user_id(user)
    text = plain_text(raw.get("text"))
    created = raw.get("created_at")
    extra = _comment_extra(raw, text)
    name = user.get("screen_name")
    return Comment(
        platform=PLATFORM,
        comment_id=comment_id,
        post_id=post_id,
        author_id=uid,
        author_name=name if isinstance(name, str) else None,
        author_is_organization=is_organization(user.get("verified_type")),
        created_at=parse_weibo_time(created, now=crawled_at) if isinstance(created, str) else None,
        text=text,
        parent_comment_id=parent_id or _parent_of_top_level(raw, comment_id),
        is_by_post_author=bool(uid and author_id and uid == author_id),
        likes=parse_count(raw.get("like_count", raw.get("like_counts")))[0],
        crawled_at=crawled_at,
        extra=extra,
    )


def _parent_of_top_level(raw: dict, comment_id: str) -> str | None:
    """hotflow: rootid == id on a thread root; the old API names the replied comment in reply_id."""
    for key in ("reply_id", "rootid"):
        parent = id_str(raw.get(key))
        if parent and parent != comment_id:
            return parent
    return None


def _comment_extra(raw: dict, text: str) -> dict[str, Any]:
    extra: dict[str, Any] = {}
    badges = [badge.get("name") for badge in as_list(raw.get("comment_badge")) if isinstance(badge, dict)]
    if any(isinstance(name, str) for name in badges):
        extra["badges"] = [name for name in badges if isinstance(name, str)]
    reply_to = _REPLY_TO.match(text)
    if reply_to:
        extra["reply_to_name"] = reply_to[1]
    for key in ("floor_number", "total_number"):
        value = int_or_none(raw.get(key))
        if value is not None:
            extra[key] = value
    if raw.get("isLikedByMblogAuthor") is True:
        extra["liked_by_post_author"] = True
    source = plain_text(raw.get("source"))
    if source:
        extra["source"] = source  # weibo.com: "来自北京" (the commenter's IP region)
    return extra
