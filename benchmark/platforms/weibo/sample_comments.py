"""The sample panel's Weibo comments as `comments/hotflow` pages (20 a page, inline replies, `max_id` paging).
"""

from __future__ import annotations

import math
from datetime import datetime
from typing import Any

from benchmark.platforms.weibo.sample_render import (
    COMMENT_MANAGE,
    COMMENTS_PAGE,
    NOT_VISIBLE,
    escape,
    find_post,
    full_date,
    text_html,
    user_json,
)
from benchmark.sample import Reply, json_reply
from benchmark.sample.panel import (
    SampleComment,
    comments_for,
    mid_to_bid,
)

# -------------------------------------------------------------------------------------- comments


def _comment_json(comment: SampleComment, root: SampleComment | None, container: str, floor: int,
                  now: datetime) -> dict[str, Any]:
    user = user_json(comment.author, container)
    data: dict[str, Any] = {
        "created_at": full_date(comment.created_at), "id": comment.id, "rootid": (root or comment).id,
        "floor_number": floor, "text": "", "disable_reply": 0, "user": user, "mid": comment.id,
        "readtimetype": "comment", "bid": mid_to_bid(comment.id), "source": "来自上海", "like_count": comment.likes,
        "liked": False,
    }
    if comment.loyal_fan and not comment.by_account:
        data["comment_badge"] = [{
            "pic_url": "https://h5.sinaimg.cn/upload/1007/25/2019/05/17/feed_iconloyalfan_identity133low.png",
            "name": "loyal_fans", "length": 1.33, "actionlog": {"act_code": "3671", "ext": "status:fans"},
            "scheme": "https://kefu.weibo.com/faqdetail?id=20848"}]
    if root is not None:
        name = escape(root.author.name)
        data["text"] = f"回复<a href='/n/{name}'>@{name}</a>:{text_html(comment.text, '0')}"
        data["reply_original_text"] = comment.text
        data["shouldShowColon"] = 0
        return data
    data["text"] = text_html(comment.text, "0")
    data["comments"] = [_comment_json(r, comment, container, 0, now) for r in comment.replies] or False
    data["max_id"] = 0
    data["total_number"] = len(comment.replies)
    data["isLikedByMblogAuthor"] = bool(comment.replies)
    data["more_info_type"] = 0
    return data


def hotflow(site: Any, mid: str, max_id: str | None) -> Reply:
    found = find_post(site, mid)
    if found is None:
        return json_reply(NOT_VISIBLE)
    account, post = found
    everything = site.cached(("weibo", "comments", mid), lambda: comments_for(site.panel, account, post))
    comments = everything
    if max_id and max_id.isdigit() and int(max_id) > 0:
        comments = [c for c in everything if int(c.id) < int(max_id)]
    page = comments[:COMMENTS_PAGE]
    container = f"107603{account.id}"
    now = site.now()
    total = len(everything)
    skipped = total - len(comments)
    data = [_comment_json(c, None, container, total - skipped - i, now) for i, c in enumerate(page)]
    next_id = int(page[-1].id) if len(comments) > COMMENTS_PAGE else 0
    return json_reply({"ok": 1, "data": {
        "data": data, "total_number": post.comments, "max_id": next_id, "max": max(1, math.ceil(total / COMMENTS_PAGE)),
        "max_id_type": 0, "status": {"comment_manage_info": COMMENT_MANAGE}}})
