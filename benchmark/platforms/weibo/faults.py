"""Weibo's fault profile for the sample server's hostile answers (benchmark.sample.faults.hostile_reply)."""

from __future__ import annotations

from typing import Any

from benchmark.sample import raw_param as param

FAR_DATE_WEIBO = "Fri Dec 31 23:30:00 -0500 9999"
TIMELINE = ("/api/container/getIndex", "containerid=107603")  # (path under /weibo, marker): a timeline page
CURSOR_PARAMS = ("since_id", "page")  # a later page asks with one of these


def next_cursor(name: str, payload: Any, headers: list, query: str) -> tuple[Any, list]:
    """The page's next-page cursor: ever new (endless) or the one that asked for it (stuck)."""
    info = payload.get("data", {}).get("cardlistInfo", {})
    if name == "endless_cursor":
        info.pop("since_id", None)  # the crawler pages on with page=N
    else:
        info["since_id"] = int(param(query, "since_id") or 0)
    return payload, headers


def newest_posts(payload: Any) -> list[dict]:
    """The newest (first non-pinned) post object of the page, as a one-item list (or empty)."""
    cards = payload.get("data", {}).get("cards") if isinstance(payload, dict) else None
    blogs = [card["mblog"] for card in cards or () if isinstance(card, dict) and "mblog" in card]
    return [blog for blog in blogs if not blog.get("isTop")][:1]


def spoil(name: str, post: dict, headers: list) -> None:
    if name == "date_9999":
        post["created_at"] = FAR_DATE_WEIBO
    elif name == "huge_count":
        post["attitudes_count"] = 10**30
    elif name == "surrogate":
        post["text"] = str(post.get("text", "")) + "\ud800"
