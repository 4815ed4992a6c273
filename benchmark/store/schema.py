"""The store's tables (SQLAlchemy Core metadata), shared by SQLite and PostgreSQL, and its time helpers."""

from __future__ import annotations

from datetime import UTC, datetime

from sqlalchemy import (
    JSON,
    BigInteger,
    Boolean,
    Column,
    DateTime,
    Index,
    Integer,
    MetaData,
    String,
    Table,
    Text,
    UniqueConstraint,
)

DEFAULT_DB_URL = "sqlite:///data/benchmark.sqlite3"

metadata = MetaData()

accounts = Table(
    "accounts",
    metadata,
    Column("platform", String(16), primary_key=True),
    Column("account_id", Text, primary_key=True),
    Column("handle", Text),
    Column("name", Text),
    Column("url", Text),
    Column("is_organization", Boolean),
    Column("verified", Boolean),
    Column("description", Text),
    Column("followers", BigInteger),
    Column("following", BigInteger),
    Column("posts_count", BigInteger),
    Column("crawled_at", DateTime),
    Column("first_seen", DateTime, nullable=False),
    Column("last_seen", DateTime, nullable=False),
    Column("extra", JSON),
)

account_snapshots = Table(
    "account_snapshots",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("run_id", String(64), nullable=False),
    Column("platform", String(16), nullable=False),
    Column("account_id", Text, nullable=False),
    Column("crawled_at", DateTime, nullable=False),
    Column("followers", BigInteger),
    Column("following", BigInteger),
    Column("posts_count", BigInteger),
    UniqueConstraint("run_id", "platform", "account_id", name="uq_account_snapshot_run"),
)

posts = Table(
    "posts",
    metadata,
    Column("platform", String(16), primary_key=True),
    Column("post_id", Text, primary_key=True),
    Column("account_id", Text, nullable=False),
    Column("created_at", DateTime, nullable=False),
    Column("date_only", Boolean, default=False),  # a day without a time of day (stored at 00:00 local)
    Column("url", Text),
    Column("text", Text),
    Column("kind", String(16), nullable=False),
    Column("format", String(16), nullable=False),
    Column("media_count", Integer),
    Column("likes", BigInteger),
    Column("comments", BigInteger),
    Column("reposts", BigInteger),
    Column("quotes", BigInteger),
    Column("views", BigInteger),
    Column("counts_are_lower_bounds", Boolean),
    Column("pinned", Boolean),
    Column("source_client", Text),
    Column("hashtags", JSON),
    Column("mentions", JSON),
    Column("links", JSON),
    Column("ref_post_id", Text),
    Column("ref_author_id", Text),
    Column("ref_author_name", Text),
    Column("ref_author_is_organization", Boolean),
    Column("ref_author_followers", BigInteger),
    Column("reply_to_author_id", Text),
    Column("crawled_at", DateTime),
    Column("first_seen", DateTime, nullable=False),
    Column("last_seen", DateTime, nullable=False),
    Column("extra", JSON),
    # What every read asks for: one account's posts in a period. One index instead of one on account_id and one
    # on created_at: a post upsert updates one b-tree fewer (issue 19).
    Index("ix_posts_account_created", "platform", "account_id", "created_at"),
)

post_snapshots = Table(
    "post_snapshots",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("run_id", String(64), nullable=False),
    Column("platform", String(16), nullable=False),
    Column("post_id", Text, nullable=False),
    Column("crawled_at", DateTime, nullable=False),
    Column("likes", BigInteger),
    Column("comments", BigInteger),
    Column("reposts", BigInteger),
    Column("quotes", BigInteger),
    Column("views", BigInteger),
    UniqueConstraint("run_id", "platform", "post_id", name="uq_post_snapshot_run"),
)

comments = Table(
    "comments",
    metadata,
    Column("platform", String(16), primary_key=True),
    Column("comment_id", Text, primary_key=True),
    Column("post_id", Text, nullable=False, index=True),
    Column("author_id", Text),
    Column("author_name", Text),
    Column("author_is_organization", Boolean),
    Column("created_at", DateTime),
    Column("text", Text),
    Column("parent_comment_id", Text),
    Column("is_by_post_author", Boolean),
    Column("likes", BigInteger),
    Column("crawled_at", DateTime),
    Column("first_seen", DateTime, nullable=False),
    Column("last_seen", DateTime, nullable=False),
    Column("extra", JSON),
)

crawl_runs = Table(
    "crawl_runs",
    metadata,
    Column("run_id", String(64), primary_key=True),
    Column("spider", String(32), nullable=False),
    Column("started_at", DateTime, nullable=False),
    Column("finished_at", DateTime),
    Column("finish_reason", String(64)),
    Column("period_start", String(10)),
    Column("period_end", String(10)),
    Column("stats", JSON),
)

schema_version = Table(
    "schema_version",
    metadata,
    Column("version", Integer, primary_key=True),
    Column("name", Text),
    Column("applied_at", DateTime),
)

crawl_accounts = Table(
    "crawl_accounts",
    metadata,
    Column("run_id", String(64), primary_key=True),
    Column("platform", String(16), primary_key=True),
    Column("account_id", Text, primary_key=True),
    Column("role", String(16)),
    Column("label", Text),
    Column("status", String(16), nullable=False),
    Column("message", Text),  # the reason in English
    Column("message_i18n", Text),  # the same reason for any language (benchmark.i18n.Message JSON), or NULL
    Column("posts", Integer),
    Column("pages", Integer),
    Column("finished_at", DateTime),
)

_KEYS = {
    "accounts": ("platform", "account_id"),
    "posts": ("platform", "post_id"),
    "comments": ("platform", "comment_id"),
}
_SNAPSHOT_FIELDS = {
    "accounts": ("followers", "following", "posts_count"),
    "posts": ("likes", "comments", "reposts", "quotes", "views"),
}


def utc_naive(value: datetime | None) -> datetime | None:
    """Store every time as naive UTC: the same on SQLite and PostgreSQL."""
    if value is None or value.tzinfo is None:
        return value
    return value.astimezone(UTC).replace(tzinfo=None)


def utcnow() -> datetime:
    return datetime.now(UTC).replace(tzinfo=None)



_SNAPSHOTS = {"accounts": account_snapshots, "posts": post_snapshots}
