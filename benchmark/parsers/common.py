"""The parser contract every platform parser returns (ProfileResult, FeedPage), and small coercions that
never raise, so a parser can skip a bad item with a reason instead of failing a crawl.

A platform parser (benchmark/platforms/<name>/parser.py) turns a profile answer into a ProfileResult and a
timeline page into a FeedPage (or a subclass with the platform's extras, e.g. Weibo's long-text ids); the
platform's spider hands the FeedPage to BenchmarkSpider.feed_page, the one paging flow.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any, NamedTuple

from benchmark.items import Account, Post

FEED_STATUSES = ("ok", "end", "not_found", "private", "opted_out", "blocked", "malformed", "login_wall")


class ProfileResult(NamedTuple):
    """A profile answer as a spider needs it: the account (None when there is none: "not_found", "malformed",
    ...), a status (FEED_STATUSES; "opted_out" may come with the account) and why (a message, or "").
    A tuple, so `account, status, message = parse_profile(...)` reads it."""

    account: Account | None
    status: str = "ok"
    message: str = ""


@dataclass
class FeedPage:
    """One page of an account's posts, as a spider needs it to decide what to yield and what to fetch next."""

    posts: list[Post]
    cursor: str | None  # next-page cursor: Weibo `since_id`, Bluesky `cursor`, Mastodon `max_id`, Telegram `before`
    status: str = "ok"  # FEED_STATUSES
    message: str = ""
    dropped: list[str] = field(default_factory=list)  # one reason per skipped item
    ref_authors: list[str] = field(default_factory=list)  # Bluesky: DIDs to look up with getProfiles


_FRACTION = re.compile(r"(\.\d{6})\d+")


def parse_datetime(value: object) -> datetime | None:
    """An ISO 8601 timestamp as an aware UTC datetime; naive values are taken as UTC; junk → None.

    Never raises: a date at the ends of `datetime`'s range whose offset pushes it past year 9999 (or before
    year 1) in UTC is junk too (OverflowError)."""
    if not isinstance(value, str) or not value.strip():
        return None
    text = _FRACTION.sub(r"\1", value.strip())  # nanosecond timestamps: fromisoformat takes 6 digits at most
    if text.endswith(("Z", "z")):
        text = text[:-1] + "+00:00"
    try:
        moment = datetime.fromisoformat(text)
        if moment.tzinfo is None:
            return moment.replace(tzinfo=UTC)
        return moment.astimezone(UTC)
    except (ValueError, OverflowError):
        return None


def as_int(value: object) -> int | None:
    """A non-negative count from an int or a digit string; anything else (bool, None, -1, "n/a") → None."""
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return value if value >= 0 else None
    if isinstance(value, str) and value.strip().isdigit():
        return int(value.strip())
    return None


def as_dict(value: object) -> dict[str, Any]:
    return value if isinstance(value, dict) else {}


def as_list(value: object) -> list[Any]:
    return value if isinstance(value, list) else []


def as_str(value: object) -> str:
    return value if isinstance(value, str) else ""


def unique(items: Iterable[str]) -> list[str]:
    """Items in first-seen order without duplicates or empty strings."""
    return list(dict.fromkeys(item for item in items if item))


def describe(payload: object) -> str:
    """A short type description for a 'malformed' message (never the payload itself: it may be huge)."""
    if payload is None:
        return "nothing"
    return type(payload).__name__
