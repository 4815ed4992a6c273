"""YouTube's fault profile for the sample server's hostile answers (benchmark.sample.faults.hostile_reply).

The timeline is the uploads playlist (`playlistItems`, paged by `pageToken`); its items carry ids and dates
only, so counts and text are spoiled where they live (videos.list) by nothing here: huge_count is a no-op."""

from __future__ import annotations

import base64
from typing import Any

from benchmark.sample import FAR_DATE
from benchmark.sample import raw_param as param

TIMELINE = ("/", "playlistItems")  # (path under /youtube, marker): the API root may or may not end in /v3
CURSOR_PARAMS = ("pageToken",)  # a later page asks with one of these


def next_cursor(name: str, payload: Any, headers: list, query: str) -> tuple[Any, list]:
    """The page's nextPageToken: ever new (endless; the strict server refuses tokens it did not issue) or the
    one that asked for it (stuck)."""
    asked = param(query, "pageToken")
    if name == "endless_cursor":
        asked = base64.urlsafe_b64encode(f"{asked}+".encode()).decode().rstrip("=")
    if isinstance(payload, dict):
        payload["nextPageToken"] = asked
    return payload, headers


def newest_posts(payload: Any) -> list[dict]:
    """The newest playlist item of the page, as a one-item list (or empty)."""
    items = payload.get("items") if isinstance(payload, dict) else None
    return [item for item in items if isinstance(item, dict)][:1] if isinstance(items, list) else []


def spoil(name: str, post: dict, headers: list) -> None:
    details = post.get("contentDetails") if isinstance(post.get("contentDetails"), dict) else {}
    snippet = post.get("snippet") if isinstance(post.get("snippet"), dict) else {}
    if name == "date_9999":
        details["videoPublishedAt"] = FAR_DATE
    elif name == "surrogate":
        snippet["title"] = str(snippet.get("title", "")) + "\ud800"
