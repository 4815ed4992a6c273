"""Bluesky's fault profile for the sample server's hostile answers (benchmark.sample.faults.hostile_reply)."""

from __future__ import annotations

from typing import Any

from benchmark.sample import FAR_DATE
from benchmark.sample import raw_param as param

TIMELINE = ("/xrpc/app.bsky.feed.getAuthorFeed", "")  # (path under /bluesky, marker): a timeline page
CURSOR_PARAMS = ("cursor",)  # a later page asks with one of these


def next_cursor(name: str, payload: Any, headers: list, query: str) -> tuple[Any, list]:
    """The page's next-page cursor: ever new (endless) or the one that asked for it (stuck)."""
    asked = param(query, "cursor")
    payload["cursor"] = f"{asked}x" if name == "endless_cursor" else asked
    return payload, headers


def newest_posts(payload: Any) -> list[dict]:
    """The newest (first non-repost) post object of the page, as a one-item list (or empty)."""
    feed = payload.get("feed") if isinstance(payload, dict) else None
    items = [item for item in feed or () if isinstance(item, dict) and "reason" not in item]
    return [items[0]["post"]] if items and "post" in items[0] else []


def spoil(name: str, post: dict, headers: list) -> None:
    if name == "date_9999":
        post.setdefault("record", {})["createdAt"] = FAR_DATE
        post["indexedAt"] = FAR_DATE
    elif name == "huge_count":
        post["likeCount"] = 10**30
    elif name == "surrogate":
        record = post.setdefault("record", {})
        record["text"] = str(record.get("text", "")) + "\ud800"
