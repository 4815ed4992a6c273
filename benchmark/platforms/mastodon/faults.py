"""Mastodon's fault profile for the sample server's hostile answers (benchmark.sample.faults.hostile_reply)."""

from __future__ import annotations

import re
from typing import Any

from benchmark.sample import FAR_DATE
from benchmark.sample import raw_param as param

TIMELINE = ("/api/v1/accounts/", "/statuses")  # (path under /mastodon, marker): a timeline page (not pinned=true)
CURSOR_PARAMS = ("max_id",)  # a later page asks with one of these


def next_cursor(name: str, payload: Any, headers: list, query: str) -> tuple[Any, list]:
    """The page's next-page cursor (the Link header): ever new (endless) or the one that asked for it (stuck)."""
    asked = param(query, "max_id")
    cursor = str(int(asked) - 1) if name == "endless_cursor" and asked.isdigit() else asked
    headers = [(k, v) for k, v in headers if k != "Link"]
    headers.append(("Link", f'<http://127.0.0.1/api/v1/accounts/x/statuses?limit=40&max_id={cursor}>; rel="next"'))
    return payload, headers


def newest_posts(payload: Any) -> list[dict]:
    """The newest post object of the page, as a one-item list (or empty)."""
    return [status for status in payload if isinstance(status, dict)][:1] if isinstance(payload, list) else []


def spoil(name: str, post: dict, headers: list) -> None:
    if name == "date_9999":
        post["created_at"] = FAR_DATE
        headers[:] = [(k, v) for k, v in headers if not k.startswith("X-RateLimit")]
        headers += [("X-RateLimit-Remaining", "1"), ("X-RateLimit-Reset", FAR_DATE)]
    elif name == "huge_count":
        post["favourites_count"] = 10**30
    elif name == "surrogate":
        post["content"] = str(post.get("content", "")) + "\ud800"


def rewrite_page(name: str, payload: Any) -> Any:
    """foreign_uri: every other status's uri and url on another instance (evil.example)."""
    if name == "foreign_uri" and isinstance(payload, list):
        for status in payload[1::2]:
            for key in ("uri", "url"):
                if isinstance(status.get(key), str):
                    status[key] = re.sub(r"^https?://[^/]+", "https://evil.example", status[key])
    return payload
