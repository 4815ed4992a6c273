"""The store: SQLAlchemy Core over SQLite (default) or PostgreSQL (by URL).

Idempotent by construction: posts, accounts and comments are upserted by their natural key
(platform + id), so a re-crawl refreshes counts and `last_seen` and keeps `first_seen`; every crawl
adds one snapshot row per account and per post (unique per run), which is what follower growth and
count history are computed from. Each batch is written in one transaction, so a killed crawl
leaves whole batches or nothing.
"""

from __future__ import annotations

import os
from collections.abc import Iterable, Mapping
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from sqlalchemy import (
    JSON,
    BigInteger,
    Boolean,
    Column,
    Connection,
    DateTime,
    Engine,
    Integer,
    MetaData,
    String,
    Table,
    Text,
    UniqueConstraint,
    create_engine,
    event,
    inspect,
    select,
    text,
)
from sqlalchemy.engine import make_url
from sqlalchemy.exc import OperationalError

DEFAULT_DB_URL = "sqlite:///data/benchmark.sqlite3"
SCHEMA_VERSION = 1

metadata = MetaData()

accounts = Table(
    "accounts",
    metadata,
    Column("platform", String(16), primary_key=True),
    Column("account_id", String(128), primary_key=True),
    Column("handle", String(256)),
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
    Column("account_id", String(128), nullable=False),
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
    Column("post_id", String(128), primary_key=True),
    Column("account_id", String(128), nullable=False, index=True),
    Column("created_at", DateTime, nullable=False, index=True),
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
    Column("ref_post_id", String(128)),
    Column("ref_author_id", String(128)),
    Column("ref_author_name", Text),
    Column("ref_author_is_organization", Boolean),
    Column("ref_author_followers", BigInteger),
    Column("reply_to_author_id", String(128)),
    Column("crawled_at", DateTime),
    Column("first_seen", DateTime, nullable=False),
    Column("last_seen", DateTime, nullable=False),
    Column("extra", JSON),
)

post_snapshots = Table(
    "post_snapshots",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("run_id", String(64), nullable=False),
    Column("platform", String(16), nullable=False),
    Column("post_id", String(128), nullable=False),
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
    Column("comment_id", String(128), primary_key=True),
    Column("post_id", String(128), nullable=False, index=True),
    Column("author_id", String(128)),
    Column("author_name", Text),
    Column("author_is_organization", Boolean),
    Column("created_at", DateTime),
    Column("text", Text),
    Column("parent_comment_id", String(128)),
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

crawl_accounts = Table(
    "crawl_accounts",
    metadata,
    Column("run_id", String(64), primary_key=True),
    Column("platform", String(16), primary_key=True),
    Column("account_id", String(128), primary_key=True),
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


def _prepare_sqlite_file(url: str) -> None:
    """Create the folder and an empty user-only (0600) database file before SQLite opens it."""
    database = make_url(url).database
    if not database or database == ":memory:":
        return
    path = Path(database)
    path.parent.mkdir(parents=True, exist_ok=True)
    if not path.exists():
        fd = os.open(path, os.O_CREAT | os.O_WRONLY, 0o600)
        os.close(fd)


def create_store_engine(url: str = DEFAULT_DB_URL) -> Engine:
    """An engine for `url` with the schema created; SQLite gets WAL and NORMAL sync (see research/scrapy.md)."""
    is_sqlite = url.startswith("sqlite")
    if is_sqlite:
        # SQLite gives its -wal and -shm files the permissions of the database file.
        _prepare_sqlite_file(url)
    engine = create_engine(url, future=True)
    if is_sqlite:

        @event.listens_for(engine, "connect")
        def _sqlite_pragmas(dbapi_connection: Any, _record: Any) -> None:
            cursor = dbapi_connection.cursor()
            cursor.execute("PRAGMA journal_mode=WAL")
            cursor.execute("PRAGMA synchronous=NORMAL")
            cursor.execute("PRAGMA busy_timeout=30000")
            cursor.close()

    _create_schema(engine)
    return engine


# Any fixed 64-bit number: the key of the advisory lock that serialises schema creation on PostgreSQL.
_SCHEMA_LOCK_KEY = 0x62656E6368  # "bench"


def _create_schema(engine: Engine) -> None:
    """Create missing tables. On PostgreSQL, workers starting together would race (both see no table, the
    second CREATE fails): a transaction-scoped advisory lock makes them take turns."""
    with engine.begin() as conn:
        if engine.dialect.name == "postgresql":
            conn.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": _SCHEMA_LOCK_KEY})
        metadata.create_all(conn)
        _add_new_columns(conn)


def _add_new_columns(conn: Connection) -> list[str]:
    """A store made by an earlier version lacks the columns added since (all nullable): add them, so that
    upgrading never asks the user to throw away a quarter's crawl. Returns the `table.column` names added."""
    inspector = inspect(conn)
    added = []
    for table in metadata.sorted_tables:
        present = {column["name"] for column in inspector.get_columns(table.name)}
        for column in table.columns:
            if column.name not in present and column.nullable and _add_column(conn, table, column):
                added.append(f"{table.name}.{column.name}")
    if "crawl_accounts.message_i18n" in added:  # a store of the first version: clean what it kept
        _forget_fans_reply_handles(conn)
    return added


def _add_column(conn: Connection, table: Table, column: Column) -> bool:
    """ALTER TABLE … ADD COLUMN; False when another process added it first (two crawls started together)."""
    quote = conn.dialect.identifier_preparer.quote
    kind = column.type.compile(dialect=conn.dialect)
    if conn.dialect.name == "postgresql":  # serialised by the advisory lock; IF NOT EXISTS is the backstop
        conn.execute(text(f"ALTER TABLE {quote(table.name)} ADD COLUMN IF NOT EXISTS {quote(column.name)} {kind}"))
        return True
    try:
        conn.execute(text(f"ALTER TABLE {quote(table.name)} ADD COLUMN {quote(column.name)} {kind}"))
    except OperationalError as exc:
        if "duplicate column" not in str(exc).lower():
            raise
        return False
    return True


def _forget_fans_reply_handles(conn: Connection) -> None:
    """The first version pseudonymised the fan a Bluesky reply answers but kept the fan's handle in
    `extra.reply_to_handle`: remove it from the posts already stored."""
    if conn.dialect.name == "postgresql":
        conn.execute(text("UPDATE posts SET extra = (extra::jsonb - 'reply_to_handle')::json "
                          "WHERE platform = 'bluesky' AND reply_to_author_id LIKE 'anon:%' "
                          "AND extra->>'reply_to_handle' IS NOT NULL"))
    else:
        conn.execute(text("UPDATE posts SET extra = json_remove(extra, '$.reply_to_handle') "
                          "WHERE platform = 'bluesky' AND reply_to_author_id LIKE 'anon:%' "
                          "AND json_extract(extra, '$.reply_to_handle') IS NOT NULL"))


def _insert(engine: Engine, table: Table) -> Any:
    if engine.dialect.name == "postgresql":
        from sqlalchemy.dialects.postgresql import insert
    else:
        from sqlalchemy.dialects.sqlite import insert
    return insert(table)


class Store:
    """Writes crawl output; reads are done by the report with pandas over the same engine."""

    def __init__(self, url: str = DEFAULT_DB_URL, engine: Engine | None = None) -> None:
        self.url = url
        self.engine = engine or create_store_engine(url)

    # -- writes ---------------------------------------------------------------------------------
    def write_batch(
        self,
        run_id: str,
        account_rows: Iterable[Mapping[str, Any]] = (),
        post_rows: Iterable[Mapping[str, Any]] = (),
        comment_rows: Iterable[Mapping[str, Any]] = (),
    ) -> None:
        """Upsert one batch of items and their snapshots in a single transaction."""
        now = utcnow()
        account_rows = _dedupe(account_rows, _KEYS["accounts"])
        post_rows = _dedupe(post_rows, _KEYS["posts"])
        comment_rows = _dedupe(comment_rows, _KEYS["comments"])
        with self.engine.begin() as conn:
            for table, rows in ((accounts, account_rows), (posts, post_rows), (comments, comment_rows)):
                if not rows:
                    continue
                conn.execute(self._upsert_statement(table), [_row_for(table, row, now) for row in rows])
            if account_rows:
                conn.execute(
                    self._snapshot_statement(account_snapshots),
                    [_snapshot_row(run_id, "accounts", row, now) for row in account_rows],
                )
            if post_rows:
                conn.execute(
                    self._snapshot_statement(post_snapshots),
                    [_snapshot_row(run_id, "posts", row, now) for row in post_rows],
                )

    def _upsert_statement(self, table: Table) -> Any:
        stmt = _insert(self.engine, table)
        keys = _KEYS[table.name]
        updated = {
            col.name: stmt.excluded[col.name] for col in table.columns if col.name not in (*keys, "first_seen")
        }
        return stmt.on_conflict_do_update(index_elements=list(keys), set_=updated)

    def _snapshot_statement(self, table: Table) -> Any:
        # A post seen twice in one run (e.g. pinned and in the timeline) keeps its first snapshot.
        return _insert(self.engine, table).on_conflict_do_nothing(
            index_elements=["run_id", "platform", table.columns[3].name]
        )

    def start_run(self, run_id: str, spider: str, period: tuple[str, str] | None = None) -> None:
        with self.engine.begin() as conn:
            conn.execute(
                crawl_runs.insert().values(
                    run_id=run_id,
                    spider=spider,
                    started_at=utcnow(),
                    period_start=period[0] if period else None,
                    period_end=period[1] if period else None,
                )
            )

    def finish_run(
        self,
        run_id: str,
        finish_reason: str,
        stats: Mapping[str, Any],
        account_statuses: Iterable[Mapping[str, Any]],
    ) -> None:
        """Close the run: its stats and one status row per account, in one transaction."""
        now = utcnow()
        rows = [{**row, "run_id": run_id, "finished_at": now} for row in account_statuses]
        with self.engine.begin() as conn:
            conn.execute(
                crawl_runs.update()
                .where(crawl_runs.c.run_id == run_id)
                .values(finished_at=now, finish_reason=finish_reason, stats=_jsonable(stats))
            )
            if rows:
                conn.execute(_insert(self.engine, crawl_accounts).on_conflict_do_nothing(), rows)

    # -- small reads used by spiders and tests ---------------------------------------------------
    def known_post_ids(self, platform: str, account_id: str) -> set[str]:
        with self.engine.connect() as conn:
            result = conn.execute(
                select(posts.c.post_id).where(posts.c.platform == platform, posts.c.account_id == account_id)
            )
            return {row[0] for row in result}

    def count(self, table_name: str) -> int:
        table = metadata.tables[table_name]
        with self.engine.connect() as conn:
            return len(conn.execute(select(table)).all())

    def close(self) -> None:
        self.engine.dispose()


def _dedupe(rows: Iterable[Mapping[str, Any]], keys: tuple[str, ...]) -> list[Mapping[str, Any]]:
    """Keep the last row per key: one INSERT … ON CONFLICT cannot touch the same row twice."""
    by_key: dict[tuple[Any, ...], Mapping[str, Any]] = {}
    for row in rows:
        key = tuple(row[k] for k in keys)
        earlier = by_key.get(key)
        if earlier is not None and earlier.get("pinned") and not row.get("pinned"):
            row = {**row, "pinned": True}  # a pinned post also met unpinned further down stays pinned
        by_key[key] = row
    return list(by_key.values())


_COLUMN_PLAN: dict[str, tuple[tuple[str, ...], tuple[str, ...]]] = {}


def _plan(table: Table) -> tuple[tuple[str, ...], tuple[str, ...]]:
    """(plain columns, datetime columns) of a table, computed once: this runs for every stored item."""
    if table.name not in _COLUMN_PLAN:
        names = [c.name for c in table.columns if c.name not in ("first_seen", "last_seen")]
        times = tuple(c.name for c in table.columns if isinstance(c.type, DateTime) and c.name in names)
        _COLUMN_PLAN[table.name] = (tuple(n for n in names if n not in times), times)
    return _COLUMN_PLAN[table.name]


def _row_for(table: Table, row: Mapping[str, Any], now: datetime) -> dict[str, Any]:
    plain, times = _plan(table)
    out = {name: row.get(name) for name in plain}
    for name in times:
        out[name] = utc_naive(row.get(name))
    out["first_seen"] = out["last_seen"] = now
    if "crawled_at" in times and out["crawled_at"] is None:
        out["crawled_at"] = now
    return out


def _snapshot_row(run_id: str, kind: str, row: Mapping[str, Any], now: datetime) -> dict[str, Any]:
    key_field = "account_id" if kind == "accounts" else "post_id"
    snap = {"run_id": run_id, "platform": row["platform"], key_field: row[key_field]}
    snap["crawled_at"] = utc_naive(row.get("crawled_at")) or now
    snap.update({name: row.get(name) for name in _SNAPSHOT_FIELDS[kind]})
    return snap


def _jsonable(stats: Mapping[str, Any]) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for key, value in stats.items():
        if isinstance(value, (int, float, str, bool)) or value is None:
            out[key] = value
        elif isinstance(value, datetime):
            out[key] = value.isoformat()
        else:
            out[key] = str(value)
    return out
