"""The platform-neutral data model: every spider yields these, every metric reads them from the store.

Dataclasses are ItemAdapter-compatible, so pipelines, feed exports (`scrapy crawl weibo -O posts.jsonl`)
and the store all see the same fields in the same order. Platform-specific details go in `extra`,
never in new top-level fields that only one platform fills (DESIGN.md).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from benchmark import platforms

PLATFORMS = platforms.names()  # every package under benchmark/platforms/, in registry order
ROLES = ("own", "peer", "exemplar")
POST_KINDS = ("original", "repost", "quote", "reply")
POST_FORMATS = ("text", "image", "gif", "video", "audio", "live", "article", "link", "poll", "short")
# A format that is a kind of another (a Short is a video): its own format_share, but format_diversity counts it
# as its parent, so the entropy stays over the nine documented kinds (ln 9, docs/METRICS.md).
SUBFORMATS = {"short": "video"}
ACCOUNT_STATUSES = ("ok", "partial", "failed", "login_wall", "blocked", "not_found", "private", "opted_out")


@dataclass(kw_only=True)
class Account:
    """A profile as seen at one crawl. `followers` etc. are also kept per crawl in `account_snapshots`."""

    platform: str
    account_id: str
    handle: str | None = None
    name: str | None = None
    url: str | None = None
    is_organization: bool | None = None  # platform signal, e.g. Weibo verified_type 1..8
    verified: bool | None = None
    description: str | None = None
    followers: int | None = None
    following: int | None = None
    posts_count: int | None = None
    crawled_at: datetime | None = None
    extra: dict[str, Any] = field(default_factory=dict)


@dataclass(kw_only=True)
class Post:
    """One post of a panel account. Times are timezone-aware UTC datetimes."""

    platform: str
    post_id: str
    account_id: str
    created_at: datetime
    date_only: bool = False  # the platform gave a day but no time of day (Weibo `MM-DD`): no hour figures
    url: str | None = None
    text: str = ""
    kind: str = "original"  # POST_KINDS
    format: str = "text"  # POST_FORMATS
    media_count: int = 0
    likes: int | None = None
    comments: int | None = None
    reposts: int | None = None
    quotes: int | None = None
    views: int | None = None  # None where the platform hides it
    counts_are_lower_bounds: bool = False  # "100万+" style counts
    pinned: bool = False
    source_client: str | None = None
    hashtags: list[str] = field(default_factory=list)
    mentions: list[str] = field(default_factory=list)
    links: list[str] = field(default_factory=list)
    ref_post_id: str | None = None
    ref_author_id: str | None = None
    ref_author_name: str | None = None
    ref_author_is_organization: bool | None = None  # None = unknown (deleted original, hidden author)
    ref_author_followers: int | None = None
    reply_to_author_id: str | None = None
    crawled_at: datetime | None = None
    extra: dict[str, Any] = field(default_factory=dict)


@dataclass(kw_only=True)
class Comment:
    """A comment under a panel account's post (optional deeper crawl)."""

    platform: str
    comment_id: str
    post_id: str
    author_id: str | None = None
    author_name: str | None = None
    author_is_organization: bool | None = None
    created_at: datetime | None = None
    text: str = ""
    parent_comment_id: str | None = None
    is_by_post_author: bool = False
    likes: int | None = None
    crawled_at: datetime | None = None
    extra: dict[str, Any] = field(default_factory=dict)


@dataclass
class PostBatch:
    """The kept posts of one timeline page as one item: Scrapy's per-item machinery costs about 100 µs an item
    (issue #19), so a page goes through it once. Every pipeline handles each post as it would a Post item; the
    feed export writes each post (`benchmark.extensions.PostBatchFeedExporter`), `item_scraped_count` counts
    posts (`benchmark.extensions.PostBatchStats`). On with BENCHMARK_POST_BATCHES (benchmark/settings.py)."""

    posts: list[Post]
